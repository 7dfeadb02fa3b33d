/* SPDX-License-Identifier: MIT */
/*
 * l1.c - `nexit bench` in the nested x86 L1 machine (tools/l1.sh: QEMU TCG
 * with SVM+NPT gives a KVM-SVM /dev/kvm, an intel-iommu and edu devices).
 * Where this host has no KVM at all the whole bench runs there, both VMMs
 * side by side in the same L1; where it has one but no edu behind an IOMMU,
 * only the vfio case does, and its rows come back into this run's table.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <json-c/json.h>
#include "core/vm.h"
#include "bench/bench.h"

/* tools/l1.sh of the source tree this nexit was built in (build/nexit or
 * build/asan/nexit), or of the current directory. */
static bool find_l1(const struct nxb_opts *o, char *buf, size_t sz)
{
	static const char *const up[] = { "/../tools/l1.sh", "/../../tools/l1.sh" };
	char dir[PATH_MAX];
	char *s;

	snprintf(dir, sizeof(dir), "%s", o->nexit);
	s = strrchr(dir, '/');
	if (s)
		*s = 0;
	for (unsigned i = 0; s && i < sizeof(up) / sizeof(up[0]); i++) {
		if (snprintf(buf, sz, "%s%s", dir, up[i]) < (int)sz && !access(buf, X_OK))
			return true;
	}
	snprintf(buf, sz, "tools/l1.sh");
	return access(buf, X_OK) == 0;
}

int nxb_l1_bench(const struct nxb_opts *o, int argc, char **argv, const char *extra_only,
		 const char *out)
{
	const char *mode = o->mode == NXB_SMOKE ? "--smoke" : o->mode == NXB_QUICK ? "--quick" : NULL;
	char l1[PATH_MAX], rounds[16], limit[16];
	char *av[NXB_MAX_ARGS + 16];
	int n = 0, st;
	pid_t pid;

	if (!find_l1(o, l1, sizeof(l1))) {
		nx_warn("bench: no tools/l1.sh beside %s or here: cannot run in the nested machine",
			o->nexit);
		return 125;
	}
	/* tools/l1.sh: the VMMs' serial logs and results land in OUT (shared). */
	snprintf(limit, sizeof(limit), "%d", o->mode == NXB_FULL ? 20000 : 5000);
	av[n++] = l1;
	av[n++] = "--console";
	av[n++] = "--share";
	av[n++] = (char *)out;
	av[n++] = "--timeout";
	av[n++] = limit;
	av[n++] = "--";
	av[n++] = (char *)o->nexit;
	av[n++] = "bench";
	for (int i = 1; i < argc && n < NXB_MAX_ARGS; i++)
		av[n++] = argv[i];
	if (extra_only) {
		if (mode)
			av[n++] = (char *)mode;
		snprintf(rounds, sizeof(rounds), "%d", o->rounds);
		av[n++] = "--rounds";
		av[n++] = rounds;
		av[n++] = "--only";
		av[n++] = (char *)extra_only;
		av[n++] = "--nexit";
		av[n++] = (char *)o->nexit;
		av[n++] = "--probe";
		av[n++] = (char *)o->probe;
	}
	av[n++] = "--out";		/* the last --out wins */
	av[n++] = (char *)out;
	av[n] = NULL;
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return nx_error("bench: fork: %s", strerror(errno)), 125;
	if (pid == 0) {
		/* The console goes to stderr, where the bench's progress goes. */
		dup2(2, 1);
		execv(l1, av);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) < 0)
		return 125;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 125;
}

static const char *str_of(struct json_object *o, const char *key, const char *def)
{
	struct json_object *x;

	return json_object_object_get_ex(o, key, &x) && json_object_is_type(x, json_type_string)
	       ? json_object_get_string(x) : def;
}

int nxb_import_rows(struct nxb_results *r, const char *json_path, const char *path,
		    const char *note)
{
	struct json_object *root = json_object_from_file(json_path), *cases;
	int added = 0;

	if (!root || !json_object_object_get_ex(root, "cases", &cases) ||
	    !json_object_is_type(cases, json_type_array)) {
		nx_warn("bench: no cases in %s", json_path);
		if (root)
			json_object_put(root);
		return -1;
	}
	for (size_t i = 0; i < json_object_array_length(cases); i++) {
		struct json_object *c = json_object_array_get_idx(cases, i), *x;
		struct nxb_row *row;
		bool lower = true;

		if (path && strcmp(str_of(c, "path", ""), path))
			continue;
		if (json_object_object_get_ex(c, "lower_is_better", &x))
			lower = json_object_get_boolean(x);
		row = nxb_row_get(r, str_of(c, "case", "?"), str_of(c, "path", "?"),
				  str_of(c, "metric", "?"), str_of(c, "unit", ""), lower);
		snprintf(row->where, sizeof(row->where), "L1");
		snprintf(row->note, sizeof(row->note), "%s%s%s", note,
			 str_of(c, "note", "")[0] ? "; " : "", str_of(c, "note", ""));
		for (int v = 0; v < NXB_NVMM; v++) {
			const char *name = nxb_vmm_name((enum nxb_vmm)v);
			char key[32];
			double samples = 1;

			snprintf(key, sizeof(key), "n_%s", name);
			if (json_object_object_get_ex(c, key, &x))
				samples = json_object_get_double(x);
			if (json_object_object_get_ex(c, name, &x) && x)
				nxb_row_add(row, (enum nxb_vmm)v, json_object_get_double(x), samples);
			else {
				snprintf(key, sizeof(key), "%s_reason", name);
				nxb_row_fail(row, (enum nxb_vmm)v, "%s", str_of(c, key, "not run in L1"));
			}
		}
		added++;
	}
	json_object_put(root);
	return added;
}

void nxb_l1_case(const struct nxb_opts *o, struct nxb_results *res, const char *only,
		 const char *path, const char *note)
{
	char out[4400];
	int st;

	snprintf(out, sizeof(out), "%s/%s-l1", o->out, path ? path : only);
	st = nxb_l1_bench(o, 0, NULL, only, out);
	snprintf(out + strlen(out), sizeof(out) - strlen(out), "/results.json");
	if (nxb_import_rows(res, out, path, note) <= 0 || st) {
		res->nexit_failed++;
		if (!res->nexit_first_failure[0])
			snprintf(res->nexit_first_failure, sizeof(res->nexit_first_failure),
				 "the %s case in L1 exited %d", path ? path : only, st);
	}
}

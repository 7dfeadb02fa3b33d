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

int nxb_l1_argv(const struct nxb_opts *o, const char *l1, int argc, char **argv,
		const char *extra_only, const char *out, struct nxb_argv *a)
{
	const char *mode = o->mode == NXB_SMOKE ? "--smoke" : o->mode == NXB_QUICK ? "--quick" : NULL;
	int bad;

	/* tools/l1.sh: the VMMs' serial logs and results land in OUT (shared). */
	nxb_argv_init(a);
	bad = nxb_argv_add(a, "%s", l1) | nxb_argv_add(a, "--console") |
	      nxb_argv_add(a, "--share") | nxb_argv_add(a, "%s", out) |
	      nxb_argv_add(a, "--timeout") |
	      nxb_argv_add(a, "%d", o->mode == NXB_FULL ? 20000 : 5000) |
	      nxb_argv_add(a, "--") | nxb_argv_add(a, "%s", o->nexit) | nxb_argv_add(a, "bench");
	/* The user's arguments but their --out: the run in L1 writes into OUT,
	 * given once at the end, so its report names one directory. */
	for (int i = 1; i < argc && !bad; i++) {
		if (!strcmp(argv[i], "--out")) {
			i++;
			continue;
		}
		if (strncmp(argv[i], "--out=", 6))
			bad |= nxb_argv_add(a, "%s", argv[i]);
	}
	if (extra_only) {
		if (mode)
			bad |= nxb_argv_add(a, "%s", mode);
		bad |= nxb_argv_add(a, "--rounds") | nxb_argv_add(a, "%d", o->rounds) |
		       nxb_argv_add(a, "--only") | nxb_argv_add(a, "%s", extra_only) |
		       nxb_argv_add(a, "--nexit") | nxb_argv_add(a, "%s", o->nexit) |
		       nxb_argv_add(a, "--probe") | nxb_argv_add(a, "%s", o->probe);
	}
	bad |= nxb_argv_add(a, "--out") | nxb_argv_add(a, "%s", out);
	return bad ? -1 : 0;
}

int nxb_l1_bench(const struct nxb_opts *o, int argc, char **argv, const char *extra_only,
		 const char *out)
{
	char l1[PATH_MAX];
	struct nxb_argv a;
	int st;
	pid_t pid;

	if (!find_l1(o, l1, sizeof(l1))) {
		nx_warn("bench: no tools/l1.sh beside %s or here: cannot run in the nested machine",
			o->nexit);
		return 125;
	}
	if (nxb_l1_argv(o, l1, argc, argv, extra_only, out, &a) < 0)
		return 125;
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return nx_error("bench: fork: %s", strerror(errno)), 125;
	if (pid == 0) {
		/* The console goes to stderr, where the bench's progress goes. */
		dup2(2, 1);
		execv(l1, a.v);
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

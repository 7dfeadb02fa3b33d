/* SPDX-License-Identifier: MIT */
/*
 * tune_cmd.c - `nexit tune PROFILE [--apply] [--sysroot DIR] [--undo-file F]`
 * and `nexit tune --undo FILE`. Dry run by default: prints every change as
 * "what: current -> new" and touches nothing.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/vm.h"
#include "tune/tune.h"

#define USAGE "usage: nexit tune PROFILE [--apply] [--sysroot DIR] [--undo-file FILE] | " \
	      "nexit tune --undo FILE"

static int default_undo(char *out, size_t n, const char *sysroot, const char *profile)
{
	/* Real host: /var/lib/nexit. A fake sysroot keeps its tree untouched
	 * (tests compare it byte for byte), so the file goes to the cwd. */
	if (!strcmp(sysroot, "/")) {
		if (mkdir("/var/lib/nexit", 0755) < 0 && errno != EEXIST)
			return nx_error("tune: mkdir /var/lib/nexit: %s (pass --undo-file)",
					strerror(errno));
		snprintf(out, n, "/var/lib/nexit/tune-undo-%s", profile);
	} else {
		snprintf(out, n, "nexit-tune-undo-%s", profile);
	}
	return 0;
}

int nx_cmd_tune(int argc, char **argv)
{
	const char *profile = NULL, *sysroot = "/", *undo_file = NULL, *undo = NULL;
	char path[NX_TUNE_PATH], upath[NX_TUNE_PATH];
	struct nx_profile *p = NULL;
	struct nx_plan *pl = NULL;
	struct nx_host *h = NULL;
	bool apply = false;
	int rc = 1;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			printf(USAGE "\n  Dry run by default: prints each host change as 'what: current -> new'.\n"
			       "  --apply makes the changes and writes an undo file (default\n"
			       "  /var/lib/nexit/tune-undo-PROFILE); --undo FILE restores it.\n"
			       "  PROFILE: latency, throughput, appliance, or a path to an .ini file.\n");
			return 0;
		} else if (!strcmp(a, "--apply")) {
			apply = true;
		} else if (!strcmp(a, "--sysroot") || !strcmp(a, "--undo-file") || !strcmp(a, "--undo")) {
			if (i + 1 >= argc)
				return nx_error("tune: %s needs an argument (" USAGE ")", a), 2;
			if (a[2] == 's')
				sysroot = argv[++i];
			else if (!strcmp(a, "--undo"))
				undo = argv[++i];
			else
				undo_file = argv[++i];
		} else if (a[0] == '-') {
			return nx_error("tune: unknown option '%s' (" USAGE ")", a), 2;
		} else if (!profile) {
			profile = a;
		} else {
			return nx_error("tune: unexpected argument '%s' (" USAGE ")", a), 2;
		}
	}
	if (undo) {
		if (profile || apply)
			return nx_error("tune: --undo takes no profile or --apply (" USAGE ")"), 2;
		return nx_undo_restore(undo) < 0 ? 1 : 0;
	}
	if (!profile)
		return nx_error("tune: no profile given (" USAGE ")"), 2;

	p = calloc(1, sizeof(*p));
	h = calloc(1, sizeof(*h));
	pl = calloc(1, sizeof(*pl));
	if (!p || !h || !pl) {
		nx_error("tune: out of memory");
		goto out;
	}
	if (nx_profile_find(profile, path, sizeof(path)) < 0 || nx_profile_parse(p, path) < 0 ||
	    nx_host_probe(h, sysroot) < 0 || nx_profile_resolve(p, sysroot) < 0)
		goto out;
	nx_plan_build(pl, p, h);
	printf("nexit tune %s (%s), sysroot %s: %s\n", p->name, path, sysroot,
	       apply ? "applying" : "dry run");
	if (!apply) {
		nx_plan_print(pl, p, stdout);
		printf("dry run: nothing changed; add --apply to make the host changes\n");
		rc = 0;
		goto out;
	}
	if (!undo_file) {
		if (default_undo(upath, sizeof(upath), sysroot, p->name) < 0)
			goto out;
		undo_file = upath;
	}
	rc = nx_plan_apply(pl, sysroot, undo_file) < 0 ? 1 : 0;
out:
	free(p);
	free(h);
	free(pl);
	return rc;
}

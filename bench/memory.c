/* SPDX-License-Identifier: MIT */
/*
 * memory.c - the VMM's own resident memory: /proc/PID/smaps summed over
 * every mapping except guest RAM. smaps_rollup cannot tell guest RAM from
 * the rest, so this walks the per-mapping records (proc(5): a header line
 * "start-end perms offset dev inode [path]" followed by "Key: N kB" lines).
 *
 * Guest RAM is the mapping named ram_name (nexit's memfd "nexit-ram"
 * shows as "/memfd:nexit-ram (deleted)"), or an anonymous mapping at least
 * guest_ram bytes long (QEMU's pc.ram is an anonymous mmap of the RAM size
 * plus alignment).
 *
 * A VMM's device backends are part of its footprint (nexit's irqdev runs
 * in a nexit-devd child; QEMU's edu runs in-process), so the sample covers
 * the VMM and its direct children.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/vm.h"
#include "bench/bench.h"

static bool is_header(const char *line, uint64_t *len, const char **path)
{
	unsigned long long a, b;
	int off = 0;

	/* "7f..-7f.. rw-p 00000000 00:00 0   [path]" */
	if (sscanf(line, "%llx-%llx %*s %*s %*s %*s%n", &a, &b, &off) != 2 || !off)
		return false;
	*len = b - a;
	line += off;
	while (*line == ' ' || *line == '\t')
		line++;
	*path = line;
	return true;
}

int nxb_smaps_rss(int pid, uint64_t guest_ram, const char *ram_name,
		  uint64_t *total_kb, uint64_t *guest_kb)
{
	char fn[64], line[1024];
	bool in_guest = false, any = false;
	FILE *f;

	snprintf(fn, sizeof(fn), "/proc/%d/smaps", pid);
	f = fopen(fn, "r");
	if (!f)
		return -1;
	*total_kb = *guest_kb = 0;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long kb;
		const char *path;
		uint64_t len;

		if (is_header(line, &len, &path)) {
			bool anon = !*path || *path == '\n';

			in_guest = (ram_name && strstr(path, ram_name)) ||
				   (anon && guest_ram && len >= guest_ram);
			any = true;
			continue;
		}
		if (sscanf(line, "Rss: %llu kB", &kb) == 1) {
			*total_kb += kb;
			if (in_guest)
				*guest_kb += kb;
		}
	}
	fclose(f);
	/* A process that already exited (zombie) has no mappings. */
	return any && *total_kb ? 0 : -1;
}

/* Direct children of pid: /proc/N/stat field 4 is the parent (proc(5)). */
static int children(int pid, int *out, int max)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)) && n < max) {
		char fn[300], buf[512], *rp;
		int ppid;
		FILE *f;

		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(fn, sizeof(fn), "/proc/%s/stat", e->d_name);
		f = fopen(fn, "r");
		if (!f)
			continue;
		if (fgets(buf, sizeof(buf), f) && (rp = strrchr(buf, ')')) &&
		    sscanf(rp + 1, " %*c %d", &ppid) == 1 && ppid == pid)
			out[n++] = atoi(e->d_name);
		fclose(f);
	}
	closedir(d);
	return n;
}

int nxb_tree_rss(int pid, uint64_t guest_ram, const char *ram_name,
		 uint64_t *total_kb, uint64_t *guest_kb, int *nproc)
{
	int kids[16], n;

	if (nxb_smaps_rss(pid, guest_ram, ram_name, total_kb, guest_kb) < 0)
		return -1;
	*nproc = 1;
	n = children(pid, kids, 16);
	for (int i = 0; i < n; i++) {
		uint64_t t, g;

		/* A child shares no guest RAM mapping by name unless it maps the
		 * memfd (a vhost-user backend would): excluded the same way. */
		if (nxb_smaps_rss(kids[i], guest_ram, ram_name, &t, &g) == 0) {
			*total_kb += t;
			*guest_kb += g;
			(*nproc)++;
		}
	}
	return 0;
}

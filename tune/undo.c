/* SPDX-License-Identifier: MIT */
/*
 * undo.c - applying a plan and undoing it.
 *
 * The undo file is written before each change (and flushed), so a crash
 * half-way leaves a file that undoes what was done. Format, text headers
 * with byte counts around raw contents:
 *
 *   nexit-undo 1
 *   sysroot <absolute dir>
 *   file <path below sysroot> <old bytes> <value bytes>\n<old><value>\n
 *   irqbalance <pid>\n
 *
 * <old> is the file's whole content before the change, restored byte for
 * byte into regular files (fake sysroots). sysfs/procfs attributes cannot
 * be written back as they read ("always [madvise] never"), so there the
 * undo writes <value>, the setting that was in effect.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <linux/magic.h>

#include "core/vm.h"
#include "tune/tune.h"

#define UNDO_MAGIC "nexit-undo 1\n"
#define UNDO_MAX_FILE (1 << 20)

static bool pseudo_fs(const char *path)
{
	struct statfs s;

	return statfs(path, &s) == 0 && (s.f_type == SYSFS_MAGIC || s.f_type == PROC_SUPER_MAGIC);
}

static int write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;

	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int write_file(const char *path, const void *buf, size_t n, bool trunc)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC | (trunc ? O_TRUNC : 0));
	int r;

	if (fd < 0)
		return -1;
	r = write_all(fd, buf, n);
	if (close(fd) < 0)
		r = -1;
	return r;
}

static int undo_record_file(FILE *u, const char *path, const struct nx_change *c)
{
	char *old = malloc(UNDO_MAX_FILE);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t got = 0;
	ssize_t r = 0;

	if (!old || fd < 0) {
		free(old);
		if (fd >= 0)
			close(fd);
		return nx_error("tune: read %s: %s", path, strerror(errno));
	}
	while (got < UNDO_MAX_FILE && (r = read(fd, old + got, UNDO_MAX_FILE - got)) > 0)
		got += (size_t)r;
	close(fd);
	if (r < 0 || got == UNDO_MAX_FILE) {
		free(old);
		return nx_error("tune: read %s: %s", path, r < 0 ? strerror(errno) : "too large");
	}
	fprintf(u, "file %s %zu %zu\n", c->rel, got, strlen(c->cur));
	fwrite(old, 1, got, u);
	fprintf(u, "%s\n", c->cur);
	free(old);
	if (fflush(u) || fsync(fileno(u)))
		return nx_error("tune: writing the undo file: %s", strerror(errno));
	return 0;
}

int nx_plan_apply(const struct nx_plan *pl, const char *sysroot, const char *undo_path)
{
	char root[PATH_MAX], path[NX_TUNE_PATH];
	int fd, done = 0;
	FILE *u;

	if (!realpath(sysroot, root))
		return nx_error("tune: --sysroot %s: %s", sysroot, strerror(errno));
	/* O_EXCL: never overwrite an undo file, it holds the state to go back to */
	fd = open(undo_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return nx_error("tune: undo file %s: %s%s", undo_path, strerror(errno),
				errno == EEXIST ? " (restore it first with nexit tune --undo, or "
				"pass another --undo-file)" : "");
	u = fdopen(fd, "w");
	if (!u) {
		close(fd);
		return nx_error("tune: undo file %s: %s", undo_path, strerror(errno));
	}
	fprintf(u, UNDO_MAGIC "sysroot %s\n", root);
	for (int i = 0; i < pl->n; i++) {
		const struct nx_change *c = &pl->c[i];
		char val[160];
		int n;

		if (c->noop)
			continue;
		if (c->kind == NX_CH_IRQBALANCE) {
			fprintf(u, "irqbalance %d\n", c->pid);
			fflush(u);
			if (strcmp(root, "/")) {
				printf("  irqbalance: fake sysroot, pid %d not signalled\n", c->pid);
			} else if (kill(c->pid, SIGTERM) < 0) {
				fclose(u);
				return nx_error("tune: stopping irqbalance (pid %d): %s", c->pid,
						strerror(errno));
			}
			printf("  irqbalance: %s -> %s\n", c->cur, c->val);
			done++;
			continue;
		}
		if (nx_sysroot_path(root, c->rel, path, sizeof(path)) < 0 ||
		    undo_record_file(u, path, c) < 0) {
			fclose(u);
			return -1;
		}
		n = snprintf(val, sizeof(val), "%s\n", c->val);
		if (write_file(path, val, (size_t)n, !pseudo_fs(path)) < 0) {
			int e = errno;

			fclose(u);
			return nx_error("tune: write '%s' to %s: %s (undo file %s has the changes "
					"made so far)", c->val, path, strerror(e), undo_path);
		}
		printf("  %s: %s -> %s\n", c->what, c->cur, c->val);
		done++;
	}
	if (fclose(u))
		return nx_error("tune: undo file %s: %s", undo_path, strerror(errno));
	printf("%d change%s applied; undo with: nexit tune --undo %s\n", done,
	       done == 1 ? "" : "s", undo_path);
	return 0;
}

/* ---- restore ------------------------------------------------------------- */

struct rec {
	bool irqbalance;
	int pid;
	char rel[256];
	char *old, *val;	/* point into the undo buffer */
	size_t oldlen, vallen;
};

static int parse_undo(char *buf, size_t len, const char *upath, char *root, size_t rootn,
		      struct rec *recs, int max)
{
	char *p = buf, *end = buf + len, *nl;
	int n = 0;

	if (len < strlen(UNDO_MAGIC) || memcmp(buf, UNDO_MAGIC, strlen(UNDO_MAGIC)))
		return nx_error("tune --undo %s: not a nexit undo file", upath);
	p += strlen(UNDO_MAGIC);
	nl = memchr(p, '\n', (size_t)(end - p));
	if (!nl || strncmp(p, "sysroot ", 8) || (size_t)(nl - p - 8) >= rootn)
		return nx_error("tune --undo %s: no sysroot line", upath);
	memcpy(root, p + 8, (size_t)(nl - p - 8));
	root[nl - p - 8] = 0;
	p = nl + 1;
	while (p < end) {
		struct rec *r = &recs[n];
		size_t a, b;
		int used = 0;

		if (n >= max)
			return nx_error("tune --undo %s: too many records", upath);
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			return nx_error("tune --undo %s: truncated record", upath);
		*nl = 0;
		memset(r, 0, sizeof(*r));
		if (sscanf(p, "irqbalance %d%n", &r->pid, &used) == 1 && !p[used]) {
			r->irqbalance = true;
			p = nl + 1;
		} else if (sscanf(p, "file %255s %zu %zu%n", r->rel, &a, &b, &used) == 3 && !p[used]) {
			p = nl + 1;
			if ((size_t)(end - p) < a + b + 1 || p[a + b] != '\n')
				return nx_error("tune --undo %s: record for %s is truncated", upath, r->rel);
			r->old = p;
			r->oldlen = a;
			r->val = p + a;
			r->vallen = b;
			p += a + b + 1;
		} else {
			return nx_error("tune --undo %s: bad record '%.60s'", upath, p);
		}
		n++;
	}
	return n;
}

int nx_undo_restore(const char *undo_path)
{
	static const int max = 1024;
	char root[NX_TUNE_PATH], path[NX_TUNE_PATH];
	struct rec *recs = calloc((size_t)max, sizeof(*recs));
	char *buf = NULL;
	int fd, n, failed = 0;
	size_t len = 0;
	struct stat st;
	ssize_t r = 0;

	fd = open(undo_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		free(recs);
		if (fd >= 0)
			close(fd);
		return nx_error("tune --undo %s: %s", undo_path, strerror(errno));
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!recs || !buf) {
		free(recs);
		free(buf);
		close(fd);
		return nx_error("tune --undo: out of memory");
	}
	while (len < (size_t)st.st_size && (r = read(fd, buf + len, (size_t)st.st_size - len)) > 0)
		len += (size_t)r;
	close(fd);
	n = parse_undo(buf, len, undo_path, root, sizeof(root), recs, max);
	/* newest first, so a file changed twice ends with its first old content */
	for (int i = n - 1; i >= 0; i--) {
		struct rec *c = &recs[i];

		if (c->irqbalance) {
			printf("  irqbalance: was running (pid %d) before; start it again with the "
			       "init system (systemctl start irqbalance)\n", c->pid);
			continue;
		}
		if (nx_sysroot_path(root, c->rel, path, sizeof(path)) < 0) {
			failed++;
			continue;
		}
		if (pseudo_fs(path)) {
			char v[160];
			int k = snprintf(v, sizeof(v), "%.*s\n", (int)c->vallen, c->val);

			if (write_file(path, v, (size_t)k, false) < 0) {
				nx_warn("tune --undo: write '%.*s' to %s: %s", (int)c->vallen, c->val,
					path, strerror(errno));
				failed++;
				continue;
			}
		} else if (write_file(path, c->old, c->oldlen, true) < 0) {
			nx_warn("tune --undo: restore %s: %s", path, strerror(errno));
			failed++;
			continue;
		}
		printf("  %s: restored %.*s\n", c->rel, (int)c->vallen, c->val);
	}
	free(recs);
	free(buf);
	if (n < 0)
		return -1;
	if (failed)
		return nx_error("tune --undo %s: %d of %d records not restored", undo_path, failed, n);
	printf("%d record%s restored from %s\n", n, n == 1 ? "" : "s", undo_path);
	return 0;
}

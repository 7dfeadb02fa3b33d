/* SPDX-License-Identifier: MIT */
/*
 * sysroot.c - reading host files below a sysroot ("/" or a fake tree),
 * kernel command line lookup and CPU list parsing (the cpulist format of
 * Documentation/ABI: "0-3,8,10-11").
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "tune/tune.h"

int nx_sysroot_path(const char *sysroot, const char *rel, char *out, size_t n)
{
	int len;

	if (!sysroot || !strcmp(sysroot, "/") || !*sysroot)
		len = snprintf(out, n, "%s", rel);
	else
		len = snprintf(out, n, "%s%s%s", sysroot,
			       rel[0] == '/' ? "" : "/", rel);
	return (len < 0 || (size_t)len >= n) ? -1 : 0;
}

bool nx_sysroot_exists(const char *sysroot, const char *rel)
{
	char p[NX_TUNE_PATH];
	struct stat st;

	return nx_sysroot_path(sysroot, rel, p, sizeof(p)) == 0 && stat(p, &st) == 0;
}

ssize_t nx_sysroot_read(const char *sysroot, const char *rel, char *buf, size_t n)
{
	char p[NX_TUNE_PATH];
	size_t got = 0;
	ssize_t r;
	int fd;

	if (n == 0 || nx_sysroot_path(sysroot, rel, p, sizeof(p)) < 0)
		return -1;
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	/* sysfs/procfs files may return short reads: loop until EOF */
	while (got < n - 1) {
		r = read(fd, buf + got, n - 1 - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	buf[got] = 0;
	return (ssize_t)got;
}

int nx_sysroot_line(const char *sysroot, const char *rel, char *buf, size_t n)
{
	if (nx_sysroot_read(sysroot, rel, buf, n) < 0)
		return -1;
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

int nx_sysroot_long(const char *sysroot, const char *rel, long *v)
{
	char b[64], *end;

	if (nx_sysroot_line(sysroot, rel, b, sizeof(b)) < 0)
		return -1;
	errno = 0;
	*v = strtol(b, &end, 0);
	if (errno || end == b)
		return -1;
	return 0;
}

int nx_sysroot_bool(const char *sysroot, const char *rel)
{
	char b[16];

	if (nx_sysroot_line(sysroot, rel, b, sizeof(b)) < 0)
		return -1;
	/* module_param bool prints Y/N; int params used as bools print 0/1 */
	if (b[0] == 'Y' || b[0] == 'y' || b[0] == '1')
		return 1;
	if (b[0] == 'N' || b[0] == 'n' || b[0] == '0')
		return 0;
	return -1;
}

int nx_cmdline_get(const char *cmdline, const char *key, char *val, size_t n)
{
	size_t kl = strlen(key);
	const char *s = cmdline;
	int found = 0;

	if (val && n)
		val[0] = 0;
	/* The last occurrence wins, as for the kernel's own parsing. Stop at
	 * "--": what follows goes to init, not the kernel. */
	while (*s) {
		const char *e;

		while (*s == ' ' || *s == '\t' || *s == '\n')
			s++;
		e = s;
		while (*e && *e != ' ' && *e != '\t' && *e != '\n')
			e++;
		if (e - s == 2 && !strncmp(s, "--", 2))
			break;
		if ((size_t)(e - s) >= kl && !strncmp(s, key, kl) &&
		    (s[kl] == '=' || s + kl == e)) {
			found = 1;
			if (val && n) {
				size_t vl = s[kl] == '=' ? (size_t)(e - s) - kl - 1 : 0;

				if (vl >= n)
					vl = n - 1;
				memcpy(val, s + kl + (s[kl] == '='), vl);
				val[vl] = 0;
			}
		}
		s = e;
	}
	return found;
}

int nx_cpulist_parse(const char *s, uint64_t *mask)
{
	uint64_t m = 0;

	while (isspace((unsigned char)*s))
		s++;
	while (*s && *s != '\n') {
		char *end;
		long a, b;

		if (!isdigit((unsigned char)*s))
			return -1;
		a = strtol(s, &end, 10);
		b = a;
		s = end;
		if (*s == '-') {
			if (!isdigit((unsigned char)s[1]))
				return -1;
			b = strtol(s + 1, &end, 10);
			s = end;
		}
		if (a < 0 || b < a || b > 63)
			return -1;
		for (long i = a; i <= b; i++)
			m |= 1ULL << i;
		if (*s == ',')
			s++;
		else if (*s && *s != '\n' && !isspace((unsigned char)*s))
			return -1;
		while (isspace((unsigned char)*s) && *s != '\n')
			s++;
	}
	*mask = m;
	return 0;
}

void nx_cpulist_format(uint64_t mask, char *out, size_t n)
{
	size_t len = 0;

	out[0] = 0;
	for (int i = 0; i < 64; i++) {
		int j = i;

		if (!(mask & (1ULL << i)))
			continue;
		while (j + 1 < 64 && (mask & (1ULL << (j + 1))))
			j++;
		if (len < n)
			len += (size_t)snprintf(out + len, n - len, "%s%d", len ? "," : "", i);
		if (j > i && len < n)
			len += (size_t)snprintf(out + len, n - len, "-%d", j);
		i = j;
	}
}

/* SPDX-License-Identifier: MIT */
/*
 * profile.c - tuning profiles: INI files (libinih) with a [host] section
 * (what `nexit tune` changes on the host) and a [vm] section (what
 * `nexit run --profile` does to its own VM and vCPU threads).
 * Every key is validated; an unknown key or a bad value is an error that
 * names FILE:LINE, the key and what is accepted.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/vm.h"
#include "tune/tune.h"

#ifndef NX_PREFIX
#define NX_PREFIX "/usr/local"
#endif

void nx_profile_defaults(struct nx_profile *p)
{
	memset(p, 0, sizeof(*p));
	p->irqbalance = -1;
	p->hugepages_2m = p->hugepages_1g = NX_KEEP;
	p->host_halt_poll_ns = NX_KEEP;
	p->vm_halt_poll_ns = NX_KEEP;
	p->irq_affinity = NX_IRQAFF_KEEP;
	p->pin = NX_PIN_OFF;
}

struct pctx {
	struct nx_profile *p;
	const char *file;
	int bad;
};

static int bad(struct pctx *c, int line, const char *sec, const char *key,
	       const char *val, const char *accepted)
{
	nx_error("%s:%d: [%s] %s = '%s': expected %s", c->file, line, sec, key, val, accepted);
	c->bad = 1;
	return 0;
}

static int parse_bool(const char *v)
{
	static const char *yes[] = { "on", "yes", "true", "1" }, *no[] = { "off", "no", "false", "0" };

	for (int i = 0; i < 4; i++) {
		if (!strcasecmp(v, yes[i]))
			return 1;
		if (!strcasecmp(v, no[i]))
			return 0;
	}
	return -1;
}

/* Decimal integer in [lo, hi], the whole string. */
static int parse_long(const char *v, long lo, long hi, long *out)
{
	char *end;
	long x;

	if (!*v)
		return -1;
	errno = 0;
	x = strtol(v, &end, 10);
	if (errno || *end || x < lo || x > hi)
		return -1;
	*out = x;
	return 0;
}

static int one_of(const char *v, const char *const *list)
{
	for (int i = 0; list[i]; i++)
		if (!strcmp(v, list[i]))
			return i;
	return -1;
}

static int host_key(struct pctx *c, int line, const char *k, const char *v)
{
	static const char *const govs[] = { "keep", "performance", "powersave", "schedutil",
					    "ondemand", "conservative", "userspace", NULL };
	static const char *const thp[] = { "keep", "always", "madvise", "never", NULL };
	struct nx_profile *p = c->p;
	int b;

	if (!strcmp(k, "governor")) {
		if (one_of(v, govs) < 0)
			return bad(c, line, "host", k, v, "keep, performance, powersave, schedutil, "
				   "ondemand, conservative or userspace");
		snprintf(p->governor, sizeof(p->governor), "%s", strcmp(v, "keep") ? v : "");
	} else if (!strcmp(k, "irqbalance")) {
		if (!strcmp(v, "keep"))
			p->irqbalance = -1;
		else if ((b = parse_bool(v)) >= 0)
			p->irqbalance = b;
		else
			return bad(c, line, "host", k, v, "keep, on or off");
	} else if (!strcmp(k, "hugepages_2m") || !strcmp(k, "hugepages_1g")) {
		long *dst = k[10] == '2' ? &p->hugepages_2m : &p->hugepages_1g;

		if (!strcmp(v, "keep"))
			*dst = NX_KEEP;
		else if (parse_long(v, 0, 1L << 24, dst) < 0)
			return bad(c, line, "host", k, v, "keep or a number of pages (0-16777216)");
	} else if (!strcmp(k, "halt_poll_ns")) {
		if (!strcmp(v, "keep"))
			p->host_halt_poll_ns = NX_KEEP;
		else if (parse_long(v, 0, 1000000000L, &p->host_halt_poll_ns) < 0)
			return bad(c, line, "host", k, v, "keep or nanoseconds (0-1000000000)");
	} else if (!strcmp(k, "thp")) {
		if (one_of(v, thp) < 0)
			return bad(c, line, "host", k, v, "keep, always, madvise or never");
		snprintf(p->thp, sizeof(p->thp), "%s", strcmp(v, "keep") ? v : "");
	} else if (!strcmp(k, "sched_rt_runtime_us")) {
		p->set_rt_runtime = strcmp(v, "keep") != 0;
		/* sched-rt-group.rst: -1 = no RT throttling, else <= period (1 s default) */
		if (p->set_rt_runtime && parse_long(v, -1, 1000000, &p->rt_runtime_us) < 0)
			return bad(c, line, "host", k, v, "keep, -1 (no RT throttling) or "
				   "microseconds (0-1000000)");
	} else if (!strcmp(k, "irq_affinity")) {
		if (!strcmp(v, "keep")) {
			p->irq_affinity = NX_IRQAFF_KEEP;
		} else if (!strcmp(v, "auto")) {
			p->irq_affinity = NX_IRQAFF_AUTO;
		} else if (nx_cpulist_parse(v, &p->irq_cpus) == 0 && p->irq_cpus) {
			p->irq_affinity = NX_IRQAFF_LIST;
		} else {
			return bad(c, line, "host", k, v, "keep, auto (the vCPUs' CPUs) or a CPU "
				   "list like 2-3");
		}
	} else {
		nx_error("%s:%d: unknown key '%s' in [host] (accepted: governor, irqbalance, "
			 "hugepages_2m, hugepages_1g, halt_poll_ns, thp, sched_rt_runtime_us, "
			 "irq_affinity)", c->file, line, k);
		c->bad = 1;
		return 0;
	}
	return 1;
}

static int vm_key(struct pctx *c, int line, const char *k, const char *v)
{
	struct nx_profile *p = c->p;
	long x;
	int b;

	if (!strcmp(k, "pin_vcpus")) {
		uint64_t m;

		if (!strcmp(v, "off") || !strcmp(v, "no")) {
			p->pin = NX_PIN_OFF;
		} else if (!strcmp(v, "1:1")) {
			p->pin = NX_PIN_1TO1;
		} else if (nx_cpulist_parse(v, &m) == 0 && m) {
			/* an explicit list keeps its order: "3,2" puts vCPU0 on CPU3 */
			const char *s = v;

			p->pin = NX_PIN_LIST;
			p->npin = 0;
			while (*s && p->npin < 64) {
				char *end;
				long a = strtol(s, &end, 10), z = a;

				if (*end == '-')
					z = strtol(end + 1, &end, 10);
				for (long i = a; i <= z && p->npin < 64; i++)
					p->pin_list[p->npin++] = (int)i;
				s = *end == ',' ? end + 1 : end;
				while (isspace((unsigned char)*s))
					s++;
			}
		} else {
			return bad(c, line, "vm", k, v, "off, 1:1 or a CPU list like 2,3");
		}
	} else if (!strcmp(k, "isolated_only")) {
		if ((b = parse_bool(v)) < 0)
			return bad(c, line, "vm", k, v, "yes or no");
		p->isolated_only = b;
	} else if (!strcmp(k, "sched_fifo")) {
		/* sched(7): SCHED_FIFO static priorities are 1..99 */
		if (parse_long(v, 0, 99, &x) < 0)
			return bad(c, line, "vm", k, v, "0 (SCHED_OTHER) or a SCHED_FIFO priority 1-99");
		p->sched_fifo = (int)x;
	} else if (!strcmp(k, "mlock") || !strcmp(k, "hugepages")) {
		if ((b = parse_bool(v)) < 0)
			return bad(c, line, "vm", k, v, "on or off");
		*(k[0] == 'm' ? &p->mlock : &p->hugepages) = b;
	} else if (!strcmp(k, "halt_poll_ns")) {
		if (!strcmp(v, "default"))
			p->vm_halt_poll_ns = NX_KEEP;
		else if (parse_long(v, 0, UINT32_MAX, &p->vm_halt_poll_ns) < 0)
			/* KVM_CAP_HALT_POLL takes a u32 in args[0] */
			return bad(c, line, "vm", k, v, "default or nanoseconds (0-4294967295)");
	} else {
		nx_error("%s:%d: unknown key '%s' in [vm] (accepted: pin_vcpus, isolated_only, "
			 "sched_fifo, mlock, hugepages, halt_poll_ns)", c->file, line, k);
		c->bad = 1;
		return 0;
	}
	return 1;
}

static int profile_line(void *user, const char *sec, const char *k, const char *v, int line)
{
	struct pctx *c = user;

	if (c->bad)
		return 0;
	if (!strcmp(sec, "host"))
		return host_key(c, line, k, v);
	if (!strcmp(sec, "vm"))
		return vm_key(c, line, k, v);
	if (!strcmp(sec, "profile")) {
		if (!strcmp(k, "description"))
			return 1;
		nx_error("%s:%d: unknown key '%s' in [profile] (accepted: description)",
			 c->file, line, k);
	} else {
		nx_error("%s:%d: key '%s' in unknown section [%s] (accepted sections: [profile], "
			 "[host], [vm])", c->file, line, k, sec);
	}
	c->bad = 1;
	return 0;
}

int nx_profile_parse(struct nx_profile *p, const char *path)
{
	struct pctx c = { p, path, 0 };
	const char *base = strrchr(path, '/');
	int r;

	nx_profile_defaults(p);
	snprintf(p->path, sizeof(p->path), "%s", path);
	snprintf(p->name, sizeof(p->name), "%.*s", (int)strcspn(base ? base + 1 : path, "."),
		 base ? base + 1 : path);
	r = nx_ini_parse_lines(path, profile_line, &c);
	if (r < 0)
		return nx_error("profile %s: %s", path, strerror(errno));
	if (c.bad)
		return -1;
	if (r > 0)
		return nx_error("%s:%d: not a '[section]' or 'key = value' line", path, r);
	return 0;
}

static bool is_file(const char *p)
{
	return access(p, R_OK) == 0;
}

int nx_profile_find(const char *name, char *out, size_t n)
{
	char exe[NX_TUNE_PATH], *slash;
	ssize_t len;

	if (strchr(name, '/') || strstr(name, ".ini")) {
		if (!is_file(name))
			return nx_error("profile %s: %s", name, strerror(errno));
		snprintf(out, n, "%s", name);
		return 0;
	}
	for (const char *s = name; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_')
			return nx_error("profile name '%s': use letters, digits, '-' and '_', "
					"or give a path", name);
	/* A bare name is looked up only where nexit itself lives, never in the
	 * current directory (a file planted there would pick host settings). */
	len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (len > 0) {
		exe[len] = 0;
		slash = strrchr(exe, '/');
		if (slash) {
			*slash = 0;
			/* build/nexit, build/asan/nexit, build/asan/tests/... ->
			 * tune/profiles of the source tree it was built in */
			for (int up = 1; up <= 3; up++) {
				char rel[16] = "";

				for (int k = 0; k < up; k++)
					strcat(rel, "/..");
				if (snprintf(out, n, "%s%s/tune/profiles/%s.ini", exe, rel, name) < (int)n &&
				    is_file(out))
					return 0;
			}
			/* PREFIX/bin/nexit -> PREFIX/share/nexit/profiles */
			if (snprintf(out, n, "%s/../share/nexit/profiles/%s.ini", exe, name) < (int)n &&
			    is_file(out))
				return 0;
		}
	}
	snprintf(out, n, "%s/share/nexit/profiles/%s.ini", NX_PREFIX, name);
	if (is_file(out))
		return 0;
	return nx_error("profile '%s' not found (looked next to the nexit binary and in "
			"%s/share/nexit/profiles; profiles: latency, throughput, appliance; "
			"a file of your own: give its path, e.g. ./%s.ini)", name, NX_PREFIX, name);
}

int nx_profile_resolve(struct nx_profile *p, const char *sysroot)
{
	char b[256], s[64];
	uint64_t online = 0, isolated = 0, pool;

	p->ncpus = 0;
	if (nx_sysroot_line(sysroot, "/sys/devices/system/cpu/online", b, sizeof(b)) < 0 ||
	    nx_cpulist_parse(b, &online) < 0)
		online = 1;	/* unknown: assume CPU 0 only */
	if (nx_sysroot_line(sysroot, "/sys/devices/system/cpu/isolated", b, sizeof(b)) == 0)
		nx_cpulist_parse(b, &isolated);
	nx_cpulist_format(online, s, sizeof(s));

	switch (p->pin) {
	case NX_PIN_OFF:
		return 0;
	case NX_PIN_LIST:
		for (int i = 0; i < p->npin; i++) {
			if (p->pin_list[i] > 63 || !(online & (1ULL << p->pin_list[i])))
				return nx_error("%s: [vm] pin_vcpus names CPU %d, which is not online "
						"(online: %s)", p->path, p->pin_list[i], s);
			if (p->isolated_only && isolated && !(isolated & (1ULL << p->pin_list[i])))
				return nx_error("%s: [vm] pin_vcpus names CPU %d, which is not isolated "
						"and isolated_only = yes", p->path, p->pin_list[i]);
			p->cpus[p->ncpus++] = p->pin_list[i];
		}
		return 0;
	case NX_PIN_1TO1:
		pool = online & isolated;
		if (!p->isolated_only || !pool) {
			if (p->isolated_only)
				nx_warn("profile %s: no isolated CPUs (isolcpus=, cpu/isolated empty): "
					"pinning vCPUs 1:1 on online CPUs %s", p->name, s);
			pool = online;
		}
		/* isolated CPUs in order; from all online ones, CPU 0 (the usual
		 * housekeeping CPU, it takes the timer and unbound work) goes last */
		for (int c = 0; c < 64; c++)
			if ((pool & (1ULL << c)) && !(c == 0 && pool == online && online != 1))
				p->cpus[p->ncpus++] = c;
		if (pool == online && (online & 1) && online != 1)
			p->cpus[p->ncpus++] = 0;
		return 0;
	}
	return 0;
}

int nx_profile_vcpu_cpu(const struct nx_profile *p, int id)
{
	if (p->pin == NX_PIN_OFF || p->ncpus <= 0 || id < 0)
		return -1;
	return p->cpus[id % p->ncpus];
}

int nx_profile_load(const char *name, struct nx_profile *p)
{
	char path[NX_TUNE_PATH];

	if (nx_profile_find(name, path, sizeof(path)) < 0 || nx_profile_parse(p, path) < 0)
		return -1;
	return nx_profile_resolve(p, "/");
}

/* SPDX-License-Identifier: MIT */
/*
 * config.c - the one INI file a VM is booted from (libinih), and the same
 * keys as CLI flags. Every error names where (file:line or --flag), the key
 * and what is accepted; nothing falls back to a silent default.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <ini.h>
#include <stdio.h>
#include "core/arch.h"
#include "core/config.h"
#include "core/log.h"
#include "core/sandbox.h"
#include "core/serial.h"

#define INI_LINE_MAX 199	/* libinih as Debian builds it: INI_MAX_LINE 200 */

void nx_config_defaults(struct nx_config *c)
{
	memset(c, 0, sizeof(*c));
	c->mem_bytes = 256ull << 20;
	c->cpus = 1;
	c->irqchip = NX_IRQCHIP_SPLIT;
	c->defaults = true;
	c->stop_grace_s = 30;
	c->serial_rate = NX_SERIAL_RATE;
}

int nx_parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	unsigned shift = 0;

	if (!s || !isdigit((unsigned char)s[0]))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -1;
	switch (toupper((unsigned char)*end)) {
	case 'K': shift = 10; end++; break;
	case 'M': shift = 20; end++; break;
	case 'G': shift = 30; end++; break;
	case 'T': shift = 40; end++; break;
	case 0: break;
	default: return -1;
	}
	if (*end == 'i' || *end == 'B')		/* accept 256MiB / 256MB too */
		end += (*end == 'i' && end[1] == 'B') ? 2 : 1;
	if (*end || (shift && v > (~0ull >> shift)))
		return -1;
	*out = v << shift;
	return 0;
}

static int parse_int(const char *s, long lo, long hi, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

static int parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "1", "on", "yes", "true" };
	static const char *const no[] = { "0", "off", "no", "false" };

	for (int i = 0; i < 4; i++) {
		if (!strcasecmp(s, yes[i])) { *out = true; return 0; }
		if (!strcasecmp(s, no[i])) { *out = false; return 0; }
	}
	return -1;
}

static int copy_str(char *dst, size_t n, const char *v, const char *where, const char *key)
{
	if (strlen(v) >= n)
		return nx_error("%s: %s is too long (at most %zu characters)", where, key, n - 1);
	strcpy(dst, v);
	return 0;
}

#define BAD(what) nx_error("%s: bad value '%s' for %s.%s: expected %s", where, value, section, key, what)
#define UNKNOWN(accepted) nx_error("%s: unknown key '%s' in [%s]: accepted keys are %s", where, key, section, accepted)

static int set_vm(struct nx_config *c, const char *section, const char *key, const char *value,
		  const char *where)
{
	long n;

	if (!strcmp(key, "memory")) {
		if (nx_parse_size(value, &c->mem_bytes) < 0 || c->mem_bytes == 0)
			return BAD("a size > 0 such as 256M or 1G");
	} else if (!strcmp(key, "cpus")) {
		if (parse_int(value, 1, NX_MAX_CPUS, &n) < 0)
			return BAD("a number of vCPUs from 1 to 64");
		c->cpus = (int)n;
	} else if (!strcmp(key, "irqchip")) {
		if (!strcmp(value, "split"))
			c->irqchip = NX_IRQCHIP_SPLIT;
		else if (!strcmp(value, "kernel"))
			c->irqchip = NX_IRQCHIP_KERNEL;
		else
			return BAD("split or kernel");
	} else if (!strcmp(key, "hugepages")) {
		if (parse_bool(value, &c->hugepages) < 0)
			return BAD("on or off");
	} else if (!strcmp(key, "timeout")) {
		if (parse_int(value, 0, 86400, &n) < 0)
			return BAD("seconds from 0 (none) to 86400");
		c->timeout_s = (int)n;
	} else if (!strcmp(key, "stop_grace")) {
		if (parse_int(value, 0, 3600, &n) < 0)
			return BAD("seconds from 0 (stop at once) to 3600");
		c->stop_grace_s = (int)n;
	} else if (!strcmp(key, "defaults")) {
		if (parse_bool(value, &c->defaults) < 0)
			return BAD("on or off");
	} else if (!strcmp(key, "profile")) {
		return copy_str(c->profile, sizeof(c->profile), value, where, key);
	} else if (!strcmp(key, "sandbox")) {
		if (!strcmp(value, "on"))
			c->sandbox = NX_SANDBOX_ON;
		else if (!strcmp(value, "off"))
			c->sandbox = NX_SANDBOX_OFF;
		else if (!strcmp(value, "log"))
			c->sandbox = NX_SANDBOX_LOG;
		else
			return BAD("on, off or log");
	} else if (!strcmp(key, "user")) {
		return copy_str(c->user, sizeof(c->user), value, where, key);
	} else {
		return UNKNOWN("memory, cpus, irqchip, hugepages, timeout, stop_grace, defaults, "
			       "profile, sandbox, user");
	}
	return 0;
}

static int set_cpuid_hide(struct nx_config *c, const char *section, const char *key,
			  const char *value, const char *where)
{
	char buf[512], *save = NULL;

	if (copy_str(buf, sizeof(buf), value, where, key) < 0)
		return -1;
	c->ncpuid_hide = 0;
	for (char *t = strtok_r(buf, ", ", &save); t; t = strtok_r(NULL, ", ", &save)) {
		if (nx_cpuid_hide_valid(t) < 0)
			return nx_error("%s: unknown CPUID feature '%s' in %s.%s: known are %s", where, t,
					section, key, nx_cpuid_feature_list());
		if (c->ncpuid_hide == NX_MAX_CPUID_HIDE)
			return nx_error("%s: too many features in %s.%s (at most %d)", where, section,
					key, NX_MAX_CPUID_HIDE);
		snprintf(c->cpuid_hide[c->ncpuid_hide++], sizeof(c->cpuid_hide[0]), "%s", t);
	}
	return 0;
}

/* [device "name"]: the device keys every device type understands. */
static const char *const device_opts[] = {
	"slot", "msi", "intx", "wait", "storm_budget", "storm_window_ms", "storm_backoff_ms",
	"msi_budget", "msi_window_ms", "msi_backoff_ms", "queues", "mac", "tap", "path", "readonly", "serial", NULL
};

static struct nx_device_cfg *device(struct nx_config *c, const char *name, const char *where)
{
	for (int i = 0; i < c->ndevices; i++)
		if (!strcmp(c->devices[i].name, name))
			return &c->devices[i];
	if (c->ndevices == NX_MAX_DEVICES)
		return nx_error_null("%s: too many devices (at most %d)", where, NX_MAX_DEVICES);
	if (strlen(name) >= sizeof(c->devices[0].name) || !name[0])
		return nx_error_null("%s: device name '%s' must be 1 to 31 characters", where, name);
	strcpy(c->devices[c->ndevices].name, name);
	return &c->devices[c->ndevices++];
}

static int set_device(struct nx_config *c, const char *section, const char *name,
		      const char *key, const char *value, const char *where)
{
	struct nx_device_cfg *d = device(c, name, where);
	size_t used;

	if (!d)
		return -1;
	if (!strcmp(key, "type")) {
		if (strcmp(value, "irqdev") && strcmp(value, "virtio-net") &&
		    strcmp(value, "virtio-blk") && strcmp(value, "vfio"))
			return BAD("irqdev, virtio-net, virtio-blk or vfio");
		return copy_str(d->type, sizeof(d->type), value, where, key);
	}
	if (!strcmp(key, "assign")) {
		unsigned dom, bus, dev, fn;
		char tail;
		if (sscanf(value, "%x:%x:%x.%x%c", &dom, &bus, &dev, &fn, &tail) != 4 &&
		    sscanf(value, "%x:%x.%x%c", &bus, &dev, &fn, &tail) != 3)
			return BAD("a PCI address DDDD:BB:DD.F or BB:DD.F");
		if (!d->type[0])
			strcpy(d->type, "vfio");
		return copy_str(d->assign, sizeof(d->assign), value, where, key);
	}
	if (!strcmp(key, "backend"))
		return copy_str(d->backend, sizeof(d->backend), value, where, key);
	for (int i = 0; device_opts[i]; i++) {
		if (strcmp(key, device_opts[i]))
			continue;
		used = strlen(d->opts);
		if (used + strlen(key) + strlen(value) + 3 > sizeof(d->opts))
			return nx_error("%s: too many options for device %s", where, name);
		snprintf(d->opts + used, sizeof(d->opts) - used, "%s%s=%s", used ? " " : "", key, value);
		return 0;
	}
	return UNKNOWN("type, assign, backend, slot, msi, intx, wait, storm_budget, "
		       "storm_window_ms, storm_backoff_ms, msi_budget, msi_window_ms, "
		       "msi_backoff_ms, queues, mac, tap, path, readonly, serial");
}

int nx_config_set(struct nx_config *c, const char *section, const char *key,
		  const char *value, const char *where)
{
	char devname[64];

	if (!strcmp(section, "vm"))
		return set_vm(c, section, key, value, where);
	if (!strcmp(section, "kernel")) {
		if (!strcmp(key, "path"))
			return copy_str(c->kernel, sizeof(c->kernel), value, where, key);
		if (!strcmp(key, "initrd"))
			return copy_str(c->initrd, sizeof(c->initrd), value, where, key);
		if (!strcmp(key, "cmdline"))
			return copy_str(c->cmdline, sizeof(c->cmdline), value, where, key);
		return UNKNOWN("path, initrd, cmdline");
	}
	if (!strcmp(section, "serial")) {
		if (!strcmp(key, "output"))
			return copy_str(c->serial_out, sizeof(c->serial_out), value, where, key);
		if (!strcmp(key, "rate")) {
			if (nx_parse_size(value, &c->serial_rate) < 0)
				return BAD("bytes per second such as 1M, or 0 for no limit");
			return 0;
		}
		return UNKNOWN("output, rate");
	}
	if (!strcmp(section, "stats")) {
		if (!strcmp(key, "json"))
			return copy_str(c->stats_json, sizeof(c->stats_json), value, where, key);
		return UNKNOWN("json");
	}
	if (!strcmp(section, "control")) {
		if (!strcmp(key, "socket"))
			return copy_str(c->control, sizeof(c->control), value, where, key);
		return UNKNOWN("socket");
	}
	if (!strcmp(section, "cpuid")) {
		if (!strcmp(key, "hide"))
			return set_cpuid_hide(c, section, key, value, where);
		return UNKNOWN("hide");
	}
	/* [image] belongs to `nexit image` (image/cli.c), which reads the same file. */
	if (!strcmp(section, "image"))
		return 0;
	/* [device "name"] (inih hands us the bracket contents verbatim). */
	if (sscanf(section, "device \"%63[^\"]\"", devname) == 1 &&
	    section[strlen(section) - 1] == '"')
		return set_device(c, section, devname, key, value, where);
	return nx_error("%s: unknown section [%s]: accepted are [vm], [kernel], [serial], [stats], "
			"[control], [cpuid], [device \"name\"], [image]", where, section);
}

bool nx_config_shared_ram(const struct nx_config *c)
{
	/* virtio-net's vhost-user backend maps the RAM memfd; backend = tap
	 * (the kernel's vhost-net) works in nexit's own address space. */
	for (int i = 0; i < c->ndevices; i++)
		if (!strcmp(c->devices[i].type, "virtio-net") && strcmp(c->devices[i].backend, "tap"))
			return true;
	return false;
}

struct load_ctx {
	struct nx_config *c;
	const char *path;
	bool failed;
};

static int on_ini_key(void *user, const char *section, const char *key, const char *value)
{
	struct load_ctx *x = user;
	char where[4200];

	if (x->failed)
		return 1;
	/* Debian's libinih is built without INI_HANDLER_LINENO: find the line
	 * ourselves so the message can name it. */
	snprintf(where, sizeof(where), "%s:%d", x->path, nx_config_find_line(x->path, section, key));
	if (nx_config_set(x->c, section, key, value, where) < 0) {
		x->failed = true;
		return 0;
	}
	return 1;
}

/* Line number of `key` inside [section] (1-based), for error messages. */
int nx_config_find_line(const char *path, const char *section, const char *key)
{
	FILE *f = fopen(path, "r");
	char buf[1024], cur[256] = "";
	int n = 0, found = 0;

	if (!f)
		return 0;
	while (fgets(buf, sizeof(buf), f)) {
		char *s = buf, *e;

		n++;
		while (isspace((unsigned char)*s))
			s++;
		if (*s == '[' && (e = strrchr(s, ']'))) {
			*e = 0;
			snprintf(cur, sizeof(cur), "%s", s + 1);
			continue;
		}
		if (!strcmp(cur, section) && !strncmp(s, key, strlen(key)) &&
		    (isspace((unsigned char)s[strlen(key)]) || s[strlen(key)] == '=' ||
		     s[strlen(key)] == ':')) {
			found = n;	/* the last one wins, as in nx_config_set */
		}
	}
	fclose(f);
	return found;
}

/* inih silently splits lines longer than its buffer: refuse them up front. */
static int check_line_lengths(const char *path)
{
	FILE *f = fopen(path, "r");
	int c, len = 0, line = 1;

	if (!f)
		return nx_error("config %s: %s", path, strerror(errno));
	while ((c = fgetc(f)) != EOF) {
		if (c == '\n') {
			line++;
			len = 0;
		} else if (++len > INI_LINE_MAX) {
			fclose(f);
			return nx_error("%s:%d: line longer than %d characters", path, line, INI_LINE_MAX);
		}
	}
	fclose(f);
	return 0;
}

int nx_config_load(struct nx_config *c, const char *path)
{
	struct load_ctx x = { .c = c, .path = path };
	int r;

	if (check_line_lengths(path) < 0)
		return -1;
	r = ini_parse(path, on_ini_key, &x);
	if (x.failed)
		return -1;
	if (r < 0)
		return nx_error("config %s: cannot read it", path);
	if (r > 0)
		return nx_error("%s:%d: malformed line: expected [section], key = value or a comment",
				path, r);
	return 0;
}

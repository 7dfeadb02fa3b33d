/* SPDX-License-Identifier: MIT */
/*
 * config.h - what a VM is made of, from an INI file or nexit run's flags
 * (core/config.c; libinih).
 */
#ifndef NEXIT_CORE_CONFIG_H
#define NEXIT_CORE_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#define NX_MAX_CPUS	64
#define NX_MAX_DEVICES	16
#define NX_MAX_CPUID_HIDE 16

enum nx_irqchip { NX_IRQCHIP_SPLIT = 0, NX_IRQCHIP_KERNEL = 1 };

struct nx_device_cfg {
	char name[32];
	char type[32];		/* "irqdev", "virtio-net", ... ("" = assign) */
	char assign[32];	/* VFIO BDF, e.g. 0000:00:03.0               */
	char backend[256];	/* unix socket of an out-of-process backend  */
	char opts[256];		/* free-form key=value list for the device   */
};

struct nx_config {
	uint64_t mem_bytes;
	int cpus;
	enum nx_irqchip irqchip;
	bool hugepages;
	char kernel[4096];
	char initrd[4096];
	char cmdline[4096];
	char serial_out[4096];	/* "" or "stdio" = stdout, else a file path */
	uint64_t serial_rate;	/* guest output bytes/s the host takes, 0 = any */
	char stats_json[4096];
	char control[4096];	/* control socket path (nexit stat)          */
	char profile[4096];	/* a profile name, or the path of a profile file */
	char cpuid_hide[NX_MAX_CPUID_HIDE][16];	/* feature names, e.g. "cx16" */
	int ncpuid_hide;
	struct nx_device_cfg devices[NX_MAX_DEVICES];
	int ndevices;
	int timeout_s;		/* 0 = none; guest killed after this */
	int stop_grace_s;	/* SIGTERM / nexit stop: power button, then this long */
	bool defaults;		/* default devices (one irqdev) when none is configured */
	int sandbox;		/* enum nx_sandbox_mode */
	char user[64];		/* drop to this user after set-up ("" = stay) */
};

void nx_config_defaults(struct nx_config *c);
/* Parses an INI file into c (libinih). Errors name file:line and the key. */
int  nx_config_load(struct nx_config *c, const char *path);
/* Applies one key of a section, as from the INI or a CLI flag. where = "file:line" or "--flag". */
int  nx_config_set(struct nx_config *c, const char *section, const char *key,
		   const char *value, const char *where);
int  nx_parse_size(const char *s, uint64_t *out);	/* "256M", "1G", "4096" */
int  nx_config_find_line(const char *path, const char *section, const char *key);
/* True if a device maps guest RAM from another process (vhost-user). */
bool nx_config_shared_ram(const struct nx_config *c);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * host.c - what results.json says about the machine: kernel, CPU, which
 * KVM module provides /dev/kvm, the QEMU version, the date and the command.
 */
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include "core/vm.h"
#include "bench/bench.h"

static void first_line_of(const char *cmd, char *buf, size_t sz)
{
	FILE *p = popen(cmd, "r");

	buf[0] = 0;
	if (!p)
		return;
	if (fgets(buf, sz, p))
		buf[strcspn(buf, "\n")] = 0;
	pclose(p);
}

static void cpu_model(char *buf, size_t sz)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[256];

	snprintf(buf, sz, "unknown");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *c = strchr(line, ':');

		if (!strncmp(line, "model name", 10) && c) {
			c++;
			while (*c == ' ')
				c++;
			c[strcspn(c, "\n")] = 0;
			snprintf(buf, sz, "%s", c);
			break;
		}
	}
	fclose(f);
}

/* The vendor module behind /dev/kvm (kvm_pvm here: software nested
 * virtualization, see docs/machine.md). */
static void kvm_module(char *buf, size_t sz)
{
	static const char *const mods[] = { "kvm_pvm", "kvm_intel", "kvm_amd" };

	snprintf(buf, sz, "%s", access("/dev/kvm", R_OK | W_OK) ? "none" : "unknown");
	for (unsigned i = 0; i < sizeof(mods) / sizeof(mods[0]); i++) {
		char p[64];

		snprintf(p, sizeof(p), "/sys/module/%s", mods[i]);
		if (!access(p, F_OK)) {
			snprintf(buf, sz, "%s", mods[i]);
			return;
		}
	}
}

void nxb_host_probe(struct nxb_host *h, const struct nxb_opts *o, int argc, char **argv)
{
	struct utsname u;
	time_t t = time(NULL);
	char cmd[4200];
	size_t len = 0;

	memset(h, 0, sizeof(*h));
	if (!uname(&u))
		snprintf(h->kernel, sizeof(h->kernel), "%.20s %.100s", u.sysname, u.release);
	cpu_model(h->cpu, sizeof(h->cpu));
	h->ncpus = (int)sysconf(_SC_NPROCESSORS_ONLN);
	kvm_module(h->kvm, sizeof(h->kvm));
	snprintf(cmd, sizeof(cmd), "'%s' --version 2>/dev/null", o->qemu);
	first_line_of(cmd, h->qemu_version, sizeof(h->qemu_version));
	if (!h->qemu_version[0])
		snprintf(h->qemu_version, sizeof(h->qemu_version), "not found (%.100s)", o->qemu);
	first_line_of("git rev-parse --short HEAD 2>/dev/null", h->nexit_version,
		      sizeof(h->nexit_version));
	strftime(h->date, sizeof(h->date), "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
	len = snprintf(h->command, sizeof(h->command), "nexit");
	for (int i = 0; i < argc && len < sizeof(h->command); i++)
		len += snprintf(h->command + len, sizeof(h->command) - len, " %s", argv[i]);
}

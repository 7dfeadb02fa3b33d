/* SPDX-License-Identifier: MIT */
/*
 * plan.c - what a profile's [host] section changes on this host: one entry
 * per file with its current and new value. `nexit tune` prints the plan
 * (dry run) or applies it with an undo file (undo.c).
 */
#include <ctype.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/vm.h"
#include "tune/tune.h"

static void note(struct nx_plan *pl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(struct nx_plan *pl, const char *fmt, ...)
{
	va_list ap;

	if (pl->nnotes >= (int)(sizeof(pl->notes) / sizeof(pl->notes[0])))
		return;
	va_start(ap, fmt);
	vsnprintf(pl->notes[pl->nnotes++], sizeof(pl->notes[0]), fmt, ap);
	va_end(ap);
}

static struct nx_change *add(struct nx_plan *pl, const char *what, const char *rel,
			     const char *cur, const char *val)
{
	struct nx_change *c;

	if (pl->n >= NX_MAX_CHANGES)
		return NULL;
	c = &pl->c[pl->n++];
	memset(c, 0, sizeof(*c));
	c->kind = NX_CH_FILE;
	snprintf(c->what, sizeof(c->what), "%s", what);
	snprintf(c->rel, sizeof(c->rel), "%s", rel);
	snprintf(c->cur, sizeof(c->cur), "%s", cur);
	snprintf(c->val, sizeof(c->val), "%s", val);
	c->noop = !strcmp(cur, val);
	return c;
}

/* A sysfs/procfs knob holding one value: change it if the file exists. */
static void knob(struct nx_plan *pl, const struct nx_host *h, const char *what,
		 const char *rel, const char *val)
{
	char cur[128];

	if (nx_sysroot_line(h->sysroot, rel, cur, sizeof(cur)) < 0) {
		note(pl, "%s: %s is missing on this host", what, rel);
		return;
	}
	add(pl, what, rel, cur, val);
}

static void plan_governor(struct nx_plan *pl, const struct nx_profile *p, const struct nx_host *h)
{
	if (!p->governor[0])
		return;
	if (!h->cpufreq) {
		note(pl, "governor: no cpufreq on this host (no cpu*/cpufreq in sysfs)");
		return;
	}
	for (int c = 0; c < 64; c++) {
		char rel[96], what[64], avail[256];

		if (!(h->online & (1ULL << c)))
			continue;
		snprintf(rel, sizeof(rel), "/sys/devices/system/cpu/cpu%d/cpufreq/"
			 "scaling_available_governors", c);
		/* cpufreq only accepts governors it lists (cpufreq.rst) */
		if (nx_sysroot_line(h->sysroot, rel, avail, sizeof(avail)) == 0) {
			char pad[260];

			snprintf(pad, sizeof(pad), " %s ", avail);
			snprintf(what, sizeof(what), " %s ", p->governor);
			if (!strstr(pad, what)) {
				note(pl, "cpu%d governor: %s is not among '%s'", c,
				     p->governor, avail);
				continue;
			}
		}
		snprintf(rel, sizeof(rel), "/sys/devices/system/cpu/cpu%d/cpufreq/scaling_governor", c);
		snprintf(what, sizeof(what), "cpu%d governor", c);
		if (nx_sysroot_exists(h->sysroot, rel))
			knob(pl, h, what, rel, p->governor);
	}
}

/* vfio-msi[N](BDF), vfio-msix[N](BDF), vfio-intx(BDF): the host IRQs VFIO
 * requests for an assigned device (drivers/vfio/pci/vfio_pci_intrs.c). */
static int vfio_irqs(const struct nx_host *h, int *irqs, int max)
{
	static const size_t cap = 1 << 18;
	char *buf = malloc(cap);
	int n = 0;

	if (!buf || nx_sysroot_read(h->sysroot, "/proc/interrupts", buf, cap) < 0) {
		free(buf);
		return 0;
	}
	for (char *l = buf; l && *l && n < max; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		char *end, *nl = strchr(l, '\n');
		long irq = strtol(l, &end, 10);

		if (end == l || *end != ':')
			continue;
		if (nl)
			*nl = 0;
		if (strstr(end, "vfio-"))
			irqs[n++] = (int)irq;
		if (nl)
			*nl = '\n';
	}
	free(buf);
	return n;
}

static void plan_irq_affinity(struct nx_plan *pl, const struct nx_profile *p,
			      const struct nx_host *h)
{
	int irqs[64], n, cpus[64], ncpus = 0;

	if (p->irq_affinity == NX_IRQAFF_KEEP)
		return;
	if (p->irq_affinity == NX_IRQAFF_AUTO) {
		/* the pCPUs of the vCPUs: an MSI for vCPU i is taken on vCPU i's CPU */
		for (int i = 0; i < p->ncpus; i++)
			cpus[ncpus++] = p->cpus[i];
		for (int c = 0; c < 64 && !ncpus; c++)
			if (h->isolated & (1ULL << c))
				cpus[ncpus++] = c;
		if (!ncpus) {
			note(pl, "irq_affinity = auto: no pinned vCPUs and no isolated CPUs");
			return;
		}
	}
	n = vfio_irqs(h, irqs, 64);
	if (!n) {
		note(pl, "irq_affinity: no vfio-* IRQs in /proc/interrupts now (VFIO requests them "
		     "when the guest enables MSI; run nexit tune again while the VM runs)");
		return;
	}
	for (int i = 0; i < n; i++) {
		char rel[64], what[64], val[128];

		snprintf(rel, sizeof(rel), "/proc/irq/%d/smp_affinity_list", irqs[i]);
		snprintf(what, sizeof(what), "irq %d affinity", irqs[i]);
		if (p->irq_affinity == NX_IRQAFF_LIST)
			nx_cpulist_format(p->irq_cpus, val, sizeof(val));
		else
			snprintf(val, sizeof(val), "%d", cpus[i % ncpus]);
		knob(pl, h, what, rel, val);
	}
}

int nx_plan_build(struct nx_plan *pl, const struct nx_profile *p, const struct nx_host *h)
{
	char v[64];

	memset(pl, 0, sizeof(*pl));
	plan_governor(pl, p, h);
	if (p->hugepages_2m != NX_KEEP) {
		snprintf(v, sizeof(v), "%ld", p->hugepages_2m);
		knob(pl, h, "hugepages 2M", "/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages", v);
	}
	if (p->hugepages_1g != NX_KEEP) {
		snprintf(v, sizeof(v), "%ld", p->hugepages_1g);
		knob(pl, h, "hugepages 1G", "/sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages", v);
	}
	if (p->thp[0]) {
		/* the file reads "always [madvise] never"; the mode is the bracketed word */
		if (h->thp[0])
			add(pl, "transparent hugepages", "/sys/kernel/mm/transparent_hugepage/enabled",
			    h->thp, p->thp);
		else
			note(pl, "thp: transparent_hugepage/enabled missing");
	}
	if (p->host_halt_poll_ns != NX_KEEP) {
		snprintf(v, sizeof(v), "%ld", p->host_halt_poll_ns);
		knob(pl, h, "kvm halt_poll_ns", "/sys/module/kvm/parameters/halt_poll_ns", v);
	}
	if (p->set_rt_runtime) {
		snprintf(v, sizeof(v), "%ld", p->rt_runtime_us);
		knob(pl, h, "sched_rt_runtime_us", "/proc/sys/kernel/sched_rt_runtime_us", v);
	}
	plan_irq_affinity(pl, p, h);
	if (p->irqbalance == 0) {
		if (h->irqbalance_pid) {
			struct nx_change *c = add(pl, "irqbalance", "", "", "stopped");

			if (c) {
				c->kind = NX_CH_IRQBALANCE;
				c->pid = h->irqbalance_pid;
				snprintf(c->cur, sizeof(c->cur), "running (pid %d)", c->pid);
			}
		} else {
			add(pl, "irqbalance", "", "not running", "not running");
		}
	} else if (p->irqbalance == 1 && !h->irqbalance_pid) {
		note(pl, "irqbalance = on: it is not running; start it with the init system");
	}
	return 0;
}

void nx_plan_print(const struct nx_plan *pl, const struct nx_profile *p, FILE *out)
{
	int changes = 0;

	fprintf(out, "host:\n");
	for (int i = 0; i < pl->n; i++) {
		const struct nx_change *c = &pl->c[i];

		fprintf(out, "  %s: %s -> %s%s\n", c->what, c->cur, c->val, c->noop ? " (unchanged)" : "");
		changes += !c->noop;
	}
	for (int i = 0; i < pl->nnotes; i++)
		fprintf(out, "  skipped: %s\n", pl->notes[i]);
	fprintf(out, "vm (applied by nexit run --profile %s):\n", p->name);
	if (p->pin == NX_PIN_OFF) {
		fprintf(out, "  vCPU pinning: none -> none\n");
	} else {
		fprintf(out, "  vCPU pinning: none -> %s:", p->pin == NX_PIN_1TO1 ? "1:1" : "list");
		for (int i = 0; i < p->ncpus; i++)
			fprintf(out, " vCPU%d@CPU%d", i, p->cpus[i]);
		fprintf(out, "%s\n", p->ncpus ? "" : " (no CPU)");
	}
	fprintf(out, "  vCPU scheduling: SCHED_OTHER -> %s", p->sched_fifo ? "SCHED_FIFO " : "SCHED_OTHER");
	if (p->sched_fifo)
		fprintf(out, "%d", p->sched_fifo);
	fprintf(out, "\n  guest memory mlock: off -> %s\n", p->mlock ? "on" : "off");
	fprintf(out, "  guest memory hugepages: off -> %s\n", p->hugepages ? "on" : "off");
	if (p->vm_halt_poll_ns == NX_KEEP)
		fprintf(out, "  KVM_CAP_HALT_POLL: kvm default -> kvm default\n");
	else
		fprintf(out, "  KVM_CAP_HALT_POLL: kvm default -> %ld ns\n", p->vm_halt_poll_ns);
	fprintf(out, "%d host change%s\n", changes, changes == 1 ? "" : "s");
}

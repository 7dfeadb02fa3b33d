/* SPDX-License-Identifier: MIT */
/*
 * vmm.c - the command lines of the two VMMs for one probe scenario.
 *
 * Both boot the same multiboot probe.elf with the same command line, 256 MiB
 * and the same vCPU count, leave through isa-debug-exit at 0xf4 (exit status
 * (v << 1) | 1) and write the guest's COM1 to stdout.
 *
 * QEMU 7.2 with KVM on this host: `-cpu host` alone aborts on MSR 0x10a
 * (IA32_ARCH_CAPABILITIES), so the model is host minus arch-capabilities.
 * The test device is QEMU's edu (PCI 1234:11e8), which nexit's irqdev
 * mirrors register for register. -nodefaults drops the VGA card, NIC and
 * their option ROMs, which is what a user after a fast boot would do.
 */
#include <string.h>
#include "core/vm.h"
#include "bench/bench.h"

const char *nxb_vmm_name(enum nxb_vmm v)
{
	return v == NXB_NEXIT ? "nexit" : "qemu";
}

static int nexit_argv(const struct nxb_opts *o, const struct nxb_vmcfg *c,
		      const char *stats_json, struct nxb_argv *a)
{
	int r = 0;

	r |= nxb_argv_add(a, "%s", o->nexit);
	r |= nxb_argv_add(a, "run");
	r |= nxb_argv_add(a, "--kernel");
	r |= nxb_argv_add(a, "%s", o->probe);
	r |= nxb_argv_add(a, "--cmdline");
	r |= nxb_argv_add(a, "%s", c->cmdline);
	r |= nxb_argv_add(a, "--cpus");
	r |= nxb_argv_add(a, "%d", c->cpus ? c->cpus : 1);
	r |= nxb_argv_add(a, "--mem");
	r |= nxb_argv_add(a, "%lluM", NXB_GUEST_RAM >> 20);
	r |= nxb_argv_add(a, "--irqchip");
	r |= nxb_argv_add(a, "%s", c->irqchip ? c->irqchip : "split");
	if (c->assign) {
		r |= nxb_argv_add(a, "--assign");
		r |= nxb_argv_add(a, "%s", c->assign);
	} else if (c->edu) {
		r |= nxb_argv_add(a, "--device");
		if (c->wait)
			r |= nxb_argv_add(a, "irqdev,wait=%s", c->wait);
		else
			r |= nxb_argv_add(a, "irqdev");
	}
	if (c->profile) {
		r |= nxb_argv_add(a, "--profile");
		r |= nxb_argv_add(a, "%s", c->profile);
	}
	if (stats_json && *stats_json) {
		r |= nxb_argv_add(a, "--stats-json");
		r |= nxb_argv_add(a, "%s", stats_json);
	}
	/* nexit's own timeout, a little inside the runner's. */
	r |= nxb_argv_add(a, "--timeout");
	r |= nxb_argv_add(a, "%d", o->timeout_s > 2 ? o->timeout_s - 1 : o->timeout_s);
	return r ? -1 : 0;
}

/* perf stat (when events are asked for) + QEMU with KVM and a CPU model
 * that starts here (plain -cpu host aborts on MSR 0x10a under kvm_pvm). */
int nxb_qemu_argv_head(const struct nxb_opts *o, const char *perf_out, const char *events,
		       struct nxb_argv *a)
{
	int r = 0;

	if (perf_out && events) {
		/* perf stat forks QEMU and counts every thread it starts; it exits
		 * with QEMU's status. CSV into perf_out. */
		r |= nxb_argv_add(a, "perf");
		r |= nxb_argv_add(a, "stat");
		r |= nxb_argv_add(a, "-x,");
		r |= nxb_argv_add(a, "-o");
		r |= nxb_argv_add(a, "%s", perf_out);
		r |= nxb_argv_add(a, "-e");
		r |= nxb_argv_add(a, "%s", events);
		r |= nxb_argv_add(a, "--");
	}
	r |= nxb_argv_add(a, "%s", o->qemu);
	r |= nxb_argv_add(a, "-accel");
	r |= nxb_argv_add(a, "kvm");
	r |= nxb_argv_add(a, "-cpu");
	r |= nxb_argv_add(a, "host,-arch-capabilities");
	return r;
}

/* Guest RAM, vCPUs, no default devices, no display/monitor, serial on stdout. */
int nxb_qemu_argv_common(int cpus, struct nxb_argv *a)
{
	int r = 0;

	r |= nxb_argv_add(a, "-m");
	r |= nxb_argv_add(a, "%llu", NXB_GUEST_RAM >> 20);
	r |= nxb_argv_add(a, "-smp");
	r |= nxb_argv_add(a, "%d", cpus);
	r |= nxb_argv_add(a, "-nodefaults");
	r |= nxb_argv_add(a, "-no-user-config");
	r |= nxb_argv_add(a, "-display");
	r |= nxb_argv_add(a, "none");
	r |= nxb_argv_add(a, "-monitor");
	r |= nxb_argv_add(a, "none");
	r |= nxb_argv_add(a, "-serial");
	r |= nxb_argv_add(a, "stdio");
	r |= nxb_argv_add(a, "-no-reboot");
	return r;
}

static int qemu_argv(const struct nxb_opts *o, const struct nxb_vmcfg *c,
		     const char *perf_out, struct nxb_argv *a)
{
	int r = 0;

	r |= nxb_qemu_argv_head(o, c->perf_events ? perf_out : NULL, c->perf_events, a);
	r |= nxb_argv_add(a, "-machine");
	if (c->fast_boot)
		/* microvm: qboot instead of SeaBIOS, no PCI, no ACPI tables
		 * to build; it loads multiboot kernels like pc does. */
		r |= nxb_argv_add(a, "microvm");
	else
		r |= nxb_argv_add(a, "q35,kernel-irqchip=%s", c->irqchip ? c->irqchip : "split");
	r |= nxb_qemu_argv_common(c->cpus ? c->cpus : 1, a);
	if (c->qmp) {
		/* The probe falls back to ACPI S5 when 0xf4 is not there; with
		 * -no-shutdown QEMU then stops the VM and waits for QMP "quit". */
		r |= nxb_argv_add(a, "-no-shutdown");
		r |= nxb_argv_add(a, "-qmp");
		r |= nxb_argv_add(a, "unix:%s,server=on,wait=off", c->qmp);
	} else {
		r |= nxb_argv_add(a, "-device");
		r |= nxb_argv_add(a, "isa-debug-exit,iobase=0xf4,iosize=4");
	}
	if (c->assign) {
		r |= nxb_argv_add(a, "-device");
		r |= nxb_argv_add(a, "vfio-pci,host=%s", c->assign);
	} else if (c->edu) {
		r |= nxb_argv_add(a, "-device");
		r |= nxb_argv_add(a, "edu");
	}
	r |= nxb_argv_add(a, "-kernel");
	r |= nxb_argv_add(a, "%s", o->probe);
	r |= nxb_argv_add(a, "-append");
	r |= nxb_argv_add(a, "%s", c->cmdline);
	return r ? -1 : 0;
}

int nxb_vm_argv(const struct nxb_opts *o, const struct nxb_vmcfg *c,
		const char *stats_json, const char *perf_out, struct nxb_argv *a)
{
	nxb_argv_init(a);
	return c->vmm == NXB_NEXIT ? nexit_argv(o, c, stats_json, a)
				   : qemu_argv(o, c, perf_out, a);
}

/* SPDX-License-Identifier: MIT */
/*
 * arch.c - the x86 arch hooks of the shared VM and composition root
 * (core/arch.h): the capabilities and interrupt controller mode
 * (KVM_CAP_SPLIT_IRQCHIP or KVM_CREATE_IRQCHIP), CPUID per vCPU, the PC
 * platform ports and COM1, and the boot (kernel, MP table, ACPI, vCPU 0).
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/kvm.h>
#include "core/vm.h"
#include "core/arch.h"
#include "core/serial.h"
#include "core/pci.h"
#include "core/x86/x86.h"

static void usage_run(FILE *o)
{
	fprintf(o,
"usage: nexit run [--config FILE] [options]\n"
"\n"
"Boots a guest from one INI config file; every flag overrides the file.\n"
"  --config FILE       INI file: [vm] [kernel] [serial] [stats] [control] [cpuid] [device \"name\"]\n"
"  --kernel FILE       bzImage, multiboot ELF, or ELF64            ([kernel] path)\n"
"  --initrd FILE       initrd / multiboot module(s), comma list     ([kernel] initrd)\n"
"  --cmdline STR       kernel command line                          ([kernel] cmdline)\n"
"  --mem SIZE          guest RAM, e.g. 256M, 2G (default 256M)      ([vm] memory)\n"
"  --cpus N            vCPUs (default 1)                            ([vm] cpus)\n"
"  --irqchip MODE      split (default) or kernel                    ([vm] irqchip)\n"
"  --hugepages         back guest RAM with 2 MiB hugepages          ([vm] hugepages)\n"
"  --serial OUT        stdio (default) or a file path               ([serial] output)\n"
"  --stats-json FILE   write exit and interrupt counters on exit    ([stats] json)\n"
"  --control SOCKET    serve live counters for `nexit stat`         ([control] socket)\n"
"  --profile NAME      apply a tuning profile's VM settings         ([vm] profile)\n"
"  --cpuid-hide LIST   hide CPUID features, e.g. cx16,xsave         ([cpuid] hide)\n"
"  --device TYPE[,k=v] add a device: irqdev, virtio-net, virtio-blk ([device \"name\"])\n"
"  --assign BDF        assign a host PCI device bound to vfio-pci   ([device \"name\"] assign)\n"
"  --timeout SECONDS   stop the guest after this long, exit 124     ([vm] timeout)\n"
"  --no-defaults       no default device                            ([vm] defaults = off)\n"
"  --sandbox MODE      on (default): seccomp allow-list per thread;  ([vm] sandbox)\n"
"                      log: report calls they lack, run on; off\n"
"  --user NAME         drop to this user once everything is open    ([vm] user)\n"
"\n"
"Default devices: a VM with no [device] and no --device/--assign gets one irqdev\n"
"(nexit's interrupt test device, QEMU edu layout, PCI 00:01.0), as QEMU adds a\n"
"default NIC; --no-defaults or [vm] defaults = off leaves it out.\n"
"\n"
"Exit status: 0 when the guest powers off; (v<<1)|1, always odd, when it writes\n"
"v to port 0xf4 (isa-debug-exit); 2 on bad input or a fatal guest error (triple\n"
"fault, emulation failure); 124 on timeout.\n");
}

/* Every flag of nexit run exists on x86. */
static const char *const run_flags[] = {
	"config", "kernel", "initrd", "cmdline", "mem", "memory", "cpus", "irqchip", "hugepages",
	"serial", "stats-json", "control", "profile", "cpuid-hide", "device", "assign", "timeout",
	"no-defaults", "sandbox", "user", "help", NULL
};

const struct nx_arch_info nx_arch_info = {
	.build = "",
	.kvm_hint = "load kvm_intel/kvm_amd, or enable virtualization",
	.min_mem = 1ull << 20,
	.default_device = "irqdev",	/* as QEMU adds a default NIC */
	.run_flags = run_flags,
	.usage_run = usage_run,
};

int nx_arch_config(struct nx_config *cfg)
{
	return 0;
}

int nx_arch_check_caps(struct nx_vm *vm)
{
	if (nx_vm_check_cap(vm, KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID") < 0)
		return -1;
	if (vm->cfg->irqchip == NX_IRQCHIP_SPLIT)
		return nx_vm_check_cap(vm, KVM_CAP_SPLIT_IRQCHIP, "KVM_CAP_SPLIT_IRQCHIP (irqchip=split)") < 0 ? -1 : 0;
	if (nx_vm_check_cap(vm, KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP (irqchip=kernel)") < 0 ||
	    nx_vm_check_cap(vm, KVM_CAP_IRQFD_RESAMPLE, "KVM_CAP_IRQFD_RESAMPLE (irqchip=kernel)") < 0)
		return -1;
	return 0;
}

int nx_arch_vm_init(struct nx_vm *vm)
{
	/* Intel VMX needs a TSS region below 4 GiB; harmless elsewhere. */
	ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, 0xfffbd000UL);
	return 0;
}

int nx_arch_irqchip_create(struct nx_vm *vm)
{
	if (vm->cfg->irqchip == NX_IRQCHIP_SPLIT) {
		/* LAPICs in KVM; IOAPIC and PIC in nexit. GSIs below args[0] are
		 * reserved for IOAPIC pins and EOIs of level vectors exit to us. */
		struct kvm_enable_cap cap = { .cap = KVM_CAP_SPLIT_IRQCHIP,
					      .args = { NX_IOAPIC_PINS } };
		if (ioctl(vm->vm_fd, KVM_ENABLE_CAP, &cap) < 0)
			return nx_error("KVM_ENABLE_CAP(KVM_CAP_SPLIT_IRQCHIP): %s", strerror(errno));
		return 0;
	}
	if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0)
		return nx_error("KVM_CREATE_IRQCHIP: %s", strerror(errno));
	return 0;
}

/* Debug-exit, ACPI PM1a and PM timer, reset ports, the counter page, the
 * 16550A on COM1 and PCI bus 0 with its host bridge (the DSDT's PCI0 is
 * there even when no device is). */
int nx_arch_platform_init(struct nx_vm *vm)
{
	if (nx_platform_init(vm) < 0 || nx_pci_init(vm) < 0)
		return -1;
	vm->serial = nx_serial_create(vm, NX_COM1_IRQ, vm->cfg->serial_out);
	if (!vm->serial)
		return -1;
	return nx_bus_register(&vm->pio, NX_COM1_PORT, 8, nx_serial_bus_io, vm->serial, "serial");
}

/* Both irqchip modes exist before the vCPUs (KVM requires it): nothing left. */
int nx_arch_irqchip_init(struct nx_vm *vm)
{
	return 0;
}

int nx_arch_boot(struct nx_vm *vm)
{
	struct nx_boot boot;

	if (nx_boot_load(vm, &boot) < 0 || nx_mptable_build(vm) < 0 || nx_acpi_build(vm) < 0 ||
	    nx_boot_setup_vcpu(&vm->vcpus[0], &boot) < 0)
		return -1;
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * arch.c - the arm64 arch hooks of the shared VM and composition root
 * (core/arch.h): the capabilities the vGICv3 interrupt paths need,
 * the platform state (struct nx_a64 in vm->arch), the vGICv3 + ITS after
 * the vCPUs, and the boot (kernel, device tree, vCPU 0). The vCPU hook,
 * KVM_ARM_VCPU_INIT, is in vcpu_init.c; the RAM layout in memmap.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/kvm.h>
#include "core/arm64/arm64.h"
#include "core/arch.h"

static void usage_run(FILE *o)
{
	fprintf(o,
"usage: nexit run [--config FILE] [options]     (arm64 build)\n"
"  --config FILE       INI file: [vm] [kernel] [serial] [stats] [device \"name\"]\n"
"  --kernel FILE       arm64 Image or AArch64 ELF                   ([kernel] path)\n"
"  --initrd FILE       initrd                                       ([kernel] initrd)\n"
"  --cmdline STR       kernel command line (DT /chosen/bootargs)    ([kernel] cmdline)\n"
"  --mem SIZE          guest RAM at 0x40000000 (default 256M)       ([vm] memory)\n"
"  --cpus N            vCPUs (default 1)                            ([vm] cpus)\n"
"  --serial OUT        stdio (default) or a file path               ([serial] output)\n"
"  --stats-json FILE   write exit and interrupt counters on exit    ([stats] json)\n"
"  --control SOCKET    serve live counters for `nexit stat`         ([control] socket)\n"
"  --assign BDF        assign a host PCI device bound to vfio-pci   ([device \"name\"] assign)\n"
"  --timeout SECONDS   stop the guest after this long, exit 124     ([vm] timeout)\n"
"  --sandbox MODE      on (default), log or off: seccomp per thread ([vm] sandbox)\n"
"  --user NAME         drop to this user once everything is open    ([vm] user)\n"
"Exit status: 0 on PSCI SYSTEM_OFF; (v<<1)|1, always odd, when the guest writes\n"
"v to the counter page's debug-exit register; 2 on bad input or a fatal error;\n"
"124 on timeout.\n");
}

/* The flags of nexit run that mean something on arm64 (x86's irqchip
 * modes, hugepages, profiles, CPUID and emulated devices are not here). */
static const char *const run_flags[] = {
	"config", "kernel", "initrd", "cmdline", "mem", "memory", "cpus", "serial", "stats-json",
	"assign", "timeout", "control", "sandbox", "user", "help", NULL
};

const struct nx_arch_info nx_arch_info = {
	.build = "arm64",
	.kvm_hint = "boot the kernel at EL2, e.g. kvm-arm.mode=nvhe",
	.min_mem = 16ull << 20,
	.default_device = NULL,
	.run_flags = run_flags,
	.usage_run = usage_run,
};

/* nx_kvm_detect's test: arm64 KVM runs guest EL1 on the CPU (there is no
 * emulated kernel mode as with x86's kvm_pvm), so a vCPU that can be
 * created can run a kernel. */
int nx_arch_ring0_test(int kvm_fd, int vm_fd, char *why, size_t len)
{
	int vcpu = ioctl(vm_fd, KVM_CREATE_VCPU, 0);

	if (vcpu < 0) {
		snprintf(why, len, "KVM_CREATE_VCPU: %s", strerror(errno));
		return -1;
	}
	close(vcpu);
	snprintf(why, len, "arm64 KVM runs guest EL1 on the CPU");
	return 1;
}

/* The vGIC is in the kernel: stats say "kernel", not x86's default "split". */
int nx_arch_config(struct nx_config *cfg)
{
	cfg->irqchip = NX_IRQCHIP_KERNEL;
	return 0;
}

/* vGICv3 with an ITS is what makes MSIs (and GICv4 vLPIs) possible; PSCI
 * 0.2 brings up secondary vCPUs and powers off. */
int nx_arch_check_caps(struct nx_vm *vm)
{
	static const struct { int cap; const char *name; } need[] = {
		{ KVM_CAP_IRQFD_RESAMPLE, "KVM_CAP_IRQFD_RESAMPLE" },
		{ KVM_CAP_DEVICE_CTRL, "KVM_CAP_DEVICE_CTRL" },
		{ KVM_CAP_ARM_PSCI_0_2, "KVM_CAP_ARM_PSCI_0_2" },
	};
	for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++)
		if (nx_vm_check_cap(vm, need[i].cap, need[i].name) < 0)
			return -1;
	return 0;
}

/* KVM_CREATE_VM type 0: the default 40-bit IPA space (KVM_CAP_ARM_VM_IPA_SIZE). */
int nx_arch_vm_init(struct nx_vm *vm)
{
	struct nx_a64 *a = calloc(1, sizeof(*a));	/* lives as long as the process */

	if (!a)
		return nx_error("out of memory");
	a->vm = vm;
	a->gic_fd = a->its_fd = -1;
	vm->arch = a;
	return 0;
}

/* The vGIC comes after the vCPUs (nx_arch_irqchip_init). */
int nx_arch_irqchip_create(struct nx_vm *vm)
{
	return 0;
}

/* vCPUs before the vGIC's CTRL_INIT; routes after it (CTRL_INIT installs
 * KVM's default table); fallback/ and the devices after the routes. */
int nx_arch_irqchip_init(struct nx_vm *vm)
{
	if (nx_a64_gic_create(vm, vm->arch) < 0)
		return -1;
	return nx_a64_routes_init(vm);
}

int nx_arch_boot(struct nx_vm *vm)
{
	struct nx_a64 *a = vm->arch;

	if (nx_a64_boot_load(vm, a) < 0 || nx_a64_fdt_build(vm, a) < 0 ||
	    nx_a64_vcpu_boot(&vm->vcpus[0], a) < 0)
		return -1;
	return 0;
}

/* core/pci.c's host bridge (pci.c). */
const struct nx_pci_arch *nx_arch_pci(void)
{
	return &nx_a64_pci_arch;
}

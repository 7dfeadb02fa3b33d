/* SPDX-License-Identifier: MIT */
/*
 * vcpu_init.c - arm64 per-vCPU set-up. The shared nx_vcpus_create
 * (core/vcpu.c) calls the arch hook nx_arch_vcpu_init() once per vCPU right
 * after KVM_CREATE_VCPU; on arm64 that is KVM_ARM_VCPU_INIT.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/kvm.h>
#include "core/arm64/arm64.h"
#include "core/arch.h"

#define CORE_REG(off) (KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | ((off) / sizeof(__u32)))

int nx_a64_set_core_reg(struct nx_vcpu *vcpu, size_t off, uint64_t val)
{
	struct kvm_one_reg reg = { .id = CORE_REG(off), .addr = (uintptr_t)&val };

	if (ioctl(vcpu->fd, KVM_SET_ONE_REG, &reg) < 0)
		return nx_error("vCPU %d: KVM_SET_ONE_REG core+0x%zx: %s", vcpu->id, off, strerror(errno));
	return 0;
}

int nx_a64_get_core_reg(struct nx_vcpu *vcpu, size_t off, uint64_t *val)
{
	struct kvm_one_reg reg = { .id = CORE_REG(off), .addr = (uintptr_t)val };

	return ioctl(vcpu->fd, KVM_GET_ONE_REG, &reg) < 0 ? -1 : 0;
}

/*
 * KVM_ARM_VCPU_INIT with the host's preferred target. PSCI 0.2 gives the
 * guest CPU_ON for SMP and SYSTEM_OFF/RESET (KVM_EXIT_SYSTEM_EVENT); every
 * vCPU but 0 starts powered off and waits for PSCI CPU_ON (arm64
 * booting.rst, "enable-method = psci").
 */
int nx_arch_vcpu_init(struct nx_vcpu *vcpu)
{
	struct kvm_vcpu_init init;

	memset(&init, 0, sizeof(init));
	if (ioctl(vcpu->vm->vm_fd, KVM_ARM_PREFERRED_TARGET, &init) < 0)
		return nx_error("KVM_ARM_PREFERRED_TARGET: %s", strerror(errno));
	init.features[0] |= 1u << KVM_ARM_VCPU_PSCI_0_2;
	if (vcpu->id > 0)
		init.features[0] |= 1u << KVM_ARM_VCPU_POWER_OFF;
	if (ioctl(vcpu->fd, KVM_ARM_VCPU_INIT, &init) < 0)
		return nx_error("vCPU %d: KVM_ARM_VCPU_INIT (target %u, PSCI 0.2): %s",
				vcpu->id, init.target, strerror(errno));
	return 0;
}

/* [cpuid] hide is an x86 key: nothing is valid on arm64. */
int nx_cpuid_hide_valid(const char *feature)
{
	return -1;
}

const char *nx_cpuid_feature_list(void)
{
	return "(none: arm64 has no CPUID)";
}

void nx_vcpu_dump(struct nx_vcpu *vcpu, FILE *out)
{
	uint64_t pc = 0, pstate = 0, sp = 0, x0 = 0, x30 = 0;

	nx_a64_get_core_reg(vcpu, offsetof(struct kvm_regs, regs.pc), &pc);
	nx_a64_get_core_reg(vcpu, offsetof(struct kvm_regs, regs.pstate), &pstate);
	nx_a64_get_core_reg(vcpu, offsetof(struct kvm_regs, regs.sp), &sp);
	nx_a64_get_core_reg(vcpu, offsetof(struct kvm_regs, regs.regs[0]), &x0);
	nx_a64_get_core_reg(vcpu, offsetof(struct kvm_regs, regs.regs[30]), &x30);
	fprintf(out, "vCPU %d: pc=0x%llx pstate=0x%llx sp_el0=0x%llx x0=0x%llx x30=0x%llx\n",
		vcpu->id, (unsigned long long)pc, (unsigned long long)pstate,
		(unsigned long long)sp, (unsigned long long)x0, (unsigned long long)x30);
}

/* Primary vCPU at entry: PC = kernel, x0 = DTB, x1..x3 = 0 (booting.rst);
 * KVM_ARM_VCPU_INIT left it in EL1h with DAIF masked and the MMU off. */
int nx_a64_vcpu_boot(struct nx_vcpu *vcpu, const struct nx_a64 *a)
{
	if (nx_a64_set_core_reg(vcpu, offsetof(struct kvm_regs, regs.pc), a->entry) < 0 ||
	    nx_a64_set_core_reg(vcpu, offsetof(struct kvm_regs, regs.regs[0]), a->fdt_gpa) < 0)
		return -1;
	for (int i = 1; i < 4; i++)
		if (nx_a64_set_core_reg(vcpu, offsetof(struct kvm_regs, regs.regs[i]), 0) < 0)
			return -1;
	return 0;
}

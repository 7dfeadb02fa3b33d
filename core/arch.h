/* SPDX-License-Identifier: MIT */
/*
 * arch.h - the arch hooks (core/x86/arch.c, core/arm64/arch.c).
 */
#ifndef NEXIT_CORE_ARCH_H
#define NEXIT_CORE_ARCH_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * Where the architectures differ, the shared VM (vm.c, mem.c, vcpu.c) and
 * the one composition root (main.c) call these; every arch folder
 * implements all of them. In nexit run's order:
 *   nx_vm_create: nx_arch_check_caps, nx_arch_vm_init, nx_arch_mem_layout,
 *                 memory slots, nx_arch_irqchip_create (KVM: before vCPUs)
 *   nx_arch_platform_init (serial port, platform devices)
 *   nx_vcpus_create: nx_arch_vcpu_init per vCPU
 *   nx_arch_irqchip_init (KVM: after every vCPU exists)
 *   fallback/ and passthrough/ init, nx_arch_boot.
 */
struct nx_config;
struct nx_mem;
struct nx_vm;
struct nx_vcpu;
struct nx_arch_info {
	const char *build;		/* "" (x86_64) or "arm64": version and usage say so */
	const char *kvm_hint;		/* what to do when /dev/kvm does not exist */
	uint64_t min_mem;		/* smallest guest RAM that boots */
	const char *default_device;	/* device type of a VM with none, NULL = none */
	const char *const *run_flags;	/* nexit run long options this arch has, NULL-ended */
	void (*usage_run)(FILE *o);	/* nexit run --help */
};
extern const struct nx_arch_info nx_arch_info;

int  nx_arch_config(struct nx_config *cfg);		/* after parsing: arch-fixed settings */
int  nx_arch_check_caps(struct nx_vm *vm);		/* KVM capabilities beyond core's */
int  nx_arch_vm_init(struct nx_vm *vm);		/* right after KVM_CREATE_VM */
void nx_arch_mem_layout(struct nx_mem *m);		/* RAM -> guest physical regions */
int  nx_arch_irqchip_create(struct nx_vm *vm);		/* before the vCPUs */
int  nx_arch_platform_init(struct nx_vm *vm);		/* serial port, platform devices */
int  nx_arch_vcpu_init(struct nx_vcpu *vcpu);		/* after KVM_CREATE_VCPU */
int  nx_arch_irqchip_init(struct nx_vm *vm);		/* after every vCPU exists */
int  nx_arch_boot(struct nx_vm *vm);			/* kernel, boot tables, vCPU 0 */
/* Runs a tiny ring-0 guest on a fresh VM: 1 when it ran natively, 0 when
 * not (why says what happened), <0 when no vCPU could run at all. */
int  nx_arch_ring0_test(int kvm_fd, int vm_fd, char *why, size_t len);
/* [vm] cpuid_hide: 0 if the arch can hide this CPU feature from the guest;
 * the names it knows, for the error line. */
int  nx_cpuid_hide_valid(const char *feature);
const char *nx_cpuid_feature_list(void);
/* An MSI's destination and vector, as the stats report them, from the
 * address and data the guest wrote (core/x86/pci.c: APIC ID and vector;
 * core/arm64/msi.c: the EventID, and UINT32_MAX: no destination). */
uint32_t nx_msi_dest(uint64_t addr);
uint32_t nx_msi_vector(uint32_t data);

#endif

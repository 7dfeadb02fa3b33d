/* SPDX-License-Identifier: MIT */
/*
 * x86.h - the x86 platform: CPUID, ACPI and MP tables, e820, the MSI format,
 * kernel loaders and platform ports (core/x86/).
 */
#ifndef NEXIT_CORE_X86_H
#define NEXIT_CORE_X86_H

#include <stdbool.h>
#include <stdint.h>
#include "core/x86/layout.h"

struct nx_mem;
struct nx_vm;
struct nx_vcpu;

/* e820 as the guest sees it (also the multiboot memory map). */
#define NX_E820_RAM		1
#define NX_E820_RESERVED	2
#define NX_E820_ACPI		3
#define NX_E820_MAX		8
struct nx_e820_entry { uint64_t addr, size; uint32_t type; };

int   nx_mem_e820(const struct nx_mem *m, struct nx_e820_entry *e, int max);

/* cpuid.c (nx_arch_vcpu_init: KVM_GET_SUPPORTED_CPUID minus hidden features,
 * per vCPU APIC id): leaf 0xD made consistent with the features offered;
 * returns the XCR0 bits offered (0 = no XSAVE). */
struct kvm_cpuid_entry2;
uint64_t nx_cpuid_xsave_fixup(struct kvm_cpuid_entry2 *e, unsigned n);
/* ACPI (RSDP/XSDT/MADT/FADT/DSDT/MCFG) and MP table into guest memory. */
int nx_acpi_build(struct nx_vm *vm);
int nx_mptable_build(struct nx_vm *vm);

/* Boot: loads cfg->kernel (bzImage, multiboot ELF, PVH ELF such as Linux's
 * vmlinux, ELF64) and sets vCPU 0. */
enum nx_kernel_kind { NX_KERNEL_BZIMAGE, NX_KERNEL_MULTIBOOT, NX_KERNEL_ELF64, NX_KERNEL_PVH };
struct nx_boot {
	enum nx_kernel_kind kind;
	uint64_t entry;
	uint64_t rsi;		/* boot_params (Linux) */
	uint32_t eax, ebx;	/* multiboot magic and info */
	uint64_t gdt;		/* boot GDT address, 0 = NX_BOOT_GDT */
	bool long_mode;		/* enter in 64-bit mode (else 32-bit protected) */
};
int nx_boot_load(struct nx_vm *vm, struct nx_boot *b);
int nx_boot_setup_vcpu(struct nx_vcpu *vcpu, const struct nx_boot *b);

/* Debug-exit, ACPI PM1a, reset ports and the counter page (core/x86/platform.c). */
int nx_platform_init(struct nx_vm *vm);

#endif

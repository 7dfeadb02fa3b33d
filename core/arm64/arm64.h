/* SPDX-License-Identifier: MIT */
/*
 * arm64.h - nexit on KVM/arm64: the guest physical layout (QEMU "virt"
 * compatible where it matters), the vGICv3 + ITS, the device tree and the
 * boot protocol. Shared core code (bus, vcpu run loop, routes, serial,
 * stats, config) is used as on x86; this header adds the arm64 parts.
 */
#ifndef NEXIT_CORE_ARM64_H
#define NEXIT_CORE_ARM64_H

#include "core/vm.h"
#include "core/pci.h"

/* ---- guest physical layout (same addresses as QEMU virt) --------------- */
#define NX_A64_GICD		0x08000000ULL	/* GICv3 distributor, 64 KiB      */
#define NX_A64_GICD_SIZE	0x10000ULL
#define NX_A64_ITS		0x08080000ULL	/* ITS, 128 KiB (ctrl + translater) */
#define NX_A64_ITS_SIZE		0x20000ULL
#define NX_A64_GITS_TRANSLATER	(NX_A64_ITS + 0x10040)	/* MSI doorbell (GICv3 12.19.13) */
#define NX_A64_GICR		0x080a0000ULL	/* redistributors, 128 KiB per vCPU */
#define NX_A64_GICR_STRIDE	0x20000ULL
#define NX_A64_UART		0x09000000ULL	/* ns16550a, reg-shift 0          */
#define NX_A64_UART_SIZE	0x1000ULL
#define NX_A64_COUNTERS		NX_COUNTER_PAGE_ARM64	/* abi/guest_abi.h */
#define NX_A64_PCI_MMIO		0x10000000ULL	/* 32-bit BAR window              */
#define NX_A64_PCI_MMIO_SIZE	0x2eff0000ULL
#define NX_A64_PCI_ECAM		0x3f000000ULL	/* ECAM, bus 0 only: 1 MiB        */
#define NX_A64_PCI_ECAM_SIZE	0x100000ULL
#define NX_A64_RAM		0x40000000ULL	/* RAM base (arm64 Linux convention) */

/* Interrupt numbers (INTIDs; SPIs start at 32, GICv3 2.2). */
#define NX_A64_NR_IRQS		128		/* KVM_DEV_ARM_VGIC_GRP_NR_IRQS   */
#define NX_A64_SPI_BASE		32
#define NX_A64_UART_SPI		1		/* INTID 33                       */
#define NX_A64_PCI_INTX_SPI	3		/* INTA..INTD -> SPI 3..6         */
#define NX_A64_PPI_VTIMER	27		/* arch timer PPIs (INTIDs; KVM's */
#define NX_A64_PPI_PTIMER	30		/* defaults for vtimer/ptimer)    */
#define NX_A64_PPI_SPTIMER	29
#define NX_A64_PPI_HTIMER	26

/* The device tree's room at the top of RAM (fdt.c). */
#define NX_A64_FDT_MAX		0x10000

/* The counter page at NX_A64_COUNTERS: NX_CP_* in abi/guest_abi.h. */

/* The arm64 platform state (vm->arch, made by nx_arch_vm_init). */
struct nx_a64 {
	struct nx_vm *vm;
	int gic_fd;		/* KVM_DEV_TYPE_ARM_VGIC_V3    */
	int its_fd;		/* KVM_DEV_TYPE_ARM_VGIC_ITS (-1 = none) */
	uint64_t entry;		/* guest PC of vCPU 0           */
	uint64_t fdt_gpa;	/* x0 at entry (arm64 booting.rst) */
	uint64_t initrd_gpa, initrd_size;
	uint64_t kernel_end;	/* first free RAM byte after the kernel */
};

/* vgic.c: vGICv3 + ITS, after every vCPU exists (KVM: CTRL_INIT needs them). */
int  nx_a64_gic_create(struct nx_vm *vm, struct nx_a64 *a);
/* Routes GSI n -> SPI n for the legacy lines, then commits (after CTRL_INIT,
 * which installs KVM's default routing table). */
int  nx_a64_routes_init(struct nx_vm *vm);
void nx_a64_set_spi(struct nx_vm *vm, unsigned spi, bool level);

/* fdt.c: the device tree at the top of the first 512 MiB of RAM. */
int  nx_a64_fdt_build(struct nx_vm *vm, struct nx_a64 *a);
/* boot.c: loads cfg->kernel (arm64 Image or ELF64) and the initrd. */
int  nx_a64_boot_load(struct nx_vm *vm, struct nx_a64 *a);
int  nx_a64_vcpu_boot(struct nx_vcpu *vcpu, const struct nx_a64 *a);
/* pci.c: the host bridge core/pci.c runs (nx_arch_pci returns it). */
extern const struct nx_pci_arch nx_a64_pci_arch;
unsigned nx_a64_pci_intx_spi(unsigned slot, unsigned pin);

/* one_reg helpers (KVM_{GET,SET}_ONE_REG on core registers). */
int  nx_a64_set_core_reg(struct nx_vcpu *vcpu, size_t off, uint64_t val);
int  nx_a64_get_core_reg(struct nx_vcpu *vcpu, size_t off, uint64_t *val);

#endif

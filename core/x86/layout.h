/* SPDX-License-Identifier: MIT */
/*
 * layout.h - the x86 guest's physical memory map, I/O ports and boot data
 * placement (docs/architecture.md).
 */
#ifndef NEXIT_CORE_X86_LAYOUT_H
#define NEXIT_CORE_X86_LAYOUT_H

#include "abi/guest_abi.h"

/*
 * RAM is [0, min(mem, NX_MMIO_HOLE)) and [4G, 4G + rest): the 32-bit PCI/MMIO
 * hole from 3 GiB to 4 GiB holds ECAM, BARs, the IOAPIC and the LAPIC.
 */
#define NX_MMIO_HOLE		0xc0000000ULL	/* start of the 32-bit hole   */
#define NX_HIGH_RAM		0x100000000ULL	/* RAM resumes at 4 GiB       */
#define NX_PCI_ECAM		0xe0000000ULL	/* MCFG window, 1 bus = 1 MiB  */
#define NX_PCI_MMIO_BASE	0xc0000000ULL	/* BAR allocation window      */
#define NX_PCI_MMIO_SIZE	0x10000000ULL
#define NX_IOAPIC_BASE		0xfec00000ULL
#define NX_LAPIC_BASE		0xfee00000ULL
#define NX_COUNTER_PAGE		NX_COUNTER_PAGE_X86	/* abi/guest_abi.h */

/* ---- platform ports and MMIO nexit provides ---------------------------- */
#define NX_PORT_DEBUG_EXIT	0xf4	/* isa-debug-exit: write v -> exit (v<<1)|1  */
#define NX_PORT_PM1A_EVT	0x600	/* ACPI PM1a_EVT_BLK (4 bytes)                */
#define NX_PORT_PM1A_CNT	0x604	/* ACPI PM1a_CNT_BLK (2 bytes): SLP_EN|SLP_TYP */
#define NX_PORT_PM_TMR		0x608	/* ACPI PM_TMR_BLK (4 bytes): 24-bit 3.579545 MHz */
#define NX_PM_TMR_HZ		3579545
#define NX_ACPI_SLP_TYP_S5	5	/* DSDT \_S5 package value; 0x604 <- (5<<10)|(1<<13) */
#define NX_ACPI_SCI_IRQ		9
#define NX_PORT_RESET		0xcf9	/* FADT RESET_REG, RESET_VALUE 0x06           */
#define NX_COM1_PORT		0x3f8
#define NX_COM1_IRQ		4

#define NX_BOOT_GDT		0x0500
#define NX_BOOT_PARAMS		0x7000	/* Linux zero page            */
#define NX_BOOT_CMDLINE		0x20000
#define NX_BOOT_CMDLINE_MAX	0x10000
#define NX_BOOT_PML4		0x9000	/* identity page tables       */
#define NX_MB_INFO		0x6000	/* multiboot info + mmap      */
#define NX_MPTABLE		0x9fc00	/* MP floating pointer + table (below EBDA end) */
#define NX_ACPI_BASE		0xe0000	/* RSDP must be in 0xe0000-0xfffff */
#define NX_ACPI_SIZE		0x10000

#endif

/* SPDX-License-Identifier: MIT */
/*
 * pci.c - the x86 PCI host bridge for core/pci.c: configuration mechanism
 * #1 and ECAM at NX_PCI_ECAM (the MCFG table), BARs in the 32-bit hole
 * below ECAM and the 64-bit window above RAM (the DSDT's _CRS), I/O BARs
 * from 0xc000, INTx on IOAPIC pins by nx_pci_intx_gsi (the MP table and
 * _PRT), and the MSI message format (arch hooks of core/arch.h). The
 * bridge has the Intel 82G33 MCH id, as on QEMU q35.
 */
#include "core/arch.h"
#include "core/pci.h"
#include "core/x86/layout.h"

/* INTx on IOAPIC pins 16-23 (above the 16 ISA IRQs) for the MP table, the
 * Interrupt Line register and the fallback controller alike, rotated per
 * slot like the PCI-to-PCI bridge swizzle (PCI-to-PCI Bridge spec 9.1) so
 * that the INTA# of neighbouring slots land on different pins. */
unsigned nx_pci_intx_gsi(unsigned slot, unsigned pin)
{
	return 16 + ((slot + pin) % 8);
}

/* An MSI's address carries the destination APIC ID in bits 19:12, its data
 * the vector in bits 7:0 (Intel SDM vol. 3, 11.11.1 and 11.11.2). */
uint32_t nx_msi_dest(uint64_t addr)
{
	return (addr >> 12) & 0xff;
}

uint32_t nx_msi_vector(uint32_t data)
{
	return data & 0xff;
}

static const struct nx_pci_arch x86_pci = {
	.bridge_vendor = 0x8086, .bridge_device = 0x29c0,
	.ecam = NX_PCI_ECAM,
	.cf8 = true,
	.mmio_base = NX_PCI_MMIO_BASE, .mmio_size = NX_PCI_MMIO_SIZE,
	.decode_base = NX_MMIO_HOLE, .decode_end = NX_PCI_ECAM,
	.mmio64_window = nx_pci_mmio64_window,
	.io_base = 0xc000, .io_min = 0x1000, .io_end = 0x10000,
	.intx_gsi = nx_pci_intx_gsi,
	.intx_line_base = 0,
};

const struct nx_pci_arch *nx_arch_pci(void)
{
	return &x86_pci;
}

/* SPDX-License-Identifier: MIT */
/*
 * pci_cf8.c - PCI configuration mechanism #1 (PCI Local Bus 3.0, 3.2.2.3.2):
 * address 0x80000000 | bus << 16 | dev << 11 | fn << 8 | reg to 0xCF8,
 * data at 0xCFC + (reg & 3). Ring 0 only (port I/O). The arch hooks of
 * common/pci.c.
 */
#include "probe.h"

static void addr(const struct pci_dev *d, u8 off)
{
	outl(0xcf8, 0x80000000u | (u32)d->bus << 16 | (u32)d->dev << 11 |
		    (u32)d->fn << 8 | (off & 0xfc));
}

u32 pci_cfg_read(const struct pci_dev *d, u8 off, unsigned size)
{
	addr(d, off);
	if (size == 1)
		return inb(0xcfc + (off & 3));
	if (size == 2)
		return inw(0xcfc + (off & 2));
	return inl(0xcfc);
}

void pci_cfg_write(const struct pci_dev *d, u8 off, unsigned size, u32 v)
{
	addr(d, off);
	if (size == 1)
		outb(0xcfc + (off & 3), (u8)v);
	else if (size == 2)
		outw(0xcfc + (off & 2), (u16)v);
	else
		outl(0xcfc, v);
}

/* Where nexit's e820 leaves room for BARs (core/x86/layout.h NX_PCI_MMIO_BASE). */
u64 pci_bar_window(void)
{
	return 0xc0000000u;
}

/* x86 MSI address/data (SDM 11.11.1/11.11.2): 0xFEE00000 | dest << 12
 * (physical, no redirection); data = vector 7:0, delivery mode 10:8. */
void pci_msi_enable_data(const struct pci_dev *d, u32 dest_apic, u16 data)
{
	pci_msi_program(d, 0xfee00000u | (dest_apic & 0xff) << 12, data);
}

void pci_msi_enable(const struct pci_dev *d, u32 dest_apic, u8 vector)
{
	pci_msi_enable_data(d, dest_apic, vector);	/* fixed delivery, edge */
}

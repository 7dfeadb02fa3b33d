/* SPDX-License-Identifier: MIT */
/*
 * pci_ecam.c - PCI configuration through ECAM (PCIe 7.2.2: offset = bus <<
 * 20 | dev << 15 | fn << 12 | reg) at ECAM_BASE: the arch hooks of
 * common/pci.c. Single loads and stores of the access's size, so KVM gets
 * a valid syndrome.
 */
#include "probe.h"

static u64 cfg(const struct pci_dev *d, u8 off)
{
	return ECAM_BASE + ((u64)d->bus << 20 | (u64)d->dev << 15 | (u64)d->fn << 12 | off);
}

u32 pci_cfg_read(const struct pci_dev *d, u8 off, unsigned size)
{
	if (size == 1)
		return rd8(cfg(d, off));
	if (size == 2)
		return rd16(cfg(d, off));
	return rd32(cfg(d, off));
}

void pci_cfg_write(const struct pci_dev *d, u8 off, unsigned size, u32 v)
{
	if (size == 1)
		wr8(cfg(d, off), (u8)v);
	else if (size == 2)
		wr16(cfg(d, off), (u16)v);
	else
		wr32(cfg(d, off), v);
}

u64 pci_bar_window(void)
{
	return PCI_BAR_WINDOW;
}

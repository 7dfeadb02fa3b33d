/* SPDX-License-Identifier: MIT */
/*
 * pci.c - PCI on the probe: ECAM bus 0 at ECAM_BASE (offset = dev << 15 |
 * fn << 12 | reg), BAR0 as the host's firmware placed it, and the MSI
 * capability (PCI Local Bus 6.8.1). Device ID for the ITS = requester ID.
 */
#include "probe.h"

bool pci_find(u16 vendor, u16 device, struct pci_dev *d)
{
	for (u32 dev = 0; dev < 32; dev++) {
		u64 cfg = ECAM_BASE + ((u64)dev << 15);
		u32 id = rd32(cfg);

		if (id != ((u32)device << 16 | vendor))
			continue;
		d->cfg = cfg;
		d->devid = dev << 3;
		d->bar0 = rd32(cfg + 0x10) & ~0xfull;
		if ((rd32(cfg + 0x10) & 6) == 4)
			d->bar0 |= (u64)rd32(cfg + 0x14) << 32;
		d->pin = rd8(cfg + 0x3d);
		d->msi_cap = 0;
		if (rd16(cfg + 6) & 0x10)
			for (u32 p = rd8(cfg + 0x34) & ~3u, n = 0; p && n < 48; p = rd8(cfg + p + 1) & ~3u, n++)
				if (rd8(cfg + p) == 0x05) {
					d->msi_cap = p;
					break;
				}
		/* Memory space + bus master (the device's MSI is a DMA write),
		 * INTx Disable cleared: the driver is ready for INTx (as Linux's
		 * pci_enable_device does). */
		wr16(cfg + 4, (rd16(cfg + 4) | 0x6) & ~0x400);
		return true;
	}
	return false;
}

void pci_msi_enable(struct pci_dev *d, u64 addr, u32 data)
{
	u64 c = d->cfg + d->msi_cap;
	u16 ctl = rd16(c + 2);
	bool is64 = ctl & 0x80;

	wr32(c + 4, (u32)addr);
	if (is64) {
		wr32(c + 8, (u32)(addr >> 32));
		wr16(c + 0xc, (u16)data);
	} else {
		wr16(c + 8, (u16)data);
	}
	wr16(c + 2, (ctl & ~0x70) | 1);		/* one vector (MME 0), Enable */
}

void pci_msi_disable(struct pci_dev *d)
{
	u64 c = d->cfg + d->msi_cap;

	wr16(c + 2, rd16(c + 2) & ~1);
}

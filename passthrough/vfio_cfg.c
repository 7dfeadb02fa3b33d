/* SPDX-License-Identifier: MIT */
/*
 * vfio_cfg.c - the config space an assigned function shows the guest,
 * built from the device's own 256 bytes: its header ids, revision,
 * subsystem and capability chain, with the BARs, MSI and MSI-X emulated by
 * core/pci.c. The bytes come from the device (or, in the fuzzer, from
 * anywhere): every pointer is followed within bounds, and a capability
 * that does not lie wholly inside the space is not emulated (one warning).
 */
#include <string.h>
#include "passthrough/passthrough.h"

#define CAP_ID_MSI	0x05
#define CAP_ID_MSIX	0x11

/* First capability with this id on the chain (PCI 3.0 6.7), or 0. Pointers
 * below 0x40 (the header) end the walk; 48 steps is every dword slot. */
uint8_t nx_vfio_find_cap(const uint8_t *cfg, uint8_t id)
{
	if (!(cfg[0x06] & 0x10))
		return 0;
	for (unsigned p = cfg[0x34] & 0xfc, n = 0; p >= 0x40 && n < 48; n++, p = cfg[p + 1] & 0xfc)
		if (cfg[p] == id)
			return (uint8_t)p;
	return 0;
}

/* Bytes an MSI capability with this message control needs (6.8.1). */
static unsigned msi_size(uint16_t ctl)
{
	return (ctl & 0x80 ? 14 : 10) + (ctl & 0x100 ? 10 : 0);
}

struct nx_pci_dev *nx_vfio_pci_new(struct nx_vm *vm, const char *name, const uint8_t *cfg,
				   uint8_t *msi)
{
	struct nx_pci_dev *d;
	uint8_t msix;

	d = nx_pci_dev_new(vm, name, (uint16_t)(cfg[0] | cfg[1] << 8),
			   (uint16_t)(cfg[2] | cfg[3] << 8),
			   (uint32_t)cfg[0x09] | (uint32_t)cfg[0x0a] << 8 | (uint32_t)cfg[0x0b] << 16,
			   -1);
	if (!d)
		return NULL;
	memcpy(d->cfg + 0x40, cfg + 0x40, NX_PCI_CFG_SIZE - 0x40);
	memcpy(d->cfg + 0x2c, cfg + 0x2c, 4);		/* subsystem ids */
	d->cfg[0x06] = cfg[0x06] & 0x10;		/* capability list bit */
	d->cfg[0x34] = cfg[0x34];
	d->cfg[0x08] = cfg[0x08];			/* revision */
	*msi = nx_vfio_find_cap(cfg, CAP_ID_MSI);
	if (*msi && *msi + msi_size((uint16_t)(cfg[*msi + 2] | cfg[*msi + 3] << 8)) >
		    NX_PCI_CFG_SIZE) {
		nx_warn("PCI %s: MSI capability at 0x%x runs past config space: MSI not offered",
			name, *msi);
		*msi = 0;
	}
	msix = nx_vfio_find_cap(cfg, CAP_ID_MSIX);
	if (msix && msix + 12 > NX_PCI_CFG_SIZE)
		nx_warn("PCI %s: MSI-X capability at 0x%x runs past config space: MSI-X not offered",
			name, msix);
	else if (msix && nx_pci_claim_msix(d, msix) < 0)
		return NULL;
	return d;
}

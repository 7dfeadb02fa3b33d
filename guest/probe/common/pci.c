/* SPDX-License-Identifier: MIT */
/*
 * pci.c - PCI bus 0 over the arch's configuration accessors (pci_cfg_read,
 * pci_cfg_write: x86 mechanism #1, arm64 ECAM): enumeration, BAR0, the
 * capability list, MSI, MSI-X and the command register.
 */
#include "common.h"
#include "arch.h"

#define PCI_STATUS	0x06
#define PCI_STATUS_CAP	(1u << 4)
#define PCI_HDR		0x0e
#define PCI_BAR0	0x10
#define PCI_CAP_PTR	0x34
#define PCI_INT_PIN	0x3d

u32 pci_read32(const struct pci_dev *d, u8 off) { return pci_cfg_read(d, off, 4); }
u16 pci_read16(const struct pci_dev *d, u8 off) { return (u16)pci_cfg_read(d, off, 2); }
u8 pci_read8(const struct pci_dev *d, u8 off) { return (u8)pci_cfg_read(d, off, 1); }
void pci_write32(const struct pci_dev *d, u8 off, u32 v) { pci_cfg_write(d, off, 4, v); }
void pci_write16(const struct pci_dev *d, u8 off, u16 v) { pci_cfg_write(d, off, 2, v); }

u8 pci_find_cap(const struct pci_dev *d, u8 id)
{
	if (!(pci_read16(d, PCI_STATUS) & PCI_STATUS_CAP))
		return 0;
	for (u8 p = pci_read8(d, PCI_CAP_PTR) & 0xfc, n = 0; p && n < 48; n++) {
		if (pci_read8(d, p) == id)
			return p;
		p = pci_read8(d, p + 1) & 0xfc;
	}
	return 0;
}

/* BAR0 as the firmware/VMM assigned it; if unassigned, size it and place it
 * in the PCI window ourselves (a multiboot guest may have no firmware). */
static u64 bar0(struct pci_dev *d, u64 *next_free)
{
	u32 lo = pci_read32(d, PCI_BAR0), size;
	u64 a = lo & ~0xfu;

	if (lo & 1)
		return 0;			/* I/O BAR: not ours */
	if ((lo & 6) == 4)
		a |= (u64)pci_read32(d, PCI_BAR0 + 4) << 32;
	if (a)
		return a;
	pci_write32(d, PCI_BAR0, 0xffffffff);
	size = ~(pci_read32(d, PCI_BAR0) & ~0xfu) + 1;
	a = (*next_free + size - 1) & ~(u64)(size - 1);
	pci_write32(d, PCI_BAR0, (u32)a);
	*next_free = a + size;
	return a;
}

int pci_find(u16 vendor, u16 device, struct pci_dev *out, int max)
{
	u64 next_free = pci_bar_window();
	int n = 0;

	for (u8 dev = 0; dev < 32 && n < max; dev++) {
		for (u8 fn = 0; fn < 8 && n < max; fn++) {
			struct pci_dev d = { .bus = 0, .dev = dev, .fn = fn };
			u32 id = pci_read32(&d, 0);
			if ((id & 0xffff) == 0xffff) {
				if (fn == 0)
					break;
				continue;
			}
			if ((id & 0xffff) == vendor && id >> 16 == device) {
				d.vendor = vendor;
				d.device = device;
				d.bar0 = bar0(&d, &next_free);
				d.irq_line = pci_read8(&d, PCI_INT_LINE);
				d.irq_pin = pci_read8(&d, PCI_INT_PIN);
				d.msi_cap = pci_find_cap(&d, PCI_CAP_MSI);
				out[n++] = d;
			}
			if (fn == 0 && !(pci_read8(&d, PCI_HDR) & 0x80))
				break;			/* single-function device */
		}
	}
	return n;
}

/*
 * MSI capability (PCI 3.0 6.8.1): control at +2 (bit 0 enable, bit 7 64-bit,
 * bits 6:4 multiple message enable), address at +4 (+8 high), data at +8 or
 * +12. The address and data formats are the arch's interrupt controller's.
 */
void pci_msi_program(const struct pci_dev *d, u64 addr, u16 data)
{
	u8 c = d->msi_cap;
	u16 ctl = pci_read16(d, c + 2);
	bool is64 = ctl & (1u << 7);

	pci_write32(d, c + 4, (u32)addr);
	if (is64)
		pci_write32(d, c + 8, (u32)(addr >> 32));
	pci_write16(d, c + (is64 ? 12 : 8), data);
	ctl &= ~(7u << 4);		/* one vector (multiple message enable = 0) */
	pci_write16(d, c + 2, ctl | 1);
}

void pci_msi_disable(const struct pci_dev *d)
{
	u8 c = d->msi_cap;
	if (c)
		pci_write16(d, c + 2, pci_read16(d, c + 2) & ~1u);
}

/* MSI-X message control (PCI 3.0 6.8.2.3): bit 15 enable, bit 14 function mask. */
void pci_msix_enable(const struct pci_dev *d, u8 cap, bool on)
{
	u16 ctl = pci_read16(d, cap + 2) & ~(3u << 14);

	pci_write16(d, cap + 2, on ? ctl | (1u << 15) : ctl);
}

/* One table entry (6.8.2.5-6.8.2.9): address low/high, data, vector
 * control; masked while it changes. */
void pci_msix_entry(u64 table, u16 entry, u64 addr, u32 data, bool masked)
{
	u64 e = table + 16ull * entry;

	mmio_write32(e + 12, 1);
	mmio_write32(e + 0, (u32)addr);
	mmio_write32(e + 4, (u32)(addr >> 32));
	mmio_write32(e + 8, data);
	mmio_write32(e + 12, masked ? 1 : 0);
}

void pci_intx_enable(const struct pci_dev *d, bool on)
{
	u16 cmd = pci_read16(d, PCI_CMD) | PCI_CMD_MEM | PCI_CMD_MASTER;
	pci_write16(d, PCI_CMD, on ? cmd & ~PCI_CMD_INTX_DIS : cmd | PCI_CMD_INTX_DIS);
}

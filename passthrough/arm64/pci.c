/* SPDX-License-Identifier: MIT */
/*
 * pci.c - the arm64 guest's PCI host: one ECAM bus (PCI Firmware spec 4.1,
 * offset = bus << 20 | dev << 15 | fn << 12 | reg) with the VFIO-assigned
 * devices at slots 1.. . Config space passes through to VFIO except what
 * nexit emulates: the BARs (guest addresses; memslots follow them), the ROM
 * BAR (hidden), the interrupt line, and the MSI capability, whose address
 * and data become the KVM MSI route (a set-up time exit only).
 */
#include <stdlib.h>
#include <string.h>
#include "passthrough/arm64/pci.h"

#define PCI_COMMAND		0x04
#define PCI_COMMAND_MEMORY	0x2
#define PCI_COMMAND_INTX_DISABLE 0x400
#define PCI_STATUS_CAP_LIST	0x10
#define PCI_CAP_ID_MSI		0x05

static bool in_msi(const struct nx_a64_vfio_dev *d, unsigned off)
{
	return d->msi_cap && off >= d->msi_cap && off < d->msi_cap + d->msi_len;
}

static bool emulated(const struct nx_a64_vfio_dev *d, unsigned dw)
{
	return (dw >= 0x10 && dw <= 0x24) || dw == 0x30 || dw == 0x3c || in_msi(d, dw);
}

static uint32_t cfg_dword(struct nx_a64_vfio_dev *d, unsigned dw)
{
	uint32_t v = 0xffffffff;

	if (dw >= sizeof(d->cfg))
		return nx_a64_vfio_cfg_read(d, dw, &v, 4) < 0 ? 0xffffffff : v;
	if (emulated(d, dw))
		memcpy(&v, &d->cfg[dw], 4);
	else if (nx_a64_vfio_cfg_read(d, dw, &v, 4) < 0)
		v = 0xffffffff;
	return v;
}

static void bars_map(struct nx_a64_vfio_dev *d, bool on)
{
	for (int i = 0; i < 6; i++) {
		struct nx_a64_bar *b = &d->bar[i];

		if (!b->size)
			continue;
		if (b->hva) {
			nx_a64_vfio_bar_map(d, i, on);
			continue;
		}
		/* Only the range this BAR registered: the guest's address may be
		 * where ECAM or the UART are, and their ranges are not ours. */
		if (b->on_bus)
			nx_bus_unregister(&d->vm->mmio, b->gpa);
		b->on_bus = on && b->gpa &&
			    nx_bus_register(&d->vm->mmio, b->gpa, b->size, nx_a64_vfio_bar_io, b,
					    "vfio-bar") == 0;
	}
}

/* BAR register write (PCI Local Bus 6.2.5.1): all-ones sizes it. */
static void bar_write(struct nx_a64_vfio_dev *d, unsigned dw, uint32_t v)
{
	int i = (dw - 0x10) / 4;
	bool upper = false;
	struct nx_a64_bar *b = &d->bar[i];
	uint32_t flags, lo;

	if (!b->size && i > 0 && d->bar[i - 1].mem64) {
		b = &d->bar[i - 1];
		upper = true;
	}
	if (!b->size)
		return;		/* unimplemented BAR: reads as 0 */
	if (upper) {
		uint32_t hv = (uint32_t)(v & ~((b->size - 1) >> 32));
		memcpy(&d->cfg[dw], &hv, 4);
	} else {
		memcpy(&flags, &d->cfg[dw], 4);
		flags &= 0xf;
		lo = (v & ~(uint32_t)(b->size - 1) & ~0xfu) | flags;
		memcpy(&d->cfg[dw], &lo, 4);
	}
	{
		int bi = b - d->bar;
		uint32_t l, h = 0;
		memcpy(&l, &d->cfg[0x10 + 4 * bi], 4);
		if (b->mem64)
			memcpy(&h, &d->cfg[0x14 + 4 * bi], 4);
		if (d->mem_on)
			bars_map(d, false);
		b->gpa = ((uint64_t)h << 32) | (l & ~0xfu);
		if (d->mem_on)
			bars_map(d, true);
	}
}

static void msi_write(struct nx_a64_vfio_dev *d, unsigned off, const uint8_t *bytes, unsigned len)
{
	unsigned c = d->msi_cap;
	bool was = d->cfg[c + 2] & 1, now;

	for (unsigned i = 0; i < len; i++) {
		unsigned o = off + i - c;

		if (o >= d->msi_len)
			break;			/* past the capability: not ours */
		if (o < 2)
			continue;		/* ID and next pointer are read-only */
		if (o == 2) {		/* Message Control: Enable and MME */
			d->cfg[c + 2] = (d->cfg[c + 2] & ~0x71) | (bytes[i] & 0x71);
			continue;
		}
		if (o == 3)
			continue;
		d->cfg[off + i] = bytes[i];
	}
	now = d->cfg[c + 2] & 1;
	if (now != was)
		nx_a64_vfio_msi(d, now);
	else if (now)
		nx_a64_vfio_msi(d, true);	/* address/data update */
}

static void cfg_write(struct nx_a64_vfio_dev *d, unsigned off, const uint8_t *data, unsigned len)
{
	unsigned dw = off & ~3u;

	if (in_msi(d, off)) {
		msi_write(d, off, data, len);
		return;
	}
	if (dw >= 0x10 && dw <= 0x24) {
		uint32_t v;
		memcpy(&v, &d->cfg[dw], 4);
		memcpy((uint8_t *)&v + (off & 3), data, len);
		bar_write(d, dw, v);
		return;
	}
	if (dw == 0x30)
		return;			/* no expansion ROM */
	if (dw == 0x3c) {		/* interrupt line is the guest's scratch byte */
		if (off == 0x3c)
			d->cfg[0x3c] = data[0];
		return;
	}
	nx_a64_vfio_cfg_write(d, off, data, len);
	if (off <= PCI_COMMAND && off + len > PCI_COMMAND) {
		bool mem = data[PCI_COMMAND - off] & PCI_COMMAND_MEMORY;
		if (mem != d->mem_on) {
			d->mem_on = mem;
			bars_map(d, mem);
		}
	}
}

static void ecam_io(void *opaque, uint64_t addr, uint8_t *data, uint32_t len,
		    bool is_write, struct nx_vcpu *vcpu)
{
	struct nx_a64_pci *pci = opaque;
	unsigned slot = (addr >> 15) & 31, fn = (addr >> 12) & 7, reg = addr & 0xfff;
	struct nx_a64_vfio_dev *d = slot < NX_A64_PCI_SLOTS && fn == 0 ? pci->dev[slot] : NULL;

	(void)vcpu;
	if (len > 4 || (reg & (len - 1)))
		d = NULL;		/* ECAM: naturally aligned 1/2/4-byte accesses */
	if (!d) {
		if (!is_write)
			memset(data, 0xff, len);
		return;
	}
	if (is_write) {
		cfg_write(d, reg, data, len);
	} else {
		uint32_t v = cfg_dword(d, reg & ~3u);
		memcpy(data, (uint8_t *)&v + (reg & 3), len);
	}
}

/* The MSI capability (6.8.1), if the device has one that lies wholly in
 * the 256-byte shadow: 32/64-bit address, per-vector mask and pending. */
static void find_msi(struct nx_a64_vfio_dev *d)
{
	unsigned p = d->cfg[0x34] & ~3u;

	if (!(d->cfg[0x06] & PCI_STATUS_CAP_LIST))
		return;
	for (int n = 0; p >= 0x40 && n < 48; n++, p = d->cfg[p + 1] & ~3u) {
		uint16_t ctl;
		unsigned len;

		if (d->cfg[p] != PCI_CAP_ID_MSI)
			continue;
		ctl = (uint16_t)(d->cfg[p + 2] | d->cfg[p + 3] << 8);
		len = (ctl & 0x80 ? 14 : 10) + (ctl & 0x100 ? 10 : 0);
		if (p + len > sizeof(d->cfg)) {
			nx_warn("assign %s: MSI capability at 0x%x runs past config space: "
				"MSI not offered", d->bdf, p);
			return;
		}
		d->msi_cap = p;
		d->msi_len = len;
		d->cfg[p + 2] &= ~1;	/* disabled until the guest enables it */
		return;
	}
}

/* Firmware's job: BAR addresses from the MMIO window, naturally aligned. */
static int place_bars(struct nx_a64_vfio_dev *d, uint64_t *cursor)
{
	for (int i = 0; i < 6; i++) {
		struct nx_a64_bar *b = &d->bar[i];
		uint32_t lo, hi;

		if (!b->size)
			continue;
		*cursor = (*cursor + b->size - 1) & ~(b->size - 1);
		if (*cursor + b->size > NX_A64_PCI_MMIO + NX_A64_PCI_MMIO_SIZE)
			return nx_error("assign %s: BAR%d (%llu bytes) does not fit the PCI window",
					d->bdf, i, (unsigned long long)b->size);
		b->gpa = *cursor;
		*cursor += b->size;
		memcpy(&lo, &d->cfg[0x10 + 4 * i], 4);
		lo = (uint32_t)b->gpa | (lo & 0xf);
		hi = (uint32_t)(b->gpa >> 32);
		memcpy(&d->cfg[0x10 + 4 * i], &lo, 4);
		if (b->mem64)
			memcpy(&d->cfg[0x14 + 4 * i], &hi, 4);
	}
	return 0;
}

int nx_a64_pci_init(struct nx_vm *vm, struct nx_a64 *a, struct nx_a64_pci *pci)
{
	uint64_t cursor = NX_A64_PCI_MMIO;
	unsigned slot = 1;

	pci->vm = vm;
	pci->a = a;
	if (nx_bus_register(&vm->mmio, NX_A64_PCI_ECAM, NX_A64_PCI_ECAM_SIZE, ecam_io, pci, "ecam") < 0)
		return -1;
	for (int i = 0; i < vm->cfg->ndevices; i++) {
		struct nx_device_cfg *dc = &vm->cfg->devices[i];
		struct nx_a64_vfio_dev *d;

		if (!dc->assign[0])
			continue;
		if (dc->type[0] && strcmp(dc->type, "vfio"))
			return nx_error("device \"%s\": type %s is not available on arm64 (assign only)",
					dc->name, dc->type);
		if (slot >= NX_A64_PCI_SLOTS)
			return nx_error("assign %s: at most %d assigned devices on arm64",
					dc->assign, NX_A64_PCI_SLOTS - 1);
		d = calloc(1, sizeof(*d));
		if (!d)
			return nx_error("out of memory");
		if (nx_a64_vfio_open(vm, d, dc, slot) < 0 || place_bars(d, &cursor) < 0)
			return -1;
		find_msi(d);
		/* INTx pin p of slot s -> SPI base + (s + p - 1) % 4 (the DT's interrupt-map). */
		if (d->cfg[0x3d] >= 1 && d->cfg[0x3d] <= 4)
			d->intx_spi = NX_A64_PCI_INTX_SPI + (slot + d->cfg[0x3d] - 1) % 4;
		d->cfg[0x3c] = NX_A64_SPI_BASE + d->intx_spi;
		/* Mask until ready: INTx Disable (PCI 3.0 6.2.2, Command bit 10)
		 * set until the guest's driver clears it (Linux does in
		 * pci_enable_device); vfio-pci masks INTx at the host meanwhile. */
		{
			uint16_t cmd = 0;
			nx_a64_vfio_cfg_read(d, PCI_COMMAND, &cmd, 2);
			cmd |= PCI_COMMAND_INTX_DISABLE;
			nx_a64_vfio_cfg_write(d, PCI_COMMAND, &cmd, 2);
		}
		if (nx_a64_vfio_intx(d, true) < 0)
			return -1;
		pci->dev[slot++] = d;
		nx_info("assign %s: guest 00:%02x.0, MSI cap 0x%x, INTx SPI %u (INTID %u)", d->bdf,
			slot - 1, d->msi_cap, d->intx_spi, NX_A64_SPI_BASE + d->intx_spi);
	}
	return 0;
}

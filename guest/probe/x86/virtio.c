/* SPDX-License-Identifier: MIT */
/*
 * virtio.c - virtio over PCI, modern transport (virtio 1.1 4.1): the
 * vendor-specific capabilities (4.1.4) say where in which BAR the common
 * configuration, notifications, ISR and device configuration live; the
 * driver initialises the device as 3.1.1 orders. Ring 0 (config space is
 * port I/O); the rings themselves are driven from ring 3 by the scenario.
 */
#include "virtio.h"

#define CAP_VENDOR	0x09
#define CFG_COMMON	1
#define CFG_NOTIFY	2
#define CFG_ISR		3
#define CFG_DEVICE	4

/* struct virtio_pci_common_cfg offsets (4.1.4.3). */
#define C_DFSELECT	0x00
#define C_DFEATURE	0x04
#define C_GFSELECT	0x08
#define C_GFEATURE	0x0c
#define C_MSIX_CONFIG	0x10
#define C_NUM_QUEUES	0x12
#define C_STATUS	0x14
#define C_QSELECT	0x16
#define C_QSIZE		0x18
#define C_QMSIX		0x1a
#define C_QENABLE	0x1c
#define C_QNOTIFY_OFF	0x1e
#define C_QDESC		0x20
#define C_QDRIVER	0x28
#define C_QDEVICE	0x30

/* A free spot below 4 GiB for a BAR the firmware put above it (the probe
 * maps only the first 4 GiB). Above nexit's window, below QEMU's LAPIC. */
#define RELOC_BASE	0xe8000000u

static inline u8 r8(u64 a) { return *(volatile u8 *)a; }
static inline u16 r16(u64 a) { return *(volatile u16 *)a; }
static inline void w8(u64 a, u8 v) { *(volatile u8 *)a = v; }
static inline void w16(u64 a, u16 v) { *(volatile u16 *)a = v; }

/* BAR i's memory address; one above 4 GiB is moved below (PCI 3.0 6.2.5.1). */
static u64 bar_addr(struct virtio_pci *v, unsigned i, u32 *reloc)
{
	struct pci_dev *d = &v->pci;
	u8 off = (u8)(0x10 + 4 * i);
	u32 lo = pci_read32(d, off), size;
	bool is64 = (lo & 6) == 4;
	u64 a = lo & ~0xfull;
	u16 cmd;

	if (lo & 1)
		return 0;
	if (is64)
		a |= (u64)pci_read32(d, off + 4) << 32;
	if (a && a + 0x1000 <= 0x100000000ull)
		return a;
	cmd = pci_read16(d, 0x04);
	pci_write16(d, 0x04, cmd & ~2u);		/* decode off while sizing */
	pci_write32(d, off, 0xffffffffu);
	size = ~(pci_read32(d, off) & ~0xfu) + 1;
	a = (*reloc + size - 1) & ~(u64)(size - 1);
	pci_write32(d, off, (u32)a);
	if (is64)
		pci_write32(d, off + 4, 0);
	pci_write16(d, 0x04, cmd);
	*reloc = (u32)(a + size);
	v->relocated = true;
	return a;
}

bool virtio_pci_find(unsigned id, struct virtio_pci *v, const char **err)
{
	struct pci_dev d[1];
	u32 reloc = RELOC_BASE;
	u8 p, n = 0;

	memset(v, 0, sizeof(*v));
	/* 4.1.2.1: modern id 0x1040 + type; transitional net 0x1000, block 0x1001. */
	if (pci_find(VIRTIO_VENDOR, (u16)(0x1040 + id), d, 1) < 1 &&
	    ((id != VIRTIO_ID_NET && id != VIRTIO_ID_BLK) ||
	     pci_find(VIRTIO_VENDOR, (u16)(0x1000 + id - 1), d, 1) < 1)) {
		*err = "no virtio device of that type on bus 0";
		return false;
	}
	v->pci = d[0];
	/* Memory space + bus master; INTx off (MSI-X only). */
	pci_write16(&v->pci, 0x04, pci_read16(&v->pci, 0x04) | 0x6 | (1u << 10));
	for (p = pci_read8(&v->pci, 0x34) & 0xfc; p && n < 48; p = pci_read8(&v->pci, p + 1) & 0xfc, n++) {
		u8 id8 = pci_read8(&v->pci, p), type, bar;
		u64 a;

		if (id8 == PCI_CAP_MSIX) {
			u32 t = pci_read32(&v->pci, p + 4);
			v->msix_cap = p;
			v->msix_n = (pci_read16(&v->pci, p + 2) & 0x7ff) + 1;
			if (!v->bar[t & 7])
				v->bar[t & 7] = bar_addr(v, t & 7, &reloc);
			v->msix_table = v->bar[t & 7] + (t & ~7u);
			continue;
		}
		if (id8 != CAP_VENDOR)
			continue;
		type = pci_read8(&v->pci, p + 3);
		bar = pci_read8(&v->pci, p + 4);
		if (bar > 5)
			continue;
		if (!v->bar[bar])
			v->bar[bar] = bar_addr(v, bar, &reloc);
		a = v->bar[bar] + pci_read32(&v->pci, p + 8);
		/* The first capability of each type is the one to use (4.1.4). */
		if (type == CFG_COMMON && !v->common)
			v->common = a;
		else if (type == CFG_NOTIFY && !v->notify_base) {
			v->notify_base = a;
			v->notify_mult = pci_read32(&v->pci, p + 16);
		} else if (type == CFG_ISR && !v->isr)
			v->isr = a;
		else if (type == CFG_DEVICE && !v->device)
			v->device = a;
	}
	/* Memory space + bus master again (relocation toggled it). */
	pci_write16(&v->pci, 0x04, pci_read16(&v->pci, 0x04) | 0x6 | (1u << 10));
	if (!v->common || !v->notify_base || !v->device) {
		*err = "virtio device lacks the modern common/notify/device capabilities";
		return false;
	}
	if (!v->msix_cap) {
		*err = "virtio device has no MSI-X capability";
		return false;
	}
	return true;
}

u8 virtio_status(const struct virtio_pci *v)
{
	return r8(v->common + C_STATUS);
}

u8 virtio_dev_read8(const struct virtio_pci *v, u32 off)
{
	return r8(v->device + off);
}

u32 virtio_dev_read32(const struct virtio_pci *v, u32 off)
{
	return mmio_read32(v->device + off);
}

void virtio_config_vector(struct virtio_pci *v, u16 entry)
{
	w16(v->common + C_MSIX_CONFIG, entry);
}

bool virtio_reset_timed(struct virtio_pci *v, u64 max_cycles)
{
	u64 t0 = rdtsc();

	w8(v->common + C_STATUS, 0);
	while (r8(v->common + C_STATUS)) {
		if (rdtsc() - t0 > max_cycles)
			return false;
		cpu_relax();
	}
	return true;
}

void virtio_reset(struct virtio_pci *v)
{
	/* 4.1.4.3.2: write 0, then wait until status reads back 0. */
	w8(v->common + C_STATUS, 0);
	for (int i = 0; i < 100000 && r8(v->common + C_STATUS); i++)
		cpu_relax();
}

bool virtio_negotiate(struct virtio_pci *v, u64 want, const char **err)
{
	u64 offered;

	virtio_reset(v);
	w8(v->common + C_STATUS, VIRTIO_ST_ACK);
	w8(v->common + C_STATUS, VIRTIO_ST_ACK | VIRTIO_ST_DRIVER);
	mmio_write32(v->common + C_DFSELECT, 0);
	offered = mmio_read32(v->common + C_DFEATURE);
	mmio_write32(v->common + C_DFSELECT, 1);
	offered |= (u64)mmio_read32(v->common + C_DFEATURE) << 32;
	if (!(offered & VIRTIO_F_VERSION_1)) {
		*err = "device does not offer VIRTIO_F_VERSION_1";
		return false;
	}
	v->features = offered & want;
	mmio_write32(v->common + C_GFSELECT, 0);
	mmio_write32(v->common + C_GFEATURE, (u32)v->features);
	mmio_write32(v->common + C_GFSELECT, 1);
	mmio_write32(v->common + C_GFEATURE, (u32)(v->features >> 32));
	w8(v->common + C_STATUS, VIRTIO_ST_ACK | VIRTIO_ST_DRIVER | VIRTIO_ST_FEATURES_OK);
	/* 3.1.1 step 6: re-read; the device may refuse the subset. */
	if (!(r8(v->common + C_STATUS) & VIRTIO_ST_FEATURES_OK)) {
		w8(v->common + C_STATUS, VIRTIO_ST_FAILED);
		*err = "device refused FEATURES_OK";
		return false;
	}
	return true;
}

/* Split ring layout in one block: desc (16 B align), avail (2), used (4). */
static u64 avail_off(u16 n) { return 16ull * n; }
static u64 used_off(u16 n) { return (avail_off(n) + 6 + 2ull * n + 4095) & ~4095ull; }
u64 virtq_mem_size(u16 n) { return used_off(n) + ((6 + 8ull * n + 4095) & ~4095ull); }

bool virtq_setup(struct virtio_pci *v, u16 q, u16 size, void *mem, u16 msix,
		 struct virtq *vq, const char **err)
{
	u64 c = v->common, base = (u64)mem;
	u16 max;

	w16(c + C_QSELECT, q);
	max = r16(c + C_QSIZE);
	if (!max) {
		*err = "queue not available";
		return false;
	}
	while (size > max || (size & (size - 1)))
		size = (u16)(size & (size - 1) ? 1u << (31 - __builtin_clz(size)) : size / 2);
	memset(mem, 0, virtq_mem_size(size));
	vq->index = q;
	vq->size = size;
	vq->desc = mem;
	vq->avail = (struct vring_avail *)(base + avail_off(size));
	vq->used = (struct vring_used *)(base + used_off(size));
	vq->avail_idx = vq->last_used = 0;
	vq->notify = v->notify_base + (u64)r16(c + C_QNOTIFY_OFF) * v->notify_mult;
	w16(c + C_QSIZE, size);
	w16(c + C_QMSIX, msix);
	/* 4.1.5.1.2: reading back NO_VECTOR means the device refused it. */
	if (msix != VIRTIO_NO_VECTOR && r16(c + C_QMSIX) != msix) {
		*err = "device refused the queue's MSI-X vector";
		return false;
	}
	mmio_write32(c + C_QDESC, (u32)base);
	mmio_write32(c + C_QDESC + 4, (u32)(base >> 32));
	mmio_write32(c + C_QDRIVER, (u32)(u64)vq->avail);
	mmio_write32(c + C_QDRIVER + 4, 0);
	mmio_write32(c + C_QDEVICE, (u32)(u64)vq->used);
	mmio_write32(c + C_QDEVICE + 4, 0);
	w16(c + C_QENABLE, 1);
	return true;
}

void virtio_driver_ok(struct virtio_pci *v)
{
	w16(v->common + C_MSIX_CONFIG, VIRTIO_NO_VECTOR);
	w8(v->common + C_STATUS, VIRTIO_ST_ACK | VIRTIO_ST_DRIVER | VIRTIO_ST_FEATURES_OK |
	   VIRTIO_ST_DRIVER_OK);
}

void virtio_msix_enable(struct virtio_pci *v, bool on)
{
	pci_msix_enable(&v->pci, v->msix_cap, on);
}

/* x86 message format (SDM 11.11): fixed, edge, physical destination. */
void virtio_msix_set(struct virtio_pci *v, u16 entry, u32 dest_apic, u8 vector, bool masked)
{
	pci_msix_entry(v->msix_table, entry, 0xfee00000u | (dest_apic & 0xff) << 12, vector, masked);
}

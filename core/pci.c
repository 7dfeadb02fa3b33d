/* SPDX-License-Identifier: MIT */
/*
 * pci.c - PCI bus 0: a host bridge in slot 0 and single-function type-0
 * devices, reached through ECAM (PCIe 3.0 7.2.2, bus 0 only: x86's MCFG
 * table, arm64's pci-host-ecam-generic node) and on x86 also through
 * configuration mechanism #1 (0xCF8 address, 0xCFC-0xCFF data; PCI Local
 * Bus 3.0 3.2.2.3.2). Where the arches differ (ECAM base, BAR windows,
 * I/O space, INTx lines) the bus follows its struct nx_pci_arch.
 *
 * Config space is a byte array with a mask of guest-writable bits and one of
 * write-1-to-clear bits; every side effect (BAR decode, MSI/MSI-X
 * programming, command register) is derived after the write from what
 * changed. BAR sizing falls out of the writable mask: the guest writes all
 * ones and reads back ~(size - 1) | type bits (PCI 3.0 6.2.5.1).
 *
 * There is no firmware: nexit assigns every BAR from the arch's window when
 * a device registers; a BAR is decoded (on the MMIO/PIO bus, and reported
 * to the device through ops->bar_map) while the command register enables
 * its space, and follows the guest if it moves it.
 */
#include <stdlib.h>
#include <string.h>
#include "core/log.h"
#include "core/pci.h"
#include "core/vm.h"

/* Type-0 header offsets (PCI 3.0 6.1). */
#define CFG_VENDOR	0x00
#define CFG_COMMAND	0x04
#define CFG_STATUS	0x06
#define CFG_REVISION	0x08
#define CFG_BAR0	0x10
#define CFG_SUBSYS_VID	0x2c
#define CFG_CAP_PTR	0x34
#define CFG_INT_LINE	0x3c
#define CFG_INT_PIN	0x3d
#define CFG_CAPS_START	0x40

#define CMD_IO		(1u << 0)
#define CMD_MEM		(1u << 1)
#define CMD_MASTER	(1u << 2)
#define CMD_PARITY	(1u << 6)
#define CMD_SERR	(1u << 8)
#define CMD_INTX_DIS	(1u << 10)
#define STS_INTX	(1u << 3)
#define STS_CAP_LIST	(1u << 4)

#define CAP_ID_MSI	0x05
#define CAP_ID_MSIX	0x11
/* MSI message control (PCI 3.0 6.8.1.3). */
#define MSI_CTL_EN	(1u << 0)
#define MSI_CTL_MMC(c)	(((c) >> 1) & 7)
#define MSI_CTL_MME(c)	(((c) >> 4) & 7)
#define MSI_CTL_64	(1u << 7)
#define MSI_CTL_PVM	(1u << 8)
/* MSI-X message control (PCI 3.0 6.8.2.3) and vector control (6.8.2.9). */
#define MSIX_CTL_FMASK	(1u << 14)
#define MSIX_CTL_EN	(1u << 15)
#define MSIX_ENTRY_MASKED 1u

struct bar_ref {
	struct nx_pci_dev *d;
	int bar;
};

struct nx_pci {
	struct nx_vm *vm;
	const struct nx_pci_arch *arch;
	pthread_mutex_t lock;		/* recursive: ops may query the bus */
	struct nx_pci_dev *slot[NX_PCI_SLOTS];
	struct bar_ref refs[NX_PCI_SLOTS][6];
	uint32_t cf8;			/* mechanism #1 address latch */
	uint64_t mmio_next, io_next;	/* BAR allocation cursors */
	struct nx_pci_dev bridge;
};

static struct nx_pci *bus_of(struct nx_vm *vm) { return vm->pci; }

void nx_pci_lock(struct nx_vm *vm)
{
	if (vm->pci)
		pthread_mutex_lock(&bus_of(vm)->lock);
}

void nx_pci_unlock(struct nx_vm *vm)
{
	if (vm->pci)
		pthread_mutex_unlock(&bus_of(vm)->lock);
}

/* ---- little-endian field helpers --------------------------------------- */
static uint32_t get(const uint8_t *a, unsigned off, unsigned len)
{
	uint32_t v = 0;

	for (unsigned i = 0; i < len; i++)
		v |= (uint32_t)a[off + i] << (8 * i);
	return v;
}

static void put(uint8_t *a, unsigned off, unsigned len, uint32_t v)
{
	for (unsigned i = 0; i < len; i++)
		a[off + i] = (uint8_t)(v >> (8 * i));
}

static bool touches(unsigned off, unsigned len, unsigned start, unsigned n)
{
	return off < start + n && start < off + len;
}

uint16_t nx_pci_command(const struct nx_pci_dev *d)
{
	return (uint16_t)get(d->cfg, CFG_COMMAND, 2);
}

/* ---- BARs -------------------------------------------------------------- */
static uint64_t bar_addr(const struct nx_pci_dev *d, int i)
{
	const struct nx_pci_bar *b = &d->bar[i];
	uint64_t a = get(d->cfg, CFG_BAR0 + 4 * i, 4);

	if (b->flags & NX_PCI_BAR_IO)
		return a & ~3ull;
	a &= ~0xfull;
	if (b->flags & NX_PCI_BAR_MEM64)
		a |= (uint64_t)get(d->cfg, CFG_BAR0 + 4 * i + 4, 4) << 32;
	return a;
}

/* May the BAR be decoded at a? Not while it holds the sizing pattern, and
 * only inside the host bridge's windows (x86: the DSDT's _CRS; arm64: the
 * DT's ranges), so that a half-written or probing BAR never shadows RAM,
 * ECAM, the interrupt controller or a platform device. */
static bool bar_addr_ok(const struct nx_pci_dev *d, int i, uint64_t a)
{
	const struct nx_pci_arch *ar = d->bus->arch;
	const struct nx_pci_bar *b = &d->bar[i];
	uint64_t base64, size64;

	/* Every bound is "a <= end - size": the guest's a + size may wrap. */
	if (!a || b->size > ar->decode_end - ar->decode_base)
		return false;
	if (b->flags & NX_PCI_BAR_IO)
		return a >= ar->io_min && b->size <= ar->io_end && a <= ar->io_end - b->size;
	if (a >= ar->decode_base && a <= ar->decode_end - b->size)
		return true;
	if (!ar->mmio64_window)
		return false;
	ar->mmio64_window(&d->vm->mem, &base64, &size64);
	return (b->flags & NX_PCI_BAR_MEM64) && b->size <= size64 && a >= base64 &&
	       a - base64 <= size64 - b->size;
}

static void msix_io(struct nx_pci_dev *d, uint64_t off, uint8_t *data, uint32_t len,
		    bool w);

/* Exit handler of a decoded BAR: the MSI-X table and PBA belong to the bus
 * emulation, everything else to the device. */
static void bar_io(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool w,
		   struct nx_vcpu *vcpu)
{
	struct bar_ref *r = opaque;
	struct nx_pci_dev *d = r->d;
	struct nx_pci_bar *b = &d->bar[r->bar];

	if (d->msix_cap && r->bar == d->msix_bar) {
		uint64_t tend = d->msix_table + 16ull * d->msix_n;
		uint64_t pend = d->msix_pba + 8ull * ((d->msix_n + 63) / 64);

		if ((off >= d->msix_table && off < tend) || (off >= d->msix_pba && off < pend)) {
			nx_pci_lock(d->vm);
			msix_io(d, off, data, len, w);
			nx_pci_unlock(d->vm);
			return;
		}
	}
	if (b->fn)
		b->fn(b->opaque, off, data, len, w, vcpu);
	else if (!w)
		memset(data, 0xff, len);
}

static void bar_unmap(struct nx_pci_dev *d, int i)
{
	struct nx_pci_bar *b = &d->bar[i];

	if (!b->mapped)
		return;
	b->mapped = false;
	nx_bus_unregister(b->flags & NX_PCI_BAR_IO ? &d->vm->pio : &d->vm->mmio, b->addr);
	if (d->ops && d->ops->bar_map)
		d->ops->bar_map(d, i, b->addr, false);
}

/* Brings BAR i's decode in line with the command register and its address. */
static void bar_update(struct nx_pci_dev *d, int i)
{
	struct nx_pci_bar *b = &d->bar[i];
	uint16_t cmd = nx_pci_command(d);
	bool io = b->flags & NX_PCI_BAR_IO;
	bool en = io ? (cmd & CMD_IO) : (cmd & CMD_MEM);
	uint64_t a = bar_addr(d, i);

	if (!b->size)
		return;
	if (b->mapped && (!en || a != b->addr))
		bar_unmap(d, i);
	if (b->mapped || !en || !bar_addr_ok(d, i, a))
		return;
	if (nx_bus_register(io ? &d->vm->pio : &d->vm->mmio, a, b->size, bar_io,
			    &d->bus->refs[d->slot][i], d->name) < 0) {
		nx_warn("PCI %s: BAR%d at 0x%llx not decoded", d->name, i, (unsigned long long)a);
		return;
	}
	b->addr = a;
	b->mapped = true;
	if (d->ops && d->ops->bar_map)
		d->ops->bar_map(d, i, a, true);
}

int nx_pci_add_bar(struct nx_pci_dev *d, int i, uint64_t size, uint32_t flags,
		   nx_io_fn fn, void *opaque)
{
	uint32_t lo;

	if (i < 0 || i > 5 || ((flags & NX_PCI_BAR_MEM64) && i == 5))
		return nx_error("PCI %s: bad BAR index %d", d->name, i);
	if ((flags & NX_PCI_BAR_IO) && !d->bus->arch->io_end)
		return nx_error("PCI %s: BAR%d is an I/O BAR and this host bridge has no I/O space",
				d->name, i);
	if (!(flags & NX_PCI_BAR_IO) && size < 0x1000)
		size = 0x1000;	/* page-sized: KVM memslots and ioeventfds per page */
	if (!size || (size & (size - 1)) || ((flags & NX_PCI_BAR_IO) && size > 0x1000))
		return nx_error("PCI %s: BAR%d size 0x%llx is not a power of two", d->name, i,
				(unsigned long long)size);
	d->bar[i] = (struct nx_pci_bar){ .size = size, .flags = flags, .fn = fn, .opaque = opaque };
	if (flags & NX_PCI_BAR_IO) {
		put(d->cfg, CFG_BAR0 + 4 * i, 4, 1);
		put(d->wmask, CFG_BAR0 + 4 * i, 4, ~(uint32_t)(size - 1) & 0xfffffffcu);
		return 0;
	}
	lo = (flags & NX_PCI_BAR_MEM64 ? 0x4 : 0) | (flags & NX_PCI_BAR_PREFETCH ? 0x8 : 0);
	put(d->cfg, CFG_BAR0 + 4 * i, 4, lo);
	put(d->wmask, CFG_BAR0 + 4 * i, 4, ~(uint32_t)(size - 1) & 0xfffffff0u);
	if (flags & NX_PCI_BAR_MEM64)
		put(d->wmask, CFG_BAR0 + 4 * i + 4, 4, (uint32_t)(~(size - 1) >> 32));
	return 0;
}

/* ---- capabilities ------------------------------------------------------ */
int nx_pci_add_cap(struct nx_pci_dev *d, uint8_t id, unsigned size)
{
	unsigned off = d->cap_end ? d->cap_end : CFG_CAPS_START;

	if (off + size > NX_PCI_CFG_SIZE)
		return nx_error("PCI %s: config space full", d->name);
	/* Prepend to the list: cap pointer -> new -> old first (6.7). */
	d->cfg[off] = id;
	d->cfg[off + 1] = d->cfg[CFG_CAP_PTR];
	d->cfg[CFG_CAP_PTR] = (uint8_t)off;
	put(d->cfg, CFG_STATUS, 2, get(d->cfg, CFG_STATUS, 2) | STS_CAP_LIST);
	d->cap_end = (uint8_t)((off + size + 3) & ~3u);
	return (int)off;
}

/* Bytes of an MSI capability (6.8.1): 32- or 64-bit address, and the mask
 * and pending registers with per-vector masking. */
static unsigned msi_len(uint16_t ctl)
{
	unsigned n = ctl & MSI_CTL_64 ? 14 : 10;

	return ctl & MSI_CTL_PVM ? n + 10 : n;
}

/* Emulates an MSI capability at off (made by nx_pci_add_cap or found in a real
 * device's config space, then id/next/MMC/64-bit are already there). A
 * capability must lie wholly inside the 256-byte space nexit emulates:
 * a real device's that runs past it is refused (its registers would be
 * written beyond cfg/wmask). */
int nx_pci_claim_msi(struct nx_pci_dev *d, unsigned off)
{
	uint16_t ctl;
	bool is64, pvm;
	unsigned data;

	if (off < CFG_CAPS_START || off + 4 > NX_PCI_CFG_SIZE ||
	    off + msi_len((uint16_t)get(d->cfg, off + 2, 2)) > NX_PCI_CFG_SIZE)
		return nx_error("PCI %s: MSI capability at 0x%x does not fit in config space",
				d->name, off);
	ctl = (uint16_t)get(d->cfg, off + 2, 2);
	is64 = ctl & MSI_CTL_64;
	pvm = ctl & MSI_CTL_PVM;
	data = off + (is64 ? 12 : 8);
	d->msi_cap = (uint8_t)off;
	/* Multiple Message Capable 110b and 111b are reserved (6.8.1.3): a
	 * device that says so gets the largest defined, 32 vectors. */
	d->msi_nvec = 1u << (MSI_CTL_MMC(ctl) > 5 ? 5 : MSI_CTL_MMC(ctl));
	/* Enable and Multiple Message Enable are the guest's (6.8.1.3). */
	put(d->cfg, off + 2, 2, ctl & ~(MSI_CTL_EN | (7u << 4)));
	put(d->wmask, off + 2, 2, MSI_CTL_EN | (7u << 4));
	put(d->wmask, off + 4, 4, 0xfffffffcu);		/* dword-aligned address */
	if (is64)
		put(d->wmask, off + 8, 4, 0xffffffffu);
	put(d->wmask, data, 2, 0xffff);
	if (pvm) {
		put(d->wmask, data + 4, 4, d->msi_nvec == 32 ? 0xffffffffu :
			      (1u << d->msi_nvec) - 1);
		put(d->cfg, data + 8, 4, 0);		/* pending bits: RO */
	}
	return 0;
}

/* Emulates a real device's MSI-X capability at off (VFIO): the table and
 * PBA location as the device says, n clamped to what nexit holds. */
int nx_pci_claim_msix(struct nx_pci_dev *d, unsigned off)
{
	uint16_t ctl;
	uint32_t t, p;

	if (off < CFG_CAPS_START || off + 12 > NX_PCI_CFG_SIZE)
		return nx_error("PCI %s: MSI-X capability at 0x%x does not fit in config space",
				d->name, off);
	ctl = (uint16_t)get(d->cfg, off + 2, 2);
	t = get(d->cfg, off + 4, 4);
	p = get(d->cfg, off + 8, 4);
	d->msix_cap = (uint8_t)off;
	d->msix_n = (ctl & 0x7ff) + 1u;
	if (d->msix_n > NX_PCI_MAX_MSIX)
		d->msix_n = NX_PCI_MAX_MSIX;
	d->msix_bar = (int)(t & 7);
	d->msix_table = t & ~7u;
	d->msix_pba = p & ~7u;
	/* Enable and function mask start clear and are the guest's (6.8.2.3). */
	put(d->cfg, off + 2, 2, ctl & ~(MSIX_CTL_EN | MSIX_CTL_FMASK));
	put(d->wmask, off + 2, 2, MSIX_CTL_EN | MSIX_CTL_FMASK);
	for (unsigned i = 0; i < d->msix_n; i++)
		d->msix[i].ctrl = MSIX_ENTRY_MASKED;
	return 0;
}

int nx_pci_add_msi(struct nx_pci_dev *d, unsigned nvec, bool pvm)
{
	unsigned mmc = 0;
	int off;

	if (!nvec || nvec > 32 || (nvec & (nvec - 1)))
		return nx_error("PCI %s: MSI vector count %u is not 1..32, a power of two",
				d->name, nvec);
	while ((1u << mmc) < nvec)
		mmc++;
	off = nx_pci_add_cap(d, CAP_ID_MSI, pvm ? 24 : 16);
	if (off < 0)
		return -1;
	put(d->cfg, off + 2, 2, MSI_CTL_64 | (pvm ? MSI_CTL_PVM : 0) | (mmc << 1));
	return nx_pci_claim_msi(d, (unsigned)off);
}

int nx_pci_add_msix(struct nx_pci_dev *d, unsigned n, int bar, uint32_t table_off,
		    uint32_t pba_off)
{
	int off;

	if (!n || n > NX_PCI_MAX_MSIX)
		return nx_error("PCI %s: MSI-X table size %u is not 1..%d", d->name, n,
				NX_PCI_MAX_MSIX);
	if (bar < 0 || bar > 5 || (table_off & 7) || (pba_off & 7))
		return nx_error("PCI %s: bad MSI-X table/PBA placement", d->name);
	off = nx_pci_add_cap(d, CAP_ID_MSIX, 12);
	if (off < 0)
		return -1;
	d->msix_cap = (uint8_t)off;
	d->msix_n = n;
	d->msix_bar = bar;
	d->msix_table = table_off;
	d->msix_pba = pba_off;
	put(d->cfg, off + 2, 2, n - 1);
	put(d->wmask, off + 2, 2, MSIX_CTL_EN | MSIX_CTL_FMASK);
	put(d->cfg, off + 4, 4, table_off | (uint32_t)bar);
	put(d->cfg, off + 8, 4, pba_off | (uint32_t)bar);
	/* Every vector starts masked (6.8.2.9). */
	for (unsigned i = 0; i < n; i++)
		d->msix[i].ctrl = MSIX_ENTRY_MASKED;
	return 0;
}

bool nx_pci_msi_enabled(const struct nx_pci_dev *d)
{
	return d->msi_cap && (get(d->cfg, d->msi_cap + 2, 2) & MSI_CTL_EN);
}

unsigned nx_pci_msi_vectors(const struct nx_pci_dev *d)
{
	unsigned mme;

	if (!nx_pci_msi_enabled(d))
		return 0;
	mme = MSI_CTL_MME(get(d->cfg, d->msi_cap + 2, 2));
	return (1u << mme) > d->msi_nvec ? d->msi_nvec : 1u << mme;
}

void nx_pci_msi_msg(const struct nx_pci_dev *d, unsigned vec, struct nx_msi_msg *m)
{
	unsigned c = d->msi_cap, n = nx_pci_msi_vectors(d);
	uint16_t ctl = (uint16_t)get(d->cfg, c + 2, 2);
	bool is64 = ctl & MSI_CTL_64;
	unsigned data = c + (is64 ? 12 : 8);

	m->addr = get(d->cfg, c + 4, 4);
	if (is64)
		m->addr |= (uint64_t)get(d->cfg, c + 8, 4) << 32;
	/* Multiple messages: the device puts the vector number in the low
	 * log2(n) bits of the data (6.8.1.6). */
	m->data = get(d->cfg, data, 2);
	if (n > 1)
		m->data = (m->data & ~(n - 1)) | (vec & (n - 1));
	m->masked = (ctl & MSI_CTL_PVM) && (get(d->cfg, data + 4, 4) >> (vec & 31) & 1);
}

bool nx_pci_msix_enabled(const struct nx_pci_dev *d)
{
	return d->msix_cap && (get(d->cfg, d->msix_cap + 2, 2) & MSIX_CTL_EN);
}

void nx_pci_msix_msg(const struct nx_pci_dev *d, unsigned vec, struct nx_msi_msg *m)
{
	const struct nx_msix_entry *e = &d->msix[vec < d->msix_n ? vec : 0];

	m->addr = e->addr_lo | (uint64_t)e->addr_hi << 32;
	m->data = e->data;
	/* A vector is masked by its own bit or by the function mask (6.8.2.3). */
	m->masked = (e->ctrl & MSIX_ENTRY_MASKED) ||
		    (get(d->cfg, d->msix_cap + 2, 2) & MSIX_CTL_FMASK);
}

/* The MSI-X table and PBA inside their BAR (6.8.2): dword or qword access. */
static void msix_io(struct nx_pci_dev *d, uint64_t off, uint8_t *data, uint32_t len, bool w)
{
	if (off >= d->msix_pba && off < d->msix_pba + 8ull * ((d->msix_n + 63) / 64)) {
		uint64_t v = d->msix_pending >> (8 * (off - d->msix_pba));

		if (!w)
			memcpy(data, &v, len > 8 ? 8 : len);
		return;		/* PBA is read-only */
	}
	off -= d->msix_table;
	for (uint32_t done = 0; done < len; done += 4) {
		unsigned vec = (unsigned)((off + done) / 16), f = (unsigned)((off + done) % 16);
		uint32_t *p = &(&d->msix[vec].addr_lo)[f / 4], v, old;

		if (vec >= d->msix_n || len - done < 4 || (f & 3)) {
			if (!w)
				memset(data + done, 0, len - done);
			return;
		}
		if (done == 0) {	/* one exit per access, before it changes the entry */
			struct nx_msi_msg m;

			nx_pci_msix_msg(d, vec, &m);
			if (nx_pci_msix_enabled(d) && !m.masked)
				d->msix_live_exits[vec]++;
		}
		if (!w) {
			memcpy(data + done, p, 4);
			continue;
		}
		memcpy(&v, data + done, 4);
		if (f == 12)
			v &= MSIX_ENTRY_MASKED;		/* other vector control bits reserved */
		old = *p;
		*p = v;
		if (old != v && d->ops && d->ops->msix_update)
			d->ops->msix_update(d, (int)vec);
	}
}

/* ---- INTx -------------------------------------------------------------- */
int nx_pci_set_intx(struct nx_pci_dev *d, unsigned pin)
{
	if (pin > 3)
		return nx_error("PCI %s: INTx pin %u is not INTA#..INTD#", d->name, pin);
	d->cfg[CFG_INT_PIN] = (uint8_t)(pin + 1);	/* 1 = INTA# (6.2.4) */
	return 0;
}

unsigned nx_pci_intx_line(const struct nx_pci_dev *d)
{
	return d->bus->arch->intx_gsi((unsigned)d->slot,
				      d->cfg[CFG_INT_PIN] ? d->cfg[CFG_INT_PIN] - 1u : 0);
}

/* Called from interrupt-source callbacks that must not take the bus lock
 * (the fallback controller holds its own): one atomic byte update. */
void nx_pci_set_intx_status(struct nx_pci_dev *d, bool on)
{
	if (on)
		__atomic_fetch_or(&d->cfg[CFG_STATUS], (uint8_t)STS_INTX, __ATOMIC_RELAXED);
	else
		__atomic_fetch_and(&d->cfg[CFG_STATUS], (uint8_t)~STS_INTX, __ATOMIC_RELAXED);
}

/* ---- devices ----------------------------------------------------------- */
static void header_init(struct nx_pci_dev *d, uint16_t vendor, uint16_t device,
			uint32_t class_code)
{
	put(d->cfg, CFG_VENDOR, 2, vendor);
	put(d->cfg, CFG_VENDOR + 2, 2, device);
	put(d->cfg, CFG_REVISION, 4, class_code << 8);	/* revision 0 */
	put(d->cfg, CFG_SUBSYS_VID, 2, 0x1af4);		/* subsystem: any stable id */
	put(d->cfg, CFG_SUBSYS_VID + 2, 2, 0x1100);
	put(d->wmask, CFG_COMMAND, 2, CMD_IO | CMD_MEM | CMD_MASTER | CMD_PARITY | CMD_SERR |
		      CMD_INTX_DIS);
	put(d->w1c, CFG_STATUS, 2, 0xf900);		/* error bits: RW1C (6.2.3) */
	d->wmask[0x0c] = 0xff;				/* cache line size */
	d->wmask[0x0d] = 0xff;				/* latency timer */
	d->wmask[CFG_INT_LINE] = 0xff;
}

struct nx_pci_dev *nx_pci_dev_new(struct nx_vm *vm, const char *name, uint16_t vendor,
				  uint16_t device, uint32_t class_code, int slot)
{
	struct nx_pci_dev *d;

	if (nx_pci_init(vm) < 0)
		return NULL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return nx_error_null("out of memory for PCI device %s", name);
	d->vm = vm;
	d->bus = bus_of(vm);
	d->slot = slot;
	snprintf(d->name, sizeof(d->name), "%s", name);
	header_init(d, vendor, device, class_code);
	return d;
}

static int assign_bars(struct nx_pci *pci, struct nx_pci_dev *d)
{
	const struct nx_pci_arch *ar = pci->arch;

	for (int i = 0; i < 6; i++) {
		struct nx_pci_bar *b = &d->bar[i];
		uint64_t *cur = b->flags & NX_PCI_BAR_IO ? &pci->io_next : &pci->mmio_next;
		uint64_t a;

		if (!b->size)
			continue;
		a = (*cur + b->size - 1) & ~(b->size - 1);	/* natural alignment */
		if (b->flags & NX_PCI_BAR_IO ? a + b->size > ar->io_end :
		    a + b->size > ar->mmio_base + ar->mmio_size)
			return nx_error("PCI %s: no room for BAR%d (0x%llx bytes)", d->name, i,
					(unsigned long long)b->size);
		*cur = a + b->size;
		put(d->cfg, CFG_BAR0 + 4 * i, 4, (uint32_t)a | (get(d->cfg, CFG_BAR0 + 4 * i, 4) &
					     (b->flags & NX_PCI_BAR_IO ? 3u : 0xfu)));
		if (b->flags & NX_PCI_BAR_MEM64)
			put(d->cfg, CFG_BAR0 + 4 * i + 4, 4, (uint32_t)(a >> 32));
		b->addr = a;
	}
	return 0;
}

int nx_pci_dev_register(struct nx_pci_dev *d)
{
	struct nx_pci *pci = d->bus;
	int ret = 0;

	pthread_mutex_lock(&pci->lock);
	if (d->slot < 0) {
		for (int s = 1; s < NX_PCI_SLOTS && d->slot < 0; s++)
			if (!pci->slot[s])
				d->slot = s;
		if (d->slot < 0) {
			ret = nx_error("PCI %s: bus 0 is full (%d slots)", d->name, NX_PCI_SLOTS);
			goto out;
		}
	} else if (d->slot >= NX_PCI_SLOTS || pci->slot[d->slot]) {
		ret = nx_error("PCI %s: slot %d is %s", d->name, d->slot,
			       d->slot >= NX_PCI_SLOTS ? "out of range (0-31)" : "taken");
		goto out;
	}
	if (assign_bars(pci, d) < 0) {
		ret = -1;
		goto out;
	}
	/* Interrupt Line: where the platform's tables route this slot/pin
	 * (6.2.4; x86: the GSI of the MP table and _PRT, arm64: the INTID). */
	if (d->cfg[CFG_INT_PIN])
		d->cfg[CFG_INT_LINE] = (uint8_t)(pci->arch->intx_line_base + nx_pci_intx_line(d));
	for (int i = 0; i < 6; i++)
		pci->refs[d->slot][i] = (struct bar_ref){ d, i };
	pci->slot[d->slot] = d;
out:
	pthread_mutex_unlock(&pci->lock);
	return ret;
}

struct nx_pci_dev *nx_pci_slot(struct nx_vm *vm, unsigned slot)
{
	return vm->pci && slot < NX_PCI_SLOTS ? bus_of(vm)->slot[slot] : NULL;
}

/* ---- config accesses --------------------------------------------------- */
static unsigned msi_cap_len(const struct nx_pci_dev *d)
{
	return d->msi_cap ? msi_len((uint16_t)get(d->cfg, d->msi_cap + 2, 2)) : 0;
}

static bool is_emulated(const struct nx_pci_dev *d, unsigned off)
{
	if (off < CFG_CAPS_START)
		return true;
	if (d->msi_cap && off >= d->msi_cap && off < d->msi_cap + msi_cap_len(d))
		return true;
	return d->msix_cap && off >= d->msix_cap && off < d->msix_cap + 12u;
}

static void cfg_write(struct nx_pci_dev *d, unsigned off, uint8_t *data, unsigned len)
{
	uint16_t old_cmd = nx_pci_command(d);
	uint16_t old_msix = d->msix_cap ? (uint16_t)get(d->cfg, d->msix_cap + 2, 2) : 0;
	unsigned mlen = msi_cap_len(d);
	uint8_t before[24];

	if (d->msi_cap)
		memcpy(before, d->cfg + d->msi_cap, mlen);
	for (unsigned i = 0; i < len; i++) {
		unsigned o = off + i;
		uint8_t v = data[i];

		d->cfg[o] = (uint8_t)((d->cfg[o] & ~d->wmask[o]) | (v & d->wmask[o]));
		d->cfg[o] &= (uint8_t)~(v & d->w1c[o]);
	}
	if (touches(off, len, CFG_COMMAND, 2) || touches(off, len, CFG_BAR0, 24))
		for (int i = 0; i < 6; i++)
			bar_update(d, i);
	if (touches(off, len, CFG_COMMAND, 2) && d->ops && d->ops->command)
		d->ops->command(d, old_cmd, nx_pci_command(d));
	if (d->msi_cap && touches(off, len, d->msi_cap, mlen) &&
	    memcmp(before, d->cfg + d->msi_cap, mlen) && d->ops && d->ops->msi_update)
		d->ops->msi_update(d);
	if (d->msix_cap && touches(off, len, d->msix_cap + 2, 2) &&
	    old_msix != get(d->cfg, d->msix_cap + 2, 2) && d->ops && d->ops->msix_update)
		d->ops->msix_update(d, -1);
}

void nx_pci_cfg_access(struct nx_vm *vm, unsigned slot, unsigned fn, unsigned off,
		       uint8_t *data, unsigned len, bool w)
{
	struct nx_pci *pci = bus_of(vm);
	struct nx_pci_dev *d;

	if (!pci || slot >= NX_PCI_SLOTS || len > 4 || (off & (len - 1))) {
		if (!w)
			memset(data, 0xff, len);
		return;
	}
	pthread_mutex_lock(&pci->lock);
	d = pci->slot[slot];
	if (!d || fn) {
		/* No device: master abort, reads return all ones (3.2.2.3.2). */
		if (!w)
			memset(data, 0xff, len);
	} else if (!is_emulated(d, off) && d->ops && d->ops->cfg_access &&
		   d->ops->cfg_access(d, off, data, len, w)) {
		/* passed through (VFIO) */
	} else if (off >= NX_PCI_CFG_SIZE) {
		if (!w)
			memset(data, 0, len);	/* no extended capabilities */
	} else {
		if (d->msi_cap && touches(off, len, d->msi_cap, 24) && nx_pci_msi_enabled(d))
			d->msi_live_exits++;
		if (w)
			cfg_write(d, off, data, len);
		else
			memcpy(data, d->cfg + off, len);
	}
	pthread_mutex_unlock(&pci->lock);
}

/* Mechanism #1: a dword write to 0xCF8 latches the address (bit 31 enable,
 * bus 23:16, device 15:11, function 10:8, register 7:2). */
static void io_cf8(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool w,
		   struct nx_vcpu *vcpu)
{
	struct nx_pci *pci = opaque;

	if (len != 4) {		/* byte/word accesses are not the address register */
		if (!w)
			memset(data, 0xff, len);
		return;
	}
	if (w)
		memcpy(&pci->cf8, data, 4);
	else
		memcpy(data, &pci->cf8, 4);
}

static void io_cfc(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool w,
		   struct nx_vcpu *vcpu)
{
	struct nx_pci *pci = opaque;
	uint32_t a = pci->cf8;

	if (!(a & 0x80000000u) || ((a >> 16) & 0xff) != 0) {
		if (!w)
			memset(data, 0xff, len);
		return;
	}
	nx_pci_cfg_access(pci->vm, (a >> 11) & 31, (a >> 8) & 7, (a & 0xfc) + (unsigned)off,
			  data, len, w);
}

/* ECAM: offset = bus << 20 | device << 15 | function << 12 | register. */
static void ecam(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool w,
		 struct nx_vcpu *vcpu)
{
	struct nx_pci *pci = opaque;

	if (len == 8) {		/* split a qword into two dword accesses */
		ecam(opaque, off, data, 4, w, vcpu);
		ecam(opaque, off + 4, data + 4, 4, w, vcpu);
		return;
	}
	nx_pci_cfg_access(pci->vm, (off >> 15) & 31, (off >> 12) & 7, off & 0xfff, data, len, w);
}

int nx_pci_init_arch(struct nx_vm *vm, const struct nx_pci_arch *arch)
{
	struct nx_pci *pci;
	pthread_mutexattr_t ma;

	if (vm->pci)
		return 0;
	pci = calloc(1, sizeof(*pci));
	if (!pci)
		return nx_error("out of memory for the PCI bus");
	pci->vm = vm;
	pci->arch = arch;
	pthread_mutexattr_init(&ma);
	pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&pci->lock, &ma);
	pthread_mutexattr_destroy(&ma);
	pci->mmio_next = arch->mmio_base;
	pci->io_next = arch->io_base;

	/* Slot 0: the host bridge (class 06:00). */
	pci->bridge.vm = vm;
	pci->bridge.bus = pci;
	pci->bridge.slot = 0;
	snprintf(pci->bridge.name, sizeof(pci->bridge.name), "host-bridge");
	header_init(&pci->bridge, arch->bridge_vendor, arch->bridge_device, 0x060000);
	pci->slot[0] = &pci->bridge;

	if ((arch->cf8 && (nx_bus_register(&vm->pio, 0xcf8, 1, io_cf8, pci, "pci-cf8") < 0 ||
			   nx_bus_register(&vm->pio, 0xcfc, 4, io_cfc, pci, "pci-cfc") < 0)) ||
	    nx_bus_register(&vm->mmio, arch->ecam, 1 << 20, ecam, pci, "pci-ecam") < 0) {
		free(pci);
		return -1;
	}
	vm->pci = pci;
	return 0;
}

int nx_pci_init(struct nx_vm *vm)
{
	return nx_pci_init_arch(vm, nx_arch_pci());
}

const struct nx_pci_arch *nx_pci_arch_of(struct nx_vm *vm)
{
	return vm->pci ? bus_of(vm)->arch : nx_arch_pci();
}

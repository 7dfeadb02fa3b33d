/* SPDX-License-Identifier: MIT */
/*
 * hostile seed=N ops=M - a guest that attacks its VMM through every window
 * the VMM gives it, with a pseudo-random sequence from the seed (xorshift64,
 * so a failing seed replays): config space of every PCI slot and function
 * (mechanism #1 and ECAM, any offset, size and value: BARs moved or sized,
 * decode and INTx flipped, MSI/MSI-X programmed at random), every BAR the
 * functions had at the start (device registers, MSI-X tables, doorbells),
 * the IOAPIC window, the 8259 pair and ELCR, the UART, the ACPI PM1a event
 * block, nexit's counter page, and any other I/O port; device work with
 * absurd arguments in between (edu/irqdev factorials of huge operands,
 * raise/ack of every bit, a virtio device driven to DRIVER_OK with rings
 * nowhere). Then it powers off through ACPI S5: the VMM must still be there
 * to take it.
 *
 * Spared, because each ends the VM at once and the test wants the VMM to
 * last: writes to isa-debug-exit (0xf4), S5 (SLP_EN in PM1a_CNT 0x604),
 * reset (0xcf9 RST, 0x64 0xfe); the local APIC (KVM's, not the VMM's) and
 * RAM; and the delivery mode of every interrupt message (MSI data, MSI-X
 * entry data, IOAPIC redirection entries stay "fixed"): an NMI, INIT or SMI
 * the guest sends itself stops the guest, not the VMM. Everything runs in
 * ring 0 with interrupts off (the hold too), so whatever the chaos makes
 * the interrupt controllers deliver waits in the LAPIC instead of landing
 * on a vector the guest never set up.
 * Keys: seed (1), ops (20000), hold_ms (0: wait so long before powering
 * off, for a host watching).
 */
#include "../probe.h"

#define MAX_BARS 64

struct hostile {
	u64 state;
	u64 ops, cfg, mmio, pio, work, spared;
	struct { u64 base, size, msix_table, msix_end; } bar[MAX_BARS];
	unsigned nbar;
	u8 msi_data[32];		/* per slot: MSI data register offset, 0 = none */
	u64 edu[4];			/* BAR0 of each edu/irqdev found */
	unsigned nedu;
	u64 virtio_common;		/* a virtio device's common config, or 0 */
};

static u64 rnd(struct hostile *h)
{
	u64 x = h->state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return h->state = x;
}

static unsigned size_of(u64 r) { return 1u << (r & 3); }	/* 1, 2, 4, 8 */

static void mmio_w(u64 a, unsigned len, u64 v)
{
	switch (len) {
	case 1: *(volatile u8 *)a = (u8)v; break;
	case 2: *(volatile u16 *)a = (u16)v; break;
	case 4: *(volatile u32 *)a = (u32)v; break;
	default: *(volatile u64 *)a = v; break;
	}
}

static void mmio_r(u64 a, unsigned len)
{
	switch (len) {
	case 1: (void)*(volatile u8 *)a; break;
	case 2: (void)*(volatile u16 *)a; break;
	case 4: (void)*(volatile u32 *)a; break;
	default: (void)*(volatile u64 *)a; break;
	}
}

static void mmio_any(struct hostile *h, u64 a, unsigned len, bool may_write)
{
	a &= ~(u64)(len - 1);		/* natural alignment, as a guest's */
	if (may_write && (rnd(h) & 1))
		mmio_w(a, len, rnd(h));
	else
		mmio_r(a, len);
	h->mmio++;
}

/* Would [reg, reg + len) of slot's config space touch its MSI data? */
static bool hits_msi_data(const struct hostile *h, unsigned slot, unsigned reg, unsigned len)
{
	unsigned d = h->msi_data[slot & 31];

	return d && reg < d + 2 && d < reg + len;
}

/* A port the VM survives writing: not the exits (0xf4), S5, the resets. */
static bool port_spared(u16 port, u32 *v)
{
	if (port == 0xf4 || port == 0xf5 || port == 0xf6 || port == 0xf7)
		return true;
	if (port >= 0x604 && port <= 0x605) {
		*v &= ~(1u << (13 - 8 * (port - 0x604)));	/* never SLP_EN */
		return false;
	}
	if (port == 0xcf9)
		return true;
	if (port == 0x64 && (*v & 0xff) == 0xfe)
		return true;
	return false;
}

static void pio_any(struct hostile *h, u16 port, unsigned len)
{
	u32 v = (u32)rnd(h);

	if (len > 4)
		len = 4;
	if (rnd(h) & 1) {
		if (!port_spared(port, &v)) {
			if (len == 1)
				outb(port, (u8)v);
			else if (len == 2)
				outw(port, (u16)v);
			else
				outl(port, v);
		}
	} else if (len == 1) {
		(void)inb(port);
	} else if (len == 2) {
		(void)inw(port);
	} else {
		(void)inl(port);
	}
	h->pio++;
}

static void cfg_any(struct hostile *h)
{
	u64 r = rnd(h);
	unsigned len = size_of(r >> 8), slot, reg;

	if (r & 1) {
		/* Mechanism #1: any slot/function/register, any data port byte. */
		u32 a = 0x80000000u | ((u32)(r >> 16) & 0xfffc) | (u32)((r >> 40) & 1) << 16;
		unsigned port = 0xcfc + ((r >> 32) & 3);

		slot = (a >> 11) & 31;
		reg = (a & 0xfc) + (port - 0xcfc);
		outl(0xcf8, a);
		if (hits_msi_data(h, slot, reg, len > 4 ? 4 : len) && !((a >> 8) & 7)) {
			(void)inb((u16)port);
			h->spared++;
		} else {
			pio_any(h, (u16)port, len);
		}
	} else {
		u64 off = (r >> 16) & 0xfffff;

		slot = (off >> 15) & 31;
		reg = off & 0xfff;
		mmio_any(h, 0xe0000000ull + off, len,
			 !(hits_msi_data(h, slot, reg & ~(len - 1), len) && !((off >> 12) & 7)));
	}
	h->cfg++;
}

/* The IOAPIC: IOREGSEL any value; IOWIN writes with fixed delivery and a
 * vector a device may use (>= 0x20) when IOREGSEL selects a RTE low word. */
static void ioapic_any(struct hostile *h)
{
	u64 r = rnd(h);
	volatile u32 *sel = (volatile u32 *)0xfec00000ull, *win = (volatile u32 *)0xfec00010ull;

	switch (r & 3) {
	case 0:
		*sel = (u32)(r >> 8) & 0xff;
		break;
	case 1: {
		u32 reg = *sel, v = (u32)(r >> 8);

		if (reg >= 0x10 && !(reg & 1)) {
			v &= ~(7u << 8);		/* fixed */
			if ((v & 0xff) < 0x20)
				v |= 0x20;
		}
		*win = v;
		break;
	}
	default:			/* reads anywhere in the window, any size */
		mmio_any(h, 0xfec00000ull + ((r >> 8) & 0x7f), size_of(r >> 16), false);
		break;
	}
	h->mmio++;
}

/* A BAR access; no writes to an MSI-X entry's message data. */
static void bar_any(struct hostile *h, u64 r, unsigned len)
{
	unsigned b = (unsigned)((r >> 16) % h->nbar);
	u64 off = (r >> 24) % h->bar[b].size;
	bool data = off >= h->bar[b].msix_table && off < h->bar[b].msix_end &&
		    ((off - h->bar[b].msix_table) & 15) < 12 &&
		    ((off - h->bar[b].msix_table) & 15) + len > 8;

	h->spared += data;
	mmio_any(h, h->bar[b].base + off, len, !data);
}

/* Device work with absurd arguments. */
static void work_any(struct hostile *h)
{
	u64 r = rnd(h);

	if (h->nedu) {
		u64 bar = h->edu[r % h->nedu];
		static const u32 operands[] = { 0xffffffffu, 0x80000000u, 34, 0 };

		mmio_w(bar + NX_IRQDEV_REG_STATUS, 4, NX_IRQDEV_ST_IRQFACT);
		mmio_w(bar + NX_IRQDEV_REG_FACT, 4, operands[(r >> 8) & 3] ^ (u32)(r >> 32 & 0xff));
		mmio_w(bar + NX_IRQDEV_REG_RAISE, 4, (u32)rnd(h));
		mmio_w(bar + NX_IRQDEV_REG_ACK, 4, (u32)rnd(h));
	}
	if (h->virtio_common && (r & 0x100)) {
		u64 c = h->virtio_common;

		/* ACK|DRIVER, features, FEATURES_OK, a queue with rings anywhere, DRIVER_OK. */
		mmio_w(c + 0x14, 1, 0);
		mmio_w(c + 0x14, 1, 3);
		mmio_w(c + 0x08, 4, 1);
		mmio_w(c + 0x0c, 4, 1);
		mmio_w(c + 0x14, 1, 0xb);
		mmio_w(c + 0x16, 2, (u16)(r >> 16) & 3);
		mmio_w(c + 0x18, 2, 1u << ((r >> 20) & 15));
		mmio_w(c + 0x20, 8, rnd(h));
		mmio_w(c + 0x28, 8, rnd(h));
		mmio_w(c + 0x30, 8, rnd(h));
		mmio_w(c + 0x1c, 2, 1);
		mmio_w(c + 0x14, 1, 0xf);
		mmio_w(c + 0x3000 + 4 * ((r >> 24) & 1), 2, (u16)(r >> 24) & 1);	/* kick */
	}
	h->work++;
}

static void one_op(struct hostile *h)
{
	u64 r = rnd(h);
	unsigned len = size_of(r >> 8);
	static const u16 pic[] = { 0x20, 0x21, 0xa0, 0xa1, 0x4d0, 0x4d1 };

	switch (r % 16) {
	case 0: case 1: case 2: case 3:
		cfg_any(h);
		break;
	case 4: case 5: case 6: case 7:
		if (h->nbar)
			bar_any(h, r, len);
		break;
	case 8:
		ioapic_any(h);
		break;
	case 9:
		pio_any(h, pic[(r >> 16) % 6], 1);
		break;
	case 10:
		pio_any(h, (u16)(0x3f8 + ((r >> 16) & 7)), 1);		/* COM1 */
		break;
	case 11:
		pio_any(h, (u16)(0x600 + ((r >> 16) & 7)), len);		/* PM1a */
		break;
	case 12:
		mmio_any(h, 0xfed00000ull + ((r >> 16) & 0xfff), len, true);	/* counter page */
		break;
	case 13:
		pio_any(h, (u16)(r >> 16), len);			/* any port */
		break;
	case 14:
		/* Reads anywhere in the MMIO hole but the LAPIC (KVM's); moved
		 * BARs with their MSI-X tables may be anywhere, so no writes. */
		{
			u64 a = 0xc0000000ull + ((r >> 16) & 0x3fffffffull);
			if (a < 0xfee00000ull || a >= 0xfef00000ull)
				mmio_any(h, a, len, false);
		}
		break;
	default:
		work_any(h);
		break;
	}
	h->ops++;
}

static u64 k_batch(u64 hp, u64 n)
{
	struct hostile *h = (struct hostile *)hp;

	for (u64 i = 0; i < n; i++)
		one_op(h);
	return 0;
}

/* Every function's memory BARs as found at the start (before any chaos). */
static void scan(struct hostile *h)
{
	for (u8 dev = 0; dev < 32; dev++) {
		struct pci_dev d = { .bus = 0, .dev = dev, .fn = 0 };
		u32 id = pci_read32(&d, 0);

		u8 msi, msix;

		if ((id & 0xffff) == 0xffff)
			continue;
		msi = pci_find_cap(&d, 0x05);
		if (msi)
			h->msi_data[dev] = (u8)(msi + (pci_read16(&d, msi + 2) & 0x80 ? 12 : 8));
		msix = pci_find_cap(&d, 0x11);
		for (u8 b = 0; b < 6 && h->nbar < MAX_BARS; b++) {
			u8 off = (u8)(0x10 + 4 * b);
			u32 lo = pci_read32(&d, off), sz;
			u64 base = lo & ~0xfu;

			if (lo & 1)
				continue;		/* I/O BARs: the any-port case */
			pci_write32(&d, off, 0xffffffff);
			sz = ~(pci_read32(&d, off) & ~0xfu) + 1;
			pci_write32(&d, off, lo);
			if ((lo & 6) == 4) {
				base |= (u64)pci_read32(&d, off + 4) << 32;
				b++;
			}
			if (!base || !sz || sz > (1u << 28))
				continue;
			h->bar[h->nbar] = (typeof(h->bar[0])){ base, sz, 0, 0 };
			if (msix && (pci_read32(&d, msix + 4) & 7) == b) {
				u32 t = pci_read32(&d, msix + 4) & ~7u;
				unsigned n = (pci_read16(&d, msix + 2) & 0x7ff) + 1;

				h->bar[h->nbar].msix_table = t;
				h->bar[h->nbar].msix_end = t + 16ull * n;
			}
			h->nbar++;
			if (b == 0 && id == ((u32)NX_IRQDEV_DEVICE << 16 | NX_IRQDEV_VENDOR) && h->nedu < 4)
				h->edu[h->nedu++] = base;
			if (b == 0 && (id & 0xffff) == 0x1af4 && (id >> 16) >= 0x1040 &&
			    !h->virtio_common)
				h->virtio_common = base;	/* nexit: common config at BAR0 + 0 */
		}
		pci_write16(&d, 0x04, 0x0006);			/* decode on to begin with */
	}
}

static u64 k_spin(u64 until, u64 unused)
{
	while (rdtsc() < until)
		cpu_relax();
	return 0;
}

/* The chaos programmed the UART too (divisor latch access, loopback): back
 * to 8N1 with the transmitter to the host, or the result line is lost. */
static u64 k_uart(u64 a, u64 b)
{
	outb(0x3f8 + 3, 0x03);		/* LCR: 8 bits, no parity, DLAB off */
	outb(0x3f8 + 1, 0x00);		/* IER: no interrupts */
	outb(0x3f8 + 4, 0x03);		/* MCR: DTR, RTS, no loopback */
	outb(0x3f8 + 2, 0x07);		/* FCR: FIFOs on and cleared */
	return 0;
}

static bool hostile(struct platform *p)
{
	static struct hostile h;
	u64 ops = cmdline_u64(&p->cmd, "ops", 20000);
	struct json j;

	h.state = cmdline_u64(&p->cmd, "seed", 1) * 0x9e3779b97f4a7c15ull + 1;
	scan(&h);
	printk("hostile: seed %llu, %llu ops over %u BARs\n",
	       (unsigned long long)cmdline_u64(&p->cmd, "seed", 1), (unsigned long long)ops, h.nbar);
	for (u64 done = 0; done < ops; done += 500)
		kcall(k_batch, (u64)&h, ops - done < 500 ? ops - done : 500);
	/* Interrupts stay off: kcall's ring 0, not user_sleep's ring 3. */
	kcall(k_spin, rdtsc() + tsc_ms_cycles(&p->tsc, cmdline_u64(&p->cmd, "hold_ms", 0)), 0);
	kcall(k_uart, 0, 0);
	printk("\n");

	json_begin(&j, "hostile");
	json_u64(&j, "seed", cmdline_u64(&p->cmd, "seed", 1));
	json_u64(&j, "ops", h.ops);
	json_u64(&j, "config", h.cfg);
	json_u64(&j, "mmio", h.mmio);
	json_u64(&j, "pio", h.pio);
	json_u64(&j, "device_work", h.work);
	json_u64(&j, "spared", h.spared);
	json_u64(&j, "bars", h.nbar);
	json_u64(&j, "edu", h.nedu);
	json_bool(&j, "virtio", h.virtio_common != 0);
	/* Still here, and about to power off through the VMM: that is the pass. */
	return probe_result(&j, h.ops == ops);
}
SCENARIO("hostile", hostile);

/* SPDX-License-Identifier: MIT */
/*
 * ioapic.c - I/O APIC redirection table (82093AA datasheet): IOREGSEL at
 * base+0x00, IOWIN at base+0x10; RTE n at registers 0x10+2n (low), 0x11+2n.
 */
#include "probe.h"

#define IOREGSEL 0x00
#define IOWIN	 IOAPIC_IOWIN
#define IOAPICVER 0x01

u32 ioapic_read(u32 base, u32 reg)
{
	mmio_write32(base + IOREGSEL, reg);
	return mmio_read32(base + IOWIN);
}

void ioapic_write(u32 base, u32 reg, u32 v)
{
	mmio_write32(base + IOREGSEL, reg);
	mmio_write32(base + IOWIN, v);
}

unsigned ioapic_pins(u32 base)
{
	return ((ioapic_read(base, IOAPICVER) >> 16) & 0xff) + 1;	/* max RTE + 1 */
}

/* Writes the high half (destination) first, then the low half, so the entry
 * is never live with a stale destination. */
void ioapic_set_rte(u32 base, unsigned pin, u32 lo, u32 dest_apic)
{
	ioapic_write(base, 0x11 + 2 * pin, dest_apic << 24);
	ioapic_write(base, 0x10 + 2 * pin, lo);
}

u32 ioapic_rte_lo(u32 base, unsigned pin)
{
	return ioapic_read(base, 0x10 + 2 * pin);
}

void ioapic_mask_all(u32 base)
{
	unsigned n = ioapic_pins(base);
	for (unsigned i = 0; i < n; i++)
		ioapic_write(base, 0x10 + 2 * i, RTE_MASKED);
}

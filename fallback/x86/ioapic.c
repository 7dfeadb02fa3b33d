/* SPDX-License-Identifier: MIT */
/*
 * ioapic.c - register model of the Intel 82093AA I/O APIC (datasheet
 * 290566-001, sections 3.0-3.2): IOREGSEL/IOWIN indirect access, ID, VER,
 * ARB, and 24 64-bit redirection table entries (RTEs). Pure: no KVM. It
 * composes the MSI a pin's interrupt becomes (the LAPICs are in KVM under
 * the split irqchip, so an IOAPIC message is an MSI write, SDM 11.11) and
 * keeps the read-only Remote IRR / Delivery Status bits. The EOI-gating
 * policy lives in gate.c; split.c glues both to KVM.
 */
#include <string.h>
#include "fallback/x86/x86_fb.h"

static uint32_t reg_read(struct nx_ioapic *io, uint32_t reg)
{
	switch (reg) {
	case NX_IOAPIC_REG_ID:
		return (io->id & 0xf) << 24;
	case NX_IOAPIC_REG_VER:
		/* Bits 16-23: maximum redirection entry (pins - 1); 0-7: version. */
		return ((NX_IOAPIC_PINS - 1) << 16) | NX_IOAPIC_VERSION;
	case NX_IOAPIC_REG_ARB:
		return (io->id & 0xf) << 24;	/* arbitration id = APIC id after reset */
	}
	if (reg >= NX_IOAPIC_REG_RTE && reg < NX_IOAPIC_REG_RTE + 2 * NX_IOAPIC_PINS) {
		uint64_t e = io->rte[(reg - NX_IOAPIC_REG_RTE) / 2];

		return reg & 1 ? (uint32_t)(e >> 32) : (uint32_t)e;
	}
	return 0;	/* unimplemented registers read as zero */
}

static void reg_write(struct nx_ioapic *io, uint32_t reg, uint32_t val)
{
	unsigned pin;
	uint64_t old, e;

	if (reg == NX_IOAPIC_REG_ID) {
		io->id = (val >> 24) & 0xf;	/* only bits 24-27 are writable */
		return;
	}
	if (reg < NX_IOAPIC_REG_RTE || reg >= NX_IOAPIC_REG_RTE + 2 * NX_IOAPIC_PINS)
		return;		/* VER, ARB and the rest are read-only */
	pin = (reg - NX_IOAPIC_REG_RTE) / 2;
	old = io->rte[pin];
	if (reg & 1) {
		/* High half: only the destination field (bits 56-63) exists. */
		e = (old & 0xffffffffULL) | ((uint64_t)(val & 0xff000000u) << 32);
	} else {
		/* Low half: Delivery Status (12) and Remote IRR (14) are read-only. */
		e = (old & ~0xffffffffULL) | (val & ~(uint32_t)NX_RTE_RO_BITS) |
		    (old & NX_RTE_RO_BITS);
		if (!nx_rte_level(e))
			e &= ~NX_RTE_REMOTE_IRR;	/* remote IRR is undefined for edge */
	}
	io->rte[pin] = e;
	if (io->rte_changed)
		io->rte_changed(io->opaque, pin, old, e);
}

void nx_ioapic_reset(struct nx_ioapic *io)
{
	/* After reset every RTE is masked with all other bits zero. */
	io->id = 0;
	io->ioregsel = 0;
	for (unsigned i = 0; i < NX_IOAPIC_PINS; i++)
		io->rte[i] = NX_RTE_MASKED;
}

void nx_ioapic_init(struct nx_ioapic *io, void *opaque,
		    void (*rte_changed)(void *opaque, unsigned pin, uint64_t old, uint64_t new))
{
	memset(io, 0, sizeof(*io));
	io->opaque = opaque;
	io->rte_changed = rte_changed;
	nx_ioapic_reset(io);
}

void nx_ioapic_mmio(struct nx_ioapic *io, uint64_t off, uint8_t *data, uint32_t len,
		    bool is_write)
{
	uint32_t v = 0;

	if (len > 4)
		len = 4;	/* the registers are 32 bits wide */
	if (is_write)
		memcpy(&v, data, len);
	switch (off) {
	case NX_IOAPIC_IOREGSEL:
		if (is_write)
			io->ioregsel = v & 0xff;	/* bits 0-7 select a register */
		else
			v = io->ioregsel;
		break;
	case NX_IOAPIC_IOWIN:
		if (is_write) {
			/* A narrow write merges into the register (read-modify-write). */
			if (len < 4) {
				uint32_t cur = reg_read(io, io->ioregsel);

				memcpy(&cur, data, len);
				v = cur;
			}
			reg_write(io, io->ioregsel, v);
		} else {
			v = reg_read(io, io->ioregsel);
		}
		break;
	case NX_IOAPIC_EOIR:
		/* Version 0x20 EOI register: the vector in bits 0-7. Accepted
		 * here too; the caller treats it like an EOI broadcast. */
		if (is_write)
			nx_ioapic_eoi(io, v & 0xff);
		break;
	default:
		break;
	}
	if (!is_write)
		memcpy(data, &v, len);
}

void nx_ioapic_msi(const struct nx_ioapic *io, unsigned pin, uint64_t *addr, uint32_t *data)
{
	uint64_t e = io->rte[pin];
	uint32_t dest = (uint32_t)(e >> 56);
	uint32_t dest_mode = (e >> 11) & 1;		/* 0 physical, 1 logical */
	uint32_t dm = (e >> 8) & 7;			/* fixed, lowest, SMI, NMI, INIT, ExtINT */
	uint32_t level = nx_rte_level(e) ? 1 : 0;

	/* SDM 11.11.1 message address: 0xFEE, destination id 19:12, DM bit 2. */
	*addr = 0xfee00000ULL | (dest << 12) | (dest_mode << 2);
	/* SDM 11.11.2 message data: vector 7:0, delivery mode 10:8, level 14
	 * (assert for a level interrupt), trigger mode 15. */
	*data = (uint32_t)(e & 0xff) | (dm << 8) | (level << 14) | (level << 15);
}

int nx_ioapic_accept(struct nx_ioapic *io, unsigned pin)
{
	uint64_t e;

	if (pin >= NX_IOAPIC_PINS)
		return -1;
	e = io->rte[pin];
	if (e & NX_RTE_MASKED)
		return -1;	/* a masked pin sends nothing */
	if (nx_rte_level(e)) {
		if (e & NX_RTE_REMOTE_IRR)
			return -2;	/* level: one message until the EOI */
		io->rte[pin] |= NX_RTE_REMOTE_IRR;
	}
	return 0;
}

uint32_t nx_ioapic_eoi(struct nx_ioapic *io, unsigned vector)
{
	uint32_t pins = 0;

	/* The LAPIC's EOI broadcast carries only the vector: every level RTE
	 * with that vector has its Remote IRR cleared (82093AA 3.2.4). */
	for (unsigned i = 0; i < NX_IOAPIC_PINS; i++) {
		uint64_t e = io->rte[i];

		if (nx_rte_level(e) && (e & NX_RTE_REMOTE_IRR) && (e & 0xff) == vector) {
			io->rte[i] &= ~NX_RTE_REMOTE_IRR;
			pins |= 1u << i;
		}
	}
	return pins;
}

void nx_ioapic_clear_remote_irr(struct nx_ioapic *io, unsigned pin)
{
	if (pin < NX_IOAPIC_PINS)
		io->rte[pin] &= ~NX_RTE_REMOTE_IRR;
}

/* SPDX-License-Identifier: MIT */
/*
 * pic.c - register model of the cascaded Intel 8259A pair (datasheet
 * 231468-003) with the PIIX/ICH edge/level control registers (ELCR at
 * 0x4d0/0x4d1): ICW1-4 initialisation, OCW1 (IMR), OCW2 (EOI, rotation,
 * priority), OCW3 (IRR/ISR read, poll, special mask), IRR/ISR/IMR.
 * Pure: no KVM. Its INT output reaches vCPU 0's LAPIC LINT0 as ExtINT:
 * split.c watches nx_pic_output() and core/vcpu.c injects what nx_pic_ack()
 * returns (the INTA cycle). Guests that use the IOAPIC keep it masked.
 */
#include <string.h>
#include "fallback/x86/x86_fb.h"

#define ELCR_MASK_MASTER 0xf8	/* IRQ 0, 1, 2 are always edge (PIIX3 ELCR1) */
#define ELCR_MASK_SLAVE	 0xde	/* IRQ 8 and 13 are always edge (ELCR2)     */

static void chip_reset(struct nx_pic_chip *c, uint8_t elcr_mask)
{
	memset(c, 0, sizeof(*c));
	c->elcr_mask = elcr_mask;
	c->imr = 0xff;		/* masked until the guest programs it */
}

void nx_pic_reset(struct nx_pic *p)
{
	chip_reset(&p->c[0], ELCR_MASK_MASTER);
	chip_reset(&p->c[1], ELCR_MASK_SLAVE);
}

static bool is_level(const struct nx_pic_chip *c, unsigned bit)
{
	return c->ltim || (c->elcr >> bit & 1);
}

/* Priority 0 is the highest; prio_base is the IRQ that currently has it. */
static int prio_of(const struct nx_pic_chip *c, uint8_t bits)
{
	for (unsigned i = 0; i < 8; i++)
		if (bits >> ((c->prio_base + i) & 7) & 1)
			return (int)i;
	return 8;
}

/* The IRQ this chip asks the CPU (or its master) to service, or -1. */
static int chip_output(const struct nx_pic_chip *c)
{
	uint8_t pending = c->irr & ~c->imr;
	uint8_t isr = c->isr;
	int p;

	if (!pending)
		return -1;
	/* Special mask mode: masked ISR bits do not block lower priorities. */
	if (c->special_mask)
		isr &= ~c->imr;
	p = prio_of(c, pending);
	if (p >= prio_of(c, isr))
		return -1;	/* an equal or higher priority is in service */
	return (c->prio_base + p) & 7;
}

/* The slave's INT pin drives master IR2 (ICW3 cascade), level-sensitive. */
static void cascade(struct nx_pic *p)
{
	struct nx_pic_chip *m = &p->c[0];

	if (m->single)
		return;		/* ICW1 SNGL: no slave on IR2 */
	if (chip_output(&p->c[1]) >= 0)
		m->irr |= 1 << 2;
	else
		m->irr &= ~(1 << 2);
}

void nx_pic_set_irq(struct nx_pic *p, unsigned irq, bool level)
{
	struct nx_pic_chip *c;
	unsigned bit = irq & 7;
	uint8_t m = 1 << bit;

	if (irq >= 16)
		return;
	c = &p->c[irq >> 3];
	if (is_level(c, bit)) {
		/* Level mode: the request follows the line. */
		c->irr = level ? c->irr | m : c->irr & ~m;
	} else if (level && !(c->last_level & m)) {
		c->irr |= m;	/* edge mode: a low-to-high transition */
	}
	c->last_level = level ? c->last_level | m : c->last_level & ~m;
	cascade(p);
}

bool nx_pic_output(struct nx_pic *p)
{
	cascade(p);
	return chip_output(&p->c[0]) >= 0;
}

/* INTA on one chip: returns the IRQ acknowledged, or 7 if spurious. */
static unsigned chip_ack(struct nx_pic_chip *c, bool *spurious)
{
	int irq = chip_output(c);
	uint8_t m;

	if (irq < 0) {
		*spurious = true;	/* IR7 vector, ISR untouched */
		return 7;
	}
	*spurious = false;
	m = 1 << irq;
	if (c->auto_eoi) {
		if (c->rotate_aeoi)
			c->prio_base = (irq + 1) & 7;
	} else {
		c->isr |= m;
	}
	c->irr &= ~m;
	if (is_level(c, irq) && (c->last_level & m))
		c->irr |= m;	/* a level request stays while the line is high */
	return (unsigned)irq;
}

int nx_pic_ack(struct nx_pic *p)
{
	struct nx_pic_chip *m = &p->c[0], *s = &p->c[1];
	bool spurious;
	unsigned irq;

	cascade(p);
	irq = chip_ack(m, &spurious);
	if (!spurious && irq == 2 && !m->single) {
		unsigned sirq = chip_ack(s, &spurious);

		cascade(p);
		return s->vector_base + sirq;
	}
	cascade(p);
	return m->vector_base + irq;
}

static void eoi_bit(struct nx_pic_chip *c, unsigned irq, bool rotate)
{
	c->isr &= ~(1 << irq);
	if (rotate)
		c->prio_base = (irq + 1) & 7;
}

static void write_cmd(struct nx_pic_chip *c, uint8_t v)
{
	if (v & 0x10) {
		/* ICW1: IMR and ISR cleared, IR7 lowest priority, special mask
		 * off, status read = IRR, edge sense reset. */
		c->irr = c->isr = c->imr = 0;
		c->last_level = 0;
		c->prio_base = 0;
		c->read_isr = c->poll = c->special_mask = false;
		c->auto_eoi = c->rotate_aeoi = false;
		c->icw4 = v & 1;
		c->single = v & 2;
		c->ltim = v & 8;
		c->init_step = 2;
		return;
	}
	if (v & 0x08) {
		/* OCW3: bit 2 poll, bits 1-0 read register, bits 6-5 special mask. */
		c->poll = v & 4;
		if (v & 2)
			c->read_isr = v & 1;
		if (v & 0x40)
			c->special_mask = v & 0x20;
		return;
	}
	/* OCW2: R, SL, EOI in bits 7-5; level in bits 2-0. */
	switch (v >> 5) {
	case 1: {	/* non-specific EOI: the highest-priority ISR bit */
		int p = prio_of(c, c->isr);

		if (p < 8)
			eoi_bit(c, (c->prio_base + p) & 7, false);
		break;
	}
	case 5: {	/* rotate on non-specific EOI */
		int p = prio_of(c, c->isr);

		if (p < 8)
			eoi_bit(c, (c->prio_base + p) & 7, true);
		break;
	}
	case 3:		/* specific EOI */
		eoi_bit(c, v & 7, false);
		break;
	case 7:		/* rotate on specific EOI */
		eoi_bit(c, v & 7, true);
		break;
	case 6:		/* set priority: level v&7 becomes the lowest */
		c->prio_base = ((v & 7) + 1) & 7;
		break;
	case 4:		/* set rotate in automatic EOI mode */
		c->rotate_aeoi = true;
		break;
	case 0:		/* clear rotate in automatic EOI mode */
		c->rotate_aeoi = false;
		break;
	default:	/* 2: no operation */
		break;
	}
}

static void write_data(struct nx_pic_chip *c, uint8_t v)
{
	switch (c->init_step) {
	case 2:		/* ICW2: vector base, T7-T3 */
		c->vector_base = v & 0xf8;
		c->init_step = c->single ? (c->icw4 ? 4 : 0) : 3;
		break;
	case 3:		/* ICW3: cascade wiring */
		c->icw3 = v;
		c->init_step = c->icw4 ? 4 : 0;
		break;
	case 4:		/* ICW4: bit 1 AEOI, bit 4 SFNM, bit 0 8086 mode */
		c->auto_eoi = v & 2;
		c->sfnm = v & 0x10;
		c->init_step = 0;
		break;
	default:	/* OCW1: interrupt mask register */
		c->imr = v;
		break;
	}
}

/* Poll command: the next read returns 0x80 | level of the highest request,
 * acknowledging it like an INTA (or 0 if none). */
static uint8_t poll_read(struct nx_pic *p, struct nx_pic_chip *c)
{
	bool spurious;
	unsigned irq;

	c->poll = false;
	if (chip_output(c) < 0)
		return 0;
	irq = chip_ack(c, &spurious);
	cascade(p);
	return 0x80 | irq;
}

void nx_pic_io(struct nx_pic *p, uint16_t port, uint8_t *data, bool is_write)
{
	struct nx_pic_chip *c;

	switch (port) {
	case NX_PIC_ELCR_MASTER:
	case NX_PIC_ELCR_SLAVE:
		c = &p->c[port - NX_PIC_ELCR_MASTER];
		if (is_write)
			c->elcr = *data & c->elcr_mask;
		else
			*data = c->elcr;
		return;
	case NX_PIC_MASTER_CMD:
	case NX_PIC_MASTER_DATA:
		c = &p->c[0];
		break;
	case NX_PIC_SLAVE_CMD:
	case NX_PIC_SLAVE_DATA:
		c = &p->c[1];
		break;
	default:
		if (!is_write)
			*data = 0xff;
		return;
	}
	if (!is_write) {
		if (c->poll)
			*data = poll_read(p, c);
		else if (port & 1)
			*data = c->imr;
		else
			*data = c->read_isr ? c->isr : c->irr;
		return;
	}
	if (port & 1)
		write_data(c, *data);
	else
		write_cmd(c, *data);
	cascade(p);
}

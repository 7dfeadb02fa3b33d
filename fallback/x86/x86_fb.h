/* SPDX-License-Identifier: MIT */
/*
 * x86_fb.h - the x86 fallback controller: the guest's 82093AA IOAPIC and
 * 8259A pair as register models (ioapic.c, pic.c), and their glue to KVM
 * under irqchip=split (split.c) or irqchip=kernel (kernel.c), chosen by
 * nx_fallback_init (init.c) on the controller core both arches share.
 */
#ifndef NEXIT_FALLBACK_X86_FB_H
#define NEXIT_FALLBACK_X86_FB_H

#include "fallback/fallback.h"

/* ---- x86: 82093AA I/O APIC register model (x86/ioapic.c) --------------- */
#define NX_IOAPIC_IOREGSEL	0x00
#define NX_IOAPIC_IOWIN		0x10
#define NX_IOAPIC_EOIR		0x40	/* version 0x20 EOI register */
#define NX_IOAPIC_MMIO_SIZE	0x1000
#define NX_IOAPIC_VERSION	0x11	/* VER = 0x00170011: 24 pins */
#define NX_IOAPIC_REG_ID	0x00
#define NX_IOAPIC_REG_VER	0x01
#define NX_IOAPIC_REG_ARB	0x02
#define NX_IOAPIC_REG_RTE	0x10	/* RTE n: low 0x10+2n, high 0x11+2n */
#define NX_RTE_DELIVS		(1ULL << 12)	/* delivery status (RO) */
#define NX_RTE_POLARITY		(1ULL << 13)	/* 1 = active low */
#define NX_RTE_REMOTE_IRR	(1ULL << 14)	/* RO: level interrupt accepted, no EOI yet */
#define NX_RTE_LEVEL		(1ULL << 15)	/* trigger mode: 1 = level */
#define NX_RTE_MASKED		(1ULL << 16)
#define NX_RTE_RO_BITS		(NX_RTE_DELIVS | NX_RTE_REMOTE_IRR)

struct nx_ioapic {
	uint32_t id;
	uint32_t ioregsel;
	uint64_t rte[NX_IOAPIC_PINS];
	void *opaque;
	/* The guest wrote either half of pin's RTE (old and new value). */
	void (*rte_changed)(void *opaque, unsigned pin, uint64_t old, uint64_t new);
};

static inline bool nx_rte_masked(uint64_t e) { return e & NX_RTE_MASKED; }
/* Level-triggered in effect: only fixed (000) and lowest-priority (001)
 * delivery may be; NMI, SMI, INIT and ExtINT are edge whatever the trigger
 * mode bit says (82093AA 3.2.4, SDM 10.5.1), so they never wait for an EOI
 * (an NMI has none). */
static inline bool nx_rte_level(uint64_t e)
{
	return (e & NX_RTE_LEVEL) && ((e >> 8) & 7) <= 1;
}
static inline uint8_t nx_rte_vector(uint64_t e) { return e & 0xff; }

void nx_ioapic_init(struct nx_ioapic *io, void *opaque,
		    void (*rte_changed)(void *opaque, unsigned pin, uint64_t old, uint64_t new));
void nx_ioapic_reset(struct nx_ioapic *io);
/* One guest access at offset off of the 4 KiB window. */
void nx_ioapic_mmio(struct nx_ioapic *io, uint64_t off, uint8_t *data, uint32_t len,
		    bool is_write);
/* The MSI (SDM 11.11) that carries pin's interrupt to the LAPICs in KVM. */
void nx_ioapic_msi(const struct nx_ioapic *io, unsigned pin, uint64_t *addr, uint32_t *data);
/* The pin sends its message now: 0 ok (Remote IRR set for level), -1 masked,
 * -2 level with Remote IRR still set. */
int  nx_ioapic_accept(struct nx_ioapic *io, unsigned pin);
/* EOI broadcast: clears Remote IRR of level RTEs with vector; returns the
 * bitmap of those pins. */
uint32_t nx_ioapic_eoi(struct nx_ioapic *io, unsigned vector);
void nx_ioapic_clear_remote_irr(struct nx_ioapic *io, unsigned pin);

/* ---- x86: 8259A pair + ELCR register model (x86/pic.c) ----------------- */
#define NX_PIC_MASTER_CMD	0x20
#define NX_PIC_MASTER_DATA	0x21
#define NX_PIC_SLAVE_CMD	0xa0
#define NX_PIC_SLAVE_DATA	0xa1
#define NX_PIC_ELCR_MASTER	0x4d0
#define NX_PIC_ELCR_SLAVE	0x4d1

struct nx_pic_chip {
	uint8_t irr, isr, imr;
	uint8_t elcr, elcr_mask;
	uint8_t last_level;	/* input pins, for edge detection */
	uint8_t vector_base;	/* ICW2 */
	uint8_t icw3;
	uint8_t prio_base;	/* IRQ with the highest priority (rotation) */
	uint8_t init_step;	/* 0 ready, else the ICW expected next */
	bool icw4, single, ltim;
	bool auto_eoi, rotate_aeoi, sfnm;
	bool read_isr, poll, special_mask;
};

struct nx_pic {
	struct nx_pic_chip c[2];	/* [0] master at 0x20, [1] slave at 0xa0 on IR2 */
};

void nx_pic_reset(struct nx_pic *p);
/* One byte at port (0x20, 0x21, 0xa0, 0xa1, 0x4d0, 0x4d1). */
void nx_pic_io(struct nx_pic *p, uint16_t port, uint8_t *data, bool is_write);
void nx_pic_set_irq(struct nx_pic *p, unsigned irq, bool level);
/* The master's INT pin (to LAPIC LINT0, ExtINT). */
bool nx_pic_output(struct nx_pic *p);
/* INTA cycle: the vector the pair puts on the bus (spurious = base + 7). */
int  nx_pic_ack(struct nx_pic *p);

/* ---- the x86 part of the controller (fb->x86) -------------------------- */
struct nx_fallback_x86 {
	struct nx_ioapic ioapic;	/* split: the model; kernel: mirror of KVM's RTEs */
	struct nx_pic pic;		/* split only */
	atomic_bool pic_out;		/* its INT output (split), read lock-free */
};

/* split.c / kernel.c */
int  nx_fallback_split_init(struct nx_fallback *fb);
int  nx_fallback_kernel_init(struct nx_fallback *fb);

#endif

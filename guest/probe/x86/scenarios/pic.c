/* SPDX-License-Identifier: MIT */
/*
 * pic - interrupts through the cascaded 8259A pair (ICW1-4, OCW1 mask,
 * OCW2 EOI) to the local APIC's LINT0 in ExtINT mode (virtual wire), the
 * way real-mode-era and small test kernels take them. The source is COM1
 * (IRQ 4): re-enabling its THR-empty interrupt raises the line (16550A:
 * "enabling THRI with THR empty interrupts at once", OUT2 gates it onto
 * the bus). Each round: raise, wait for vector base+4, acknowledge the
 * UART (IIR read) and the PIC (non-specific EOI). Then with IRQ 4 masked
 * in the IMR nothing may arrive over window_ms, and unmasking delivers the
 * request the 8259 kept in its IRR, once. The IOAPIC stays masked: only
 * the 8259 can bring these in. A vector entered again while IRQ 4 is still
 * in service (before its EOI) is reported as duplicates_in_service, not
 * counted as a delivery: the 8259 cannot have sent it (take_ack).
 */
#include "../probe.h"

#define PIC1		0x20
#define PIC2		0xa0
#define VBASE		0x30	/* ICW2: master vectors 0x30-0x37 */
#define VEC		(VBASE + 4)
#define COM1		0x3f8
#define UART_IER	1
#define UART_IIR	2
#define UART_MCR	4
#define IER_THRI	0x02
#define MCR_OUT2	0x08
#define LVT_EXTINT	0x700	/* delivery mode 111, unmasked */

static void pic_init(u8 master_mask)
{
	outb(PIC1, 0x11);	/* ICW1: edge, cascade, ICW4 follows */
	outb(PIC2, 0x11);
	outb(PIC1 + 1, VBASE);	/* ICW2 */
	outb(PIC2 + 1, VBASE + 8);
	outb(PIC1 + 1, 0x04);	/* ICW3: slave on IR2 */
	outb(PIC2 + 1, 0x02);
	outb(PIC1 + 1, 0x01);	/* ICW4: 8086 mode, normal EOI */
	outb(PIC2 + 1, 0x01);
	outb(PIC1 + 1, master_mask);
	outb(PIC2 + 1, 0xff);
}

static void com1_raise(void)
{
	outb(COM1 + UART_IER, 0);
	outb(COM1 + UART_IER, IER_THRI);
}

/*
 * Waits for delivery number want (of the guest's count less the duplicates
 * so far), then acknowledges the UART and the 8259. IRQ 4 stays in the
 * 8259's ISR from its INTA to the EOI here, so no second INTA can return
 * its vector before it: an entry more by then is the same injection taken
 * twice below the 8259 (a virtualisation layer re-injecting an event it
 * had already delivered), counted in *dups and not as a delivery. Returns
 * the deliveries seen (want, or fewer on timeout; no acknowledgement then).
 */
static u64 take_ack(struct platform *p, u64 want, u64 to, u64 *dups)
{
	u64 c = wait_count(p, VEC, want + *dups, to);

	if (c < want + *dups)
		return c - *dups;
	inb(COM1 + UART_IIR);	/* THRI reported: this read clears it */
	c = READ_ONCE(irq_rec[VEC].count);
	*dups = c - want;	/* every entry past delivery want came before this EOI */
	outb(PIC1, 0x20);	/* OCW2: non-specific EOI */
	return want;
}

static bool pic(struct platform *p)
{
	u64 n = cmdline_u64(&p->cmd, "n", 50), win = cmdline_u64(&p->cmd, "window_ms", 50),
	    to = cmdline_u64(&p->cmd, "timeout_ms", 1000), got = 0, masked, after, settled, others = 0,
	    dups = 0;
	u8 mcr = inb(COM1 + UART_MCR);
	struct json j;

	for (u32 i = 0; i < p->fw.nioapic; i++)
		ioapic_mask_all(p->fw.ioapic[i].addr);
	for (unsigned v = VBASE; v < VBASE + 16; v++)
		irq_setup(v, IRQ_NO_EOI, 0, 0);	/* ExtINT: not in the LAPIC's ISR */
	pic_init(0xef);				/* only IRQ 4 (and the cascade) */
	apic_write(APIC_LVT_LINT0, LVT_EXTINT);
	outb(COM1 + UART_MCR, mcr | MCR_OUT2);

	for (u64 i = 0; i < n; i++) {
		com1_raise();
		if (take_ack(p, i + 1, to, &dups) < i + 1)
			break;
		got = i + 1;
	}
	/* Masked in the IMR: held in the IRR, delivered on unmask, once. */
	outb(PIC1 + 1, 0xff);
	com1_raise();
	user_sleep(p, win);
	masked = READ_ONCE(irq_rec[VEC].count) - dups - got;
	outb(PIC1 + 1, 0xef);
	after = take_ack(p, got + 1, to, &dups) - got;
	user_sleep(p, win);
	settled = READ_ONCE(irq_rec[VEC].count) - dups - got;

	outb(COM1 + UART_IER, 0);
	outb(COM1 + UART_MCR, mcr);
	outb(PIC1 + 1, 0xff);
	apic_write(APIC_LVT_LINT0, 1u << 16);
	for (unsigned v = VBASE; v < VBASE + 16; v++)
		if (v != VEC)
			others += READ_ONCE(irq_rec[v].count);

	json_begin(&j, "pic");
	json_u64(&j, "vector", VEC);
	json_u64(&j, "n", n);
	json_u64(&j, "delivered", got);
	json_u64(&j, "while_masked", masked);
	json_u64(&j, "after_unmask", after);
	json_u64(&j, "after_unmask_settled", settled);
	json_u64(&j, "other_vectors", others);
	json_u64(&j, "duplicates_in_service", dups);
	return probe_result(&j, got == n && masked == 0 && after == 1 && settled == 1 && !others);
}
SCENARIO("pic", pic);

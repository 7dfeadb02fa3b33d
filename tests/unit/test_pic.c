/* SPDX-License-Identifier: MIT */
/*
 * test_pic.c - the 8259A pair register model: ICW1-4, OCW1-3, IRR/ISR/IMR,
 * priorities and rotation, cascade, poll, AEOI and the ELCR.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include "fallback/x86/x86_fb.h"

static void out(struct nx_pic *p, uint16_t port, uint8_t v)
{
	nx_pic_io(p, port, &v, true);
}

static uint8_t in(struct nx_pic *p, uint16_t port)
{
	uint8_t v = 0x5a;

	nx_pic_io(p, port, &v, false);
	return v;
}

/* The PC/AT programming every BIOS and Linux use: master at 0x20, slave at
 * 0x28 on IR2, 8086 mode, then OCW1 = mask. */
static void init_pair(struct nx_pic *p, uint8_t icw4)
{
	out(p, 0x20, 0x11); out(p, 0x21, 0x20); out(p, 0x21, 0x04); out(p, 0x21, icw4);
	out(p, 0xa0, 0x11); out(p, 0xa1, 0x28); out(p, 0xa1, 0x02); out(p, 0xa1, icw4);
}

static uint8_t irr(struct nx_pic *p, uint16_t cmd) { out(p, cmd, 0x0a); return in(p, cmd); }
static uint8_t isr(struct nx_pic *p, uint16_t cmd) { out(p, cmd, 0x0b); return in(p, cmd); }

static void test_reset_and_icw(void **state)
{
	struct nx_pic p;

	nx_pic_reset(&p);
	assert_int_equal(in(&p, 0x21), 0xff);		/* masked until programmed */
	assert_int_equal(in(&p, 0xa1), 0xff);
	nx_pic_set_irq(&p, 1, true);
	assert_false(nx_pic_output(&p));
	init_pair(&p, 0x01);
	assert_int_equal(in(&p, 0x21), 0x00);		/* ICW1 clears IMR */
	assert_int_equal(p.c[0].vector_base, 0x20);
	assert_int_equal(p.c[1].vector_base, 0x28);
	assert_int_equal(p.c[0].icw3, 0x04);
	assert_int_equal(p.c[1].icw3, 0x02);
	assert_int_equal(p.c[0].init_step, 0);
	assert_int_equal(irr(&p, 0x20), 0);		/* edge sense reset */
	out(&p, 0x21, 0xfb);				/* OCW1 */
	out(&p, 0xa1, 0xff);
	assert_int_equal(in(&p, 0x21), 0xfb);
	assert_int_equal(in(&p, 0xa1), 0xff);

	/* Single mode without ICW4: ICW2 ends the sequence. */
	out(&p, 0x20, 0x12);
	out(&p, 0x21, 0x40);
	assert_int_equal(p.c[0].init_step, 0);
	out(&p, 0x21, 0x55);
	assert_int_equal(in(&p, 0x21), 0x55);
}

static void test_edge_irr_isr_eoi(void **state)
{
	struct nx_pic p;

	nx_pic_reset(&p);
	init_pair(&p, 0x01);
	nx_pic_set_irq(&p, 1, true);
	assert_int_equal(irr(&p, 0x20), 0x02);
	assert_true(nx_pic_output(&p));
	assert_int_equal(nx_pic_ack(&p), 0x21);
	assert_int_equal(irr(&p, 0x20), 0x00);
	assert_int_equal(isr(&p, 0x20), 0x02);
	assert_false(nx_pic_output(&p));
	/* Held high: an edge line does not request again. */
	out(&p, 0x20, 0x20);				/* non-specific EOI */
	assert_int_equal(isr(&p, 0x20), 0x00);
	assert_false(nx_pic_output(&p));
	nx_pic_set_irq(&p, 1, false);
	nx_pic_set_irq(&p, 1, true);
	assert_true(nx_pic_output(&p));

	/* Spurious: nothing pending acknowledges IR7 without ISR. */
	nx_pic_ack(&p);
	out(&p, 0x20, 0x20);
	assert_int_equal(nx_pic_ack(&p), 0x27);
	assert_int_equal(isr(&p, 0x20), 0x00);
}

static void test_priority_and_mask(void **state)
{
	struct nx_pic p;

	nx_pic_reset(&p);
	init_pair(&p, 0x01);
	nx_pic_set_irq(&p, 5, true);
	nx_pic_set_irq(&p, 3, true);
	assert_int_equal(nx_pic_ack(&p), 0x23);		/* lower IR = higher priority */
	assert_false(nx_pic_output(&p));		/* 5 waits behind 3 in service */
	nx_pic_set_irq(&p, 1, true);
	assert_true(nx_pic_output(&p));			/* 1 preempts 3 */
	assert_int_equal(nx_pic_ack(&p), 0x21);
	assert_int_equal(isr(&p, 0x20), 0x0a);
	out(&p, 0x20, 0x20);				/* EOI ends 1 (highest) */
	assert_int_equal(isr(&p, 0x20), 0x08);
	out(&p, 0x20, 0x63);				/* specific EOI of 3 */
	assert_int_equal(isr(&p, 0x20), 0x00);
	out(&p, 0x21, 0x20);				/* mask IR5 */
	assert_false(nx_pic_output(&p));
	assert_int_equal(irr(&p, 0x20), 0x20);		/* still requested */
	out(&p, 0x21, 0x00);
	assert_int_equal(nx_pic_ack(&p), 0x25);
	out(&p, 0x20, 0x20);

	/* Set priority: IR3 lowest -> IR4 highest; 5 beats 2. */
	out(&p, 0x20, 0xc3);
	nx_pic_set_irq(&p, 4, false);
	nx_pic_set_irq(&p, 5, false);
	nx_pic_set_irq(&p, 5, true);
	nx_pic_set_irq(&p, 6, true);
	nx_pic_set_irq(&p, 0, true);
	assert_int_equal(nx_pic_ack(&p), 0x25);
	/* Rotate on non-specific EOI: 5 becomes lowest, 6 is next. */
	out(&p, 0x20, 0xa0);
	assert_int_equal(p.c[0].prio_base, 6);
	assert_int_equal(nx_pic_ack(&p), 0x26);
	out(&p, 0x20, 0xe6);				/* rotate on specific EOI */
	assert_int_equal(p.c[0].prio_base, 7);
	assert_int_equal(nx_pic_ack(&p), 0x20);
}

static void test_cascade(void **state)
{
	struct nx_pic p;

	nx_pic_reset(&p);
	init_pair(&p, 0x01);
	nx_pic_set_irq(&p, 10, true);
	assert_int_equal(irr(&p, 0xa0), 0x04);
	assert_int_equal(irr(&p, 0x20), 0x04);		/* slave INT on master IR2 */
	assert_true(nx_pic_output(&p));
	assert_int_equal(nx_pic_ack(&p), 0x2a);
	assert_int_equal(isr(&p, 0x20), 0x04);
	assert_int_equal(isr(&p, 0xa0), 0x04);
	out(&p, 0xa0, 0x20);
	out(&p, 0x20, 0x20);
	assert_int_equal(isr(&p, 0xa0), 0);
	assert_int_equal(isr(&p, 0x20), 0);
	/* Slave masked: nothing reaches the master. */
	out(&p, 0xa1, 0x04);
	nx_pic_set_irq(&p, 10, false);
	nx_pic_set_irq(&p, 10, true);
	assert_false(nx_pic_output(&p));
	out(&p, 0xa1, 0x00);
	assert_true(nx_pic_output(&p));
}

static void test_elcr_level(void **state)
{
	struct nx_pic p;

	nx_pic_reset(&p);
	init_pair(&p, 0x01);
	out(&p, 0x4d0, 0xff);
	out(&p, 0x4d1, 0xff);
	assert_int_equal(in(&p, 0x4d0), 0xf8);		/* IRQ 0-2 always edge */
	assert_int_equal(in(&p, 0x4d1), 0xde);		/* IRQ 8, 13 always edge */
	out(&p, 0x4d0, 0x20);				/* IRQ5 level */
	out(&p, 0x4d1, 0x00);
	nx_pic_set_irq(&p, 5, true);
	assert_int_equal(nx_pic_ack(&p), 0x25);
	out(&p, 0x20, 0x20);
	assert_true(nx_pic_output(&p));			/* still high: requests again */
	nx_pic_set_irq(&p, 5, false);
	assert_false(nx_pic_output(&p));		/* level follows the line */
	assert_int_equal(irr(&p, 0x20), 0);
}

static void test_poll_aeoi_smm(void **state)
{
	struct nx_pic p;

	nx_pic_reset(&p);
	init_pair(&p, 0x03);				/* AEOI */
	nx_pic_set_irq(&p, 6, true);
	assert_int_equal(nx_pic_ack(&p), 0x26);
	assert_int_equal(isr(&p, 0x20), 0);		/* AEOI: ISR never set */

	/* Poll: 0x80 | level, acknowledged like INTA; then 0. */
	nx_pic_reset(&p);
	init_pair(&p, 0x01);
	nx_pic_set_irq(&p, 3, true);
	out(&p, 0x20, 0x0c);
	assert_int_equal(in(&p, 0x20), 0x83);
	assert_int_equal(isr(&p, 0x20), 0x08);
	out(&p, 0x20, 0x0c);
	assert_int_equal(in(&p, 0x20), 0x00);

	/* Special mask mode: masking IR3 in service lets IR5 through. */
	nx_pic_set_irq(&p, 5, true);
	assert_false(nx_pic_output(&p));
	out(&p, 0x21, 0x08);
	out(&p, 0x20, 0x68);				/* set special mask */
	assert_true(nx_pic_output(&p));
	assert_int_equal(nx_pic_ack(&p), 0x25);
	out(&p, 0x20, 0x48);				/* clear special mask */
	assert_false(p.c[0].special_mask);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reset_and_icw),
		cmocka_unit_test(test_edge_irr_isr_eoi),
		cmocka_unit_test(test_priority_and_mask),
		cmocka_unit_test(test_cascade),
		cmocka_unit_test(test_elcr_level),
		cmocka_unit_test(test_poll_aeoi_smm),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: MIT */
/*
 * priority - two lines raised while the guest has interrupts off: the
 * edu's LPI at priority 0x80 and the UART's SPI at 0xc0 (lower; nexit's
 * emulated 16550A, the exit-based path). Unmasked, the higher priority is
 * taken first. Then with the priority mask at 0xa0 (ICC_PMR_EL1) only the
 * LPI gets through; the SPI waits until the mask is lowered to 0xff.
 */
#include "../probe.h"

static void quiet_uart(u32 intid, void *arg)
{
	if (intid == UART_INTID)
		wr8(UART_IER, 0);	/* THRI off: the level line drops before EOI */
}

static bool priority(struct platform *p)
{
	u32 o1[2], o2_held, o2[2];
	u64 n_held;
	struct json j;

	if (!msi_setup(p, "priority", 0x80))
		return false;
	gic_spi_enable(UART_INTID, 0xc0, true);
	irqs.before_eoi = quiet_uart;
	wr8(UART_MCR, 0x08);			/* OUT2 gates the UART's line */

	irq_off();
	edu_raise(p);
	wr8(UART_IER, 0x02);			/* THR empty: asserted at once */
	spin_ms(p, 100);			/* let the MSI arrive (pending) */
	irqs.norder = 0;
	irq_on();
	wait_total(2, p->hz);
	irq_off();
	o1[0] = irqs.order[0];
	o1[1] = irqs.order[1];
	edu_ack(p);

	sysreg_write(icc_pmr_el1, 0xa0);	/* only priorities < 0xa0 */
	isb();
	irqs.norder = 0;
	edu_raise(p);
	wr8(UART_IER, 0x02);
	irq_on();
	spin_ms(p, 100);
	n_held = irqs.norder;
	o2_held = irqs.order[0];
	sysreg_write(icc_pmr_el1, 0xff);
	isb();
	spin_ms(p, 100);
	irq_off();
	o2[0] = irqs.order[0];
	o2[1] = irqs.order[1];
	edu_ack(p);
	wr8(UART_IER, 0);

	json_begin_a64(&j, "priority");
	json_u64(&j, "first", o1[0]);
	json_u64(&j, "second", o1[1]);
	json_u64(&j, "pmr_a0_taken", n_held);
	json_u64(&j, "pmr_a0_first", o2_held);
	json_u64(&j, "pmr_ff_then", o2[1]);
	return probe_result(&j, o1[0] == LPI_BASE && o1[1] == UART_INTID && n_held == 1 &&
			    o2_held == LPI_BASE && o2[0] == LPI_BASE && o2[1] == UART_INTID);
}
SCENARIO("priority", priority);

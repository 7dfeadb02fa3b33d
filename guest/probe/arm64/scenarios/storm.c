/* SPDX-License-Identifier: MIT */
/*
 * storm n=N [window_ms=W] - the edu's INTx is never acknowledged, so it is
 * asserted again after every EOI; nexit's storm budget ([device]
 * storm_budget...) holds it masked for back-offs. Meanwhile the UART's SPI
 * (another line) is raised N times (20) over W ms (600) and must be served
 * every time; the host checks nexit's storm count.
 */
#include "../probe.h"

static void storm_isr(u32 intid, void *pending)
{
	if (intid == UART_INTID) {
		wr8(UART_IER, 0);
		*(volatile u32 *)pending = 0;
	}
}

static bool storm(struct platform *p)
{
	u64 n = cmdline_u64(&p->cmd, "n", 20), served = 0;
	u64 win_ms = cmdline_u64(&p->cmd, "window_ms", 600), t0, storm_irqs, c_end, f0, f1;
	volatile u32 uart_pending = 0;
	struct json j;
	u32 intid;

	if (!intx_setup(p, "storm", &intid))
		return false;
	gic_spi_enable(UART_INTID, 0xa0, true);
	wr8(UART_MCR, 0x08);
	irqs.before_eoi = storm_isr;		/* the edu is never acked */
	irqs.before_eoi_arg = (void *)&uart_pending;
	irq_on();
	f0 = counters_read(NX_CP_FALLBACK);
	edu_raise(p);
	t0 = now_ticks();
	for (u64 i = 0; i < n; i++) {
		u64 t1;

		uart_pending = 1;
		wr8(UART_IER, 0x02);		/* raise the other line */
		for (t1 = now_ticks(); uart_pending && now_ticks() - t1 < p->hz / 2;)
			;
		if (!uart_pending)
			served++;
		spin_ms(p, win_ms / n);
	}
	storm_irqs = irqs.count[irq_slot(intid)];
	c_end = now_ticks() - t0;
	edu_ack(p);				/* end of the storm */
	spin_ms(p, 50);
	irq_off();				/* uart_pending's frame ends here */
	irqs.before_eoi = NULL;
	f1 = counters_read(NX_CP_FALLBACK);
	json_begin_a64(&j, "storm");
	json_u64(&j, "intid", intid);
	json_u64(&j, "storm_irqs", storm_irqs);
	json_u64(&j, "window_ms", c_end * 1000 / p->hz);
	json_u64(&j, "other_line_raised", n);
	json_u64(&j, "other_line_served", served);
	json_u64(&j, "host_delivered", f1 - f0);
	return probe_result(&j, served == n && storm_irqs > 0);
}
SCENARIO("storm", storm);

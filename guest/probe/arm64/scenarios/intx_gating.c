/* SPDX-License-Identifier: MIT */
/*
 * The EOI-gated INTx scenarios (the fallback path: nexit masks the line at
 * the host when it fires and unmasks it after the guest's EOI):
 *  eoi-gating        INTx held asserted with the EOI deferred: 1 delivery
 *                    while the EOI is pending, exactly 1 more after it, none
 *                    after the device is acked
 *  mask-until-ready  INTx asserted while the guest keeps INTx Disable set:
 *                    nothing taken and nothing delivered by nexit (counter
 *                    page) for 200 ms; after the guest clears it, exactly one
 *  shutdown-mask     power off with INTx in service and never EOIed; the
 *                    host checks nexit's stats JSON: the line masked at the host
 */
#include "../probe.h"

static void edu_ack_isr(u32 intid, void *p)
{
	edu_ack(p);
}

static bool eoi_gating(struct platform *p)
{
	u64 hold = p->hz / 20;	/* 50 ms */
	u64 c_held, c_after, c_final;
	struct json j;
	u32 intid;

	if (!intx_setup(p, "eoi-gating", &intid))
		return false;
	irqs.defer_eoi = true;			/* the ISR leaves the EOI to us */
	irq_on();
	edu_raise(p);				/* asserted until acked */
	if (!wait_total(1, p->hz * 5))
		panic("no INTx arrived");
	wait_total(2, hold);			/* EOI pending: must not come again */
	c_held = irqs.total;
	gic_eoi(irqs.deferred);			/* EOI while still asserted */
	wait_total(c_held + 1, p->hz);		/* exactly one more delivery */
	wait_total(c_held + 2, hold);
	c_after = irqs.total;
	irqs.defer_eoi = false;
	edu_ack(p);				/* deassert, then EOI the re-delivery */
	gic_eoi(irqs.deferred);
	wait_total(c_after + 1, hold);
	c_final = irqs.total;
	json_begin_a64(&j, "eoi-gating");
	json_u64(&j, "intid", intid);
	json_u64(&j, "while_eoi_pending", c_held);
	json_u64(&j, "after_eoi_asserted", c_after);
	json_u64(&j, "after_ack", c_final);
	return probe_result(&j, c_held == 1 && c_after == 2 && c_final == 2);
}
SCENARIO("eoi-gating", eoi_gating);

/*
 * The edu asserts INTx while the guest's driver is not ready (INTx Disable
 * set, as nexit presents the device); the line stays masked at the host
 * and nothing is delivered (counter page: fallback deliveries) until the
 * guest clears the bit, then exactly one interrupt.
 */
static bool mask_until_ready(struct platform *p)
{
	u64 f0, f1, f2, before_enable;
	struct json j;
	u32 intid;

	if (!intx_setup(p, "mask-until-ready", &intid))
		return false;
	pci_intx_enable(&p->edu, false);	/* not ready */
	irqs.before_eoi = edu_ack_isr;
	irqs.before_eoi_arg = p;
	irq_on();
	f0 = counters_read(NX_CP_FALLBACK);
	edu_raise(p);				/* asserted, guest not ready */
	spin_ms(p, 200);
	f1 = counters_read(NX_CP_FALLBACK);
	before_enable = irqs.total;
	pci_intx_enable(&p->edu, true);		/* ready */
	wait_total(1, p->hz * 2);
	spin_ms(p, 100);
	f2 = counters_read(NX_CP_FALLBACK);
	json_begin_a64(&j, "mask-until-ready");
	json_u64(&j, "intid", intid);
	json_u64(&j, "taken_before_ready", before_enable);
	json_u64(&j, "host_delivered_before_ready", f1 - f0);
	json_u64(&j, "taken_after_ready", irqs.total);
	json_u64(&j, "host_delivered_after_ready", f2 - f1);
	return probe_result(&j, before_enable == 0 && f1 == f0 && irqs.total == 1 && f2 - f1 == 1);
}
SCENARIO("mask-until-ready", mask_until_ready);

/*
 * The guest powers off while the edu's INTx is asserted and in service
 * (never EOIed); nexit must mask it at the host on the way out. The host
 * side checks that in nexit's stats JSON ("host_masked": true).
 */
static bool shutdown_mask(struct platform *p)
{
	struct json j;
	u32 intid;

	if (!intx_setup(p, "shutdown-mask", &intid))
		return false;
	irqs.defer_eoi = true;
	irq_on();
	edu_raise(p);
	wait_total(1, p->hz * 2);
	irq_off();
	json_begin_a64(&j, "shutdown-mask");
	json_u64(&j, "intid", intid);
	json_u64(&j, "taken", irqs.total);
	json_str(&j, "check", "host: stats irq.lines[].host_masked");
	return probe_result(&j, irqs.total == 1);
}
SCENARIO("shutdown-mask", shutdown_mask);

/* SPDX-License-Identifier: MIT */
/*
 * eoi-gating - a level-triggered INTx whose handler delays its EOI:
 *   1. raise, never acknowledge: exactly one delivery while the EOI is
 *      pending (IOAPIC remote IRR / LAPIC ISR hold the line), over window_ms;
 *   2. EOI with the line still asserted: delivered again, exactly once;
 *   3. acknowledge the device (line drops), then EOI: no further delivery.
 * Keys: window_ms (50), timeout_ms (1000), cap (1000: after that many
 * deliveries the handler acknowledges the device, so a VMM or CPU that does
 * not gate on the EOI cannot livelock the probe; "capped" in the result).
 */
#include "../probe.h"

#define VEC 0x43

static bool eoi_gating(struct platform *p)
{
	struct pci_dev d[4];
	struct intx x;
	struct json j;
	u64 win = cmdline_u64(&p->cmd, "window_ms", 50), to = cmdline_u64(&p->cmd, "timeout_ms", 1000);
	u64 first, held, again, again_held, final;
	bool irr_held, isr_held;

	edu_need(p, "eoi-gating", d, 4, 1);
	irq_setup(VEC, IRQ_NO_EOI, 0, 0);
	irq_cap(VEC, cmdline_u64(&p->cmd, "cap", 1000), d[0].bar0 + NX_IRQDEV_REG_ACK, 1);
	if (!intx_setup(p, &d[0], VEC, cpus[0].apic_id, false, &x))
		panic("no INTx routing for the device (give intx_gsi=)");

	edu_raise(&d[0], 1);
	first = wait_count(p, VEC, 1, to);
	user_sleep(p, win);			/* EOI pending, line asserted */
	held = READ_ONCE(irq_rec[VEC].count);
	irr_held = ioapic_rte_lo(x.ioapic, x.pin) & RTE_REMOTE_IRR;
	isr_held = apic_isr_test(VEC);

	apic_eoi();				/* line still asserted */
	again = wait_count(p, VEC, held + 1, to);
	user_sleep(p, win);
	again_held = READ_ONCE(irq_rec[VEC].count);

	edu_ack(&d[0], 1);			/* line drops */
	apic_eoi();
	user_sleep(p, win);
	final = READ_ONCE(irq_rec[VEC].count);
	intx_mask(&x, true);

	bool lapic = lapic_holds_in_service(p);

	json_begin(&j, "eoi-gating");
	json_bool(&j, "lapic_in_service", lapic);
	json_dev(&j, "device", &d[0]);
	json_intx(&j, &x);
	json_u64(&j, "first", first);
	json_u64(&j, "during_eoi_wait", held);
	json_bool(&j, "remote_irr_while_pending", irr_held);
	json_bool(&j, "lapic_isr_while_pending", isr_held);
	json_u64(&j, "after_eoi_asserted", again_held);
	json_u64(&j, "after_ack_eoi", final);
	json_u64(&j, "window_ms", win);
	json_bool(&j, "capped", irq_capped(VEC));
	/* Every count but "delivered at all" needs the LAPIC's in-service hold. */
	bool gated = !lapic_checks(p, &j) ||
		     (first == 1 && held == 1 && again == 2 && again_held == 2 && final == 2);
	return probe_result(&j, first >= 1 && gated);
}
SCENARIO("eoi-gating", eoi_gating);

/* SPDX-License-Identifier: MIT */
/*
 * mask-until-ready - the device asserts its INTx while the guest's RTE is
 * still masked (driver not ready): nothing may arrive over window_ms. When
 * the guest unmasks, the still-asserted line is delivered, exactly once
 * (the handler acknowledges the device before its EOI).
 */
#include "../probe.h"

#define VEC 0x44

static bool mask_until_ready(struct platform *p)
{
	struct pci_dev d[4];
	struct intx x;
	struct json j;
	u64 win = cmdline_u64(&p->cmd, "window_ms", 50), to = cmdline_u64(&p->cmd, "timeout_ms", 1000);
	u64 masked_count, after, settled;
	bool rte_masked;

	edu_need(p, "mask-until-ready", d, 4, 1);
	irq_setup(VEC, 0, d[0].bar0 + NX_IRQDEV_REG_ACK, 1);
	if (!intx_setup(p, &d[0], VEC, cpus[0].apic_id, true, &x))
		panic("no INTx routing for the device (give intx_gsi=)");

	edu_raise(&d[0], 1);			/* asserted while masked */
	user_sleep(p, win);
	masked_count = READ_ONCE(irq_rec[VEC].count);
	rte_masked = ioapic_rte_lo(x.ioapic, x.pin) & RTE_MASKED;

	intx_mask(&x, false);			/* driver ready */
	after = wait_count(p, VEC, 1, to);
	user_sleep(p, win);
	settled = READ_ONCE(irq_rec[VEC].count);
	intx_mask(&x, true);

	bool lapic = lapic_holds_in_service(p);

	json_begin(&j, "mask-until-ready");
	json_bool(&j, "lapic_in_service", lapic);
	json_dev(&j, "device", &d[0]);
	json_intx(&j, &x);
	json_u64(&j, "while_masked", masked_count);
	json_bool(&j, "rte_masked", rte_masked);
	json_u64(&j, "after_unmask", after);
	json_u64(&j, "after_unmask_settled", settled);
	json_u64(&j, "window_ms", win);
	/* Exactly once needs the vector held in service until the handler's EOI. */
	bool exact = !lapic_checks(p, &j) || (after == 1 && settled == 1);
	return probe_result(&j, masked_count == 0 && rte_masked && after >= 1 && exact);
}
SCENARIO("mask-until-ready", mask_until_ready);

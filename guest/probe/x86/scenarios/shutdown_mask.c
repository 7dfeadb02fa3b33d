/* SPDX-License-Identifier: MIT */
/*
 * shutdown-mask - what "masked again at shutdown, pending state dropped, not
 * replayed" means as seen from inside the guest (docs/probe.md):
 *   1. a level INTx is delivered and left pending (no EOI, line asserted);
 *   2. the guest shuts its interrupt set-up down the way an OS does on
 *      shutdown/kexec: masks the RTE and disables MSI, then EOIs - nothing
 *      may be delivered while masked, although the line is still asserted;
 *   3. an MSI-disabled device raising again delivers nothing either;
 *   4. the device is quiesced (acknowledged) while masked, and the next
 *      "boot" unmasks the RTE: the interrupt pending at shutdown must not be
 *      replayed;
 *   5. the line still works: a fresh assertion is delivered exactly once.
 */
#include "../probe.h"

#define VEC 0x45
#define VEC_MSI 0x55

static bool shutdown_mask(struct platform *p)
{
	struct pci_dev d[4];
	struct intx x;
	struct json j;
	u64 win = cmdline_u64(&p->cmd, "window_ms", 50), to = cmdline_u64(&p->cmd, "timeout_ms", 1000);
	u64 first, at_mask, masked, msi_after_disable, replayed, fresh;
	bool remote_irr_after, capped;

	edu_need(p, "shutdown-mask", d, 4, 1);
	irq_setup(VEC, IRQ_NO_EOI, 0, 0);
	irq_cap(VEC, cmdline_u64(&p->cmd, "cap", 1000), d[0].bar0 + NX_IRQDEV_REG_ACK, 1);	/* see eoi-gating */
	irq_setup(VEC_MSI, 0, 0, 0);
	if (!intx_setup(p, &d[0], VEC, cpus[0].apic_id, false, &x))
		panic("no INTx routing for the device (give intx_gsi=)");

	edu_raise(&d[0], 1);
	first = wait_count(p, VEC, 1, to);	/* 1: pending, EOI outstanding */

	intx_mask(&x, true);			/* 2: shutdown masks, then EOI */
	pci_msi_disable(&d[0]);
	/* Counted from the mask on: a LAPIC that auto-EOIs (kvm_pvm) lets the
	 * still-asserted line deliver again between "first" and the mask, and
	 * a delivery the IOAPIC sent before the mask may still sit in the
	 * LAPIC's IRR (SDM 10.8.3: accepted, not yet dispatched) until the
	 * next interrupt window: 2 ms with IF=1 lets it be taken first. A
	 * LAPIC that holds the first in service has none (remote IRR). */
	user_sleep(p, 2);
	at_mask = READ_ONCE(irq_rec[VEC].count);
	apic_eoi();
	user_sleep(p, win);
	masked = READ_ONCE(irq_rec[VEC].count) - at_mask;
	remote_irr_after = ioapic_rte_lo(x.ioapic, x.pin) & RTE_REMOTE_IRR;

	edu_raise(&d[0], 2);			/* 3: MSI off: no message */
	user_sleep(p, win);
	msi_after_disable = READ_ONCE(irq_rec[VEC_MSI].count);

	edu_ack(&d[0], 3);			/* 4: quiesce, then "boot" unmasks */
	capped = irq_capped(VEC);
	irq_rec[VEC].eoi_limit = 0;
	irq_rec[VEC].flags = 0;
	irq_rec[VEC].ack_addr = d[0].bar0 + NX_IRQDEV_REG_ACK;
	irq_rec[VEC].ack_val = 1;
	intx_mask(&x, false);
	user_sleep(p, win);
	replayed = READ_ONCE(irq_rec[VEC].count) - first;

	edu_raise(&d[0], 1);			/* 5: the line works again */
	fresh = wait_count(p, VEC, first + 1, to) - first;
	user_sleep(p, win);
	fresh = READ_ONCE(irq_rec[VEC].count) - first;
	intx_mask(&x, true);

	bool lapic = lapic_holds_in_service(p);

	json_begin(&j, "shutdown-mask");
	json_bool(&j, "lapic_in_service", lapic);
	json_dev(&j, "device", &d[0]);
	json_intx(&j, &x);
	json_u64(&j, "first", first);
	json_u64(&j, "while_masked_after_eoi", masked);
	json_bool(&j, "remote_irr_after_eoi", remote_irr_after);
	json_u64(&j, "msi_after_disable", msi_after_disable);
	json_u64(&j, "replayed_after_unmask", replayed);
	json_u64(&j, "fresh_after_unmask", fresh);
	json_u64(&j, "window_ms", win);
	json_bool(&j, "capped", capped);
	/* Masking and MSI disable hold on any LAPIC; "exactly once" and "not
	 * replayed" count deliveries that an auto-EOI LAPIC repeats. */
	bool exact = !lapic_checks(p, &j) || (first == 1 && replayed == 0 && fresh == 1);
	return probe_result(&j, first >= 1 && masked == 0 && msi_after_disable == 0 && fresh >= 1 &&
				exact);
}
SCENARIO("shutdown-mask", shutdown_mask);

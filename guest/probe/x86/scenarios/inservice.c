/* SPDX-License-Identifier: MIT */
/*
 * inservice - does the local APIC keep a delivered interrupt in service
 * until EOI (SDM 10.8.4)? An MSI is delivered to a handler that does not
 * EOI: its ISR bit must be set and PPR raised; a second MSI on the same
 * vector must wait in IRR until the EOI. The other scenarios' EOI-gating
 * rests on this; kvm_pvm was measured not to hold it (docs/probe.md).
 */
#include "../probe.h"

#define VEC 0x61

static bool inservice(struct platform *p)
{
	struct pci_dev d[4];
	struct json j;
	u64 win = cmdline_u64(&p->cmd, "window_ms", 50), to = cmdline_u64(&p->cmd, "timeout_ms", 1000);
	u64 first, second, after_eoi;
	bool isr, irr;
	u32 ppr;

	edu_need(p, "inservice", d, 4, 1);
	irq_setup(VEC, IRQ_NO_EOI, 0, 0);
	pci_msi_enable(&d[0], cpus[0].apic_id, VEC);
	edu_raise(&d[0], 1);
	first = wait_count(p, VEC, 1, to);
	isr = apic_isr_test(VEC);
	ppr = apic_read(0xa0);			/* processor priority */
	edu_ack(&d[0], 1);
	edu_raise(&d[0], 1);
	user_sleep(p, win);
	second = READ_ONCE(irq_rec[VEC].count);
	irr = apic_irr_test(VEC);
	apic_eoi();
	after_eoi = wait_count(p, VEC, 2, to);
	apic_eoi();
	edu_ack(&d[0], 1);
	pci_msi_disable(&d[0]);

	bool lapic = lapic_holds_in_service(p);

	json_begin(&j, "inservice");
	json_bool(&j, "lapic_in_service", lapic);
	json_u64(&j, "first", first);
	json_bool(&j, "isr_set", isr);
	json_u64(&j, "ppr", ppr);
	json_u64(&j, "second_before_eoi", second);
	json_bool(&j, "second_in_irr", irr);
	json_u64(&j, "after_eoi", after_eoi);
	return probe_result(&j, first == 1 && isr && (ppr >> 4) == (VEC >> 4) && second == 1 &&
				irr && after_eoi == 2);
}
SCENARIO("inservice", inservice);

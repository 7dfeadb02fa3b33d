/* SPDX-License-Identifier: MIT */
/*
 * priority - x86 interrupt priority is the vector's class (bits 7:4, SDM
 * 10.8.3.1). Two MSIs, low class 0x52 (device 0) and high class 0x92
 * (device 1, or a self-IPI if there is only one device):
 *   1. both raised (low first) with interrupts disabled; once both sit in
 *      IRR, interrupts are enabled: the high one must be taken first;
 *   2. with TPR (CR8) = 8 both are raised again: the high one is delivered,
 *      the low one is held back in IRR over window_ms; TPR = 0 releases it.
 */
#include "../probe.h"

#define VLO 0x52
#define VHI 0x92

struct src { struct pci_dev *d; };

static void raise_hi(struct pci_dev *d, int n)
{
	if (n > 1)
		edu_raise(&d[1], 1);
	else
		apic_self_ipi(VHI);
}

static bool both_in_irr(struct platform *p)
{
	u64 end = rdtsc() + tsc_ms_cycles(&p->tsc, cmdline_u64(&p->cmd, "timeout_ms", 1000));
	while (!(apic_irr_test(VLO) && apic_irr_test(VHI)))
		if (rdtsc() > end)
			return false;
	return true;
}

static bool priority(struct platform *p)
{
	struct pci_dev d[4];
	struct json j;
	u64 win = cmdline_u64(&p->cmd, "window_ms", 50), to = cmdline_u64(&p->cmd, "timeout_ms", 1000);
	u32 log0, order[2] = { 0, 0 };
	u64 hi_tpr, lo_tpr, lo_after;
	bool pending1, pending2, lo_in_irr;
	int n = edu_need(p, "priority", d, 4, 1);

	irq_setup(VLO, 0, 0, 0);
	irq_setup(VHI, 0, 0, 0);
	pci_msi_enable(&d[0], cpus[0].apic_id, VLO);
	if (n > 1)
		pci_msi_enable(&d[1], cpus[0].apic_id, VHI);

	/* 1: IF=0 here (ring 0 runs with interrupts off). */
	log0 = READ_ONCE(irq_log_idx);
	edu_raise(&d[0], 1);
	raise_hi(d, n);
	pending1 = both_in_irr(p);
	wait_count(p, VLO, 1, to);		/* ring 3, IF=1: both are taken */
	wait_count(p, VHI, 1, to);
	if (READ_ONCE(irq_log_idx) - log0 >= 2) {
		order[0] = irq_log[log0 % IRQ_LOG_SIZE];
		order[1] = irq_log[(log0 + 1) % IRQ_LOG_SIZE];
	}
	edu_ack(&d[0], 1);
	if (n > 1)
		edu_ack(&d[1], 1);

	/* 2: TPR class 8 blocks class <= 8 (SDM 10.8.3.1). */
	set_cr8(8);
	edu_raise(&d[0], 1);
	raise_hi(d, n);
	pending2 = both_in_irr(p);
	hi_tpr = wait_count(p, VHI, 2, to) - 1;
	user_sleep(p, win);
	lo_tpr = READ_ONCE(irq_rec[VLO].count) - 1;
	lo_in_irr = apic_irr_test(VLO);
	set_cr8(0);
	lo_after = wait_count(p, VLO, 2, to) - 1;
	edu_ack(&d[0], 1);
	if (n > 1)
		edu_ack(&d[1], 1);
	pci_msi_disable(&d[0]);
	if (n > 1)
		pci_msi_disable(&d[1]);

	json_begin(&j, "priority");
	json_str(&j, "high_source", n > 1 ? "msi" : "self-ipi");
	json_u64(&j, "low_vector", VLO);
	json_u64(&j, "high_vector", VHI);
	json_bool(&j, "both_pending", pending1);
	json_u64(&j, "first_taken", order[0]);
	json_u64(&j, "second_taken", order[1]);
	json_bool(&j, "tpr_both_pending", pending2);
	json_u64(&j, "tpr8_high_delivered", hi_tpr);
	json_u64(&j, "tpr8_low_delivered", lo_tpr);
	json_bool(&j, "tpr8_low_in_irr", lo_in_irr);
	json_u64(&j, "tpr0_low_delivered", lo_after);
	return probe_result(&j, pending1 && order[0] == VHI && order[1] == VLO &&
				hi_tpr == 1 && lo_tpr == 0 && lo_in_irr && lo_after == 1);
}
SCENARIO("priority", priority);

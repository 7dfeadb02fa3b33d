/* SPDX-License-Identifier: MIT */
/*
 * fact-max - edu's factorial register (0x08) with absurd operands: the
 * largest (0xffffffff) first, with "raise when done" (status 0x80) and MSI
 * on, then a list of edge values. edu's result is n! in 32 bits (it wraps),
 * so every n >= 34 gives 0 (34! holds 2^32). After each write the guest
 * reads the device back (status until "computing" clears, the result, the
 * identification and liveness registers) and checks the result against its
 * own computation. A device model that loops over all 2^32 operands under a
 * lock hangs the vCPU on the first read back; the VMM must stay responsive.
 * A device that disappears (reads all-ones: its backend was cut off) ends
 * the list early ("gone"). Keys: timeout_ms (per operand, 2000), delay_ms
 * (0: wait this long first, for a host to act on the backend), hold_ms (0:
 * stay alive this long before the result, for a host watching; the line
 * "fact-max: done, holding N ms" says when it starts).
 */
#include "../probe.h"

#define VEC 0x44

static const u32 operands[] = { 0xffffffffu, 0, 1, 5, 12, 13, 33, 34, 35, 0x80000000u,
				0xfffffffeu, 0xffffffffu };
#define NOPS (sizeof(operands) / sizeof(operands[0]))

static u32 fact32(u32 n)
{
	u32 v = 1;

	for (u32 i = 2; i <= n && i <= 34; i++)
		v *= i;
	return v;
}

struct fact_run {
	u64 bar, timeout;
	u32 got[NOPS], status[NOPS];
	bool done[NOPS];
	bool gone;
	u32 id, live;
};

static u64 run_fn(void *a)
{
	struct fact_run *r = a;

	for (unsigned i = 0; i < NOPS; i++) {
		u64 t0 = rdtsc();
		u32 st;

		mmio_write32(r->bar + NX_IRQDEV_REG_FACT, operands[i]);
		while ((st = mmio_read32(r->bar + NX_IRQDEV_REG_STATUS)) & 1) {
			if (st == 0xffffffffu || rdtsc() - t0 > r->timeout)
				break;
			cpu_relax();
		}
		if (st == 0xffffffffu) {
			r->gone = true;		/* surprise removal */
			break;
		}
		r->status[i] = st;
		r->done[i] = !(st & 1);
		r->got[i] = mmio_read32(r->bar + NX_IRQDEV_REG_FACT);
	}
	r->id = mmio_read32(r->bar + NX_IRQDEV_REG_ID);
	mmio_write32(r->bar + NX_IRQDEV_REG_LIVE, 0x12345678);
	r->live = mmio_read32(r->bar + NX_IRQDEV_REG_LIVE);
	return 0;
}

static bool fact_max(struct platform *p)
{
	struct pci_dev d[4];
	struct fact_run r = { 0 };
	struct json j;
	unsigned ok = 0, first_bad = NOPS;
	u64 irqs, hold;

	edu_need(p, "fact-max", d, 4, 1);
	r.bar = d[0].bar0;
	r.timeout = tsc_ms_cycles(&p->tsc, cmdline_u64(&p->cmd, "timeout_ms", 2000));
	irq_setup(VEC, 0, d[0].bar0 + NX_IRQDEV_REG_ACK, 1);
	if (d[0].msi_cap)
		pci_msi_enable(&d[0], cpus[0].apic_id, VEC);
	mmio_write32(r.bar + NX_IRQDEV_REG_STATUS, NX_IRQDEV_ST_IRQFACT);
	user_sleep(p, cmdline_u64(&p->cmd, "delay_ms", 0));
	user_call(run_fn, &r);
	/* Interrupts of the last completions may still be on their way. */
	irqs = wait_count(p, VEC, NOPS, cmdline_u64(&p->cmd, "timeout_ms", 2000));
	mmio_write32(r.bar + NX_IRQDEV_REG_STATUS, 0);
	if (d[0].msi_cap)
		pci_msi_disable(&d[0]);
	hold = cmdline_u64(&p->cmd, "hold_ms", 0);
	if (hold)	/* a host watching the VM waits for this line */
		printk("fact-max: done, holding %llu ms\n", (unsigned long long)hold);
	user_sleep(p, hold);

	for (unsigned i = 0; i < NOPS; i++) {
		if (r.done[i] && r.got[i] == fact32(operands[i]))
			ok++;
		else if (first_bad == NOPS)
			first_bad = i;
	}
	json_begin(&j, "fact-max");
	json_dev(&j, "device", &d[0]);
	json_u64(&j, "operands", NOPS);
	json_u64(&j, "results_ok", ok);
	json_u64(&j, "fact_max", r.got[0]);
	json_bool(&j, "fact_max_done", r.done[0]);
	if (first_bad < NOPS) {
		json_u64(&j, "first_bad_operand", operands[first_bad]);
		json_u64(&j, "first_bad_result", r.got[first_bad]);
		json_u64(&j, "first_bad_status", r.status[first_bad]);
	}
	json_u64(&j, "id", r.id);
	json_u64(&j, "live", r.live);
	json_u64(&j, "irqs", irqs);
	json_bool(&j, "gone", r.gone);
	json_bool(&j, "msi", d[0].msi_cap != 0);
	/* "Raise when done" must interrupt; back-to-back completions to one
	 * vector may merge (a pending edge MSI in the LAPIC's IRR, or two
	 * irqfd signals before KVM injects), so not necessarily once each. */
	return probe_result(&j, ok == NOPS && r.id == 0x010000ed && r.live == ~0x12345678u &&
				 (!d[0].msi_cap || (irqs >= 1 && irqs <= NOPS)));
}
SCENARIO("fact-max", fact_max);

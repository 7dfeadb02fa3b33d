/* SPDX-License-Identifier: MIT */
/*
 * affinity - the guest routes the device's MSI to vCPU1, then to vCPU0, by
 * rewriting the MSI address's destination APIC id; the ISR records the CPU
 * it ran on. n=N interrupts per target (10). Needs two CPUs.
 */
#include "../probe.h"

#define VEC 0x47

struct aff { const struct pci_dev *d; u64 n, timeout; unsigned target; u64 hits, got; };

static u64 fire(void *a)		/* ring 3 */
{
	struct aff *x = a;
	struct irq_rec *r = &irq_rec[VEC];
	for (u64 i = 0; i < x->n; i++) {
		u64 c0 = READ_ONCE(r->count), t0 = rdtsc();
		edu_raise(x->d, 1);
		while (READ_ONCE(r->count) == c0)
			if (rdtsc() - t0 > x->timeout)
				return 0;
		x->got++;
		if (READ_ONCE(r->cpu) == x->target)
			x->hits++;
		edu_ack(x->d, 1);
	}
	return 0;
}

static bool affinity(struct platform *p)
{
	struct pci_dev d[4];
	struct aff a[2];
	unsigned order[2] = { 1, 0 };
	struct json j;
	u64 n = cmdline_u64(&p->cmd, "n", 10);
	bool pass = true;

	edu_need(p, "affinity", d, 4, 1);
	if (p->ncpus < 2) {
		json_begin(&j, "affinity");
		json_u64(&j, "cpus", p->ncpus);
		json_str(&j, "error", "needs two CPUs");
		return probe_result(&j, false);
	}
	irq_setup(VEC, 0, 0, 0);
	for (int k = 0; k < 2; k++) {
		a[k] = (struct aff){ &d[0], n, tsc_ms_cycles(&p->tsc, 1000), order[k], 0, 0 };
		pci_msi_enable(&d[0], cpus[order[k]].apic_id, VEC);	/* guest picks the CPU */
		user_call(fire, &a[k]);
		pass &= a[k].got == n && a[k].hits == n;
	}
	pci_msi_disable(&d[0]);

	json_begin(&j, "affinity");
	json_u64(&j, "n", n);
	json_u64(&j, "cpu1_apic", cpus[1].apic_id);
	json_u64(&j, "to_cpu1_received", a[0].got);
	json_u64(&j, "to_cpu1_ran_on_cpu1", a[0].hits);
	json_u64(&j, "cpu0_apic", cpus[0].apic_id);
	json_u64(&j, "to_cpu0_received", a[1].got);
	json_u64(&j, "to_cpu0_ran_on_cpu0", a[1].hits);
	return probe_result(&j, pass);
}
SCENARIO("affinity", affinity);

/* SPDX-License-Identifier: MIT */
/*
 * storm - line A (device 0's INTx, level) is raised and never acknowledged:
 * its handler EOIs without quiescing the device, so every EOI finds the line
 * asserted again. Meanwhile device 1's MSI latency is measured (n=N, 200)
 * and then A is watched for observe_ms (200). Passes when B keeps being
 * served (all N delivered); with expect_throttle=1 it also needs A's
 * deliveries to pause for >= gap_ms (5) at a time (a host back-off), and with
 * a_max_per_s=R A's rate must stay at or below R.
 *
 * Guest-side safety: after a_cap deliveries (20000) A's handler acknowledges
 * the device and stops EOIing, so a VMM without storm control cannot
 * livelock the probe ("a_capped" in the result; it fails expect_throttle).
 */
#include "../probe.h"

#define VA 0x46		/* class 4: below B */
#define VB 0x93		/* class 9 */
#define MAX_N 20000
static u64 lat[MAX_N];

struct watch { u64 start, end, longest_gap, deliveries; };

static u64 observe(void *a)		/* ring 3: longest interval without an A delivery */
{
	struct watch *w = a;
	struct irq_rec *r = &irq_rec[VA];
	u64 c0 = READ_ONCE(r->count), last = w->start, c = c0, now;

	while ((now = rdtsc()) < w->end) {
		u64 k = READ_ONCE(r->count);
		if (k != c) {
			c = k;
			last = now;
		} else if (now - last > w->longest_gap) {
			w->longest_gap = now - last;
		}
		cpu_relax();
	}
	w->deliveries = c - c0;
	return 0;
}

static bool storm(struct platform *p)
{
	struct pci_dev d[4];
	struct lat_run r = { .vec = VB, .lat = lat, .ack_in_loop = true };
	struct intx x;
	struct watch w = { 0 };
	struct json j;
	u64 obs_ms = cmdline_u64(&p->cmd, "observe_ms", 200), gap_ms = cmdline_u64(&p->cmd, "gap_ms", 5);
	u64 a_max = cmdline_u64(&p->cmd, "a_max_per_s", 0), t0, t1, a0, a_during, rate;
	bool throttled, capped, pass;

	edu_need(p, "storm", d, 4, 2);
	r.d = &d[1];
	r.n = cmdline_u64(&p->cmd, "n", 200);
	r.warmup = 0;
	if (r.n > MAX_N)
		r.n = MAX_N;

	irq_setup(VA, 0, 0, 0);			/* EOI, no acknowledge: a storm */
	irq_cap(VA, cmdline_u64(&p->cmd, "a_cap", 20000), d[0].bar0 + NX_IRQDEV_REG_ACK, 1);
	irq_setup(VB, 0, 0, 0);
	pci_msi_enable(&d[1], cpus[0].apic_id, VB);
	if (!intx_setup(p, &d[0], VA, cpus[0].apic_id, false, &x))
		panic("no INTx routing for device 0 (give intx_gsi=)");

	edu_raise(&d[0], 1);			/* A asserted for good */
	t0 = rdtsc();
	a0 = READ_ONCE(irq_rec[VA].count);
	lat_measure(p, &r);
	t1 = rdtsc();
	a_during = READ_ONCE(irq_rec[VA].count) - a0;
	w.start = rdtsc();
	w.end = w.start + tsc_ms_cycles(&p->tsc, obs_ms);
	user_call(observe, &w);

	intx_mask(&x, true);			/* end of the storm */
	edu_ack(&d[0], 1);
	capped = irq_capped(VA);
	if (capped)
		apic_eoi();			/* the vector left in service */
	pci_msi_disable(&d[1]);

	throttled = w.longest_gap >= tsc_ms_cycles(&p->tsc, gap_ms);
	rate = w.deliveries * 1000 / (obs_ms ? obs_ms : 1);
	pass = r.received == r.n;
	if (cmdline_u64(&p->cmd, "expect_throttle", 0))
		pass &= throttled && !capped;
	if (a_max)
		pass &= rate <= a_max;

	json_begin(&j, "storm");
	json_dev(&j, "a_device", &d[0]);
	json_intx(&j, &x);
	json_u64(&j, "a_deliveries_during_b", a_during);
	json_u64(&j, "b_window_ms", tsc_ns(&p->tsc, t1 - t0) / 1000000);
	json_u64(&j, "a_deliveries_observed", w.deliveries);
	json_u64(&j, "a_rate_per_s", rate);
	json_u64(&j, "a_longest_gap_us", tsc_ns(&p->tsc, w.longest_gap) / 1000);
	json_bool(&j, "a_throttled", throttled);
	json_bool(&j, "a_capped", capped);
	json_dev(&j, "b_device", &d[1]);
	json_u64(&j, "b_vector", VB);
	json_lat_run(&j, p, &r, "b_");
	return probe_result(&j, pass);
}
SCENARIO("storm", storm);

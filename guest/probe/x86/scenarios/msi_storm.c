/* SPDX-License-Identifier: MIT */
/*
 * msi-storm - storm containment on the exitless path. Device 0 (A) is an
 * irqdev whose backend storms its MSI once asked for a factorial (the test
 * gives it a misbehaving backend); device 1 (B) is an ordinary irqdev.
 *   before: n doorbell MSIs on A: all delivered, 0 VMM exits and 0 relayed
 *           by nexit (counter page 0x08, 0x18);
 *   storm:  A's factorial starts the backend's storm; meanwhile B's MSI
 *           latency (n) must be served in full, then A is watched for
 *           observe_ms (300): its rate (a_rate_per_s) and how many of its
 *           interrupts nexit relayed (relayed_during); relayed_storm counts
 *           them up to the storm's end (storm=raise: the hammer's end, else
 *           the watch's): > 0 = A was taken off the exitless path while it
 *           stormed (contained);
 *   after:  once the relay count has not moved for quiet_ms (100) and then
 *           settle_ms (1000) more, n doorbell MSIs on A again: all
 *           delivered with 0 VMM exits and 0 relayed (A is exitless again).
 * storm=raise: the storm is the guest's own instead: CPU 1 writes A's raise
 * register as fast as it can for storm_ms (1500) - on an assigned edu every
 * write is a real MSI of the device (the host's /proc/interrupts counts it,
 * which is what nexit's guard reads); needs 2 CPUs. How many of those MSIs
 * the host takes per window is the host's business (in a nested TCG machine
 * it swings from tens to over a thousand per 100 ms, in and between runs),
 * so the guard may find the storm any time while the hammer runs: the
 * verdict counts relays up to the hammer's end, not only in the watch.
 * storm_gap_us=G: one write per G us instead of back to back. An emulating
 * host (QEMU TCG) serializes device writes under one lock: a CPU writing
 * back to back can starve the CPU that must take the device's interrupts,
 * and the storm then reaches nobody (measured in L1: ~12 host IRQs per
 * 100 ms for a whole 1.5 s storm of ~900 000 writes).
 * a_max_per_s=R fails the run if A's rate while watched is above R.
 * Under another VMM (no counter page) the exit and relay checks are null.
 */
#include "../probe.h"

#define VA 0x51
#define VB 0x92
#define MAX_N 4000
static u64 lat_before[MAX_N], lat_b[MAX_N], lat_after[MAX_N];

struct watch { u64 end, deliveries; };

static u64 observe(void *a)		/* ring 3: A's deliveries until end */
{
	struct watch *w = a;
	u64 c0 = READ_ONCE(irq_rec[VA].count);

	while (rdtsc() < w->end)
		cpu_relax();
	w->deliveries = READ_ONCE(irq_rec[VA].count) - c0;
	return 0;
}

struct quiet { u64 quiet, limit, waited; };

struct hammer { u64 bar, end, gap, writes; };

static void hammer(void *a)		/* CPU 1, ring 0: A's raise register */
{
	struct hammer *h = a;

	if (h->gap) {			/* a write, then gap cycles until the next */
		for (u64 t = rdtsc(); t < h->end; h->writes++) {
			u64 until;

			mmio_write32(h->bar + NX_IRQDEV_REG_RAISE, 1);
			until = rdtsc() + h->gap;
			while ((t = rdtsc()) < until)
				;
		}
		return;
	}
	while (rdtsc() < h->end)
		for (int i = 0; i < 64; i++, h->writes++)
			mmio_write32(h->bar + NX_IRQDEV_REG_RAISE, 1);
}

static u64 wait_quiet(void *a)		/* ring 3: until 0x18 stays put for quiet */
{
	struct quiet *q = a;
	u64 t0 = rdtsc(), last = counters_relayed(), since = rdtsc(), now;

	while ((now = rdtsc()) - since < q->quiet && now - t0 < q->limit) {
		u64 r = counters_relayed();
		if (r != last) {
			last = r;
			since = now;
		}
		for (int i = 0; i < 1000; i++)
			cpu_relax();
	}
	q->waited = now - t0;
	return 0;
}

/* A's doorbell MSIs, with the relay counter read around them. */
static void phase(struct platform *p, struct lat_run *r, u64 *relayed, bool nx)
{
	u64 r0 = nx ? counters_relayed() : 0;

	lat_measure(p, r);
	*relayed = nx ? counters_relayed() - r0 : 0;
}

static bool clean(struct lat_run *r, u64 relayed, bool nx)
{
	return r->received == r->n && (!nx || (r->have_exits && r->exits == 0 && relayed == 0));
}

static bool msi_storm(struct platform *p)
{
	struct pci_dev d[4];
	u64 n = cmdline_u64(&p->cmd, "n", 100), a_max = cmdline_u64(&p->cmd, "a_max_per_s", 0);
	u64 obs_ms = cmdline_u64(&p->cmd, "observe_ms", 300);
	struct lat_run before = { .vec = VA, .lat = lat_before, .ack_in_loop = true };
	struct lat_run b = { .vec = VB, .lat = lat_b, .ack_in_loop = true };
	struct lat_run after = { .vec = VA, .lat = lat_after, .ack_in_loop = true };
	struct quiet q;
	struct watch w;
	const char *how = cmdline_get(&p->cmd, "storm");
	bool raise = how && !strncmp(how, "raise", 5) && (how[5] == 0 || how[5] == ' ');
	struct hammer h = { 0 };
	struct json j;
	u64 rel_before, rel_after, rel0, rel_during = 0, rel_storm, a0, a_storm, rate;
	bool nx = counters_present(), contained, pass;

	edu_need(p, "msi-storm", d, 4, 2);
	if (n > MAX_N)
		n = MAX_N;
	before.n = b.n = after.n = n;
	before.d = after.d = &d[0];
	b.d = &d[1];
	irq_setup(VA, 0, 0, 0);
	irq_setup(VB, 0, 0, 0);
	pci_msi_enable(&d[0], cpus[0].apic_id, VA);
	pci_msi_enable(&d[1], cpus[0].apic_id, VB);

	phase(p, &before, &rel_before, nx);

	/* The storm: A's factorial, "raise when done" (its backend's MSI). */
	rel0 = nx ? counters_relayed() : 0;
	a0 = READ_ONCE(irq_rec[VA].count);
	if (raise) {
		if (p->ncpus < 2)
			panic("msi-storm storm=raise needs 2 CPUs");
		h.bar = d[0].bar0;
		h.end = rdtsc() + tsc_ms_cycles(&p->tsc, cmdline_u64(&p->cmd, "storm_ms", 1500));
		h.gap = tsc_ms_cycles(&p->tsc, 1) * cmdline_u64(&p->cmd, "storm_gap_us", 0) / 1000;
		smp_post(1, hammer, &h);
	} else {
		mmio_write32(d[0].bar0 + NX_IRQDEV_REG_STATUS, NX_IRQDEV_ST_IRQFACT);
		mmio_write32(d[0].bar0 + NX_IRQDEV_REG_FACT, 5);
	}
	lat_measure(p, &b);
	w.end = rdtsc() + tsc_ms_cycles(&p->tsc, obs_ms);
	user_call(observe, &w);
	a_storm = READ_ONCE(irq_rec[VA].count) - a0;
	rel_during = nx ? counters_relayed() - rel0 : 0;
	rate = w.deliveries * 1000 / (obs_ms ? obs_ms : 1);

	if (raise)
		smp_wait(1);
	rel_storm = nx ? counters_relayed() - rel0 : 0;
	/* The storm's end, then the guard's back-off. */
	q = (struct quiet){ tsc_ms_cycles(&p->tsc, cmdline_u64(&p->cmd, "quiet_ms", 100)),
			    tsc_ms_cycles(&p->tsc, cmdline_u64(&p->cmd, "quiet_limit_ms", 20000)), 0 };
	if (nx)
		user_call(wait_quiet, &q);
	user_sleep(p, cmdline_u64(&p->cmd, "settle_ms", 1000));

	phase(p, &after, &rel_after, nx);
	pci_msi_disable(&d[0]);
	pci_msi_disable(&d[1]);

	contained = !nx || rel_storm > 0;
	pass = clean(&before, rel_before, nx) && b.received == n && contained &&
	       clean(&after, rel_after, nx) && (!a_max || rate <= a_max);

	json_begin(&j, "msi-storm");
	json_dev(&j, "a_device", &d[0]);
	json_dev(&j, "b_device", &d[1]);
	json_str(&j, "storm", raise ? "raise" : "backend");
	if (raise) {
		json_u64(&j, "a_raise_writes", h.writes);
		json_u64(&j, "storm_gap_us", cmdline_u64(&p->cmd, "storm_gap_us", 0));
	}
	json_lat_run(&j, p, &before, "before_");
	if (nx)
		json_u64(&j, "before_relayed", rel_before);
	else
		json_null(&j, "before_relayed");
	json_u64(&j, "a_deliveries_storm", a_storm);
	json_u64(&j, "a_deliveries_observed", w.deliveries);
	json_u64(&j, "a_rate_per_s", rate);
	if (nx)
		json_u64(&j, "relayed_during", rel_during);
	else
		json_null(&j, "relayed_during");
	if (nx)
		json_u64(&j, "relayed_storm", rel_storm);
	else
		json_null(&j, "relayed_storm");
	json_bool(&j, "contained", contained);
	json_lat_run(&j, p, &b, "b_");
	json_u64(&j, "quiet_wait_ms", tsc_ns(&p->tsc, q.waited) / 1000000);
	json_lat_run(&j, p, &after, "after_");
	if (nx)
		json_u64(&j, "after_relayed", rel_after);
	else
		json_null(&j, "after_relayed");
	return probe_result(&j, pass);
}
SCENARIO("msi-storm", msi_storm);

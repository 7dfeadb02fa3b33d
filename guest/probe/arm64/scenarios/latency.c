/* SPDX-License-Identifier: MIT */
/*
 * msi-latency n=N [hold_ms=M] - edu doorbell (raise register) -> MSI -> ITS
 * LPI 8192 -> ISR, N times (1000); intx-latency n=N - the same on the edu's
 * INTx: SPI, level, the ISR acks the device before its EOI (200). The loop
 * is common/latency.c; around its window the counter page also gives KVM's
 * exits and the fallback's deliveries. 0 VMM exits when the MSI is an
 * irqfd; with GICv4 the LPI is a vLPI: no KVM exit either.
 */
#include "../probe.h"

/* KVM's exits and the fallback's deliveries read around the window: at its
 * start before the VMM exits read, at its end after it. */
struct a64_window {
	struct lat_run r;
	u64 kvm[2], fallback[2];
};

static void window(struct lat_run *r, bool end)
{
	struct a64_window *w = (struct a64_window *)r;

	w->kvm[end] = counters_read(NX_CP_KVM_EXITS);
	w->fallback[end] = counters_read(NX_CP_FALLBACK);
}

/* Between the two KVM exit reads, 4 more exits are the probe's own: the
 * start's fallback and VMM exits reads, the end's VMM exits read and the
 * end's KVM read itself (KVM counts an exit before nexit answers it). */
#define KVM_READS_IN_WINDOW 4

#define MAX_N 4096
static u64 lat[MAX_N];

static void edu_ack_isr(u32 intid, void *p)
{
	edu_ack(p);
}

static bool latency(struct platform *p, const char *name, u64 n, u32 intid, bool msi)
{
	struct a64_window w = { .r = {
		.d = &p->edu, .vec = intid, .count = &irqs.total, .entry_ticks = &irqs.last_ticks,
		.n = n > MAX_N ? MAX_N : n, .lat = lat, .timeout_ticks = p->hz / 2,
		.ack_in_loop = msi,	/* INTx: the ISR acks before its EOI */
		.window = window,
	} };
	struct lat_run *r = &w.r;
	struct lat_summary s;
	struct json j;
	u64 kvm;

	/* One warm-up interrupt outside the window (first-touch effects). */
	edu_raise(p);
	if (!wait_total(1, p->hz * 5)) {
		json_begin_a64(&j, name);
		json_str(&j, NX_PROBE_KEY_ERROR, msi ? "no MSI arrived (LPI never taken)" :
						       "no INTx arrived (SPI never taken)");
		return probe_result(&j, false);
	}
	if (msi)
		edu_ack(p);
	lat_prepare(r, 0);
	lat_loop(r);
	/* hold_ms=N: stay alive (interrupt still mapped) so the host can read
	 * KVM's state of it, e.g. debugfs kvm/<vm>/vgic-state. */
	spin_ms(p, cmdline_u64(&p->cmd, "hold_ms", 0));
	lat_summary_fill(r->lat, r->received, &s);

	json_begin_a64(&j, name);
	json_lat_fields(&j, r, &s, "", p->hz / 1000);
	json_u64(&j, "delivered", r->received);
	json_u64(&j, "intid", intid);
	json_u64(&j, "cntfrq", p->hz);
	if (r->have_exits && w.kvm[0] != ~0ull && w.kvm[1] != ~0ull) {
		kvm = w.kvm[1] - w.kvm[0] - KVM_READS_IN_WINDOW;
		json_u64(&j, NX_PROBE_KEY_KVM_EXITS, kvm);
		json_milli(&j, NX_PROBE_KEY_KVM_EXITS_PER_IRQ, r->received ? kvm * 1000 / r->received : 0);
	}
	json_u64(&j, "fallback_delivered", r->have_exits ? w.fallback[1] - w.fallback[0] : 0);
	return probe_result(&j, r->received == r->n && r->have_exits);
}

static bool msi_latency(struct platform *p)
{
	if (!msi_setup(p, "msi-latency", 0xa0))
		return false;
	irq_on();
	return latency(p, "msi-latency", cmdline_u64(&p->cmd, "n", 1000), LPI_BASE, true);
}
SCENARIO("msi-latency", msi_latency);

static bool intx_latency(struct platform *p)
{
	u32 intid;

	if (!intx_setup(p, "intx-latency", &intid))
		return false;
	irqs.before_eoi = edu_ack_isr;	/* lower the level line before the EOI */
	irqs.before_eoi_arg = p;
	irq_on();
	return latency(p, "intx-latency", cmdline_u64(&p->cmd, "n", 200), intid, false);
}
SCENARIO("intx-latency", intx_latency);

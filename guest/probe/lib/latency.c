/* SPDX-License-Identifier: MIT */
/*
 * latency.c - the doorbell -> ISR measurement loop shared by msi-latency,
 * intx-latency and storm. It runs in ring 3 (native on kvm_pvm): TSC, one
 * MMIO write to the device's raise register (edu 0x60: an ioeventfd under
 * nexit), spin until irq_fast has counted the delivery, take the TSC the ISR
 * recorded on entry. The VMM exit counter is read once before and once after.
 */
#include "probe.h"

static u64 measure(void *a)
{
	struct lat_run *r = a;
	struct irq_rec *rec = &irq_rec[r->vec];
	u64 bar = r->d->bar0;
	bool started = false;
	u64 isr0 = 0;

	/* edu: status bit 0x80 = raise interrupt 0x1 when a factorial is done. */
	if (r->fact)
		mmio_write32(bar + NX_IRQDEV_REG_STATUS, NX_IRQDEV_ST_IRQFACT);

	for (u64 i = 0; i < r->warmup + r->n; i++) {
		u64 c0, t0;
		if (i == r->warmup)
			isr0 = READ_ONCE(rec->count);
		if (i == r->warmup && r->have_exits) {
			r->exits = counters_exits();
			started = true;
		}
		c0 = READ_ONCE(rec->count);
		t0 = rdtsc();
		if (r->fact)
			mmio_write32(bar + NX_IRQDEV_REG_FACT, 5);	/* the device computes 5! */
		else
			mmio_write32(bar + NX_IRQDEV_REG_RAISE, r->raise_val);
		while (READ_ONCE(rec->count) == c0) {
			if (rdtsc() - t0 > r->timeout_cycles)
				goto out;
			cpu_relax();
		}
		if (r->ack_in_loop)
			mmio_write32(bar + NX_IRQDEV_REG_ACK, r->raise_val);
		if (i >= r->warmup)
			r->lat[r->received++] = READ_ONCE(rec->tsc) - t0;
	}
out:
	r->isr_entries = r->received ? READ_ONCE(rec->count) - isr0 : 0;
	if (!started) {
		r->have_exits = false;		/* timed out in the warm-up */
	} else if (r->have_exits) {
		u64 end = counters_exits();
		r->exits = end - r->exits - 1;	/* the start read is not counted, the end read is */
	}
	return 0;
}

void lat_measure(struct platform *p, struct lat_run *r)
{
	r->have_exits = counters_present();
	r->received = 0;
	r->exits = 0;
	if (!r->timeout_cycles)
		r->timeout_cycles = tsc_ms_cycles(&p->tsc, cmdline_u64(&p->cmd, "timeout_ms", 1000));
	if (!r->raise_val || r->fact)
		r->raise_val = 1;	/* edu's factorial interrupt is 0x1 */
	user_call(measure, r);
}

void json_lat_run(struct json *j, struct platform *p, struct lat_run *r, const char *prefix)
{
	struct lat_summary s;
	char key[48];

	lat_summarize(r->lat, r->received, &s);
	snprintf(key, sizeof(key), "%sn", prefix);
	json_u64(j, key, r->n);
	snprintf(key, sizeof(key), "%sreceived", prefix);
	json_u64(j, key, r->received);
	snprintf(key, sizeof(key), "%sisr_entries", prefix);
	json_u64(j, key, r->isr_entries);
	json_latency(j, prefix, &s, &p->tsc);
	snprintf(key, sizeof(key), "%svmm_exits", prefix);
	if (r->have_exits)
		json_u64(j, key, r->exits);
	else
		json_null(j, key);
	snprintf(key, sizeof(key), "%svmm_exits_per_irq", prefix);
	if (r->have_exits && r->received)
		json_milli(j, key, r->exits * 1000 / r->received);
	else
		json_null(j, key);
}

bool lat_exits_ok(struct platform *p, struct lat_run *r)
{
	const char *max = cmdline_get(&p->cmd, "max_exits_per_irq");
	if (!max || !r->have_exits)
		return true;
	return r->exits <= cmdline_u64(&p->cmd, "max_exits_per_irq", 0) * r->received;
}

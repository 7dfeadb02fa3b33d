/* SPDX-License-Identifier: MIT */
/*
 * latency.c - the doorbell -> ISR measurement loop (msi-latency,
 * intx-latency, storm, ...): ticks, one MMIO write to the device's raise
 * register (an ioeventfd under nexit), spin until the ISR has counted the
 * delivery, take the ticks the ISR recorded on entry. The VMM exit counter
 * is read once before and once after the measured window. The arch runs
 * lat_loop where spinning is cheap (x86: ring 3).
 */
#include "common.h"
#include "arch.h"

void lat_loop(struct lat_run *r)
{
	u64 bar = r->d->bar0;
	bool started = false;
	u64 isr0 = 0;

	/* edu: status bit 0x80 = raise interrupt 0x1 when a factorial is done. */
	if (r->fact)
		mmio_write32(bar + NX_IRQDEV_REG_STATUS, NX_IRQDEV_ST_IRQFACT);

	for (u64 i = 0; i < r->warmup + r->n; i++) {
		u64 c0, t0;
		if (i == r->warmup) {
			isr0 = *r->count;
			if (r->window)
				r->window(r, false);
		}
		if (i == r->warmup && r->have_exits) {
			r->exits = counters_exits();
			started = true;
		}
		c0 = *r->count;
		t0 = arch_ticks();
		if (r->fact)
			mmio_write32(bar + NX_IRQDEV_REG_FACT, 5);	/* the device computes 5! */
		else
			mmio_write32(bar + NX_IRQDEV_REG_RAISE, r->raise_val);
		while (*r->count == c0) {
			if (arch_ticks() - t0 > r->timeout_ticks)
				goto out;
			cpu_relax();
		}
		if (r->ack_in_loop)
			mmio_write32(bar + NX_IRQDEV_REG_ACK, r->raise_val);
		if (i >= r->warmup)
			r->lat[r->received++] = *r->entry_ticks - t0;
	}
out:
	r->isr_entries = r->received ? *r->count - isr0 : 0;
	if (!started) {
		r->have_exits = false;		/* timed out in the warm-up */
	} else if (r->have_exits) {
		u64 end = counters_exits();
		r->exits = end - r->exits - 1;	/* the start read is not counted, the end read is */
	}
	if (started && r->window)
		r->window(r, true);
}

void lat_prepare(struct lat_run *r, u64 timeout_ticks)
{
	r->have_exits = counters_present();
	r->received = 0;
	r->exits = 0;
	if (!r->timeout_ticks)
		r->timeout_ticks = timeout_ticks;
	if (!r->raise_val || r->fact)
		r->raise_val = 1;	/* edu's factorial interrupt is 0x1 */
}

void json_lat_fields(struct json *j, const struct lat_run *r, const struct lat_summary *s,
		     const char *prefix, u64 khz)
{
	char key[48];

	snprintf(key, sizeof(key), "%s" NX_PROBE_KEY_N, prefix);
	json_u64(j, key, r->n);
	snprintf(key, sizeof(key), "%s" NX_PROBE_KEY_RECEIVED, prefix);
	json_u64(j, key, r->received);
	snprintf(key, sizeof(key), "%s" NX_PROBE_KEY_ISR_ENTRIES, prefix);
	json_u64(j, key, r->isr_entries);
	json_latency(j, prefix, s, khz);
	snprintf(key, sizeof(key), "%s" NX_PROBE_KEY_VMM_EXITS, prefix);
	if (r->have_exits)
		json_u64(j, key, r->exits);
	else
		json_null(j, key);
	snprintf(key, sizeof(key), "%s" NX_PROBE_KEY_VMM_EXITS_PER_IRQ, prefix);
	if (r->have_exits && r->received)
		json_milli(j, key, r->exits * 1000 / r->received);
	else
		json_null(j, key);
}

bool lat_exits_ok(const struct cmdline *c, const struct lat_run *r)
{
	if (!cmdline_get(c, "max_exits_per_irq") || !r->have_exits)
		return true;
	return r->exits <= cmdline_u64(c, "max_exits_per_irq", 0) * r->received;
}

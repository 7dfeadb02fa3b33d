/* SPDX-License-Identifier: MIT */
/*
 * gate.c - the per-line rules of the fallback path, as one pure state
 * machine (no KVM, no clock: callers pass now_ns), so unit tests can drive
 * every rule with fake sources and a fake deliver callback.
 *
 *   device asserts ──► mask source at host ──► deliver per guest RTE
 *        ▲                                            │ (in service)
 *        └── unmask if deasserted ◄── guest EOI ◄─────┘
 *            (re-deliver once if still asserted)
 *
 * Rule numbers refer to fallback.h.
 */
#include <string.h>
#include "fallback/fallback.h"

static struct nx_gate_line *line(struct nx_gate *g, unsigned gsi)
{
	return gsi < g->nlines ? &g->lines[gsi] : NULL;
}

static void host_mask(struct nx_gate_line *l)
{
	if (!l->src || l->host_masked)
		return;
	l->host_masked = true;
	l->masked_at_host++;
	if (l->src->mask)
		l->src->mask(l->src->opaque);
}

static void host_unmask(struct nx_gate_line *l)
{
	if (!l->src || !l->host_masked)
		return;
	l->host_masked = false;
	if (l->src->unmask)
		l->src->unmask(l->src->opaque);
}

/* Level of the line now: the source's own view when it has one (its trigger
 * eventfd only reports edges), else what the device last told us. */
static bool still_asserted(struct nx_gate_line *l)
{
	if (l->src && l->src->is_asserted)
		l->asserted = l->src->is_asserted(l->src->opaque);
	return l->asserted;
}

static void report(struct nx_gate *g, struct nx_gate_line *l, const char *what)
{
	if (g->ops.report)
		g->ops.report(g->ops.opaque, l, what);
}

/* May the line's interrupt go to the guest now? Rules 2, 3, 4. */
static bool can_deliver(const struct nx_gate_line *l)
{
	return !l->gone && !l->guest_masked && !l->backoff && !l->in_service;
}

/* Charges one interrupt to the line's storm budget; past it the line is
 * held masked at the host for the back-off (rule 4): true. */
static bool storm_held(struct nx_gate *g, struct nx_gate_line *l, uint64_t now)
{
	if (!nx_storm_charge(&l->storm, now))
		return false;
	host_mask(l);
	l->backoff = true;
	l->storms++;
	report(g, l, "interrupt storm: line held masked for the back-off");
	if (g->ops.arm_backoff)
		g->ops.arm_backoff(g->ops.opaque, l, l->storm.until_ns);
	return true;
}

/*
 * Sends the line's interrupt. Called with the source masked at the host
 * (rule 1) when the line is level-triggered. Charges the storm budget first.
 */
static bool deliver(struct nx_gate *g, struct nx_gate_line *l, uint64_t now)
{
	if (!can_deliver(l) || storm_held(g, l, now))
		return false;
	if (!g->ops.deliver(g->ops.opaque, l))
		return false;
	l->delivered++;
	g->delivered_total++;
	if (l->level) {
		/* Remote IRR: no further delivery until the guest's EOI. */
		l->in_service = true;
		l->service_vector = l->vector;
		l->deliver_ns = now;
	} else {
		/* Edge: the guest sends no EOI the IOAPIC sees; the edge is
		 * consumed, so the source may fire again (storm control bounds
		 * a level source the guest wrongly set to edge). */
		if (l->src)
			l->asserted = false;
		host_unmask(l);
	}
	return true;
}

/* The line may run again (EOI, guest unmask, back-off over): deliver once
 * more if it is still asserted (level), else open the source again. A kfire
 * line is only opened: its source fires again by itself if it still asserts,
 * masks itself, and KVM delivers that once (rule 1 without a level read). */
static void resume(struct nx_gate *g, struct nx_gate_line *l, uint64_t now)
{
	if (l->gone || l->guest_masked || l->backoff || l->in_service)
		return;		/* stays masked at the host (rules 1, 3, 4) */
	if (l->kfire) {
		host_unmask(l);
		return;
	}
	if (l->level && still_asserted(l)) {
		host_mask(l);
		deliver(g, l, now);
		return;
	}
	host_unmask(l);
}

void nx_gate_init(struct nx_gate *g, unsigned nlines, const struct nx_gate_ops *ops)
{
	memset(g, 0, sizeof(*g));
	g->nlines = nlines > NX_GATE_MAX_LINES ? NX_GATE_MAX_LINES : nlines;
	g->ops = *ops;
	for (unsigned i = 0; i < g->nlines; i++) {
		struct nx_gate_line *l = &g->lines[i];

		l->gsi = i;
		l->guest_masked = true;		/* IOAPIC reset state: all masked */
		nx_storm_defaults(&l->storm.cfg);
	}
}

void nx_gate_set_storm(struct nx_gate *g, unsigned gsi, const struct nx_storm_cfg *cfg)
{
	struct nx_gate_line *l = line(g, gsi);

	if (l)
		l->storm.cfg = *cfg;
}

int nx_gate_attach(struct nx_gate *g, unsigned gsi, struct nx_irq_source *src, uint64_t now)
{
	struct nx_gate_line *l = line(g, gsi);

	if (!l)
		return nx_error("interrupt line %u: no such IOAPIC pin (0-%u)", gsi, g->nlines - 1);
	if (l->src)
		return nx_error("interrupt line %u: already has source '%s'", gsi, l->src_name);
	l->src = src;
	l->gone = false;
	l->asserted = false;
	snprintf(l->src_name, sizeof(l->src_name), "%s", src->name ? src->name : "source");
	/* Rule 3: masked at the host until the guest unmasks its RTE. The
	 * mask op runs even if we think it is masked: the source's own state
	 * is unknown until now. */
	l->host_masked = false;
	host_mask(l);
	resume(g, l, now);
	return 0;
}

void nx_gate_detach(struct nx_gate *g, unsigned gsi)
{
	struct nx_gate_line *l = line(g, gsi);

	if (!l || !l->src)
		return;
	/* The backend died: mask what we can, forget the source (its owner
	 * frees it), keep the line listed as gone. */
	host_mask(l);
	l->src = NULL;
	l->gone = true;
	l->asserted = false;
	l->in_service = false;
	l->backoff = false;
	report(g, l, "interrupt source gone: line masked");
}

void nx_gate_set_line(struct nx_gate *g, unsigned gsi, bool level, uint64_t now)
{
	struct nx_gate_line *l = line(g, gsi);
	bool rising;

	if (!l || l->gone)
		return;
	rising = level && (!l->asserted || l->src);	/* a trigger is an edge */
	l->asserted = level;
	if (!level)
		return;
	/* Rule 1: the source is masked before the guest hears of it. */
	if (l->level)
		host_mask(l);
	if (!l->level && !rising)
		return;		/* edge-triggered: only a rising edge counts */
	if (!l->level)
		host_mask(l);
	if (!deliver(g, l, now) && !l->level && !l->backoff && !l->guest_masked && !l->in_service)
		host_unmask(l);	/* edge refused by KVM: let the source retry */
}

void nx_gate_rte(struct nx_gate *g, unsigned gsi, bool masked, bool level,
		 uint8_t vector, uint64_t now)
{
	struct nx_gate_line *l = line(g, gsi);
	bool was_masked;

	if (!l)
		return;
	was_masked = l->guest_masked;
	l->guest_masked = masked;
	l->vector = vector;
	if (l->level && !level)
		l->in_service = false;	/* edge has no remote IRR */
	l->level = level;
	if (masked) {
		host_mask(l);		/* rule 3: follow the guest's mask */
		return;
	}
	if (was_masked)
		resume(g, l, now);	/* rule 3: the guest is ready now */
}

static void complete(struct nx_gate *g, struct nx_gate_line *l, uint64_t now)
{
	uint64_t wait = now > l->deliver_ns ? now - l->deliver_ns : 0;
	unsigned b = 0;

	while (b + 1 < NX_EOI_HIST_BUCKETS && wait >> (b + 1))
		b++;
	l->eoi_hist[b]++;
	l->eois++;
	l->in_service = false;
	resume(g, l, now);	/* rule 1: unmask, or deliver again once */
}

bool nx_gate_eoi_matches(const struct nx_gate_line *l, unsigned vector)
{
	if (l->in_service)
		return l->service_vector == vector;
	/* In a back-off the source is held masked: it cannot have fired. */
	return l->kfire && l->src && l->level && !l->backoff && l->vector == vector;
}

/*
 * The EOI of an interrupt KVM delivered for a kfire line: its source masked
 * itself when it fired (rule 1), so the gate accounts the delivery now,
 * charges the storm budget (rule 4: past it the line stays masked for the
 * back-off) and opens the source again (resume).
 */
static void kfire_eoi(struct nx_gate *g, struct nx_gate_line *l, uint64_t now)
{
	l->delivered++;
	l->delivered_by_kvm++;
	g->delivered_total++;
	l->eois++;
	l->host_masked = true;		/* the source's own mask on fire */
	l->masked_at_host++;
	if (!storm_held(g, l, now))
		resume(g, l, now);
}

int nx_gate_eoi(struct nx_gate *g, unsigned vector, uint64_t now)
{
	int n = 0;

	/* An EOI broadcast clears remote IRR of every RTE with that vector
	 * (82093AA); match on the vector the interrupt was sent with. */
	for (unsigned i = 0; i < g->nlines; i++) {
		struct nx_gate_line *l = &g->lines[i];

		if (!nx_gate_eoi_matches(l, vector))
			continue;
		if (l->in_service)
			complete(g, l, now);
		else
			kfire_eoi(g, l, now);
		n++;
	}
	return n;
}

void nx_gate_set_kfire(struct nx_gate *g, unsigned gsi, bool on, uint64_t now)
{
	struct nx_gate_line *l = line(g, gsi);

	if (!l || l->kfire == (on && l->src))
		return;
	if (on) {
		l->kfire = true;
		return;
	}
	/* Back to the gate's own delivery: a fire KVM took may have left the
	 * source masked with no EOI to come for it, so mask it for certain
	 * and re-evaluate the line (deliver if it still asserts, else open). */
	l->kfire = false;
	l->host_masked = false;
	host_mask(l);
	resume(g, l, now);
}

bool nx_gate_line_eoi(struct nx_gate *g, unsigned gsi, uint64_t now)
{
	struct nx_gate_line *l = line(g, gsi);

	if (!l || !l->in_service)
		return false;
	complete(g, l, now);
	return true;
}

bool nx_gate_withdraw(struct nx_gate *g, unsigned gsi)
{
	struct nx_gate_line *l = line(g, gsi);

	if (!l || !l->in_service)
		return false;
	/* As before the delivery: the source stays masked at the host and
	 * resume() reads its level again when the line may run (rule 3). */
	l->in_service = false;
	l->delivered--;
	g->delivered_total--;
	l->withdrawn++;
	return true;
}

void nx_gate_backoff_expired(struct nx_gate *g, unsigned gsi, uint64_t now)
{
	struct nx_gate_line *l = line(g, gsi);

	if (!l || !l->backoff || now < l->storm.until_ns)
		return;		/* stale timer (reset, or re-armed later) */
	l->backoff = false;
	nx_storm_end(&l->storm, now);
	resume(g, l, now);
}

void nx_gate_resume(struct nx_gate *g, unsigned gsi, uint64_t now)
{
	struct nx_gate_line *l = line(g, gsi);

	if (l)
		resume(g, l, now);
}

void nx_gate_reset(struct nx_gate *g)
{
	for (unsigned i = 0; i < g->nlines; i++) {
		struct nx_gate_line *l = &g->lines[i];

		host_mask(l);
		if (l->asserted || l->in_service)
			l->dropped++;
		l->asserted = false;
		l->in_service = false;
		l->backoff = false;
		l->storm.until_ns = 0;
		l->storm.win_count = 0;
		l->guest_masked = true;	/* the IOAPIC comes out of reset masked */
	}
}

bool nx_gate_line_used(const struct nx_gate_line *l)
{
	return l->src || l->gone || l->delivered || l->storms || l->asserted;
}

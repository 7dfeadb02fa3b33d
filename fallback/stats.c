/* SPDX-License-Identifier: MIT */
/*
 * stats.c - the fallback path's counters as JSON, the same keys on every
 * arch (x86 IOAPIC pins, arm64 vGIC SPIs): one object per used line
 * appended to "irq":{"lines":[...]} (shared with the exitless path, whose
 * hook appends its own), and a controller summary under "irq":{"fallback"}.
 */
#include <json-c/json.h>
#include "fallback/fallback.h"

static json_object *u64(uint64_t v)
{
	return json_object_new_int64((int64_t)v);
}

/* Log2 histogram of EOI waits: only the buckets that have counts. */
static json_object *hist_json(const struct nx_gate_line *l)
{
	json_object *a = json_object_new_array();

	for (unsigned b = 0; b < NX_EOI_HIST_BUCKETS; b++) {
		json_object *o;

		if (!l->eoi_hist[b])
			continue;
		o = json_object_new_object();
		json_object_object_add(o, "ge_ns", u64(b ? 1ULL << b : 0));
		json_object_object_add(o, "lt_ns", u64(1ULL << (b + 1)));
		json_object_object_add(o, "count", u64(l->eoi_hist[b]));
		json_object_array_add(a, o);
	}
	return a;
}

static json_object *line_json(struct nx_fallback *fb, unsigned gsi)
{
	const struct nx_gate_line *l = &fb->gate.lines[gsi];
	const struct nx_fallback_pin *p = &fb->pins[gsi];
	json_object *o = json_object_new_object();
	char id[48];

	snprintf(id, sizeof(id), "%s", l->src_name[0] ? l->src_name : "");
	if (!id[0])
		snprintf(id, sizeof(id), "%s%u", fb->pin_name, gsi);
	json_object_object_add(o, "id", json_object_new_string(id));
	json_object_object_add(o, "gsi", json_object_new_int((int)gsi));
	json_object_object_add(o, "path", json_object_new_string("fallback"));
	json_object_object_add(o, "irqchip", json_object_new_string(fb->irqchip));
	json_object_object_add(o, "mode", json_object_new_string(
		p->direct ? "direct-resample" : p->kfire ? "gated-irqfd" : l->src ? "gated" : l->gone ? "source-gone" : "line"));
	json_object_object_add(o, "source", l->src_name[0] ? json_object_new_string(l->src_name) : NULL);
	json_object_object_add(o, "source_gone", json_object_new_boolean(l->gone));
	json_object_object_add(o, "trigger", json_object_new_string(l->level ? "level" : "edge"));
	json_object_object_add(o, "vector", json_object_new_int(l->vector));
	json_object_object_add(o, "guest_masked", json_object_new_boolean(l->guest_masked));
	json_object_object_add(o, "host_masked", json_object_new_boolean(l->host_masked));
	json_object_object_add(o, "in_service", json_object_new_boolean(l->in_service));
	json_object_object_add(o, "in_backoff", json_object_new_boolean(l->backoff));
	json_object_object_add(o, "delivered", u64(l->delivered));
	json_object_object_add(o, "delivered_by_kvm", u64(l->delivered_by_kvm));
	json_object_object_add(o, "eois", u64(l->eois));
	json_object_object_add(o, "masked_at_host", u64(l->masked_at_host));
	json_object_object_add(o, "storms", u64(l->storms));
	json_object_object_add(o, "storm_budget", u64(l->storm.cfg.budget));
	json_object_object_add(o, "storm_window_ms", u64(l->storm.cfg.window_ms));
	json_object_object_add(o, "storm_backoff_ms", u64(l->storm.cfg.backoff_ms));
	json_object_object_add(o, "dropped_at_reset", u64(l->dropped));
	json_object_object_add(o, "withdrawn", u64(l->withdrawn));
	json_object_object_add(o, "vmm_exits", u64(l->vmm_exits));
	json_object_object_add(o, "vmm_exits_per_irq", json_object_new_double(
		l->delivered ? (double)l->vmm_exits / (double)l->delivered : 0.0));
	json_object_object_add(o, "setup_exits", u64(p->setup_exits));
	json_object_object_add(o, "eoi_wait", hist_json(l));
	return o;
}

void nx_fallback_stats_hook(void *opaque, void *json_root)
{
	struct nx_fallback *fb = opaque;
	json_object *lines, *irq = nx_stats_irq(json_root, &lines);
	json_object *s = json_object_new_object();

	pthread_mutex_lock(&fb->lock);
	for (unsigned i = 0; i < fb->gate.nlines; i++)
		if (nx_gate_line_used(&fb->gate.lines[i]) || fb->pins[i].direct)
			json_object_array_add(lines, line_json(fb, i));
	json_object_object_add(s, "irqchip", json_object_new_string(fb->irqchip));
	json_object_object_add(s, "delivered", u64(atomic_load(&fb->delivered)));
	json_object_object_add(s, "eoi_exits", u64(fb->eoi_exits));
	json_object_object_add(s, "eoi_unmatched", u64(fb->eoi_unmatched));
	json_object_object_add(s, "ioapic_mmio_exits", u64(fb->mmio_exits));
	json_object_object_add(s, "pic_io_exits", u64(fb->pic_exits));
	json_object_object_add(s, "pic_injected", u64(fb->pic_injected));
	json_object_object_add(s, "deliver_errors", u64(fb->deliver_errors));
	json_object_object_add(s, "kvm_irq_line_calls", u64(fb->line_sets));
	json_object_object_add(s, "refused_rte_masked", u64(fb->refused_masked));
	json_object_object_add(s, "lost_eois", u64(fb->lost_eois));
	json_object_object_add(s, "withdrawn", u64(fb->withdrawn));
	pthread_mutex_unlock(&fb->lock);
	json_object_object_add(irq, "fallback", s);
}

/* SPDX-License-Identifier: MIT */
/*
 * stats.c - the fallback path's counters as JSON, the same keys on every
 * arch (x86 IOAPIC pins, arm64 vGIC SPIs): one object per used line
 * appended to "irq":{"lines":[...]} (shared with the exitless path, whose
 * hook appends its own), and a controller summary under "irq":{"fallback"}.
 */
#include <json-c/json.h>
#include "fallback/fallback.h"

/* Log2 histogram of EOI waits: only the buckets that have counts. */
static json_object *hist_json(const struct nx_gate_line *l)
{
	json_object *a = json_object_new_array();

	for (unsigned b = 0; b < NX_EOI_HIST_BUCKETS; b++) {
		json_object *o;

		if (!l->eoi_hist[b])
			continue;
		o = json_object_new_object();
		nx_json_u64(o, "ge_ns", b ? 1ULL << b : 0);
		nx_json_u64(o, "lt_ns", 1ULL << (b + 1));
		nx_json_u64(o, "count", l->eoi_hist[b]);
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
	nx_json_u64(o, "delivered", l->delivered);
	nx_json_u64(o, "delivered_by_kvm", l->delivered_by_kvm);
	nx_json_u64(o, "eois", l->eois);
	nx_json_u64(o, "masked_at_host", l->masked_at_host);
	nx_json_u64(o, "storms", l->storms);
	nx_json_u64(o, "storm_budget", l->storm.cfg.budget);
	nx_json_u64(o, "storm_window_ms", l->storm.cfg.window_ms);
	nx_json_u64(o, "storm_backoff_ms", l->storm.cfg.backoff_ms);
	nx_json_u64(o, "dropped_at_reset", l->dropped);
	nx_json_u64(o, "withdrawn", l->withdrawn);
	nx_json_u64(o, "vmm_exits", l->vmm_exits);
	json_object_object_add(o, "vmm_exits_per_irq", json_object_new_double(
		l->delivered ? (double)l->vmm_exits / (double)l->delivered : 0.0));
	nx_json_u64(o, "setup_exits", p->setup_exits);
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
	nx_json_u64(s, "delivered", atomic_load(&fb->delivered));
	nx_json_u64(s, "eoi_exits", fb->eoi_exits);
	nx_json_u64(s, "eoi_unmatched", fb->eoi_unmatched);
	nx_json_u64(s, "ioapic_mmio_exits", fb->mmio_exits);
	nx_json_u64(s, "pic_io_exits", fb->pic_exits);
	nx_json_u64(s, "pic_injected", fb->pic_injected);
	nx_json_u64(s, "deliver_errors", fb->deliver_errors);
	nx_json_u64(s, "kvm_irq_line_calls", fb->line_sets);
	nx_json_u64(s, "refused_rte_masked", fb->refused_masked);
	nx_json_u64(s, "lost_eois", fb->lost_eois);
	nx_json_u64(s, "withdrawn", fb->withdrawn);
	pthread_mutex_unlock(&fb->lock);
	json_object_object_add(irq, "fallback", s);
}

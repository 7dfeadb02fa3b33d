/* SPDX-License-Identifier: MIT */
/*
 * stats.c - the exitless lines in the stats JSON, under "irq":{"lines":[]}
 * next to the fallback controller's lines (whichever hook runs first
 * creates the object and the array; the other appends).
 */
#include <json-c/json.h>
#include "passthrough/passthrough.h"

struct json_object *nx_pt_irq_lines(struct json_object *root)
{
	struct json_object *irq, *lines;

	if (!json_object_object_get_ex(root, "irq", &irq) || !json_object_is_type(irq, json_type_object)) {
		irq = json_object_new_object();
		json_object_object_add(root, "irq", irq);
	}
	if (!json_object_object_get_ex(irq, "lines", &lines) ||
	    !json_object_is_type(lines, json_type_array)) {
		lines = json_object_new_array();
		json_object_object_add(irq, "lines", lines);
	}
	return lines;
}

struct json_object *nx_pt_line_json(const char *id, struct nx_msi_vec *v, int64_t vmm_exits,
				    int64_t delivered)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "id", json_object_new_string(id));
	json_object_object_add(o, "path", json_object_new_string("exitless"));
	json_object_object_add(o, "gsi", json_object_new_int(v->gsi));
	json_object_object_add(o, "vector", v->routed ?
			       json_object_new_int((int)nx_msi_vector(v->msg.data)) : NULL);
	json_object_object_add(o, "dest_apic", v->routed ?
			       json_object_new_int((int)nx_msi_dest(v->msg.addr)) : NULL);
	json_object_object_add(o, "state", json_object_new_string(nx_msivec_state_name(v->state)));
	json_object_object_add(o, "source_gone", json_object_new_boolean(v->state == NX_MSIVEC_GONE));
	/* Interrupts on this path never reach nexit: delivered is what the
	 * backend reports raising (guest doorbells are counted by the guest). */
	json_object_object_add(o, "delivered", delivered >= 0 ? json_object_new_int64(delivered) : NULL);
	json_object_object_add(o, "masked_at_host", json_object_new_int64((int64_t)v->masks));
	json_object_object_add(o, "route_updates", json_object_new_int64((int64_t)v->route_updates));
	/* -1: nexit does not see this line's interrupts (VFIO, vhost-user), so
	 * it has no exit count to give: null, not a claimed 0. */
	json_object_object_add(o, "vmm_exits", vmm_exits >= 0 ? json_object_new_int64(vmm_exits) : NULL);
	json_object_object_add(o, "pending", json_object_new_boolean(nx_msivec_pending(v)));
	if (v->guard)
		nx_guard_json(v->guard, o);
	return o;
}

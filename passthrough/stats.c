/* SPDX-License-Identifier: MIT */
/*
 * stats.c - an exitless line in the stats JSON: the object each device
 * appends to "irq":{"lines":[]} (nx_stats_irq), next to the fallback
 * controller's lines.
 */
#include <json-c/json.h>
#include "passthrough/passthrough.h"
#include "core/arch.h"

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
	json_object_object_add(o, "state", json_object_new_string(nx_msi_vec_state_name(v->state)));
	json_object_object_add(o, "source_gone", json_object_new_boolean(v->state == NX_MSI_VEC_GONE));
	/* Interrupts on this path never reach nexit: delivered is what the
	 * backend reports raising (guest doorbells are counted by the guest). */
	json_object_object_add(o, "delivered", delivered >= 0 ? json_object_new_int64(delivered) : NULL);
	nx_json_u64(o, "masked_at_host", v->masks);
	nx_json_u64(o, "route_updates", v->route_updates);
	/* -1: nexit does not see this line's interrupts (VFIO, vhost-user), so
	 * it has no exit count to give: null, not a claimed 0. */
	json_object_object_add(o, "vmm_exits", vmm_exits >= 0 ? json_object_new_int64(vmm_exits) : NULL);
	json_object_object_add(o, "pending", json_object_new_boolean(nx_msi_vec_pending(v)));
	if (v->guard)
		nx_guard_json(v->guard, o);
	return o;
}

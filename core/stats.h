/* SPDX-License-Identifier: MIT */
/*
 * stats.h - exit counters, the stats JSON and its hooks, KVM's binary
 * stats (core/stats.c), and the counter page the guest reads them from.
 */
#ifndef NEXIT_CORE_STATS_H
#define NEXIT_CORE_STATS_H

#include <stdint.h>
#include "abi/guest_abi.h"

#define NX_EXIT_REASONS 64
struct nx_stats {
	_Atomic uint64_t exits_total;			/* KVM_RUN returns to userspace */
	_Atomic uint64_t exits_by_reason[NX_EXIT_REASONS];
	uint64_t start_ns;				/* nx_vm_create */
	uint64_t vcpus_ns;				/* the vCPU threads started */
	_Atomic uint64_t first_output_ns;		/* 0 until the first serial byte */
	_Atomic uint64_t msi_relayed;			/* exitless-vector MSIs nexit relayed (storm guard) */
	uint64_t end_ns;
};
const char *nx_exit_reason_name(unsigned reason);

/* Stats hooks: subsystems add their per-line counters to the stats JSON. */
typedef void (*nx_stats_hook)(void *opaque, void *json_obj /* struct json_object * */);
#define NX_MAX_STATS_HOOKS 8

struct nx_vm;
/* The counter page (the guest reads these stats there): NX_CP_* in abi/guest_abi.h.
 * The 64-bit value of the register at reg that both arches have, 0 if none. */
uint64_t nx_counter_page_reg(struct nx_vm *vm, uint64_t reg);
/* Register a userspace exit in the counters (called by the run loop). */
void nx_stats_count_exit(struct nx_vm *vm, unsigned reason);
/* The stats file is opened at set-up (before the sandbox), written at exit. */
int  nx_stats_open_json(const char *path);
int  nx_stats_write_json(struct nx_vm *vm, int fd, const char *path);
int  nx_stats_add_hook(struct nx_vm *vm, nx_stats_hook fn, void *opaque);
struct json_object;
struct json_object *nx_stats_json(struct nx_vm *vm);	/* caller puts it */
/* root."irq" and its "lines" array, made by whichever hook asks first: both
 * interrupt paths append their line objects there. */
struct json_object *nx_stats_irq(struct json_object *root, struct json_object **lines);
/* o.key = v, a counter (json-c's int64). */
void nx_json_u64(struct json_object *o, const char *key, uint64_t v);
/* KVM binary stats (KVM_GET_STATS_FD): a named counter summed over vCPUs. */
int  nx_kvm_vcpu_stat_sum(struct nx_vm *vm, const char *name, uint64_t *sum);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * bus.h - the PIO and MMIO buses exits are dispatched on (core/bus.c).
 */
#ifndef NEXIT_CORE_BUS_H
#define NEXIT_CORE_BUS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct nx_vcpu;
struct kvm_coalesced_mmio_ring;
/* addr is the offset inside the registered range; data is little-endian,
 * len 1/2/4/8; a read fills data. */
typedef void (*nx_io_fn)(void *opaque, uint64_t addr, uint8_t *data,
			 uint32_t len, bool is_write, struct nx_vcpu *vcpu);

struct nx_bus_range {
	uint64_t base, len;
	nx_io_fn fn;
	void *opaque;
	const char *name;
};

#define NX_BUS_MAX 64
struct nx_bus {
	struct nx_bus_range r[NX_BUS_MAX];
	int n;
	pthread_rwlock_t lock;	/* ranges may move (BAR remap) while vCPUs run */
	struct kvm_coalesced_mmio_ring *ring;	/* KVM's queued writes (one page), or NULL */
	uint32_t ring_max;			/* entries in the page */
	pthread_mutex_t ring_lock;		/* one consumer at a time */
};

void nx_bus_init(struct nx_bus *b);
int  nx_bus_register(struct nx_bus *b, uint64_t base, uint64_t len,
		     nx_io_fn fn, void *opaque, const char *name);
int  nx_bus_unregister(struct nx_bus *b, uint64_t base);
/* Returns false if nothing is mapped there (reads then return all-ones). */
bool nx_bus_access(struct nx_bus *b, uint64_t addr, uint8_t *data, uint32_t len,
		   bool is_write, struct nx_vcpu *vcpu);
/* Writes to [base, base + len) queue in the ring, in order, instead of
 * exiting (KVM_REGISTER_COALESCED_MMIO). Every vCPU exit flushes first:
 * each queued write goes to its range with vcpu NULL; other readers of
 * what they change flush before taking their locks. */
int  nx_bus_coalesce(struct nx_bus *b, int vm_fd, uint64_t base, uint32_t len, bool on);
void nx_bus_flush(struct nx_bus *b);

#endif

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
};

void nx_bus_init(struct nx_bus *b);
int  nx_bus_register(struct nx_bus *b, uint64_t base, uint64_t len,
		     nx_io_fn fn, void *opaque, const char *name);
int  nx_bus_unregister(struct nx_bus *b, uint64_t base);
/* Returns false if nothing is mapped there (reads then return all-ones). */
bool nx_bus_access(struct nx_bus *b, uint64_t addr, uint8_t *data, uint32_t len,
		   bool is_write, struct nx_vcpu *vcpu);

#endif

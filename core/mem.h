/* SPDX-License-Identifier: MIT */
/*
 * mem.h - guest RAM and its KVM memory slots (core/mem.c); where RAM lies
 * in guest physical space is the arch's (nx_arch_mem_layout).
 */
#ifndef NEXIT_CORE_MEM_H
#define NEXIT_CORE_MEM_H

#include <stdbool.h>
#include <stdint.h>

struct nx_mem_region {
	uint64_t gpa;
	uint64_t size;
	uint8_t *hva;
	uint32_t slot;
};

#define NX_MEM_SLOTS		256	/* KVM memory slots nexit hands out */
struct nx_mem {
	int memfd;
	uint8_t *base;		/* whole memfd mapping              */
	uint64_t size;		/* total RAM                         */
	struct nx_mem_region regions[2];
	int nregions;
	uint64_t slot_used[NX_MEM_SLOTS / 64];	/* device memslots (nx_mem_slot_alloc) */
};

/* A sealed memfd other processes can map (hugepages: hugetlbfs pages). */
int   nx_mem_init(struct nx_mem *m, uint64_t size, bool hugepages);
/* Private anonymous memory in transparent huge pages; memfd -1. */
int   nx_mem_init_private(struct nx_mem *m, uint64_t size);
void  nx_mem_destroy(struct nx_mem *m);
/* Host pointer for [gpa, gpa+len) if it lies entirely in RAM, else NULL. */
void *nx_gpa(const struct nx_mem *m, uint64_t gpa, uint64_t len);
/* A KVM memory slot no RAM region and no other device holds (a BAR mapped
 * into the guest), -1 when all NX_MEM_SLOTS are taken; free gives it back. */
int   nx_mem_slot_alloc(struct nx_mem *m);
void  nx_mem_slot_free(struct nx_mem *m, int slot);

#endif

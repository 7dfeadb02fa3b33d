/* SPDX-License-Identifier: MIT */
/*
 * memmap.c - the arm64 guest physical memory map: all RAM in one memory
 * slot at NX_A64_RAM (0x40000000; below it the MMIO devices and the PCI
 * windows). The device tree's /memory node describes it to the guest.
 */
#include "core/arm64/arm64.h"
#include "core/arch.h"

void nx_arch_mem_layout(struct nx_mem *m)
{
	m->regions[0] = (struct nx_mem_region){ .gpa = NX_A64_RAM, .size = m->size,
						.hva = m->base, .slot = 0 };
	m->nregions = 1;
}

/* SPDX-License-Identifier: MIT */
/*
 * msi.c - an x86 MSI's destination and vector (arch hooks of core/arch.h):
 * the address carries the destination APIC ID in bits 19:12, the data the
 * vector in bits 7:0 (Intel SDM vol. 3, 11.11.1 and 11.11.2).
 */
#include "core/arch.h"

uint32_t nx_msi_dest(uint64_t addr)
{
	return (addr >> 12) & 0xff;
}

uint32_t nx_msi_vector(uint32_t data)
{
	return data & 0xff;
}

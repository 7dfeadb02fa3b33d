/* SPDX-License-Identifier: MIT */
/*
 * msi.c - an arm64 MSI's destination and vector (arch hooks of core/arch.h).
 * The guest writes its EventID to the ITS's GITS_TRANSLATER: the data is
 * the EventID, which the ITS translates (with the device ID) to an LPI; the
 * target CPU is the collection the guest mapped with MAPTI/MAPC, not part
 * of the message (GICv3 architecture spec, 5.3).
 */
#include "core/arch.h"

uint32_t nx_msi_dest(uint64_t addr)
{
	return UINT32_MAX;	/* no destination in the message */
}

uint32_t nx_msi_vector(uint32_t data)
{
	return data;		/* the EventID */
}

/* SPDX-License-Identifier: MIT */
/*
 * counters.c - nexit's counter page (core.h NX_COUNTER_PAGE): magic at 0x00,
 * VMM exits so far at 0x08 (the read itself is one exit, not counted),
 * fallback deliveries at 0x10, MSIs of exitless vectors nexit relayed while
 * its storm guard had them gated at 0x18. Under
 * other VMMs the address is something else (QEMU: HPET) or unmapped.
 */
#include "probe.h"

bool counters_present(void)
{
	return mmio_read32(NX_COUNTER_PAGE + NX_CP_MAGIC) == NX_COUNTER_MAGIC;
}

u64 counters_exits(void)
{
	return mmio_read64(NX_COUNTER_PAGE + NX_CP_EXITS);
}

u64 counters_relayed(void)
{
	return mmio_read64(NX_COUNTER_PAGE + NX_CP_RELAYED);
}

/* SPDX-License-Identifier: MIT */
/*
 * counters.c - nexit's counter page at ARCH_COUNTER_PAGE (layout NX_CP_*,
 * abi/guest_abi.h). Each read is itself one VMM exit: VMM exits so far
 * leave the read itself out, so a window's exits are end - start - 1.
 * Under other VMMs the address is something else (QEMU x86: the HPET) or
 * unbacked, and the magic does not match.
 */
#include "common.h"
#include "arch.h"

bool counters_present(void)
{
	return mmio_read32(ARCH_COUNTER_PAGE + NX_CP_MAGIC) == NX_COUNTER_MAGIC;
}

u64 counters_read(unsigned off)
{
	return mmio_read64(ARCH_COUNTER_PAGE + off);
}

u64 counters_exits(void)
{
	return counters_read(NX_CP_EXITS);
}

u64 counters_relayed(void)
{
	return counters_read(NX_CP_RELAYED);
}

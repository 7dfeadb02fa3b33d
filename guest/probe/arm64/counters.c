/* SPDX-License-Identifier: MIT */
/*
 * counters.c - nexit's arm64 counter page (core/arm64/arm64.h): VMM exits,
 * fallback deliveries and KVM's per-vCPU exits; and leaving the guest
 * (PSCI SYSTEM_OFF for success, the debug-exit register otherwise).
 */
#include "probe.h"

/* Every read below is itself one exit (VMM and KVM). Between the exits
 * value of one call and the next call's, 4 of them happen (the first
 * call's reads 2-4 and the next call's read 1), and likewise for the KVM
 * value: callers subtract COUNTERS_OVERHEAD = 4. */
void counters_read(struct counters *c)
{
	c->ok = rd32(COUNTERS_BASE + NX_CP_MAGIC) == NX_COUNTER_MAGIC;
	c->exits = rd64(COUNTERS_BASE + NX_CP_EXITS);
	c->kvm_exits = rd64(COUNTERS_BASE + NX_CP_KVM_EXITS);
	c->fallback = rd64(COUNTERS_BASE + NX_CP_FALLBACK);
}

void probe_exit(int status)
{
	if (status == 0) {
		/* PSCI 0.2 SYSTEM_OFF (function ID 0x84000008) through HVC. */
		register u64 x0 __asm__("x0") = 0x84000008;
		__asm__ volatile("hvc #0" : "+r"(x0) :: "memory");
	}
	wr64(COUNTERS_BASE + NX_CP_DEBUG_EXIT, (u64)status);
	for (;;)
		__asm__ volatile("wfi");
}

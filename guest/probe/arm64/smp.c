/* SPDX-License-Identifier: MIT */
/*
 * smp.c - secondary CPUs through PSCI 0.2 CPU_ON (function 0xc4000003:
 * target MPIDR, entry point, context ID -> x0 at entry; DEN0022). A
 * secondary sets up its own GIC CPU interface and redistributor, enables
 * LPIs there and then spins with interrupts on, so the ISR can run on it.
 */
#include "probe.h"

#define STACK1 16384
static u8 stacks[4][STACK1] __attribute__((aligned(16)));
static volatile u32 up[4];
extern char secondary_entry[];

void secondary_main(void)
{
	unsigned cpu = this_cpu();

	gic_cpu_init(cpu);
	its_lpis_on(cpu);
	up[cpu] = 1;
	irq_on();
	for (;;)
		;
}

int cpu_on(unsigned cpu)
{
	register u64 x0 __asm__("x0") = 0xc4000003;
	register u64 x1 __asm__("x1") = cpu;
	register u64 x2 __asm__("x2") = (u64)secondary_entry;
	register u64 x3 __asm__("x3") = (u64)&stacks[cpu][STACK1];
	u64 t0 = now_ticks();

	if (cpu >= 4)
		return -1;
	__asm__ volatile("hvc #0" : "+r"(x0) : "r"(x1), "r"(x2), "r"(x3) : "memory");
	if (x0 != 0)
		return -1;
	while (!up[cpu])
		if (now_ticks() - t0 > ticks_hz() * 5)
			return -1;
	return 0;
}

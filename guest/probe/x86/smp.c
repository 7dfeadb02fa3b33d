/* SPDX-License-Identifier: MIT */
/*
 * smp.c - AP start-up with INIT-SIPI-SIPI (SDM Vol. 3 8.4.4.1, MP spec B.4)
 * through the real-mode trampoline in boot.S, one AP at a time; each AP
 * counts itself in once it runs C code in long mode, then idles in hlt and
 * runs work items (smp_run_on).
 */
#include "probe.h"

#define VEC_WAKE 0xf0
#define ICR_INIT	0x00004500	/* INIT, level assert */
#define ICR_SIPI	0x00004600	/* start-up, vector in bits 7:0 */

extern char ap_tramp_start[], ap_tramp_end[];
extern u64 ap_stack_top;
volatile u32 smp_started;

struct wait_args { volatile u32 *v; u32 target; u64 deadline; };

/* Ring 3: spins natively instead of in emulated ring 0. */
static u64 wait_u32(void *a)
{
	struct wait_args *w = a;
	while (*w->v < w->target)
		if (rdtsc() > w->deadline)
			return 0;
		else
			cpu_relax();
	return 1;
}

static bool wait_for(struct platform *p, volatile u32 *v, u32 target, u64 ms)
{
	struct wait_args w = { v, target, rdtsc() + tsc_ms_cycles(&p->tsc, ms) };
	return user_call(wait_u32, &w);
}

u32 smp_start(struct platform *p)
{
	u32 bsp = apic_id(), idx = 1;

	cpus[0].apic_id = bsp;
	smp_started = 1;
	memcpy(phys(AP_TRAMPOLINE), ap_tramp_start, ap_tramp_end - ap_tramp_start);
	for (u32 i = 0; i < p->fw.ncpus && idx < MAX_CPUS; i++) {
		u32 id = p->fw.apic_ids[i], target = smp_started + 1;
		if (id == bsp)
			continue;
		ap_stack_top = (u64)kstacks[idx] + (1 << KSTACK_SHIFT);
		cpus[idx].apic_id = id;
		apic_icr(id, ICR_INIT);
		apic_icr(id, ICR_SIPI | (AP_TRAMPOLINE >> 12));
		/* A second SIPI only if the first was lost (SDM: "INIT-SIPI-SIPI"). */
		if (!wait_for(p, &smp_started, target, 100)) {
			apic_icr(id, ICR_SIPI | (AP_TRAMPOLINE >> 12));
			if (!wait_for(p, &smp_started, target, 3000)) {
				printk("probe: AP apic id %u did not start\n", id);
				continue;
			}
		}
		idx++;
	}
	return smp_started;
}

void ap_main(void)
{
	unsigned i = this_cpu();
	struct cpu *c = &cpus[i];

	cpu_init(i);
	apic_init_cpu(apic_x2);
	c->apic_id = apic_id();
	__atomic_fetch_add(&smp_started, 1, __ATOMIC_SEQ_CST);
	for (;;) {
		void (*w)(void *) = c->work;
		if (w) {
			c->work = NULL;
			w(c->work_arg);
			WRITE_ONCE(c->work_done, 1);
			continue;
		}
		sti_hlt();	/* idle; device interrupts routed here run now */
		cli();
	}
}

static u64 k_ipi(u64 dest, u64 lo)
{
	apic_icr(dest, lo);
	return 0;
}

void smp_post(unsigned cpu, void (*fn)(void *), void *arg)
{
	struct cpu *c = &cpus[cpu];

	irq_setup(VEC_WAKE, 0, 0, 0);
	c->work_done = 0;
	c->work_arg = arg;
	barrier();
	c->work = fn;
	kcall(k_ipi, c->apic_id, VEC_WAKE);
}

void smp_wait(unsigned cpu)
{
	struct wait_args w = { &cpus[cpu].work_done, 1, rdtsc() + 30000ull * 1000 * 1000 * 3 };

	if (!user_call(wait_u32, &w))
		panic("CPU %u did not run its work item", cpu);
}

void smp_run_on(unsigned cpu, void (*fn)(void *), void *arg)
{
	if (cpu == this_cpu()) {
		fn(arg);
		return;
	}
	smp_post(cpu, fn, arg);
	smp_wait(cpu);
}

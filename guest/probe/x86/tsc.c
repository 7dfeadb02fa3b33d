/* SPDX-License-Identifier: MIT */
/*
 * tsc.c - TSC frequency, first source that answers:
 *   1. cmdline tsc_khz=N
 *   2. CPUID 0x15 (TSC/crystal ratio x crystal Hz, SDM "Time Stamp Counter")
 *   3. CPUID 0x40000010 (hypervisor timing leaf: EAX = TSC kHz)
 *   4. kvmclock (MSR_KVM_SYSTEM_TIME_NEW): the pvclock tsc_to_system_mul and
 *      tsc_shift define the TSC rate exactly
 *   5. PIT channel 2 gate (port 0x61) over 10 ms
 *   6. CPUID 0x16 base MHz
 * With none, nanosecond fields are reported as null.
 */
#include "probe.h"

#define MSR_KVM_SYSTEM_TIME_NEW 0x4b564d01
#define KVM_FEATURE_CLOCKSOURCE2 (1u << 3)

struct pvclock {
	u32 version, pad0;
	u64 tsc_timestamp, system_time;
	u32 mul;
	s8 shift;
	u8 flags, pad[2];
} __attribute__((packed));

static struct pvclock pvclock __attribute__((aligned(64)));

static u64 from_kvmclock(void)
{
	u32 r[4];
	u64 khz;

	cpuid(0x40000000, 0, r);
	if (r[1] != 0x4b4d564b || r[0] < 0x40000001)	/* "KVMKVMKVM" */
		return 0;
	cpuid(0x40000001, 0, r);
	if (!(r[0] & KVM_FEATURE_CLOCKSOURCE2))
		return 0;
	wrmsr(MSR_KVM_SYSTEM_TIME_NEW, (u64)&pvclock | 1);
	/* KVM fills the structure on its next guest entry; version is odd
	 * while an update is in progress (pvclock ABI). */
	for (u32 i = 0; i < 100000 && (!READ_ONCE(pvclock.version) || (READ_ONCE(pvclock.version) & 1)); i++)
		cpu_relax();
	if (!READ_ONCE(pvclock.mul)) {
		wrmsr(MSR_KVM_SYSTEM_TIME_NEW, 0);
		return 0;
	}
	/* ns = ((tsc << shift) * mul) >> 32  =>  kHz = 1e6 * 2^32 / (mul << shift) */
	khz = (1000000ULL << 32) / READ_ONCE(pvclock.mul);
	khz = pvclock.shift >= 0 ? khz >> pvclock.shift : khz << -pvclock.shift;
	wrmsr(MSR_KVM_SYSTEM_TIME_NEW, 0);
	return khz;
}

static u64 from_pit(void)
{
	u64 t0, t1;
	u32 n = 0;

	/* Channel 2, mode 0, count 11932 = 10 ms at 1.193182 MHz; OUT2 is
	 * port 0x61 bit 5 and rises at terminal count. */
	outb(0x61, (inb(0x61) & ~0x02) | 0x01);
	outb(0x43, 0xb0);
	outb(0x42, 11932 & 0xff);
	outb(0x42, 11932 >> 8);
	t0 = rdtsc();
	while (!(inb(0x61) & 0x20))
		if (++n > 2000000)
			return 0;
	t1 = rdtsc();
	if (n < 2)
		return 0;	/* no PIT: the port floats high */
	return (t1 - t0) / 10;
}

void tsc_init(struct tsc *t, const struct cmdline *c, struct platform *p)
{
	u32 r[4], max;

	t->khz = cmdline_u64(c, "tsc_khz", 0);
	t->source = "cmdline";
	if (t->khz)
		return;
	cpuid(0, 0, r);
	max = r[0];
	if (max >= 0x15) {
		cpuid(0x15, 0, r);
		if (r[0] && r[1] && r[2]) {
			t->khz = (u64)r[2] * r[1] / r[0] / 1000;
			t->source = "cpuid15";
			return;
		}
	}
	cpuid(0x40000000, 0, r);
	if (r[0] >= 0x40000010 && r[0] < 0x40000100) {
		cpuid(0x40000010, 0, r);
		if (r[0]) {
			t->khz = r[0];
			t->source = "cpuid40000010";
			return;
		}
	}
	if ((t->khz = from_kvmclock())) {
		t->source = "kvmclock";
		return;
	}
	if (!cmdline_get(c, "no_pit") && (t->khz = from_pit())) {
		t->source = "pit";
		return;
	}
	if (max >= 0x16) {
		cpuid(0x16, 0, r);
		if ((t->khz = (u64)(r[0] & 0xffff) * 1000)) {
			t->source = "cpuid16";
			return;
		}
	}
	t->source = "none";
}

u64 tsc_ns(const struct tsc *t, u64 cycles)
{
	return t->khz ? cycles * 1000000 / t->khz : 0;
}

u64 tsc_ms_cycles(const struct tsc *t, u64 ms)
{
	return ms * (t->khz ? t->khz : 3000000);
}

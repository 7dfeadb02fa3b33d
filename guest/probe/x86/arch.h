/* SPDX-License-Identifier: MIT */
/*
 * arch.h - x86_64 primitives, and what common/ code needs of an arch:
 * arch_ticks() (the TSC), cpu_relax(), mmio_read32/64, mmio_write32 and
 * ARCH_COUNTER_PAGE, ARCH_LAT_MAX_N, ARCH_INTX_N.
 */
#ifndef PROBE_X86_ARCH_H
#define PROBE_X86_ARCH_H

#include "../common/common.h"

#define ARCH_COUNTER_PAGE	NX_COUNTER_PAGE_X86	/* abi/guest_abi.h */
#define ARCH_LAT_MAX_N		100000	/* latency samples a run keeps */
#define ARCH_INTX_N		1000	/* intx-latency's default n */

static inline void outb(u16 p, u8 v) { __asm__ volatile("outb %0, %1" :: "a"(v), "Nd"(p)); }
static inline void outw(u16 p, u16 v) { __asm__ volatile("outw %0, %1" :: "a"(v), "Nd"(p)); }
static inline void outl(u16 p, u32 v) { __asm__ volatile("outl %0, %1" :: "a"(v), "Nd"(p)); }
static inline u8 inb(u16 p) { u8 v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(p)); return v; }
static inline u16 inw(u16 p) { u16 v; __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(p)); return v; }
static inline u32 inl(u16 p) { u32 v; __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(p)); return v; }
static inline u64 rdtsc(void)
{
	u32 lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((u64)hi << 32) | lo;
}
static inline u64 rdmsr(u32 msr)
{
	u32 lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((u64)hi << 32) | lo;
}
static inline void wrmsr(u32 msr, u64 v)
{
	__asm__ volatile("wrmsr" :: "c"(msr), "a"((u32)v), "d"((u32)(v >> 32)) : "memory");
}
static inline void cpuid(u32 leaf, u32 sub, u32 r[4])
{
	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
			 : "a"(leaf), "c"(sub));
}
static inline void cpu_relax(void) { __asm__ volatile("pause" ::: "memory"); }
static inline void cli(void) { __asm__ volatile("cli" ::: "memory"); }
static inline void sti(void) { __asm__ volatile("sti" ::: "memory"); }
/* sti's one-instruction interrupt shadow makes "sti; hlt" race-free (SDM STI). */
static inline void sti_hlt(void) { __asm__ volatile("sti; hlt" ::: "memory"); }
static inline void set_cr8(u64 v) { __asm__ volatile("mov %0, %%cr8" :: "r"(v) : "memory"); }
static inline unsigned cpl(void)
{
	u16 cs;
	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	return cs & 3;
}
/* A pointer to a fixed physical address (identity map), opaque to GCC's
 * array-bounds analysis of small constant addresses. */
static inline void *phys(u64 a) { __asm__("" : "+r"(a)); return (void *)a; }
static inline u32 mmio_read32(u64 a) { return *(volatile u32 *)a; }
static inline u64 mmio_read64(u64 a) { return *(volatile u64 *)a; }
static inline void mmio_write32(u64 a, u32 v) { *(volatile u32 *)a = v; }
static inline u64 arch_ticks(void) { return rdtsc(); }

#endif

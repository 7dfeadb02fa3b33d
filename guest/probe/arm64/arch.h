/* SPDX-License-Identifier: MIT */
/*
 * arch.h - AArch64 primitives, and what common/ code needs of an arch:
 * arch_ticks() (the virtual counter), cpu_relax(), mmio_read32/64,
 * mmio_write32, ARCH_COUNTER_PAGE, ARCH_LAT_MAX_N and ARCH_INTX_N.
 *
 * The MMU is off: every access is Device-nGnRnE, so MMIO goes through
 * single ldr/str (KVM needs a valid ISV syndrome, ESR_EL2.ISV, to emulate
 * it) and nothing may be unaligned (-mstrict-align).
 */
#ifndef PROBE_A64_ARCH_H
#define PROBE_A64_ARCH_H

#include "../common/common.h"

#define ARCH_COUNTER_PAGE	NX_COUNTER_PAGE_ARM64	/* abi/guest_abi.h */
#define ARCH_LAT_MAX_N		4096	/* latency samples a run keeps */
#define ARCH_INTX_N		200	/* intx-latency's default n (nested TCG is slow) */

static inline u32 rd32(u64 a) { u32 v; __asm__ volatile("ldr %w0, [%1]" : "=r"(v) : "r"(a) : "memory"); return v; }
static inline u64 rd64(u64 a) { u64 v; __asm__ volatile("ldr %0, [%1]" : "=r"(v) : "r"(a) : "memory"); return v; }
static inline u16 rd16(u64 a) { u16 v; __asm__ volatile("ldrh %w0, [%1]" : "=r"(v) : "r"(a) : "memory"); return v; }
static inline u8 rd8(u64 a) { u8 v; __asm__ volatile("ldrb %w0, [%1]" : "=r"(v) : "r"(a) : "memory"); return v; }
static inline void wr32(u64 a, u32 v) { __asm__ volatile("str %w0, [%1]" :: "r"(v), "r"(a) : "memory"); }
static inline void wr64(u64 a, u64 v) { __asm__ volatile("str %0, [%1]" :: "r"(v), "r"(a) : "memory"); }
static inline void wr16(u64 a, u16 v) { __asm__ volatile("strh %w0, [%1]" :: "r"(v), "r"(a) : "memory"); }
static inline void wr8(u64 a, u8 v) { __asm__ volatile("strb %w0, [%1]" :: "r"(v), "r"(a) : "memory"); }
static inline u32 mmio_read32(u64 a) { return rd32(a); }
static inline u64 mmio_read64(u64 a) { return rd64(a); }
static inline void mmio_write32(u64 a, u32 v) { wr32(a, v); }

#define sysreg_read(r) ({ u64 __v; __asm__ volatile("mrs %0, " #r : "=r"(__v) :: "memory"); __v; })
#define sysreg_write(r, v) __asm__ volatile("msr " #r ", %0" :: "r"((u64)(v)) : "memory")
static inline void isb(void) { __asm__ volatile("isb" ::: "memory"); }
static inline void dsb(void) { __asm__ volatile("dsb sy" ::: "memory"); }
static inline void irq_on(void) { __asm__ volatile("msr daifclr, #2" ::: "memory"); }
static inline void irq_off(void) { __asm__ volatile("msr daifset, #2" ::: "memory"); }
static inline void cpu_relax(void) { __asm__ volatile("yield" ::: "memory"); }
/* CNTVCT_EL0 after an isb, so the read is not taken early (ARM ARM D11.2.2). */
static inline u64 arch_ticks(void) { isb(); return sysreg_read(cntvct_el0); }
static inline u64 now_ticks(void) { return arch_ticks(); }
static inline u64 ticks_hz(void) { return sysreg_read(cntfrq_el0); }

#endif

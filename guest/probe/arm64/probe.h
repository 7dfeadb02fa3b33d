/* SPDX-License-Identifier: MIT */
/*
 * probe.h - the arm64 probe guest: a freestanding EL1 program (MMU off)
 * that drives the GICv3 (system-register CPU interface, distributor,
 * redistributor, ITS), PCI (ECAM) and QEMU's edu device, and prints one
 * PROBE line per scenario. Addresses follow nexit's arm64 layout (QEMU virt
 * compatible): core/arm64/arm64.h.
 */
#ifndef PROBE_A64_H
#define PROBE_A64_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "abi/guest_abi.h"

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;

#define UART_BASE	0x09000000UL
#define COUNTERS_BASE	NX_COUNTER_PAGE_ARM64
#define GICD_BASE	0x08000000UL
#define GICR_BASE	0x080a0000UL
#define ITS_BASE	0x08080000UL
#define GITS_TRANSLATER	(ITS_BASE + 0x10040)
#define ECAM_BASE	0x3f000000UL
#define LPI_BASE	8192		/* first LPI INTID (GICv3 2.2.1) */

/* MMIO through single ldr/str so KVM gets a valid ISV syndrome (ESR_EL2.ISV). */
static inline u32 rd32(u64 a) { u32 v; __asm__ volatile("ldr %w0, [%1]" : "=r"(v) : "r"(a) : "memory"); return v; }
static inline u64 rd64(u64 a) { u64 v; __asm__ volatile("ldr %0, [%1]" : "=r"(v) : "r"(a) : "memory"); return v; }
static inline u16 rd16(u64 a) { u16 v; __asm__ volatile("ldrh %w0, [%1]" : "=r"(v) : "r"(a) : "memory"); return v; }
static inline u8 rd8(u64 a) { u8 v; __asm__ volatile("ldrb %w0, [%1]" : "=r"(v) : "r"(a) : "memory"); return v; }
static inline void wr32(u64 a, u32 v) { __asm__ volatile("str %w0, [%1]" :: "r"(v), "r"(a) : "memory"); }
static inline void wr64(u64 a, u64 v) { __asm__ volatile("str %0, [%1]" :: "r"(v), "r"(a) : "memory"); }
static inline void wr16(u64 a, u16 v) { __asm__ volatile("strh %w0, [%1]" :: "r"(v), "r"(a) : "memory"); }
static inline void wr8(u64 a, u8 v) { __asm__ volatile("strb %w0, [%1]" :: "r"(v), "r"(a) : "memory"); }

#define sysreg_read(r) ({ u64 __v; __asm__ volatile("mrs %0, " #r : "=r"(__v) :: "memory"); __v; })
#define sysreg_write(r, v) __asm__ volatile("msr " #r ", %0" :: "r"((u64)(v)) : "memory")
static inline void isb(void) { __asm__ volatile("isb" ::: "memory"); }
static inline void dsb(void) { __asm__ volatile("dsb sy" ::: "memory"); }
static inline void irq_on(void) { __asm__ volatile("msr daifclr, #2" ::: "memory"); }
static inline void irq_off(void) { __asm__ volatile("msr daifset, #2" ::: "memory"); }
static inline u64 now_ticks(void) { isb(); return sysreg_read(cntvct_el0); }
static inline u64 ticks_hz(void) { return sysreg_read(cntfrq_el0); }

/* console.c */
void putc_(char c);
void puts_(const char *s);
void put_u64(u64 v);
void put_hex(u64 v);
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
size_t strlen(const char *s);
int strncmp(const char *a, const char *b, size_t n);

/* fdt.c / cmdline */
const char *fdt_bootargs(const void *fdt);
bool arg_str(const char *cmdline, const char *key, char *out, size_t n);
u64 arg_u64(const char *cmdline, const char *key, u64 def);

/* gic.c */
#define NR_TRACK	2048
struct irq_state {
	volatile u64 count[NR_TRACK];	/* per INTID; LPIs at LPI_BASE map to [1024 + n] */
	volatile u64 last_ticks;
	volatile u32 last_intid;
	volatile u64 total;
	volatile u32 last_cpu;		/* MPIDR_EL1.Aff0 of the CPU that took it */
	volatile u32 order[8];		/* first INTIDs taken, in order */
	volatile u32 norder;
	/* Called from the IRQ handler before EOI (e.g. to ack a level source). */
	void (*before_eoi)(u32 intid);
	volatile bool defer_eoi;	/* handler leaves the EOI to the scenario */
	volatile u32 deferred;		/* INTID waiting for its EOI, 0 if none */
};
extern struct irq_state irqs;
static inline unsigned irq_slot(u32 intid) { return intid >= LPI_BASE ? 1024 + (intid - LPI_BASE) % 1024 : intid % 1024; }
void gic_init(void);
void gic_cpu_init(unsigned cpu);	/* redistributor + CPU interface of this CPU */
static inline unsigned this_cpu(void) { return sysreg_read(mpidr_el1) & 0xff; }
void gic_spi_enable(u32 intid, u8 prio, bool level);
void gic_eoi(u32 intid);
int  its_init(void);
int  its_map(u32 devid, u32 event, u32 intid, u8 prio);
int  its_lpis_on(unsigned cpu);		/* LPIs on another CPU's redistributor */
int  its_mapc(u32 icid, unsigned cpu);
int  its_movi(u32 devid, u32 event, u32 icid);
void lpi_set_prio(u32 intid, u8 prio);	/* property table + INV */

/* smp.c */
int  cpu_on(unsigned cpu);		/* PSCI CPU_ON; waits until it is up */

/* pci.c + edu */
struct pci_dev { u32 devid; u64 cfg; u64 bar0; unsigned msi_cap; u8 pin; };
bool pci_find(u16 vendor, u16 device, struct pci_dev *d);
void pci_msi_enable(struct pci_dev *d, u64 addr, u32 data);
void pci_msi_disable(struct pci_dev *d);
/* The edu/irqdev registers: NX_IRQDEV_REG_* (abi/guest_abi.h). */

/* counters.c: nexit's counter page (absent elsewhere) */
struct counters { u64 exits, fallback, kvm_exits; bool ok; };
void counters_read(struct counters *c);
void probe_exit(int status) __attribute__((noreturn));

#endif

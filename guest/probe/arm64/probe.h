/* SPDX-License-Identifier: MIT */
/*
 * probe.h - the arm64 probe guest: a freestanding EL1 program (MMU off)
 * on common/ that drives the GICv3 (system-register CPU interface,
 * distributor, redistributor, ITS), PCI (ECAM) and QEMU's edu device (or
 * nexit's irqdev), and prints one PROBE line per scenario. Addresses
 * follow nexit's arm64 layout (QEMU virt compatible): core/arm64/arm64.h.
 */
#ifndef PROBE_A64_H
#define PROBE_A64_H

#include "../common/common.h"
#include "arch.h"

#define UART_BASE	0x09000000UL
#define GICD_BASE	0x08000000UL
#define GICR_BASE	0x080a0000UL
#define ITS_BASE	0x08080000UL
#define GITS_TRANSLATER	(ITS_BASE + 0x10040)
#define ECAM_BASE	0x3f000000UL
#define PCI_BAR_WINDOW	0x10000000UL	/* core/arm64/arm64.h NX_A64_PCI_MMIO */
#define LPI_BASE	8192		/* first LPI INTID (GICv3 2.2.1) */
#define UART_INTID	33		/* SPI 1, nexit's 16550A (emulated: the fallback) */
#define UART_IER	(UART_BASE + 1)
#define UART_MCR	(UART_BASE + 4)

/* ---- gic.c -------------------------------------------------------------- */
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
	void (*before_eoi)(u32 intid, void *arg);
	void *before_eoi_arg;
	volatile bool defer_eoi;	/* handler leaves the EOI to the scenario */
	volatile u32 deferred;		/* INTID waiting for its EOI, 0 if none */
};
/* What the IRQ handler (an exception vector: no argument) records. */
extern struct irq_state irqs;
static inline unsigned irq_slot(u32 intid) { return intid >= LPI_BASE ? 1024 + (intid - LPI_BASE) % 1024 : intid % 1024; }
void gic_init(void);
void gic_cpu_init(unsigned cpu);	/* redistributor + CPU interface of this CPU */
static inline unsigned this_cpu(void) { return sysreg_read(mpidr_el1) & 0xff; }
void gic_spi_enable(u32 intid, u8 prio, bool level);
void gic_eoi(u32 intid);

/* ---- its.c -------------------------------------------------------------- */
int  its_init(void);
int  its_map(u32 devid, u32 event, u32 intid, u8 prio);
int  its_lpis_on(unsigned cpu);		/* LPIs on another CPU's redistributor */
int  its_mapc(u32 icid, unsigned cpu);
int  its_movi(u32 devid, u32 event, u32 icid);
void lpi_set_prio(u32 intid, u8 prio);	/* property table + INV */

/* ---- smp.c, fdt.c --------------------------------------------------------- */
int  cpu_on(unsigned cpu);		/* PSCI CPU_ON; waits until it is up */
const char *fdt_bootargs(const void *fdt);

/* ---- main.c: the platform and leaving ------------------------------------- */
struct a64_window { u64 kvm[2], fallback[2]; };	/* lat_arch.c */
struct platform {
	struct cmdline cmd;
	u64 hz;				/* CNTFRQ_EL0 */
	struct pci_dev edu;		/* the edu/irqdev the scenarios drive */
	struct a64_window lat_window;	/* counters around a latency window */
};
/* 0: PSCI SYSTEM_OFF; else the counter page's debug exit with status. */
void probe_exit(int status) __attribute__((noreturn));

/* ---- edu.c: the device and the waits the scenarios share ------------------ */
/* Finds and checks the edu; a failing PROBE line (false) if absent. */
bool edu_setup(struct platform *p, const char *scenario);
/* edu MSI -> ITS event 0 of its device ID -> LPI 8192 at prio on collection 0. */
bool msi_setup(struct platform *p, const char *scenario, u8 prio);
/* edu INTx -> its SPI (interrupt line register), level, enabled. */
bool intx_setup(struct platform *p, const char *scenario, u32 *intid);
void edu_raise(struct platform *p);
void edu_ack(struct platform *p);	/* clears every irq status bit */
/* Spins until irqs.total >= want; false on timeout. */
bool wait_total(u64 want, u64 timeout_ticks);
void spin_ms(struct platform *p, u64 ms);
/* A scenario's first keys: scenario, arch. */
void json_begin_a64(struct json *j, const char *scenario);

#endif

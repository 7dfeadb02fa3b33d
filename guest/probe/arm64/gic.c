/* SPDX-License-Identifier: MIT */
/*
 * gic.c - GICv3 for the probe (GICv3/v4 architecture spec, IHI 0069):
 * distributor with affinity routing, the CPU 0 redistributor, the CPU
 * interface through the ICC_* system registers, and the IRQ handler.
 */
#include "probe.h"

#define GICD_CTLR	0x0000
#define GICD_CTLR_RWP	(1u << 31)
#define GICD_CTLR_ARE	(1u << 4)
#define GICD_CTLR_G1	(1u << 1)	/* EnableGrp1 (single security state, DS=1) */
#define GICD_IGROUPR	0x0080
#define GICD_ISENABLER	0x0100
#define GICD_ICENABLER	0x0180
#define GICD_ICPENDR	0x0280
#define GICD_IPRIORITYR	0x0400
#define GICD_ICFGR	0x0c00
#define GICD_IROUTER	0x6000
#define GICR_WAKER	0x0014
#define GICR_SGI	0x10000

struct irq_state irqs;
void irq_handler(void);
void fault_handler(u64 kind);

static void dist_wait(void)
{
	while (rd32(GICD_BASE + GICD_CTLR) & GICD_CTLR_RWP)
		;
}

void gic_init(void)
{
	/* Distributor: affinity routing + Group 1 on. */
	wr32(GICD_BASE + GICD_CTLR, GICD_CTLR_ARE | GICD_CTLR_G1);
	dist_wait();
	gic_cpu_init(0);
}

void gic_cpu_init(unsigned cpu)
{
	u64 rd = GICR_BASE + cpu * 0x20000ull;	/* RD_base + SGI_base per CPU */

	/* This CPU's redistributor awake (GICR_WAKER.ProcessorSleep = 0). */
	wr32(rd + GICR_WAKER, rd32(rd + GICR_WAKER) & ~2u);
	while (rd32(rd + GICR_WAKER) & 4u)
		;
	/* CPU interface: system registers (ICC_SRE_EL1.SRE), everything
	 * unmasked by priority (PMR 0xff), no preemption groups split
	 * (BPR1 0), EOImode 0 (EOIR drops priority and deactivates), Group 1 on. */
	sysreg_write(icc_sre_el1, sysreg_read(icc_sre_el1) | 1);
	isb();
	sysreg_write(icc_pmr_el1, 0xff);
	sysreg_write(icc_bpr1_el1, 0);
	sysreg_write(icc_ctlr_el1, sysreg_read(icc_ctlr_el1) & ~2ull);
	sysreg_write(icc_igrpen1_el1, 1);
	isb();
}

/* An SPI: Group 1, priority, level or edge, routed to CPU 0, enabled. */
void gic_spi_enable(u32 intid, u8 prio, bool level)
{
	u32 n = intid / 32, bit = 1u << (intid % 32);
	u64 cfg = GICD_BASE + GICD_ICFGR + (intid / 16) * 4;
	u32 shift = (intid % 16) * 2 + 1;

	wr32(GICD_BASE + GICD_IGROUPR + n * 4, rd32(GICD_BASE + GICD_IGROUPR + n * 4) | bit);
	wr8(GICD_BASE + GICD_IPRIORITYR + intid, prio);
	wr32(cfg, level ? rd32(cfg) & ~(1u << shift) : rd32(cfg) | (1u << shift));
	wr64(GICD_BASE + GICD_IROUTER + intid * 8, 0);	/* Aff 0.0.0.0 */
	wr32(GICD_BASE + GICD_ISENABLER + n * 4, bit);
	dist_wait();
}

void gic_eoi(u32 intid)
{
	sysreg_write(icc_eoir1_el1, intid);
	isb();
}

/* IRQ (VBAR_EL1 + 0x280): acknowledge, timestamp, count, EOI. */
void irq_handler(void)
{
	u32 intid = sysreg_read(icc_iar1_el1) & 0xffffff;
	u64 t;

	if (intid >= 1020 && intid < 1024)
		return;		/* spurious: no EOI (GICv3 2.2.1) */
	t = now_ticks();
	irqs.last_ticks = t;
	irqs.last_intid = intid;
	irqs.last_cpu = this_cpu();
	if (irqs.norder < 8)
		irqs.order[irqs.norder++] = intid;
	irqs.count[irq_slot(intid)]++;
	irqs.total++;
	if (irqs.before_eoi)
		irqs.before_eoi(intid, irqs.before_eoi_arg);
	if (irqs.defer_eoi) {
		irqs.deferred = intid;
		return;
	}
	gic_eoi(intid);
}

/* Any other exception: its syndrome, then the debug exit (status 2). */
void fault_handler(u64 kind)
{
	printk("\nPROBE-FAULT kind=%lu esr=%#lx elr=%#lx far=%#lx\n", kind,
	       sysreg_read(esr_el1), sysreg_read(elr_el1), sysreg_read(far_el1));
	probe_exit(2);
}

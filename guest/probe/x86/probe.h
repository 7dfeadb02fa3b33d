/* SPDX-License-Identifier: MIT */
/*
 * probe.h - the probe guest's library: a freestanding x86_64 kernel in the
 * style of Jailhouse's inmates. One header for the whole library; each
 * file in lib/ owns one concern.
 *
 * Execution model (see docs/probe.md): the kernel runs identity-mapped with
 * every page user-accessible, ring-0 code stays short (on kvm_pvm it is
 * emulated at ~1 us per instruction), and loops run in ring 3 through
 * user_call(). Ring 3 reaches ring 0 through kcall() (ud2, see isr.S).
 */
#ifndef PROBE_H
#define PROBE_H

#include "../common/common.h"
#include "arch.h"

#define MAX_CPUS	64		/* nexit's NX_MAX_CPUS; boot.S has as many TSS slots */
#define KSTACK_SHIFT	14		/* 16 KiB kernel stack per CPU  */
#define USTACK_SIZE	16384		/* ring-3 stack per CPU          */
#define AP_TRAMPOLINE	0x8000		/* SIPI vector 0x08 -> 0x8000    */

/* GDT selectors (boot.S). */
#define SEL_KCODE	0x08
#define SEL_KDATA	0x10
#define SEL_UDATA	0x1b
#define SEL_UCODE	0x23
#define SEL_KCODE32	0x28
#define SEL_KDATA32	0x30
#define SEL_TSS(i)	(0x40 + 16 * (i))

/* Vectors. */
#define VEC_SPURIOUS	0xff
#define VEC_FIRST_IRQ	0x20


/* ---- multiboot.c ------------------------------------------------------ */
#define MULTIBOOT_MAGIC 0x2BADB002
struct bootinfo {
	u64 mem_bytes;		/* RAM below 4 GiB up to its top, plus RAM above */
	u32 mmap_entries;
	char cmdline[512];
};
int multiboot_parse(u32 magic, u32 info, struct bootinfo *bi);

/* ---- apic.c: local APIC, xAPIC (MMIO) or x2APIC (MSR) ------------------ */
#define LAPIC_BASE	0xfee00000ULL
#define APIC_ID		0x020
#define APIC_TPR	0x080
#define APIC_EOI	0x0b0
#define APIC_SVR	0x0f0
#define APIC_ISR	0x100
#define APIC_IRR	0x200
#define APIC_ICR_LO	0x300
#define APIC_ICR_HI	0x310
#define APIC_LVT_TIMER	0x320
#define APIC_LVT_LINT0	0x350
#define APIC_LVT_LINT1	0x360
#define APIC_LVT_ERR	0x370
extern u8 apic_x2;			/* read by the interrupt entry (isr.S) */
bool apic_x2_supported(void);
void apic_init_cpu(bool x2);		/* per CPU: mode, SVR enable, LVTs masked */
u32 apic_read(u32 reg);
void apic_write(u32 reg, u32 v);
u32 apic_id(void);
void apic_eoi(void);
void apic_icr(u32 dest, u32 lo);	/* waits for delivery (xAPIC) */
bool apic_irr_test(unsigned vec);
bool apic_isr_test(unsigned vec);
void apic_self_ipi(unsigned vec);

/* ---- tsc.c ------------------------------------------------------------ */
struct tsc {
	u64 khz;		/* 0 = unknown */
	const char *source;
};
struct platform;
void tsc_init(struct tsc *t, const struct cmdline *c, struct platform *p);
u64 tsc_ns(const struct tsc *t, u64 cycles);		/* 0 if unknown */
u64 tsc_ms_cycles(const struct tsc *t, u64 ms);	/* assumes 3 GHz if unknown */

/* ---- acpi.c / mptable.c ----------------------------------------------- */
#define MAX_IOAPICS 4
#define MAX_MP_IRQS 64
struct ioapic_info { u32 id, addr, gsi_base; };
struct mp_irq { u8 bus, srcirq, dst_ioapic, dst_pin, pci; };
struct firmware {
	u32 apic_ids[MAX_CPUS];
	u32 ncpus;
	u32 cpus_beyond_max;		/* CPUs listed that MAX_CPUS cannot hold */
	struct ioapic_info ioapic[MAX_IOAPICS];
	u32 nioapic;
	const char *cpu_source;		/* "madt", "mptable" or "none" */
	/* ACPI FADT power-off and fixed events (0 = unknown) */
	u16 pm1a_cnt;
	u16 pm1a_evt;			/* PM1_STS, PM1_EN at +2 */
	u16 sci_int;
	u16 pm_tmr;		/* FADT PM_TMR_BLK port, 0 = none */
	bool pm_tmr_32;		/* FADT flags TMR_VAL_EXT: 32-bit counter */
	u16 slp_typ_s5;
	bool have_s5;
	/* MP table interrupt entries (PCI and ISA) */
	struct mp_irq irqs[MAX_MP_IRQS];
	u32 nirqs;
	bool have_mptable;
	/* ACPI MADT interrupt source overrides: isa irq -> gsi, flags */
	u32 iso_gsi[16];
	u16 iso_flags[16];
};
void firmware_scan(struct firmware *fw);	/* runs its loops in ring 3 */
bool acpi_scan(struct firmware *fw);
bool mptable_scan(struct firmware *fw);
/* IOAPIC pin for a PCI device's INTx (MP table); -1 if not listed. */
int mptable_pci_irq(const struct firmware *fw, u8 bus, u8 dev, u8 pin);

/* ---- ioapic.c ----------------------------------------------------------- */
#define IOAPIC_IOWIN	0x10	/* data window; IOREGSEL at 0x00 selects */
#define RTE_MASKED	(1u << 16)
#define RTE_LEVEL	(1u << 15)
#define RTE_REMOTE_IRR	(1u << 14)
#define RTE_ACTIVE_LOW	(1u << 13)
u32 ioapic_read(u32 base, u32 reg);
void ioapic_write(u32 base, u32 reg, u32 v);
unsigned ioapic_pins(u32 base);
void ioapic_set_rte(u32 base, unsigned pin, u32 lo, u32 dest_apic);
u32 ioapic_rte_lo(u32 base, unsigned pin);
void ioapic_mask_all(u32 base);

/* ---- pci_cf8.c: the config hooks of common/pci.c, x86 MSI -------------- */
/* MSI: address/data for a fixed, edge interrupt to dest_apic (SDM 11.11). */
void pci_msi_enable(const struct pci_dev *d, u32 dest_apic, u8 vector);
/* Message data as given (SDM 11.11.2: vector 7:0, delivery mode 10:8). */
void pci_msi_enable_data(const struct pci_dev *d, u32 dest_apic, u16 data);

/* ---- irq.c + isr.S: the fast interrupt path ---------------------------- */
/*
 * One record per vector, 64 bytes, written by irq_fast (isr.S) in a few
 * instructions: delivery count, TSC at entry, CPU index it ran on; an
 * optional MMIO write (device acknowledge) and EOI suppression.
 */
#define IRQ_NO_EOI	1u
struct irq_rec {
	u64 count;		/* 0x00 */
	u64 tsc;		/* 0x08 TSC at entry of the last delivery */
	u32 cpu;		/* 0x10 CPU index of the last delivery   */
	u32 flags;		/* 0x14 IRQ_NO_EOI                       */
	u64 ack_addr;		/* 0x18 MMIO address written with ack_val */
	u32 ack_val;		/* 0x20 */
	u32 pad0;
	/* Guest-side storm cap: once count reaches eoi_limit the handler
	 * writes cap_val to cap_addr (device acknowledge, if set) and skips
	 * the EOI, so a line nobody throttles cannot livelock the probe. */
	u64 eoi_limit;		/* 0x28 0: no cap */
	u64 cap_addr;		/* 0x30 */
	u32 cap_val;		/* 0x38 */
	u32 pad1;
};
_Static_assert(sizeof(struct irq_rec) == 64, "isr.S assumes 64-byte records");
#define IRQ_LOG_SIZE 256	/* power of two */
extern struct irq_rec irq_rec[256];
extern u32 irq_log[IRQ_LOG_SIZE];	/* vector per delivery, in order */
extern u32 irq_log_idx;
void irq_setup(unsigned vec, u32 flags, u64 ack_addr, u32 ack_val);
void irq_cap(unsigned vec, u64 limit, u64 cap_addr, u32 cap_val);
bool irq_capped(unsigned vec);
struct platform;
bool lapic_holds_in_service(struct platform *p);
struct json;
bool lapic_checks(struct platform *p, struct json *j);

/* ---- cpu.c: GDT/TSS/IDT, per-CPU state, user_call and kcall ----------- */
struct cpu {
	u32 index;
	u32 apic_id;
	u64 *tss_rsp0;		/* &tss.rsp0, written by user_call */
	u8 *ustack_top;
	void (*volatile work)(void *);	/* AP work item (smp_run_on) */
	void *volatile work_arg;
	volatile u32 work_done;
};
extern struct cpu cpus[MAX_CPUS];
extern u8 kstacks[MAX_CPUS][1 << KSTACK_SHIFT];
void cpu_init(unsigned index);		/* GDT, TSS, IDT load for this CPU */
void idt_init(void);			/* once, BSP */
unsigned this_cpu(void);		/* index from the kernel stack pointer */
/* Runs fn(arg) in ring 3 on this CPU's user stack with IF=1; returns its value. */
u64 user_call(u64 (*fn)(void *), void *arg);
/* From ring 3 (or ring 0): runs fn(a, b) in ring 0 with IF=0 and returns its value.
 * fn must not call user_call (it runs just below the user_call frame). */
u64 kcall(u64 (*fn)(u64, u64), u64 a, u64 b);
/* Ring-3 helpers built on kcall. */
void u_eoi(void);
void u_hlt(void);			/* sti; hlt in ring 0: waits for an interrupt */

/* ---- smp.c ------------------------------------------------------------ */
struct platform;
/* Starts every AP the firmware lists; returns CPUs running (BSP included). */
u32 smp_start(struct platform *p);
/* Runs fn(arg) on CPU index cpu (AP in ring 0 from its idle loop) and waits. */
void smp_run_on(unsigned cpu, void (*fn)(void *), void *arg);
/* The same without waiting; smp_wait(cpu) waits for the item to finish. */
void smp_post(unsigned cpu, void (*fn)(void *), void *arg);
void smp_wait(unsigned cpu);
void ap_main(void);			/* C entry of an AP (boot.S) */
extern volatile u32 smp_started;

/* ---- counters.c: nexit's counter page ------------------------------------ */
/* common/counters.c at ARCH_COUNTER_PAGE. */

/* ---- stats.c, latency.c: common/ run in ring 3 ------------------------- */
/* Sorts v (in ring 3) and fills s. */
void lat_summarize(u64 *v, u64 n, struct lat_summary *s);
/* Runs the loop of common/latency.c on irq_rec[r->vec] in ring 3. */
void lat_measure(struct platform *p, struct lat_run *r);
/* Summarizes r->lat (ring 3) and adds common/latency.c's keys. */
void json_lat_run(struct json *j, struct platform *p, struct lat_run *r, const char *prefix);

/* ---- platform + scenarios ----------------------------------------------- */
struct platform {
	struct bootinfo boot;
	struct cmdline cmd;
	struct firmware fw;
	struct tsc tsc;
	u32 ncpus;		/* CPUs running, BSP included */
	bool x2apic;
};

/* Pass: ACPI S5 power-off (VMM exit 0; exit=debug: port 0xf4 <- 0).
 * Fail: port 0xf4 <- 1 (isa-debug-exit: VMM exit status 3). */
void probe_exit(struct platform *p, bool pass) __attribute__((noreturn));

/* ---- edu.c: QEMU edu / nexit irqdev helpers ------------------------------- */
/* The registers: NX_IRQDEV_REG_* (abi/guest_abi.h, edu's layout). */
/* Finds edu devices, enables memory + bus master; returns count. */
int edu_find(struct pci_dev *out, int max);
/* IOAPIC pin of the device's INTx (cmdline intx_gsi=, MP table, interrupt line). */
int edu_intx_gsi(struct platform *p, const struct pci_dev *d, const char **how);
static inline void edu_raise(const struct pci_dev *d, u32 v) { mmio_write32(d->bar0 + NX_IRQDEV_REG_RAISE, v); }
static inline void edu_ack(const struct pci_dev *d, u32 v) { mmio_write32(d->bar0 + NX_IRQDEV_REG_ACK, v); }
/* Spins in the current ring until irq_rec[vec].count >= target or timeout; returns count. */
u64 wait_count(struct platform *p, unsigned vec, u64 target, u64 timeout_ms);
/* Ring-3 spin for ms milliseconds with interrupts enabled. */
void user_sleep(struct platform *p, u64 ms);
/* IOAPIC helpers for a scenario's line. */
u32 ioapic_base_for(struct platform *p, unsigned gsi, unsigned *pin);
/* A device's INTx through the IOAPIC: level, active high, fixed, to dest. */
struct intx {
	int gsi;
	const char *how;	/* where the routing came from */
	u32 ioapic;
	unsigned pin;
	unsigned vec;
	u32 dest;
};
/* Finds the route and programs the RTE (masked if masked); false if unknown. */
bool intx_setup(struct platform *p, const struct pci_dev *d, unsigned vec, u32 dest,
		bool masked, struct intx *x);
void intx_mask(const struct intx *x, bool masked);
void json_intx(struct json *j, const struct intx *x);
void json_dev(struct json *j, const char *key, const struct pci_dev *d);
/* Scenario prelude: finds >= min edu devices or prints the failing PROBE line. */
int edu_need(struct platform *p, const char *scenario, struct pci_dev *d, int max, int min);

#endif

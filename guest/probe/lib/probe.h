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

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "abi/guest_abi.h"

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int64_t s64;
typedef int8_t s8;

#define MAX_CPUS	64		/* nexit's NX_MAX_CPUS; boot.S has as many TSS slots */
#define KSTACK_SHIFT	14		/* 16 KiB kernel stack per CPU  */
#define USTACK_SIZE	16384		/* ring-3 stack per CPU          */
#define AP_TRAMPOLINE	0x8000		/* SIPI vector 0x08 -> 0x8000    */

/* GDT selectors (lib/boot.S). */
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

/* ---- CPU primitives ------------------------------------------------- */
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
#define READ_ONCE(x) (*(volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, v) (*(volatile __typeof__(x) *)&(x) = (v))
#define barrier() __asm__ volatile("" ::: "memory")

/* ---- string.c --------------------------------------------------------- */
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strncmp(const char *a, const char *b, size_t n);
int strcmp(const char *a, const char *b);

/* ---- console.c: COM1 16550 and formatted output ----------------------- */
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void printk(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void console_write(const char *s, size_t n);	/* any ring */

/* JSON line builder: json_begin, json_*(key, v)..., then probe_result(). */
struct json {
	char buf[1536];
	size_t len;
};
void json_begin(struct json *j, const char *scenario);
void json_u64(struct json *j, const char *key, u64 v);
void json_s64(struct json *j, const char *key, s64 v);
void json_str(struct json *j, const char *key, const char *v);
void json_bool(struct json *j, const char *key, bool v);
void json_null(struct json *j, const char *key);
void json_raw(struct json *j, const char *key, const char *raw);
void json_milli(struct json *j, const char *key, u64 thousandths);	/* 1234 -> 1.234 */

/* ---- cmdline.c -------------------------------------------------------- */
#define CMDLINE_MAX_ARGS 32
struct cmdline {
	char buf[512];			/* the words, each NUL-terminated */
	const char *key[CMDLINE_MAX_ARGS], *val[CMDLINE_MAX_ARGS];
	unsigned nargs;
};
void cmdline_init(struct cmdline *c, const char *s);
const char *cmdline_get(const struct cmdline *c, const char *key);	/* NULL if absent */
u64 cmdline_u64(const struct cmdline *c, const char *key, u64 def);
u64 parse_u64(const char *s, bool *ok);		/* decimal or 0x hex */

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

/* ---- pci.c: configuration mechanism #1 (0xCF8/0xCFC) ------------------ */
struct pci_dev {	/* a PCI function on bus 0 */
	u8 bus, dev, fn;
	u16 vendor, device;
	u64 bar0;		/* MMIO base of BAR0 */
	u8 irq_line, irq_pin;
	u8 msi_cap;		/* 0 = none */
};
u32 pci_read32(const struct pci_dev *d, u8 off);
void pci_write32(const struct pci_dev *d, u8 off, u32 v);
u16 pci_read16(const struct pci_dev *d, u8 off);
void pci_write16(const struct pci_dev *d, u8 off, u16 v);
u8 pci_read8(const struct pci_dev *d, u8 off);
/* Finds up to max functions with vendor:device on bus 0; returns the count. */
int pci_find(u16 vendor, u16 device, struct pci_dev *out, int max);
u8 pci_find_cap(const struct pci_dev *d, u8 id);
/* MSI: address/data for a fixed, edge interrupt to dest_apic (SDM 11.11). */
void pci_msi_enable(const struct pci_dev *d, u32 dest_apic, u8 vector);
/* Message data as given (SDM 11.11.2: vector 7:0, delivery mode 10:8). */
void pci_msi_enable_data(const struct pci_dev *d, u32 dest_apic, u16 data);
void pci_msi_disable(const struct pci_dev *d);
void pci_intx_enable(const struct pci_dev *d, bool on);

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
#define NX_COUNTER_PAGE		NX_COUNTER_PAGE_X86	/* abi/guest_abi.h */
bool counters_present(void);
u64 counters_exits(void);		/* VMM exits so far (one read = one exit) */
u64 counters_relayed(void);		/* exitless-vector MSIs nexit relayed (storm guard) */

/* ---- stats.c ------------------------------------------------------------ */
void sort_u64(u64 *v, u64 n);		/* heapsort, run it in ring 3 */
u64 percentile(const u64 *sorted, u64 n, u32 permille);
struct lat_summary { u64 n, min, p50, p99, p999, max; };
/* Sorts v (in ring 3) and fills s. */
void lat_summarize(u64 *v, u64 n, struct lat_summary *s);
/* Adds "<prefix>_p50_cycles" ... and the _ns variants. */
void json_latency(struct json *j, const char *prefix, const struct lat_summary *s,
		  const struct tsc *t);

/* ---- latency.c: doorbell -> ISR loop ------------------------------------- */
struct pci_dev;
struct lat_run {
	const struct pci_dev *d;	/* its BAR0 + 0x60 is the doorbell */
	unsigned vec;			/* vector whose irq_rec counts deliveries */
	u64 n, warmup;
	u64 *lat;			/* n samples, cycles */
	u64 timeout_cycles;		/* per interrupt; 0 = cmdline timeout_ms (1000) */
	u32 raise_val;			/* value written to 0x60 and 0x64; 0 = 1 */
	bool ack_in_loop;		/* ring 3 writes 0x64 after each delivery */
	bool fact;			/* trigger=fact: start edu's factorial with
					 * "raise when done" instead of 0x60 */
	/* results */
	u64 received;
	u64 exits;			/* VMM exits in the measured window */
	u64 isr_entries;		/* handler runs in the window: received plus
					 * re-deliveries (an auto-EOI LAPIC) */
	bool have_exits;		/* nexit counter page present */
};
void lat_measure(struct platform *p, struct lat_run *r);
/* Adds <prefix>n, received, isr_entries, percentiles, vmm_exits, vmm_exits_per_irq. */
void json_lat_run(struct json *j, struct platform *p, struct lat_run *r, const char *prefix);
/* cmdline max_exits_per_irq=K: exits <= K * received (true if absent or no counters). */
bool lat_exits_ok(struct platform *p, struct lat_run *r);

/* ---- platform + scenarios ----------------------------------------------- */
struct platform {
	struct bootinfo boot;
	struct cmdline cmd;
	struct firmware fw;
	struct tsc tsc;
	u32 ncpus;		/* CPUs running, BSP included */
	bool x2apic;
};

struct scenario {
	const char *name;
	/* Prints its PROBE line; returns true on pass. */
	bool (*run)(struct platform *p);
};
#define SCENARIO(n, fn) \
	static const struct scenario __scn_##fn \
	__attribute__((used, section(".scenarios"), aligned(8))) = { n, fn }

/* The scenario called name (up to a space or the end), or NULL. */
const struct scenario *scenario_find(const char *name);
/* Prints "PROBE {json}" and returns pass. */
bool probe_result(struct json *j, bool pass);
/* Pass: ACPI S5 power-off (VMM exit 0; exit=debug: port 0xf4 <- 0).
 * Fail: port 0xf4 <- 1 (isa-debug-exit: VMM exit status 3). */
void probe_exit(struct platform *p, bool pass) __attribute__((noreturn));
void panic(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

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

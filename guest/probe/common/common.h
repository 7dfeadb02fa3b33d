/* SPDX-License-Identifier: MIT */
/*
 * common.h - the probe guests' arch-neutral library (guest/probe/common),
 * shared by the x86_64 probe (guest/probe/x86) and the arm64 probe
 * (guest/probe/arm64): strings, formatted output, the PROBE JSON line,
 * the command line, latency statistics, PCI configuration walking and MSI
 * programming, the scenario table. Freestanding: nothing beyond the
 * compiler's headers and abi/guest_abi.h.
 *
 * Each arch provides the hooks declared under "arch hooks" below.
 */
#ifndef PROBE_COMMON_H
#define PROBE_COMMON_H

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

/* ---- format.c: formatted output --------------------------------------- */
/* Supports %s %c %d %u %x %p %% with l/ll, width, 0 and # flags. */
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void printk(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- json.c: the PROBE line ------------------------------------------- */
/* json_begin, json_*(key, v)..., then probe_result(). */
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
/* Prints "PROBE {json}" and returns pass. */
bool probe_result(struct json *j, bool pass);
/* A failing PROBE line {"scenario":name,"error":why}; returns false. */
bool probe_fail(const char *scenario, const char *why);

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

/* ---- stats.c: latency percentiles (integer only) ---------------------- */
void sort_u64(u64 *v, u64 n);		/* heapsort */
u64 percentile(const u64 *sorted, u64 n, u32 permille);
struct lat_summary { u64 n, min, p50, p99, p999, max; };
/* Sorts v and fills s. */
void lat_summary_fill(u64 *v, u64 n, struct lat_summary *s);
/* Adds "<prefix>min_cycles" ... and the _ns variants (null if khz is 0):
 * ticks of a counter running at khz kHz. */
void json_latency(struct json *j, const char *prefix, const struct lat_summary *s, u64 khz);

/* ---- counters.c: nexit's counter page (abi/guest_abi.h NX_CP_*) ------- */
bool counters_present(void);
u64 counters_read(unsigned off);	/* one 8-byte read: one VMM exit */
u64 counters_exits(void);		/* VMM exits so far, this read left out */
u64 counters_relayed(void);		/* exitless-vector MSIs nexit relayed (storm guard) */

/* ---- pci.c: bus 0 over the arch's configuration accessors ------------- */
struct pci_dev {	/* a PCI function on bus 0 */
	u8 bus, dev, fn;
	u16 vendor, device;
	u64 bar0;		/* MMIO base of BAR0 */
	u8 irq_line, irq_pin;
	u8 msi_cap;		/* 0 = none */
};
#define PCI_CMD			0x04
#define PCI_CMD_MEM		(1u << 1)
#define PCI_CMD_MASTER		(1u << 2)
#define PCI_CMD_INTX_DIS	(1u << 10)
#define PCI_INT_LINE		0x3c
#define PCI_CAP_MSI		0x05
#define PCI_CAP_MSIX		0x11
u32 pci_read32(const struct pci_dev *d, u8 off);
u16 pci_read16(const struct pci_dev *d, u8 off);
u8 pci_read8(const struct pci_dev *d, u8 off);
void pci_write32(const struct pci_dev *d, u8 off, u32 v);
void pci_write16(const struct pci_dev *d, u8 off, u16 v);
/* Requester ID (bus << 8 | dev << 3 | fn): the GIC ITS's device ID. */
static inline u32 pci_rid(const struct pci_dev *d) { return (u32)d->bus << 8 | d->dev << 3 | d->fn; }
/* Finds up to max functions with vendor:device on bus 0; returns the count. */
int pci_find(u16 vendor, u16 device, struct pci_dev *out, int max);
u8 pci_find_cap(const struct pci_dev *d, u8 id);
/* MSI (PCI 3.0 6.8.1): one message with this address and data, enabled. */
void pci_msi_program(const struct pci_dev *d, u64 addr, u16 data);
void pci_msi_disable(const struct pci_dev *d);
/* MSI-X (PCI 3.0 6.8.2): function enable at cap, and one table entry (the
 * table in memory space: BAR + offset from the capability). */
void pci_msix_enable(const struct pci_dev *d, u8 cap, bool on);
void pci_msix_entry(u64 table, u16 entry, u64 addr, u32 data, bool masked);
/* Memory space + bus master on; INTx Disable (PCI 3.0 6.2.2) cleared if on. */
void pci_intx_enable(const struct pci_dev *d, bool on);

/* ---- latency.c: doorbell -> ISR loop ----------------------------------- */
struct lat_run {
	const struct pci_dev *d;	/* edu/irqdev: BAR0 + NX_IRQDEV_REG_RAISE rings */
	unsigned vec;			/* x86: vector; arm64: INTID */
	volatile u64 *count;		/* deliveries the ISR counted */
	volatile u64 *entry_ticks;	/* arch ticks at the ISR's entry, last delivery */
	u64 n, warmup;
	u64 *lat;			/* n samples, ticks */
	u64 timeout_ticks;		/* per interrupt */
	u32 raise_val;			/* value written to RAISE and ACK; 0 = 1 */
	bool ack_in_loop;		/* the loop writes ACK after each delivery */
	bool fact;			/* trigger=fact: start edu's factorial with
					 * "raise when done" instead of RAISE */
	/* Called at the window's start (end = false, before the exits read)
	 * and end (after it), e.g. to read more counters around it. */
	void (*window)(struct lat_run *r, bool end);
	void *arg;			/* the arch's, for window */
	/* results */
	u64 received;
	u64 exits;			/* VMM exits in the measured window */
	u64 isr_entries;		/* handler runs in the window: received plus
					 * re-deliveries (an auto-EOI LAPIC) */
	bool have_exits;		/* nexit counter page present */
};
/* Resets the results; timeout_ticks unless the run has its own. */
void lat_prepare(struct lat_run *r, u64 timeout_ticks);
void lat_loop(struct lat_run *r);
/* Adds <prefix>n, received, isr_entries, percentiles (s), vmm_exits,
 * vmm_exits_per_irq. */
void json_lat_fields(struct json *j, const struct lat_run *r, const struct lat_summary *s,
		     const char *prefix, u64 khz);
/* cmdline max_exits_per_irq=K: exits <= K * received (true if absent or no counters). */
bool lat_exits_ok(const struct cmdline *c, const struct lat_run *r);

/* ---- scenarios/latency.c: msi-latency, intx-latency (arch hooks) ------- */
enum lat_line { LAT_MSI, LAT_INTX };
struct platform;
const struct cmdline *platform_cmdline(struct platform *p);
/* Finds the device (into dev), routes its MSI or INTx to the ISR r counts
 * with (r->d, vec, count, entry_ticks, ack_in_loop) and adds the routing's
 * keys to j; false after printing a failing PROBE line. */
bool lat_arch_setup(struct platform *p, const char *scenario, enum lat_line line,
		    struct pci_dev *dev, struct lat_run *r, struct json *j);
/* Runs r (lat_prepare, lat_loop where the arch spins best), then unroutes. */
void lat_arch_measure(struct platform *p, enum lat_line line, struct lat_run *r);
/* Adds the result keys (latency_fields and the arch's own); false if an
 * arch check failed. */
bool lat_arch_result(struct platform *p, struct lat_run *r, struct json *j);

/* ---- scenario.c: the scenario table ----------------------------------- */
struct platform;	/* the arch's platform state */
struct scenario {
	const char *name;
	/* Prints its PROBE line; returns true on pass. */
	bool (*run)(struct platform *p);
};
#define SCENARIO(n, fn) \
	static const struct scenario __scn_##fn \
	__attribute__((used, section(".scenarios"), aligned(8))) = { n, fn }
/* The scenario called name, or NULL. */
const struct scenario *scenario_find(const char *name);

/* ---- arch hooks -------------------------------------------------------- */
void console_write(const char *s, size_t n);	/* the arch's UART */
/* Reports (a failing PROBE line) and leaves. */
void panic(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
/* Configuration space of d (x86: mechanism #1 ports; arm64: ECAM). */
u32 pci_cfg_read(const struct pci_dev *d, u8 off, unsigned size);
void pci_cfg_write(const struct pci_dev *d, u8 off, unsigned size, u32 v);
/* Where pci_find places a BAR0 nobody assigned. */
u64 pci_bar_window(void);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * fallback.h - the exit-based, EOI-gated interrupt path: nexit's emulated
 * interrupt controllers for legacy level lines (x86: userspace IOAPIC + 8259
 * pair under KVM's split irqchip, or KVM's own IOAPIC with irqfd+resamplefd
 * under irqchip=kernel) and the per-line rules they enforce:
 *
 *  1. a level line that fires is masked at its host source before the
 *     virtual interrupt is delivered, and unmasked only after the guest's
 *     EOI for that vector; a line still asserted after the EOI is delivered
 *     again, exactly once per EOI;
 *  2. delivery follows the guest's own redirection entry (vector,
 *     destination, trigger mode, mask);
 *  3. mask until ready: a line stays masked at the host until the guest
 *     unmasks its RTE, and is masked again when the guest resets or shuts
 *     down (its pending state is dropped, not replayed);
 *  4. storm control: a line delivered past its budget (interrupts per
 *     window) is held masked for a back-off period, counted and reported.
 *
 * The rules live in one arch-neutral state machine (gate.c) that the unit
 * tests drive with fake sources, and one controller core (lines.c) both
 * arches share; the arch's part is behind fb->x86 (x86/x86_fb.h: IOAPIC and
 * 8259 register models, split/kernel glue) or arm64/spi_gate.c (vGIC SPIs).
 */
#ifndef NEXIT_FALLBACK_H
#define NEXIT_FALLBACK_H

#include "core/vm.h"

struct json_object;

/* ---- storm control (storm.c) ------------------------------------------- */
/* A level line serviced more than 20 000 times a second - each one a VMM
 * exit or a resample round trip - is storming; hardware INTx devices that
 * need more use MSI. (Measured: a stuck line here storms at 15-35 000/s.) */
#define NX_STORM_DEFAULT_BUDGET		2000	/* interrupts ...            */
#define NX_STORM_DEFAULT_WINDOW_MS	100	/* ... per this window       */
#define NX_STORM_DEFAULT_BACKOFF_MS	100	/* held masked this long     */

struct nx_storm_cfg {
	uint32_t budget;	/* 0 = storm control off for the line */
	uint32_t window_ms;
	uint32_t backoff_ms;
};

struct nx_storm {
	struct nx_storm_cfg cfg;
	uint64_t win_start_ns;
	uint32_t win_count;
	uint64_t until_ns;	/* end of the current back-off, 0 if none */
};

void nx_storm_defaults(struct nx_storm_cfg *cfg);
/* Counts one delivery at now; true if it exceeds the budget (the caller
 * then starts a back-off ending at s->until_ns instead of delivering). */
bool nx_storm_charge(struct nx_storm *s, uint64_t now_ns);
void nx_storm_end(struct nx_storm *s, uint64_t now_ns);
/* Parses "storm_budget=N storm_window_ms=M storm_backoff_ms=B" (any subset,
 * separated by spaces or commas; other keys ignored) over cfg. Errors name
 * who (e.g. "device dev0"); cfg is unchanged on error. */
int  nx_storm_parse(struct nx_storm_cfg *cfg, const char *opts, const char *who);

/* ---- the gate: per-line EOI gating / masking / storm state machine ----- */
#define NX_GATE_MAX_LINES	NX_IOAPIC_PINS
#define NX_EOI_HIST_BUCKETS	40	/* bucket i: waits in [2^i, 2^(i+1)) ns */

struct nx_gate_line {
	unsigned gsi;
	struct nx_irq_source *src;	/* NULL: a plain in-process line */
	char src_name[32];		/* kept after the source is gone */

	/* The guest's redirection entry, as the controller model reports it. */
	bool guest_masked;
	bool level;
	uint8_t vector;

	/* Line state. */
	bool asserted;		/* last level reported by the device      */
	bool host_masked;	/* the source is masked at the host now   */
	bool in_service;	/* delivered, waiting for the EOI (remote IRR) */
	uint8_t service_vector;	/* vector the pending EOI will carry      */
	uint64_t deliver_ns;
	bool backoff;		/* storm back-off running                 */
	bool gone;		/* source detached (backend died)          */
	bool kfire;		/* KVM delivers the source's fire (irqfd on the
				 * pin's route, the source automasks): the gate
				 * sees only the EOI (nx_gate_set_kfire) */
	struct nx_storm storm;

	/* Counters. */
	uint64_t delivered;
	uint64_t delivered_by_kvm;	/* of those: a kfire line's, seen at the EOI */
	uint64_t masked_at_host;	/* times the source was masked     */
	uint64_t storms;
	uint64_t eois;
	uint64_t vmm_exits;		/* VMM exits on the line's delivery path (EOI) */
	uint64_t dropped;		/* pending assertions dropped at reset */
	uint64_t withdrawn;		/* deliveries taken back before the guest got them */
	uint64_t eoi_hist[NX_EOI_HIST_BUCKETS];
};

struct nx_gate;
struct nx_gate_ops {
	void *opaque;
	/* Deliver the line's virtual interrupt as the guest's RTE says; return
	 * true if it was sent. */
	bool (*deliver)(void *opaque, struct nx_gate_line *l);
	/* Arm (or re-arm) the line's back-off timer for deadline_ns; when it
	 * fires the caller invokes nx_gate_backoff_expired(). May be NULL. */
	void (*arm_backoff)(void *opaque, struct nx_gate_line *l, uint64_t deadline_ns);
	/* Something worth one warning line happened (storm start, source gone).
	 * May be NULL. */
	void (*report)(void *opaque, struct nx_gate_line *l, const char *what);
};

struct nx_gate {
	struct nx_gate_line lines[NX_GATE_MAX_LINES];
	unsigned nlines;
	struct nx_gate_ops ops;
	uint64_t delivered_total;
};

/* All functions: the caller serialises calls on one gate (a mutex). */
void nx_gate_init(struct nx_gate *g, unsigned nlines, const struct nx_gate_ops *ops);
void nx_gate_set_storm(struct nx_gate *g, unsigned gsi, const struct nx_storm_cfg *cfg);
int  nx_gate_attach(struct nx_gate *g, unsigned gsi, struct nx_irq_source *src,
		    uint64_t now_ns);
void nx_gate_detach(struct nx_gate *g, unsigned gsi);
/* The device drives the line (in-process set_line, or a trigger eventfd =
 * level 1). */
void nx_gate_set_line(struct nx_gate *g, unsigned gsi, bool level, uint64_t now_ns);
/* The guest rewrote the line's RTE. */
void nx_gate_rte(struct nx_gate *g, unsigned gsi, bool masked, bool level,
		 uint8_t vector, uint64_t now_ns);
/* The guest EOIed vector (EOI broadcast): every line in service with it.
 * Returns the number of lines it completed. */
int  nx_gate_eoi(struct nx_gate *g, unsigned vector, uint64_t now_ns);
/* Does an EOI of vector complete this line (in service with it, or a
 * kfire line whose RTE carries it)? */
bool nx_gate_eoi_matches(const struct nx_gate_line *l, unsigned vector);
/* KVM delivers the line's source from now on (on) or the gate does again
 * (off): the controller bound or unbound the source's irqfd. */
void nx_gate_set_kfire(struct nx_gate *g, unsigned gsi, bool on, uint64_t now_ns);
/* The guest EOIed this line's interrupt (irqchip=kernel resamplefd). */
bool nx_gate_line_eoi(struct nx_gate *g, unsigned gsi, uint64_t now_ns);
/* The controller took back the line's delivery before the guest got it (the
 * guest masked its RTE first): not delivered, no EOI to wait for. */
bool nx_gate_withdraw(struct nx_gate *g, unsigned gsi);
void nx_gate_backoff_expired(struct nx_gate *g, unsigned gsi, uint64_t now_ns);
/* Re-evaluates an idle line (not in service, guest unmasked, no back-off):
 * deliver once if it is asserted, else open the source. Idempotent; the
 * irqchip=kernel poll uses it as a safety net for a refused delivery. */
void nx_gate_resume(struct nx_gate *g, unsigned gsi, uint64_t now_ns);
/* Guest reset or shutdown: every line masked at the host, pending state
 * dropped, every RTE masked. */
void nx_gate_reset(struct nx_gate *g);
/* A line is worth listing in stats: it has or had a source, or traffic. */
bool nx_gate_line_used(const struct nx_gate_line *l);

/* ---- the controller instance (lines.c, stats.c; x86/init.c, x86/split.c,
 *      x86/kernel.c; arm64/spi_gate.c) --------------------------------- */
#define NX_KERNEL_POLL_MS	20	/* irqchip=kernel: RTE mirror refresh */

struct nx_fallback {
	struct nx_vm *vm;
	const char *irqchip;		/* "split", "kernel" (x86), "vgic" (arm64) */
	const char *pin_name;		/* a line without a source: "<pin_name>N" */
	bool kernel;			/* irqchip=kernel (else split) */
	/* Not recursive: a source asserts its line either by set_line or by its
	 * trigger eventfd, never from inside a source op (mask, unmask,
	 * is_asserted) the gate calls with this lock held. */
	pthread_mutex_t lock;
	struct nx_gate gate;
	struct nx_fallback_x86 *x86;		/* x86: the guest's IOAPIC and 8259 (x86/x86_fb.h) */
	/* Before a resample's line EOI (x86 kernel: read KVM's RTEs), lock held. */
	void (*before_line_eoi)(struct nx_fallback *fb, unsigned gsi);
	struct nx_fallback_pin {
		int timerfd;		/* storm back-off, -1 until the first storm */
		int trigger_fd;		/* watched source eventfd, -1 if none */
		/* split: the level MSI route on GSI = pin that makes KVM exit on EOI */
		bool route;
		uint64_t route_addr;
		uint32_t route_data;
		/* x86 kernel, arm64: our irqfd + resamplefd on GSI = pin (x86
		 * kernel: or the source's own) */
		int irqfd, resamplefd;
		bool direct;		/* source's fds handed to KVM: off the path */
		/* split: the automasking source's trigger_fd is an irqfd on
		 * GSI = pin (KVM delivers it), not watched by the event loop */
		bool kfire;
		/* kernel: a level delivery asserted through irqfd, which KVM
		 * holds until the guest's EOI (or nexit withdraws it) */
		bool held;
		uint8_t idle_polls;	/* kernel: polls seeing in service without Remote IRR */
		uint64_t setup_exits;	/* guest IOAPIC accesses to this pin's RTE */
	} pins[NX_IOAPIC_PINS];
	int poll_timerfd;		/* kernel: RTE mirror refresh, -1 if none */
	_Atomic uint64_t delivered;	/* counter page 0x10 */
	uint64_t eoi_exits;		/* KVM_EXIT_IOAPIC_EOI seen */
	uint64_t eoi_unmatched;		/* ... for no line in service */
	uint64_t mmio_exits;		/* IOAPIC register accesses */
	uint64_t pic_exits;		/* 8259/ELCR port accesses */
	uint64_t pic_injected;		/* 8259 interrupts injected into vCPU 0 (split) */
	uint64_t deliver_errors;
	uint64_t line_sets;		/* kernel: KVM_IRQ_LINE for plain lines */
	uint64_t refused_masked;	/* kernel: delivery found the RTE masked in KVM */
	uint64_t lost_eois;		/* kernel: in service, Remote IRR gone, no resample */
	uint64_t withdrawn;		/* kernel: held deliveries the guest's masked RTE kept */
};

/* lines.c: what every controller shares. A new controller (lock, every
 * pin's fds -1, gate with deliver and the shared back-off/report ops). */
struct nx_fallback *nx_fallback_new(struct nx_vm *vm, const char *irqchip, const char *pin_name,
			      bool (*deliver)(void *opaque, struct nx_gate_line *l));
uint64_t nx_fallback_delivered(void *opaque);	/* vm->irq.delivered: counter page 0x10 */
void nx_fallback_shutdown(void *opaque);	/* vm->irq.shutdown: every line masked, pending dropped */
/* Event loop handlers of a line's host fds (tag = the line), fb->lock
 * taken inside: a source's trigger eventfd fired (the line is asserted);
 * KVM signalled the line's resamplefd (the guest's EOI). */
void nx_fallback_on_trigger(void *opaque, int fd, uint32_t events, unsigned gsi);
void nx_fallback_on_resample(void *opaque, int fd, uint32_t events, unsigned gsi);
/* Watch (or forget) the source's trigger eventfd of line gsi. */
int  nx_fallback_watch_trigger(struct nx_fallback *fb, unsigned gsi, int fd);
void nx_fallback_unwatch_trigger(struct nx_fallback *fb, unsigned gsi);
int  nx_fallback_storm_from_config(struct nx_fallback *fb, unsigned gsi, const struct nx_irq_source *src);
/* stats.c: the one writer of "irq":{"lines":[...]} and "irq":{"fallback"} */
void nx_fallback_stats_hook(void *opaque, void *json_root);

/* ---- the controller: nx_fallback_init and friends ---------------------- */
/* Arch hook (fallback/x86/init.c, fallback/arm64/spi_gate.c): installs the
 * arch's controller (x86: the one vm->cfg->irqchip chooses) into vm->irq,
 * registers its MMIO/PIO ranges and its stats hook; its fds are handlers on vm->loop. */
int  nx_fallback_init(struct nx_vm *vm);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * test_gate.c - every fallback rule (fallback.h) on the pure gate state
 * machine, with fake host sources and a fake deliver callback: no KVM.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include "fallback/fallback.h"

#define MS 1000000ULL

struct fake_src {
	struct nx_irq_source s;
	bool masked;
	bool asserted;
	int masks, unmasks;
};

static void f_mask(void *o) { struct fake_src *f = o; f->masked = true; f->masks++; }
static void f_unmask(void *o) { struct fake_src *f = o; f->masked = false; f->unmasks++; }
static bool f_asserted(void *o) { return ((struct fake_src *)o)->asserted; }

static void fake_src_init(struct fake_src *f, const char *name)
{
	memset(f, 0, sizeof(*f));
	f->s = (struct nx_irq_source){ .name = name, .opaque = f, .trigger_fd = -1,
		.resample_fd = -1, .mask = f_mask, .unmask = f_unmask, .is_asserted = f_asserted };
}

struct env {
	struct nx_gate g;
	struct fake_src a, b;
	int delivered[NX_GATE_MAX_LINES];
	uint8_t last_vector[NX_GATE_MAX_LINES];
	bool unmasked_at_delivery;	/* a rule-1 violation seen by deliver */
	uint64_t backoff_deadline[NX_GATE_MAX_LINES];
	int reports;
	bool refuse;			/* deliver fails (KVM said no) */
};

static bool f_deliver(void *o, struct nx_gate_line *l)
{
	struct env *e = o;

	if (e->refuse)
		return false;
	if (l->src && !((struct fake_src *)l->src->opaque)->masked && l->level)
		e->unmasked_at_delivery = true;
	e->delivered[l->gsi]++;
	e->last_vector[l->gsi] = l->vector;
	return true;
}

static void f_arm(void *o, struct nx_gate_line *l, uint64_t deadline)
{
	((struct env *)o)->backoff_deadline[l->gsi] = deadline;
}

static void f_report(void *o, struct nx_gate_line *l, const char *what)
{
	((struct env *)o)->reports++;
}

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	struct nx_gate_ops ops = { .opaque = e, .deliver = f_deliver,
				   .arm_backoff = f_arm, .report = f_report };

	nx_gate_init(&e->g, NX_IOAPIC_PINS, &ops);
	fake_src_init(&e->a, "a");
	fake_src_init(&e->b, "b");
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	free(*state);
	return 0;
}

/* Attaches a on pin 5, b on pin 6; the guest unmasks both as level. */
static void ready(struct env *e)
{
	assert_int_equal(nx_gate_attach(&e->g, 5, &e->a.s, 0), 0);
	assert_int_equal(nx_gate_attach(&e->g, 6, &e->b.s, 0), 0);
	nx_gate_rte(&e->g, 5, false, true, 0x30, 0);
	nx_gate_rte(&e->g, 6, false, true, 0x31, 0);
}

static void fire(struct env *e, struct fake_src *f, unsigned gsi, uint64_t now)
{
	f->asserted = true;
	nx_gate_set_line(&e->g, gsi, true, now);
}

/* Rule 1: masked at the host before the delivery; unmasked only after EOI. */
static void test_level_masked_before_delivery(void **state)
{
	struct env *e = *state;

	ready(e);
	assert_false(e->a.masked);		/* guest ready: source open */
	fire(e, &e->a, 5, 1000);
	assert_int_equal(e->delivered[5], 1);
	assert_false(e->unmasked_at_delivery);
	assert_true(e->a.masked);
	assert_true(e->g.lines[5].in_service);

	/* The device deasserts; no unmask until the guest's EOI. */
	e->a.asserted = false;
	assert_true(e->a.masked);
	assert_int_equal(nx_gate_eoi(&e->g, 0x99, 2000), 0);	/* other vector */
	assert_true(e->a.masked);
	assert_int_equal(nx_gate_eoi(&e->g, 0x30, 3000), 1);
	assert_false(e->a.masked);
	assert_false(e->g.lines[5].in_service);
	assert_int_equal(e->delivered[5], 1);
	assert_int_equal(e->g.lines[5].masked_at_host, 2);	/* attach + fire */
}

/* Rule 1: no second delivery while the EOI is pending; again after EOI,
 * exactly once per EOI, while the line stays asserted. */
static void test_redelivery_once_per_eoi(void **state)
{
	struct env *e = *state;

	ready(e);
	fire(e, &e->a, 5, 0);
	for (int i = 0; i < 5; i++)
		nx_gate_set_line(&e->g, 5, true, 10 + i);	/* retriggers */
	assert_int_equal(e->delivered[5], 1);
	for (int i = 1; i <= 3; i++) {
		assert_int_equal(nx_gate_eoi(&e->g, 0x30, 100 * i), 1);
		assert_int_equal(e->delivered[5], 1 + i);
		assert_true(e->a.masked);		/* stays masked throughout */
		assert_false(e->unmasked_at_delivery);
		/* A duplicate EOI for the same vector with nothing in service
		 * after it must not deliver again. */
	}
	e->a.asserted = false;
	assert_int_equal(nx_gate_eoi(&e->g, 0x30, 1000), 1);
	assert_int_equal(e->delivered[5], 4);
	assert_false(e->a.masked);
	assert_int_equal(nx_gate_eoi(&e->g, 0x30, 1100), 0);	/* spurious EOI */
	assert_int_equal(e->delivered[5], 4);
	assert_int_equal(e->g.lines[5].eois, 4);
}

/* Rule 2: delivery follows the guest's RTE: vector, trigger, mask. */
static void test_follows_guest_rte(void **state)
{
	struct env *e = *state;

	ready(e);
	nx_gate_rte(&e->g, 5, false, true, 0x45, 0);
	fire(e, &e->a, 5, 0);
	assert_int_equal(e->last_vector[5], 0x45);
	/* The guest moves the vector while the interrupt is in service: the
	 * EOI carries the vector the interrupt was sent with. */
	nx_gate_rte(&e->g, 5, false, true, 0x46, 10);
	assert_int_equal(nx_gate_eoi(&e->g, 0x46, 20), 0);
	assert_int_equal(nx_gate_eoi(&e->g, 0x45, 30), 1);
	assert_int_equal(e->last_vector[5], 0x46);		/* redelivered, new vector */
	assert_int_equal(e->delivered[5], 2);

	/* Edge: no remote IRR, the source reopens after each delivery. */
	e->a.asserted = false;
	nx_gate_eoi(&e->g, 0x46, 40);
	nx_gate_rte(&e->g, 5, false, false, 0x47, 50);
	fire(e, &e->a, 5, 60);
	fire(e, &e->a, 5, 70);
	assert_int_equal(e->delivered[5], 4);
	assert_false(e->g.lines[5].in_service);
	assert_false(e->a.masked);

	/* Masked RTE: nothing delivered, source held masked. */
	nx_gate_rte(&e->g, 5, true, true, 0x47, 80);
	assert_true(e->a.masked);
	fire(e, &e->a, 5, 90);
	assert_int_equal(e->delivered[5], 4);
}

/* Rule 3: masked at the host until the guest unmasks its RTE. */
static void test_mask_until_ready(void **state)
{
	struct env *e = *state;

	e->a.asserted = true;			/* device already asserting */
	assert_int_equal(nx_gate_attach(&e->g, 5, &e->a.s, 0), 0);
	assert_true(e->a.masked);
	nx_gate_set_line(&e->g, 5, true, 5);
	nx_gate_rte(&e->g, 5, true, true, 0x30, 10);	/* vector set, still masked */
	assert_true(e->a.masked);
	assert_int_equal(e->delivered[5], 0);
	nx_gate_rte(&e->g, 5, false, true, 0x30, 20);	/* the driver is ready */
	assert_int_equal(e->delivered[5], 1);
	assert_true(e->a.masked);
	assert_false(e->unmasked_at_delivery);

	/* Not asserted when the guest unmasks: the source simply opens. */
	assert_int_equal(nx_gate_attach(&e->g, 6, &e->b.s, 30), 0);
	assert_true(e->b.masked);
	nx_gate_rte(&e->g, 6, false, true, 0x31, 40);
	assert_false(e->b.masked);
	assert_int_equal(e->delivered[6], 0);

	/* A second attach on a busy line or a bad pin is an error. */
	assert_int_not_equal(nx_gate_attach(&e->g, 6, &e->a.s, 50), 0);
	assert_int_not_equal(nx_gate_attach(&e->g, 99, &e->a.s, 50), 0);
}

/* Rule 3: reset/shutdown masks everything and drops pending state. */
static void test_reset_masks_and_drops(void **state)
{
	struct env *e = *state;

	ready(e);
	fire(e, &e->a, 5, 0);			/* in service */
	nx_gate_set_line(&e->g, 6, true, 0);	/* b: trigger seen... */
	e->b.asserted = false;			/* ...then dropped by reset */
	nx_gate_reset(&e->g);
	assert_true(e->a.masked);
	assert_true(e->b.masked);
	assert_false(e->g.lines[5].in_service);
	assert_true(e->g.lines[5].guest_masked);
	assert_true(e->g.lines[5].dropped >= 1);

	/* The old EOI arriving late is ignored; nothing is replayed. */
	e->a.asserted = false;
	assert_int_equal(nx_gate_eoi(&e->g, 0x30, 10), 0);
	int before = e->delivered[5] + e->delivered[6];
	nx_gate_rte(&e->g, 5, false, true, 0x30, 20);
	nx_gate_rte(&e->g, 6, false, true, 0x31, 20);
	assert_int_equal(e->delivered[5] + e->delivered[6], before);
	assert_false(e->a.masked);
	assert_false(e->b.masked);
}

/* Rule 4: storm control, per line, others keep being served. */
static void test_storm_backoff(void **state)
{
	struct env *e = *state;
	struct nx_storm_cfg cfg = { .budget = 5, .window_ms = 100, .backoff_ms = 50 };
	uint64_t t = 0;

	ready(e);
	nx_gate_set_storm(&e->g, 5, &cfg);
	fire(e, &e->a, 5, t);				/* 1 */
	for (int i = 0; i < 4; i++)
		nx_gate_eoi(&e->g, 0x30, t += MS);	/* 2..5 */
	assert_int_equal(e->delivered[5], 5);
	nx_gate_eoi(&e->g, 0x30, t += MS);		/* 6th: over budget */
	assert_int_equal(e->delivered[5], 5);
	assert_true(e->g.lines[5].backoff);
	assert_true(e->a.masked);
	assert_int_equal(e->g.lines[5].storms, 1);
	assert_int_equal(e->reports, 1);
	assert_int_equal(e->backoff_deadline[5], t + 50 * MS);

	/* The other line is served during the back-off. */
	fire(e, &e->b, 6, t + MS);
	assert_int_equal(e->delivered[6], 1);
	e->b.asserted = false;
	nx_gate_eoi(&e->g, 0x31, t + 2 * MS);
	assert_false(e->b.masked);

	/* Retriggers during the back-off are held; an early timer is ignored. */
	nx_gate_set_line(&e->g, 5, true, t + 3 * MS);
	nx_gate_backoff_expired(&e->g, 5, t + 10 * MS);
	assert_int_equal(e->delivered[5], 5);
	assert_true(e->a.masked);
	nx_gate_backoff_expired(&e->g, 5, t + 50 * MS);
	assert_false(e->g.lines[5].backoff);
	assert_int_equal(e->delivered[5], 6);		/* still asserted: delivered */
	assert_int_equal(e->reports, 1);		/* one report per storm */

	/* Deliveries within budget in a later window start no storm. */
	t += 200 * MS;
	e->a.asserted = false;
	nx_gate_eoi(&e->g, 0x30, t);
	for (int i = 0; i < 5; i++) {
		fire(e, &e->a, 5, t += 30 * MS);
		e->a.asserted = false;
		nx_gate_eoi(&e->g, 0x30, t + 1);
	}
	assert_int_equal(e->g.lines[5].storms, 1);
}

/* The source dies: the line is masked and reported, nothing else stops. */
static void test_detach_source_gone(void **state)
{
	struct env *e = *state;

	ready(e);
	fire(e, &e->a, 5, 0);
	nx_gate_detach(&e->g, 5);
	assert_true(e->g.lines[5].gone);
	assert_null(e->g.lines[5].src);
	assert_int_equal(e->reports, 1);
	nx_gate_set_line(&e->g, 5, true, 10);
	nx_gate_eoi(&e->g, 0x30, 20);
	assert_int_equal(e->delivered[5], 1);
	assert_true(nx_gate_line_used(&e->g.lines[5]));
	fire(e, &e->b, 6, 30);
	assert_int_equal(e->delivered[6], 1);
}

/* In-process lines without a host source: IOAPIC edge and level semantics. */
static void test_plain_lines(void **state)
{
	struct env *e = *state;

	/* Edge (ISA, e.g. COM1): one interrupt per rising edge. */
	nx_gate_rte(&e->g, 4, false, false, 0x24, 0);
	nx_gate_set_line(&e->g, 4, true, 1);
	nx_gate_set_line(&e->g, 4, true, 2);
	assert_int_equal(e->delivered[4], 1);
	nx_gate_set_line(&e->g, 4, false, 3);
	nx_gate_set_line(&e->g, 4, true, 4);
	assert_int_equal(e->delivered[4], 2);

	/* Level: remote IRR until EOI; still high at EOI -> again. */
	nx_gate_rte(&e->g, 9, false, true, 0x29, 0);
	nx_gate_set_line(&e->g, 9, true, 10);
	nx_gate_set_line(&e->g, 9, true, 11);
	assert_int_equal(e->delivered[9], 1);
	nx_gate_eoi(&e->g, 0x29, 20);
	assert_int_equal(e->delivered[9], 2);
	nx_gate_set_line(&e->g, 9, false, 21);
	nx_gate_eoi(&e->g, 0x29, 30);
	assert_int_equal(e->delivered[9], 2);
	assert_int_equal(e->g.delivered_total, 4);
}

/* The EOI wait lands in its log2 bucket. */
static void test_eoi_histogram(void **state)
{
	struct env *e = *state;

	ready(e);
	fire(e, &e->a, 5, 5000);
	e->a.asserted = false;
	nx_gate_eoi(&e->g, 0x30, 6000);		/* 1000 ns: [512, 1024) */
	assert_int_equal(e->g.lines[5].eoi_hist[9], 1);
	fire(e, &e->a, 5, 10000);
	e->a.asserted = false;
	nx_gate_line_eoi(&e->g, 5, 10001);	/* resamplefd path, 1 ns */
	assert_int_equal(e->g.lines[5].eoi_hist[0], 1);
	assert_false(nx_gate_line_eoi(&e->g, 5, 10002));
}

/* KVM refuses a level delivery: the line stays masked, not in service,
 * and the guest's next unmask retries it. */
static void test_refused_delivery(void **state)
{
	struct env *e = *state;

	ready(e);
	e->refuse = true;
	fire(e, &e->a, 5, 0);
	assert_false(e->g.lines[5].in_service);
	assert_true(e->a.masked);
	e->refuse = false;
	nx_gate_rte(&e->g, 5, true, true, 0x30, 10);
	nx_gate_rte(&e->g, 5, false, true, 0x30, 20);
	assert_int_equal(e->delivered[5], 1);

	/* nx_gate_resume retries a refused delivery once, and is idempotent
	 * while the line is in service or deasserted. */
	e->a.asserted = false;
	nx_gate_eoi(&e->g, 0x30, 30);
	e->refuse = true;
	fire(e, &e->a, 5, 40);
	e->refuse = false;
	nx_gate_resume(&e->g, 5, 50);
	nx_gate_resume(&e->g, 5, 60);
	assert_int_equal(e->delivered[5], 2);
	assert_true(e->g.lines[5].in_service);
	e->a.asserted = false;
	nx_gate_eoi(&e->g, 0x30, 70);
	nx_gate_resume(&e->g, 5, 80);
	assert_int_equal(e->delivered[5], 2);
	assert_false(e->a.masked);
}

/* irqchip=kernel holds a level delivery in KVM until the EOI; one the guest's
 * masked RTE kept back is withdrawn: not delivered, no EOI awaited, the
 * source held masked (rule 3) and delivered again on the unmask only if it
 * still asserts. */
static void test_withdraw(void **state)
{
	struct env *e = *state;

	ready(e);
	fire(e, &e->a, 5, 0);
	assert_true(e->g.lines[5].in_service);
	nx_gate_rte(&e->g, 5, true, true, 0x30, 10);	/* guest masks: shutdown */
	assert_true(nx_gate_withdraw(&e->g, 5));
	assert_false(nx_gate_withdraw(&e->g, 5));	/* only what is in service */
	assert_false(e->g.lines[5].in_service);
	assert_int_equal(e->g.lines[5].delivered, 0);
	assert_int_equal(e->g.lines[5].withdrawn, 1);
	assert_int_equal(e->g.delivered_total, 0);
	assert_true(e->a.masked);
	e->a.asserted = false;				/* the device quiesced */
	nx_gate_rte(&e->g, 5, false, true, 0x30, 20);
	assert_int_equal(e->delivered[5], 1);		/* not replayed */
	assert_false(e->a.masked);
	fire(e, &e->a, 5, 30);				/* a fresh one is delivered */
	assert_int_equal(e->delivered[5], 2);
	assert_int_equal(e->g.lines[5].delivered, 1);
}

/* A kfire line (KVM delivers the automasking source's fire through an irqfd
 * on the pin's route): the source masks itself on fire; the gate accounts
 * the delivery at the EOI and opens the source again only then (rule 1),
 * never while the guest masks the RTE (rule 3), holds it past the storm
 * budget (rule 4), and never delivers itself (KVM re-delivers on a re-fire).
 * Without the kfire handling an EOI matched nothing and the line hung. */
static void kernel_fire(struct fake_src *f)
{
	f->asserted = true;
	f->masked = true;		/* VFIO INTx automask, in the host handler */
}

static void test_kfire_line(void **state)
{
	struct env *e = *state;
	struct nx_storm_cfg sc = { .budget = 3, .window_ms = 10, .backoff_ms = 5 };

	e->a.s.automask = true;
	ready(e);
	nx_gate_set_kfire(&e->g, 5, true, 0);
	assert_true(e->g.lines[5].kfire);
	assert_false(e->a.masked);
	/* Fire, EOI while still asserted: opened once; the gate itself
	 * delivers nothing (the source re-fires into KVM by itself). */
	kernel_fire(&e->a);
	assert_int_equal(nx_gate_eoi(&e->g, 0x30, 1 * MS), 1);
	assert_false(e->a.masked);
	assert_int_equal(e->a.unmasks, 2);	/* the guest's unmask, then this EOI */
	assert_int_equal(e->delivered[5], 0);
	assert_int_equal(e->g.lines[5].delivered, 1);
	assert_int_equal(e->g.lines[5].delivered_by_kvm, 1);
	assert_int_equal(e->g.lines[5].eois, 1);
	assert_false(e->unmasked_at_delivery);
	/* Another vector's EOI does not open it. */
	kernel_fire(&e->a);
	assert_int_equal(nx_gate_eoi(&e->g, 0x31, 2 * MS), 0);
	assert_true(e->a.masked);
	/* Oneshot handler: the guest masks the RTE, then EOIs: stays masked
	 * until the guest unmasks. */
	nx_gate_rte(&e->g, 5, true, true, 0x30, 3 * MS);
	assert_int_equal(nx_gate_eoi(&e->g, 0x30, 3 * MS), 1);
	assert_true(e->a.masked);
	nx_gate_rte(&e->g, 5, false, true, 0x30, 4 * MS);
	assert_false(e->a.masked);
	/* Storm: past 3 per 10 ms the EOI leaves the source masked and arms
	 * the back-off; its expiry opens it again. */
	nx_gate_set_storm(&e->g, 5, &sc);
	for (int i = 0; i < 3; i++) {
		kernel_fire(&e->a);
		nx_gate_eoi(&e->g, 0x30, 20 * MS);	/* a new window */
		assert_false(e->a.masked);
	}
	kernel_fire(&e->a);
	nx_gate_eoi(&e->g, 0x30, 21 * MS);
	assert_true(e->a.masked);
	assert_true(e->g.lines[5].backoff);
	assert_int_equal(e->g.lines[5].storms, 1);
	assert_int_equal(e->backoff_deadline[5], 26 * MS);
	nx_gate_eoi(&e->g, 0x30, 22 * MS);		/* a stray EOI in the back-off */
	assert_true(e->a.masked);
	nx_gate_backoff_expired(&e->g, 5, 26 * MS);
	assert_false(e->a.masked);
	/* Reset: masked, and an EOI then (RTEs masked) does not open it. */
	nx_gate_reset(&e->g);
	assert_true(e->a.masked);
	nx_gate_eoi(&e->g, 0x30, 27 * MS);
	assert_true(e->a.masked);
}

/* Leaving kfire (the RTE turned edge, the route went): a fire KVM took
 * without an EOI to come must not leave the line dead: the gate masks the
 * source for certain and, if it still asserts, delivers itself. */
static void test_kfire_off(void **state)
{
	struct env *e = *state;

	e->a.s.automask = true;
	ready(e);
	nx_gate_set_kfire(&e->g, 5, true, 0);
	kernel_fire(&e->a);
	nx_gate_set_kfire(&e->g, 5, false, 1 * MS);
	assert_false(e->g.lines[5].kfire);
	assert_int_equal(e->delivered[5], 1);	/* delivered by the gate now */
	assert_true(e->a.masked);
	assert_false(e->unmasked_at_delivery);
	assert_int_equal(nx_gate_eoi(&e->g, 0x30, 2 * MS), 1);
	e->a.asserted = false;
	assert_int_equal(nx_gate_eoi(&e->g, 0x30, 3 * MS), 1);
	assert_false(e->a.masked);
	/* A detached source's line completes no EOI. */
	nx_gate_set_kfire(&e->g, 6, true, 0);
	assert_true(e->g.lines[6].kfire);
	nx_gate_detach(&e->g, 6);
	assert_int_equal(nx_gate_eoi(&e->g, 0x31, 4 * MS), 0);
}

static void test_storm_parse(void **state)
{
	struct nx_storm_cfg c;

	nx_storm_defaults(&c);
	assert_int_equal(c.budget, NX_STORM_DEFAULT_BUDGET);
	assert_int_equal(nx_storm_parse(&c, "foo=1 storm_budget=3,storm_window_ms=10 storm_backoff_ms=20", "test"), 0);
	assert_int_equal(c.budget, 3);
	assert_int_equal(c.window_ms, 10);
	assert_int_equal(c.backoff_ms, 20);
	assert_int_equal(nx_storm_parse(&c, "storm_budget=0", "test"), 0);	/* off */
	assert_int_equal(c.budget, 0);
	assert_int_not_equal(nx_storm_parse(&c, "storm_budget=abc", "test"), 0);
	assert_int_not_equal(nx_storm_parse(&c, "storm_budget=-1", "test"), 0);
	assert_int_not_equal(nx_storm_parse(&c, "storm_budget=5 storm_window_ms=0", "test"), 0);
	assert_int_equal(c.budget, 0);		/* unchanged on error */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_level_masked_before_delivery, setup, teardown),
		cmocka_unit_test_setup_teardown(test_redelivery_once_per_eoi, setup, teardown),
		cmocka_unit_test_setup_teardown(test_follows_guest_rte, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mask_until_ready, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset_masks_and_drops, setup, teardown),
		cmocka_unit_test_setup_teardown(test_storm_backoff, setup, teardown),
		cmocka_unit_test_setup_teardown(test_detach_source_gone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plain_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_eoi_histogram, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused_delivery, setup, teardown),
		cmocka_unit_test_setup_teardown(test_withdraw, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kfire_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kfire_off, setup, teardown),
		cmocka_unit_test(test_storm_parse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

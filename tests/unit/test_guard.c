/* SPDX-License-Identifier: MIT */
/*
 * test_guard - the exitless storm guard's decision (passthrough/guard.c):
 * gate over budget, hold for the back-off, return only after a calm
 * back-off (half the budget), extend otherwise; its option parser; and the
 * /proc/interrupts reader that gives a VFIO vector's host count.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "passthrough/passthrough.h"

static const struct nx_guard_cfg cfg = { .budget = 100, .window_ms = 10, .backoff_ms = 50 };

static void test_below_budget_stays_exitless(void **state)
{
	struct nx_guard_state s = { 0 };
	uint64_t c = 1000;

	assert_int_equal(nx_guard_tick(&s, &cfg, c, 0), NX_GUARD_NONE);	/* primes */
	for (int t = 1; t <= 100; t++) {
		c += 100;	/* exactly the budget: allowed */
		assert_int_equal(nx_guard_tick(&s, &cfg, c, (uint64_t)t * 10), NX_GUARD_NONE);
	}
	assert_false(s.gated);
	assert_int_equal(s.peak_window, 100);
}

static void test_storm_gates_then_returns_after_calm_backoff(void **state)
{
	struct nx_guard_state s = { 0 };
	uint64_t c = 0, t = 0;

	nx_guard_tick(&s, &cfg, c, t);
	c += 101;
	t += 10;
	assert_int_equal(nx_guard_tick(&s, &cfg, c, t), NX_GUARD_GATE);
	assert_true(s.gated);
	/* Calm at once, but the back-off runs its course. */
	for (int i = 0; i < 4; i++) {
		t += 10;
		assert_int_equal(nx_guard_tick(&s, &cfg, c, t), NX_GUARD_NONE);
	}
	t += 10;
	c += 50;	/* half the budget: calm enough */
	assert_int_equal(nx_guard_tick(&s, &cfg, c, t), NX_GUARD_UNGATE);
	assert_false(s.gated);
}

static void test_storm_that_goes_on_extends(void **state)
{
	struct nx_guard_state s = { 0 };
	uint64_t c = 0, t = 0;
	int ext = 0;

	nx_guard_tick(&s, &cfg, c, t);
	for (int i = 1; i <= 30; i++) {
		enum nx_guard_action a;

		c += i < 2 ? 1000 : 51;	/* above half the budget: still stormy */
		t += 10;
		a = nx_guard_tick(&s, &cfg, c, t);
		assert_int_not_equal(a, NX_GUARD_UNGATE);
		ext += a == NX_GUARD_EXTEND;
	}
	assert_true(s.gated);
	assert_int_equal(ext, 5);	/* one per 50 ms */
	assert_int_equal(s.peak_window, 1000);
}

/* The timer shares the event loop: a tick handled late covers two windows.
 * The budget is a rate per window, not a count per look. */
static void test_late_tick_counts_per_window(void **state)
{
	struct nx_guard_state s = { 0 };
	uint64_t c = 0, t = 0;

	nx_guard_tick(&s, &cfg, c, t);
	c += 150;	/* 75 per window over two windows: within budget */
	t += 20;
	assert_int_equal(nx_guard_tick(&s, &cfg, c, t), NX_GUARD_NONE);
	assert_int_equal(s.last_window, 75);
	c += 250;	/* 125 per window: a storm, late tick or not */
	t += 20;
	assert_int_equal(nx_guard_tick(&s, &cfg, c, t), NX_GUARD_GATE);
	assert_int_equal(s.peak_window, 125);
	/* A calm back-off (50 per window, half the budget) with one late look
	 * at two windows' 100 returns on time instead of extending. */
	for (int i = 0; i < 3; i++) {
		c += 50;
		t += 10;
		assert_int_equal(nx_guard_tick(&s, &cfg, c, t), NX_GUARD_NONE);
	}
	c += 100;
	t += 20;
	assert_int_equal(nx_guard_tick(&s, &cfg, c, t), NX_GUARD_UNGATE);
	/* A tick a little early or late is still one window. */
	c += 100;
	t += 14;
	assert_int_equal(nx_guard_tick(&s, &cfg, c, t), NX_GUARD_NONE);
	assert_int_equal(s.last_window, 100);
	c += 101;
	t += 6;
	assert_int_equal(nx_guard_tick(&s, &cfg, c, t), NX_GUARD_GATE);
}

static void test_budget_zero_never_gates(void **state)
{
	struct nx_guard_cfg off = cfg;
	struct nx_guard_state s = { 0 };

	off.budget = 0;
	nx_guard_tick(&s, &off, 0, 0);
	assert_int_equal(nx_guard_tick(&s, &off, 1000000, 10), NX_GUARD_NONE);
}

static void test_source_restart_reprimes(void **state)
{
	struct nx_guard_state s = { 0 };

	nx_guard_tick(&s, &cfg, 5000, 0);
	/* A count that went back (host IRQ re-requested) is no storm. */
	assert_int_equal(nx_guard_tick(&s, &cfg, 3, 10), NX_GUARD_NONE);
	assert_int_equal(nx_guard_tick(&s, &cfg, 50, 20), NX_GUARD_NONE);
}

static void test_parse(void **state)
{
	struct nx_guard_cfg c;

	assert_int_equal(nx_guard_parse("", &c, "d"), 0);
	assert_int_equal(c.budget, NX_GUARD_BUDGET);
	assert_int_equal(c.window_ms, NX_GUARD_WINDOW_MS);
	assert_int_equal(c.backoff_ms, NX_GUARD_BACKOFF_MS);
	assert_int_equal(nx_guard_parse("wait=poll msi_budget=20 msi_window_ms=5 msi_backoff_ms=300",
					&c, "d"), 0);
	assert_int_equal(c.budget, 20);
	assert_int_equal(c.window_ms, 5);
	assert_int_equal(c.backoff_ms, 300);
	assert_int_equal(nx_guard_parse("msi_budget=0", &c, "d"), 0);
	assert_int_equal(c.budget, 0);
	assert_int_equal(nx_guard_parse("msi_budget=-1", &c, "d"), -1);
	assert_int_equal(nx_guard_parse("msi_budget=12x", &c, "d"), -1);
	assert_int_equal(nx_guard_parse("msi_window_ms=0", &c, "d"), -1);
	assert_int_equal(nx_guard_parse("msi_backoff_ms=99999999999", &c, "d"), -1);
	/* A key that merely ends like one is not it. */
	assert_int_equal(nx_guard_parse("xmsi_budget=7", &c, "d"), 0);
	assert_int_equal(c.budget, NX_GUARD_BUDGET);
}

static void test_host_irq_count(void **state)
{
	const char *text =
		"           CPU0       CPU1       \n"
		"  0:         35          0   IO-APIC   2-edge      timer\n"
		" 45:       1200         34   PCI-MSI 49152-edge      vfio-msi[0](0000:00:03.0)\n"
		" 46:          7          8   PCI-MSIX-0000:00:04.0 0-edge  vfio-msix[0](0000:00:04.0)\n"
		" 47:          1          2   PCI-MSIX-0000:00:04.0 1-edge  vfio-msix[1](0000:00:04.0)\n"
		" 48:         99          0   PCI-MSI 1-edge      xvfio-msi[0](0000:00:03.0)\n"
		"NMI:          0          0   Non-maskable interrupts";

	assert_int_equal(nx_host_irq_count(text, "vfio-msi[0](0000:00:03.0)"), 1234);
	assert_int_equal(nx_host_irq_count(text, "vfio-msix[0](0000:00:04.0)"), 15);
	assert_int_equal(nx_host_irq_count(text, "vfio-msix[1](0000:00:04.0)"), 3);
	assert_int_equal(nx_host_irq_count(text, "vfio-msix[2](0000:00:04.0)"), 0);
	assert_int_equal(nx_host_irq_count("", "vfio-msi[0](0000:00:03.0)"), 0);
	/* The last line without its newline counts too. */
	assert_int_equal(nx_host_irq_count(" 9: 5 6 x vfio-msi[0](b)", "vfio-msi[0](b)"), 11);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_below_budget_stays_exitless),
		cmocka_unit_test(test_storm_gates_then_returns_after_calm_backoff),
		cmocka_unit_test(test_storm_that_goes_on_extends),
		cmocka_unit_test(test_late_tick_counts_per_window),
		cmocka_unit_test(test_budget_zero_never_gates),
		cmocka_unit_test(test_source_restart_reprimes),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_host_irq_count),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

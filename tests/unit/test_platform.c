/* SPDX-License-Identifier: MIT */
/*
 * test_platform.c - the ACPI fixed-feature power button (core/x86/platform.c,
 * ACPI 6.4 4.8.2.2.1 and 4.8.3.1) as the guest's OSPM sees it through PM1a:
 * a press sets PWRBTN_STS; the SCI (GSI 9) is asserted exactly while
 * PWRBTN_STS and PWRBTN_EN are both set; writing 1 to the status bit clears
 * it and drops the line; the press reports whether the guest listens.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include "core/vm.h"
#include "core/x86/x86.h"

#define PWRBTN (1u << 8)

static int sci_level = -1, sci_changes;

static void set_line(void *op, unsigned gsi, bool level)
{
	if (gsi == NX_ACPI_SCI_IRQ) {
		sci_level = level;
		sci_changes++;
	}
}

static uint16_t in16(struct nx_vm *vm, uint16_t port)
{
	uint8_t d[2] = { 0 };

	nx_bus_access(&vm->pio, port, d, 2, false, NULL);
	return (uint16_t)(d[0] | d[1] << 8);
}

static void out16(struct nx_vm *vm, uint16_t port, uint16_t v)
{
	uint8_t d[2] = { (uint8_t)v, (uint8_t)(v >> 8) };

	nx_bus_access(&vm->pio, port, d, 2, true, NULL);
}

static void test_power_button(void **state)
{
	static struct nx_vm vm;
	static struct nx_config cfg;

	nx_config_defaults(&cfg);
	vm.cfg = &cfg;
	nx_bus_init(&vm.pio);
	nx_bus_init(&vm.mmio);
	vm.irq.set_line = set_line;
	assert_int_equal(nx_platform_init(&vm), 0);
	assert_non_null(vm.power_button);

	/* Nobody listens yet (PWRBTN_EN clear): the press is latched, no SCI. */
	assert_false(vm.power_button(vm.power_button_opaque));
	assert_int_equal(in16(&vm, NX_PORT_PM1A_EVT) & PWRBTN, PWRBTN);
	assert_int_equal(sci_changes, 0);
	/* OSPM clears the stale status, then enables the event. */
	out16(&vm, NX_PORT_PM1A_EVT, PWRBTN);
	assert_int_equal(in16(&vm, NX_PORT_PM1A_EVT) & PWRBTN, 0);
	out16(&vm, NX_PORT_PM1A_EVT + 2, PWRBTN);
	assert_int_equal(in16(&vm, NX_PORT_PM1A_EVT + 2), PWRBTN);
	assert_int_equal(sci_changes, 0);
	/* A press now raises the SCI and says the guest listens. */
	assert_true(vm.power_button(vm.power_button_opaque));
	assert_int_equal(sci_level, 1);
	/* A second press while pending: still one assertion. */
	assert_true(vm.power_button(vm.power_button_opaque));
	assert_int_equal(sci_changes, 1);
	/* Writing 0 to the status changes nothing; 1 clears it and drops the SCI. */
	out16(&vm, NX_PORT_PM1A_EVT, 0);
	assert_int_equal(sci_level, 1);
	out16(&vm, NX_PORT_PM1A_EVT, PWRBTN);
	assert_int_equal(sci_level, 0);
	assert_int_equal(sci_changes, 2);
	/* Disabling the event with the status pending also drops the line. */
	assert_true(vm.power_button(vm.power_button_opaque));
	assert_int_equal(sci_level, 1);
	out16(&vm, NX_PORT_PM1A_EVT + 2, 0);
	assert_int_equal(sci_level, 0);
	assert_false(vm.power_button(vm.power_button_opaque));
	/* SCI_EN always reads set: the machine is in ACPI mode. */
	assert_int_equal(in16(&vm, NX_PORT_PM1A_CNT) & 1, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_power_button),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

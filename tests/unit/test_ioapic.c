/* SPDX-License-Identifier: MIT */
/*
 * test_ioapic.c - the 82093AA register model: indirect access, ID/VER/ARB,
 * RTE read/write with read-only bits, Remote IRR for level vs edge, masks,
 * EOI broadcast and the MSI each RTE becomes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include "fallback/x86/x86_fb.h"
#include "core/arch.h"

struct env {
	struct nx_ioapic io;
	int changes;
	unsigned last_pin;
	uint64_t last_old, last_new;
};

static void changed(void *o, unsigned pin, uint64_t old, uint64_t new)
{
	struct env *e = o;

	e->changes++;
	e->last_pin = pin;
	e->last_old = old;
	e->last_new = new;
}

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));

	nx_ioapic_init(&e->io, e, changed);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	free(*state);
	return 0;
}

static void wr32(struct nx_ioapic *io, uint64_t off, uint32_t v)
{
	nx_ioapic_mmio(io, off, (uint8_t *)&v, 4, true);
}

static uint32_t rd32(struct nx_ioapic *io, uint64_t off)
{
	uint32_t v = 0xdeadbeef;

	nx_ioapic_mmio(io, off, (uint8_t *)&v, 4, false);
	return v;
}

static uint32_t reg_rd(struct nx_ioapic *io, uint32_t reg)
{
	wr32(io, NX_IOAPIC_IOREGSEL, reg);
	return rd32(io, NX_IOAPIC_IOWIN);
}

static void reg_wr(struct nx_ioapic *io, uint32_t reg, uint32_t v)
{
	wr32(io, NX_IOAPIC_IOREGSEL, reg);
	wr32(io, NX_IOAPIC_IOWIN, v);
}

static void test_id_ver_arb(void **state)
{
	struct env *e = *state;

	assert_int_equal(reg_rd(&e->io, NX_IOAPIC_REG_VER), 0x00170011);
	assert_int_equal(reg_rd(&e->io, NX_IOAPIC_REG_ID), 0);
	reg_wr(&e->io, NX_IOAPIC_REG_ID, 0xfa000000);		/* only 27:24 stick */
	assert_int_equal(reg_rd(&e->io, NX_IOAPIC_REG_ID), 0x0a000000);
	assert_int_equal(reg_rd(&e->io, NX_IOAPIC_REG_ARB), 0x0a000000);
	reg_wr(&e->io, NX_IOAPIC_REG_VER, 0);			/* read-only */
	assert_int_equal(reg_rd(&e->io, NX_IOAPIC_REG_VER), 0x00170011);
	assert_int_equal(rd32(&e->io, NX_IOAPIC_IOREGSEL), NX_IOAPIC_REG_VER);
	assert_int_equal(reg_rd(&e->io, 0x3f), 0);		/* past the table */
	assert_int_equal(e->changes, 0);
}

static void test_rte_reset_and_rw(void **state)
{
	struct env *e = *state;

	for (unsigned i = 0; i < NX_IOAPIC_PINS; i++) {
		assert_int_equal(reg_rd(&e->io, 0x10 + 2 * i), 0x10000);	/* masked */
		assert_int_equal(reg_rd(&e->io, 0x11 + 2 * i), 0);
	}
	reg_wr(&e->io, 0x11 + 2 * 7, 0xffffffff);	/* dest: only 63:56 exist */
	assert_int_equal(reg_rd(&e->io, 0x11 + 2 * 7), 0xff000000);
	assert_int_equal(e->last_pin, 7);
	/* RO bits 12 (delivery status) and 14 (remote IRR) ignore writes. */
	reg_wr(&e->io, 0x10 + 2 * 7, 0x0001f941);
	assert_int_equal(reg_rd(&e->io, 0x10 + 2 * 7), 0x0001a941);
	assert_int_equal(e->last_old, 0xff00000000010000ULL);
	assert_int_equal(e->last_new, 0xff0000000001a941ULL);
	assert_int_equal(e->changes, 2);
	assert_true(nx_rte_masked(e->io.rte[7]));
	assert_true(nx_rte_level(e->io.rte[7]));
	assert_int_equal(nx_rte_vector(e->io.rte[7]), 0x41);

	/* Byte-wide select and a narrow IOWIN write merge into the register. */
	uint8_t sel = 0x10 + 2 * 7, b = 0x42;
	nx_ioapic_mmio(&e->io, NX_IOAPIC_IOREGSEL, &sel, 1, true);
	nx_ioapic_mmio(&e->io, NX_IOAPIC_IOWIN, &b, 1, true);
	assert_int_equal(reg_rd(&e->io, 0x10 + 2 * 7), 0x0001a942);

	nx_ioapic_reset(&e->io);
	assert_int_equal(reg_rd(&e->io, 0x10 + 2 * 7), 0x10000);
	assert_int_equal(reg_rd(&e->io, 0x11 + 2 * 7), 0);
}

static void test_msi_composition(void **state)
{
	struct env *e = *state;
	uint64_t addr;
	uint32_t data;

	/* Level, logical destination 0x03, lowest priority, vector 0x41. */
	reg_wr(&e->io, 0x11 + 2 * 3, 0x03000000);
	reg_wr(&e->io, 0x10 + 2 * 3, 0x00008941);
	nx_ioapic_msi(&e->io, 3, &addr, &data);
	assert_int_equal(addr, 0xfee03004ULL);
	assert_int_equal(data, 0xc141);		/* vector | DM 1<<8 | assert | level */
	assert_int_equal(nx_msi_dest(addr), 3);
	assert_int_equal(nx_msi_vector(data), 0x41);

	/* Edge, physical destination 1, fixed, vector 0x22. */
	reg_wr(&e->io, 0x11 + 2 * 4, 0x01000000);
	reg_wr(&e->io, 0x10 + 2 * 4, 0x00000022);
	nx_ioapic_msi(&e->io, 4, &addr, &data);
	assert_int_equal(addr, 0xfee01000ULL);
	assert_int_equal(data, 0x22);

	/* ExtINT (7) and NMI (4) delivery modes pass through. */
	reg_wr(&e->io, 0x10 + 2 * 5, 0x00000700);
	nx_ioapic_msi(&e->io, 5, &addr, &data);
	assert_int_equal(data, 0x700);
	reg_wr(&e->io, 0x10 + 2 * 5, 0x00000400);
	nx_ioapic_msi(&e->io, 5, &addr, &data);
	assert_int_equal(data, 0x400);
}

static void test_remote_irr_level_edge_mask(void **state)
{
	struct env *e = *state;

	assert_int_equal(nx_ioapic_accept(&e->io, 9), -1);	/* masked at reset */
	reg_wr(&e->io, 0x10 + 2 * 9, 0x00008051);		/* level, vector 0x51 */
	assert_int_equal(nx_ioapic_accept(&e->io, 9), 0);
	assert_true(reg_rd(&e->io, 0x10 + 2 * 9) & (1 << 14));	/* remote IRR */
	assert_int_equal(nx_ioapic_accept(&e->io, 9), -2);	/* until EOI */
	/* The guest rewriting the RTE (same mode) keeps remote IRR. */
	reg_wr(&e->io, 0x10 + 2 * 9, 0x00008051);
	assert_true(reg_rd(&e->io, 0x10 + 2 * 9) & (1 << 14));
	assert_int_equal(nx_ioapic_eoi(&e->io, 0x52), 0);
	assert_int_equal(nx_ioapic_eoi(&e->io, 0x51), 1u << 9);
	assert_false(reg_rd(&e->io, 0x10 + 2 * 9) & (1 << 14));
	assert_int_equal(nx_ioapic_accept(&e->io, 9), 0);

	/* EOI broadcast: every level RTE with the vector. */
	reg_wr(&e->io, 0x10 + 2 * 10, 0x00008051);
	assert_int_equal(nx_ioapic_accept(&e->io, 10), 0);
	assert_int_equal(nx_ioapic_eoi(&e->io, 0x51), (1u << 9) | (1u << 10));

	/* The version-0x20 EOI register does the same. */
	assert_int_equal(nx_ioapic_accept(&e->io, 9), 0);
	wr32(&e->io, NX_IOAPIC_EOIR, 0x51);
	assert_false(e->io.rte[9] & NX_RTE_REMOTE_IRR);

	/* Edge: never a remote IRR; switching to edge clears it. */
	reg_wr(&e->io, 0x10 + 2 * 11, 0x00000061);
	assert_int_equal(nx_ioapic_accept(&e->io, 11), 0);
	assert_int_equal(nx_ioapic_accept(&e->io, 11), 0);
	assert_false(e->io.rte[11] & NX_RTE_REMOTE_IRR);
	assert_int_equal(nx_ioapic_accept(&e->io, 9), 0);
	reg_wr(&e->io, 0x10 + 2 * 9, 0x00000051);
	assert_false(e->io.rte[9] & NX_RTE_REMOTE_IRR);

	/* NMI with the trigger bit set: an NMI has no EOI, so the pin is edge
	 * whatever the bit says (82093AA 3.2.4); no remote IRR, no level bits
	 * in the message, one NMI per accept. */
	uint64_t addr;
	uint32_t data;
	reg_wr(&e->io, 0x10 + 2 * 13, 0x00008400);		/* level bit, NMI */
	assert_false(nx_rte_level(e->io.rte[13]));
	assert_int_equal(nx_ioapic_accept(&e->io, 13), 0);
	assert_int_equal(nx_ioapic_accept(&e->io, 13), 0);
	assert_false(e->io.rte[13] & NX_RTE_REMOTE_IRR);
	nx_ioapic_msi(&e->io, 13, &addr, &data);
	assert_int_equal(data, 0x400);
	reg_wr(&e->io, 0x10 + 2 * 13, 0x00008141);		/* level, lowest priority */
	assert_true(nx_rte_level(e->io.rte[13]));

	/* Masking: a masked level pin sends nothing. */
	reg_wr(&e->io, 0x10 + 2 * 12, 0x00018071);
	assert_int_equal(nx_ioapic_accept(&e->io, 12), -1);
	assert_int_equal(nx_ioapic_accept(&e->io, NX_IOAPIC_PINS), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_id_ver_arb, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rte_reset_and_rw, setup, teardown),
		cmocka_unit_test_setup_teardown(test_msi_composition, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remote_irr_level_edge_mask, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: MIT */
/*
 * test_pci.c - PCI bus 0 config space (core/pci.c) through the guest's own
 * doors: 0xCF8/0xCFC port accesses and ECAM, on buses without KVM.
 * BAR sizing (PCI 3.0 6.2.5.1), command decode, MSI (6.8.1) and MSI-X
 * (6.8.2) programming callbacks, INTx pin and line.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "core/vm.h"
#include "core/arch.h"
#include "core/pci.h"
#include "passthrough/passthrough.h"
#include "core/x86/x86.h"

struct fx {
	struct nx_vm *vm;
	struct nx_pci_dev *d;
	int msi_updates, msix_updates, last_msix, bar_maps, bar_unmaps, cmd_calls;
	uint64_t last_map_gpa;
	uint64_t last_io_off;
	uint32_t last_io_val;
};

static void dev_io(void *op, uint64_t off, uint8_t *data, uint32_t len, bool w,
		   struct nx_vcpu *vcpu)
{
	struct fx *f = op;

	f->last_io_off = off;
	if (w)
		memcpy(&f->last_io_val, data, len > 4 ? 4 : len);
	else
		memset(data, 0x5a, len);
}

static struct fx *fx_of(struct nx_pci_dev *d) { return d->priv; }
static void op_bar_map(struct nx_pci_dev *d, int bar, uint64_t gpa, bool on)
{
	if (on) {
		fx_of(d)->bar_maps++;
		fx_of(d)->last_map_gpa = gpa;
	} else {
		fx_of(d)->bar_unmaps++;
	}
}
static void op_msi(struct nx_pci_dev *d) { fx_of(d)->msi_updates++; }
static void op_msix(struct nx_pci_dev *d, int v) { fx_of(d)->msix_updates++; fx_of(d)->last_msix = v; }
static void op_cmd(struct nx_pci_dev *d, uint16_t o, uint16_t n) { fx_of(d)->cmd_calls++; }
static const struct nx_pci_ops ops = { .bar_map = op_bar_map, .msi_update = op_msi,
				       .msix_update = op_msix, .command = op_cmd };

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	f->vm = calloc(1, sizeof(*f->vm));
	nx_bus_init(&f->vm->pio);
	nx_bus_init(&f->vm->mmio);
	f->vm->mem.nregions = 1;
	f->vm->mem.regions[0].size = 256 << 20;
	assert_int_equal(nx_pci_init(f->vm), 0);
	f->d = nx_pci_dev_new(f->vm, "t0", 0x1234, 0x11e8, 0x00ff00, -1);
	assert_non_null(f->d);
	f->d->ops = &ops;
	f->d->priv = f;
	assert_int_equal(nx_pci_add_bar(f->d, 0, 1 << 20, 0, dev_io, f), 0);
	assert_int_equal(nx_pci_add_bar(f->d, 2, 0x1000, NX_PCI_BAR_MEM64, dev_io, f), 0);
	assert_int_equal(nx_pci_add_msi(f->d, 4, true), 0);
	assert_int_equal(nx_pci_add_msix(f->d, 8, 2, 0x0, 0x800), 0);
	assert_int_equal(nx_pci_set_intx(f->d, 0), 0);
	assert_int_equal(nx_pci_dev_register(f->d), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	free(f->d);
	free(f->vm->pci);
	free(f->vm);
	free(f);
	return 0;
}

/* ---- the guest's doors --------------------------------------------------- */
static void outl(struct nx_vm *vm, uint16_t port, uint32_t v)
{
	nx_bus_access(&vm->pio, port, (uint8_t *)&v, 4, true, NULL);
}
static uint32_t inl(struct nx_vm *vm, uint16_t port)
{
	uint32_t v = 0;
	nx_bus_access(&vm->pio, port, (uint8_t *)&v, 4, false, NULL);
	return v;
}
static uint32_t cfg_rd(struct nx_vm *vm, int slot, unsigned off, unsigned len)
{
	uint32_t v = 0;

	outl(vm, 0xcf8, 0x80000000u | slot << 11 | (off & 0xfc));
	nx_bus_access(&vm->pio, 0xcfc + (off & 3), (uint8_t *)&v, len, false, NULL);
	return v;
}
static void cfg_wr(struct nx_vm *vm, int slot, unsigned off, unsigned len, uint32_t v)
{
	outl(vm, 0xcf8, 0x80000000u | slot << 11 | (off & 0xfc));
	nx_bus_access(&vm->pio, 0xcfc + (off & 3), (uint8_t *)&v, len, true, NULL);
}
static uint32_t mmio_rd(struct nx_vm *vm, uint64_t a)
{
	uint32_t v = 0;
	nx_bus_access(&vm->mmio, a, (uint8_t *)&v, 4, false, NULL);
	return v;
}
static void mmio_wr(struct nx_vm *vm, uint64_t a, uint32_t v)
{
	nx_bus_access(&vm->mmio, a, (uint8_t *)&v, 4, true, NULL);
}

/* ---- tests ------------------------------------------------------------- */
static void test_host_bridge_and_empty_slots(void **state)
{
	struct fx *f = *state;

	assert_int_equal(cfg_rd(f->vm, 0, 0, 4), 0x29c08086);
	assert_int_equal(cfg_rd(f->vm, 0, 0x08, 4) >> 8, 0x060000);	/* class: host bridge */
	assert_int_equal(cfg_rd(f->vm, f->d->slot, 0, 4), 0x11e81234);
	assert_int_equal(cfg_rd(f->vm, 31, 0, 4), 0xffffffff);		/* master abort */
	outl(f->vm, 0xcf8, 0x80000000u | f->d->slot << 11 | 1 << 8);	/* function 1 */
	assert_int_equal(inl(f->vm, 0xcfc), 0xffffffff);
	outl(f->vm, 0xcf8, 0x80010000u);				/* bus 1 */
	assert_int_equal(inl(f->vm, 0xcfc), 0xffffffff);
	outl(f->vm, 0xcf8, 0x00000000u | f->d->slot << 11);		/* enable bit clear */
	assert_int_equal(inl(f->vm, 0xcfc), 0xffffffff);
	/* The address latch reads back. */
	outl(f->vm, 0xcf8, 0x80001804u);
	assert_int_equal(inl(f->vm, 0xcf8), 0x80001804u);
}

static void test_ecam_matches_cf8(void **state)
{
	struct fx *f = *state;
	uint64_t base = NX_PCI_ECAM + ((uint64_t)f->d->slot << 15);

	assert_int_equal(mmio_rd(f->vm, base), 0x11e81234);
	assert_int_equal(mmio_rd(f->vm, base + 0x10), cfg_rd(f->vm, f->d->slot, 0x10, 4));
	assert_int_equal(mmio_rd(f->vm, base + 0x100), 0);	/* no extended caps */
	assert_int_equal(mmio_rd(f->vm, NX_PCI_ECAM + (30 << 15)), 0xffffffff);
}

static void test_bars_preassigned_and_sizing(void **state)
{
	struct fx *f = *state;
	int s = f->d->slot;
	uint32_t bar0 = cfg_rd(f->vm, s, 0x10, 4);

	assert_int_equal(bar0, NX_PCI_MMIO_BASE);		/* 1 MiB, 32-bit, first */
	assert_int_equal(cfg_rd(f->vm, s, 0x18, 4) & 0xf, 0x4);	/* 64-bit memory */
	assert_int_equal(cfg_rd(f->vm, s, 0x18, 4) & ~0xfu, NX_PCI_MMIO_BASE + (1 << 20));
	assert_int_equal(cfg_rd(f->vm, s, 0x1c, 4), 0);
	/* Sizing: all ones in, ~(size - 1) | type bits out. */
	cfg_wr(f->vm, s, 0x10, 4, 0xffffffff);
	assert_int_equal(cfg_rd(f->vm, s, 0x10, 4), 0xfff00000);
	cfg_wr(f->vm, s, 0x18, 4, 0xffffffff);
	cfg_wr(f->vm, s, 0x1c, 4, 0xffffffff);
	assert_int_equal(cfg_rd(f->vm, s, 0x18, 4), 0xfffff004);
	assert_int_equal(cfg_rd(f->vm, s, 0x1c, 4), 0xffffffff);
	/* Unimplemented BARs read 0 and stay 0. */
	cfg_wr(f->vm, s, 0x14, 4, 0xffffffff);
	assert_int_equal(cfg_rd(f->vm, s, 0x14, 4), 0);
	cfg_wr(f->vm, s, 0x10, 4, bar0);
	assert_int_equal(cfg_rd(f->vm, s, 0x10, 4), bar0);
	/* Read-only header fields stay. */
	cfg_wr(f->vm, s, 0x00, 4, 0);
	assert_int_equal(cfg_rd(f->vm, s, 0, 4), 0x11e81234);
}

static void test_command_decode_and_move(void **state)
{
	struct fx *f = *state;
	int s = f->d->slot;

	/* Not decoded until the guest enables memory space. */
	assert_int_equal(mmio_rd(f->vm, NX_PCI_MMIO_BASE + 0x20), 0xffffffff);
	assert_int_equal(f->bar_maps, 0);
	cfg_wr(f->vm, s, 0x04, 2, 0x0006);
	assert_int_equal(f->cmd_calls, 1);
	assert_int_equal(f->bar_maps, 2);
	assert_int_equal(mmio_rd(f->vm, NX_PCI_MMIO_BASE + 0x20), 0x5a5a5a5a);
	mmio_wr(f->vm, NX_PCI_MMIO_BASE + 0x60, 7);
	assert_int_equal(f->last_io_off, 0x60);
	assert_int_equal(f->last_io_val, 7);
	/* The guest moves BAR0: the old range goes, the new one decodes. */
	cfg_wr(f->vm, s, 0x10, 4, 0xc8000000);
	assert_int_equal(f->bar_unmaps, 1);
	assert_int_equal(f->last_map_gpa, 0xc8000000);
	assert_int_equal(mmio_rd(f->vm, NX_PCI_MMIO_BASE + 0x20), 0xffffffff);
	assert_int_equal(mmio_rd(f->vm, 0xc8000020), 0x5a5a5a5a);
	/* Sizing while decoded must not map the all-ones pattern. */
	cfg_wr(f->vm, s, 0x10, 4, 0xffffffff);
	assert_int_equal(mmio_rd(f->vm, 0xc8000020), 0xffffffff);
	assert_int_equal(mmio_rd(f->vm, 0xfff00020), 0xffffffff);
	cfg_wr(f->vm, s, 0x10, 4, 0xc8000000);
	assert_int_equal(mmio_rd(f->vm, 0xc8000020), 0x5a5a5a5a);
	/* Memory space off: nothing decoded. */
	cfg_wr(f->vm, s, 0x04, 2, 0x0000);
	assert_int_equal(mmio_rd(f->vm, 0xc8000020), 0xffffffff);
	assert_int_equal(nx_pci_command(f->d), 0);
	/* Status error bits are write-1-to-clear; INTx status follows the device. */
	nx_pci_set_intx_status(f->d, true);
	assert_true(cfg_rd(f->vm, s, 0x06, 2) & 0x08);
	cfg_wr(f->vm, s, 0x06, 2, 0xffff);
	assert_true(cfg_rd(f->vm, s, 0x06, 2) & 0x08);		/* RO, not W1C */
	assert_true(cfg_rd(f->vm, s, 0x06, 2) & 0x10);		/* capability list */
}

static uint8_t find_cap(struct fx *f, uint8_t id)
{
	int s = f->d->slot;

	for (uint8_t p = (uint8_t)cfg_rd(f->vm, s, 0x34, 1), n = 0; p && n < 48; n++) {
		if ((cfg_rd(f->vm, s, p, 1) & 0xff) == id)
			return p;
		p = (uint8_t)cfg_rd(f->vm, s, p + 1, 1);
	}
	return 0;
}

static void test_msi_programming(void **state)
{
	struct fx *f = *state;
	int s = f->d->slot;
	uint8_t c = find_cap(f, 0x05);
	struct nx_msi_msg m;
	uint16_t ctl;

	assert_int_not_equal(c, 0);
	ctl = (uint16_t)cfg_rd(f->vm, s, c + 2, 2);
	assert_true(ctl & 0x80);		/* 64-bit */
	assert_true(ctl & 0x100);		/* per-vector masking */
	assert_int_equal((ctl >> 1) & 7, 2);	/* 4 vectors capable */
	assert_false(nx_pci_msi_enabled(f->d));
	/* The probe's order: address, upper address, data, then enable. */
	cfg_wr(f->vm, s, c + 4, 4, 0xfee01000);
	cfg_wr(f->vm, s, c + 8, 4, 0);
	cfg_wr(f->vm, s, c + 12, 2, 0x41);
	assert_false(nx_pci_msi_enabled(f->d));
	cfg_wr(f->vm, s, c + 2, 2, ctl | 1 | (2 << 4));	/* enable, 4 vectors */
	assert_int_equal(f->d->msi_live_exits, 0);	/* all of it set-up */
	cfg_rd(f->vm, s, c + 12, 2);
	assert_int_equal(f->d->msi_live_exits, 1);	/* enabled: on the path */
	assert_true(f->msi_updates >= 3);
	assert_true(nx_pci_msi_enabled(f->d));
	assert_int_equal(nx_pci_msi_vectors(f->d), 4);
	nx_pci_msi_msg(f->d, 2, &m);
	assert_int_equal(m.addr, 0xfee01000);
	assert_int_equal(m.data, 0x42);		/* vector number in the low bits */
	assert_int_equal(nx_msi_dest(m.addr), 1);
	assert_false(m.masked);
	/* Per-vector mask bit 2. */
	cfg_wr(f->vm, s, c + 16, 4, 0x4);
	nx_pci_msi_msg(f->d, 2, &m);
	assert_true(m.masked);
	nx_pci_msi_msg(f->d, 1, &m);
	assert_false(m.masked);
	/* Address bits 1:0 are reserved zero; the capability id is RO. */
	cfg_wr(f->vm, s, c + 4, 4, 0xfee00003);
	assert_int_equal(cfg_rd(f->vm, s, c + 4, 4), 0xfee00000);
	cfg_wr(f->vm, s, c, 1, 0x11);
	assert_int_equal(cfg_rd(f->vm, s, c, 1) & 0xff, 0x05);
	/* A write that changes nothing calls nobody. */
	{
		int before = f->msi_updates;
		cfg_wr(f->vm, s, c + 4, 4, 0xfee00000);
		assert_int_equal(f->msi_updates, before);
	}
	cfg_wr(f->vm, s, c + 2, 2, ctl);
	assert_false(nx_pci_msi_enabled(f->d));
}

static void test_msix_programming(void **state)
{
	struct fx *f = *state;
	int s = f->d->slot;
	uint8_t c = find_cap(f, 0x11);
	uint64_t tbl = NX_PCI_MMIO_BASE + (1 << 20);
	struct nx_msi_msg m;

	assert_int_not_equal(c, 0);
	assert_int_equal(cfg_rd(f->vm, s, c + 2, 2) & 0x7ff, 7);	/* 8 entries */
	assert_int_equal(cfg_rd(f->vm, s, c + 4, 4), 0x2);		/* BIR 2, offset 0 */
	assert_int_equal(cfg_rd(f->vm, s, c + 8, 4), 0x802);		/* PBA */
	cfg_wr(f->vm, s, 0x04, 2, 0x0006);
	/* Vectors start masked. */
	assert_int_equal(mmio_rd(f->vm, tbl + 3 * 16 + 12), 1);
	mmio_wr(f->vm, tbl + 3 * 16 + 0, 0xfee02000);
	mmio_wr(f->vm, tbl + 3 * 16 + 8, 0x51);
	assert_int_equal(f->last_msix, 3);
	mmio_wr(f->vm, tbl + 3 * 16 + 12, 0);
	assert_int_equal(mmio_rd(f->vm, tbl + 3 * 16 + 8), 0x51);
	nx_pci_msix_msg(f->d, 3, &m);
	assert_int_equal(m.addr, 0xfee02000);
	assert_int_equal(m.data, 0x51);
	assert_false(m.masked);
	assert_false(nx_pci_msix_enabled(f->d));
	cfg_wr(f->vm, s, c + 2, 2, 0xc000);		/* enable + function mask */
	assert_int_equal(f->last_msix, -1);
	assert_true(nx_pci_msix_enabled(f->d));
	nx_pci_msix_msg(f->d, 3, &m);
	assert_true(m.masked);				/* function mask */
	/* Programming the vector (masked, or before enable) is set-up: no
	 * exit counts as one on its interrupt path. */
	assert_int_equal(f->d->msix_live_exits[3], 0);
	cfg_wr(f->vm, s, c + 2, 2, 0x8000);
	nx_pci_msix_msg(f->d, 3, &m);
	assert_false(m.masked);
	/* Live now: every access to entry 3 is an exit on its path; other
	 * entries (still masked) are not. */
	mmio_rd(f->vm, tbl + 3 * 16 + 8);
	mmio_wr(f->vm, tbl + 3 * 16 + 12, 1);		/* mask: counted (it was live) */
	mmio_wr(f->vm, tbl + 3 * 16 + 12, 0);		/* unmask: set-up again */
	mmio_wr(f->vm, tbl + 2 * 16 + 0, 0xfee00000);
	assert_int_equal(f->d->msix_live_exits[3], 2);
	assert_int_equal(f->d->msix_live_exits[2], 0);
	/* The PBA reads what the device reports; the table is not the device's. */
	f->d->msix_pending = 1u << 3;
	assert_int_equal(mmio_rd(f->vm, tbl + 0x800), 8);
	f->last_io_off = 0;
	mmio_wr(f->vm, tbl + 0x900, 1);
	assert_int_equal(f->last_io_off, 0x900);	/* outside table/PBA: device */
}

static void test_intx_line(void **state)
{
	struct fx *f = *state;
	int s = f->d->slot;

	assert_int_equal(cfg_rd(f->vm, s, 0x3d, 1) & 0xff, 1);		/* INTA# */
	assert_int_equal(cfg_rd(f->vm, s, 0x3c, 1) & 0xff, nx_pci_intx_gsi(s, 0));
	assert_int_equal(nx_pci_intx_line(f->d), nx_pci_intx_gsi(s, 0));
	assert_int_equal(cfg_rd(f->vm, 0, 0x3d, 1) & 0xff, 0);		/* bridge: no pin */
}

static void test_registration_errors(void **state)
{
	struct fx *f = *state;
	struct nx_pci_dev *d = nx_pci_dev_new(f->vm, "dup", 1, 2, 0, f->d->slot);

	assert_non_null(d);
	assert_int_equal(nx_pci_dev_register(d), -1);		/* slot taken */
	assert_int_equal(nx_pci_add_bar(d, 0, 3000 * 4096, 0, NULL, NULL), -1);
	assert_int_equal(nx_pci_add_msi(d, 3, false), -1);
	assert_int_equal(nx_pci_set_intx(d, 4), -1);
	free(d);
}

/* A 64-bit BAR the guest puts at the very top: address + size wraps to 0,
 * which passed the 32-bit hole's "end <= ECAM" check and decoded a range
 * that wraps. */
static void test_bar64_at_top_not_decoded(void **state)
{
	struct fx *f = *state;
	int s = f->d->slot;

	cfg_wr(f->vm, s, 0x04, 2, 0x0006);
	assert_int_equal(f->bar_maps, 2);
	cfg_wr(f->vm, s, 0x18, 4, 0xfffff000);
	cfg_wr(f->vm, s, 0x1c, 4, 0xffffffff);
	assert_false(f->d->bar[2].mapped);
	assert_int_equal(f->bar_maps, 2);
	assert_int_equal(mmio_rd(f->vm, 0xfffffffffffff000ull), 0xffffffff);
	/* The last page of the 64-bit window (4 GiB + 32 GiB here) is fine;
	 * one page on is not. */
	cfg_wr(f->vm, s, 0x18, 4, 0xfffff000);
	cfg_wr(f->vm, s, 0x1c, 4, 0x8);
	assert_true(f->d->bar[2].mapped);
	assert_int_equal(f->last_map_gpa, 0x8fffff000ull);
	cfg_wr(f->vm, s, 0x18, 4, 0x00000000);
	cfg_wr(f->vm, s, 0x1c, 4, 0x9);
	assert_false(f->d->bar[2].mapped);
}

/* Canary of the arrays that follow cfg[] in struct nx_pci_dev. */
static uint32_t sum_after_cfg(const struct nx_pci_dev *d)
{
	uint32_t v = 0;

	for (int i = 0; i < NX_PCI_CFG_SIZE; i++)
		v += d->wmask[i] * 3u + d->w1c[i];
	return v + d->cap_end + (uint32_t)d->bar[0].size;
}

/* A real device's MSI / MSI-X capability near the end of config space
 * (VFIO): claiming it wrote its registers' masks past cfg/wmask/w1c. */
static void test_claim_caps_near_the_end(void **state)
{
	struct fx *f = *state;
	struct nx_pci_dev *d = nx_pci_dev_new(f->vm, "edge", 1, 2, 0, -1);
	uint32_t canary;

	assert_non_null(d);
	d->cfg[0xf4] = 0x05;
	d->cfg[0xf6] = 0x80;			/* 64-bit */
	d->cfg[0xf7] = 0x01;			/* per-vector masking: 24 bytes, to 0x10c */
	d->cfg[0xf8] = 0x11;
	canary = sum_after_cfg(d);
	assert_int_equal(nx_pci_claim_msi(d, 0xf4), -1);
	assert_int_equal(nx_pci_claim_msix(d, 0xf8), -1);
	assert_int_equal(sum_after_cfg(d), canary);
	assert_int_equal(d->msi_cap, 0);
	assert_int_equal(d->msix_cap, 0);
	/* 32-bit without masking is 10 bytes: fits at 0xf4. */
	d->cfg[0xf6] = 0x00;
	d->cfg[0xf7] = 0x00;
	assert_int_equal(nx_pci_claim_msi(d, 0xf4), 0);
	assert_int_equal(d->msi_cap, 0xf4);
	assert_int_equal(nx_pci_claim_msix(d, 0xf4), 0);	/* 12 bytes: 0xf4..0xff */
	/* Found by fuzz_vfio_cfg: Multiple Message Capable 111b (reserved)
	 * made 128 vectors and a 32-bit shift by 128 for the mask bits. */
	d->cfg[0xf6] = 0x0e;			/* MMC = 7 */
	d->cfg[0xf7] = 0x01;			/* per-vector masking, 32-bit: 20 bytes */
	d->cfg[0x80] = 0x05;
	d->cfg[0x82] = 0x0e;
	d->cfg[0x83] = 0x01;
	assert_int_equal(nx_pci_claim_msi(d, 0x80), 0);
	assert_int_equal(d->msi_nvec, 32);
	free(d);
}

/* The guest's view of an assigned function built from device bytes. */
static void test_vfio_cfg_from_device_bytes(void **state)
{
	struct fx *f = *state;
	uint8_t cfg[NX_PCI_CFG_SIZE] = { 0x34, 0x12, 0xe8, 0x11 };
	struct nx_pci_dev *d;
	uint8_t msi = 0xaa;

	/* Chain: 0x34 -> 0x40 (MSI-X) -> 0xf8 (MSI, 64-bit + masking: too long). */
	cfg[0x06] = 0x10;
	cfg[0x34] = 0x40;
	cfg[0x40] = 0x11;
	cfg[0x41] = 0xf8;
	cfg[0x42] = 0x03;			/* 4 vectors */
	cfg[0x44] = 0x02;			/* table in BAR2 at 0 */
	cfg[0x48] = 0x02;
	cfg[0x49] = 0x08;			/* PBA in BAR2 at 0x800 */
	cfg[0xf8] = 0x05;
	cfg[0xfa] = 0x80;
	cfg[0xfb] = 0x01;
	d = nx_vfio_pci_new(f->vm, "vf0", cfg, &msi);
	assert_non_null(d);
	assert_int_equal(msi, 0);
	assert_int_equal(d->msix_cap, 0x40);
	assert_int_equal(d->msix_n, 4);
	assert_int_equal(d->msix_bar, 2);
	assert_int_equal(d->msix_pba, 0x800);
	assert_int_equal(d->cfg[0x00], 0x34);
	free(d);
	/* Pointers into the header, and a chain that loops, end the walk. */
	cfg[0x34] = 0x10;
	assert_int_equal(nx_vfio_find_cap(cfg, 0x05), 0);
	cfg[0x34] = 0x40;
	cfg[0x41] = 0x40;
	assert_int_equal(nx_vfio_find_cap(cfg, 0x05), 0);
	assert_int_equal(nx_vfio_find_cap(cfg, 0x11), 0x40);
	cfg[0x06] = 0;				/* no capability list */
	assert_int_equal(nx_vfio_find_cap(cfg, 0x11), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_host_bridge_and_empty_slots, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ecam_matches_cf8, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bars_preassigned_and_sizing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_command_decode_and_move, setup, teardown),
		cmocka_unit_test_setup_teardown(test_msi_programming, setup, teardown),
		cmocka_unit_test_setup_teardown(test_msix_programming, setup, teardown),
		cmocka_unit_test_setup_teardown(test_intx_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_registration_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bar64_at_top_not_decoded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_claim_caps_near_the_end, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vfio_cfg_from_device_bytes, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

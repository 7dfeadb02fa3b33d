/* SPDX-License-Identifier: MIT */
/*
 * test_arm64_pci - the arm64 ECAM host and config-space emulation of an
 * assigned device (passthrough/arm64/pci.c), with a memfd standing in for
 * the VFIO device fd: its config region at offset 0, a non-mmappable BAR0
 * region at 0x1000. Checks ECAM decoding, pass-through reads and writes,
 * BAR sizing and placement (PCI 3.0 6.2.5.1), the hidden ROM BAR, the
 * interrupt line, the emulated MSI capability, and that a BAR without an
 * mmap is forwarded to the region once memory decoding is on.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>
#include "passthrough/arm64/pci.c"
#include "passthrough/arm64/vfio.c"

#define BAR0_SIZE 0x1000
#define BAR0_REGION 0x1000

struct fx {
	struct nx_config cfg;
	struct nx_vm vm;
	struct nx_a64 a;
	struct nx_a64_pci pci;
	struct nx_a64_vfio_dev d;
};

static void put16(uint8_t *c, unsigned o, uint16_t v) { memcpy(c + o, &v, 2); }
static void put32(uint8_t *c, unsigned o, uint32_t v) { memcpy(c + o, &v, 4); }

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	uint8_t cfg[256] = { 0 }, bar[BAR0_SIZE];
	uint64_t cursor = NX_A64_PCI_MMIO;

	assert_non_null(f);
	/* edu-like: 1234:11e8, MSI capability at 0x40 (64-bit), pin A. */
	put16(cfg, 0x00, 0x1234);
	put16(cfg, 0x02, 0x11e8);
	put16(cfg, 0x06, 0x0010);		/* capabilities list */
	put32(cfg, 0x10, 0x00000000);		/* BAR0: 32-bit memory */
	cfg[0x34] = 0x40;
	cfg[0x3d] = 1;
	cfg[0x40] = 0x05;			/* MSI */
	cfg[0x41] = 0x00;
	put16(cfg, 0x42, 0x0080);		/* 64-bit address capable */
	for (int i = 0; i < BAR0_SIZE; i++)
		bar[i] = (uint8_t)i;

	f->vm.cfg = &f->cfg;
	f->vm.vm_fd = -1;
	nx_bus_init(&f->vm.mmio);
	nx_routes_init(&f->vm);
	f->pci.vm = &f->vm;
	f->pci.a = &f->a;
	f->d.vm = &f->vm;
	f->d.slot = 1;
	f->d.msi_fd = f->d.intx_fd = f->d.unmask_fd = f->d.msi_gsi = -1;
	snprintf(f->d.bdf, sizeof(f->d.bdf), "0000:00:02.0");
	f->d.fd = memfd_create("fake-vfio", 0);
	assert_true(f->d.fd >= 0);
	assert_int_equal(pwrite(f->d.fd, cfg, sizeof(cfg), 0), sizeof(cfg));
	assert_int_equal(pwrite(f->d.fd, bar, sizeof(bar), BAR0_REGION), sizeof(bar));
	f->d.cfg_off = 0;
	memcpy(f->d.cfg, cfg, sizeof(cfg));
	for (int i = 0; i < 6; i++)
		f->d.bar[i].slot = -1;
	f->d.bar[0] = (struct nx_a64_bar){ .dev = &f->d, .size = BAR0_SIZE,
					   .region_off = BAR0_REGION, .slot = -1 };
	assert_int_equal(place_bars(&f->d, &cursor), 0);
	find_msi(&f->d);
	f->pci.dev[1] = &f->d;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	close(f->d.fd);
	free(f);
	return 0;
}

static uint32_t rd(struct fx *f, unsigned slot, unsigned reg, unsigned len)
{
	uint32_t v = 0;

	ecam_io(&f->pci, (uint64_t)slot << 15 | reg, (uint8_t *)&v, len, false, NULL);
	return v;
}

static void wr(struct fx *f, unsigned slot, unsigned reg, unsigned len, uint32_t v)
{
	ecam_io(&f->pci, (uint64_t)slot << 15 | reg, (uint8_t *)&v, len, true, NULL);
}

static void test_ecam_decode(void **state)
{
	struct fx *f = *state;

	assert_int_equal(rd(f, 0, 0, 4), 0xffffffff);		/* empty slot */
	assert_int_equal(rd(f, 1, 0, 4), 0x11e81234);		/* pass-through */
	assert_int_equal(rd(f, 1, 2, 2), 0x11e8);
	assert_int_equal(rd(f, 1, 0x3d, 1), 1);			/* pin A */
	assert_int_equal(rd(f, 1, 1, 2), 0xffff);		/* misaligned */
	/* function 1 of the slot does not exist */
	{
		uint32_t v = 0;
		ecam_io(&f->pci, 1 << 15 | 1 << 12, (uint8_t *)&v, 4, false, NULL);
		assert_int_equal(v, 0xffffffff);
	}
}

static void test_bar_sizing(void **state)
{
	struct fx *f = *state;

	/* nexit placed BAR0 at the start of the window. */
	assert_int_equal(rd(f, 1, 0x10, 4), (uint32_t)NX_A64_PCI_MMIO);
	wr(f, 1, 0x10, 4, 0xffffffff);
	assert_int_equal(rd(f, 1, 0x10, 4), (uint32_t)~(BAR0_SIZE - 1));
	wr(f, 1, 0x10, 4, 0x20000000);
	assert_int_equal(rd(f, 1, 0x10, 4), 0x20000000);
	assert_int_equal(f->d.bar[0].gpa, 0x20000000);
	assert_int_equal(rd(f, 1, 0x14, 4), 0);			/* unimplemented BAR1 */
	wr(f, 1, 0x30, 4, 0xffffffff);
	assert_int_equal(rd(f, 1, 0x30, 4), 0);			/* no ROM */
}

static void test_bar_forwarded(void **state)
{
	struct fx *f = *state;
	uint32_t v = 0;

	/* Memory decoding off: nothing at the BAR. */
	assert_false(nx_bus_access(&f->vm.mmio, NX_A64_PCI_MMIO + 4, (uint8_t *)&v, 4, false, NULL));
	wr(f, 1, 0x04, 2, 0x0006);				/* memory + bus master */
	assert_int_equal(rd(f, 1, 0x04, 2), 0x0006);		/* reached the device */
	assert_true(nx_bus_access(&f->vm.mmio, NX_A64_PCI_MMIO + 4, (uint8_t *)&v, 4, false, NULL));
	assert_int_equal(v, 0x07060504);			/* region bytes 4..7 */
	/* Moving the BAR moves the forwarding. */
	wr(f, 1, 0x10, 4, 0x20000000);
	assert_false(nx_bus_access(&f->vm.mmio, NX_A64_PCI_MMIO + 4, (uint8_t *)&v, 4, false, NULL));
	assert_true(nx_bus_access(&f->vm.mmio, 0x20000008, (uint8_t *)&v, 4, false, NULL));
	assert_int_equal(v, 0x0b0a0908);
	wr(f, 1, 0x04, 2, 0x0000);
	assert_false(nx_bus_access(&f->vm.mmio, 0x20000008, (uint8_t *)&v, 4, false, NULL));
}

static void test_line_and_msi_shadow(void **state)
{
	struct fx *f = *state;
	uint8_t dev[0x50];

	wr(f, 1, 0x3c, 1, 0x24);
	assert_int_equal(rd(f, 1, 0x3c, 1), 0x24);
	assert_int_equal(f->d.msi_cap, 0x40);
	/* Address and data go to nexit's shadow, not to the device. */
	wr(f, 1, 0x44, 4, 0x08090040);
	wr(f, 1, 0x48, 4, 0);
	wr(f, 1, 0x4c, 2, 7);
	assert_int_equal(rd(f, 1, 0x44, 4), 0x08090040);
	assert_int_equal(rd(f, 1, 0x4c, 2), 7);
	assert_int_equal(pread(f->d.fd, dev, sizeof(dev), 0), sizeof(dev));
	assert_int_equal(dev[0x44], 0);
	/* ID and next pointer are read-only; only Enable and MME are writable. */
	wr(f, 1, 0x40, 2, 0xffff);
	assert_int_equal(rd(f, 1, 0x40, 2), 0x0005);
	wr(f, 1, 0x42, 2, 0x0070);				/* MME, Enable off */
	assert_int_equal(rd(f, 1, 0x42, 2), 0x00f0);		/* 64-bit bit kept */
	/* Enabling needs KVM (no VM here): it fails cleanly, MSI stays off. */
	wr(f, 1, 0x42, 2, 0x0001);
	assert_false(f->d.msi_on);
	assert_int_equal(f->d.msi_gsi, -1);			/* route given back */
}

/* An MSI capability near the end of config space: its registers would lie
 * past the 256-byte shadow, where bar[] (host pointer and size) follows;
 * a guest write at ECAM 0x100 reached it. Not offered instead. */
static void test_msi_cap_near_the_end(void **state)
{
	struct fx *f = *state;
	struct nx_a64_bar before = f->d.bar[0];

	f->d.msi_cap = f->d.msi_len = 0;
	f->d.cfg[0x34] = 0xf8;
	f->d.cfg[0xf8] = 0x05;
	f->d.cfg[0xf9] = 0x00;
	f->d.cfg[0xfa] = 0x80;			/* 64-bit */
	f->d.cfg[0xfb] = 0x01;			/* per-vector mask: 24 bytes, to 0x110 */
	find_msi(&f->d);
	assert_int_equal(f->d.msi_cap, 0);
	for (unsigned reg = 0xf8; reg < 0x120; reg += 4)
		wr(f, 1, reg, 4, 0xdeadbeef);
	assert_memory_equal(&f->d.bar[0], &before, sizeof(before));
	/* A 32-bit capability without masking is 10 bytes: fits at 0xf4. */
	f->d.cfg[0x34] = 0xf4;
	f->d.cfg[0xf4] = 0x05;
	f->d.cfg[0xf5] = 0x00;
	f->d.cfg[0xf6] = 0x00;
	f->d.cfg[0xf7] = 0x00;
	find_msi(&f->d);
	assert_int_equal(f->d.msi_cap, 0xf4);
	assert_int_equal(f->d.msi_len, 10);
	wr(f, 1, 0xfc, 4, 0xffffffff);		/* data at 0xfc..0xfd; 0xfe.. is not MSI */
	assert_int_equal(rd(f, 1, 0xfc, 2), 0xffff);
	assert_memory_equal(&f->d.bar[0], &before, sizeof(before));
}

static void uart_io(void *op, uint64_t off, uint8_t *data, uint32_t len, bool w,
		    struct nx_vcpu *vcpu)
{
	if (!w)
		memset(data, 0x55, len);
}

/* The guest puts a BAR over another device's range (the UART): the BAR is
 * not decoded there, and turning decode off again must not remove the
 * range it never registered. */
static void test_bar_over_another_range(void **state)
{
	struct fx *f = *state;
	uint32_t v = 0;

	assert_int_equal(nx_bus_register(&f->vm.mmio, 0x09000000, 0x1000, uart_io, NULL, "uart"), 0);
	wr(f, 1, 0x10, 4, 0x09000000);
	wr(f, 1, 0x04, 2, 0x0006);			/* decode on: overlaps, refused */
	wr(f, 1, 0x04, 2, 0x0000);			/* decode off */
	wr(f, 1, 0x10, 4, 0x20000000);
	wr(f, 1, 0x04, 2, 0x0006);
	wr(f, 1, 0x10, 4, 0x09000000);			/* moved over it while decoded */
	wr(f, 1, 0x04, 2, 0x0000);
	assert_true(nx_bus_access(&f->vm.mmio, 0x09000000, (uint8_t *)&v, 4, false, NULL));
	assert_int_equal(v, 0x55555555);
}

static int open_fds(void)
{
	int n = 0;

	for (int fd = 0; fd < 1024; fd++)
		n += fcntl(fd, F_GETFD) >= 0;
	return n;
}

/* MSI enable that fails half-way (here: VFIO refuses the trigger, the fake
 * device fd is no VFIO device) gives back the GSI and the eventfd. Needs a
 * KVM VM for the route and irqfd steps before it (skipped without). */
static void test_msi_failure_leaks_nothing(void **state)
{
	struct fx *f = *state;
	struct nx_config cfg;
	struct nx_vm *vm = calloc(1, sizeof(*vm));
	int fds;

	if (access("/dev/kvm", R_OK | W_OK) < 0) {
		free(vm);
		skip();
	}
	nx_config_defaults(&cfg);
	cfg.mem_bytes = 2 << 20;
	assert_int_equal(nx_vm_create(vm, &cfg), 0);
	f->d.vm = vm;
	fds = open_fds();
	wr(f, 1, 0x44, 4, 0xfee00000);
	wr(f, 1, 0x42, 2, 0x0001);			/* enable */
	assert_false(f->d.msi_on);
	assert_int_equal(f->d.msi_gsi, -1);
	assert_int_equal(f->d.msi_fd, -1);
	assert_int_equal(open_fds(), fds);
	for (int g = NX_IOAPIC_PINS; g < NX_MAX_GSI; g++)
		assert_false(vm->routes.r[g].used);
	f->d.vm = &f->vm;
	nx_vm_destroy(vm);
	free(vm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ecam_decode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bar_sizing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bar_forwarded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_line_and_msi_shadow, setup, teardown),
		cmocka_unit_test_setup_teardown(test_msi_cap_near_the_end, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bar_over_another_range, setup, teardown),
		cmocka_unit_test_setup_teardown(test_msi_failure_leaks_nothing, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

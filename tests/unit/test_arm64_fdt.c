/* SPDX-License-Identifier: MIT */
/*
 * test_arm64_fdt - the arm64 device tree (core/arm64/fdt.c), built on the
 * host and read back with libfdt: the nodes and cells Linux and the probe
 * rely on (memory, cpus/PSCI, timer PPIs, GICv3 + ITS, UART, ECAM host with
 * msi-map and the INTx interrupt-map that core/arm64/pci.c follows).
 * fdt.c is plain C + libfdt: the unit build links it from libnexit-arm64.a
 * and builds the tree as nexit does (nx_a64_fdt_build, top 2 MiB of RAM).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <cmocka.h>
#include <libfdt.h>
#include "core/arm64/arm64.h"

/* Property values are only 4-byte aligned: no direct 64-bit loads. */
static uint32_t cell(const void *p, int i)
{
	fdt32_t v;
	memcpy(&v, (const char *)p + 4 * i, 4);
	return fdt32_to_cpu(v);
}

static uint64_t cell64(const void *p, int i)
{
	fdt64_t v;
	memcpy(&v, (const char *)p + 8 * i, 8);
	return fdt64_to_cpu(v);
}

#define RAM_SIZE (256ull << 20)

/* Interrupt specifier cells (dt-bindings/interrupt-controller/arm-gic.h, irq.h). */
#define GIC_SPI		0
#define GIC_PPI		1
#define IRQ_LEVEL_HIGH	4

struct fx { struct nx_config cfg; struct nx_vm vm; struct nx_a64 a; const void *fdt; };

/* Guest RAM at NX_A64_RAM (untouched pages cost nothing), the tree in it. */
static struct fx *make(int cpus)
{
	struct fx *f = calloc(1, sizeof(*f));
	uint8_t *ram;

	assert_non_null(f);
	ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		   -1, 0);
	assert_true(ram != MAP_FAILED);
	snprintf(f->cfg.cmdline, sizeof(f->cfg.cmdline), "scenario=hello n=5");
	f->vm.cfg = &f->cfg;
	f->vm.ncpus = cpus;
	f->vm.mem = (struct nx_mem){ .memfd = -1, .base = ram, .size = RAM_SIZE, .nregions = 1 };
	f->vm.mem.regions[0] = (struct nx_mem_region){ NX_A64_RAM, RAM_SIZE, ram, 0 };
	f->a.initrd_gpa = 0x4f000000;
	f->a.initrd_size = 0x1000;
	assert_int_equal(nx_a64_fdt_build(&f->vm, &f->a), 0);
	assert_int_equal(f->a.fdt_gpa, NX_A64_RAM + RAM_SIZE - (2ull << 20));
	f->fdt = ram + (f->a.fdt_gpa - NX_A64_RAM);
	assert_int_equal(fdt_check_header(f->fdt), 0);
	return f;
}

static void done(struct fx *f)
{
	munmap(f->vm.mem.base, RAM_SIZE);
	free(f);
}

static const void *prop(const void *fdt, const char *path, const char *name, int *len)
{
	int off = fdt_path_offset(fdt, path);
	const void *p;

	assert_true(off >= 0);
	p = fdt_getprop(fdt, off, name, len);
	assert_non_null(p);
	return p;
}

static void test_chosen_memory(void **state)
{
	struct fx *f = make(1);
	int len;
	const void *p;

	assert_string_equal(prop(f->fdt, "/chosen", "bootargs", &len), "scenario=hello n=5");
	assert_string_equal(prop(f->fdt, "/chosen", "stdout-path", &len), "/uart@9000000");
	p = prop(f->fdt, "/chosen", "linux,initrd-start", &len);
	assert_int_equal(len, 8);
	assert_int_equal(cell64(p, 0), 0x4f000000);
	p = prop(f->fdt, "/memory@40000000", "reg", &len);
	assert_int_equal(len, 16);
	assert_int_equal(cell64(p, 0), 0x40000000);
	assert_int_equal(cell64(p, 1), 256ull << 20);
	done(f);
}

static void test_cpus_psci(void **state)
{
	struct fx *f = make(2);
	int len;

	assert_string_equal(prop(f->fdt, "/cpus/cpu@1", "enable-method", &len), "psci");
	assert_int_equal(cell(prop(f->fdt, "/cpus/cpu@1", "reg", &len), 0), 1);
	assert_string_equal(prop(f->fdt, "/psci", "compatible", &len), "arm,psci-0.2");
	assert_string_equal(prop(f->fdt, "/psci", "method", &len), "hvc");
	done(f);
}

/* Timer PPIs are given as INTID - 16: secure 29, phys 30, virt 27, hyp 26. */
static void test_timer_ppis(void **state)
{
	struct fx *f = make(1);
	static const uint32_t want[4] = { 13, 14, 11, 10 };
	int len;
	const void *p = prop(f->fdt, "/timer", "interrupts", &len);

	assert_int_equal(len, 12 * 4);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(cell(p, 3 * i), GIC_PPI);
		assert_int_equal(cell(p, 3 * i + 1), want[i]);
		assert_int_equal(cell(p, 3 * i + 2), IRQ_LEVEL_HIGH);
	}
	done(f);
}

static void test_gic_its(void **state)
{
	struct fx *f = make(2);
	int len;
	const void *p = prop(f->fdt, "/intc@8000000", "reg", &len);

	assert_int_equal(len, 32);
	assert_int_equal(cell64(p, 0), NX_A64_GICD);
	assert_int_equal(cell64(p, 2), NX_A64_GICR);
	assert_int_equal(cell64(p, 3), 2 * NX_A64_GICR_STRIDE);
	assert_int_equal(cell(prop(f->fdt, "/intc@8000000", "#interrupt-cells", &len), 0), 3);
	prop(f->fdt, "/intc@8000000/its@8080000", "msi-controller", &len);
	/* Distinct phandles: msi-map and interrupt-map name each by its own. */
	assert_int_not_equal(cell(prop(f->fdt, "/intc@8000000/its@8080000", "phandle", &len), 0),
			     cell(prop(f->fdt, "/intc@8000000", "phandle", &len), 0));
	done(f);
}

static void test_uart(void **state)
{
	struct fx *f = make(1);
	int len;
	const void *p = prop(f->fdt, "/uart@9000000", "interrupts", &len);

	assert_string_equal(prop(f->fdt, "/uart@9000000", "compatible", &len), "ns16550a");
	p = prop(f->fdt, "/uart@9000000", "interrupts", &len);
	assert_int_equal(cell(p, 0), GIC_SPI);
	assert_int_equal(cell(p, 1), NX_A64_UART_SPI);
	done(f);
}

/* msi-map: RID r -> ITS device ID r; interrupt-map: every slot s of bus 0,
 * pin p -> SPI 3 + (s + p - 1) % 4, the rule core/pci.c wires INTx by
 * (nx_a64_pci_intx_spi). */
static void test_pci(void **state)
{
	struct fx *f = make(1);
	int len;
	uint32_t ph_its = cell(prop(f->fdt, "/intc@8000000/its@8080000", "phandle", &len), 0);
	uint32_t ph_gic = cell(prop(f->fdt, "/intc@8000000", "phandle", &len), 0);
	const void *p = prop(f->fdt, "/pcie@3f000000", "msi-map", &len);

	assert_int_equal(len, 16);
	assert_int_equal(cell(p, 0), 0);
	assert_int_equal(cell(p, 1), ph_its);
	assert_int_equal(cell(p, 2), 0);
	assert_int_equal(cell(p, 3), 0x10000);
	assert_string_equal(prop(f->fdt, "/pcie@3f000000", "compatible", &len), "pci-host-ecam-generic");
	p = prop(f->fdt, "/pcie@3f000000", "interrupt-map", &len);
	assert_int_equal(len, NX_PCI_SLOTS * 4 * 10 * 4);
	for (int e = 0; e < NX_PCI_SLOTS * 4; e++) {
		uint32_t slot = cell(p, 10 * e) >> 11, pin = cell(p, 10 * e + 3);

		assert_int_equal(cell(p, 10 * e + 4), ph_gic);
		assert_int_equal(cell(p, 10 * e + 7), GIC_SPI);
		assert_int_equal(slot, e / 4);
		assert_int_equal(cell(p, 10 * e + 8), NX_A64_PCI_INTX_SPI + (slot + pin - 1) % 4);
		assert_int_equal(cell(p, 10 * e + 8), nx_a64_pci_intx_spi(slot, pin - 1));
	}
	/* The edu nexit puts at slot 1, pin A: SPI 4 = INTID 36. */
	assert_int_equal(cell(p, 10 * 4 + 8), 4);
	done(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chosen_memory),
		cmocka_unit_test(test_cpus_psci),
		cmocka_unit_test(test_timer_ppis),
		cmocka_unit_test(test_gic_its),
		cmocka_unit_test(test_uart),
		cmocka_unit_test(test_pci),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

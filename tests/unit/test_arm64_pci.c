/* SPDX-License-Identifier: MIT */
/*
 * test_arm64_pci - the arm64 guest's PCI host (core/pci.c with the arm64
 * host bridge of core/arm64/pci.c) and an assigned function on it
 * (passthrough/vfio.c, the same code as on x86), with a fake VFIO device
 * (tests/unit/fake_vfio.h: a memfd as device fd, the VFIO ioctls answered
 * and recorded). Checks ECAM decoding without mechanism #1, BAR placement
 * and decode in the DT's window only, the interrupt line (INTID) and INTx
 * Disable set until the driver is ready, the emulated MSI-X capability and
 * table: enabling MSI-X hands VFIO every vector's eventfd, an unmasked
 * vector's KVM route carries the ITS doorbell, the event and the requester
 * ID as device ID (KVM_MSI_VALID_DEVID), programming costs no live-path
 * exit; BAR memslots from the allocator (two functions never share one),
 * an I/O BAR not offered (the arm64 host has no I/O space), and the host
 * checks' one-line errors in the order arm64's SMMUv3 needs them.
 */
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <fcntl.h>
#include "tests/unit/fake_vfio.h"
#include <cmocka.h>
#include "core/arm64/arm64.h"
#include "passthrough/vfio.c"
#include "tests/unit/fake_vfio_free.h"

#define MSIX_CAP	0x40
#define BAR4_SIZE	0x4000

struct fx {
	struct nx_config cfg;
	struct nx_vm vm;
	struct nx_pt pt;
	struct fake_vfio fk;
	struct nx_vfio *v[2];
	int fd[2];
};

static void put16(uint8_t *c, unsigned o, uint16_t v) { memcpy(c + o, &v, 2); }
static void put32(uint8_t *c, unsigned o, uint32_t v) { memcpy(c + o, &v, 4); }

/* virtio-net-pci (modern) as QEMU makes it: MSI-X table in BAR1 (4 KiB),
 * the virtio structures in a 64-bit prefetchable BAR4, pin INTA#. */
static void virtio_net_cfg(uint8_t *cfg, bool io_bar0)
{
	memset(cfg, 0, 256);
	put16(cfg, 0x00, 0x1af4);
	put16(cfg, 0x02, 0x1041);
	put16(cfg, 0x06, 0x0010);		/* capabilities list */
	cfg[0x0b] = 0x02;			/* network controller */
	put32(cfg, 0x10, io_bar0 ? 0x1 : 0);	/* BAR0: I/O (legacy) or none */
	put32(cfg, 0x20, 0x0000000c);		/* BAR4: 64-bit prefetchable */
	cfg[0x34] = MSIX_CAP;
	cfg[0x3d] = 1;
	cfg[MSIX_CAP] = 0x11;			/* MSI-X, last capability */
	put16(cfg, MSIX_CAP + 2, 2);		/* 3 vectors */
	put32(cfg, MSIX_CAP + 4, 0x000 | 1);	/* table: BAR1 + 0 */
	put32(cfg, MSIX_CAP + 8, 0x800 | 1);	/* PBA: BAR1 + 0x800 */
}

static struct nx_vfio *add_function(struct fx *f, int k, const char *name, bool io_bar0)
{
	struct nx_device_cfg dc = { 0 };
	struct nx_vfio *v = calloc(1, sizeof(*v));
	uint8_t cfg[256];

	assert_non_null(v);
	virtio_net_cfg(cfg, io_bar0);
	f->fd[k] = memfd_create("fake-vfio", MFD_CLOEXEC);
	assert_true(f->fd[k] >= 0);
	assert_int_equal(ftruncate(f->fd[k], 1 << 20), 0);
	assert_int_equal(pwrite(f->fd[k], cfg, sizeof(cfg), 0), sizeof(cfg));
	snprintf(dc.name, sizeof(dc.name), "%s", name);
	v->pt = &f->pt;
	v->vm = &f->vm;
	v->dev = f->fd[k];
	v->container = v->group_fd = v->intx_trigger = v->intx_unmask = v->irqs.fd = -1;
	snprintf(v->name, sizeof(v->name), "%s", name);
	snprintf(v->bdf, sizeof(v->bdf), "0000:00:0%d.0", k + 1);
	assert_int_equal(vfio_expose(v, &dc), 0);
	return v;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->vm.cfg = &f->cfg;
	f->vm.vm_fd = -1;
	nx_bus_init(&f->vm.mmio);
	nx_bus_init(&f->vm.pio);
	nx_routes_init(&f->vm);
	f->vm.routes.msi_devid = true;		/* what vgic.c sets with an ITS */
	f->vm.mem.nregions = 1;			/* RAM holds slot 0 */
	f->pt.vm = &f->vm;
	f->fk.bar_size[1] = 0x1000;
	f->fk.bar_size[4] = BAR4_SIZE;
	f->fk.bar_mmap[1] = f->fk.bar_mmap[4] = true;
	f->fk.irq_count[VFIO_PCI_INTX_IRQ_INDEX] = 1;
	f->fk.irq_count[VFIO_PCI_MSIX_IRQ_INDEX] = 3;
	fake_dev = &f->fk;
	assert_int_equal(nx_pci_init_arch(&f->vm, &nx_a64_pci_arch), 0);
	f->v[0] = add_function(f, 0, "net", false);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	for (int k = 0; k < 2; k++)
		if (f->v[k]) {
			fake_vfio_free(f->v[k]);
			close(f->fd[k]);
		}
	free(f->vm.pci);
	free(f);
	return 0;
}

static uint32_t rd(struct fx *f, unsigned slot, unsigned reg, unsigned len)
{
	uint32_t v = 0;

	nx_bus_access(&f->vm.mmio, NX_A64_PCI_ECAM + ((uint64_t)slot << 15) + reg, (uint8_t *)&v,
		      len, false, NULL);
	return v;
}

static void wr(struct fx *f, unsigned slot, unsigned reg, unsigned len, uint32_t v)
{
	nx_bus_access(&f->vm.mmio, NX_A64_PCI_ECAM + ((uint64_t)slot << 15) + reg, (uint8_t *)&v,
		      len, true, NULL);
}

static void mmio_wr32(struct fx *f, uint64_t a, uint32_t v)
{
	assert_true(nx_bus_access(&f->vm.mmio, a, (uint8_t *)&v, 4, true, NULL));
}

static void test_host_bridge(void **state)
{
	struct fx *f = *state;
	uint32_t v = 0;

	assert_int_equal(rd(f, 0, 0, 4), 0x00081b36);		/* generic PCIe host */
	assert_int_equal(rd(f, 0, 0x08, 4) >> 8, 0x060000);	/* host bridge class */
	assert_int_equal(rd(f, 5, 0, 4), 0xffffffff);		/* empty slot */
	assert_int_equal(rd(f, 1, 1, 2), 0xffff);		/* misaligned */
	assert_int_equal(rd(f, 1, 0x1000, 4), 0xffffffff);	/* function 1 */
	/* No configuration mechanism #1: arm64 has no I/O ports. */
	assert_false(nx_bus_access(&f->vm.pio, 0xcf8, (uint8_t *)&v, 4, false, NULL));
}

static void test_function_header(void **state)
{
	struct fx *f = *state;
	uint8_t dev[8];

	assert_int_equal(rd(f, 1, 0, 4), 0x10411af4);
	/* nexit placed the BARs in the DT's window, naturally aligned. */
	assert_int_equal(rd(f, 1, 0x14, 4), (uint32_t)NX_A64_PCI_MMIO);
	assert_int_equal(rd(f, 1, 0x20, 4), ((uint32_t)NX_A64_PCI_MMIO + BAR4_SIZE) | 0xc);
	assert_int_equal(rd(f, 1, 0x24, 4), 0);
	wr(f, 1, 0x20, 4, 0xffffffff);				/* sizing */
	assert_int_equal(rd(f, 1, 0x20, 4), (uint32_t)~(BAR4_SIZE - 1) | 0xc);
	wr(f, 1, 0x20, 4, (uint32_t)NX_A64_PCI_MMIO + BAR4_SIZE);
	assert_int_equal(rd(f, 1, 0x30, 4), 0);			/* no ROM */
	/* INTA# of slot 1: SPI 3 + (1 + 0) % 4 = 4, INTID 36 (the DT's interrupt-map). */
	assert_int_equal(rd(f, 1, 0x3d, 1), 1);
	assert_int_equal(rd(f, 1, 0x3c, 1), NX_A64_SPI_BASE + 4);
	assert_int_equal(nx_pci_intx_line(f->v[0]->pci), 4);
	/* Mask until ready: INTx Disable set for the guest and at the device. */
	assert_int_equal(rd(f, 1, 0x04, 2) & 0x400, 0x400);
	assert_int_equal(pread(f->fd[0], dev, sizeof(dev), 0), sizeof(dev));
	assert_int_equal(dev[0x05] & 0x04, 0x04);
	/* The driver's command write reaches the device. */
	wr(f, 1, 0x04, 2, 0x0006);
	assert_int_equal(pread(f->fd[0], dev, sizeof(dev), 0), sizeof(dev));
	assert_int_equal(dev[0x04] | dev[0x05] << 8, 0x0006);
}

static void test_msix(void **state)
{
	struct fx *f = *state;
	struct nx_vfio *v = f->v[0];
	uint64_t table = NX_A64_PCI_MMIO;		/* BAR1 + 0 */
	typeof(f->fk.set[0]) *s;
	struct nx_route *r;

	/* The capability as the device has it: 3 vectors, table and PBA in BAR1. */
	assert_int_equal(rd(f, 1, MSIX_CAP, 1), 0x11);
	assert_int_equal(rd(f, 1, MSIX_CAP + 2, 2), 2);
	assert_int_equal(rd(f, 1, MSIX_CAP + 4, 4), 1);
	assert_int_equal(rd(f, 1, MSIX_CAP + 8, 4), 0x801);
	assert_int_equal(v->msix_count, 3);
	wr(f, 1, 0x04, 2, 0x0006);			/* memory decode, bus master */
	/* Linux's order: enable with the function masked, program, unmask. */
	wr(f, 1, MSIX_CAP + 2, 2, 0xc000);
	s = fake_last_set(&f->fk, VFIO_PCI_MSIX_IRQ_INDEX);
	assert_non_null(s);
	assert_int_equal(s->count, 3);
	assert_int_equal(s->flags, VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER);
	assert_int_equal(s->fd0, v->msix[0].efd);	/* VFIO's trigger = the irqfd */
	for (unsigned i = 0; i < 3; i++) {
		mmio_wr32(f, table + 16 * i + 0, (uint32_t)NX_A64_GITS_TRANSLATER);
		mmio_wr32(f, table + 16 * i + 4, 0);
		mmio_wr32(f, table + 16 * i + 8, 10 + i);	/* event ID */
	}
	wr(f, 1, MSIX_CAP + 2, 2, 0x8000);		/* function mask off */
	mmio_wr32(f, table + 16 * 1 + 12, 0);		/* unmask vector 1 */
	r = &f->vm.routes.r[v->msix[1].gsi];
	assert_true(r->used);
	assert_int_equal(r->type, KVM_IRQ_ROUTING_MSI);
	assert_int_equal(r->flags, KVM_MSI_VALID_DEVID);
	assert_int_equal(r->devid, 1 << 3);		/* requester ID 00:01.0 */
	assert_int_equal(r->addr, NX_A64_GITS_TRANSLATER);
	assert_int_equal(r->data, 11);
	/* Set-up exits only: no vector was live while it was programmed. */
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(v->pci->msix_live_exits[i], 0);
	/* A table read of the live vector is a live-path exit, and counted. */
	{
		uint32_t d = 0;

		assert_true(nx_bus_access(&f->vm.mmio, table + 16 + 8, (uint8_t *)&d, 4, false, NULL));
		assert_int_equal(d, 11);
		assert_int_equal(v->pci->msix_live_exits[1], 1);
	}
	/* Disable: VFIO's MSI-X trigger goes, INTx comes back. */
	wr(f, 1, MSIX_CAP + 2, 2, 0x0000);
	s = fake_last_set(&f->fk, VFIO_PCI_MSIX_IRQ_INDEX);
	assert_int_equal(s->count, 0);
	s = fake_last_set(&f->fk, VFIO_PCI_INTX_IRQ_INDEX);
	assert_non_null(s);
	assert_int_equal(s->count, 1);
}

/* Each mappable BAR of each function gets its own KVM slot, never RAM's;
 * a moved BAR gives its slot back (one device's slot is another's later). */
static void test_memslots(void **state)
{
	struct fx *f = *state;
	uint32_t s0, s1;

	f->v[1] = add_function(f, 1, "net2", false);
	assert_int_equal(f->v[1]->pci->slot, 2);
	wr(f, 1, 0x04, 2, 0x0002);
	wr(f, 2, 0x04, 2, 0x0002);
	/* BAR1 holds the MSI-X table: it traps; BAR4 is a memslot. */
	assert_int_equal(fake_slots_mapped(&f->fk), 2);
	s0 = (uint32_t)f->v[0]->bar[4].slot;
	s1 = (uint32_t)f->v[1]->bar[4].slot;
	assert_true(s0 != 0 && s1 != 0 && s0 != s1);
	assert_int_equal(f->v[0]->bar[1].slot, -1);
	wr(f, 1, 0x04, 2, 0x0000);			/* decode off: slot deleted */
	assert_int_equal(fake_slots_mapped(&f->fk), 1);
	assert_int_equal(f->v[0]->bar[4].slot, -1);
	wr(f, 1, 0x04, 2, 0x0002);
	assert_int_equal(fake_slots_mapped(&f->fk), 2);
	assert_true(f->v[0]->bar[4].slot != (int)s1);
}

/* The arm64 host bridge has no I/O window: an I/O BAR is not offered, the
 * function still is. */
static void test_io_bar_not_offered(void **state)
{
	struct fx *f = *state;

	f->fk.bar_size[0] = 0x20;
	f->v[1] = add_function(f, 1, "legacy", true);
	assert_int_equal(f->v[1]->pci->bar[0].size, 0);
	assert_int_equal(rd(f, 2, 0x10, 4), 0);
	assert_int_equal(rd(f, 2, 0, 4), 0x10411af4);
}

/* ---- host checks (nx_vfio_check_host on a sysfs tree of our own) -------- */
static void mk(const char *root, const char *rel)
{
	char p[512], cmd[600];

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", p);
	assert_int_equal(system(cmd), 0);
}

static void ln(const char *root, const char *target, const char *rel)
{
	char p[512];

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	assert_int_equal(symlink(target, p), 0);
}

/* The one error line nx_vfio_check_host prints (stderr captured). */
static int check(const char *root, char *msg, size_t n)
{
	char group[16];
	int saved = dup(2), tmp = memfd_create("stderr", 0), r;
	ssize_t got;

	fflush(stderr);
	dup2(tmp, 2);
	r = nx_vfio_check_host(root, "0000:00:01.0", group, sizeof(group));
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	got = pread(tmp, msg, n - 1, 0);
	msg[got > 0 ? got : 0] = 0;
	close(tmp);
	return r;
}

/* In the order a user fixes them, one line each, as arm64's SMMUv3 shows
 * them (a device has its IOMMU group only once a driver probed it). */
static void test_host_checks(void **state)
{
	char root[] = "/tmp/nx-sysfs-XXXXXX", msg[1024], p[600];

	(void)state;
	assert_non_null(mkdtemp(root));
	assert_true(check(root, msg, sizeof(msg)) < 0);
	assert_non_null(strstr(msg, "assign 0000:00:01.0: no such PCI device"));
	mk(root, "sys/bus/pci/devices/0000:00:01.0");
	assert_true(check(root, msg, sizeof(msg)) < 0);
	assert_non_null(strstr(msg, "no IOMMU"));
	/* An IOMMU, the device unbound and without a group yet: the driver first. */
	mk(root, "sys/class/iommu/smmu3.0x9050000");
	assert_true(check(root, msg, sizeof(msg)) < 0);
	assert_non_null(strstr(msg, "not bound to vfio-pci (driver: none)"));
	mk(root, "drivers/vfio-pci");
	ln(root, "../../../../drivers/vfio-pci", "sys/bus/pci/devices/0000:00:01.0/driver");
	assert_true(check(root, msg, sizeof(msg)) < 0);
	assert_non_null(strstr(msg, "no IOMMU: the device has no IOMMU group"));
	mk(root, "sys/kernel/iommu_groups/3/devices");
	ln(root, "../../../kernel/iommu_groups/3", "sys/bus/pci/devices/0000:00:01.0/iommu_group");
	snprintf(p, sizeof(p), "%s/sys/kernel/iommu_groups/3/name", root);
	{
		FILE *f = fopen(p, "w");

		assert_non_null(f);
		fputs("vfio-noiommu\n", f);
		fclose(f);
	}
	assert_true(check(root, msg, sizeof(msg)) < 0);
	assert_non_null(strstr(msg, "unsafe no-IOMMU mode"));
	assert_int_equal(unlink(p), 0);
	assert_int_equal(check(root, msg, sizeof(msg)), 0);
	assert_string_equal(msg, "");
	snprintf(p, sizeof(p), "rm -rf '%s'", root);
	assert_int_equal(system(p), 0);
}

static void uart_io(void *op, uint64_t off, uint8_t *data, uint32_t len, bool w,
		    struct nx_vcpu *vcpu)
{
	if (!w)
		memset(data, 0x55, len);
}

/* The guest puts a BAR over another device's range (the UART): outside the
 * window it is not decoded, and decode off does not remove the UART. */
static void test_bar_over_another_range(void **state)
{
	struct fx *f = *state;
	uint32_t v = 0;

	assert_int_equal(nx_bus_register(&f->vm.mmio, NX_A64_UART, 0x1000, uart_io, NULL, "uart"), 0);
	wr(f, 1, 0x14, 4, (uint32_t)NX_A64_UART);
	wr(f, 1, 0x04, 2, 0x0006);
	wr(f, 1, 0x04, 2, 0x0000);
	assert_true(nx_bus_access(&f->vm.mmio, NX_A64_UART, (uint8_t *)&v, 4, false, NULL));
	assert_int_equal(v, 0x55555555);
	assert_false(f->v[0]->pci->bar[1].mapped);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_host_bridge, setup, teardown),
		cmocka_unit_test_setup_teardown(test_function_header, setup, teardown),
		cmocka_unit_test_setup_teardown(test_msix, setup, teardown),
		cmocka_unit_test_setup_teardown(test_memslots, setup, teardown),
		cmocka_unit_test_setup_teardown(test_io_bar_not_offered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bar_over_another_range, setup, teardown),
		cmocka_unit_test(test_host_checks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

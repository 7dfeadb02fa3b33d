/* SPDX-License-Identifier: MIT */
/*
 * fuzz_pci - PCI bus 0 as a hostile guest drives it (core/pci.c): config
 * space through 0xCF8/0xCFC and ECAM (any slot, offset, size, value), BAR
 * sizing and moves, MSI programming, the MSI-X table and PBA inside a BAR,
 * and accesses anywhere in the BAR window, on a function with a 32-bit BAR,
 * MSI with per-vector masking and INTx, and one with a 64-bit BAR holding
 * the MSI-X table and an I/O BAR. Callbacks check that what they are handed
 * is in range.
 */
#include <stdbool.h>
#include "core/vm.h"
#include "core/pci.h"
#include "tests/fuzz/fuzz.h"
#include "core/x86/x86.h"

static void dev_io(void *op, uint64_t off, uint8_t *data, uint32_t len, bool w,
		   struct nx_vcpu *vcpu)
{
	FZ_ASSERT(len >= 1 && len <= 8);
	if (!w)
		memset(data, 0x5a, len);
}

static void op_bar_map(struct nx_pci_dev *d, int bar, uint64_t gpa, bool on)
{
	FZ_ASSERT(bar >= 0 && bar < 6 && d->bar[bar].size);
}

static void op_msi(struct nx_pci_dev *d)
{
	struct nx_msi_msg m;

	for (unsigned v = 0; v < nx_pci_msi_vectors(d); v++)
		nx_pci_msi_msg(d, v, &m);
}

static void op_msix(struct nx_pci_dev *d, int v)
{
	struct nx_msi_msg m;

	FZ_ASSERT(v >= -1 && v < (int)d->msix_n);
	if (v >= 0)
		nx_pci_msix_msg(d, (unsigned)v, &m);
	(void)nx_pci_msix_enabled(d);
}

static void op_cmd(struct nx_pci_dev *d, uint16_t o, uint16_t n) { (void)nx_pci_command(d); }

static const struct nx_pci_ops ops = { .bar_map = op_bar_map, .msi_update = op_msi,
				       .msix_update = op_msix, .command = op_cmd };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = { data, size };
	struct nx_vm *vm = calloc(1, sizeof(*vm));
	struct nx_pci_dev *a, *b;

	nx_bus_init(&vm->pio);
	nx_bus_init(&vm->mmio);
	vm->mem.nregions = 2;
	vm->mem.regions[0] = (struct nx_mem_region){ 0, 3ull << 30, NULL, 0 };
	vm->mem.regions[1] = (struct nx_mem_region){ 4ull << 30, 1ull << 30, NULL, 1 };
	if (nx_pci_init(vm) < 0)
		__builtin_trap();
	a = nx_pci_dev_new(vm, "a", 0x1234, 0x11e8, 0x00ff00, -1);
	b = nx_pci_dev_new(vm, "b", 0x1af4, 0x1041, 0x020000, 5);
	a->ops = b->ops = &ops;
	if (nx_pci_add_bar(a, 0, 1 << 20, 0, dev_io, NULL) < 0 || nx_pci_add_msi(a, 4, true) < 0 ||
	    nx_pci_set_intx(a, 0) < 0 || nx_pci_dev_register(a) < 0 ||
	    nx_pci_add_bar(b, 2, 0x4000, NX_PCI_BAR_MEM64, dev_io, NULL) < 0 ||
	    nx_pci_add_bar(b, 4, 0x100, NX_PCI_BAR_IO, dev_io, NULL) < 0 ||
	    nx_pci_add_msix(b, 8, 2, 0x0, 0x800) < 0 || nx_pci_dev_register(b) < 0)
		__builtin_trap();

	while (fz_left(&f)) {
		uint8_t op = fz_u8(&f) % 6;
		struct fz_acc a = fz_access(&f);
		uint8_t *buf = a.buf;
		uint32_t len = a.len;
		bool w = a.w;
		switch (op) {
		case 0: {	/* 0xCF8 latch, then a 0xCFC access */
			uint32_t a8 = fz_u32(&f);
			nx_bus_access(&vm->pio, 0xcf8, (uint8_t *)&a8, 4, true, NULL);
			nx_bus_access(&vm->pio, 0xcfc + (fz_u8(&f) & 3), buf, len > 4 ? 4 : len, w, NULL);
			break;
		}
		case 1:		/* ECAM, bus 0, any device/function/register */
			nx_bus_access(&vm->mmio, NX_PCI_ECAM + (fz_u32(&f) & 0xfffff), buf, len, w, NULL);
			break;
		case 2:		/* the BAR window and above (moved 64-bit BARs) */
			nx_bus_access(&vm->mmio, NX_PCI_MMIO_BASE + (fz_u32(&f) & 0x1fffffff), buf, len,
				      w, NULL);
			break;
		case 3:
			nx_bus_access(&vm->mmio, fz_u64(&f), buf, len, w, NULL);
			break;
		case 4:		/* I/O space: BARs and anything else */
			nx_bus_access(&vm->pio, fz_u16(&f), buf, len > 4 ? 4 : len, w, NULL);
			break;
		default:	/* straight config access, any offset and size */
			nx_pci_cfg_access(vm, fz_u8(&f) & 31, fz_u8(&f) & 7, fz_u16(&f), buf,
					  len > 4 ? 4 : len, w);
			break;
		}
	}
	nx_pci_set_intx_status(a, true);
	free(a);
	free(b);
	free(vm->pci);
	free(vm);
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * fuzz_vfio_cfg - the config space an assigned function shows the guest
 * (passthrough/vfio_cfg.c + core/pci.c), built from 256 device bytes the
 * fuzzer chooses (a device's capability chain may loop, point into the
 * header or run past the end), then driven by guest config accesses and
 * MSI-X table accesses; the bytes nexit does not emulate pass through to
 * a stand-in of the device's config region.
 */
#include <stdbool.h>
#include "core/vm.h"
#include "core/pci.h"
#include "passthrough/passthrough.h"
#include "tests/fuzz/fuzz.h"
#include "core/x86/x86.h"

static uint8_t dev_cfg[NX_PCI_CFG_SIZE];

static bool pass_cfg(struct nx_pci_dev *d, unsigned off, uint8_t *data, unsigned len, bool w)
{
	FZ_ASSERT(len <= 4);
	if (off >= NX_PCI_CFG_SIZE || off + len > NX_PCI_CFG_SIZE) {
		if (!w)
			memset(data, 0xff, len);
		return true;
	}
	if (w)
		memcpy(dev_cfg + off, data, len);
	else
		memcpy(data, dev_cfg + off, len);
	return true;
}

static void dev_io(void *op, uint64_t off, uint8_t *data, uint32_t len, bool w,
		   struct nx_vcpu *vcpu)
{
	if (!w)
		memset(data, 0, len);
}

static void op_msix(struct nx_pci_dev *d, int v)
{
	struct nx_msi_msg m;

	FZ_ASSERT(v >= -1 && v < (int)d->msix_n);
	if (v >= 0)
		nx_pci_msix_msg(d, (unsigned)v, &m);
}

static void op_msi(struct nx_pci_dev *d)
{
	struct nx_msi_msg m;

	nx_pci_msi_msg(d, 0, &m);
}

static const struct nx_pci_ops ops = { .msi_update = op_msi, .msix_update = op_msix,
				       .cfg_access = pass_cfg };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = { data, size };
	struct nx_vm *vm = calloc(1, sizeof(*vm));
	struct nx_pci_dev *d;
	uint8_t msi = 0;

	fz_bytes(&f, dev_cfg, sizeof(dev_cfg));
	nx_bus_init(&vm->pio);
	nx_bus_init(&vm->mmio);
	vm->mem.nregions = 1;
	vm->mem.regions[0] = (struct nx_mem_region){ 0, 1ull << 30, NULL, 0 };
	d = nx_vfio_pci_new(vm, "vf", dev_cfg, &msi);
	if (!d)
		goto out;
	d->ops = &ops;
	if (msi && nx_pci_claim_msi(d, msi) < 0)
		__builtin_trap();	/* vfio_cfg.c said it fits */
	/* The MSI-X table's BAR (wherever the device says), and BAR0. */
	if (d->msix_cap && d->msix_bar < 6)
		nx_pci_add_bar(d, d->msix_bar, 0x10000, 0, dev_io, NULL);
	if (!d->bar[0].size)
		nx_pci_add_bar(d, 0, 0x1000, 0, dev_io, NULL);
	if (nx_pci_dev_register(d) < 0) {
		free(d);
		d = NULL;
		goto out;
	}
	while (fz_left(&f)) {
		struct fz_acc a = fz_access(&f);
		if (fz_u8(&f) & 1)
			nx_pci_cfg_access(vm, (unsigned)d->slot, 0, fz_u16(&f) & 0xfff, a.buf,
					  a.len > 4 ? 4 : a.len, a.w);
		else
			nx_bus_access(&vm->mmio, NX_PCI_MMIO_BASE + (fz_u32(&f) & 0x3ffff), a.buf, a.len, a.w,
				      NULL);
	}
out:
	free(d);
	free(vm->pci);
	free(vm);
	return 0;
}

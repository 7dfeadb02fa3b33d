/* SPDX-License-Identifier: MIT */
/*
 * fuzz_arm64_pci - the arm64 guest's PCI host (core/pci.c with the arm64
 * host bridge, core/arm64/pci.c) and an assigned function on it
 * (passthrough/vfio.c, fake VFIO device of tests/unit/fake_vfio.h): 256
 * device bytes the fuzzer chooses (a capability chain that loops or runs
 * past the end, MSI / MSI-X capabilities anywhere), BARs of the sizes and
 * kinds it picks (I/O ones are refused: no I/O space), VFIO's vector
 * counts, then guest accesses: ECAM of every register and size, and MMIO
 * anywhere in the BAR window (the MSI-X table and PBA, BARs the guest
 * moved). Without a VM, routes and irqfds fail cleanly.
 */
#include <sys/mman.h>
#include "tests/unit/fake_vfio.h"
#include "core/arm64/arm64.h"
#include "passthrough/vfio.c"
#include "tests/unit/fake_vfio_free.h"
#include "tests/fuzz/fuzz.h"

static int devfd = -1;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = { data, size };
	static struct nx_config cfg;
	struct nx_vm *vm = calloc(1, sizeof(*vm));
	struct nx_pt *pt = calloc(1, sizeof(*pt));
	struct nx_vfio *v = calloc(1, sizeof(*v));
	struct fake_vfio *fk = calloc(1, sizeof(*fk));
	struct nx_device_cfg dc = { .name = "fz" };
	uint8_t cfgb[256];

	if (devfd < 0 && (devfd = memfd_create("fuzz-vfio", MFD_CLOEXEC)) < 0)
		__builtin_trap();
	fz_bytes(&f, cfgb, sizeof(cfgb));
	if (pwrite(devfd, cfgb, sizeof(cfgb), 0) != (ssize_t)sizeof(cfgb) ||
	    ftruncate(devfd, 1 << 21) < 0)
		__builtin_trap();
	for (int i = 0; i < 6; i++) {
		uint8_t b = fz_u8(&f);

		fk->bar_size[i] = b & 0x80 ? 0x100ull << (b & 7) : 0;
		fk->bar_mmap[i] = b & 0x40;
	}
	for (int i = 0; i < VFIO_PCI_NUM_IRQS; i++)
		fk->irq_count[i] = fz_u8(&f) & 0x7f;
	fake_dev = fk;
	vm->cfg = &cfg;
	vm->vm_fd = -1;
	vm->mem.nregions = 1;
	nx_bus_init(&vm->mmio);
	nx_bus_init(&vm->pio);
	nx_routes_init(vm);
	vm->routes.msi_devid = true;
	pt->vm = vm;
	v->pt = pt;
	v->vm = vm;
	v->dev = devfd;
	v->container = v->group_fd = v->intx_trigger = v->intx_unmask = v->irqs.fd = -1;
	snprintf(v->name, sizeof(v->name), "fz");
	snprintf(v->bdf, sizeof(v->bdf), "0000:00:02.0");
	if (nx_pci_init_arch(vm, &nx_a64_pci_arch) < 0 || vfio_expose(v, &dc) < 0)
		goto out;
	FZ_ASSERT(v->pci->slot == 1);
	FZ_ASSERT(!v->pci->msix_cap || v->pci->msix_cap + 12u <= NX_PCI_CFG_SIZE);
	for (int i = 0; i < 6; i++)
		FZ_ASSERT(!(v->pci->bar[i].flags & NX_PCI_BAR_IO) || !v->pci->bar[i].size);
	while (fz_left(&f)) {
		struct fz_acc a = fz_access(&f);

		if (fz_u8(&f) & 1)
			nx_bus_access(&vm->mmio, NX_A64_PCI_ECAM + ((uint64_t)(fz_u8(&f) & 3) << 15) +
				      (fz_u16(&f) & 0xfff), a.buf, a.len, a.w, NULL);
		else
			nx_bus_access(&vm->mmio, NX_A64_PCI_MMIO + (fz_u32(&f) & 0x3fffff), a.buf, a.len,
				      a.w, NULL);
		/* Whatever the guest did, the device's host view is intact. */
		FZ_ASSERT(v->dev == devfd && v->vm == vm && v->pci->priv == v);
		for (int i = 0; i < 6; i++)
			FZ_ASSERT(v->bar[i].slot < NX_MEM_SLOTS && v->bar[i].slot != 0);
	}
out:
	if (v->pci)
		fake_vfio_free(v);
	else
		free(v);
	free(vm->pci);
	free(fk);
	free(pt);
	free(vm);
	return 0;
}

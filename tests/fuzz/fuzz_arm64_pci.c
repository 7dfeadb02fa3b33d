/* SPDX-License-Identifier: MIT */
/*
 * fuzz_arm64_pci - the arm64 guest's ECAM host and an assigned function's
 * config space (passthrough/arm64/pci.c, vfio.c; plain C, so built here):
 * 256 device bytes the fuzzer chooses (a capability chain that loops or
 * runs past the end, an MSI capability anywhere), BARs of the sizes it
 * picks, then guest ECAM accesses of every register (0..0xfff) and size and
 * accesses where the guest moved the BARs. A memfd stands in for the VFIO
 * device fd: config region at 0, BAR regions after it. Without a VM, MSI
 * enable fails at the route (as it must, cleanly).
 */
#include <sys/mman.h>
#include <unistd.h>
#include "passthrough/arm64/pci.c"
#include "passthrough/arm64/vfio.c"
#include "tests/fuzz/fuzz.h"

static int devfd = -1;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = { data, size };
	static struct nx_config cfg;
	struct nx_vm *vm = calloc(1, sizeof(*vm));
	struct nx_a64 *a = calloc(1, sizeof(*a));
	struct nx_a64_pci *pci = calloc(1, sizeof(*pci));
	struct nx_a64_vfio_dev *d = calloc(1, sizeof(*d));
	uint64_t cursor = NX_A64_PCI_MMIO;
	uint8_t cfgb[256];

	if (devfd < 0 && (devfd = memfd_create("fuzz-vfio", MFD_CLOEXEC)) < 0)
		__builtin_trap();
	fz_bytes(&f, cfgb, sizeof(cfgb));
	if (pwrite(devfd, cfgb, sizeof(cfgb), 0) != (ssize_t)sizeof(cfgb) || ftruncate(devfd, 1 << 22) < 0)
		__builtin_trap();
	vm->cfg = &cfg;
	vm->vm_fd = -1;
	nx_bus_init(&vm->mmio);
	nx_routes_init(vm);
	pci->vm = vm;
	pci->a = a;
	nx_bus_register(&vm->mmio, NX_A64_PCI_ECAM, NX_A64_PCI_ECAM_SIZE, ecam_io, pci, "ecam");
	d->vm = vm;
	d->slot = 1;
	d->fd = devfd;
	d->msi_fd = d->intx_fd = d->unmask_fd = d->msi_gsi = -1;
	snprintf(d->bdf, sizeof(d->bdf), "0000:00:02.0");
	memcpy(d->cfg, cfgb, sizeof(cfgb));
	for (int i = 0; i < 6; i++) {
		uint8_t b = fz_u8(&f);

		d->bar[i] = (struct nx_a64_bar){ .dev = d, .slot = -1 };
		if (!(b & 0x80))
			continue;
		d->bar[i].size = 0x1000ull << (b & 7);
		d->bar[i].region_off = 0x1000 + 0x8000ull * (unsigned)i;
		d->bar[i].mem64 = i < 5 && (b & 0x40);
		if (d->bar[i].mem64)
			i++, d->bar[i] = (struct nx_a64_bar){ .dev = d, .slot = -1 };
	}
	if (place_bars(d, &cursor) < 0)
		goto out;
	find_msi(d);
	FZ_ASSERT(!d->msi_cap || d->msi_cap + d->msi_len <= sizeof(d->cfg));
	pci->dev[1] = d;
	while (fz_left(&f)) {
		struct fz_acc a = fz_access(&f);
		if (fz_u8(&f) & 1)
			nx_bus_access(&vm->mmio, NX_A64_PCI_ECAM + ((uint64_t)(fz_u8(&f) & 3) << 15) +
				      (fz_u16(&f) & 0xfff), a.buf, a.len, a.w, NULL);
		else
			nx_bus_access(&vm->mmio, fz_u32(&f), a.buf, a.len, a.w, NULL);
		/* Whatever the guest did, the device's host view is intact. */
		FZ_ASSERT(d->fd == devfd && d->vm == vm && d->bar[0].dev == d);
	}
out:
	if (d->msi_fd >= 0)
		close(d->msi_fd);
	if (d->intx_fd >= 0)
		close(d->intx_fd);
	if (d->unmask_fd >= 0)
		close(d->unmask_fd);
	free(d);
	free(pci);
	free(a);
	free(vm);
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * fuzz_virtio - nexit's virtio PCI transport (passthrough/virtio_pci.c) as
 * a hostile driver drives it: the common configuration structure with any
 * offset, size and value (feature selects, queue selects past the last,
 * sizes, vectors, ring addresses, enables, status sequences that skip
 * FEATURES_OK or write DRIVER_OK twice, resets in the middle), the device
 * configuration, notify and ISR windows, the MSI-X table, and config
 * space. The device under it is a stand-in whose start may fail and whose
 * stop may finish later (as virtio-net's does when its backend must
 * answer), at a moment the input picks.
 */
#include <stdbool.h>
#include <unistd.h>
#include "passthrough/virtio.h"
#include "tests/fuzz/fuzz.h"

static struct fz *cur;
static bool stop_pending;
static uint8_t ram[1 << 20];

static void op_config(struct nx_virtio_dev *v, uint32_t off, uint8_t *data, uint32_t len, bool w)
{
	FZ_ASSERT(off + len <= v->info.config_len);
	if (!w)
		memset(data, 0x42, len);
}

static int op_start(struct nx_virtio_dev *v)
{
	/* What a data path looks at: the rings in guest RAM. */
	for (unsigned q = 0; q < v->info.nqueues; q++)
		if (v->q[q].enabled) {
			(void)nx_gpa(&v->vm->mem, v->q[q].desc, 16ull * v->q[q].size);
			v->q[q].started = true;
		}
	return fz_u8(cur) % 4 == 0 ? -1 : 0;
}

static bool op_stop(struct nx_virtio_dev *v)
{
	stop_pending = fz_u8(cur) & 1;
	return !stop_pending;
}

static const struct nx_virtio_ops ops = { .config = op_config, .start = op_start, .stop = op_stop };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = { data, size };
	struct nx_vm *vm = calloc(1, sizeof(*vm));
	struct nx_virtio_dev *v = calloc(1, sizeof(*v));
	struct nx_virtio_info info = { .kind = "fuzz", .type = 1, .class_code = 0x020000,
				       .nqueues = 2, .qmax = 256, .nvec = 3, .config_len = 16,
				       .features = NX_VIRTIO_F_VERSION_1 | (1ull << 5), .ops = &ops };
	int before = fz_open_fds();
	uint64_t bar;

	cur = &f;
	stop_pending = false;
	vm->vm_fd = -1;
	nx_bus_init(&vm->pio);
	nx_bus_init(&vm->mmio);
	nx_routes_init(vm);
	vm->mem = (struct nx_mem){ .memfd = -1, .base = ram, .size = sizeof(ram), .nregions = 1 };
	vm->mem.regions[0] = (struct nx_mem_region){ 0, sizeof(ram), ram, 0 };
	if (nx_virtio_init(v, vm, "fz", &info, -1) < 0)
		__builtin_trap();
	bar = v->pci->bar[0].addr;
	/* Memory decode on, as a driver would first. */
	nx_pci_cfg_access(vm, (unsigned)v->pci->slot, 0, 0x04, (uint8_t[]){ 0x06, 0 }, 2, true);
	while (fz_left(&f)) {
		uint8_t op = fz_u8(&f) % 8, buf[8];
		uint32_t len = fz_len(&f);
		bool w = fz_u8(&f) & 1;
		uint64_t val = fz_u64(&f);

		memcpy(buf, &val, 8);
		switch (op) {
		case 0: case 1: case 2:	/* the common configuration structure */
			nx_bus_access(&vm->mmio, bar + (fz_u8(&f) & 0x3f), buf, len, w, NULL);
			break;
		case 3:			/* device config, ISR, notify, MSI-X, beyond */
			nx_bus_access(&vm->mmio, bar + (fz_u16(&f) & 0x7fff), buf, len, w, NULL);
			break;
		case 4:			/* status straight: the sequences that matter */
			nx_bus_access(&vm->mmio, bar + 0x14, (uint8_t[]){ fz_u8(&f) }, 1, true, NULL);
			break;
		case 5:
			nx_pci_cfg_access(vm, (unsigned)v->pci->slot, 0, fz_u8(&f), buf,
					  len > 4 ? 4 : len, w);
			break;
		case 6:			/* the data path's backend: gone, or the rings broken */
			if (fz_u8(&f) & 1)
				nx_virtio_gone(v);
			else
				nx_virtio_break(v, "fuzz");
			break;
		default:		/* a stop that finished later finishes now */
			if (stop_pending) {
				stop_pending = false;
				nx_virtio_stopped(v);
			}
			break;
		}
	}
	for (unsigned q = 0; q < info.nqueues; q++) {
		close(v->q[q].kick_fd);
		close(v->q[q].nocall_fd);
	}
	for (unsigned i = 0; i < info.nvec; i++)
		close(v->vec[i].efd);
	FZ_ASSERT(fz_open_fds() == before);
	free(v->pci);
	free(vm->pci);
	free(v);
	free(vm);
	return 0;
}

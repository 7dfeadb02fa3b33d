/* SPDX-License-Identifier: MIT */
/*
 * fuzz_irqdev - irqdev's register file and modes as a hostile guest drives
 * them (passthrough/irqdev.c): BAR0 accesses of any offset, size and value
 * (identification, liveness, factorial operands, status, raise and ack of
 * every bit, the DMA window), config writes that switch MSI, INTx and INTx
 * Disable, and the doorbells' eventfds rung behind its back. One device for
 * the whole run (made once, like a VM's), its backend a real nexit-devd
 * loop in a thread on the other end of its socket; no KVM (ioeventfds and
 * routes fail and are reported, as on a host without them).
 */
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "passthrough/passthrough.h"
#include "tests/fuzz/fuzz.h"
#include "core/control.h"

static struct nx_vm *vm;
static struct nx_pci_dev *dev;

static void *backend(void *path)
{
	struct nx_devd_opts o = { .wait = NX_WAIT_BLOCK };
	int s = nx_unix_listen(path, SOCK_SEQPACKET, 1), c;

	c = accept(s, NULL, NULL);
	close(s);
	nx_devd_serve(c, &o);
	return NULL;
}

static void make_device(void)
{
	static struct nx_config cfg;
	static char path[64];
	struct nx_pt *pt = calloc(1, sizeof(*pt));
	struct nx_device_cfg *c = &cfg.devices[0];
	pthread_t t;

	vm = calloc(1, sizeof(*vm));
	nx_config_defaults(&cfg);
	vm->cfg = &cfg;
	vm->vm_fd = -1;
	nx_bus_init(&vm->pio);
	nx_bus_init(&vm->mmio);
	nx_routes_init(vm);
	vm->mem.nregions = 1;
	vm->mem.regions[0] = (struct nx_mem_region){ 0, 256 << 20, NULL, 0 };
	snprintf(path, sizeof(path), "/tmp/nexit-fuzz-irqdev-%d.sock", getpid());
	unlink(path);
	if (pthread_create(&t, NULL, backend, path))
		__builtin_trap();
	snprintf(c->name, sizeof(c->name), "fz");
	snprintf(c->type, sizeof(c->type), "irqdev");
	snprintf(c->backend, sizeof(c->backend), "%s", path);
	pt->vm = vm;
	pthread_mutex_init(&pt->lock, NULL);
	if (nx_pci_init(vm) < 0 || !nx_irqdev_type.create(pt, c))
		__builtin_trap();
	unlink(path);
	dev = nx_pci_slot(vm, 1);
	if (!dev)
		__builtin_trap();
	/* Memory decode on: BAR0 on the bus. */
	nx_pci_cfg_access(vm, 1, 0, 0x04, (uint8_t[]){ 0x06, 0 }, 2, true);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = { data, size };

	if (!vm)
		make_device();
	while (fz_left(&f)) {
		uint8_t op = fz_u8(&f) % 4;
		struct fz_acc a = fz_access(&f);

		switch (op) {
		case 0: case 1:		/* BAR0: registers, doorbells, DMA window, beyond */
			nx_bus_access(&vm->mmio, dev->bar[0].addr + (fz_u16(&f) & 0x1ff), a.buf, a.len,
				      a.w, NULL);
			break;
		case 2:			/* command (INTx Disable), MSI control/address/data */
			nx_pci_cfg_access(vm, 1, 0, fz_u8(&f), a.buf, a.len > 4 ? 4 : a.len, a.w);
			break;
		default:		/* FACT with "raise when done", the common case */
			a.buf[0] = 0x80;
			nx_bus_access(&vm->mmio, dev->bar[0].addr + 0x20, a.buf, 4, true, NULL);
			nx_bus_access(&vm->mmio, dev->bar[0].addr + 0x08, a.buf + 4, 4, true, NULL);
			break;
		}
	}
	/* The device stays on the bus wherever the guest left its BAR. */
	FZ_ASSERT(nx_pci_slot(vm, 1) == dev);
	return 0;
}

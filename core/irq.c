/* SPDX-License-Identifier: MIT */
/*
 * irq.c - KVM interrupt plumbing shared by both paths: the GSI routing
 * table (KVM_SET_GSI_ROUTING replaces the whole table, so one owner keeps
 * it), irqfd and KVM_SIGNAL_MSI (ioeventfds: passthrough/ioev.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/kvm.h>
#include "core/vm.h"

void nx_routes_init(struct nx_vm *vm)
{
	memset(&vm->routes, 0, sizeof(vm->routes));
	pthread_mutex_init(&vm->routes.lock, NULL);
	vm->routes.next_gsi = NX_IOAPIC_PINS;
}

int nx_route_alloc(struct nx_vm *vm)
{
	struct nx_routes *t = &vm->routes;
	int gsi = -1;

	pthread_mutex_lock(&t->lock);
	/* GSIs below the pin count belong to the IOAPIC (split irqchip rule). */
	for (unsigned i = 0; i < NX_MAX_GSI - NX_IOAPIC_PINS; i++) {
		unsigned g = NX_IOAPIC_PINS + (t->next_gsi - NX_IOAPIC_PINS + i) %
			     (NX_MAX_GSI - NX_IOAPIC_PINS);
		if (!t->r[g].used) {
			t->r[g].used = true;
			t->r[g].type = 0;
			t->next_gsi = g + 1 < NX_MAX_GSI ? g + 1 : NX_IOAPIC_PINS;
			gsi = g;
			break;
		}
	}
	pthread_mutex_unlock(&t->lock);
	if (gsi < 0)
		return nx_error("out of GSIs (%d routes in use)", NX_MAX_GSI);
	return gsi;
}

static int route_set(struct nx_vm *vm, unsigned gsi, struct nx_route r)
{
	if (gsi >= NX_MAX_GSI)
		return nx_error("GSI %u out of range", gsi);
	r.used = true;
	pthread_mutex_lock(&vm->routes.lock);
	vm->routes.r[gsi] = r;
	pthread_mutex_unlock(&vm->routes.lock);
	return 0;
}

int nx_route_set_msi(struct nx_vm *vm, unsigned gsi, uint64_t addr, uint32_t data,
		     uint32_t flags, uint32_t devid)
{
	return route_set(vm, gsi, (struct nx_route){ .type = KVM_IRQ_ROUTING_MSI,
		.flags = flags, .addr = addr, .data = data, .devid = devid });
}

int nx_route_set_irqchip(struct nx_vm *vm, unsigned gsi, unsigned chip, unsigned pin)
{
	return route_set(vm, gsi, (struct nx_route){ .type = KVM_IRQ_ROUTING_IRQCHIP,
		.addr = chip, .data = pin });
}

int nx_route_also_irqchip(struct nx_vm *vm, unsigned gsi, unsigned chip, unsigned pin)
{
	struct nx_routes *t = &vm->routes;
	int r = 0;

	pthread_mutex_lock(&t->lock);
	if (t->nalso == sizeof(t->also) / sizeof(t->also[0]))
		r = nx_error("more than %zu second irqchip routes", sizeof(t->also) / sizeof(t->also[0]));
	else
		t->also[t->nalso++] = (typeof(t->also[0])){ gsi, chip, pin };
	pthread_mutex_unlock(&t->lock);
	return r;
}

/* Keeps the GSI allocated but without a route (KVM drops its interrupts). */
int nx_route_clear(struct nx_vm *vm, unsigned gsi)
{
	if (gsi >= NX_MAX_GSI)
		return -1;
	pthread_mutex_lock(&vm->routes.lock);
	vm->routes.r[gsi].type = 0;
	pthread_mutex_unlock(&vm->routes.lock);
	return 0;
}

int nx_routes_commit(struct nx_vm *vm)
{
	struct kvm_irq_routing *tbl;
	unsigned n = 0;
	int ret;

	tbl = calloc(1, sizeof(*tbl) + (NX_MAX_GSI + 16) * sizeof(tbl->entries[0]));
	_Static_assert(sizeof(vm->routes.also) / sizeof(vm->routes.also[0]) == 16,
		       "the table has room for 16 second routes");
	if (!tbl)
		return nx_error("out of memory for the GSI routing table");
	pthread_mutex_lock(&vm->routes.lock);
	for (unsigned g = 0; g < NX_MAX_GSI; g++) {
		struct nx_route *r = &vm->routes.r[g];
		struct kvm_irq_routing_entry *e = &tbl->entries[n];

		if (!r->used || !r->type)
			continue;
		e->gsi = g;
		e->type = r->type;
		if (r->type == KVM_IRQ_ROUTING_MSI) {
			e->flags = r->flags;
			e->u.msi.address_lo = (uint32_t)r->addr;
			e->u.msi.address_hi = (uint32_t)(r->addr >> 32);
			e->u.msi.data = r->data;
			e->u.msi.devid = r->devid;
		} else {
			e->u.irqchip.irqchip = (uint32_t)r->addr;
			e->u.irqchip.pin = r->data;
		}
		n++;
	}
	for (unsigned i = 0; i < vm->routes.nalso; i++)
		tbl->entries[n++] = (struct kvm_irq_routing_entry){ .gsi = vm->routes.also[i].gsi,
			.type = KVM_IRQ_ROUTING_IRQCHIP,
			.u.irqchip = { .irqchip = vm->routes.also[i].chip,
				       .pin = vm->routes.also[i].pin } };
	tbl->nr = n;
	ret = ioctl(vm->vm_fd, KVM_SET_GSI_ROUTING, tbl);
	pthread_mutex_unlock(&vm->routes.lock);
	free(tbl);
	if (ret < 0)
		return nx_error("KVM_SET_GSI_ROUTING (%u routes): %s", n, strerror(errno));
	return 0;
}

int nx_irqfd_assign(struct nx_vm *vm, int fd, unsigned gsi, int resamplefd)
{
	struct kvm_irqfd irqfd = { .fd = fd, .gsi = gsi };

	if (resamplefd >= 0) {
		/* Level semantics: KVM de-asserts the GSI on the guest's EOI and
		 * signals resamplefd so the source can be re-checked/unmasked. */
		irqfd.flags = KVM_IRQFD_FLAG_RESAMPLE;
		irqfd.resamplefd = resamplefd;
	}
	if (ioctl(vm->vm_fd, KVM_IRQFD, &irqfd) < 0)
		return nx_error("KVM_IRQFD gsi %u: %s", gsi, strerror(errno));
	return 0;
}

int nx_irqfd_deassign(struct nx_vm *vm, int fd, unsigned gsi)
{
	struct kvm_irqfd irqfd = { .fd = fd, .gsi = gsi, .flags = KVM_IRQFD_FLAG_DEASSIGN };

	return ioctl(vm->vm_fd, KVM_IRQFD, &irqfd) < 0 ? -1 : 0;
}

int nx_signal_msi(struct nx_vm *vm, uint64_t addr, uint32_t data, uint32_t devid)
{
	struct kvm_msi msi = { .address_lo = (uint32_t)addr,
			       .address_hi = (uint32_t)(addr >> 32), .data = data };
	int r;

	if (vm->routes.msi_devid) {
		msi.flags = KVM_MSI_VALID_DEVID;
		msi.devid = devid;
	}
	r = ioctl(vm->vm_fd, KVM_SIGNAL_MSI, &msi);

	/* 0 = the interrupt was blocked (e.g. no such destination); >0 delivered. */
	return r < 0 ? -1 : r;
}

void nx_irq_set_line(struct nx_vm *vm, unsigned gsi, bool level)
{
	if (vm->irq.set_line)
		vm->irq.set_line(vm->irq.opaque, gsi, level);
}

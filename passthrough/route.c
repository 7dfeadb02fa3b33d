/* SPDX-License-Identifier: MIT */
/*
 * route.c - MSI vectors whose KVM route follows the guest (passthrough.h
 * states the rules). Every call here is a set-up time event: the guest
 * wrote an MSI capability or MSI-X table entry (one exit), nexit rewrites
 * the GSI route (KVM_SET_GSI_ROUTING) and (de)assigns the irqfd. Interrupts
 * themselves never come here.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <linux/kvm.h>
#include "passthrough/passthrough.h"

uint64_t nx_eventfd_count(int fd)
{
	char path[64], buf[512], *p;
	unsigned long long v = 0;
	ssize_t n;
	int f;

	/* fdinfo shows the counter without consuming it ("eventfd-count:
	 * %16llx", fs/eventfd.c). An assigned irqfd consumes it on every
	 * signal (irqfd_wakeup), an unassigned one leaves it: pending. */
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = open(path, O_RDONLY | O_CLOEXEC);
	if (f < 0)
		return 0;
	n = read(f, buf, sizeof(buf) - 1);
	close(f);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	p = strstr(buf, "eventfd-count:");
	if (p && sscanf(p + 14, "%llx", &v) != 1)
		v = 0;
	return v;
}

int nx_msi_vec_init(struct nx_vm *vm, struct nx_msi_vec *v, int efd)
{
	memset(v, 0, sizeof(*v));
	v->vm = vm;
	v->efd = efd >= 0 ? efd : eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (v->efd < 0)
		return nx_error("eventfd for an MSI vector: %s", strerror(errno));
	v->gsi = nx_route_alloc(vm);
	if (v->gsi < 0)
		return -1;
	nx_route_clear(vm, (unsigned)v->gsi);	/* allocated, no route until the guest enables */
	return 0;
}

static void irqfd_off(struct nx_msi_vec *v)
{
	if (!v->irqfd_on)
		return;
	nx_irqfd_deassign(v->vm, v->efd, (unsigned)v->gsi);
	v->irqfd_on = false;
}

static int irqfd_on(struct nx_msi_vec *v)
{
	/* A gated vector's eventfd is relayed by the storm guard instead. */
	if (v->irqfd_on || v->gated)
		return 0;
	/* KVM_IRQFD injects at once if the eventfd already counts: a signal
	 * raised while masked is delivered now, once (the pending bit). */
	if (nx_irqfd_assign(v->vm, v->efd, (unsigned)v->gsi, -1) < 0)
		return -1;
	v->irqfd_on = true;
	return 0;
}

int nx_msi_vec_update(struct nx_msi_vec *v, bool enabled, const struct nx_msi_msg *m)
{
	struct nx_vm *vm = v->vm;

	if (v->state == NX_MSI_VEC_GONE)
		return 0;
	if (!enabled) {
		irqfd_off(v);
		if (v->routed) {
			nx_route_clear(vm, (unsigned)v->gsi);
			v->routed = false;
			if (nx_routes_commit(vm) < 0)
				return -1;
		}
		v->state = NX_MSI_VEC_DISABLED;
		nx_guard_sync(v->guard);
		return 0;
	}
	if (m->masked) {
		if (v->state != NX_MSI_VEC_MASKED)
			v->masks++;
		irqfd_off(v);
		v->state = NX_MSI_VEC_MASKED;
		nx_guard_sync(v->guard);
	}
	/* The route carries the guest's own destination and vector (x86: SDM
	 * 11.11, KVM delivers to the vCPU the guest named; arm64: the ITS
	 * doorbell and event ID, translated with the device ID as the guest's
	 * ITS tables say, like kvmtool's irq__add_msix_route). */
	if (!v->routed || v->msg.addr != m->addr || v->msg.data != m->data) {
		if (nx_route_set_msi(vm, (unsigned)v->gsi, m->addr, m->data,
				     vm->routes.msi_devid ? KVM_MSI_VALID_DEVID : 0,
				     vm->routes.msi_devid ? v->devid : 0) < 0 ||
		    nx_routes_commit(vm) < 0)
			return -1;
		v->routed = true;
		v->route_updates++;
	}
	v->msg = *m;
	if (m->masked)
		return 0;
	if (irqfd_on(v) < 0)
		return -1;
	v->state = NX_MSI_VEC_ACTIVE;
	nx_guard_sync(v->guard);
	return 0;
}

void nx_msi_vec_gone(struct nx_msi_vec *v)
{
	if (v->state == NX_MSI_VEC_GONE)
		return;
	irqfd_off(v);
	if (v->routed) {
		nx_route_clear(v->vm, (unsigned)v->gsi);
		v->routed = false;
		nx_routes_commit(v->vm);
	}
	v->state = NX_MSI_VEC_GONE;
	v->gated = false;
	nx_guard_sync(v->guard);
}

bool nx_msi_vec_pending(struct nx_msi_vec *v)
{
	return !v->irqfd_on && nx_eventfd_count(v->efd) > 0;
}

const char *nx_msi_vec_state_name(enum nx_msi_vec_state s)
{
	switch (s) {
	case NX_MSI_VEC_ACTIVE: return "active";
	case NX_MSI_VEC_MASKED: return "masked";
	case NX_MSI_VEC_GONE: return "source-gone";
	default: return "disabled";
	}
}

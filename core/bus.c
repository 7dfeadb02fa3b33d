/* SPDX-License-Identifier: MIT */
/*
 * bus.c - PIO and MMIO device buses with explicit registration. A bus is a
 * small array of non-overlapping ranges; lookups are linear (a VM has a
 * handful of devices and the hot interrupt paths never come here).
 */
#include <string.h>
#include <sys/ioctl.h>
#include <linux/kvm.h>
#include "core/bus.h"
#include "core/log.h"

void nx_bus_init(struct nx_bus *b)
{
	memset(b, 0, sizeof(*b));
	pthread_rwlock_init(&b->lock, NULL);
	pthread_mutex_init(&b->ring_lock, NULL);
}

int nx_bus_register(struct nx_bus *b, uint64_t base, uint64_t len,
		    nx_io_fn fn, void *opaque, const char *name)
{
	int ret = 0;

	if (!len)
		return nx_error("device %s: empty bus range", name);
	pthread_rwlock_wrlock(&b->lock);
	for (int i = 0; i < b->n; i++) {
		struct nx_bus_range *r = &b->r[i];

		if (base < r->base + r->len && r->base < base + len) {
			ret = nx_error("device %s at 0x%llx overlaps %s at 0x%llx", name,
				       (unsigned long long)base, r->name,
				       (unsigned long long)r->base);
			goto out;
		}
	}
	if (b->n == NX_BUS_MAX) {
		ret = nx_error("device %s: bus full (%d ranges)", name, NX_BUS_MAX);
		goto out;
	}
	b->r[b->n++] = (struct nx_bus_range){ base, len, fn, opaque, name };
out:
	pthread_rwlock_unlock(&b->lock);
	return ret;
}

int nx_bus_unregister(struct nx_bus *b, uint64_t base)
{
	int ret = -1;

	pthread_rwlock_wrlock(&b->lock);
	for (int i = 0; i < b->n; i++) {
		if (b->r[i].base == base) {
			b->r[i] = b->r[--b->n];
			ret = 0;
			break;
		}
	}
	pthread_rwlock_unlock(&b->lock);
	return ret;
}

bool nx_bus_access(struct nx_bus *b, uint64_t addr, uint8_t *data, uint32_t len,
		   bool is_write, struct nx_vcpu *vcpu)
{
	struct nx_bus_range r = { 0 };
	bool found = false;

	pthread_rwlock_rdlock(&b->lock);
	for (int i = 0; i < b->n; i++) {
		if (addr >= b->r[i].base && addr - b->r[i].base < b->r[i].len) {
			r = b->r[i];
			found = true;
			break;
		}
	}
	pthread_rwlock_unlock(&b->lock);
	if (!found) {
		/* Unclaimed: reads float high, as on a PC bus; writes are dropped. */
		if (!is_write)
			memset(data, 0xff, len);
		return false;
	}
	r.fn(r.opaque, addr - r.base, data, len, is_write, vcpu);
	return true;
}

int nx_bus_coalesce(struct nx_bus *b, int vm_fd, uint64_t base, uint32_t len, bool on)
{
	struct kvm_coalesced_mmio_zone z = { .addr = base, .size = len };

	return b->ring ? ioctl(vm_fd, on ? KVM_REGISTER_COALESCED_MMIO :
				     KVM_UNREGISTER_COALESCED_MMIO, &z) : -1;
}

/* KVM writes an entry, then moves ring->last; we consume from first. */
void nx_bus_flush(struct nx_bus *b)
{
	struct kvm_coalesced_mmio_ring *q = b->ring;

	if (!q || q->first == __atomic_load_n(&q->last, __ATOMIC_ACQUIRE))
		return;
	pthread_mutex_lock(&b->ring_lock);
	for (uint32_t i = q->first; i != __atomic_load_n(&q->last, __ATOMIC_ACQUIRE);
	     i = (i + 1) % b->ring_max) {
		struct kvm_coalesced_mmio e = q->coalesced_mmio[i % b->ring_max];

		nx_bus_access(b, e.phys_addr, e.data, e.len > 8 ? 8 : e.len, true, NULL);
		__atomic_store_n(&q->first, (i + 1) % b->ring_max, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&b->ring_lock);
}

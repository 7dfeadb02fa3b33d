/* SPDX-License-Identifier: MIT */
/*
 * fake_vfio.h - a VFIO PCI device without a kernel, for tests that include
 * passthrough/vfio.c: a memfd is the device fd (config space at offset 0,
 * BAR i's region at FAKE_BAR_OFF(i)), and every ioctl vfio.c makes goes to
 * fake_ioctl, which answers VFIO's region and IRQ queries from struct
 * fake_vfio and records VFIO_DEVICE_SET_IRQS and KVM memory slots. Include
 * it before passthrough/vfio.c (core's own ioctls stay real).
 */
#ifndef NEXIT_TESTS_FAKE_VFIO_H
#define NEXIT_TESTS_FAKE_VFIO_H

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/kvm.h>
#include <linux/vfio.h>

#define FAKE_BAR_OFF(i)	(0x10000ull * ((i) + 1))
#define FAKE_MAX_REC	32

struct fake_vfio {
	uint64_t bar_size[6];		/* 0 = no region */
	bool bar_mmap[6];
	unsigned irq_count[VFIO_PCI_NUM_IRQS];	/* per VFIO_PCI_*_IRQ_INDEX */
	/* What vfio.c asked for. */
	struct { uint32_t index, flags, start, count; int fd0; } set[FAKE_MAX_REC];
	unsigned nset;
	struct { uint32_t slot; uint64_t gpa, size; } slot[FAKE_MAX_REC];
	unsigned nslot;
};

/* The one device the test runs (ioctl has no context argument). */
static struct fake_vfio *fake_dev;

static int fake_ioctl(int fd, unsigned long req, ...)
{
	struct fake_vfio *f = fake_dev;
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (req == VFIO_DEVICE_GET_REGION_INFO) {
		struct vfio_region_info *ri = arg;

		ri->flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;
		ri->size = 0;
		if (ri->index == VFIO_PCI_CONFIG_REGION_INDEX) {
			ri->offset = 0;
			ri->size = 256;
		} else if (ri->index < 6) {
			ri->offset = FAKE_BAR_OFF(ri->index);
			ri->size = f->bar_size[ri->index];
			if (f->bar_mmap[ri->index])
				ri->flags |= VFIO_REGION_INFO_FLAG_MMAP;
		}
		return 0;
	}
	if (req == VFIO_DEVICE_GET_IRQ_INFO) {
		struct vfio_irq_info *ii = arg;

		ii->count = ii->index < VFIO_PCI_NUM_IRQS ? f->irq_count[ii->index] : 0;
		ii->flags = VFIO_IRQ_INFO_EVENTFD;
		return 0;
	}
	if (req == VFIO_DEVICE_SET_IRQS) {
		struct vfio_irq_set *s = arg;

		if (f->nset < FAKE_MAX_REC) {
			f->set[f->nset].index = s->index;
			f->set[f->nset].flags = s->flags;
			f->set[f->nset].start = s->start;
			f->set[f->nset].count = s->count;
			f->set[f->nset].fd0 = -1;
			if ((s->flags & VFIO_IRQ_SET_DATA_EVENTFD) && s->count)
				memcpy(&f->set[f->nset].fd0, s->data, sizeof(int));
			f->nset++;
		}
		return 0;
	}
	if (req == KVM_SET_USER_MEMORY_REGION) {
		struct kvm_userspace_memory_region *m = arg;

		/* KVM refuses a second slot over a mapped range (EEXIST). */
		for (unsigned i = 0; m->memory_size && i < f->nslot; i++)
			if (f->slot[i].size && f->slot[i].slot != m->slot &&
			    m->guest_phys_addr < f->slot[i].gpa + f->slot[i].size &&
			    f->slot[i].gpa < m->guest_phys_addr + m->memory_size) {
				errno = EEXIST;
				return -1;
			}
		for (unsigned i = 0; i < f->nslot; i++)
			if (f->slot[i].slot == m->slot) {
				f->slot[i].gpa = m->guest_phys_addr;
				f->slot[i].size = m->memory_size;
				return 0;
			}
		if (f->nslot < FAKE_MAX_REC)
			f->slot[f->nslot++] = (typeof(f->slot[0])){ m->slot, m->guest_phys_addr,
								    m->memory_size };
		return 0;
	}
	errno = ENOTTY;
	return -1;
}
#define ioctl fake_ioctl

/* The last SET_IRQS of an index, or NULL. */
static inline typeof(((struct fake_vfio *)0)->set[0]) *fake_last_set(struct fake_vfio *f,
								      uint32_t index)
{
	for (unsigned i = f->nset; i-- > 0;)
		if (f->set[i].index == index)
			return &f->set[i];
	return NULL;
}

/* KVM memory slots now mapped (size != 0). */
static inline unsigned fake_slots_mapped(const struct fake_vfio *f)
{
	unsigned n = 0;

	for (unsigned i = 0; i < f->nslot; i++)
		n += f->slot[i].size != 0;
	return n;
}

#endif

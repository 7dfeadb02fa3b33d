/* SPDX-License-Identifier: MIT */
/*
 * mem.c - guest RAM on arm64: one memfd, one memory slot at NX_A64_RAM
 * (0x40000000, below it the MMIO devices and PCI windows).
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/memfd.h>
#include "core/arm64/arm64.h"

#ifndef MFD_HUGE_2MB
#define MFD_HUGE_2MB (21 << MFD_HUGE_SHIFT)
#endif

int nx_mem_init(struct nx_mem *m, uint64_t size, bool hugepages)
{
	unsigned flags = MFD_CLOEXEC;

	memset(m, 0, sizeof(*m));
	m->memfd = -1;
	if (hugepages) {
		flags |= MFD_HUGETLB | MFD_HUGE_2MB;
		size = (size + (2ull << 20) - 1) & ~((2ull << 20) - 1);
	}
	m->memfd = memfd_create("nexit-ram", flags);
	if (m->memfd < 0)
		return nx_error("memfd_create for guest RAM: %s", strerror(errno));
	if (ftruncate(m->memfd, size) < 0)
		return nx_error("cannot size guest RAM to %llu MiB: %s",
				(unsigned long long)(size >> 20), strerror(errno));
	m->base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, m->memfd, 0);
	if (m->base == MAP_FAILED) {
		m->base = NULL;
		return nx_error("cannot map %llu MiB of guest RAM: %s",
				(unsigned long long)(size >> 20), strerror(errno));
	}
	madvise(m->base, size, MADV_DONTDUMP);
	m->size = size;
	m->regions[0] = (struct nx_mem_region){ .gpa = NX_A64_RAM, .size = size,
						.hva = m->base, .slot = 0 };
	m->nregions = 1;
	return 0;
}

void nx_mem_destroy(struct nx_mem *m)
{
	if (m->base)
		munmap(m->base, m->size);
	if (m->memfd >= 0)
		close(m->memfd);
	m->base = NULL;
	m->memfd = -1;
}

void *nx_gpa(const struct nx_mem *m, uint64_t gpa, uint64_t len)
{
	const struct nx_mem_region *r = &m->regions[0];

	if (m->nregions && gpa >= r->gpa && len <= r->size && gpa - r->gpa <= r->size - len)
		return r->hva + (gpa - r->gpa);
	return NULL;
}

/* No e820 on arm64: the device tree's /memory node describes RAM. */
int nx_mem_e820(const struct nx_mem *m, struct nx_e820_entry *e, int max)
{
	if (max < 1 || !m->nregions)
		return -1;
	e[0] = (struct nx_e820_entry){ m->regions[0].gpa, m->regions[0].size, NX_E820_RAM };
	return 1;
}

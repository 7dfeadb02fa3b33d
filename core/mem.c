/* SPDX-License-Identifier: MIT */
/*
 * mem.c - guest RAM: one memfd, mapped once, handed to KVM as two memory
 * slots around the 32-bit PCI/MMIO hole (like real PC chipsets: RAM below
 * 3 GiB, the rest above 4 GiB).
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/memfd.h>
#include "core/core.h"

#ifndef MFD_HUGE_2MB
#define MFD_HUGE_2MB (21 << MFD_HUGE_SHIFT)
#endif

int nx_mem_init(struct nx_mem *m, uint64_t size, bool hugepages)
{
	unsigned flags = MFD_CLOEXEC;
	uint64_t low;

	memset(m, 0, sizeof(*m));
	m->memfd = -1;
	if (size < (1ull << 20))
		return nx_error("memory size %llu bytes is too small (need at least 1M)",
				(unsigned long long)size);
	if (hugepages) {
		flags |= MFD_HUGETLB | MFD_HUGE_2MB;
		size = (size + (2ull << 20) - 1) & ~((2ull << 20) - 1);
	}
	m->memfd = memfd_create("nexit-ram", flags);
	if (m->memfd < 0)
		return nx_error("memfd_create for guest RAM%s: %s",
				hugepages ? " (hugepages)" : "", strerror(errno));
	if (ftruncate(m->memfd, size) < 0) {
		int e = errno;
		close(m->memfd);
		return nx_error("cannot size guest RAM to %llu MiB: %s",
				(unsigned long long)(size >> 20), strerror(e));
	}
	/* MAP_NORESERVE: pages come on first touch; MAP_POPULATE would cost boot time. */
	m->base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE,
		       m->memfd, 0);
	if (m->base == MAP_FAILED) {
		int e = errno;
		close(m->memfd);
		m->base = NULL;
		return nx_error("cannot map %llu MiB of guest RAM: %s",
				(unsigned long long)(size >> 20), strerror(e));
	}
	/* Guest RAM is not host code's business: keep it out of core dumps. */
	madvise(m->base, size, MADV_DONTDUMP);
	m->size = size;

	low = size < NX_MMIO_HOLE ? size : NX_MMIO_HOLE;
	m->regions[0] = (struct nx_mem_region){ .gpa = 0, .size = low, .hva = m->base, .slot = 0 };
	m->nregions = 1;
	if (size > low) {
		m->regions[1] = (struct nx_mem_region){ .gpa = NX_HIGH_RAM, .size = size - low,
							.hva = m->base + low, .slot = 1 };
		m->nregions = 2;
	}
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
	for (int i = 0; i < m->nregions; i++) {
		const struct nx_mem_region *r = &m->regions[i];

		if (gpa >= r->gpa && len <= r->size && gpa - r->gpa <= r->size - len)
			return r->hva + (gpa - r->gpa);
	}
	return NULL;
}

/*
 * The guest's memory map. Below 1 MiB the PC convention: RAM to 0x9fc00,
 * then the EBDA/MP table, VGA hole and the BIOS area (where the RSDP must
 * live, ACPI spec 5.2.5.1) reserved.
 */
int nx_mem_e820(const struct nx_mem *m, struct nx_e820_entry *e, int max)
{
	int n = 0;
	uint64_t low = m->regions[0].size;

	if (max < 5)
		return -1;
	e[n++] = (struct nx_e820_entry){ 0, NX_MPTABLE, NX_E820_RAM };
	e[n++] = (struct nx_e820_entry){ NX_MPTABLE, 0x100000 - NX_MPTABLE, NX_E820_RESERVED };
	if (low > 0x100000)
		e[n++] = (struct nx_e820_entry){ 0x100000, low - 0x100000, NX_E820_RAM };
	/* ECAM, IOAPIC, counter page, LAPIC: the top of the hole is not RAM. */
	e[n++] = (struct nx_e820_entry){ NX_PCI_ECAM, 0x10000000, NX_E820_RESERVED };
	if (m->nregions > 1)
		e[n++] = (struct nx_e820_entry){ m->regions[1].gpa, m->regions[1].size, NX_E820_RAM };
	return n;
}

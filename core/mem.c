/* SPDX-License-Identifier: MIT */
/*
 * mem.c - guest RAM: one memfd, mapped once, handed to KVM as one memory
 * slot per region; where the regions lie in guest physical memory is the
 * arch's (nx_arch_mem_layout: x86 splits RAM around the 32-bit PCI/MMIO
 * hole, arm64 puts it at 0x40000000).
 */
#include <errno.h>
#include <fcntl.h>
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
	unsigned flags = MFD_CLOEXEC | MFD_ALLOW_SEALING;

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
	/* The memfd goes to vhost-user backends: sealed at its size, a peer's
	 * ftruncate cannot pull pages from under KVM and nexit (SIGBUS). */
	if (fcntl(m->memfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0) {
		int e = errno;
		close(m->memfd);
		return nx_error("cannot seal the guest RAM memfd: %s", strerror(e));
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
	nx_arch_mem_layout(m);
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

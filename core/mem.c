/* SPDX-License-Identifier: MIT */
/*
 * mem.c - guest RAM, mapped once, handed to KVM as one memory slot per
 * region; where the regions lie in guest physical memory is the arch's
 * (nx_arch_mem_layout: x86 splits RAM around the 32-bit PCI/MMIO hole,
 * arm64 puts it at 0x40000000). Two kinds:
 *  - a sealed memfd (nx_mem_init), when another process must map guest RAM
 *    (vhost-user backends) or hugetlbfs pages are asked for;
 *  - private anonymous memory in transparent huge pages
 *    (nx_mem_init_private) otherwise: KVM then maps guest RAM with 2 MiB
 *    nested page table entries, so the guest takes one nested page fault
 *    per 2 MiB it first touches instead of one per 4 KiB - what a booting
 *    kernel pays most for when every fault is an exit (a nested machine).
 *    shmem (a memfd) gets huge pages only if the host enabled them
 *    (transparent_hugepage/shmem_enabled, "never" by default).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>
#include <linux/memfd.h>
#include "core/vm.h"
#include "core/arch.h"

#define HUGE_2M		(2ull << 20)
#ifndef PR_SET_VMA
#define PR_SET_VMA		0x53564d41
#define PR_SET_VMA_ANON_NAME	0
#endif

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

int nx_mem_init_private(struct nx_mem *m, uint64_t size)
{
	uint8_t *p;
	uint64_t lead;

	memset(m, 0, sizeof(*m));
	m->memfd = -1;
	if (size < (1ull << 20))
		return nx_error("memory size %llu bytes is too small (need at least 1M)",
				(unsigned long long)size);
	/* 2 MiB-aligned, so every huge page of the host is a huge page of the
	 * guest (gpa 0 and 4 GiB are aligned too). */
	size = (size + HUGE_2M - 1) & ~(HUGE_2M - 1);
	p = mmap(NULL, size + HUGE_2M, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return nx_error("cannot map %llu MiB of guest RAM: %s",
				(unsigned long long)(size >> 20), strerror(errno));
	lead = (HUGE_2M - ((uintptr_t)p & (HUGE_2M - 1))) & (HUGE_2M - 1);
	if (lead)
		munmap(p, lead);
	munmap(p + lead + size, HUGE_2M - lead);
	m->base = p + lead;
	/* Huge pages where the host has them (THP "always" or "madvise"); not
	 * in a child's copy (a forked backend must not share or COW it); not
	 * in core dumps; named in /proc/PID/smaps (kernels with ANON_VMA_NAME). */
	madvise(m->base, size, MADV_HUGEPAGE);
	madvise(m->base, size, MADV_DONTFORK);
	madvise(m->base, size, MADV_DONTDUMP);
	prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, (unsigned long)m->base, size, "nexit-ram");
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

/* KVM numbers memory slots per VM (api.rst 4.35): RAM holds the slots of
 * its regions, devices take the others here. Callers may race (BARs of
 * several devices move under their bus lock), so a slot is claimed with one
 * atomic test-and-set. */
static bool slot_is_ram(const struct nx_mem *m, unsigned s)
{
	for (int i = 0; i < m->nregions; i++)
		if (m->regions[i].slot == s)
			return true;
	return false;
}

int nx_mem_slot_alloc(struct nx_mem *m)
{
	for (unsigned s = 0; s < NX_MEM_SLOTS; s++) {
		uint64_t bit = 1ull << (s % 64);

		if (slot_is_ram(m, s))
			continue;
		if (!(__atomic_fetch_or(&m->slot_used[s / 64], bit, __ATOMIC_ACQ_REL) & bit))
			return (int)s;
	}
	return -1;
}

void nx_mem_slot_free(struct nx_mem *m, int slot)
{
	if (slot >= 0 && slot < NX_MEM_SLOTS)
		__atomic_fetch_and(&m->slot_used[slot / 64], ~(1ull << (slot % 64)), __ATOMIC_ACQ_REL);
}

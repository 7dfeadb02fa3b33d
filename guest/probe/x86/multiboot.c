/* SPDX-License-Identifier: MIT */
/*
 * multiboot.c - the multiboot v1 information structure (Multiboot
 * Specification 0.6.96, 3.3): command line and memory map.
 */
#include "probe.h"

struct mb_info {
	u32 flags;
	u32 mem_lower, mem_upper;	/* flags bit 0, KiB */
	u32 boot_device;
	u32 cmdline;			/* flags bit 2 */
	u32 mods_count, mods_addr;
	u32 syms[4];
	u32 mmap_length, mmap_addr;	/* flags bit 6 */
} __attribute__((packed));

struct mb_mmap {
	u32 size;			/* of the rest of the entry */
	u64 addr, len;
	u32 type;			/* 1 = available RAM */
} __attribute__((packed));

#define GiB4 0x100000000ULL

int multiboot_parse(u32 magic, u32 info, struct bootinfo *bi)
{
	const struct mb_info *mb = (const struct mb_info *)(u64)info;
	u64 top_low = 0, high = 0;

	memset(bi, 0, sizeof(*bi));
	if (magic != MULTIBOOT_MAGIC)
		return -1;
	if (mb->flags & (1u << 2)) {
		const char *s = (const char *)(u64)mb->cmdline;
		size_t n = strlen(s);
		if (n >= sizeof(bi->cmdline))
			n = sizeof(bi->cmdline) - 1;
		memcpy(bi->cmdline, s, n);
	}
	if (mb->flags & (1u << 6)) {
		u64 p = mb->mmap_addr, end = p + mb->mmap_length;
		while (p < end) {
			const struct mb_mmap *e = (const struct mb_mmap *)p;
			if (e->type == 1) {
				u64 a = e->addr, z = e->addr + e->len;
				if (z > GiB4) {
					high += z - (a > GiB4 ? a : GiB4);
					z = GiB4;
				}
				if (a < z && z > top_low)
					top_low = z;
			}
			bi->mmap_entries++;
			p += e->size + 4;
		}
	} else if (mb->flags & 1) {
		top_low = 0x100000 + (u64)mb->mem_upper * 1024;
	}
	/* mem_mb counts RAM up to its top below 4 GiB (firmware holes included,
	 * e.g. SeaBIOS keeps the last 128 KiB) plus RAM above 4 GiB. */
	bi->mem_bytes = top_low + high;
	return 0;
}

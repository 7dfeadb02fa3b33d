/* SPDX-License-Identifier: MIT */
/*
 * multiboot.c - Multiboot Specification 0.6.96 ("multiboot v1"), the boot
 * convention OS test kernels use: a header in the first 8 KiB of the file,
 * an ELF image (or the a.out-kludge address fields), modules, and a
 * multiboot information structure handed over in EBX with EAX=0x2BADB002,
 * in 32-bit flat protected mode with paging off.
 */
#include <string.h>
#include "core/x86/boot.h"

#define MB_SEARCH		8192		/* spec 3.1.1: header within 8 KiB */
#define MB_HEADER_MAGIC		0x1badb002u
#define MB_BOOT_MAGIC		0x2badb002u	/* EAX at entry (spec 3.2)        */

/* Header flags (spec 3.1.2). Bits 0-15 are requirements: a loader must
 * refuse a kernel asking for one it does not understand. */
#define MB_F_PAGE_ALIGN		(1u << 0)	/* modules 4 KiB aligned          */
#define MB_F_MEMORY_INFO	(1u << 1)	/* mem_* fields (and mmap)        */
#define MB_F_VIDEO_MODE		(1u << 2)	/* video mode table               */
#define MB_F_AOUT_KLUDGE	(1u << 16)	/* address fields are valid       */
#define MB_F_REQUIRED_MASK	0xffffu
#define MB_F_KNOWN		(MB_F_PAGE_ALIGN | MB_F_MEMORY_INFO | MB_F_VIDEO_MODE)

/* Info flags (spec 3.3). */
#define MBI_MEMORY		(1u << 0)
#define MBI_CMDLINE		(1u << 2)
#define MBI_MODS		(1u << 3)
#define MBI_MMAP		(1u << 6)
#define MBI_LOADER_NAME		(1u << 9)

struct mb_header {
	uint32_t magic, flags, checksum;
	uint32_t header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr;
} __attribute__((packed));

struct mb_info {
	uint32_t flags;
	uint32_t mem_lower, mem_upper;	/* KiB below 640K / from 1 MiB */
	uint32_t boot_device;
	uint32_t cmdline;
	uint32_t mods_count, mods_addr;
	uint32_t syms[4];
	uint32_t mmap_length, mmap_addr;
	uint32_t drives_length, drives_addr;
	uint32_t config_table;
	uint32_t boot_loader_name;
	uint32_t apm_table;
	uint32_t vbe_control_info, vbe_mode_info;
	uint16_t vbe_mode, vbe_interface_seg, vbe_interface_off, vbe_interface_len;
} __attribute__((packed));

struct mb_module {
	uint32_t mod_start, mod_end, string, reserved;
} __attribute__((packed));

/* "size" is the size of the rest of the entry: mmap walkers step by size+4. */
struct mb_mmap_entry {
	uint32_t size;
	uint64_t base_addr, length;
	uint32_t type;
} __attribute__((packed));

/*
 * The boot block nexit hands a multiboot kernel: 16 KiB holding the
 * multiboot info page (the info, the boot GDT the entry state's segments
 * come from, the loader name, the memory map, the module list and module
 * strings) and the command line. It goes at NX_MB_INFO, unless the kernel
 * loads something there (multiboot kernels may use memory below 1 MiB),
 * then on the first page after everything the kernel and its modules
 * occupy: nexit's own data never lies under the kernel's.
 */
#define MB_BLOCK_SIZE		0x4000
#define MBI_OFF_GDT		0x060
#define MBI_OFF_NAME		0x080
#define MBI_OFF_MMAP		0x0a0
#define MBI_OFF_MODS		0x200
#define MBI_MAX_MODS		16
#define MBI_OFF_STRINGS		(MBI_OFF_MODS + MBI_MAX_MODS * sizeof(struct mb_module))
#define MBI_SIZE		0x1000
#define MB_OFF_CMDLINE		MBI_SIZE
#define MB_CMDLINE_MAX		(MB_BLOCK_SIZE - MB_OFF_CMDLINE - 1)

_Static_assert(sizeof(struct mb_info) == 88, "multiboot info is 88 bytes up to vbe_*");
_Static_assert(sizeof(struct mb_info) <= MBI_OFF_GDT && MBI_OFF_GDT % 8 == 0 &&
	       MBI_OFF_GDT + 32 <= MBI_OFF_NAME, "the boot GDT (4 entries) fits after the info");
_Static_assert(MBI_OFF_MMAP + NX_E820_MAX * sizeof(struct mb_mmap_entry) <= MBI_OFF_MODS,
	       "mmap overlaps the module list");
_Static_assert(MB_CMDLINE_MAX >= 2 * 4096, "the block holds the kernel path and a 4 KiB cmdline");
_Static_assert(NX_MB_INFO + MB_BLOCK_SIZE <= NX_BOOT_CMDLINE, "boot block overlaps the cmdline");

long nx_multiboot_find(const struct nx_kimage *k)
{
	size_t lim = k->head < MB_SEARCH ? k->head : MB_SEARCH;

	/* Spec 3.1.1: 32-bit aligned, entirely within the first 8192 bytes. */
	for (size_t off = 0; off + 12 <= lim; off += 4) {
		const struct mb_header *h = (const void *)(k->data + off);

		if (h->magic == MB_HEADER_MAGIC &&
		    (uint32_t)(h->magic + h->flags + h->checksum) == 0)
			return (long)off;
	}
	return -1;
}

/* a.out kludge (spec 3.1.3): the file from header_addr's offset is loaded
 * at load_addr up to load_end_addr (0 = end of file), bss zeroed up to
 * bss_end_addr (0 = none). */
static int load_aout_kludge(struct nx_vm *vm, const struct nx_kimage *k, long off,
			    const struct mb_header *h, uint64_t *entry, uint64_t *end,
			    struct nx_boot_ranges *used)
{
	uint64_t file_off, len, bss_end;
	uint8_t *dst;

	if ((size_t)off + sizeof(*h) > MB_SEARCH || (size_t)off + sizeof(*h) > k->size)
		return nx_error("kernel '%s': multiboot header address fields cut off", k->path);
	if (h->header_addr < h->load_addr || h->header_addr - h->load_addr > (uint64_t)off)
		return nx_error("kernel '%s': multiboot header_addr 0x%x / load_addr 0x%x put "
				"the image before the file start", k->path, h->header_addr,
				h->load_addr);
	file_off = off - (h->header_addr - h->load_addr);
	if (h->load_end_addr) {
		if (h->load_end_addr < h->load_addr)
			return nx_error("kernel '%s': multiboot load_end_addr below load_addr",
					k->path);
		len = h->load_end_addr - h->load_addr;
		if (len > k->size - file_off)
			return nx_error("kernel '%s': truncated multiboot image (load_end_addr is "
					"past the end of the file)", k->path);
	} else {
		len = k->size - file_off;
	}
	bss_end = h->bss_end_addr ? h->bss_end_addr : h->load_addr + len;
	if (bss_end < h->load_addr + len)
		return nx_error("kernel '%s': multiboot bss_end_addr below the loaded image",
				k->path);
	dst = nx_boot_place_low(vm, "multiboot kernel image", h->load_addr, bss_end - h->load_addr);
	if (!dst || nx_boot_ranges_add(used, h->load_addr, bss_end) < 0)
		return -1;
	if (nx_kimage_copy(k, file_off, dst, len) < 0)
		return -1;
	memset(dst + len, 0, bss_end - h->load_addr - len);
	*entry = h->entry_addr;
	*end = bss_end;
	return 0;
}

/* Modules: cfg->initrd is "path [args][,path [args]...]"; the whole element
 * is the module string (like QEMU's -initrd for multiboot). Each module is
 * loaded page aligned after the previous one, from the first page above
 * both the kernel and 1 MiB. The module entries' string fields hold offsets
 * into the info page until the block's address is known. */
static int load_modules(struct nx_vm *vm, uint8_t *page, struct mb_info *mi, uint64_t cursor,
			struct nx_boot_ranges *used)
{
	const char *list = vm->cfg->initrd;
	struct mb_module *mods = (void *)(page + MBI_OFF_MODS);
	size_t str = MBI_OFF_STRINGS;
	unsigned n = 0;

	if (cursor < NX_BOOT_LOAD_MIN)
		cursor = NX_BOOT_LOAD_MIN;
	while (*list) {
		const char *comma = strchr(list, ','), *elt_end = comma ? comma : list + strlen(list);
		char elt[4096], path[4096];
		uint64_t size;
		size_t len;
		int r;

		while (list < elt_end && *list == ' ')
			list++;
		len = elt_end - list;
		while (len && list[len - 1] == ' ')
			len--;
		if (len == 0)
			return nx_error("module list '%s': empty entry", vm->cfg->initrd);
		if (n == MBI_MAX_MODS)
			return nx_error("more than %d multiboot modules", MBI_MAX_MODS);
		memcpy(elt, list, len);
		elt[len] = 0;
		memcpy(path, elt, len + 1);
		path[strcspn(path, " ")] = 0;
		if (str + len + 1 > MBI_SIZE)
			return nx_error("multiboot module strings are longer than %zu bytes",
					(size_t)(MBI_SIZE - MBI_OFF_STRINGS));

		r = nx_file_size("module", path, &size);
		if (r < 0)
			return r;
		cursor = (cursor + 0xfff) & ~0xfffULL;	/* MB_F_PAGE_ALIGN, always */
		if (cursor + size > nx_lowmem_end(&vm->mem) || cursor + size > 0xffffffffULL)
			return nx_error("module '%s' (%llu KiB) does not fit in low guest RAM after "
					"the kernel (at 0x%llx, RAM ends at 0x%llx); raise --mem",
					path, (unsigned long long)(size >> 10),
					(unsigned long long)cursor,
					(unsigned long long)nx_lowmem_end(&vm->mem));
		r = nx_file_to_guest(vm, "module", path, cursor, size);
		if (r < 0 || nx_boot_ranges_add(used, cursor, cursor + size) < 0)
			return r < 0 ? r : nx_error("too many multiboot modules");
		memcpy(page + str, elt, len + 1);
		mods[n] = (struct mb_module){ .mod_start = (uint32_t)cursor,
					      .mod_end = (uint32_t)(cursor + size),
					      .string = (uint32_t)str };
		str += len + 1;
		cursor += size;
		n++;
		list = comma ? comma + 1 : elt_end;
	}
	if (n) {
		mi->mods_count = n;
		mi->mods_addr = MBI_OFF_MODS;
		mi->flags |= MBI_MODS;
	}
	return 0;
}

/* The block's address: NX_MB_INFO, or the first page after all the kernel
 * and its modules occupy (at least 1 MiB) if they reach into it. */
static int place_block(struct nx_vm *vm, const struct nx_boot_ranges *used, uint64_t *base)
{
	uint64_t b = NX_BOOT_LOAD_MIN;

	if (!nx_boot_ranges_overlap(used, NX_MB_INFO, NX_MB_INFO + MB_BLOCK_SIZE)) {
		*base = NX_MB_INFO;
		return 0;
	}
	for (unsigned i = 0; i < used->n; i++)
		if (used->r[i].end > b)
			b = used->r[i].end;
	b = (b + 0xfff) & ~0xfffULL;
	if (b + MB_BLOCK_SIZE > nx_lowmem_end(&vm->mem) || b + MB_BLOCK_SIZE > 0x100000000ULL)
		return nx_error("no room for the multiboot info and command line (16 KiB) after the "
				"kernel and its modules (they end at 0x%llx, low RAM at 0x%llx); raise --mem",
				(unsigned long long)b, (unsigned long long)nx_lowmem_end(&vm->mem));
	*base = b;
	return 0;
}

/* Builds the info page in host memory, loads the modules, then writes the
 * block where place_block says and fills in the addresses. */
static int build_info(struct nx_vm *vm, uint64_t kernel_end, struct nx_boot_ranges *used,
		      uint64_t *base)
{
	uint8_t page[MBI_SIZE];
	struct nx_e820_entry e[NX_E820_MAX];
	struct mb_mmap_entry *mm;
	struct mb_module *mods;
	struct mb_info *mi;
	uint8_t *dst;
	int n, r;

	memset(page, 0, sizeof(page));
	mi = (void *)page;
	mm = (void *)(page + MBI_OFF_MMAP);
	mods = (void *)(page + MBI_OFF_MODS);

	n = nx_mem_e820(&vm->mem, e, NX_E820_MAX);
	if (n < 0)
		return nx_error("cannot build the e820 memory map");
	for (int i = 0; i < n; i++) {
		mm[i] = (struct mb_mmap_entry){ .size = sizeof(mm[i]) - 4, .base_addr = e[i].addr,
						.length = e[i].size, .type = e[i].type };
		/* mem_lower: RAM from 0 (at most 640 KiB); mem_upper: RAM from 1 MiB
		 * up to the first hole (spec 3.3). */
		if (e[i].type == NX_E820_RAM && e[i].addr == 0)
			mi->mem_lower = (e[i].size > 0xa0000 ? 0xa0000 : e[i].size) >> 10;
		if (e[i].type == NX_E820_RAM && e[i].addr == 0x100000)
			mi->mem_upper = e[i].size >> 10;
	}
	mi->mmap_length = n * sizeof(*mm);
	mi->flags = MBI_MEMORY | MBI_MMAP | MBI_CMDLINE | MBI_LOADER_NAME;
	strcpy((char *)page + MBI_OFF_NAME, "nexit");

	r = load_modules(vm, page, mi, kernel_end, used);
	if (r < 0 || (r = place_block(vm, used, base)) < 0)
		return r;
	/* Addresses, now that the block has one. */
	mi->mmap_addr = (uint32_t)(*base + MBI_OFF_MMAP);
	mi->boot_loader_name = (uint32_t)(*base + MBI_OFF_NAME);
	mi->cmdline = (uint32_t)(*base + MB_OFF_CMDLINE);
	if (mi->mods_count)
		mi->mods_addr = (uint32_t)(*base + MBI_OFF_MODS);
	for (unsigned i = 0; i < mi->mods_count; i++)
		mods[i].string += (uint32_t)*base;
	dst = nx_gpa(&vm->mem, *base, MB_BLOCK_SIZE);
	if (!dst)
		return nx_error("guest RAM too small for the multiboot info at 0x%llx",
				(unsigned long long)*base);
	memcpy(dst, page, MBI_SIZE);
	/* The command line starts with the kernel's path, as GRUB and QEMU
	 * pass it (spec 3.3: "the command line to be passed to the kernel"). */
	return nx_boot_cmdline_at(vm, *base + MB_OFF_CMDLINE, vm->cfg->kernel, MB_CMDLINE_MAX);
}

int nx_multiboot_load(struct nx_vm *vm, const struct nx_kimage *k, long off,
		      struct nx_boot *b)
{
	struct nx_boot_ranges used = { 0 };
	struct mb_header h = { 0 };
	uint64_t entry, end, base = 0;
	int r;

	memcpy(&h, k->data + off, k->head - off < sizeof(h) ? k->head - off : sizeof(h));
	if (h.flags & MB_F_REQUIRED_MASK & ~MB_F_KNOWN)
		return nx_error("kernel '%s': multiboot header requires features 0x%x that nexit "
				"does not provide", k->path, h.flags & MB_F_REQUIRED_MASK & ~MB_F_KNOWN);
	if (h.flags & MB_F_VIDEO_MODE)
		nx_warn("kernel '%s' asks for a video mode; nexit has no display (serial only)",
			k->path);

	if (h.flags & MB_F_AOUT_KLUDGE)
		r = load_aout_kludge(vm, k, off, &h, &entry, &end, &used);
	else if (nx_is_elf(k))
		r = nx_elf_load_segments(vm, k, &entry, &end, &used);
	else
		r = nx_error("kernel '%s' has a multiboot header but is neither ELF nor "
			     "carries load addresses (flag bit 16)", k->path);
	if (r < 0)
		return r;
	if (entry >= 0x100000000ULL || !nx_boot_ranges_overlap(&used, entry, entry + 1))
		return nx_error("kernel '%s': multiboot entry 0x%llx is not in the loaded image "
				"below 4 GiB", k->path, (unsigned long long)entry);
	r = build_info(vm, end, &used, &base);
	if (r < 0)
		return r;

	b->kind = NX_KERNEL_MULTIBOOT;
	b->entry = entry;
	b->eax = MB_BOOT_MAGIC;
	b->ebx = (uint32_t)base;
	b->gdt = base + MBI_OFF_GDT;
	b->long_mode = false;
	return 0;
}

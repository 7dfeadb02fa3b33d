/* SPDX-License-Identifier: MIT */
/*
 * pvh.c - the PVH boot ABI (Xen docs/misc/pvh.pandoc, also QEMU's and
 * Firecracker's) for an uncompressed Linux vmlinux: an ELF64 kernel whose
 * XEN_ELFNOTE_PHYS32_ENTRY note (type 18, owner "Xen") names a 32-bit entry.
 * The guest starts there in flat 32-bit protected mode, paging off, with
 * EBX = the physical address of struct hvm_start_info (version 1: command
 * line, modules - the initrd is the first - the RSDP and the e820 memory
 * map). Linux builds its boot_params from it (arch/x86/platform/pvh/).
 *
 * What it saves over a bzImage: the decompressor (copying the compressed
 * kernel out of the way, inflating it, applying relocations) runs in the
 * guest; here the kernel is already in place at its link address.
 */
#include <elf.h>
#include <stdlib.h>
#include <string.h>
#include "core/x86/boot.h"

#define XEN_ELFNOTE_PHYS32_ENTRY	18
#define HVM_START_MAGIC			0x336ec578
/* hvm_start_info and what it points to, in the boot_params page (unused by PVH). */
#define PVH_INFO			NX_BOOT_PARAMS
#define PVH_MODLIST			(NX_BOOT_PARAMS + 0x100)
#define PVH_MEMMAP			(NX_BOOT_PARAMS + 0x200)

struct hvm_start_info {
	uint32_t magic, version, flags, nr_modules;
	uint64_t modlist_paddr, cmdline_paddr, rsdp_paddr;
	uint64_t memmap_paddr;		/* version 1 */
	uint32_t memmap_entries, reserved;
};
struct hvm_modlist_entry { uint64_t paddr, size, cmdline_paddr, reserved; };
struct hvm_memmap_entry { uint64_t addr, size; uint32_t type, reserved; };
_Static_assert(sizeof(struct hvm_start_info) == 56, "hvm_start_info v1 layout");

/* [off, off + len) of the file, or -1 (quietly: a probe, not a load). */
static int pread_quiet(const struct nx_kimage *k, uint64_t off, void *dst, uint64_t len)
{
	if (off > k->size || len > k->size - off)
		return -1;
	return nx_kimage_copy(k, off, dst, len);
}

/* The 32-bit entry of an ELF64 kernel's PHYS32_ENTRY note (in a PT_NOTE
 * segment); false if it has none. Every offset is checked against the file. */
bool nx_pvh_entry(const struct nx_kimage *k, uint32_t *entry)
{
	const Elf64_Ehdr *e = (const void *)k->data;
	Elf64_Phdr *phs;
	uint8_t *notes = NULL;
	bool found = false;

	if (k->head < sizeof(*e) || k->data[EI_CLASS] != ELFCLASS64 ||
	    e->e_phentsize != sizeof(Elf64_Phdr) || e->e_phoff > k->size ||
	    e->e_phnum > (k->size - e->e_phoff) / sizeof(Elf64_Phdr))
		return false;
	phs = malloc((size_t)e->e_phnum * sizeof(*phs));
	if (!phs || pread_quiet(k, e->e_phoff, phs, (uint64_t)e->e_phnum * sizeof(*phs)) < 0) {
		free(phs);
		return false;
	}
	for (unsigned i = 0; i < e->e_phnum && !found; i++) {
		uint64_t off = 0, end = phs[i].p_filesz;

		/* Notes are small; a huge PT_NOTE is not a kernel's. */
		if (phs[i].p_type != PT_NOTE || end > NX_KHEAD)
			continue;
		free(notes);
		notes = malloc(end ? end : 1);
		if (!notes || pread_quiet(k, phs[i].p_offset, notes, end) < 0)
			break;
		/* Elf64_Nhdr: namesz, descsz, type; name and desc 4-byte aligned. */
		while (end - off >= sizeof(Elf64_Nhdr)) {
			Elf64_Nhdr nb, *n = &nb;	/* copied out: no alignment assumed */
			uint64_t name, desc, next;

			memcpy(&nb, notes + off, sizeof(nb));
			name = off + sizeof(nb);
			desc = name + ((n->n_namesz + 3ull) & ~3ull);
			next = desc + ((n->n_descsz + 3ull) & ~3ull);

			if (next > end)
				break;
			if (n->n_type == XEN_ELFNOTE_PHYS32_ENTRY && n->n_namesz == 4 &&
			    !memcmp(notes + name, "Xen", 4) && n->n_descsz >= 4) {
				memcpy(entry, notes + desc, 4);
				found = true;
				break;
			}
			off = next;
		}
	}
	free(notes);
	free(phs);
	return found;
}

/* The initrd is module 0 (Linux takes the first module as its initrd). */
static int load_initrd(struct nx_vm *vm, uint64_t kernel_end, struct hvm_start_info *si)
{
	struct hvm_modlist_entry *m;
	uint64_t addr, size;
	int r = nx_boot_initrd(vm, kernel_end, nx_lowmem_end(&vm->mem), &addr, &size);

	if (r < 0 || !size)
		return r;
	m = nx_gpa(&vm->mem, PVH_MODLIST, sizeof(*m));
	*m = (struct hvm_modlist_entry){ .paddr = addr, .size = size };
	si->nr_modules = 1;
	si->modlist_paddr = PVH_MODLIST;
	return 0;
}

int nx_pvh_load(struct nx_vm *vm, const struct nx_kimage *k, uint32_t entry, struct nx_boot *b)
{
	struct nx_e820_entry e[NX_E820_MAX];
	struct hvm_memmap_entry *mm;
	struct hvm_start_info *si;
	uint64_t elf_entry, end;
	int n, r;

	r = nx_elf_load_segments(vm, k, &elf_entry, &end, NULL);
	if (r < 0)
		return r;
	si = nx_gpa(&vm->mem, PVH_INFO, 0x1000);
	if (!si)
		return nx_error("guest RAM too small for the PVH start info");
	memset(si, 0, 0x1000);
	si->magic = HVM_START_MAGIC;
	si->version = 1;
	r = nx_boot_cmdline(vm, NX_BOOT_CMDLINE_MAX - 1);
	if (r < 0)
		return r;
	si->cmdline_paddr = NX_BOOT_CMDLINE;
	si->rsdp_paddr = NX_ACPI_BASE;
	n = nx_mem_e820(&vm->mem, e, NX_E820_MAX);
	if (n < 0)
		return nx_error("cannot build the e820 memory map");
	mm = nx_gpa(&vm->mem, PVH_MEMMAP, (uint64_t)n * sizeof(*mm));
	for (int i = 0; i < n; i++)
		mm[i] = (struct hvm_memmap_entry){ e[i].addr, e[i].size, e[i].type, 0 };
	si->memmap_paddr = PVH_MEMMAP;
	si->memmap_entries = (uint32_t)n;
	r = load_initrd(vm, end, si);
	if (r < 0)
		return r;
	b->kind = NX_KERNEL_PVH;
	b->entry = entry;
	b->ebx = PVH_INFO;
	b->long_mode = false;
	return 0;
}

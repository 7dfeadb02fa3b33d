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

/* The 32-bit entry of an ELF64 kernel's PHYS32_ENTRY note (in a PT_NOTE
 * segment); false if it has none. Every offset is checked against the file. */
bool nx_pvh_entry(const struct nx_kimage *k, uint32_t *entry)
{
	const Elf64_Ehdr *e = (const void *)k->data;

	if (k->size < sizeof(*e) || k->data[EI_CLASS] != ELFCLASS64 ||
	    e->e_phentsize != sizeof(Elf64_Phdr) || e->e_phoff > k->size ||
	    e->e_phnum > (k->size - e->e_phoff) / sizeof(Elf64_Phdr))
		return false;
	for (unsigned i = 0; i < e->e_phnum; i++) {
		Elf64_Phdr phb, *ph = &phb;	/* copied out: e_phoff need not be aligned */
		uint64_t off, end;

		memcpy(&phb, k->data + e->e_phoff + i * sizeof(phb), sizeof(phb));
		if (ph->p_type != PT_NOTE || ph->p_offset > k->size ||
		    ph->p_filesz > k->size - ph->p_offset)
			continue;
		off = ph->p_offset;
		end = off + ph->p_filesz;
		/* Elf64_Nhdr: namesz, descsz, type; name and desc 4-byte aligned. */
		while (end - off >= sizeof(Elf64_Nhdr)) {
			Elf64_Nhdr nb, *n = &nb;	/* nor p_offset */
			uint64_t name, desc, next;

			memcpy(&nb, k->data + off, sizeof(nb));
			name = off + sizeof(nb);
			desc = name + ((n->n_namesz + 3ull) & ~3ull);
			next = desc + ((n->n_descsz + 3ull) & ~3ull);

			if (next > end)
				break;
			if (n->n_type == XEN_ELFNOTE_PHYS32_ENTRY && n->n_namesz == 4 &&
			    !memcmp(k->data + name, "Xen", 4) && n->n_descsz >= 4) {
				memcpy(entry, k->data + desc, 4);
				return true;
			}
			off = next;
		}
	}
	return false;
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

	r = nx_elf_load_segments(vm, k, &elf_entry, &end);
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

/* SPDX-License-Identifier: MIT */
/*
 * elf.c - ELF kernels (System V gABI): PT_LOAD segments are copied to their
 * physical addresses (p_paddr), the rest of p_memsz is zeroed (bss). Used
 * for multiboot ELF32/ELF64 kernels and for plain ELF64 kernels, which are
 * entered in 64-bit mode with identity-mapped page tables.
 */
#include <elf.h>
#include <stdlib.h>
#include <string.h>
#include "core/x86/boot.h"

bool nx_is_elf(const struct nx_kimage *k)
{
	return k->head >= EI_NIDENT && !memcmp(k->data, ELFMAG, SELFMAG);
}

/* One program header in a class-independent form. */
struct seg { uint32_t type; uint64_t off, vaddr, paddr, filesz, memsz; };

static int read_phdrs(const struct nx_kimage *k, struct seg **out, unsigned *n,
		      uint64_t *entry, bool *is64)
{
	const uint8_t *d = k->data;
	const Elf64_Ehdr *e64 = (const void *)d;
	const Elf32_Ehdr *e32 = (const void *)d;
	uint64_t phoff, phentsize, phnum;
	unsigned machine;
	uint8_t *ph;

	if (d[EI_DATA] != ELFDATA2LSB)
		return nx_error("kernel '%s': ELF file is not little-endian", k->path);
	if (d[EI_CLASS] != ELFCLASS64 && d[EI_CLASS] != ELFCLASS32)
		return nx_error("kernel '%s': unknown ELF class %u", k->path, d[EI_CLASS]);
	*is64 = d[EI_CLASS] == ELFCLASS64;
	if (k->head < (*is64 ? sizeof(*e64) : sizeof(*e32)))
		return nx_error("kernel '%s': truncated ELF header", k->path);
	/* The two classes' headers: the same fields, of the class's widths. */
	machine = *is64 ? e64->e_machine : e32->e_machine;
	phoff = *is64 ? e64->e_phoff : e32->e_phoff;
	phentsize = *is64 ? e64->e_phentsize : e32->e_phentsize;
	phnum = *is64 ? e64->e_phnum : e32->e_phnum;
	*entry = *is64 ? e64->e_entry : e32->e_entry;
	if (machine != (*is64 ? EM_X86_64 : EM_386))
		return nx_error("kernel '%s': ELF%s for machine %u, not %s", k->path,
				*is64 ? "64" : "32", machine, *is64 ? "x86_64" : "i386");
	if (phentsize != (*is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr)))
		return nx_error("kernel '%s': odd ELF program header size %llu", k->path,
				(unsigned long long)phentsize);
	if (phnum == 0)
		return nx_error("kernel '%s': ELF file has no program headers", k->path);
	if (phoff > k->size || phnum * phentsize > k->size - phoff)
		return nx_error("kernel '%s': truncated ELF file (program headers past the end)",
				k->path);

	*out = calloc(phnum, sizeof(**out));
	ph = malloc(phnum * phentsize);
	if (!*out || !ph) {
		free(ph);
		return nx_error("out of memory");
	}
	if (nx_kimage_copy(k, phoff, ph, phnum * phentsize) < 0) {
		free(ph);
		return -1;
	}
	for (uint64_t i = 0; i < phnum; i++) {
		const uint8_t *p = ph + i * phentsize;
		struct seg *s = &(*out)[i];

		/* Copied out: e_phoff need not be aligned in a file we are given. */
		if (*is64) {
			Elf64_Phdr ph;
			memcpy(&ph, p, sizeof(ph));
			*s = (struct seg){ ph.p_type, ph.p_offset, ph.p_vaddr, ph.p_paddr,
					   ph.p_filesz, ph.p_memsz };
		} else {
			Elf32_Phdr ph;
			memcpy(&ph, p, sizeof(ph));
			*s = (struct seg){ ph.p_type, ph.p_offset, ph.p_vaddr, ph.p_paddr,
					   ph.p_filesz, ph.p_memsz };
		}
	}
	free(ph);
	*n = phnum;
	return 0;
}

int nx_elf_load_segments(struct nx_vm *vm, const struct nx_kimage *k,
			 uint64_t *entry, uint64_t *end, struct nx_boot_ranges *low)
{
	struct seg *s = NULL;
	unsigned n = 0, loaded = 0;
	uint64_t e_entry, phys_entry = 0;
	bool is64, found = false;
	int r = read_phdrs(k, &s, &n, &e_entry, &is64);

	if (r < 0)
		return r;
	*end = 0;
	for (unsigned i = 0; i < n && r == 0; i++) {
		char what[64];
		uint8_t *dst;

		if (s[i].type != PT_LOAD || s[i].memsz == 0)
			continue;
		if (s[i].filesz > s[i].memsz || s[i].off > k->size ||
		    s[i].filesz > k->size - s[i].off) {
			r = nx_error("kernel '%s': truncated ELF file (segment %u past the end)",
				     k->path, i);
			break;
		}
		snprintf(what, sizeof(what), "ELF segment %u of the kernel", i);
		dst = low ? nx_boot_place_low(vm, what, s[i].paddr, s[i].memsz) :
			    nx_boot_place(vm, what, s[i].paddr, s[i].memsz);
		if (!dst || (low && nx_boot_ranges_add(low, s[i].paddr, s[i].paddr + s[i].memsz) < 0)) {
			r = dst ? nx_error("kernel '%s': more than %d loadable segments", k->path,
					   NX_BOOT_MAX_RANGES) : -1;
			break;
		}
		if (nx_kimage_copy(k, s[i].off, dst, s[i].filesz) < 0) {
			r = -1;
			break;
		}
		memset(dst + s[i].filesz, 0, s[i].memsz - s[i].filesz);
		if (s[i].paddr + s[i].memsz > *end)
			*end = s[i].paddr + s[i].memsz;
		/* e_entry is a virtual address; run it at its physical home. */
		if (!found && e_entry >= s[i].vaddr && e_entry - s[i].vaddr < s[i].memsz) {
			phys_entry = s[i].paddr + (e_entry - s[i].vaddr);
			found = true;
		}
		loaded++;
	}
	free(s);
	if (r < 0)
		return r;
	if (!loaded)
		return nx_error("kernel '%s': ELF file has no loadable segment", k->path);
	*entry = found ? phys_entry : e_entry;
	return 0;
}

int nx_elf64_load(struct nx_vm *vm, const struct nx_kimage *k, struct nx_boot *b)
{
	uint64_t entry, end;
	int r;

	if (k->head > EI_CLASS && k->data[EI_CLASS] != ELFCLASS64)
		return nx_error("kernel '%s' is a 32-bit ELF without a multiboot header; "
				"nexit boots multiboot ELF32 or plain ELF64 kernels", k->path);
	if (vm->cfg->initrd[0])
		return nx_error("kernel '%s' is a plain ELF64 kernel, which has no way to receive "
				"an initrd; use a multiboot kernel (modules) or a bzImage", k->path);
	r = nx_elf_load_segments(vm, k, &entry, &end, NULL);
	if (r < 0)
		return r;
	/* The boot page tables identity-map the low 4 GiB only. */
	if (entry >= NX_BOOT_IDMAP_SIZE)
		return nx_error("kernel '%s': ELF64 entry 0x%llx is not identity-mapped "
				"(below 4 GiB)", k->path, (unsigned long long)entry);
	r = nx_boot_cmdline(vm, NX_BOOT_CMDLINE_MAX - 1);
	if (r < 0)
		return r;
	b->kind = NX_KERNEL_ELF64;
	b->entry = entry;
	b->long_mode = true;
	/* Plain ELF64 has no boot-info convention; hand over the command line
	 * the way Linux gets boot_params: a pointer in RSI. */
	b->rsi = NX_BOOT_CMDLINE;
	return 0;
}

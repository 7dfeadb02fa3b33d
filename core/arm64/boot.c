/* SPDX-License-Identifier: MIT */
/*
 * boot.c - loading the guest on arm64: the Linux Image boot protocol
 * (Documentation/arch/arm64/booting.rst: 64-byte header, magic "ARM\x64" at
 * 0x38, text_offset and image_size, x0 = DTB, MMU off, EL1) and plain ELF64
 * (EM_AARCH64, PT_LOAD segments at their physical addresses) for the probe.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "core/arm64/arm64.h"

#define ARM64_IMAGE_MAGIC 0x644d5241u	/* "ARM\x64" */

struct arm64_image_header {
	uint32_t code0, code1;
	uint64_t text_offset, image_size, flags, res2, res3, res4;
	uint32_t magic, res5;
};

static void *map_file(const char *path, size_t *len, const char *what)
{
	struct stat st;
	void *p;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return nx_error_null("cannot open %s %s: %s", what, path, strerror(errno));
	if (fstat(fd, &st) < 0 || st.st_size == 0) {
		close(fd);
		return nx_error_null("%s %s is empty or unreadable", what, path);
	}
	p = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return nx_error_null("cannot map %s %s: %s", what, path, strerror(errno));
	*len = st.st_size;
	return p;
}

static int load_elf(struct nx_vm *vm, struct nx_a64 *a, const uint8_t *f, size_t len)
{
	const Elf64_Ehdr *eh = (const void *)f;

	if (len < sizeof(*eh) || eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_machine != EM_AARCH64)
		return nx_error("%s: not an ELF64 AArch64 executable", vm->cfg->kernel);
	if (eh->e_phoff > len || eh->e_phnum * (uint64_t)sizeof(Elf64_Phdr) > len - eh->e_phoff)
		return nx_error("%s: program headers lie outside the file", vm->cfg->kernel);
	for (int i = 0; i < eh->e_phnum; i++) {
		Elf64_Phdr phb, *ph = &phb;	/* copied out: e_phoff need not be aligned */
		uint8_t *dst;

		memcpy(&phb, f + eh->e_phoff + i * sizeof(Elf64_Phdr), sizeof(phb));
		if (ph->p_type != PT_LOAD || !ph->p_memsz)
			continue;
		if (ph->p_filesz > ph->p_memsz || ph->p_offset > len || ph->p_filesz > len - ph->p_offset)
			return nx_error("%s: segment %d lies outside the file", vm->cfg->kernel, i);
		dst = nx_gpa(&vm->mem, ph->p_paddr, ph->p_memsz);
		if (!dst)
			return nx_error("%s: segment %d at 0x%llx+0x%llx is outside guest RAM "
					"(0x%llx, %llu MiB)", vm->cfg->kernel, i,
					(unsigned long long)ph->p_paddr, (unsigned long long)ph->p_memsz,
					(unsigned long long)NX_A64_RAM,
					(unsigned long long)(vm->mem.size >> 20));
		memcpy(dst, f + ph->p_offset, ph->p_filesz);
		memset(dst + ph->p_filesz, 0, ph->p_memsz - ph->p_filesz);
		if (ph->p_paddr + ph->p_memsz > a->kernel_end)
			a->kernel_end = ph->p_paddr + ph->p_memsz;
	}
	if (!a->kernel_end)
		return nx_error("%s: no loadable segment (PT_LOAD): nothing to run", vm->cfg->kernel);
	a->entry = eh->e_entry;
	return 0;
}

static int load_image(struct nx_vm *vm, struct nx_a64 *a, const uint8_t *f, size_t len)
{
	const struct arm64_image_header *h = (const void *)f;
	uint64_t load = NX_A64_RAM + h->text_offset;	/* 2 MiB-aligned base + text_offset */
	uint64_t size = h->image_size ? h->image_size : len;
	uint8_t *dst = nx_gpa(&vm->mem, load, size);

	if (!dst || size < len)
		return nx_error("%s: Image of %llu bytes does not fit in %llu MiB of RAM",
				vm->cfg->kernel, (unsigned long long)size,
				(unsigned long long)(vm->mem.size >> 20));
	memcpy(dst, f, len);
	a->entry = load;
	a->kernel_end = load + size;
	return 0;
}

int nx_a64_boot_load(struct nx_vm *vm, struct nx_a64 *a)
{
	const char *path = vm->cfg->kernel;
	size_t len, ilen;
	uint8_t *f, *init, *dst;
	int r;

	a->kernel_end = 0;
	f = map_file(path, &len, "kernel");
	if (!f)
		return -1;
	if (len >= 4 && !memcmp(f, ELFMAG, SELFMAG))
		r = load_elf(vm, a, f, len);
	else if (len >= sizeof(struct arm64_image_header) &&
		 ((const struct arm64_image_header *)f)->magic == ARM64_IMAGE_MAGIC)
		r = load_image(vm, a, f, len);
	else if (len >= 2 && f[0] == 0x1f && f[1] == 0x8b)
		r = nx_error("%s is a gzip-compressed Image (Debian's vmlinuz): gunzip it first", path);
	else
		r = nx_error("%s is neither an arm64 Image (magic ARM\\x64) nor an AArch64 ELF", path);
	munmap(f, len);
	if (r < 0)
		return r;

	a->fdt_gpa = NX_A64_RAM + vm->mem.size - (2ull << 20);
	if (a->kernel_end > a->fdt_gpa)
		return nx_error("%s ends at 0x%llx, over the device tree at 0x%llx: give more memory",
				path, (unsigned long long)a->kernel_end, (unsigned long long)a->fdt_gpa);
	if (!vm->cfg->initrd[0])
		return 0;
	init = map_file(vm->cfg->initrd, &ilen, "initrd");
	if (!init)
		return -1;
	/* Right below the DTB, page aligned, above the kernel: every bound in
	 * "a <= b - len" form, so a large initrd cannot wrap below RAM. */
	dst = NULL;
	if (ilen <= a->fdt_gpa - a->kernel_end) {
		a->initrd_gpa = (a->fdt_gpa - ilen) & ~0xfffull;
		if (a->initrd_gpa >= a->kernel_end)
			dst = nx_gpa(&vm->mem, a->initrd_gpa, ilen);
	}
	if (!dst) {
		munmap(init, ilen);
		return nx_error("initrd %s (%zu bytes) does not fit in RAM above the kernel",
				vm->cfg->initrd, ilen);
	}
	memcpy(dst, init, ilen);
	a->initrd_size = ilen;
	munmap(init, ilen);
	return 0;
}

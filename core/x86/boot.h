/* SPDX-License-Identifier: MIT */
/*
 * boot.h - internals shared by the x86 boot loaders (boot.c, bzimage.c,
 * multiboot.c, elf.c, pgtable.c). Not part of core's public interface; the
 * unit tests include it to check the pieces one by one.
 */
#ifndef NEXIT_X86_BOOT_H
#define NEXIT_X86_BOOT_H

#include "core/vm.h"
#include "core/x86/x86.h"

/* A kernel file: its first NX_KHEAD bytes in host memory (headers), the
 * rest read straight into guest RAM (nx_kimage_copy): one copy of the image,
 * no buffer the size of the kernel (whose page faults are what loading a
 * 50 MB vmlinux costs where a fault is expensive, e.g. a nested machine). */
#define NX_KHEAD	(64u << 10)
struct nx_kimage {
	const char *path;
	uint8_t *data;		/* the first head bytes */
	size_t head;
	size_t size;		/* of the whole file */
	int fd;
};
/* Copies [off, off + len) of the file to dst; one error line if that is
 * past the end or the file shrank. */
int nx_kimage_copy(const struct nx_kimage *k, uint64_t off, void *dst, uint64_t len);

/* Lowest guest address a kernel or module may occupy: below 1 MiB live the
 * GDT, page tables, boot_params, cmdline, MP and ACPI tables. */
#define NX_BOOT_LOAD_MIN	0x100000ULL
/* A small boot stack between boot_params (0x7000) and the PML4 (0x9000). */
#define NX_BOOT_STACK		0x8ff0ULL

/* GDT selectors (Linux boot protocol: __BOOT_CS 0x10, __BOOT_DS 0x18). */
#define NX_SEL_CODE32		0x08
#define NX_SEL_CODE64		0x10
#define NX_SEL_DATA		0x18

/* Reads a whole file straight into guest RAM at gpa (size known by stat). */
int nx_file_size(const char *what, const char *path, uint64_t *size);
int nx_file_to_guest(struct nx_vm *vm, const char *what, const char *path,
		     uint64_t gpa, uint64_t size);

/* cfg->initrd as high as it fits below top (and the end of low RAM), page
 * aligned, above kernel_end; *size 0 if there is none. */
int nx_boot_initrd(struct nx_vm *vm, uint64_t kernel_end, uint64_t top, uint64_t *addr,
		   uint64_t *size);
/* End of the RAM region that starts at 0 (min(mem, 3 GiB)). */
uint64_t nx_lowmem_end(const struct nx_mem *m);
/* Host pointer for [gpa, gpa+len) if it is RAM at or above 1 MiB, else one
 * nx_error line naming what did not fit. */
void *nx_boot_place(struct nx_vm *vm, const char *what, uint64_t gpa, uint64_t len);
/* The same for kernels that bring their own low memory layout (multiboot):
 * anywhere the memory map says RAM, below 1 MiB too, but never over the
 * MP and ACPI tables in [NX_MPTABLE, 1 MiB). */
void *nx_boot_place_low(struct nx_vm *vm, const char *what, uint64_t gpa, uint64_t len);
/* Where a loader put a kernel's pieces, so that boot data can avoid them. */
#define NX_BOOT_MAX_RANGES	32
struct nx_boot_ranges {
	unsigned n;
	struct { uint64_t start, end; } r[NX_BOOT_MAX_RANGES];
};
int  nx_boot_ranges_add(struct nx_boot_ranges *rs, uint64_t start, uint64_t end);
bool nx_boot_ranges_overlap(const struct nx_boot_ranges *rs, uint64_t start, uint64_t end);
/* Copies the command line to NX_BOOT_CMDLINE; max = the kernel's limit. */
int nx_boot_cmdline(struct nx_vm *vm, uint64_t max);
/* Writes "prefix cmdline" (or just one of them) at gpa; max = the limit. */
int nx_boot_cmdline_at(struct nx_vm *vm, uint64_t gpa, const char *prefix, uint64_t max);

/* Each loader fills b and returns 0, or prints one error and returns <0. */
bool nx_is_bzimage(const struct nx_kimage *k);
int nx_bzimage_load(struct nx_vm *vm, const struct nx_kimage *k, struct nx_boot *b);
/* Offset of a valid multiboot v1 header in the first 8 KiB, or -1. */
long nx_multiboot_find(const struct nx_kimage *k);
int nx_multiboot_load(struct nx_vm *vm, const struct nx_kimage *k, long hdr_off,
		      struct nx_boot *b);
bool nx_is_elf(const struct nx_kimage *k);
/* Loads PT_LOAD segments (ELF32 or ELF64) by physical address; returns the
 * entry (translated to a physical address) and the end of the image. With
 * low, segments may lie below 1 MiB (nx_boot_place_low) and are recorded. */
int nx_elf_load_segments(struct nx_vm *vm, const struct nx_kimage *k,
			 uint64_t *entry, uint64_t *end, struct nx_boot_ranges *low);
int nx_elf64_load(struct nx_vm *vm, const struct nx_kimage *k, struct nx_boot *b);
/* PVH (pvh.c): the 32-bit entry of a XEN_ELFNOTE_PHYS32_ENTRY note, and the
 * loader (segments, hvm_start_info, command line, initrd as module 0). */
bool nx_pvh_entry(const struct nx_kimage *k, uint32_t *entry);
int nx_pvh_load(struct nx_vm *vm, const struct nx_kimage *k, uint32_t entry, struct nx_boot *b);

/* The boot GDT at gpa (4 entries, 32 bytes) and identity page tables at
 * NX_BOOT_PML4. */
int nx_boot_build_gdt(struct nx_mem *m, uint64_t gpa);
int nx_boot_build_pgtables(struct nx_mem *m);
/* 64-bit mode, paging on at cr3, flat code / data segments at selectors
 * cs / ds (boot_vcpu.c; the ring-0 test guest enters the same way). */
struct kvm_sregs;
void nx_boot_long_mode(struct kvm_sregs *sr, uint16_t cs, uint16_t ds, uint64_t cr3);
/* Bytes of identity mapping the boot page tables provide. */
#define NX_BOOT_IDMAP_SIZE	(4ULL << 30)

#endif

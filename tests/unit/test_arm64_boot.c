/* SPDX-License-Identifier: MIT */
/*
 * test_arm64_boot - the arm64 loaders (core/arm64/boot.c) on malformed
 * images, built on the host (boot.c is plain C: the unit build links it
 * from libnexit-arm64.a): an ELF without a loadable segment, an initrd that
 * does not fit between the kernel and the DTB, and a good ELF with its
 * initrd. Each
 * bad image is one error line, never a write outside guest RAM.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <elf.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "core/arm64/arm64.h"

#define RAM_SIZE (16u << 20)

/* boot.c's vCPU half is not under test here. */
int nx_a64_set_core_reg(struct nx_vcpu *vcpu, size_t off, uint64_t val) { return 0; }

struct fx {
	struct nx_config cfg;
	struct nx_vm vm;
	struct nx_a64 a;
	char dir[64];
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	f->vm.cfg = &f->cfg;
	f->vm.mem.base = calloc(1, RAM_SIZE);
	f->vm.mem.size = RAM_SIZE;
	f->vm.mem.nregions = 1;
	f->vm.mem.regions[0] = (struct nx_mem_region){ NX_A64_RAM, RAM_SIZE, f->vm.mem.base, 0 };
	snprintf(f->dir, sizeof(f->dir), "/tmp/nexit-a64boot.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->cfg.kernel, sizeof(f->cfg.kernel), "%s/k.elf", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f->vm.mem.base);
	free(f);
	return 0;
}

/* An AArch64 ELF64 with nload PT_LOAD segments of 4 KiB at RAM + 1 MiB. */
static void write_elf(const char *path, int nload)
{
	struct { Elf64_Ehdr e; Elf64_Phdr p[2]; uint8_t body[4096]; } img = { 0 };
	FILE *fp = fopen(path, "wb");

	memcpy(img.e.e_ident, ELFMAG, SELFMAG);
	img.e.e_ident[EI_CLASS] = ELFCLASS64;
	img.e.e_ident[EI_DATA] = ELFDATA2LSB;
	img.e.e_machine = EM_AARCH64;
	img.e.e_entry = NX_A64_RAM + (1 << 20);
	img.e.e_phoff = offsetof(typeof(img), p);
	img.e.e_phnum = 2;
	for (int i = 0; i < 2; i++) {
		img.p[i].p_type = i < nload ? PT_LOAD : PT_NOTE;
		img.p[i].p_offset = offsetof(typeof(img), body);
		img.p[i].p_paddr = NX_A64_RAM + (1 << 20);
		img.p[i].p_filesz = img.p[i].p_memsz = sizeof(img.body);
	}
	assert_non_null(fp);
	assert_int_equal(fwrite(&img, sizeof(img), 1, fp), 1);
	fclose(fp);
}

static void write_initrd(struct fx *f, size_t len)
{
	FILE *fp;

	snprintf(f->cfg.initrd, sizeof(f->cfg.initrd), "%s/initrd", f->dir);
	fp = fopen(f->cfg.initrd, "wb");
	assert_non_null(fp);
	assert_int_equal(ftruncate(fileno(fp), (off_t)len), 0);
	fclose(fp);
}

/* No PT_LOAD: nothing to run, and kernel_end stayed 0, which let a large
 * initrd be placed below RAM and copied to a NULL host pointer. */
static void test_elf_without_load_segment(void **state)
{
	struct fx *f = *state;

	write_elf(f->cfg.kernel, 0);
	write_initrd(f, RAM_SIZE - (1 << 20));
	assert_int_equal(nx_a64_boot_load(&f->vm, &f->a), -1);
	f->cfg.initrd[0] = 0;
	assert_int_equal(nx_a64_boot_load(&f->vm, &f->a), -1);
}

static void test_initrd_too_large(void **state)
{
	struct fx *f = *state;

	write_elf(f->cfg.kernel, 1);
	/* The DTB sits 2 MiB below the end of RAM: 14 MiB is too much. */
	write_initrd(f, RAM_SIZE - (2 << 20));
	assert_int_equal(nx_a64_boot_load(&f->vm, &f->a), -1);
	write_initrd(f, 2ull * RAM_SIZE);
	assert_int_equal(nx_a64_boot_load(&f->vm, &f->a), -1);
}

static void test_elf_and_initrd(void **state)
{
	struct fx *f = *state;

	write_elf(f->cfg.kernel, 1);
	write_initrd(f, 1 << 20);
	assert_int_equal(nx_a64_boot_load(&f->vm, &f->a), 0);
	assert_int_equal(f->a.entry, NX_A64_RAM + (1 << 20));
	assert_int_equal(f->a.kernel_end, NX_A64_RAM + (1 << 20) + 4096);
	assert_int_equal(f->a.initrd_size, 1 << 20);
	assert_true(f->a.initrd_gpa >= f->a.kernel_end);
	assert_true(f->a.initrd_gpa + f->a.initrd_size <= f->a.fdt_gpa);
}

/* Found by fuzz_arm64_boot: program headers at an odd file offset were
 * read through a misaligned Elf64_Phdr pointer (UBSan in the ASan build). */
static void test_elf_unaligned_phdrs(void **state)
{
	struct fx *f = *state;
	uint8_t img[64 + 1 + sizeof(Elf64_Phdr) + 4096] = { 0 };
	Elf64_Ehdr e = { 0 };
	Elf64_Phdr ph = { .p_type = PT_LOAD, .p_offset = sizeof(img) - 4096,
			  .p_paddr = NX_A64_RAM + (1 << 20), .p_filesz = 4096, .p_memsz = 4096 };
	FILE *fp = fopen(f->cfg.kernel, "wb");

	memcpy(e.e_ident, ELFMAG, SELFMAG);
	e.e_ident[EI_CLASS] = ELFCLASS64;
	e.e_machine = EM_AARCH64;
	e.e_entry = ph.p_paddr;
	e.e_phoff = 65;
	e.e_phnum = 1;
	memcpy(img, &e, sizeof(e));
	memcpy(img + 65, &ph, sizeof(ph));
	assert_non_null(fp);
	assert_int_equal(fwrite(img, sizeof(img), 1, fp), 1);
	fclose(fp);
	assert_int_equal(nx_a64_boot_load(&f->vm, &f->a), 0);
	assert_int_equal(f->a.kernel_end, NX_A64_RAM + (1 << 20) + 4096);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_elf_without_load_segment, setup, teardown),
		cmocka_unit_test_setup_teardown(test_initrd_too_large, setup, teardown),
		cmocka_unit_test_setup_teardown(test_elf_and_initrd, setup, teardown),
		cmocka_unit_test_setup_teardown(test_elf_unaligned_phdrs, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

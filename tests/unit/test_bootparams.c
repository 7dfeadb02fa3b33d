/* Unit tests: the Linux boot protocol loader (core/x86/bzimage.c) on a
 * synthetic bzImage: boot_params fields, e820, cmdline, initrd placement,
 * and its error paths. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <asm/bootparam.h>
#include "core/vm.h"
#include "core/x86/boot.h"

#define SETUP_SECTS	3
#define SETUP_SIZE	((SETUP_SECTS + 1) * 512)
#define PAYLOAD		(64 * 1024)

struct fixture {
	struct nx_config cfg;
	struct nx_vm vm;
	struct nx_boot b;
	char kpath[64], ipath[64];
	uint8_t img[SETUP_SIZE + PAYLOAD];
	struct setup_header *h;	/* inside img */
};

/* A bzImage as a 2.15 x86_64 kernel looks: boot sector signature, setup
 * header with "HdrS", protected-mode payload after the setup sectors. */
static int setup(void **st)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->vm.cfg = &f->cfg;
	f->vm.ncpus = 1;
	assert_int_equal(nx_mem_init(&f->vm.mem, 64 << 20, false), 0);
	strcpy(f->cfg.cmdline, "console=ttyS0 quiet");

	f->h = (struct setup_header *)(f->img + 0x1f1);
	f->img[0x1fe] = 0x55;
	f->img[0x1ff] = 0xaa;
	f->img[0x200] = 0xeb;				/* jmp short ... */
	f->img[0x201] = sizeof(struct setup_header) - (0x202 - 0x1f1);	/* header end */
	f->h->setup_sects = SETUP_SECTS;
	f->h->syssize = PAYLOAD / 16;
	f->h->boot_flag = 0xaa55;
	f->h->header = 0x53726448;			/* "HdrS" */
	f->h->version = 0x020f;
	f->h->loadflags = LOADED_HIGH;
	f->h->code32_start = 0x100000;
	f->h->initrd_addr_max = 0x7fffffff;
	f->h->kernel_alignment = 0x200000;
	f->h->relocatable_kernel = 1;
	f->h->xloadflags = XLF_KERNEL_64 | XLF_CAN_BE_LOADED_ABOVE_4G;
	f->h->cmdline_size = 2047;
	f->h->pref_address = 0x1000000;
	f->h->init_size = 0x800000;
	for (int i = 0; i < PAYLOAD; i++)
		f->img[SETUP_SIZE + i] = (uint8_t)(i * 7 + 3);
	strcpy(f->kpath, "/tmp/nexit-bz-XXXXXX");
	strcpy(f->ipath, "/tmp/nexit-initrd-XXXXXX");
	close(mkstemp(f->kpath));
	close(mkstemp(f->ipath));
	strcpy(f->cfg.kernel, f->kpath);
	*st = f;
	return 0;
}

static int teardown(void **st)
{
	struct fixture *f = *st;

	unlink(f->kpath);
	unlink(f->ipath);
	nx_mem_destroy(&f->vm.mem);
	free(f);
	return 0;
}

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *fp = fopen(path, "wb");

	assert_non_null(fp);
	assert_int_equal(fwrite(data, 1, len, fp), len);
	fclose(fp);
}

static int load(struct fixture *f, size_t len)
{
	write_file(f->kpath, f->img, len);
	return nx_boot_load(&f->vm, &f->b);
}

static struct boot_params *bp(struct fixture *f)
{
	struct boot_params *p = nx_gpa(&f->vm.mem, NX_BOOT_PARAMS, sizeof(*p));

	assert_non_null(p);
	return p;
}

static void test_fields(void **st)
{
	struct fixture *f = *st;
	struct boot_params *p;
	uint8_t *k;

	assert_int_equal(load(f, sizeof(f->img)), 0);
	assert_int_equal(f->b.kind, NX_KERNEL_BZIMAGE);
	assert_true(f->b.long_mode);
	/* Relocatable: loaded at pref_address, entered at startup_64 (+0x200). */
	assert_int_equal(f->b.entry, 0x1000000 + 0x200);
	assert_int_equal(f->b.rsi, NX_BOOT_PARAMS);

	p = bp(f);
	assert_int_equal(p->hdr.header, 0x53726448);
	assert_int_equal(p->hdr.version, 0x020f);
	assert_int_equal(p->hdr.boot_flag, 0xaa55);
	assert_int_equal(p->hdr.type_of_loader, 0xff);
	assert_true(p->hdr.loadflags & LOADED_HIGH);
	assert_int_equal(p->hdr.code32_start, 0x1000000);
	assert_int_equal(p->hdr.cmd_line_ptr, NX_BOOT_CMDLINE);
	assert_int_equal(p->ext_cmd_line_ptr, 0);
	assert_string_equal((char *)nx_gpa(&f->vm.mem, NX_BOOT_CMDLINE, 1), "console=ttyS0 quiet");
	assert_int_equal(p->hdr.ramdisk_image, 0);
	assert_int_equal(p->hdr.ramdisk_size, 0);
	assert_int_equal(p->acpi_rsdp_addr, NX_ACPI_BASE);
	/* Header fields the kernel set are passed through unchanged. */
	assert_int_equal(p->hdr.init_size, 0x800000);
	assert_int_equal(p->hdr.kernel_alignment, 0x200000);
	/* Nothing outside the header was invented. */
	assert_int_equal(p->screen_info.orig_video_isVGA, 0);
	assert_int_equal(p->hdr.setup_data, 0);

	/* The protected-mode payload is at the load address, byte for byte. */
	k = nx_gpa(&f->vm.mem, 0x1000000, PAYLOAD);
	assert_non_null(k);
	assert_memory_equal(k, f->img + SETUP_SIZE, PAYLOAD);
}

static void test_e820(void **st)
{
	struct fixture *f = *st;
	struct nx_e820_entry e[NX_E820_MAX];
	struct boot_params *p;
	int n;
	uint64_t ram = 0;

	assert_int_equal(load(f, sizeof(f->img)), 0);
	p = bp(f);
	n = nx_mem_e820(&f->vm.mem, e, NX_E820_MAX);
	assert_true(n > 0);
	assert_int_equal(p->e820_entries, n);
	for (int i = 0; i < n; i++) {
		assert_int_equal(p->e820_table[i].addr, e[i].addr);
		assert_int_equal(p->e820_table[i].size, e[i].size);
		assert_int_equal(p->e820_table[i].type, e[i].type);
		if (e[i].type == NX_E820_RAM)
			ram += e[i].size;
		/* Sorted, non-overlapping. */
		if (i)
			assert_true(e[i].addr >= e[i - 1].addr + e[i - 1].size);
	}
	/* What the guest sees: RAM below the EBDA, RAM from 1 MiB to 64 MiB,
	 * the BIOS area (MP table, ACPI) reserved. */
	assert_int_equal(p->e820_table[0].addr, 0);
	assert_int_equal(p->e820_table[0].type, NX_E820_RAM);
	assert_true(p->e820_table[0].size <= NX_MPTABLE);
	bool bios_reserved = false, high_ram = false;
	for (int i = 0; i < n; i++) {
		if (e[i].type != NX_E820_RAM && e[i].addr <= NX_MPTABLE &&
		    e[i].addr + e[i].size >= 0x100000)
			bios_reserved = true;
		if (e[i].type == NX_E820_RAM && e[i].addr == 0x100000 &&
		    e[i].addr + e[i].size == (64 << 20))
			high_ram = true;
	}
	assert_true(bios_reserved);
	assert_true(high_ram);
	assert_true(ram <= (64 << 20));
}

static void test_not_relocatable(void **st)
{
	struct fixture *f = *st;

	f->h->relocatable_kernel = 0;
	assert_int_equal(load(f, sizeof(f->img)), 0);
	assert_int_equal(f->b.entry, 0x100000 + 0x200);
	assert_int_equal(bp(f)->hdr.code32_start, 0x100000);
	assert_memory_equal(nx_gpa(&f->vm.mem, 0x100000, PAYLOAD), f->img + SETUP_SIZE, PAYLOAD);
}

static void test_setup_sects_zero_means_four(void **st)
{
	struct fixture *f = *st;

	/* setup_sects 0 is read as 4 (boot.rst); with 3 the payload would be
	 * 512 bytes further on, so the copy tells which one was used. */
	f->h->setup_sects = 0;
	uint8_t *big = calloc(1, 5 * 512 + PAYLOAD);
	assert_non_null(big);
	memcpy(big, f->img, 0x1f1 + sizeof(struct setup_header));
	memcpy(big + 5 * 512, f->img + SETUP_SIZE, PAYLOAD);
	write_file(f->kpath, big, 5 * 512 + PAYLOAD);
	assert_int_equal(nx_boot_load(&f->vm, &f->b), 0);
	assert_memory_equal(nx_gpa(&f->vm.mem, 0x1000000, PAYLOAD), f->img + SETUP_SIZE, PAYLOAD);
	free(big);
}

static void test_initrd(void **st)
{
	struct fixture *f = *st;
	size_t len = 300 * 1024 + 123;
	uint8_t *data = malloc(len);
	struct boot_params *p;

	assert_non_null(data);
	for (size_t i = 0; i < len; i++)
		data[i] = (uint8_t)(i ^ (i >> 8));
	write_file(f->ipath, data, len);
	strcpy(f->cfg.initrd, f->ipath);
	assert_int_equal(load(f, sizeof(f->img)), 0);
	p = bp(f);
	/* High in low RAM, page aligned, above the kernel's init area. */
	assert_int_equal(p->hdr.ramdisk_size, len);
	assert_int_equal(p->hdr.ramdisk_image % 4096, 0);
	assert_true(p->hdr.ramdisk_image + len <= (64 << 20));
	assert_true(p->hdr.ramdisk_image + len > (64 << 20) - 4096 - len);
	assert_true(p->hdr.ramdisk_image >= 0x1000000 + 0x800000);
	assert_int_equal(p->ext_ramdisk_image, 0);
	assert_memory_equal(nx_gpa(&f->vm.mem, p->hdr.ramdisk_image, len), data, len);

	/* initrd_addr_max lowers the ceiling. */
	f->h->initrd_addr_max = 0x1ffffff;
	assert_int_equal(load(f, sizeof(f->img)), 0);
	p = bp(f);
	assert_true(p->hdr.ramdisk_image + len <= 0x2000000);
	assert_true(p->hdr.ramdisk_image >= 0x1800000);
	free(data);
}

static void test_initrd_does_not_fit(void **st)
{
	struct fixture *f = *st;
	size_t len = 60 << 20;		/* 60 MiB of 64, kernel needs 24 */
	uint8_t *data = calloc(1, len);

	assert_non_null(data);
	write_file(f->ipath, data, len);
	free(data);
	strcpy(f->cfg.initrd, f->ipath);
	assert_true(load(f, sizeof(f->img)) < 0);
	/* Missing initrd file. */
	strcpy(f->cfg.initrd, "/nonexistent/initrd.img");
	assert_true(load(f, sizeof(f->img)) < 0);
}

static void test_truncated(void **st)
{
	struct fixture *f = *st;

	/* Payload cut short: the header promises syssize*16 bytes. */
	assert_true(load(f, sizeof(f->img) - 1) < 0);
	assert_true(load(f, SETUP_SIZE + 100) < 0);
	/* Setup sectors cut short. */
	assert_true(load(f, SETUP_SIZE - 512) < 0);
	/* Header itself cut: boot sector signature but no "HdrS" in the file. */
	assert_true(load(f, 0x200) < 0);
	assert_true(load(f, 0x204) < 0);
}

static void test_does_not_fit(void **st)
{
	struct fixture *f = *st;

	/* init_size beyond the 64 MiB of RAM. */
	f->h->init_size = 0x4000000;
	assert_true(load(f, sizeof(f->img)) < 0);
}

static void test_bad_headers(void **st)
{
	struct fixture *f = *st;

	f->h->version = 0x0205;			/* too old */
	assert_true(load(f, sizeof(f->img)) < 0);
	f->h->version = 0x020f;
	f->h->loadflags = 0;			/* zImage */
	assert_true(load(f, sizeof(f->img)) < 0);
	f->h->loadflags = LOADED_HIGH;
	f->h->xloadflags = 0;			/* 32-bit only kernel */
	assert_true(load(f, sizeof(f->img)) < 0);
	f->h->xloadflags = XLF_KERNEL_64;
	assert_int_equal(load(f, sizeof(f->img)), 0);
	f->img[0x201] = 0;			/* header length byte too small */
	assert_true(load(f, sizeof(f->img)) < 0);
}

static void test_cmdline_too_long(void **st)
{
	struct fixture *f = *st;

	f->h->cmdline_size = 10;
	assert_true(load(f, sizeof(f->img)) < 0);		/* 19 bytes > 10 */
	f->h->cmdline_size = 19;
	assert_int_equal(load(f, sizeof(f->img)), 0);		/* exactly fits */
}

static void test_missing_and_garbage(void **st)
{
	struct fixture *f = *st;
	const char text[] = "#!/bin/sh\necho this is not a kernel\n";

	strcpy(f->cfg.kernel, "/nonexistent/vmlinuz");
	assert_true(nx_boot_load(&f->vm, &f->b) < 0);
	strcpy(f->cfg.kernel, f->kpath);
	write_file(f->kpath, text, sizeof(text));
	assert_true(nx_boot_load(&f->vm, &f->b) < 0);
	write_file(f->kpath, "", 0);
	assert_true(nx_boot_load(&f->vm, &f->b) < 0);
	strcpy(f->cfg.kernel, "/tmp");			/* a directory */
	assert_true(nx_boot_load(&f->vm, &f->b) < 0);
}

/* Debian's kernel, when the appliance recipe has fetched it (never committed). */
static void test_real_kernel(void **st)
{
	struct fixture *f = *st;
	const char *path = getenv("NEXIT_TEST_BZIMAGE");
	struct boot_params *p;

	if (!path)
		path = "build/appliance/vmlinuz";
	if (access(path, R_OK) != 0) {
		print_message("no bzImage at %s: skipping the real-kernel check\n", path);
		skip();
	}
	nx_mem_destroy(&f->vm.mem);
	assert_int_equal(nx_mem_init(&f->vm.mem, 256 << 20, false), 0);
	strcpy(f->cfg.kernel, path);
	assert_int_equal(nx_boot_load(&f->vm, &f->b), 0);
	p = bp(f);
	assert_int_equal(p->hdr.header, 0x53726448);
	assert_true(p->hdr.version >= 0x020c);
	assert_true(p->hdr.xloadflags & XLF_KERNEL_64);
	assert_int_equal(f->b.entry, p->hdr.code32_start + 0x200);
	assert_true(p->e820_entries > 0);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_fields),
		T(test_e820),
		T(test_not_relocatable),
		T(test_setup_sects_zero_means_four),
		T(test_initrd),
		T(test_initrd_does_not_fit),
		T(test_truncated),
		T(test_does_not_fit),
		T(test_bad_headers),
		T(test_cmdline_too_long),
		T(test_missing_and_garbage),
		T(test_real_kernel),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Unit tests: multiboot v1, PVH and ELF64 loaders (core/x86/multiboot.c,
 * pvh.c, elf.c),
 * the boot page tables and GDT, and vCPU 0's entry state (boot_vcpu.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <elf.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/kvm.h>
#include <cmocka.h>
#include "core/vm.h"
#include "core/x86/boot.h"

#define MEM		(64ULL << 20)
#define MB_MAGIC	0x1badb002u
#define MB_AOUT		(1u << 16)

struct fixture {
	struct nx_config cfg;
	struct nx_vm vm;
	struct nx_boot b;
	char kpath[64], m1[64], m2[64];
	uint8_t img[16384];
	size_t len;
};

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *fp = fopen(path, "wb");

	assert_non_null(fp);
	assert_int_equal(fwrite(data, 1, len, fp), len);
	fclose(fp);
}

static int setup(void **st)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->vm.cfg = &f->cfg;
	f->vm.ncpus = 1;
	assert_int_equal(nx_mem_init(&f->vm.mem, MEM, false), 0);
	/* Poison guest RAM so zeroed bss is visible. */
	memset(f->vm.mem.base, 0xaa, 32 << 20);
	strcpy(f->cfg.cmdline, "scenario=hello cpus=2");
	strcpy(f->kpath, "/tmp/nexit-k-XXXXXX");
	strcpy(f->m1, "/tmp/nexit-m1-XXXXXX");
	strcpy(f->m2, "/tmp/nexit-m2-XXXXXX");
	close(mkstemp(f->kpath));
	close(mkstemp(f->m1));
	close(mkstemp(f->m2));
	strcpy(f->cfg.kernel, f->kpath);
	*st = f;
	return 0;
}

static int teardown(void **st)
{
	struct fixture *f = *st;

	unlink(f->kpath);
	unlink(f->m1);
	unlink(f->m2);
	nx_mem_destroy(&f->vm.mem);
	free(f);
	return 0;
}

static int load(struct fixture *f)
{
	write_file(f->kpath, f->img, f->len);
	return nx_boot_load(&f->vm, &f->b);
}

static void *gpa(struct fixture *f, uint64_t a, uint64_t len)
{
	void *p = nx_gpa(&f->vm.mem, a, len);

	assert_non_null(p);
	return p;
}

/* Code/data bytes of the test segment: recognisable pattern. */
#define SEG_OFF		0x1000
#define SEG_FILESZ	0x800
#define SEG_MEMSZ	0x3000

static void mb_header(uint8_t *p, uint32_t flags)
{
	uint32_t h[3] = { MB_MAGIC, flags, -(MB_MAGIC + flags) };

	memcpy(p, h, sizeof(h));
}

/* ELF32 (i386) with one PT_LOAD at paddr, linked at vaddr; a multiboot
 * header (if mb_off >= 0) inside the segment. */
static void make_elf32(struct fixture *f, uint32_t paddr, uint32_t vaddr, uint32_t entry,
		       long mb_off, uint32_t mb_flags)
{
	Elf32_Ehdr *e = (void *)f->img;
	Elf32_Phdr *ph = (void *)(f->img + sizeof(*e));

	memset(f->img, 0, sizeof(f->img));
	memcpy(e->e_ident, ELFMAG, SELFMAG);
	e->e_ident[EI_CLASS] = ELFCLASS32;
	e->e_ident[EI_DATA] = ELFDATA2LSB;
	e->e_ident[EI_VERSION] = EV_CURRENT;
	e->e_type = ET_EXEC;
	e->e_machine = EM_386;
	e->e_version = EV_CURRENT;
	e->e_entry = entry;
	e->e_phoff = sizeof(*e);
	e->e_ehsize = sizeof(*e);
	e->e_phentsize = sizeof(*ph);
	e->e_phnum = 1;
	*ph = (Elf32_Phdr){ .p_type = PT_LOAD, .p_offset = SEG_OFF, .p_vaddr = vaddr,
			    .p_paddr = paddr, .p_filesz = SEG_FILESZ, .p_memsz = SEG_MEMSZ,
			    .p_flags = PF_R | PF_X, .p_align = 0x1000 };
	for (int i = 0; i < SEG_FILESZ; i++)
		f->img[SEG_OFF + i] = (uint8_t)(i * 13 + 1);
	if (mb_off >= 0)
		mb_header(f->img + mb_off, mb_flags);
	f->len = SEG_OFF + SEG_FILESZ;
}

static void make_elf64(struct fixture *f, uint64_t paddr, uint64_t vaddr, uint64_t entry)
{
	Elf64_Ehdr *e = (void *)f->img;
	Elf64_Phdr *ph = (void *)(f->img + sizeof(*e));

	memset(f->img, 0, sizeof(f->img));
	memcpy(e->e_ident, ELFMAG, SELFMAG);
	e->e_ident[EI_CLASS] = ELFCLASS64;
	e->e_ident[EI_DATA] = ELFDATA2LSB;
	e->e_ident[EI_VERSION] = EV_CURRENT;
	e->e_type = ET_EXEC;
	e->e_machine = EM_X86_64;
	e->e_version = EV_CURRENT;
	e->e_entry = entry;
	e->e_phoff = sizeof(*e);
	e->e_ehsize = sizeof(*e);
	e->e_phentsize = sizeof(*ph);
	e->e_phnum = 1;
	*ph = (Elf64_Phdr){ .p_type = PT_LOAD, .p_offset = SEG_OFF, .p_vaddr = vaddr,
			    .p_paddr = paddr, .p_filesz = SEG_FILESZ, .p_memsz = SEG_MEMSZ,
			    .p_flags = PF_R | PF_X, .p_align = 0x1000 };
	for (int i = 0; i < SEG_FILESZ; i++)
		f->img[SEG_OFF + i] = (uint8_t)(i * 13 + 1);
	f->len = SEG_OFF + SEG_FILESZ;
}

static void assert_segment(struct fixture *f, uint64_t paddr)
{
	uint8_t *p = gpa(f, paddr, SEG_MEMSZ);

	assert_memory_equal(p, f->img + SEG_OFF, SEG_FILESZ);
	for (int i = SEG_FILESZ; i < SEG_MEMSZ; i++)
		assert_int_equal(p[i], 0);	/* bss zeroed */
}

/* ---- multiboot ---------------------------------------------------------- */

struct mbi {	/* multiboot spec 3.3, the fields the tests read */
	uint32_t flags, mem_lower, mem_upper, boot_device, cmdline, mods_count, mods_addr;
	uint32_t syms[4], mmap_length, mmap_addr, drives_length, drives_addr, config_table;
	uint32_t boot_loader_name;
} __attribute__((packed));

static void test_multiboot_elf32(void **st)
{
	struct fixture *f = *st;
	struct nx_e820_entry e[NX_E820_MAX];
	const struct mbi *mi;
	int n;

	/* Linked high (vaddr 0xc0100000), loaded at 1 MiB: entry is translated. */
	make_elf32(f, 0x100000, 0xc0100000, 0xc0100010, SEG_OFF + 0x20, 0x3);
	assert_int_equal(load(f), 0);
	assert_int_equal(f->b.kind, NX_KERNEL_MULTIBOOT);
	assert_false(f->b.long_mode);
	assert_int_equal(f->b.entry, 0x100010);
	assert_int_equal(f->b.eax, 0x2badb002);
	assert_int_equal(f->b.ebx, NX_MB_INFO);
	assert_segment(f, 0x100000);

	mi = gpa(f, NX_MB_INFO, sizeof(*mi));
	assert_int_equal(mi->flags & 0x245, 0x245);	/* MEMORY|CMDLINE|MMAP|LOADER_NAME */
	assert_int_equal(mi->flags & (1 << 3), 0);	/* no modules given */
	assert_int_equal(mi->mem_lower, 639);
	assert_int_equal(mi->mem_upper, (MEM - 0x100000) >> 10);
	/* The command line starts with the kernel's path, as GRUB and QEMU pass it. */
	char want[128];
	snprintf(want, sizeof(want), "%s scenario=hello cpus=2", f->kpath);
	assert_string_equal((char *)gpa(f, mi->cmdline, 1), want);
	assert_string_equal((char *)gpa(f, mi->boot_loader_name, 1), "nexit");

	/* mmap: entries of size 20 (+4), the e820 map. */
	n = nx_mem_e820(&f->vm.mem, e, NX_E820_MAX);
	assert_int_equal(mi->mmap_length, n * 24);
	const uint8_t *m = gpa(f, mi->mmap_addr, mi->mmap_length);
	for (int i = 0; i < n; i++) {
		uint32_t size, type;
		uint64_t base, len;

		memcpy(&size, m, 4);
		memcpy(&base, m + 4, 8);
		memcpy(&len, m + 12, 8);
		memcpy(&type, m + 20, 4);
		assert_int_equal(size, 20);
		assert_int_equal(base, e[i].addr);
		assert_int_equal(len, e[i].size);
		assert_int_equal(type, e[i].type);
		m += size + 4;
	}
}

static void test_multiboot_modules(void **st)
{
	struct fixture *f = *st;
	const struct mbi *mi;
	uint8_t d1[5000], d2[123];
	const uint32_t *mods;

	for (size_t i = 0; i < sizeof(d1); i++)
		d1[i] = (uint8_t)i;
	memset(d2, 0x5a, sizeof(d2));
	write_file(f->m1, d1, sizeof(d1));
	write_file(f->m2, d2, sizeof(d2));
	snprintf(f->cfg.initrd, sizeof(f->cfg.initrd), "%s arg1 arg2, %s", f->m1, f->m2);
	make_elf32(f, 0x100000, 0x100000, 0x100000, SEG_OFF + 0x20, 0x1);
	assert_int_equal(load(f), 0);

	mi = gpa(f, NX_MB_INFO, sizeof(*mi));
	assert_true(mi->flags & (1 << 3));
	assert_int_equal(mi->mods_count, 2);
	mods = gpa(f, mi->mods_addr, 32);
	/* Page aligned, above the kernel image (end 0x103000), in order. */
	assert_int_equal(mods[0] % 4096, 0);
	assert_true(mods[0] >= 0x100000 + SEG_MEMSZ);
	assert_int_equal(mods[1] - mods[0], sizeof(d1));
	assert_memory_equal(gpa(f, mods[0], sizeof(d1)), d1, sizeof(d1));
	char s1[128];
	snprintf(s1, sizeof(s1), "%s arg1 arg2", f->m1);
	assert_string_equal((char *)gpa(f, mods[2], 1), s1);
	assert_int_equal(mods[4] % 4096, 0);
	assert_true(mods[4] >= mods[1]);
	assert_int_equal(mods[5] - mods[4], sizeof(d2));
	assert_memory_equal(gpa(f, mods[4], sizeof(d2)), d2, sizeof(d2));
	assert_string_equal((char *)gpa(f, mods[6], 1), f->m2);
}

static void test_multiboot_module_errors(void **st)
{
	struct fixture *f = *st;
	uint8_t *big = calloc(1, 63 << 20);

	make_elf32(f, 0x100000, 0x100000, 0x100000, SEG_OFF + 0x20, 0);
	strcpy(f->cfg.initrd, "/nonexistent/module");
	assert_true(load(f) < 0);
	assert_non_null(big);
	write_file(f->m1, big, 63 << 20);	/* 63 MiB after the kernel in 64 */
	free(big);
	strcpy(f->cfg.initrd, f->m1);
	assert_true(load(f) < 0);
	snprintf(f->cfg.initrd, sizeof(f->cfg.initrd), "%s,,%s", f->m2, f->m2);
	assert_true(load(f) < 0);		/* empty list entry */
}

static void test_multiboot_aout_kludge(void **st)
{
	struct fixture *f = *st;
	const uint32_t load_addr = 0x200000, hdr_off = 0x40;
	uint32_t fields[5];

	/* A flat binary (not ELF): the header's address fields say where. */
	memset(f->img, 0, sizeof(f->img));
	mb_header(f->img + hdr_off, MB_AOUT | 0x2);
	fields[0] = load_addr + hdr_off;	/* header_addr */
	fields[1] = load_addr;			/* load_addr */
	fields[2] = 0;				/* load_end_addr: whole file */
	fields[3] = load_addr + 0x4000;		/* bss_end_addr */
	fields[4] = load_addr + 0x100;		/* entry_addr */
	memcpy(f->img + hdr_off + 12, fields, sizeof(fields));
	for (int i = 0x100; i < 0x2000; i++)
		f->img[i] = (uint8_t)(i * 3);
	f->len = 0x2000;
	assert_int_equal(load(f), 0);
	assert_int_equal(f->b.kind, NX_KERNEL_MULTIBOOT);
	assert_int_equal(f->b.entry, load_addr + 0x100);
	assert_memory_equal(gpa(f, load_addr, 0x2000), f->img, 0x2000);
	for (uint32_t a = 0x2000; a < 0x4000; a++)
		assert_int_equal(*(uint8_t *)gpa(f, load_addr + a, 1), 0);

	/* load_end_addr past the end of the file. */
	fields[2] = load_addr + 0x3000;
	memcpy(f->img + hdr_off + 12, fields, sizeof(fields));
	assert_true(load(f) < 0);
	/* Loaded beyond guest RAM. */
	fields[2] = 0;
	fields[0] = 0x8000000 + hdr_off;
	fields[1] = 0x8000000;
	fields[3] = 0;
	fields[4] = 0x8000000;
	memcpy(f->img + hdr_off + 12, fields, sizeof(fields));
	assert_true(load(f) < 0);
}

static void test_multiboot_errors(void **st)
{
	struct fixture *f = *st;

	/* A required feature (bit 3) nexit does not know. */
	make_elf32(f, 0x100000, 0x100000, 0x100000, SEG_OFF + 0x20, 1u << 3);
	assert_true(load(f) < 0);
	/* Multiboot header in a non-ELF file without the address fields. */
	memset(f->img, 0, 0x100);
	mb_header(f->img + 0x10, 0);
	f->len = 0x100;
	assert_true(load(f) < 0);
	/* Bad checksum: not a multiboot kernel, and ELF32 alone is refused. */
	make_elf32(f, 0x100000, 0x100000, 0x100000, SEG_OFF + 0x20, 0);
	f->img[SEG_OFF + 0x28] ^= 1;
	assert_true(load(f) < 0);
	/* Header beyond the first 8 KiB is not searched. */
	make_elf32(f, 0x100000, 0x100000, 0x100000, -1, 0);
	mb_header(f->img + 0x2000, 0);
	f->len = 0x2100;
	assert_true(load(f) < 0);
}

/*
 * Multiboot kernels may load below 1 MiB (their own trampolines, real-mode
 * stubs, low tables): nexit's boot block (info page, GDT, command line)
 * moves out of their way, the image stays intact, and only the MP/ACPI
 * tables' area [NX_MPTABLE, 1 MiB) is refused.
 */
static void test_multiboot_low_segments(void **st)
{
	struct fixture *f = *st;
	const struct mbi *mi;
	char want[128];

	/* Below the boot block: the block keeps its home. */
	make_elf32(f, 0x1000, 0x1000, 0x1010, SEG_OFF + 0x20, 0);
	assert_int_equal(load(f), 0);
	assert_int_equal(f->b.entry, 0x1010);
	assert_int_equal(f->b.ebx, NX_MB_INFO);
	assert_segment(f, 0x1000);

	/* Over the boot block's home (0x6000): it moves above 1 MiB. */
	make_elf32(f, 0x6000, 0x6000, 0x6010, SEG_OFF + 0x20, 0);
	assert_int_equal(load(f), 0);
	assert_int_equal(f->b.entry, 0x6010);
	assert_segment(f, 0x6000);
	assert_true(f->b.ebx >= 0x100000 && f->b.ebx % 4096 == 0);
	assert_true(f->b.gdt >= f->b.ebx && f->b.gdt + 32 <= f->b.ebx + 4096);
	mi = gpa(f, f->b.ebx, sizeof(*mi));
	assert_true(mi->cmdline > f->b.ebx);
	snprintf(want, sizeof(want), "%s scenario=hello cpus=2", f->kpath);
	assert_string_equal((char *)gpa(f, mi->cmdline, 1), want);
	assert_string_equal((char *)gpa(f, mi->boot_loader_name, 1), "nexit");
	assert_true(mi->mmap_addr > f->b.ebx && mi->mmap_addr < f->b.ebx + 4096);

	/* ... and above the modules, which start at 1 MiB. */
	write_file(f->m1, "module", 6);
	strcpy(f->cfg.initrd, f->m1);
	f->cfg.cmdline[0] = 0;
	assert_int_equal(load(f), 0);
	mi = gpa(f, f->b.ebx, sizeof(*mi));
	const uint32_t *mods = gpa(f, mi->mods_addr, 16);
	assert_int_equal(mods[0], 0x100000);
	assert_true(f->b.ebx >= mods[1]);
	assert_string_equal((char *)gpa(f, mods[2], 1), f->m1);
	assert_string_equal((char *)gpa(f, mi->cmdline, 1), f->kpath);	/* no arguments */
	assert_segment(f, 0x6000);

	/* Over the MP table / ACPI area: refused. */
	f->cfg.initrd[0] = 0;
	make_elf32(f, NX_MPTABLE - 0x1000, NX_MPTABLE - 0x1000, NX_MPTABLE - 0x1000,
		   SEG_OFF + 0x20, 0);
	assert_true(load(f) < 0);
	/* An entry point outside the image. */
	make_elf32(f, 0x6000, 0x6000, 0x80000, SEG_OFF + 0x20, 0);
	assert_true(load(f) < 0);
}

/* ---- ELF: segments and errors ------------------------------------------- */

static void test_elf_does_not_fit(void **st)
{
	struct fixture *f = *st;

	make_elf32(f, 0x8000000, 0x8000000, 0x8000000, SEG_OFF + 0x20, 0);	/* 128 MiB > 64 */
	assert_true(load(f) < 0);
	make_elf32(f, MEM - 0x1000, MEM - 0x1000, MEM - 0x1000, SEG_OFF + 0x20, 0);	/* straddles */
	assert_true(load(f) < 0);
	make_elf64(f, 0x8000, 0x8000, 0x8000);	/* ELF64: nexit's page tables live there */
	assert_true(load(f) < 0);
	make_elf64(f, 0xc0000000, 0xc0000000, 0xc0000000);	/* MMIO hole */
	assert_true(load(f) < 0);
}

static void test_elf_truncated(void **st)
{
	struct fixture *f = *st;

	make_elf64(f, 0x100000, 0x100000, 0x100000);
	f->len = SEG_OFF + 0x10;		/* segment data cut */
	assert_true(load(f) < 0);
	f->len = sizeof(Elf64_Ehdr) + 8;	/* program headers cut */
	assert_true(load(f) < 0);
	f->len = 20;				/* ELF header cut */
	assert_true(load(f) < 0);
	make_elf64(f, 0x100000, 0x100000, 0x100000);
	((Elf64_Ehdr *)f->img)->e_machine = EM_AARCH64;
	assert_true(load(f) < 0);
	make_elf64(f, 0x100000, 0x100000, 0x100000);
	((Elf64_Ehdr *)f->img)->e_phnum = 0;
	assert_true(load(f) < 0);
}

static void test_elf64(void **st)
{
	struct fixture *f = *st;

	/* Linked at -2 GiB, loaded at 2 MiB: entered at the physical address. */
	make_elf64(f, 0x200000, 0xffffffff80200000ULL, 0xffffffff80200040ULL);
	assert_int_equal(load(f), 0);
	assert_int_equal(f->b.kind, NX_KERNEL_ELF64);
	assert_true(f->b.long_mode);
	assert_int_equal(f->b.entry, 0x200040);
	assert_int_equal(f->b.rsi, NX_BOOT_CMDLINE);
	assert_segment(f, 0x200000);
	assert_string_equal((char *)gpa(f, NX_BOOT_CMDLINE, 1), "scenario=hello cpus=2");

	/* Entry outside every segment and above 4 GiB: not identity-mapped. */
	make_elf64(f, 0x200000, 0x200000, 0x123456789ULL);
	assert_true(load(f) < 0);
	/* Plain ELF64 cannot take an initrd: refused, not ignored. */
	make_elf64(f, 0x200000, 0x200000, 0x200000);
	strcpy(f->cfg.initrd, f->m1);
	assert_true(load(f) < 0);
}

/* Found by fuzz_loaders: program headers at an odd file offset were read
 * through a misaligned Elf64_Phdr pointer (UBSan in the ASan build). */
static void test_elf64_unaligned_phdrs(void **st)
{
	struct fixture *f = *st;
	Elf64_Ehdr *e = (void *)f->img;
	Elf64_Phdr ph;

	make_elf64(f, 0x200000, 0x200000, 0x200000);
	memcpy(&ph, f->img + sizeof(*e), sizeof(ph));
	memmove(f->img + sizeof(*e) + 1, &ph, sizeof(ph));
	e->e_phoff = sizeof(*e) + 1;
	assert_int_equal(load(f), 0);
	assert_segment(f, 0x200000);
}

static void test_multiboot_elf64(void **st)
{
	struct fixture *f = *st;

	/* The probe guest's shape: ELF64 with a multiboot header, entered in
	 * 32-bit mode at its physical entry. */
	make_elf64(f, 0x100000, 0x100000, 0x100020);
	mb_header(f->img + SEG_OFF + 0x8, 0x2);
	assert_int_equal(load(f), 0);
	assert_int_equal(f->b.kind, NX_KERNEL_MULTIBOOT);
	assert_false(f->b.long_mode);
	assert_int_equal(f->b.entry, 0x100020);
}

/* ---- PVH: an ELF64 with a XEN_ELFNOTE_PHYS32_ENTRY note (Linux vmlinux) -- */
#define NOTE_OFF	0x3000

/* Adds a PT_NOTE segment holding an unrelated note, then the PVH one. */
static void add_pvh_note(struct fixture *f, uint32_t entry, uint32_t type)
{
	Elf64_Ehdr *e = (void *)f->img;
	Elf64_Phdr *ph = (Elf64_Phdr *)(f->img + sizeof(*e)) + 1;
	uint8_t *n = f->img + NOTE_OFF;
	uint32_t h1[3] = { 6, 4, 1 }, h2[3] = { 4, 4, type };

	memcpy(n, h1, 12);
	memcpy(n + 12, "Linux\0\0\0", 8);
	memcpy(n + 20, "6.1\0", 4);
	memcpy(n + 24, h2, 12);
	memcpy(n + 36, "Xen\0", 4);
	memcpy(n + 40, &entry, 4);
	*ph = (Elf64_Phdr){ .p_type = PT_NOTE, .p_offset = NOTE_OFF, .p_filesz = 44, .p_align = 4 };
	e->e_phnum = 2;
	f->len = NOTE_OFF + 44;
}

struct hvm_start_info {
	uint32_t magic, version, flags, nr_modules;
	uint64_t modlist_paddr, cmdline_paddr, rsdp_paddr, memmap_paddr;
	uint32_t memmap_entries, reserved;
};

static void test_pvh(void **st)
{
	struct fixture *f = *st;
	struct hvm_start_info *si;
	uint64_t *mod, *mm;
	uint8_t initrd[5000];

	/* vmlinux's shape: linked at -2 GiB, loaded at 16 MiB, PVH entry. */
	make_elf64(f, 0x1000000, 0xffffffff81000000ULL, 0x1000000);
	add_pvh_note(f, 0x1000850, 18);
	memset(initrd, 0x5a, sizeof(initrd));
	write_file(f->m1, initrd, sizeof(initrd));
	strcpy(f->cfg.initrd, f->m1);
	assert_int_equal(load(f), 0);
	assert_int_equal(f->b.kind, NX_KERNEL_PVH);
	assert_false(f->b.long_mode);			/* 32-bit flat, paging off */
	assert_int_equal(f->b.entry, 0x1000850);
	assert_segment(f, 0x1000000);
	si = gpa(f, f->b.ebx, sizeof(*si));
	assert_int_equal(si->magic, 0x336ec578);
	assert_int_equal(si->version, 1);
	assert_string_equal((char *)gpa(f, si->cmdline_paddr, 1), "scenario=hello cpus=2");
	assert_int_equal(si->rsdp_paddr, NX_ACPI_BASE);
	/* The initrd is module 0, page aligned at the top of RAM. */
	assert_int_equal(si->nr_modules, 1);
	mod = gpa(f, si->modlist_paddr, 32);
	assert_int_equal(mod[1], sizeof(initrd));
	assert_int_equal(mod[0] & 0xfff, 0);
	assert_true(mod[0] + mod[1] <= MEM);
	assert_memory_equal(gpa(f, mod[0], sizeof(initrd)), initrd, sizeof(initrd));
	/* The memory map is nexit's e820. */
	assert_true(si->memmap_entries >= 3);
	mm = gpa(f, si->memmap_paddr, 24);
	assert_int_equal(mm[0], 0);				/* RAM from 0 */
	assert_int_equal(((uint32_t *)mm)[4], NX_E820_RAM);

	/* Another note type: not PVH, a plain ELF64 (which takes no initrd). */
	make_elf64(f, 0x1000000, 0xffffffff81000000ULL, 0x1000000);
	add_pvh_note(f, 0x1000850, 17);
	assert_true(load(f) < 0);
	f->cfg.initrd[0] = 0;
	assert_int_equal(load(f), 0);
	assert_int_equal(f->b.kind, NX_KERNEL_ELF64);
	/* A note running past its segment is not read. */
	make_elf64(f, 0x1000000, 0xffffffff81000000ULL, 0x1000000);
	add_pvh_note(f, 0x1000850, 18);
	((Elf64_Phdr *)(f->img + sizeof(Elf64_Ehdr)))[1].p_filesz = 40;
	assert_int_equal(load(f), 0);
	assert_int_equal(f->b.kind, NX_KERNEL_ELF64);
}

/* ---- page tables, GDT, vCPU state --------------------------------------- */

static uint64_t walk(struct fixture *f, uint64_t va, uint64_t *flags)
{
	const uint64_t *pml4 = gpa(f, NX_BOOT_PML4, 4096);
	uint64_t e = pml4[(va >> 39) & 511];

	assert_true(e & 1);
	const uint64_t *pdpt = gpa(f, e & ~0xfffULL, 4096);
	e = pdpt[(va >> 30) & 511];
	assert_true(e & 1);
	assert_false(e & 0x80);		/* no 1 GiB pages */
	const uint64_t *pd = gpa(f, e & ~0xfffULL, 4096);
	e = pd[(va >> 21) & 511];
	assert_true(e & 1);
	assert_true(e & 0x80);		/* 2 MiB page */
	*flags = e & 0xfff;
	return (e & ~0x1fffffULL & ((1ULL << 52) - 1)) | (va & 0x1fffff);
}

static void test_pgtables_gdt(void **st)
{
	struct fixture *f = *st;
	const uint64_t probes[] = { 0, 0x7000, 0x100000, 0x1234567, MEM - 1, 0xbfffffff,
				    NX_PCI_ECAM, NX_IOAPIC_BASE, NX_LAPIC_BASE, 0xffffffff };
	uint64_t flags;

	assert_int_equal(nx_boot_build_pgtables(&f->vm.mem), 0);
	for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		assert_int_equal(walk(f, probes[i], &flags), probes[i]);
		assert_true(flags & 2);			/* writable */
		if (probes[i] >= NX_MMIO_HOLE)
			assert_int_equal(flags & 0x18, 0x18);	/* PCD|PWT: MMIO */
		else
			assert_int_equal(flags & 0x18, 0);
	}
	/* The tables do not run into the command line. */
	assert_true(NX_BOOT_PML4 + 6 * 4096 <= NX_BOOT_CMDLINE);

	assert_int_equal(nx_boot_build_gdt(&f->vm.mem, NX_BOOT_GDT), 0);
	const uint64_t *gdt = gpa(f, NX_BOOT_GDT, 32);
	assert_int_equal(gdt[0], 0);
	/* __BOOT_CS 0x10: present code, L=1 D=0; __BOOT_DS 0x18: present data. */
	assert_true(gdt[2] & (1ULL << 47));
	assert_true(gdt[2] & (1ULL << 43));
	assert_true(gdt[2] & (1ULL << 53));
	assert_false(gdt[2] & (1ULL << 54));
	assert_true(gdt[3] & (1ULL << 47));
	assert_false(gdt[3] & (1ULL << 43));
	assert_true(gdt[3] & (1ULL << 41));	/* writable */
	/* 0x08: 32-bit code for multiboot, D=1 L=0. */
	assert_true(gdt[1] & (1ULL << 54));
	assert_false(gdt[1] & (1ULL << 53));
}

/* KVM_SET_SREGS/REGS round trip on a real vCPU when /dev/kvm is usable. */
static void check_vcpu(struct fixture *f, bool long_mode)
{
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC), vmfd, cpufd;
	struct kvm_sregs sr;
	struct kvm_regs regs;
	struct nx_boot b = { .entry = 0x100040, .long_mode = long_mode,
			     .rsi = long_mode ? NX_BOOT_PARAMS : 0,
			     .eax = long_mode ? 0 : 0x2badb002, .ebx = long_mode ? 0 : NX_MB_INFO };

	if (kvm < 0) {
		print_message("no /dev/kvm: skipping the vCPU state check\n");
		skip();
	}
	vmfd = ioctl(kvm, KVM_CREATE_VM, 0);
	assert_true(vmfd >= 0);
	cpufd = ioctl(vmfd, KVM_CREATE_VCPU, 0);
	assert_true(cpufd >= 0);
	f->vm.vcpus[0] = (struct nx_vcpu){ .vm = &f->vm, .id = 0, .fd = cpufd };
	assert_int_equal(nx_boot_setup_vcpu(&f->vm.vcpus[0], &b), 0);
	assert_int_equal(ioctl(cpufd, KVM_GET_SREGS, &sr), 0);
	assert_int_equal(ioctl(cpufd, KVM_GET_REGS, &regs), 0);

	assert_int_equal(regs.rip, 0x100040);
	assert_int_equal(regs.rflags, 2);
	assert_int_equal(sr.gdt.base, NX_BOOT_GDT);
	assert_true(sr.cr0 & 1);			/* PE */
	assert_int_equal(sr.cs.base, 0);
	assert_int_equal(sr.cs.limit, 0xffffffff);
	assert_int_equal(sr.ds.selector, NX_SEL_DATA);
	assert_int_equal(sr.ss.selector, NX_SEL_DATA);
	if (long_mode) {
		assert_true(sr.cr0 & (1ULL << 31));	/* PG */
		assert_true(sr.cr4 & (1ULL << 5));	/* PAE */
		assert_int_equal(sr.efer & 0x500, 0x500);	/* LME|LMA */
		assert_int_equal(sr.cr3, NX_BOOT_PML4);
		assert_int_equal(sr.cs.selector, NX_SEL_CODE64);
		assert_int_equal(sr.cs.l, 1);
		assert_int_equal(regs.rsi, NX_BOOT_PARAMS);
	} else {
		/* Multiboot 3.2: paging off, 32-bit code segment. */
		assert_false(sr.cr0 & (1ULL << 31));
		assert_int_equal(sr.efer & 0x500, 0);
		assert_int_equal(sr.cs.selector, NX_SEL_CODE32);
		assert_int_equal(sr.cs.l, 0);
		assert_int_equal(sr.cs.db, 1);
		assert_int_equal(regs.rax, 0x2badb002);
		assert_int_equal(regs.rbx, NX_MB_INFO);
	}
	/* APs are left alone for INIT-SIPI-SIPI. */
	f->vm.vcpus[1] = (struct nx_vcpu){ .vm = &f->vm, .id = 1, .fd = -1 };
	assert_int_equal(nx_boot_setup_vcpu(&f->vm.vcpus[1], &b), 0);
	close(cpufd);
	close(vmfd);
	close(kvm);
}

static void test_vcpu_long_mode(void **st) { check_vcpu(*st, true); }
static void test_vcpu_multiboot(void **st) { check_vcpu(*st, false); }

static void test_tiny_ram(void **st)
{
	struct fixture *f = *st;

	nx_mem_destroy(&f->vm.mem);
	assert_int_equal(nx_mem_init(&f->vm.mem, 1 << 20, false), 0);
	make_elf64(f, 0x100000, 0x100000, 0x100000);
	assert_true(load(f) < 0);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_multiboot_elf32),
		T(test_multiboot_modules),
		T(test_multiboot_module_errors),
		T(test_multiboot_aout_kludge),
		T(test_multiboot_errors),
		T(test_multiboot_low_segments),
		T(test_multiboot_elf64),
		T(test_elf_does_not_fit),
		T(test_elf_truncated),
		T(test_elf64),
		T(test_pvh),
		T(test_elf64_unaligned_phdrs),
		T(test_pgtables_gdt),
		T(test_vcpu_long_mode),
		T(test_vcpu_multiboot),
		T(test_tiny_ram),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

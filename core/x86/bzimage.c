/* SPDX-License-Identifier: MIT */
/*
 * bzimage.c - the Linux x86 boot protocol (Documentation/arch/x86/boot.rst)
 * for a bzImage, entered directly at its 64-bit entry point like Firecracker
 * and kvmtool do: no BIOS, no real-mode setup code. We load the
 * protected-mode part, fill the zero page (boot_params) with the setup
 * header, e820 map, command line and initrd, and start at startup_64.
 */
#include <string.h>
#include <asm/bootparam.h>
#include "core/x86/boot.h"

#define BZ_HDR_OFF		0x1f1	/* struct setup_header in the file    */
#define BZ_BOOT_FLAG		0xaa55	/* at 0x1fe                           */
#define BZ_MAGIC		0x53726448	/* "HdrS" at 0x202            */
#define BZ_MIN_VERSION		0x0206	/* cmdline_size exists from 2.06      */
#define BZ_DEFAULT_LOAD		0x100000ULL	/* non-relocatable kernels: 1 MiB */
#define BZ_ENTRY64_OFF		0x200	/* startup_64 = startup_32 + 0x200    */
#define BZ_LOADER_UNDEFINED	0xff	/* type_of_loader: "no assigned id"  */

static uint16_t rd16(const uint8_t *p) { return p[0] | p[1] << 8; }
static uint32_t rd32(const uint8_t *p) { return rd16(p) | (uint32_t)rd16(p + 2) << 16; }

bool nx_is_bzimage(const struct nx_kimage *k)
{
	/* The PC boot sector signature, or the Linux setup header magic. */
	return (k->size >= 0x200 && rd16(k->data + 0x1fe) == BZ_BOOT_FLAG) ||
	       (k->size >= 0x206 && rd32(k->data + 0x202) == BZ_MAGIC);
}

/* Places the initrd as high as the kernel allows, page aligned, below the
 * end of low RAM and above the kernel's decompression area (boot.rst:
 * "initrd_addr_max", and the area [load, load + init_size) is the kernel's). */
static int load_initrd(struct nx_vm *vm, struct boot_params *bp, uint64_t kernel_end)
{
	uint64_t addr, size;
	int r = nx_boot_initrd(vm, kernel_end, (uint64_t)bp->hdr.initrd_addr_max + 1, &addr, &size);

	if (r < 0 || !size)
		return r;
	bp->hdr.ramdisk_image = (uint32_t)addr;
	bp->hdr.ramdisk_size = (uint32_t)size;
	bp->ext_ramdisk_image = (uint32_t)(addr >> 32);
	bp->ext_ramdisk_size = (uint32_t)(size >> 32);
	return 0;
}

static int fill_e820(struct nx_vm *vm, struct boot_params *bp)
{
	struct nx_e820_entry e[NX_E820_MAX];
	int n = nx_mem_e820(&vm->mem, e, NX_E820_MAX);

	if (n < 0 || n > E820_MAX_ENTRIES_ZEROPAGE)
		return nx_error("cannot build the e820 memory map");
	for (int i = 0; i < n; i++) {
		bp->e820_table[i].addr = e[i].addr;
		bp->e820_table[i].size = e[i].size;
		bp->e820_table[i].type = e[i].type;
	}
	bp->e820_entries = n;
	return 0;
}

int nx_bzimage_load(struct nx_vm *vm, const struct nx_kimage *k, struct nx_boot *b)
{
	const uint8_t *d = k->data;
	struct boot_params *bp;
	struct setup_header *h;
	uint64_t setup_size, sys_size, load, need;
	size_t hdr_end;
	void *dst;
	int r;

	if (k->size < 0x206)
		return nx_error("kernel '%s' is a truncated bzImage (%zu bytes, the setup header "
				"alone needs 0x206)", k->path, k->size);
	if (rd32(d + 0x202) != BZ_MAGIC)
		return nx_error("kernel '%s' has a boot sector but no Linux setup header (\"HdrS\"); "
				"boot protocol 2.06 or later is required", k->path);

	/* Size first: a cut-off file is the likeliest bad bzImage, and these
	 * two fields (0x1f1 setup_sects, 0x1f4 syssize) predate every version.
	 * setup_sects == 0 means 4 (boot.rst); the boot sector adds one. */
	setup_size = ((uint64_t)(d[0x1f1] ? d[0x1f1] : 4) + 1) * 512;
	sys_size = (uint64_t)rd32(d + 0x1f4) * 16;	/* 16-byte paragraphs (32 bits from 2.04) */
	if (setup_size > k->size || sys_size == 0 || k->size - setup_size < sys_size)
		return nx_error("kernel '%s' is a truncated bzImage: %zu bytes, the header promises "
				"%llu (setup %llu + kernel %llu)", k->path, k->size,
				(unsigned long long)(setup_size + sys_size),
				(unsigned long long)setup_size, (unsigned long long)sys_size);

	bp = nx_gpa(&vm->mem, NX_BOOT_PARAMS, sizeof(*bp));
	if (!bp)
		return nx_error("guest RAM too small for boot_params");
	memset(bp, 0, sizeof(*bp));
	h = &bp->hdr;
	/* The header runs from 0x1f1 to 0x202 + the byte at 0x201 (boot.rst:
	 * "the end of the setup header can be calculated as 0x0202 + byte 0x0201"). */
	hdr_end = 0x202 + d[0x201];
	if (hdr_end > BZ_HDR_OFF + sizeof(*h))
		hdr_end = BZ_HDR_OFF + sizeof(*h);
	if (rd16(d + 0x206) < BZ_MIN_VERSION)
		return nx_error("kernel '%s' uses boot protocol %u.%02u; nexit needs 2.06 or later",
				k->path, d[0x207], d[0x206]);
	/* A 2.06 header runs at least to cmdline_size (ends at 0x23c). */
	if (hdr_end < 0x23c)
		return nx_error("kernel '%s': setup header length (byte 0x201 = 0x%02x) is too short "
				"for its boot protocol version", k->path, d[0x201]);
	memcpy(h, d + BZ_HDR_OFF, hdr_end - BZ_HDR_OFF);
	if (!(h->loadflags & LOADED_HIGH))
		return nx_error("kernel '%s' is a zImage (loads below 1 MiB); only bzImage is supported",
				k->path);
	/* 2.12+: XLF_KERNEL_64 says startup_64 exists at +0x200. Older x86_64
	 * kernels have it too but cannot say so; i386 kernels of 2.12+ can. */
	if (h->version >= 0x020c && !(h->xloadflags & XLF_KERNEL_64))
		return nx_error("kernel '%s' has no 64-bit entry point (xloadflags lacks "
				"XLF_KERNEL_64): a 32-bit kernel?", k->path);

	/* A relocatable kernel asks for pref_address (2.10+); its startup code
	 * moves itself there anyway, so loading there wastes nothing. */
	load = BZ_DEFAULT_LOAD;
	if (h->version >= 0x020a && h->relocatable_kernel && h->pref_address >= BZ_DEFAULT_LOAD)
		load = h->pref_address;
	/* The kernel needs [load, load + init_size) for decompression (2.10+). */
	need = sys_size;
	if (h->version >= 0x020a && h->init_size > need)
		need = h->init_size;
	if (!nx_boot_place(vm, "bzImage kernel (init_size)", load, need))
		return -1;
	dst = nx_gpa(&vm->mem, load, sys_size);
	if (nx_kimage_copy(k, setup_size, dst, sys_size) < 0)
		return -1;

	r = nx_boot_cmdline(vm, h->cmdline_size);
	if (r < 0)
		return r;
	h->cmd_line_ptr = NX_BOOT_CMDLINE;
	bp->ext_cmd_line_ptr = 0;
	h->type_of_loader = BZ_LOADER_UNDEFINED;
	h->code32_start = (uint32_t)load;	/* where we put startup_32 */
	/* No real-mode code runs: no heap, no video mode switch. */
	h->loadflags &= ~(CAN_USE_HEAP | QUIET_FLAG | KEEP_SEGMENTS);
	h->vid_mode = 0xffff;			/* "normal" */
	/* 2.14+: saves the kernel the 0xe0000 scan for the RSDP. */
	if (h->version >= 0x020e)
		bp->acpi_rsdp_addr = NX_ACPI_BASE;

	r = fill_e820(vm, bp);
	if (r < 0)
		return r;
	r = load_initrd(vm, bp, load + need);
	if (r < 0)
		return r;

	b->kind = NX_KERNEL_BZIMAGE;
	b->entry = load + BZ_ENTRY64_OFF;
	b->rsi = NX_BOOT_PARAMS;
	b->long_mode = true;
	return 0;
}

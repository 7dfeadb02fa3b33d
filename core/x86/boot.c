/* SPDX-License-Identifier: MIT */
/*
 * boot.c - picks the loader for cfg->kernel (bzImage, multiboot v1, PVH
 * ELF, plain ELF64) and the helpers they share: reading files, checking that what they
 * place fits in guest RAM, the command line.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "core/x86/boot.h"
#include "core/kvm_kind.h"

/* Nothing nexit boots is larger; stops a mistaken path from eating memory. */
#define NX_FILE_MAX	(2ULL << 30)

static int open_regular(const char *what, const char *path, uint64_t *size)
{
	struct stat st;
	int fd;

	if (!path || !*path)
		return nx_error("no %s given (--%s FILE or [kernel] %s in the config)",
				what, what, strcmp(what, "kernel") ? what : "path");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return nx_error("%s '%s': %s", what, path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return nx_error("%s '%s': not a regular file", what, path);
	}
	if ((uint64_t)st.st_size > NX_FILE_MAX) {
		close(fd);
		return nx_error("%s '%s': %llu bytes is larger than nexit loads (2 GiB)",
				what, path, (unsigned long long)st.st_size);
	}
	*size = st.st_size;
	return fd;
}

/* [off, off + len) of the file, in reads of at most 1 GiB (read(2)'s limit). */
static int read_all(int fd, uint8_t *dst, uint64_t len, uint64_t off, const char *what,
		    const char *path)
{
	while (len) {
		ssize_t r = pread(fd, dst, len > (1u << 30) ? (1u << 30) : len, (off_t)off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return nx_error("%s '%s': read failed: %s", what, path,
					r < 0 ? strerror(errno) : "file shrank while reading");
		dst += r;
		off += (uint64_t)r;
		len -= (uint64_t)r;
	}
	return 0;
}

int nx_file_size(const char *what, const char *path, uint64_t *size)
{
	int fd = open_regular(what, path, size);

	if (fd < 0)
		return fd;
	close(fd);
	return 0;
}

int nx_kimage_copy(const struct nx_kimage *k, uint64_t off, void *dst, uint64_t len)
{
	if (off > k->size || len > k->size - off)
		return nx_error("kernel '%s': [0x%llx, +0x%llx) is past the end of the file "
				"(%zu bytes)", k->path, (unsigned long long)off,
				(unsigned long long)len, k->size);
	if (off + len <= k->head) {
		memcpy(dst, k->data + off, len);
		return 0;
	}
	return read_all(k->fd, dst, len, off, "kernel", k->path);
}

int nx_file_to_guest(struct nx_vm *vm, const char *what, const char *path,
		     uint64_t gpa, uint64_t size)
{
	uint64_t now;
	void *dst = nx_boot_place(vm, what, gpa, size);
	int fd, r;

	if (!dst)
		return -1;
	fd = open_regular(what, path, &now);
	if (fd < 0)
		return fd;
	if (now != size) {
		close(fd);
		return nx_error("%s '%s': file changed size while loading", what, path);
	}
	r = read_all(fd, dst, size, 0, what, path);
	close(fd);
	return r;
}

int nx_boot_initrd(struct nx_vm *vm, uint64_t kernel_end, uint64_t top, uint64_t *addr,
		   uint64_t *size)
{
	const char *path = vm->cfg->initrd;
	int r;

	*addr = *size = 0;
	if (!*path)
		return 0;
	r = nx_file_size("initrd", path, size);
	if (r < 0)
		return r;
	if (top > nx_lowmem_end(&vm->mem))
		top = nx_lowmem_end(&vm->mem);
	*addr = *size <= top ? (top - *size) & ~0xfffULL : 0;
	if (*size > top || *addr < kernel_end)
		return nx_error("initrd '%s' (%llu KiB) does not fit between the kernel's end "
				"(0x%llx) and 0x%llx (end of low RAM or the kernel's limit); raise --mem",
				path, (unsigned long long)(*size >> 10),
				(unsigned long long)kernel_end, (unsigned long long)top);
	return nx_file_to_guest(vm, "initrd", path, *addr, *size);
}

uint64_t nx_lowmem_end(const struct nx_mem *m)
{
	return m->nregions > 0 && m->regions[0].gpa == 0 ? m->regions[0].size : 0;
}

void *nx_boot_place(struct nx_vm *vm, const char *what, uint64_t gpa, uint64_t len)
{
	void *p = NULL;

	if (gpa < NX_BOOT_LOAD_MIN)
		return nx_error_null("%s at [0x%llx, 0x%llx) is below 1 MiB, where nexit keeps the "
				     "GDT, page tables, boot_params, MP and ACPI tables", what,
				     (unsigned long long)gpa, (unsigned long long)(gpa + len));
	if (gpa + len >= gpa)
		p = nx_gpa(&vm->mem, gpa, len ? len : 1);
	if (!p)
		nx_error("%s at [0x%llx, 0x%llx) does not fit in guest RAM "
			 "(RAM from 1 MiB: [0x100000, 0x%llx)%s; raise --mem)", what,
			 (unsigned long long)gpa, (unsigned long long)(gpa + len),
			 (unsigned long long)nx_lowmem_end(&vm->mem),
			 vm->mem.nregions > 1 ? " and above 4 GiB" : "");
	return p;
}

void *nx_boot_place_low(struct nx_vm *vm, const char *what, uint64_t gpa, uint64_t len)
{
	if (gpa < NX_BOOT_LOAD_MIN && gpa + len > NX_MPTABLE)
		return nx_error_null("%s at [0x%llx, 0x%llx) overlaps the MP and ACPI tables nexit "
				     "keeps at [0x%x, 0x100000) (reserved in the memory map)", what,
				     (unsigned long long)gpa, (unsigned long long)(gpa + len),
				     NX_MPTABLE);
	if (gpa >= NX_BOOT_LOAD_MIN)
		return nx_boot_place(vm, what, gpa, len);
	return nx_gpa(&vm->mem, gpa, len ? len : 1);	/* [0, NX_MPTABLE): always RAM */
}

int nx_boot_ranges_add(struct nx_boot_ranges *rs, uint64_t start, uint64_t end)
{
	if (rs->n == NX_BOOT_MAX_RANGES)
		return -1;
	rs->r[rs->n].start = start;
	rs->r[rs->n].end = end;
	rs->n++;
	return 0;
}

bool nx_boot_ranges_overlap(const struct nx_boot_ranges *rs, uint64_t start, uint64_t end)
{
	for (unsigned i = 0; i < rs->n; i++)
		if (start < rs->r[i].end && rs->r[i].start < end)
			return true;
	return false;
}

int nx_boot_cmdline_at(struct nx_vm *vm, uint64_t gpa, const char *prefix, uint64_t max)
{
	const char *s = vm->cfg->cmdline;
	size_t len = strnlen(s, sizeof(vm->cfg->cmdline)), plen = prefix ? strlen(prefix) : 0;
	size_t total = plen + (plen && len ? 1 : 0) + len;
	char *dst;

	if (total > max)
		return nx_error("kernel command line is %zu bytes, the kernel accepts at most %llu",
				total, (unsigned long long)max);
	dst = nx_gpa(&vm->mem, gpa, total + 1);
	if (!dst)
		return nx_error("guest RAM too small for the command line at 0x%llx",
				(unsigned long long)gpa);
	if (plen)
		memcpy(dst, prefix, plen);
	if (plen && len)
		dst[plen] = ' ';
	if (len)
		memcpy(dst + total - len, s, len);
	dst[total] = 0;
	return 0;
}

int nx_boot_cmdline(struct nx_vm *vm, uint64_t max)
{
	if (max > NX_BOOT_CMDLINE_MAX - 1)
		max = NX_BOOT_CMDLINE_MAX - 1;
	return nx_boot_cmdline_at(vm, NX_BOOT_CMDLINE, NULL, max);
}

/* Linux (a bzImage or a PVH vmlinux) needs guest ring 0 run natively;
 * where this KVM cannot (core/kvm_kind.c: kvm_pvm) the guest dies on its
 * first ring-0 int3 after minutes of emulation: say so at once. */
static void warn_if_no_linux_kvm(void)
{
	struct nx_kvm_kind_info k;

	nx_kvm_detect(&k);
	if (k.kind == NX_KVM_KIND_PROBE)
		nx_warn("this KVM cannot boot Linux (%s); tools/l1.sh runs nexit in the nested "
			"machine (docs/nested.md)", k.reason);
}

int nx_boot_load(struct nx_vm *vm, struct nx_boot *b)
{
	struct nx_kimage k = { .path = vm->cfg->kernel };
	uint64_t size;
	uint32_t pvh;
	long mb;
	int r;

	memset(b, 0, sizeof(*b));
	if (nx_lowmem_end(&vm->mem) < 2 * NX_BOOT_LOAD_MIN)
		return nx_error("guest RAM (%llu KiB) is too small to boot a kernel (need 2 MiB)",
				(unsigned long long)(vm->mem.size >> 10));
	k.fd = open_regular("kernel", k.path, &size);
	if (k.fd < 0)
		return k.fd;
	k.size = size;
	k.head = size < NX_KHEAD ? size : NX_KHEAD;
	k.data = malloc(NX_KHEAD);
	if (!k.data) {
		close(k.fd);
		return nx_error("out of memory");
	}
	r = read_all(k.fd, k.data, k.head, 0, "kernel", k.path);
	if (r < 0) {
		free(k.data);
		close(k.fd);
		return r;
	}

	/* Order matters: a bzImage's setup code never carries a multiboot
	 * header, while multiboot kernels are usually also ELF files. */
	if (nx_is_bzimage(&k)) {
		warn_if_no_linux_kvm();
		r = nx_bzimage_load(vm, &k, b);
	} else if ((mb = nx_multiboot_find(&k)) >= 0) {
		r = nx_multiboot_load(vm, &k, mb, b);
	} else if (nx_is_elf(&k) && nx_pvh_entry(&k, &pvh)) {
		warn_if_no_linux_kvm();
		r = nx_pvh_load(vm, &k, pvh, b);
	} else if (nx_is_elf(&k)) {
		r = nx_elf64_load(vm, &k, b);
	} else {
		r = nx_error("kernel '%s' is neither an ELF file nor a bzImage "
			     "(no ELF magic, no multiboot header, no \"HdrS\" at 0x202)", k.path);
	}
	free(k.data);
	close(k.fd);
	return r;
}

/* SPDX-License-Identifier: MIT */
/*
 * fuzz_loaders - the x86 boot loaders (core/x86: bzImage, multiboot with
 * its modules, ELF64) on images the fuzzer writes, with or without an
 * initrd, into 32 MiB of guest RAM: headers that lie about sizes, offsets
 * and addresses must be refused with one error line, and nothing may be
 * written outside guest RAM.
 */
#include <stdbool.h>
#include <sys/mman.h>
#include <unistd.h>
#include "core/vm.h"
#include "tests/fuzz/fuzz.h"
#include "core/x86/x86.h"

#define MEM (32u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct nx_config cfg;
	static struct nx_vm vm;
	static int kfd = -1, ifd = -1;
	struct fz f = { data, size };
	struct nx_boot b;
	uint8_t mode = fz_u8(&f);
	size_t klen = f.n;

	if (kfd < 0) {
		kfd = memfd_create("fuzz-kernel", MFD_CLOEXEC);
		ifd = memfd_create("fuzz-initrd", MFD_CLOEXEC);
		vm.cfg = &cfg;
		vm.ncpus = 1;
		if (kfd < 0 || ifd < 0 || nx_mem_init(&vm.mem, MEM, false) < 0)
			__builtin_trap();
	}
	nx_config_defaults(&cfg);
	cfg.mem_bytes = MEM;
	snprintf(cfg.kernel, sizeof(cfg.kernel), "/proc/self/fd/%d", kfd);
	snprintf(cfg.cmdline, sizeof(cfg.cmdline), "console=ttyS0 scenario=hello");
	if (mode & 1) {
		/* The first part is the initrd (or multiboot modules), the rest the kernel. */
		size_t ilen = fz_u16(&f) % (f.n + 1);
		if (ftruncate(ifd, 0) < 0 || pwrite(ifd, f.d, ilen, 0) != (ssize_t)ilen)
			__builtin_trap();
		f.d += ilen;
		f.n -= ilen;
		snprintf(cfg.initrd, sizeof(cfg.initrd), "/proc/self/fd/%d%s", ifd,
			 mode & 2 ? ",/dev/null" : "");
	}
	klen = f.n;
	if (ftruncate(kfd, 0) < 0 || pwrite(kfd, f.d, klen, 0) != (ssize_t)klen)
		__builtin_trap();
	nx_boot_load(&vm, &b);
	return 0;
}

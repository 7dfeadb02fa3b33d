/* SPDX-License-Identifier: MIT */
/*
 * fuzz_arm64_boot - the arm64 boot path (core/arm64/boot.c and fdt.c,
 * plain C and libfdt, linked from libnexit-arm64.a): Image and ELF64 kernels and initrds the
 * fuzzer writes, loaded into guest RAM at 0x40000000, then the device tree
 * built for a VM whose CPU count, command line and assigned devices come
 * from the input. Refusals are one error line; nothing lands outside RAM.
 */
#include <stdbool.h>
#include <sys/mman.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/arm64/arm64.h"
#include "tests/fuzz/fuzz.h"

#define MEM (16u << 20)

int nx_a64_set_core_reg(struct nx_vcpu *vcpu, size_t off, uint64_t val) { return 0; }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct nx_config cfg;
	static struct nx_vm vm;
	static struct nx_a64 a;
	static uint8_t *ram;
	static int kfd = -1, ifd = -1;
	struct fz f = { data, size };
	uint8_t mode = fz_u8(&f);
	size_t ilen;

	if (kfd < 0) {
		kfd = memfd_create("fuzz-kernel", MFD_CLOEXEC);
		ifd = memfd_create("fuzz-initrd", MFD_CLOEXEC);
		ram = malloc(MEM);
		if (kfd < 0 || ifd < 0 || !ram)
			__builtin_trap();
		vm.cfg = &cfg;
		vm.mem = (struct nx_mem){ .memfd = -1, .base = ram, .size = MEM, .nregions = 1 };
		vm.mem.regions[0] = (struct nx_mem_region){ NX_A64_RAM, MEM, ram, 0 };
	}
	memset(&cfg, 0, sizeof(cfg));
	memset(&a, 0, sizeof(a));
	vm.ncpus = 1 + fz_u8(&f) % NX_MAX_CPUS;
	fz_bytes(&f, cfg.cmdline, 64);
	cfg.cmdline[63] = 0;
	snprintf(cfg.kernel, sizeof(cfg.kernel), "/proc/self/fd/%d", kfd);
	cfg.ndevices = fz_u8(&f) % 4;
	for (int i = 0; i < cfg.ndevices; i++)
		snprintf(cfg.devices[i].assign, sizeof(cfg.devices[i].assign), "0000:00:0%d.0", i);
	ilen = mode & 1 ? fz_u32(&f) % (f.n + 1) : 0;
	if (ftruncate(ifd, 0) < 0 || pwrite(ifd, f.d, ilen, 0) != (ssize_t)ilen)
		__builtin_trap();
	if (ilen || (mode & 2))
		snprintf(cfg.initrd, sizeof(cfg.initrd), "/proc/self/fd/%d", ifd);
	f.d += ilen;
	f.n -= ilen;
	if (ftruncate(kfd, 0) < 0 || pwrite(kfd, f.d, f.n, 0) != (ssize_t)f.n)
		__builtin_trap();
	if (nx_a64_boot_load(&vm, &a) == 0)
		nx_a64_fdt_build(&vm, &a);
	return 0;
}

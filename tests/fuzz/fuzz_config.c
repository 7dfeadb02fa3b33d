/* SPDX-License-Identifier: MIT */
/*
 * fuzz_config - the files nexit is given (config and profile INI through
 * libinih, core/config.c and tune/profile.c; sizes, numbers, device
 * sections, CPUID feature lists) and single keys as flags set them. Bad
 * input is one error line and a failure, never a crash or an overrun of
 * the fixed-size fields it fills.
 */
#include <stdbool.h>
#include <sys/mman.h>
#include <unistd.h>
#include "core/vm.h"
#include "tune/tune.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct nx_config c;
	static struct nx_profile p;
	static int fd = -1;
	char path[64], section[64], key[64], value[300];
	struct fz f = { data, size };
	uint8_t mode = fz_u8(&f);
	uint64_t n;

	if (fd < 0 && (fd = memfd_create("fuzz-ini", MFD_CLOEXEC)) < 0)
		__builtin_trap();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	nx_config_defaults(&c);
	if (mode & 1) {
		/* One key as a flag sets it: three NUL-separated strings. */
		fz_bytes(&f, section, sizeof(section) - 1);
		fz_bytes(&f, key, sizeof(key) - 1);
		fz_bytes(&f, value, sizeof(value) - 1);
		section[sizeof(section) - 1] = key[sizeof(key) - 1] = value[sizeof(value) - 1] = 0;
		nx_config_set(&c, section, key, value, "--fuzz");
		nx_parse_size(value, &n);
		return 0;
	}
	if (ftruncate(fd, 0) < 0 || pwrite(fd, f.d, f.n, 0) != (ssize_t)f.n)
		__builtin_trap();
	if (mode & 2) {
		nx_profile_defaults(&p);
		nx_profile_parse(&p, path);
	} else {
		nx_config_load(&c, path);
		FZ_ASSERT(c.ndevices >= 0 && c.ndevices <= NX_MAX_DEVICES);
		FZ_ASSERT(c.ncpuid_hide >= 0 && c.ncpuid_hide <= NX_MAX_CPUID_HIDE);
	}
	return 0;
}

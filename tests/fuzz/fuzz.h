/* SPDX-License-Identifier: MIT */
/*
 * fuzz.h - what the libFuzzer harnesses of tests/fuzz share: reading typed
 * values off the fuzzer's input (zeros once it runs out, so every input is
 * a complete program), a file descriptor count to catch leaks, and a quiet
 * nexit (its error lines are expected here by the thousand).
 */
#ifndef NEXIT_FUZZ_H
#define NEXIT_FUZZ_H

#include <dirent.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct fz {
	const uint8_t *d;
	size_t n;
};

static inline size_t fz_left(const struct fz *f) { return f->n; }

static inline void fz_bytes(struct fz *f, void *out, size_t len)
{
	size_t k = len < f->n ? len : f->n;

	memcpy(out, f->d, k);
	memset((uint8_t *)out + k, 0, len - k);
	f->d += k;
	f->n -= k;
}

static inline uint8_t fz_u8(struct fz *f) { uint8_t v; fz_bytes(f, &v, 1); return v; }
static inline uint16_t fz_u16(struct fz *f) { uint16_t v; fz_bytes(f, &v, 2); return v; }
static inline uint32_t fz_u32(struct fz *f) { uint32_t v; fz_bytes(f, &v, 4); return v; }
static inline uint64_t fz_u64(struct fz *f) { uint64_t v; fz_bytes(f, &v, 8); return v; }
/* An access size the buses see: 1, 2, 4 or 8. */
static inline uint32_t fz_len(struct fz *f) { return 1u << (fz_u8(f) & 3); }

/* Open file descriptors of this process (a leak shows as growth). */
static inline int fz_open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	while (d && readdir(d))
		n++;
	if (d)
		closedir(d);
	return n;
}

/* A harness's invariant: a broken one is a crash libFuzzer keeps. */
#define FZ_ASSERT(c) do { if (!(c)) __builtin_trap(); } while (0)

#endif

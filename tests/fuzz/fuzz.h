/* SPDX-License-Identifier: MIT */
/*
 * fuzz.h - what the libFuzzer harnesses of tests/fuzz share: reading typed
 * values off the fuzzer's input (zeros once it runs out, so every input is
 * a complete program), a file descriptor count to catch leaks, and a quiet
 * nexit (its error lines are expected here by the thousand).
 */
#ifndef NEXIT_FUZZ_H
#define NEXIT_FUZZ_H

#include "tests/fdcount.h"
#include <stdbool.h>
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

/* One guest access off the input: size, direction, the bytes a write stores. */
struct fz_acc {
	uint8_t buf[8];
	uint32_t len;
	bool w;
};

static inline struct fz_acc fz_access(struct fz *f)
{
	struct fz_acc a;

	a.len = fz_len(f);
	a.w = fz_u8(f) & 1;
	fz_bytes(f, a.buf, sizeof(a.buf));
	return a;
}

/* Open file descriptors of this process (a leak shows as growth). */
#define fz_open_fds nx_test_open_fds

/* A harness's invariant: a broken one is a crash libFuzzer keeps. */
#define FZ_ASSERT(c) do { if (!(c)) __builtin_trap(); } while (0)

#endif

/* SPDX-License-Identifier: MIT */
/*
 * log.c - the one-line error convention: "nexit: error: ..." on stderr.
 *
 * A guest (or a backend) can make the same report happen at any rate, so
 * every call site - its format string - may print NX_LOG_BURST lines per
 * NX_LOG_WINDOW_NS; the rest are counted and summed up in one line when the
 * next window lets that site speak again. The table of sites is the
 * logger's own state (a process has one stderr).
 */
#include <pthread.h>
#include <stdarg.h>
#include <time.h>
#include <stdbool.h>
#include <stdio.h>
#include "core/log.h"

#define NX_LOG_SITES		64
#define NX_LOG_BURST		10
#define NX_LOG_WINDOW_NS	10000000000ull	/* 10 s */

static struct {
	pthread_mutex_t lock;
	struct { const char *fmt; uint64_t start, printed, suppressed; } site[NX_LOG_SITES];
} lg = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* May this call site print now? Also says how many it held back before. */
static bool admit(const char *fmt, uint64_t *held)
{
	uint64_t now = nx_now_ns();
	unsigned h = (unsigned)(((uintptr_t)fmt >> 3) % NX_LOG_SITES), i = h;
	bool ok = true;

	*held = 0;
	pthread_mutex_lock(&lg.lock);
	/* Open addressing; a full table admits everything (never silence). */
	while (lg.site[i].fmt && lg.site[i].fmt != fmt && (i = (i + 1) % NX_LOG_SITES) != h)
		;
	if (!lg.site[i].fmt || lg.site[i].fmt == fmt) {
		if (!lg.site[i].fmt)
			lg.site[i].fmt = fmt, lg.site[i].start = now;
		if (now - lg.site[i].start >= NX_LOG_WINDOW_NS) {
			*held = lg.site[i].suppressed;
			lg.site[i].start = now;
			lg.site[i].printed = lg.site[i].suppressed = 0;
		}
		ok = lg.site[i].printed++ < NX_LOG_BURST;
		if (!ok)
			lg.site[i].suppressed++;
	}
	pthread_mutex_unlock(&lg.lock);
	return ok;
}

static void vmsg(const char *tag, const char *fmt, va_list ap)
{
	char buf[1024];
	uint64_t held;

	if (!admit(fmt, &held))
		return;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	if (held)
		fprintf(stderr, "nexit: warning: %llu more reports like the next were suppressed "
			"(at most %d per %llu s)\n", (unsigned long long)held, NX_LOG_BURST,
			NX_LOG_WINDOW_NS / 1000000000ull);
	fprintf(stderr, "nexit: %s%s\n", tag, buf);
}

int nx_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("error: ", fmt, ap);
	va_end(ap);
	return -1;
}

void nx_log(const char *tag, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(tag, fmt, ap);
	va_end(ap);
}

uint64_t nx_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

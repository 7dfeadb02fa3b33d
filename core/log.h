/* SPDX-License-Identifier: MIT */
/*
 * log.h - errors, logging, the clock and object lifetime (core/log.c).
 *
 * Conventions (kvmtool/Jailhouse style):
 *  - state lives in structs passed explicitly; no globals;
 *  - a function that fails prints exactly one "nexit: error: ..." line
 *    (nx_error) and returns a negative value; only main() exits.
 */
#ifndef NEXIT_CORE_LOG_H
#define NEXIT_CORE_LOG_H

#include <stdint.h>

#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/lsan_interface.h>
#endif

/* nexit exits without tearing a VM down (fds and memory go with the
 * process), on error paths too: an object made for the VM lives until
 * exit. The ASan test build's leak check is told so (it and what it
 * points to); elsewhere this is nothing. */
static inline void nx_lives_until_exit(const void *p)
{
#ifdef __SANITIZE_ADDRESS__
	__lsan_ignore_object(p);
#else
	(void)p;
#endif
}
/*
 * nexit run's exit status for its own errors (bad input, a refused kernel, a
 * fatal guest error such as a triple fault): even, so a test runner can tell
 * it from any status a guest picks through isa-debug-exit, (v << 1) | 1.
 */
#define NX_EXIT_ERROR	2
int  nx_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));	/* returns -1 */
#define nx_error_null(...)	(nx_error(__VA_ARGS__), (void *)0)	/* NULL */
/* "nexit: TAG..." on stderr: nx_warn's tag is "warning: ", nx_info's none. */
void nx_log(const char *tag, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define nx_warn(...)	nx_log("warning: ", __VA_ARGS__)
#define nx_info(...)	nx_log("", __VA_ARGS__)
uint64_t nx_now_ns(void);		/* CLOCK_MONOTONIC */

#endif

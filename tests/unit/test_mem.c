/* SPDX-License-Identifier: MIT */
/*
 * test_mem.c - guest RAM (core/mem.c): the memfd that vhost-user backends
 * map is sealed at its size (a peer's ftruncate would pull pages from under
 * KVM and nexit: SIGBUS), and nx_gpa's bounds hold at the edges.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>
#include <sys/wait.h>
#include <cmocka.h>
#include "core/vm.h"

static void test_memfd_sealed(void **state)
{
	struct nx_mem m;
	int seals;

	assert_int_equal(nx_mem_init(&m, 8 << 20, false), 0);
	seals = fcntl(m.memfd, F_GET_SEALS);
	assert_true(seals & F_SEAL_SHRINK);
	assert_true(seals & F_SEAL_GROW);
	assert_true(seals & F_SEAL_SEAL);
	/* What a backend holding the fd could try. */
	assert_int_equal(ftruncate(m.memfd, 0), -1);
	assert_int_equal(errno, EPERM);
	assert_int_equal(ftruncate(m.memfd, 16 << 20), -1);
	assert_int_equal(errno, EPERM);
	assert_int_equal(fcntl(m.memfd, F_ADD_SEALS, F_SEAL_WRITE), -1);
	/* Guest RAM stays usable. */
	m.base[(8 << 20) - 1] = 1;
	nx_mem_destroy(&m);
}

static void test_gpa_bounds(void **state)
{
	struct nx_mem m;

	assert_int_equal(nx_mem_init(&m, 8 << 20, false), 0);
	assert_non_null(nx_gpa(&m, m.regions[0].gpa, 1));
	assert_non_null(nx_gpa(&m, m.regions[0].gpa + m.regions[0].size - 4, 4));
	assert_null(nx_gpa(&m, m.regions[0].gpa + m.regions[0].size - 4, 5));
	assert_null(nx_gpa(&m, m.regions[0].gpa + 8, UINT64_MAX));
	assert_null(nx_gpa(&m, UINT64_MAX, 2));
	nx_mem_destroy(&m);
}

/* Private THP-backed RAM: 2 MiB aligned and sized, no memfd, usable, and
 * not inherited by a forked child (MADV_DONTFORK). */
static void test_private_ram(void **state)
{
	struct nx_mem m;
	pid_t pid;
	int st;

	assert_int_equal(nx_mem_init_private(&m, (5 << 20) + 123), 0);
	assert_int_equal(m.memfd, -1);
	assert_int_equal((uintptr_t)m.base & ((2 << 20) - 1), 0);
	assert_int_equal(m.size, 6 << 20);
	assert_int_equal(m.regions[0].gpa, 0);
	assert_int_equal(m.regions[0].size, 6 << 20);
	m.base[0] = 1;
	m.base[m.size - 1] = 2;
	pid = fork();
	if (pid == 0) {
		signal(SIGSEGV, SIG_DFL);	/* not cmocka's handler */
		_exit(m.base[0] == 1 ? 1 : 0);	/* DONTFORK: the access faults (SIGSEGV) */
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV);
	nx_mem_destroy(&m);
	assert_int_equal(nx_mem_init_private(&m, 1000), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_memfd_sealed),
		cmocka_unit_test(test_private_ram),
		cmocka_unit_test(test_gpa_bounds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: MIT */
/*
 * test_sandbox.c - the seccomp sandbox (core/sandbox.c), each case in a
 * child process that loads one thread kind's filter: what the kind needs
 * works; a call outside its list ends the process with status 1 and one
 * line naming the call and the thread; the argument rules hold (no
 * executable mapping, no new process, signals only to itself, ioctl only
 * of the KVM/VFIO/vhost families); log mode lets a denied call through.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include "core/vm.h"
#include "core/sandbox.h"

/* Runs fn in a child under kind's filter; returns its exit status (or
 * 128 + signal) and its stderr in err. */
static int in_child(enum nx_sandbox_mode mode, enum nx_sandbox_kind kind, int (*fn)(void),
		    char *err, size_t n)
{
	int p[2], st;
	pid_t pid;
	ssize_t got;

	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		dup2(p[1], 2);
		close(p[0]);
		if (nx_sandbox_init(mode, NULL, false) < 0 || nx_sandbox_thread(kind, "t-sandbox") < 0)
			_exit(99);
		_exit(fn());
	}
	close(p[1]);
	got = read(p[0], err, n - 1);
	err[got > 0 ? got : 0] = 0;
	close(p[0]);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int do_allowed(void)
{
	int fds[2];
	uint64_t one = 1;
	void *m;

	/* What every kind does: memory, time, eventfd-style I/O, threads' kin. */
	m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED || munmap(m, 4096) < 0)
		return 10;
	free(malloc(1 << 20));
	if (pipe2(fds, O_CLOEXEC) == 0)
		return 11;	/* pipe2 is in no list: must not get here */
	(void)one;
	return 0;
}

static int do_socket(void) { return socket(AF_UNIX, SOCK_STREAM, 0) >= 0 ? 0 : 20; }
static int do_open_write(void) { return open("/tmp/nexit-sandbox-test", O_WRONLY | O_CREAT, 0600) >= 0 ? 0 : 21; }
static int do_open_read(void) { return open("/proc/self/fdinfo/0", O_RDONLY) >= 0 ? 0 : 26; }
static int do_exec_mem(void)
{
	return mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) ==
	       MAP_FAILED ? 22 : 0;
}
static int do_fork(void) { return fork() == 0 ? _exit(0), 0 : 0; }
static int do_kill_other(void) { return syscall(SYS_tgkill, 1, 1, 0) == 0 ? 0 : 23; }
static int do_tiocsti(void) { char c = 'x'; return ioctl(0, TIOCSTI, &c) ? 0 : 0; }
static int do_kvm_ioctl(void)
{
	/* KVM's family passes the filter; a pipe then says ENOTTY. */
	return ioctl(2, KVM_GET_API_VERSION, 0) < 0 && errno == ENOTTY ? 0 : 24;
}
static int do_thread_ok(void)
{
	/* glibc's clone3 is refused with ENOSYS; it falls back to clone. */
	return syscall(SYS_clone3, NULL, 0) < 0 && errno == ENOSYS ? 0 : 25;
}

static void test_allowed_and_denied(void **state)
{
	char err[512];

	/* The first denied call in do_allowed is pipe2: one line, status 1. */
	assert_int_equal(in_child(NX_SANDBOX_ON, NX_SANDBOX_KIND_VCPU, do_allowed, err, sizeof(err)), 1);
	assert_non_null(strstr(err, "nexit: error: sandbox: thread t-sandbox (vcpu filter) "
				    "made system call pipe2 (293), which its filter denies"));
	assert_null(strchr(strchr(err, '\n') + 1, '\n'));	/* exactly one line */
	assert_int_equal(in_child(NX_SANDBOX_ON, NX_SANDBOX_KIND_VCPU, do_socket, err, sizeof(err)), 1);
	assert_non_null(strstr(err, "made system call socket (41)"));
	assert_int_equal(in_child(NX_SANDBOX_ON, NX_SANDBOX_KIND_EVENT, do_open_write, err, sizeof(err)), 1);
	assert_non_null(strstr(err, "(event filter) made system call openat"));
	/* main and the loop may open read-only (/proc/self/fdinfo), never to write. */
	assert_int_equal(in_child(NX_SANDBOX_ON, NX_SANDBOX_KIND_LOOP, do_open_write, err, sizeof(err)), 1);
	assert_non_null(strstr(err, "openat"));
	assert_int_equal(in_child(NX_SANDBOX_ON, NX_SANDBOX_KIND_MAIN, do_open_write, err, sizeof(err)), 1);
	assert_non_null(strstr(err, "(main filter) made system call openat"));
	assert_int_equal(in_child(NX_SANDBOX_ON, NX_SANDBOX_KIND_MAIN, do_open_read, err, sizeof(err)), 0);
	assert_int_equal(in_child(NX_SANDBOX_ON, NX_SANDBOX_KIND_DEVD, do_socket, err, sizeof(err)), 1);
	assert_non_null(strstr(err, "(devd filter)"));
}

static void test_argument_rules(void **state)
{
	char err[512];

	assert_int_equal(in_child(NX_SANDBOX_ON, NX_SANDBOX_KIND_VCPU, do_exec_mem, err, sizeof(err)), 1);
	assert_non_null(strstr(err, "made system call mmap"));
	assert_int_equal(in_child(NX_SANDBOX_ON, NX_SANDBOX_KIND_VCPU, do_fork, err, sizeof(err)), 1);
	assert_non_null(strstr(err, "made system call clone (56)"));
	assert_int_equal(in_child(NX_SANDBOX_ON, NX_SANDBOX_KIND_VCPU, do_kill_other, err, sizeof(err)), 1);
	assert_non_null(strstr(err, "made system call tgkill"));
	assert_int_equal(in_child(NX_SANDBOX_ON, NX_SANDBOX_KIND_VCPU, do_tiocsti, err, sizeof(err)), 1);
	assert_non_null(strstr(err, "made system call ioctl"));
	assert_int_equal(in_child(NX_SANDBOX_ON, NX_SANDBOX_KIND_VCPU, do_kvm_ioctl, err, sizeof(err)), 0);
	if (in_child(NX_SANDBOX_ON, NX_SANDBOX_KIND_EVENT, do_thread_ok, err, sizeof(err)))
		fail_msg("%s", err);
}

static void test_log_mode_lets_through(void **state)
{
	char err[512];

	/* SECCOMP_RET_LOG: the kernel logs the call and runs it. */
	assert_int_equal(in_child(NX_SANDBOX_LOG, NX_SANDBOX_KIND_DEVD, do_socket, err, sizeof(err)), 0);
	assert_int_equal(in_child(NX_SANDBOX_OFF, NX_SANDBOX_KIND_DEVD, do_socket, err, sizeof(err)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_allowed_and_denied),
		cmocka_unit_test(test_argument_rules),
		cmocka_unit_test(test_log_mode_lets_through),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: MIT */
/*
 * test_loop.c - the VM's one event loop (core/loop.c) and the control
 * socket as handlers on it (core/control.c): a handler runs for its fd
 * with its tag, not after nx_loop_del, not while paused; a handler may add
 * and remove fds itself; the thread ends at nx_loop_stop; and a control
 * client that never sends its request does not hold up the other handlers
 * (the loop answers it by a timer, it never waits in a handler).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include "core/vm.h"
#include "core/control.h"

struct hits {
	_Atomic int n;
	_Atomic unsigned tag;
	_Atomic uint64_t last_ns;
	struct nx_loop *l;
	int del_fd;		/* a handler that removes this fd (itself) */
};

static void on_event(void *op, int fd, uint32_t events, unsigned tag)
{
	struct hits *h = op;
	uint64_t v;

	if (read(fd, &v, sizeof(v)) != sizeof(v))
		return;
	h->tag = tag;
	h->last_ns = nx_now_ns();
	h->n++;
	if (h->del_fd == fd)
		nx_loop_del(h->l, fd);
}

static void ring(int fd)
{
	uint64_t one = 1;

	assert_int_equal(write(fd, &one, sizeof(one)), sizeof(one));
}

/* Waits up to 2 s for *n to reach want; true if it did. */
static bool wait_for(_Atomic int *n, int want)
{
	for (int i = 0; i < 400 && *n < want; i++)
		usleep(5000);
	return *n >= want;
}

static void test_add_del_pause(void **state)
{
	struct nx_loop l;
	struct hits h = { .l = &l, .del_fd = -1 };
	int a = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC), b = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);

	nx_loop_init(&l);
	assert_int_equal(nx_loop_add(&l, a, EPOLLIN, on_event, &h, 7), 0);
	ring(a);
	assert_true(wait_for(&h.n, 1));
	assert_int_equal(h.tag, 7);
	/* Paused: the signal waits in the eventfd; resumed: it is seen. */
	assert_int_equal(nx_loop_pause(&l, a, true), 0);
	ring(a);
	usleep(50000);
	assert_int_equal(h.n, 1);
	assert_int_equal(nx_loop_pause(&l, a, false), 0);
	assert_true(wait_for(&h.n, 2));
	/* Removed: no handler any more. */
	nx_loop_del(&l, a);
	ring(a);
	usleep(50000);
	assert_int_equal(h.n, 2);
	/* A handler that removes its own fd runs once. */
	h.del_fd = b;
	assert_int_equal(nx_loop_add(&l, b, EPOLLIN, on_event, &h, 9), 0);
	ring(b);
	assert_true(wait_for(&h.n, 3));
	assert_int_equal(h.tag, 9);
	ring(b);
	usleep(50000);
	assert_int_equal(h.n, 3);
	assert_int_equal(nx_loop_pause(&l, b, true), -1);	/* not watched */
	nx_loop_stop(&l);
	assert_false(l.running);
	close(a);
	close(b);
}

/* A control client connects and says nothing: the loop still serves an
 * interrupt line's eventfd at once, and the client gets the stats after
 * the request timeout. */
static void test_silent_client_does_not_block(void **state)
{
	static struct nx_vm vm;
	static struct nx_config cfg;
	struct hits h = { .l = &vm.loop, .del_fd = -1 };
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	char dir[] = "/tmp/nexit-loop-XXXXXX", buf[256];
	int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC), s;
	uint64_t t0;

	nx_config_defaults(&cfg);
	vm.cfg = &cfg;
	vm.stats_fd_vm = -1;
	nx_loop_init(&vm.loop);
	assert_non_null(mkdtemp(dir));
	snprintf(a.sun_path, sizeof(a.sun_path), "%s/ctl", dir);
	assert_int_equal(nx_control_start(&vm, a.sun_path), 0);
	assert_int_equal(nx_loop_add(&vm.loop, efd, EPOLLIN, on_event, &h, 1), 0);
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal(connect(s, (struct sockaddr *)&a, sizeof(a)), 0);
	usleep(20000);			/* the loop has accepted it */
	t0 = nx_now_ns();
	ring(efd);
	assert_true(wait_for(&h.n, 1));
	/* Served well before the client's 200 ms request timeout. */
	assert_true(h.last_ns - t0 < 100 * 1000000ull);
	assert_true(read(s, buf, sizeof(buf) - 1) > 0);	/* then the stats come */
	close(s);
	nx_loop_stop(&vm.loop);
	unlink(a.sun_path);
	rmdir(dir);
	close(efd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_del_pause),
		cmocka_unit_test(test_silent_client_does_not_block),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

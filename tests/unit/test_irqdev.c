/* SPDX-License-Identifier: MIT */
/*
 * test_irqdev.c - irqdev's register semantics (edu layout) and the backend
 * protocol, without KVM: doorbell drains, raise in MSI and INTx mode, the
 * factorial (bounded whatever the operand), the message primitives (length
 * and fd checks, nothing leaked), and a real nexit-devd loop (devd.c) in a
 * thread driven over a socketpair with SCM_RIGHTS, as nexit drives it.
 * With /dev/kvm (skipped without): an MSI vector's route and irqfd follow
 * the guest's enable/address/data/mask (route.c rules).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <cmocka.h>
#include <linux/kvm.h>
#include "passthrough/passthrough.h"
#include "fallback/fallback.h"
#include "tests/fdcount.h"
#include "core/control.h"
#include "core/arch.h"

struct fx {
	struct nx_irqdev_regs r;
	int msi, trig;
	int raise[NX_IRQDEV_DOORBELLS], ack[NX_IRQDEV_DOORBELLS];
	int sv[2];
	pthread_t thr;
	int serve_rc;
};

static uint64_t take(int fd)
{
	uint64_t n = 0;
	return read(fd, &n, sizeof(n)) == sizeof(n) ? n : 0;
}

static void ring(int fd)
{
	uint64_t one = 1;
	assert_int_equal(write(fd, &one, sizeof(one)), sizeof(one));
}

static bool wait_readable(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	return poll(&p, 1, ms) == 1;
}

#define open_fds nx_test_open_fds

static int efd(void)
{
	return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	f->msi = efd();
	f->trig = efd();
	for (int i = 0; i < NX_IRQDEV_DOORBELLS; i++) {
		f->raise[i] = efd();
		f->ack[i] = efd();
	}
	f->sv[0] = f->sv[1] = -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	if (f->sv[0] >= 0) {
		close(f->sv[0]);	/* nexit hangs up: the backend returns */
		pthread_join(f->thr, NULL);
		assert_int_equal(f->serve_rc, 0);
	}
	close(f->msi);
	close(f->trig);
	for (int i = 0; i < NX_IRQDEV_DOORBELLS; i++) {
		close(f->raise[i]);
		close(f->ack[i]);
	}
	free(f);
	return 0;
}

/* ---- register semantics ----------------------------------------------------- */
static void on_alarm(int sig)
{
	(void)sig;
	fail_msg("nx_irqdev_factorial did not return within 2 s");
}

static void test_factorial(void **state)
{
	signal(SIGALRM, on_alarm);
	alarm(2);
	assert_int_equal(nx_irqdev_factorial(0), 1);
	assert_int_equal(nx_irqdev_factorial(1), 1);
	assert_int_equal(nx_irqdev_factorial(5), 120);
	assert_int_equal(nx_irqdev_factorial(12), 479001600);
	assert_int_equal(nx_irqdev_factorial(13), (uint32_t)6227020800ull);	/* wraps */
	assert_int_equal(nx_irqdev_factorial(33), 0x80000000u);	/* 2^31 * odd */
	assert_int_equal(nx_irqdev_factorial(34), 0);		/* 2^32 divides 34! */
	/* The guest's operand must not set the amount of work: the largest
	 * operand looped 2^32 times (forever: i <= n is always true). */
	assert_int_equal(nx_irqdev_factorial(0x80000000u), 0);
	assert_int_equal(nx_irqdev_factorial(0xffffffffu), 0);
	alarm(0);
}

static void test_raise_msi_signals_every_time(void **state)
{
	struct fx *f = *state;

	f->r.mode = NX_IRQDEV_MODE_MSI;
	assert_false(nx_irqdev_raise(&f->r, 1, f->msi));
	assert_false(nx_irqdev_raise(&f->r, 1, f->msi));	/* edu: msi_notify per raise */
	assert_int_equal(take(f->msi), 2);
	assert_int_equal(take(f->trig), 0);
	assert_int_equal(f->r.irq_status, 1);
	assert_int_equal(f->r.msi_raised, 2);
}

static void test_raise_intx_level_edges(void **state)
{
	struct fx *f = *state;
	int msi = f->msi;

	f->r.mode = NX_IRQDEV_MODE_INTX;
	assert_true(nx_irqdev_raise(&f->r, 1, msi));	/* level rose: the caller asserts */
	assert_false(nx_irqdev_raise(&f->r, 2, msi));	/* still high: no new edge */
	assert_int_equal(f->r.irq_status, 3);
	assert_int_equal(take(msi), 0);
	/* Ack 1 and 2 through doorbells: the level falls. */
	ring(f->ack[0]);
	ring(f->ack[1]);
	assert_false(nx_irqdev_drain(&f->r, f->raise, f->ack));
	assert_int_equal(f->r.irq_status, 0);
	/* Masked at the host: a new assertion is not an edge... */
	f->r.intx_masked = true;
	assert_false(nx_irqdev_raise(&f->r, 4, msi));
	assert_int_equal(f->r.irq_status, 4);	/* ...but the level is there */
	/* Mode off (INTx disabled): no level at all. */
	f->r.mode = NX_IRQDEV_MODE_NONE;
	f->r.irq_status = 0;
	f->r.intx_masked = false;
	assert_false(nx_irqdev_raise(&f->r, 1, msi));
	assert_int_equal(take(msi), 0);
}

static void test_drain_acks_before_raises(void **state)
{
	struct fx *f = *state;

	/* The guest acked bit 0 of the last interrupt, then raised it again:
	 * both doorbells are pending; the result must be "asserted", and a
	 * new rising edge (the line went low in between). */
	f->r.mode = NX_IRQDEV_MODE_INTX;
	f->r.irq_status = 1;
	ring(f->ack[0]);
	ring(f->raise[0]);
	assert_true(nx_irqdev_drain(&f->r, f->raise, f->ack));
	assert_int_equal(f->r.irq_status, 1);
	/* An ack of one bit while another stays set: no edge. */
	f->r.irq_status = 3;
	ring(f->ack[0]);
	ring(f->raise[0]);
	assert_false(nx_irqdev_drain(&f->r, f->raise, f->ack));
	assert_int_equal(f->r.irq_status, 3);
	/* Raise bit 3 from nothing: drain reports the rising level. */
	f->r.irq_status = 0;
	ring(f->raise[3]);
	assert_true(nx_irqdev_drain(&f->r, f->raise, f->ack));
	assert_int_equal(f->r.irq_status, 8);
	/* Nothing pending: nothing changes. */
	assert_false(nx_irqdev_drain(&f->r, f->raise, f->ack));
	assert_int_equal(f->r.irq_status, 8);
}

/*
 * poll() looks at its fds one by one (linked with -Wl,--wrap=poll,
 * tests/tests.mk). An armed call plays the guest storing in the middle of
 * that scan: the first half of the fds is looked at, the guest writes ack
 * bit 0 and then raise bit 0, the second half is looked at.
 */
static struct { int ack, raise; bool armed; } mid_scan = { -1, -1, false };
int __real_poll(struct pollfd *fds, nfds_t n, int timeout);
int __wrap_poll(struct pollfd *fds, nfds_t n, int timeout)
{
	int ready = 0;

	if (!mid_scan.armed)
		return __real_poll(fds, n, timeout);
	mid_scan.armed = false;
	for (nfds_t i = 0; i < n; i++) {
		if (i == n / 2) {
			ring(mid_scan.ack);
			ring(mid_scan.raise);
		}
		ready += __real_poll(&fds[i], 1, 0);
	}
	return ready;
}

static void test_drain_raise_after_unseen_ack(void **state)
{
	struct fx *f = *state;

	/* Interrupt k is in service (bit 0 up); while a drain scans, the
	 * guest's handler acks bit 0 and the guest raises bit 0 again. Whatever
	 * this drain sees, the next one (the EOI's) must leave bit 0 up: the
	 * raise came last. Taking a raise without the ack before it loses
	 * interrupt k+1 for good when the ack is applied later. */
	f->r.mode = NX_IRQDEV_MODE_INTX;
	f->r.irq_status = 1;
	mid_scan.ack = f->ack[0];
	mid_scan.raise = f->raise[0];
	mid_scan.armed = true;
	nx_irqdev_drain(&f->r, f->raise, f->ack);
	assert_false(mid_scan.armed);
	nx_irqdev_drain(&f->r, f->raise, f->ack);
	assert_int_equal(f->r.irq_status, 1);
	assert_false(nx_irqdev_drain(&f->r, f->raise, f->ack));
	assert_int_equal(f->r.irq_status, 1);
}

static void test_parse_wait(void **state)
{
	enum nx_devd_wait w = NX_WAIT_BLOCK;

	assert_int_equal(nx_devd_parse_wait("slot=3 wait=poll", &w), 0);
	assert_int_equal(w, NX_WAIT_POLL);
	assert_int_equal(nx_devd_parse_wait("wait=adaptive", &w), 0);
	assert_int_equal(w, NX_WAIT_ADAPTIVE);
	assert_int_equal(nx_devd_parse_wait("wait=block msi=on", &w), 0);
	assert_int_equal(w, NX_WAIT_BLOCK);
	assert_int_equal(nx_devd_parse_wait("wait=spin", &w), -1);
	assert_int_equal(nx_devd_parse_wait("wait=polling", &w), -1);
	assert_int_equal(nx_devd_parse_wait("", &w), 0);
	assert_int_equal(w, NX_WAIT_BLOCK);
}

/* ---- message primitives: lengths and fds ------------------------------------ */
static void test_recv_rejects_and_closes(void **state)
{
	int sv[2], fds[40], got[NX_DEVD_MAX_FDS], before;
	struct nx_devd_hdr h = { .type = NX_DEVD_MSG_DONE, .size = 64, .nfds = 0,
				 .version = NX_DEVD_VERSION };
	struct nx_devd_done d;
	char big[1024] = { 0 };

	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	for (int i = 0; i < 40; i++)
		fds[i] = efd();
	before = open_fds();

	/* 40 fds where at most NX_DEVD_MAX_FDS are taken: refused, and every
	 * one of them closed again (they used to stay open in the receiver). */
	{
		char buf[CMSG_SPACE(sizeof(int) * 40)];
		struct iovec iov = { &h, sizeof(h) };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = buf,
				    .msg_controllen = sizeof(buf) };
		struct cmsghdr *c = CMSG_FIRSTHDR(&m);

		h.size = 0;
		h.nfds = 40;
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * 40);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * 40);
		assert_int_equal(sendmsg(sv[1], &m, 0), sizeof(h));
		assert_int_equal(nx_devd_recv(sv[0], &h, &d, sizeof(d), got, NX_DEVD_MAX_FDS,
					      MSG_DONTWAIT), -1);
		assert_int_equal(open_fds(), before);
	}
	/* A header that claims more than came, one that claims less, a message
	 * longer than any, a wrong version: each refused. */
	h = (struct nx_devd_hdr){ NX_DEVD_MSG_DONE, sizeof(d) + 8, 0, NX_DEVD_VERSION };
	memcpy(big, &h, sizeof(h));
	assert_int_equal(send(sv[1], big, sizeof(h) + sizeof(d), 0), (ssize_t)(sizeof(h) + sizeof(d)));
	assert_int_equal(nx_devd_recv(sv[0], &h, &d, sizeof(d), NULL, 0, MSG_DONTWAIT), -1);
	h = (struct nx_devd_hdr){ NX_DEVD_MSG_DONE, 4, 0, NX_DEVD_VERSION };
	memcpy(big, &h, sizeof(h));
	assert_int_equal(send(sv[1], big, sizeof(h) + sizeof(d), 0), (ssize_t)(sizeof(h) + sizeof(d)));
	assert_int_equal(nx_devd_recv(sv[0], &h, &d, sizeof(d), NULL, 0, MSG_DONTWAIT), -1);
	h = (struct nx_devd_hdr){ NX_DEVD_MSG_DONE, sizeof(big) - sizeof(h), 0, NX_DEVD_VERSION };
	memcpy(big, &h, sizeof(h));
	assert_int_equal(send(sv[1], big, sizeof(big), 0), (ssize_t)sizeof(big));
	assert_int_equal(nx_devd_recv(sv[0], &h, &d, sizeof(d), NULL, 0, MSG_DONTWAIT), -1);
	h = (struct nx_devd_hdr){ NX_DEVD_MSG_DONE, sizeof(d), 0, 1 };
	memcpy(big, &h, sizeof(h));
	assert_int_equal(send(sv[1], big, sizeof(h) + sizeof(d), 0), (ssize_t)(sizeof(h) + sizeof(d)));
	assert_int_equal(nx_devd_recv(sv[0], &h, &d, sizeof(d), NULL, 0, MSG_DONTWAIT), -1);
	/* A good one still passes; nothing queued after it: EAGAIN. */
	d = (struct nx_devd_done){ .seq = 7, .value = 120 };
	assert_int_equal(nx_devd_send(sv[1], NX_DEVD_MSG_DONE, &d, sizeof(d), NULL, 0, 0), 0);
	memset(&d, 0, sizeof(d));
	assert_int_equal(nx_devd_recv(sv[0], &h, &d, sizeof(d), NULL, 0, MSG_DONTWAIT), 0);
	assert_int_equal(d.seq, 7);
	assert_int_equal(d.value, 120);
	assert_int_equal(nx_devd_recv(sv[0], &h, &d, sizeof(d), NULL, 0, MSG_DONTWAIT), -1);
	assert_int_equal(errno, EAGAIN);
	close(sv[1]);
	assert_int_equal(nx_devd_recv(sv[0], &h, &d, sizeof(d), NULL, 0, 0), -2);
	close(sv[0]);
	for (int i = 0; i < 40; i++)
		close(fds[i]);
}

/* ---- the backend over the protocol ------------------------------------------ */
static void *serve(void *a)
{
	struct fx *f = a;
	struct nx_devd_opts o = { .wait = NX_WAIT_BLOCK };

	f->serve_rc = nx_devd_serve(f->sv[1], &o);
	close(f->sv[1]);
	return NULL;
}

/* nexit's counter page: a sealed memfd, mapped here too. */
static int counters_fd(struct nx_devd_counters **c)
{
	int fd = memfd_create("t-counters", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, NX_DEVD_COUNTERS_SIZE), 0);
	assert_int_equal(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW), 0);
	*c = mmap(NULL, NX_DEVD_COUNTERS_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	assert_true(*c != MAP_FAILED);
	return fd;
}

static void start_backend(struct fx *f, const char *type, const int *fds, unsigned nfds)
{
	struct nx_devd_setup s = { 0 };

	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, f->sv), 0);
	assert_int_equal(pthread_create(&f->thr, NULL, serve, f), 0);
	snprintf(s.type, sizeof(s.type), "%s", type);
	snprintf(s.name, sizeof(s.name), "t0");
	snprintf(s.opts, sizeof(s.opts), "wait=block");
	assert_int_equal(nx_devd_send(f->sv[0], NX_DEVD_MSG_SETUP, &s, sizeof(s), fds, nfds, 0), 0);
}

static void work(struct fx *f, uint32_t seq, uint32_t n, bool msi, struct nx_devd_done *d)
{
	struct nx_devd_work w = { .seq = seq, .n = n, .raise_msi = msi };
	struct nx_devd_hdr h;

	assert_int_equal(nx_devd_send(f->sv[0], NX_DEVD_MSG_WORK, &w, sizeof(w), NULL, 0, 0), 0);
	assert_true(wait_readable(f->sv[0], 5000));
	assert_int_equal(nx_devd_recv(f->sv[0], &h, d, sizeof(*d), NULL, 0, 0), 0);
	assert_int_equal(h.type, NX_DEVD_MSG_DONE);
	assert_int_equal(d->seq, seq);
}

static void test_backend_handshake_and_factorial(void **state)
{
	struct fx *f = *state;
	struct nx_devd_hdr h;
	struct nx_devd_ready r;
	struct nx_devd_done d;
	struct nx_devd_counters *c;
	int fds[2] = { f->msi, counters_fd(&c) };

	start_backend(f, "irqdev", fds, 2);
	assert_true(wait_readable(f->sv[0], 5000));
	assert_int_equal(nx_devd_recv(f->sv[0], &h, &r, sizeof(r), NULL, 0, 0), 0);
	assert_int_equal(h.type, NX_DEVD_MSG_READY);
	assert_int_equal(r.status, 0);
	assert_int_equal(r.pid, getpid());

	/* "Raise when done" in MSI mode: DONE, then the MSI irqfd. */
	work(f, 1, 6, true, &d);
	assert_int_equal(d.value, 720);
	assert_int_equal(d.raised, 1);
	assert_true(wait_readable(f->msi, 5000));
	assert_int_equal(take(f->msi), 1);
	/* ...counted on nexit's counter page (the storm guard's source). */
	assert_int_equal(atomic_load(&c->msi_raised), 1);
	/* Not asked to raise: no interrupt. */
	work(f, 2, 4, false, &d);
	assert_int_equal(d.value, 24);
	assert_int_equal(d.raised, 0);
	assert_false(wait_readable(f->msi, 50));
	/* The largest operand is answered at once, like any other. */
	work(f, 3, 0xffffffffu, false, &d);
	assert_int_equal(d.value, 0);
	assert_int_equal(atomic_load(&c->msi_raised), 1);
	close(fds[1]);
	munmap(c, NX_DEVD_COUNTERS_SIZE);
}

static void test_backend_refuses_bad_setup(void **state)
{
	struct fx *f = *state;
	struct nx_devd_hdr h;
	struct nx_devd_ready r;
	struct nx_devd_counters *c;
	int fds[2] = { f->msi, counters_fd(&c) };

	start_backend(f, "virtio-net", fds, 2);
	close(fds[1]);
	munmap(c, NX_DEVD_COUNTERS_SIZE);
	assert_true(wait_readable(f->sv[0], 5000));
	assert_int_equal(nx_devd_recv(f->sv[0], &h, &r, sizeof(r), NULL, 0, 0), 0);
	assert_int_equal(h.type, NX_DEVD_MSG_READY);
	assert_int_not_equal(r.status, 0);
	assert_non_null(strstr(r.msg, "unknown device type"));
	pthread_join(f->thr, NULL);
	assert_int_equal(f->serve_rc, NX_EXIT_ERROR);
	close(f->sv[0]);
	f->sv[0] = -1;
}

static void test_backend_wrong_fd_count(void **state)
{
	struct fx *f = *state;
	struct nx_devd_hdr h;
	struct nx_devd_ready r;
	int fds[3] = { f->msi, f->trig, f->raise[0] };

	start_backend(f, "irqdev", fds, 3);
	assert_true(wait_readable(f->sv[0], 5000));
	assert_int_equal(nx_devd_recv(f->sv[0], &h, &r, sizeof(r), NULL, 0, 0), 0);
	assert_int_not_equal(r.status, 0);
	pthread_join(f->thr, NULL);
	assert_int_equal(f->serve_rc, NX_EXIT_ERROR);
	close(f->sv[0]);
	f->sv[0] = -1;
}

/* ---- INTx: one way to assert the line ---------------------------------------- */
/*
 * A controller on the real gate (fallback/gate.c) whose lock is
 * error-checking, as the fallback's is plain: a source op that re-entered
 * the controller (set_line from mask, unmask or is_asserted, which the gate
 * calls with the lock held) would get EDEADLK and be counted. It takes
 * assertions only through set_line: a source that also brought a trigger
 * eventfd (a second way in, nobody watches it here) is counted too.
 */
struct ctl {
	pthread_mutex_t lock;
	struct nx_gate gate;
	_Atomic int delivered, reentries, trigger_fds;
};

static bool ctl_lock(struct ctl *c)
{
	int r = pthread_mutex_lock(&c->lock);

	if (r == EDEADLK)
		c->reentries++;
	return r == 0;
}

static bool ctl_deliver(void *op, struct nx_gate_line *l)
{
	((struct ctl *)op)->delivered++;
	return true;
}

static void ctl_set_line(void *op, unsigned gsi, bool level)
{
	struct ctl *c = op;

	if (!ctl_lock(c))
		return;
	nx_gate_set_line(&c->gate, gsi, level, nx_now_ns());
	pthread_mutex_unlock(&c->lock);
}

static int ctl_attach(void *op, unsigned gsi, struct nx_irq_source *src)
{
	struct ctl *c = op;
	int r = -1;

	if (src->trigger_fd >= 0)
		c->trigger_fds++;
	if (ctl_lock(c)) {
		r = nx_gate_attach(&c->gate, gsi, src, nx_now_ns());
		pthread_mutex_unlock(&c->lock);
	}
	return r;
}

static void ctl_eoi(struct ctl *c, unsigned gsi)
{
	if (ctl_lock(c)) {
		nx_gate_line_eoi(&c->gate, gsi, nx_now_ns());
		pthread_mutex_unlock(&c->lock);
	}
}

static void *listen_and_serve(void *path)
{
	struct nx_devd_opts o = { .wait = NX_WAIT_BLOCK };
	int s = nx_unix_listen(path, SOCK_SEQPACKET, 1), c = s >= 0 ? accept(s, NULL, NULL) : -1;

	if (s >= 0)
		close(s);
	if (c >= 0)
		nx_devd_serve(c, &o);
	return NULL;
}

static uint32_t bar_rw(struct nx_vm *vm, uint64_t addr, uint32_t v, bool w)
{
	static struct nx_vcpu vcpu;	/* an exit: a vCPU took it (NULL: queued) */

	nx_bus_access(&vm->mmio, addr, (uint8_t *)&v, 4, w, &vcpu);
	return v;
}

/* What KVM does with a write to a coalesced zone (virt/kvm/coalesced_mmio.c):
 * append it to the ring page it shares with us. */
static void queue_write(struct nx_bus *b, uint64_t gpa, uint32_t v)
{
	struct kvm_coalesced_mmio *e = &b->ring->coalesced_mmio[b->ring->last];

	*e = (struct kvm_coalesced_mmio){ .phys_addr = gpa, .len = 4 };
	memcpy(e->data, &v, 4);
	b->ring->last = (b->ring->last + 1) % b->ring_max;
}

static void fake_ring(struct nx_bus *b)
{
	b->ring = calloc(1, 4096);
	b->ring_max = (4096 - sizeof(*b->ring)) / sizeof(struct kvm_coalesced_mmio);
}

static void counted(void *op, uint64_t off, uint8_t *data, uint32_t len, bool w,
		    struct nx_vcpu *vcpu)
{
	uint32_t *next = op, v;

	memcpy(&v, data, 4);
	assert_null(vcpu);		/* queued, not an exit */
	assert_true(w && len == 4 && off == 4);
	assert_int_equal(v, *next);	/* in the order they were queued */
	(*next)++;
}

/* nx_bus_flush hands every queued write over once, in order, across the
 * end of the ring page; an empty ring costs nothing. */
static void test_flush_in_order(void **state)
{
	struct nx_bus b;
	uint32_t next = 0, v = 0;

	nx_bus_init(&b);
	fake_ring(&b);
	assert_int_equal(nx_bus_register(&b, 0x1000, 8, counted, &next, "counted"), 0);
	nx_bus_flush(&b);
	for (int round = 0; round < 5; round++) {
		for (uint32_t i = 0; i < b.ring_max / 2; i++)
			queue_write(&b, 0x1004, v++);
		nx_bus_flush(&b);
		assert_int_equal(next, v);
		assert_int_equal(b.ring->first, b.ring->last);
	}
	free(b.ring);
}

static void wait_delivered(struct ctl *c, int n)
{
	for (int i = 0; i < 400 && c->delivered < n; i++)
		usleep(5000);
	assert_int_equal(c->delivered, n);
}

static void test_intx_one_way(void **state)
{
	static struct nx_config cfg;
	static struct ctl c;
	static char path[64];
	struct nx_vm *vm = calloc(1, sizeof(*vm));
	struct nx_pt *pt = calloc(1, sizeof(*pt));
	struct nx_device_cfg *dc = &cfg.devices[0];
	struct nx_gate_ops ops = { .opaque = &c, .deliver = ctl_deliver };
	pthread_mutexattr_t ma;
	struct nx_pci_dev *p;
	void *d;
	pthread_t t;
	uint64_t bar;
	unsigned gsi;

	pthread_mutexattr_init(&ma);
	pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_ERRORCHECK);
	pthread_mutex_init(&c.lock, &ma);
	nx_gate_init(&c.gate, NX_IOAPIC_PINS, &ops);
	/* A VM without KVM (ioeventfds and routes fail and are reported):
	 * every register access exits to irqdev_mmio, as without doorbells. */
	nx_config_defaults(&cfg);
	vm->cfg = &cfg;
	vm->vm_fd = -1;
	nx_bus_init(&vm->pio);
	nx_bus_init(&vm->mmio);
	fake_ring(&vm->mmio);		/* KVM's queue of coalesced writes */
	nx_routes_init(vm);
	vm->irq = (struct nx_irq_ops){ .opaque = &c, .set_line = ctl_set_line,
				       .attach_source = ctl_attach };
	snprintf(path, sizeof(path), "/tmp/nexit-test-irqdev-%d.sock", getpid());
	unlink(path);
	assert_int_equal(pthread_create(&t, NULL, listen_and_serve, path), 0);
	snprintf(dc->name, sizeof(dc->name), "t0");
	snprintf(dc->type, sizeof(dc->type), "irqdev");
	snprintf(dc->backend, sizeof(dc->backend), "%s", path);
	snprintf(dc->opts, sizeof(dc->opts), "msi=off");
	pt->vm = vm;
	pthread_mutex_init(&pt->lock, NULL);
	assert_int_equal(nx_pci_init(vm), 0);
	d = nx_irqdev_type.create(pt, dc);
	unlink(path);
	assert_non_null(d);
	p = nx_pci_slot(vm, 1);
	assert_non_null(p);
	gsi = nx_pci_intx_line(p);
	bar = p->bar[0].addr;
	/* Memory decode on, INTx enabled; the guest unmasks a level RTE. */
	nx_pci_cfg_access(vm, 1, 0, 0x04, (uint8_t[]){ 0x06, 0 }, 2, true);
	assert_true(ctl_lock(&c));
	nx_gate_rte(&c.gate, gsi, false, true, 0x40, nx_now_ns());
	pthread_mutex_unlock(&c.lock);

	/* 1. A raise the vCPU's exit takes: delivered from that thread. */
	bar_rw(vm, bar + NX_IRQDEV_REG_RAISE, 1, true);
	assert_int_equal(c.delivered, 1);
	assert_true(c.gate.lines[gsi].host_masked);	/* rule 1: masked before */
	bar_rw(vm, bar + NX_IRQDEV_REG_ACK, 1, true);
	ctl_eoi(&c, gsi);				/* level gone: unmasked */
	assert_false(c.gate.lines[gsi].host_masked);
	/* The same with the ack KVM queued (no exit): the EOI reads the
	 * level only after handing the queue over. */
	bar_rw(vm, bar + NX_IRQDEV_REG_RAISE, 1, true);
	assert_int_equal(c.delivered, 2);
	queue_write(&vm->mmio, bar + NX_IRQDEV_REG_ACK, 1);
	ctl_eoi(&c, gsi);
	assert_false(c.gate.lines[gsi].host_masked);
	assert_int_equal(c.delivered, 2);		/* not delivered again */

	/* 2. A factorial with "raise when done": the thread that takes the
	 * backend's DONE (the event thread) asserts through set_line too. */
	bar_rw(vm, bar + NX_IRQDEV_REG_STATUS, NX_IRQDEV_ST_IRQFACT, true);
	bar_rw(vm, bar + NX_IRQDEV_REG_FACT, 5, true);
	wait_delivered(&c, 3);
	assert_int_equal(bar_rw(vm, bar + NX_IRQDEV_REG_FACT, 0, false), 120);
	bar_rw(vm, bar + NX_IRQDEV_REG_ACK, NX_IRQDEV_IRQ_FACT, true);
	ctl_eoi(&c, gsi);

	/* 3. A level raised while INTx was disabled rises when the guest
	 * enables INTx (a config exit, bus lock held). */
	nx_pci_cfg_access(vm, 1, 0, 0x04, (uint8_t[]){ 0x06, 0x04 }, 2, true);
	bar_rw(vm, bar + NX_IRQDEV_REG_RAISE, 2, true);
	assert_int_equal(c.delivered, 3);
	nx_pci_cfg_access(vm, 1, 0, 0x04, (uint8_t[]){ 0x06, 0 }, 2, true);
	assert_int_equal(c.delivered, 4);
	bar_rw(vm, bar + NX_IRQDEV_REG_ACK, 2, true);
	ctl_eoi(&c, gsi);

	assert_int_equal(c.reentries, 0);
	assert_int_equal(c.trigger_fds, 0);
	assert_int_equal(c.gate.lines[gsi].delivered, 4);
	nx_irqdev_type.stop(d);				/* the backend hangs up */
	pthread_join(t, NULL);
}

/* ---- route.c on a real KVM VM ---------------------------------------------- */
static void test_msivec_follows_guest(void **state)
{
	struct nx_config *cfg = calloc(1, sizeof(*cfg));
	struct nx_vm *vm = calloc(1, sizeof(*vm));
	struct nx_msi_vec v;
	struct nx_msi_msg m = { .addr = 0xfee00000, .data = 0x41, .masked = false };
	uint64_t one = 1;

	if (access("/dev/kvm", R_OK | W_OK) < 0) {
		free(cfg);
		free(vm);
		skip();
	}
	nx_config_defaults(cfg);
	cfg->mem_bytes = 2 << 20;
	assert_int_equal(nx_vm_create(vm, cfg), 0);
	assert_int_equal(nx_msi_vec_init(vm, &v, -1), 0);
	assert_true(v.gsi >= NX_IOAPIC_PINS);		/* split irqchip: above the pins */
	assert_int_equal(v.state, NX_MSI_VEC_DISABLED);
	assert_int_equal(vm->routes.r[v.gsi].type, 0);

	/* Enabled, unmasked: the guest's message is the route; irqfd on. */
	assert_int_equal(nx_msi_vec_update(&v, true, &m), 0);
	assert_int_equal(v.state, NX_MSI_VEC_ACTIVE);
	assert_int_equal(vm->routes.r[v.gsi].type, KVM_IRQ_ROUTING_MSI);
	assert_int_equal(vm->routes.r[v.gsi].addr, 0xfee00000);
	assert_int_equal(vm->routes.r[v.gsi].data, 0x41);
	assert_int_equal(v.route_updates, 1);
	/* KVM's irqfd owns the eventfd now: it consumes every signal. */
	assert_int_equal(write(v.efd, &one, sizeof(one)), sizeof(one));
	assert_int_equal(nx_eventfd_count(v.efd), 0);
	/* The same message again is no route update; a new destination is. */
	assert_int_equal(nx_msi_vec_update(&v, true, &m), 0);
	assert_int_equal(v.route_updates, 1);
	m.addr = 0xfee01000;				/* APIC id 1 */
	assert_int_equal(nx_msi_vec_update(&v, true, &m), 0);
	assert_int_equal(v.route_updates, 2);
	assert_int_equal(nx_msi_dest(vm->routes.r[v.gsi].addr), 1);

	/* Masked: irqfd off, route kept; a signal now is pending. */
	m.masked = true;
	assert_int_equal(nx_msi_vec_update(&v, true, &m), 0);
	assert_int_equal(v.state, NX_MSI_VEC_MASKED);
	assert_int_equal(v.masks, 1);
	assert_int_equal(vm->routes.r[v.gsi].type, KVM_IRQ_ROUTING_MSI);
	assert_false(nx_msi_vec_pending(&v));
	assert_int_equal(write(v.efd, &one, sizeof(one)), sizeof(one));
	assert_true(nx_msi_vec_pending(&v));
	assert_int_equal(nx_eventfd_count(v.efd), 1);
	/* Unmasked: irqfd back (KVM injects the pending signal at assign). */
	m.masked = false;
	assert_int_equal(nx_msi_vec_update(&v, true, &m), 0);
	assert_int_equal(v.state, NX_MSI_VEC_ACTIVE);
	assert_false(nx_msi_vec_pending(&v));

	/* Disabled: route cleared. */
	assert_int_equal(nx_msi_vec_update(&v, false, &m), 0);
	assert_int_equal(v.state, NX_MSI_VEC_DISABLED);
	assert_int_equal(vm->routes.r[v.gsi].type, 0);
	/* Source gone: for good, whatever the guest does next. */
	assert_int_equal(nx_msi_vec_update(&v, true, &m), 0);
	nx_msi_vec_gone(&v);
	assert_int_equal(v.state, NX_MSI_VEC_GONE);
	assert_int_equal(vm->routes.r[v.gsi].type, 0);
	assert_int_equal(nx_msi_vec_update(&v, true, &m), 0);
	assert_int_equal(v.state, NX_MSI_VEC_GONE);
	assert_int_equal(vm->routes.r[v.gsi].type, 0);
	assert_string_equal(nx_msi_vec_state_name(v.state), "source-gone");
	close(v.efd);
	nx_vm_destroy(vm);
	free(vm);
	free(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_factorial),
		cmocka_unit_test_setup_teardown(test_raise_msi_signals_every_time, setup, teardown),
		cmocka_unit_test_setup_teardown(test_raise_intx_level_edges, setup, teardown),
		cmocka_unit_test_setup_teardown(test_drain_acks_before_raises, setup, teardown),
		cmocka_unit_test_setup_teardown(test_drain_raise_after_unseen_ack, setup, teardown),
		cmocka_unit_test(test_parse_wait),
		cmocka_unit_test(test_recv_rejects_and_closes),
		cmocka_unit_test_setup_teardown(test_backend_handshake_and_factorial, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backend_refuses_bad_setup, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backend_wrong_fd_count, setup, teardown),
		cmocka_unit_test(test_flush_in_order),
		cmocka_unit_test(test_intx_one_way),
		cmocka_unit_test(test_msivec_follows_guest),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

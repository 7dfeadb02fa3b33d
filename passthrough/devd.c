/* SPDX-License-Identifier: MIT */
/*
 * devd.c - the out-of-process device backend (nexit-devd): receives the
 * device's MSI irqfd from nexit over a unix socket (SETUP, SCM_RIGHTS),
 * answers READY, then does the device's work until nexit hangs up: each
 * WORK message is a factorial to compute, answered with DONE and, when
 * asked, an MSI raised by writing the vector's irqfd eventfd (KVM injects;
 * no VMM on the path). It is the stand-in for an assigned device: it never
 * sees a register of the device nor any of nexit's memory.
 *
 * Wait strategies (wait=): block sleeps in epoll_wait; poll spins on
 * epoll_wait(0) on its own CPU (no cross-CPU wake-up, ~20 us saved);
 * adaptive spins for spin_us after each event, then blocks.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include "passthrough/passthrough.h"
#include "core/sandbox.h"

struct devd {
	int msi;
	struct nx_devd_counters *counters;	/* nexit's page: raises counted there */
	int sock, ep;
	uint64_t done;
};

static int refuse(int sock, const char *msg)
{
	struct nx_devd_ready r = { .status = -1, .pid = getpid() };

	snprintf(r.msg, sizeof(r.msg), "%s", msg);
	nx_devd_send(sock, NX_DEVD_MSG_READY, &r, sizeof(r), NULL, 0, 0);
	return nx_error("nexit-devd: %s", msg);
}

static int setup(struct devd *b, const struct nx_devd_opts *o, enum nx_devd_wait *wait)
{
	struct nx_devd_setup s;
	struct nx_devd_ready r = { .status = 0, .pid = getpid() };
	struct nx_devd_hdr h;
	int fds[NX_DEVD_MAX_FDS];
	int n = nx_devd_recv(b->sock, &h, &s, sizeof(s), fds, NX_DEVD_MAX_FDS, 0);

	if (n == -2)
		return nx_error("nexit-devd: nexit hung up before SETUP");
	if (n != NX_DEVD_SETUP_FDS || h.type != NX_DEVD_MSG_SETUP || h.size != sizeof(s)) {
		for (int i = 0; i < n; i++)
			close(fds[i]);
		return refuse(b->sock, n >= 0 && h.type == NX_DEVD_MSG_SETUP && h.size == sizeof(s) ?
			      "SETUP carries the wrong number of fds" :
			      "malformed SETUP message (protocol version 3 expected)");
	}
	b->msi = fds[NX_DEVD_FD_MSI];
	b->counters = mmap(NULL, NX_DEVD_COUNTERS_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
			   fds[NX_DEVD_FD_COUNTERS], 0);
	close(fds[NX_DEVD_FD_COUNTERS]);
	if (b->counters == MAP_FAILED) {
		b->counters = NULL;
		return refuse(b->sock, "the counter page cannot be mapped");
	}
	s.type[sizeof(s.type) - 1] = s.name[sizeof(s.name) - 1] = s.opts[sizeof(s.opts) - 1] = 0;
	if (strcmp(s.type, "irqdev"))
		return refuse(b->sock, "unknown device type (this backend serves irqdev)");
	if (!o->wait_forced && nx_devd_parse_wait(s.opts, wait) < 0)
		return refuse(b->sock, "wait must be block, poll or adaptive");
	if (nx_devd_send(b->sock, NX_DEVD_MSG_READY, &r, sizeof(r), NULL, 0, 0) < 0)
		return nx_error("nexit-devd: cannot answer READY: %s", strerror(errno));
	if (o->verbose)
		nx_info("nexit-devd: serving irqdev %s, wait=%s", s.name,
			*wait == NX_WAIT_POLL ? "poll" : *wait == NX_WAIT_ADAPTIVE ? "adaptive" : "block");
	return 0;
}

/* One message from nexit: 0 to go on, 1 when nexit hung up, -1 on a
 * protocol error (nexit is trusted; a bad message means a bug: stop). */
static int serve_one(struct devd *b)
{
	struct nx_devd_hdr h;
	struct nx_devd_work w;
	struct nx_devd_done d = { 0 };
	int n = nx_devd_recv(b->sock, &h, &w, sizeof(w), NULL, 0, MSG_DONTWAIT);
	uint64_t one = 1;

	if (n == -2)
		return 1;
	if (n < 0 && errno == EAGAIN)
		return 0;
	if (n < 0 || h.type != NX_DEVD_MSG_WORK || h.size != sizeof(w))
		return nx_error("nexit-devd: unexpected message from nexit (type %u, %u bytes)",
				n < 0 ? 0 : h.type, n < 0 ? 0 : h.size);
	d.seq = w.seq;
	d.value = nx_irqdev_factorial(w.n);
	/* DONE before the interrupt: the guest's handler reads the result
	 * back, and nexit takes DONE off the socket before it answers. */
	d.raised = w.raise_msi != 0;
	if (nx_devd_send(b->sock, NX_DEVD_MSG_DONE, &d, sizeof(d), NULL, 0, 0) < 0)
		return errno == EPIPE || errno == ECONNRESET ? 1 :
		       nx_error("nexit-devd: cannot answer DONE: %s", strerror(errno));
	if (w.raise_msi) {
		/* Counted first: nexit's storm guard never sees fewer than came. */
		atomic_fetch_add_explicit(&b->counters->msi_raised, 1, memory_order_relaxed);
		if (write(b->msi, &one, sizeof(one)) != sizeof(one))
			nx_warn("nexit-devd: cannot raise the MSI: %s", strerror(errno));
	}
	b->done++;
	return 0;
}

static int serve(struct devd *b, const struct nx_devd_opts *o, enum nx_devd_wait wait)
{
	uint64_t last = nx_now_ns(), spin = (uint64_t)(o->spin_us ? o->spin_us : 200) * 1000;
	struct epoll_event ev = { .events = EPOLLRDHUP | EPOLLIN, .data.fd = b->sock };

	b->ep = epoll_create1(EPOLL_CLOEXEC);
	if (b->ep < 0 || epoll_ctl(b->ep, EPOLL_CTL_ADD, b->sock, &ev) < 0)
		return nx_error("nexit-devd: epoll: %s", strerror(errno)), NX_EXIT_ERROR;
	/* Set-up done: from here on the backend's allow-list (core/sandbox.c). */
	if (nx_sandbox_thread(NX_SANDBOX_KIND_DEVD, "nexit-devd") < 0)
		return NX_EXIT_ERROR;
	for (;;) {
		int timeout = -1, n, r;

		if (wait == NX_WAIT_POLL ||
		    (wait == NX_WAIT_ADAPTIVE && nx_now_ns() - last < spin))
			timeout = 0;
		n = epoll_wait(b->ep, &ev, 1, timeout);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return nx_error("nexit-devd: epoll_wait: %s", strerror(errno)), NX_EXIT_ERROR;
		if (!n)
			continue;
		/* Messages first: a DONE-worthy WORK may sit before the hang-up. */
		r = (ev.events & EPOLLIN) ? serve_one(b) : 1;
		if (r == 0 && (ev.events & (EPOLLHUP | EPOLLERR)) && !(ev.events & EPOLLIN))
			r = 1;
		if (r < 0)
			return NX_EXIT_ERROR;
		if (r > 0) {
			if (o->verbose)
				nx_info("nexit-devd: nexit hung up after %llu factorials, exiting",
					(unsigned long long)b->done);
			return 0;
		}
		last = nx_now_ns();
	}
}

int nx_devd_serve(int sock, const struct nx_devd_opts *o)
{
	struct devd b = { .sock = sock, .msi = -1, .ep = -1 };
	enum nx_devd_wait wait = o->wait;
	int r = setup(&b, o, &wait) < 0 ? NX_EXIT_ERROR : serve(&b, o, wait);

	/* Everything it was given goes back (the fuzzer serves in-process). */
	if (b.msi >= 0)
		close(b.msi);
	if (b.counters)
		munmap(b.counters, NX_DEVD_COUNTERS_SIZE);
	if (b.ep >= 0)
		close(b.ep);
	return r;
}

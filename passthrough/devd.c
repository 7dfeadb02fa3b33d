/* SPDX-License-Identifier: MIT */
/*
 * devd.c - the out-of-process device backend (nexit-devd): receives its
 * eventfds and the shared register page from nexit over a unix socket
 * (SETUP, SCM_RIGHTS), answers READY, then runs the device until nexit
 * hangs up. It is the stand-in for an assigned device: it raises MSIs by
 * writing the vector's irqfd eventfd (KVM injects; no VMM on the path) and
 * asserts INTx through the level line's trigger eventfd.
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

#define NFDS (NX_DEVD_FD_RAISE0 + 2 * NX_IRQDEV_DOORBELLS)

struct devd {
	struct nx_irqdev_page *page;
	int fds[NFDS];
	int *raise, *ack;
	int sock, ep;
};

static int refuse(int sock, const char *msg)
{
	struct nx_devd_ready r = { .status = -1, .pid = getpid() };

	snprintf(r.msg, sizeof(r.msg), "%s", msg);
	nx_devd_send(sock, NX_DEVD_MSG_READY, &r, sizeof(r), NULL, 0);
	return nx_error("nexit-devd: %s", msg);
}

static int setup(struct devd *b, const struct nx_devd_opts *o, enum nx_devd_wait *wait)
{
	struct nx_devd_setup s;
	struct nx_devd_ready r = { .status = 0, .pid = getpid() };
	struct nx_devd_hdr h;
	int n = nx_devd_recv(b->sock, &h, &s, sizeof(s), b->fds, NFDS);

	if (n == -2)
		return nx_error("nexit-devd: nexit hung up before SETUP");
	if (n < 0 || h.type != NX_DEVD_MSG_SETUP || h.size != sizeof(s))
		return refuse(b->sock, "malformed SETUP message (protocol version 1 expected)");
	s.type[sizeof(s.type) - 1] = s.opts[sizeof(s.opts) - 1] = 0;
	if (strcmp(s.type, "irqdev"))
		return refuse(b->sock, "unknown device type (this backend serves irqdev)");
	if (n != NFDS)
		return refuse(b->sock, "SETUP carries the wrong number of fds");
	b->page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, b->fds[NX_DEVD_FD_PAGE], 0);
	if (b->page == MAP_FAILED || b->page->magic != NX_IRQDEV_PAGE_MAGIC)
		return refuse(b->sock, "register page is not an irqdev page");
	if (!o->wait_forced && nx_devd_parse_wait(s.opts, wait) < 0)
		return refuse(b->sock, "wait must be block, poll or adaptive");
	b->raise = &b->fds[NX_DEVD_FD_RAISE0];
	b->ack = &b->fds[NX_DEVD_FD_RAISE0 + NX_IRQDEV_DOORBELLS];
	if (nx_devd_send(b->sock, NX_DEVD_MSG_READY, &r, sizeof(r), NULL, 0) < 0)
		return nx_error("nexit-devd: cannot answer READY: %s", strerror(errno));
	if (o->verbose)
		nx_info("nexit-devd: serving irqdev %.32s, wait=%s", s.name,
			*wait == NX_WAIT_POLL ? "poll" : *wait == NX_WAIT_ADAPTIVE ? "adaptive" : "block");
	return 0;
}

/* One pass over the device: doorbells, then a factorial to finish. */
static void work(struct devd *b)
{
	struct nx_irqdev_page *p = b->page;
	int msi = b->fds[NX_DEVD_FD_MSI], trig = b->fds[NX_DEVD_FD_TRIGGER];
	uint64_t n;

	nx_irqdev_page_lock(p);
	p->wakeups++;
	if (nx_irqdev_drain(p, b->raise, b->ack) && !p->intx_masked) {
		n = 1;
		if (write(trig, &n, sizeof(n)) == sizeof(n))
			p->intx_raised++;
	}
	if (read(b->fds[NX_DEVD_FD_KICK], &n, sizeof(n)) == sizeof(n) &&
	    (p->status & IRQDEV_ST_COMPUTING)) {
		p->fact = nx_irqdev_factorial(p->fact);
		p->status &= ~IRQDEV_ST_COMPUTING;
		p->facts++;
		/* edu: "raise interrupt when done" (status bit 0x80) raises 0x1. */
		if (p->status & IRQDEV_ST_IRQFACT)
			nx_irqdev_raise(p, IRQDEV_IRQ_FACT, msi, p->intx_masked ? -1 : trig);
	}
	nx_irqdev_page_unlock(p);
}

static int add(int ep, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

int nx_devd_serve(int sock, const struct nx_devd_opts *o)
{
	struct devd b = { .sock = sock };
	enum nx_devd_wait wait = o->wait;
	uint64_t last = nx_now_ns(), spin = (uint64_t)(o->spin_us ? o->spin_us : 200) * 1000;
	struct epoll_event hup = { .events = EPOLLRDHUP | EPOLLIN, .data.fd = sock };

	if (setup(&b, o, &wait) < 0)
		return 1;
	b.ep = epoll_create1(EPOLL_CLOEXEC);
	if (b.ep < 0 || epoll_ctl(b.ep, EPOLL_CTL_ADD, sock, &hup) < 0 ||
	    add(b.ep, b.fds[NX_DEVD_FD_KICK]) < 0)
		return nx_error("nexit-devd: epoll: %s", strerror(errno)), 1;
	/* INTx raise doorbells are nexit's (its event thread asserts the line
	 * into the fallback controller directly); drain() still applies any it
	 * finds, so both orders are correct. */
	for (;;) {
		struct epoll_event ev[8];
		int timeout = -1, n;
		bool any = false;

		if (wait == NX_WAIT_POLL ||
		    (wait == NX_WAIT_ADAPTIVE && nx_now_ns() - last < spin))
			timeout = 0;
		n = epoll_wait(b.ep, ev, 8, timeout);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return nx_error("nexit-devd: epoll_wait: %s", strerror(errno)), 1;
		for (int i = 0; i < n; i++) {
			if (ev[i].data.fd == sock) {
				char c;
				if ((ev[i].events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) ||
				    recv(sock, &c, 1, MSG_DONTWAIT) == 0) {
					if (o->verbose)
						nx_info("nexit-devd: nexit hung up, exiting");
					return 0;
				}
				continue;
			}
			any = true;
		}
		if (any) {
			work(&b);
			last = nx_now_ns();
		}
	}
}

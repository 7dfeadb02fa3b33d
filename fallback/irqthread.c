/* SPDX-License-Identifier: MIT */
/*
 * irqthread.c - the fallback path's one host thread: an epoll loop over the
 * sources' trigger eventfds, KVM's resamplefds (irqchip=kernel) and the
 * storm back-off timerfds. vCPU threads never wait for it; it is what
 * turns an out-of-process assertion into a gate event.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include "fallback/fallback.h"

static void *loop(void *arg)
{
	struct nx_irqthread *t = arg;
	struct epoll_event ev[16];

	if (nx_sandbox_thread(NX_SB_EVENT, "nexit-irq") < 0)
		return NULL;
	for (;;) {
		int n = epoll_wait(t->epfd, ev, 16, -1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			nx_warn("irq thread: epoll_wait: %s", strerror(errno));
			return NULL;
		}
		for (int i = 0; i < n; i++) {
			uint32_t idx = (uint32_t)ev[i].data.u64, gen = ev[i].data.u64 >> 32;
			struct nx_irqthread_ent e;

			if (idx == UINT32_MAX)
				return NULL;	/* stopfd */
			pthread_mutex_lock(&t->lock);
			e = t->ents[idx < NX_IRQTHREAD_MAX ? idx : 0];
			pthread_mutex_unlock(&t->lock);
			if (idx >= NX_IRQTHREAD_MAX || !e.used || e.gen != gen)
				continue;	/* removed since epoll_wait returned */
			e.fn(e.opaque, e.fd, e.tag);
		}
	}
}

int nx_irqthread_start(struct nx_irqthread *t)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = UINT32_MAX };
	sigset_t all, old;
	int r;

	memset(t, 0, sizeof(*t));
	pthread_mutex_init(&t->lock, NULL);
	t->epfd = epoll_create1(EPOLL_CLOEXEC);
	t->stopfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (t->epfd < 0 || t->stopfd < 0 || epoll_ctl(t->epfd, EPOLL_CTL_ADD, t->stopfd, &ev) < 0)
		return nx_error("irq thread: epoll/eventfd: %s", strerror(errno));
	/* Signals belong to the main thread (nx_vm_run waits for them). */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	r = pthread_create(&t->thread, NULL, loop, t);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r)
		return nx_error("irq thread: pthread_create: %s", strerror(r));
	t->running = true;
	return 0;
}

int nx_irqthread_add(struct nx_irqthread *t, int fd, nx_irqthread_fn fn, void *opaque,
		     unsigned tag)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int idx = -1;

	pthread_mutex_lock(&t->lock);
	for (int i = 0; i < NX_IRQTHREAD_MAX; i++) {
		if (!t->ents[i].used) {
			idx = i;
			break;
		}
	}
	if (idx >= 0) {
		struct nx_irqthread_ent *e = &t->ents[idx];

		e->fd = fd;
		e->fn = fn;
		e->opaque = opaque;
		e->tag = tag;
		e->gen++;
		e->used = true;
		ev.data.u64 = (uint64_t)e->gen << 32 | (uint32_t)idx;
	}
	pthread_mutex_unlock(&t->lock);
	if (idx < 0)
		return nx_error("irq thread: more than %d watched fds", NX_IRQTHREAD_MAX);
	if (epoll_ctl(t->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int err = errno;

		pthread_mutex_lock(&t->lock);
		t->ents[idx].used = false;
		pthread_mutex_unlock(&t->lock);
		return nx_error("irq thread: epoll_ctl(ADD fd %d): %s", fd, strerror(err));
	}
	return 0;
}

void nx_irqthread_del(struct nx_irqthread *t, int fd)
{
	pthread_mutex_lock(&t->lock);
	for (int i = 0; i < NX_IRQTHREAD_MAX; i++) {
		if (t->ents[i].used && t->ents[i].fd == fd) {
			t->ents[i].used = false;
			epoll_ctl(t->epfd, EPOLL_CTL_DEL, fd, NULL);	/* fd may be closed already */
		}
	}
	pthread_mutex_unlock(&t->lock);
}

void nx_irqthread_stop(struct nx_irqthread *t)
{
	uint64_t one = 1;

	if (!t->running)
		return;
	if (write(t->stopfd, &one, sizeof(one)) == sizeof(one))
		pthread_join(t->thread, NULL);
	t->running = false;
	close(t->stopfd);
	close(t->epfd);
}

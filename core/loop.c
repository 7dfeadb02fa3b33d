/* SPDX-License-Identifier: MIT */
/*
 * loop.c - the VM's one event thread: an epoll loop whose every fd has a
 * handler (core/loop.h). An epoll event carries the handler's slot and
 * generation, so an event that was already returned for an fd removed
 * since is dropped, and a slot is reused only under a new generation.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include "core/vm.h"
#include "core/sandbox.h"

#define STOP_EVENT UINT64_MAX

void nx_loop_init(struct nx_loop *l)
{
	memset(l, 0, sizeof(*l));
	l->epfd = l->stopfd = -1;
	pthread_mutex_init(&l->lock, NULL);
}

static void *run(void *arg)
{
	struct nx_loop *l = arg;
	struct epoll_event ev[16];

	for (;;) {
		int n = epoll_wait(l->epfd, ev, 16, -1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			nx_warn("event loop: epoll_wait: %s", strerror(errno));
			return NULL;
		}
		for (int i = 0; i < n; i++) {
			uint32_t idx = (uint32_t)ev[i].data.u64, gen = ev[i].data.u64 >> 32;
			struct nx_loop_ent e;

			if (ev[i].data.u64 == STOP_EVENT)
				return NULL;
			if (idx >= NX_LOOP_MAX)
				continue;
			pthread_mutex_lock(&l->lock);
			e = l->ents[idx];
			pthread_mutex_unlock(&l->lock);
			if (e.used && e.gen == gen)
				e.fn(e.opaque, e.fd, ev[i].events, e.tag);
		}
	}
}

/* l->lock held. */
static int start_locked(struct nx_loop *l)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = STOP_EVENT };

	if (l->running)
		return 0;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	l->stopfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (l->epfd < 0 || l->stopfd < 0 || epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->stopfd, &ev) < 0)
		return nx_error("event loop: epoll/eventfd: %s", strerror(errno));
	if (nx_thread_start(&l->thread, run, l, "nexit-loop", NX_SANDBOX_KIND_LOOP) < 0)
		return -1;
	l->running = true;
	return 0;
}

int nx_loop_start(struct nx_loop *l)
{
	int r;

	pthread_mutex_lock(&l->lock);
	r = start_locked(l);
	pthread_mutex_unlock(&l->lock);
	return r;
}

static struct epoll_event event_of(struct nx_loop *l, int idx)
{
	return (struct epoll_event){ .events = l->ents[idx].events,
				     .data.u64 = (uint64_t)l->ents[idx].gen << 32 | (uint32_t)idx };
}

int nx_loop_add(struct nx_loop *l, int fd, uint32_t events, nx_loop_fn fn, void *opaque,
		unsigned tag)
{
	struct epoll_event ev;
	int idx = -1, err = 0;

	pthread_mutex_lock(&l->lock);
	if (start_locked(l) < 0) {
		pthread_mutex_unlock(&l->lock);
		return -1;
	}
	for (int i = 0; i < NX_LOOP_MAX && idx < 0; i++)
		if (!l->ents[i].used)
			idx = i;
	if (idx >= 0) {
		struct nx_loop_ent *e = &l->ents[idx];

		*e = (struct nx_loop_ent){ fd, events, fn, opaque, tag, e->gen + 1, true };
		ev = event_of(l, idx);
		if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
			err = errno;
			e->used = false;
		}
	}
	pthread_mutex_unlock(&l->lock);
	if (idx < 0)
		return nx_error("event loop: more than %d watched fds", NX_LOOP_MAX);
	if (err)
		return nx_error("event loop: epoll_ctl(ADD fd %d): %s", fd, strerror(err));
	return 0;
}

void nx_loop_del(struct nx_loop *l, int fd)
{
	pthread_mutex_lock(&l->lock);
	for (int i = 0; i < NX_LOOP_MAX; i++) {
		if (l->ents[i].used && l->ents[i].fd == fd) {
			l->ents[i].used = false;
			epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);	/* may be paused */
		}
	}
	pthread_mutex_unlock(&l->lock);
}

int nx_loop_pause(struct nx_loop *l, int fd, bool paused)
{
	int r = -1;

	pthread_mutex_lock(&l->lock);
	for (int i = 0; i < NX_LOOP_MAX && r < 0; i++) {
		struct epoll_event ev;

		if (!l->ents[i].used || l->ents[i].fd != fd)
			continue;
		/* The slot and its generation stay; only epoll's interest
		 * changes. ENOENT/EEXIST: already so. */
		ev = event_of(l, i);
		r = epoll_ctl(l->epfd, paused ? EPOLL_CTL_DEL : EPOLL_CTL_ADD, fd, &ev) < 0 &&
		    errno != ENOENT && errno != EEXIST ? -2 : 0;
	}
	pthread_mutex_unlock(&l->lock);
	return r < 0 ? -1 : 0;
}

void nx_loop_stop(struct nx_loop *l)
{
	uint64_t one = 1;

	pthread_mutex_lock(&l->lock);
	if (l->running && write(l->stopfd, &one, sizeof(one)) == sizeof(one)) {
		pthread_mutex_unlock(&l->lock);
		pthread_join(l->thread, NULL);
		pthread_mutex_lock(&l->lock);
	}
	l->running = false;
	if (l->stopfd >= 0)
		close(l->stopfd);
	if (l->epfd >= 0)
		close(l->epfd);
	l->stopfd = l->epfd = -1;
	pthread_mutex_unlock(&l->lock);
}

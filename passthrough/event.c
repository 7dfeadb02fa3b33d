/* SPDX-License-Identifier: MIT */
/*
 * event.c - passthrough's one host thread: an epoll loop over what needs a
 * VMM reaction but is never on an interrupt's path - backend sockets (their
 * hang-up is a backend's death), INTx doorbells of dead devices, and the
 * control socket. The exitless path itself never wakes this thread.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include "passthrough/passthrough.h"

struct thread_start {
	void *(*fn)(void *);
	void *arg;
	char name[16];
};

/* The new thread names itself and loads the event threads' filter before
 * its first line of work. */
static void *trampoline(void *p)
{
	struct thread_start ts = *(struct thread_start *)p;

	free(p);
	if (nx_sandbox_thread(NX_SB_EVENT, ts.name) < 0)
		return NULL;
	return ts.fn(ts.arg);
}

int nx_pt_thread(pthread_t *t, void *(*fn)(void *), void *arg, const char *name)
{
	struct thread_start *ts = malloc(sizeof(*ts));
	sigset_t all, old;
	int r;

	if (!ts)
		return nx_error("out of memory");
	*ts = (struct thread_start){ fn, arg, "" };
	snprintf(ts->name, sizeof(ts->name), "%s", name);
	/* Signals belong to the main thread (nx_vm_run waits for them). */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	r = pthread_create(t, NULL, trampoline, ts);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r) {
		free(ts);
		return nx_error("cannot create thread %s: %s", name, strerror(r));
	}
	return 0;
}

static void *loop(void *arg)
{
	struct nx_pt_loop *l = arg;
	struct epoll_event ev[8];

	for (;;) {
		int n = epoll_wait(l->epfd, ev, 8, -1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			nx_warn("passthrough event thread: epoll_wait: %s", strerror(errno));
			return NULL;
		}
		for (int i = 0; i < n; i++) {
			struct nx_pt_watch *w = ev[i].data.ptr;

			if (w->fn)
				w->fn(w->opaque, w->fd, ev[i].events);
		}
	}
	return NULL;
}

int nx_pt_loop_start(struct nx_pt_loop *l)
{
	if (l->running)
		return 0;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0)
		return nx_error("epoll_create1: %s", strerror(errno));
	if (nx_pt_thread(&l->thread, loop, l, "nexit-pt") < 0)
		return -1;
	l->running = true;
	return 0;
}

int nx_pt_watch(struct nx_pt_loop *l, int fd, uint32_t events, nx_pt_event_fn fn, void *opaque)
{
	struct epoll_event ev = { .events = events };
	struct nx_pt_watch *w;

	if (!l->running && nx_pt_loop_start(l) < 0)
		return -1;
	if (l->nw == NX_PT_MAX_WATCH)
		return nx_error("passthrough: too many watched fds (%d)", NX_PT_MAX_WATCH);
	/* Slots are never reused: the thread may hold a pointer to one. */
	w = &l->w[l->nw++];
	*w = (struct nx_pt_watch){ fn, opaque, fd };
	ev.data.ptr = w;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return nx_error("epoll_ctl(ADD fd %d): %s", fd, strerror(errno));
	return 0;
}

void nx_pt_unwatch(struct nx_pt_loop *l, int fd)
{
	for (int i = 0; i < l->nw; i++) {
		if (l->w[i].fd == fd && l->w[i].fn) {
			epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
			l->w[i].fn = NULL;
		}
	}
}

int nx_pt_pause(struct nx_pt_loop *l, int fd, bool paused)
{
	for (int i = 0; i < l->nw; i++) {
		struct nx_pt_watch *w = &l->w[i];
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = w };

		if (w->fd != fd || !w->fn)
			continue;
		/* The slot (and the thread's pointer to it) stays; only epoll's
		 * interest changes. ENOENT/EEXIST: already so. */
		if (epoll_ctl(l->epfd, paused ? EPOLL_CTL_DEL : EPOLL_CTL_ADD, fd, &ev) < 0 &&
		    errno != ENOENT && errno != EEXIST)
			return -1;
		return 0;
	}
	return -1;
}

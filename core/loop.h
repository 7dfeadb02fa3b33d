/* SPDX-License-Identifier: MIT */
/*
 * core/loop.h - the one event loop of a VM (loop.c) and the one way to
 * start a helper thread (thread.c). Every host fd nexit waits on outside
 * the vCPU threads (fallback: trigger eventfds, resamplefds, back-off and
 * poll timers; passthrough: backend sockets, pidfds, doorbells, storm-guard
 * timers and relays; the control socket) has a handler registered here;
 * passthrough/ and fallback/ register theirs on vm->loop and never see
 * each other's.
 */
#ifndef NEXIT_CORE_LOOP_H
#define NEXIT_CORE_LOOP_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

/* A handler: fd is ready with events (EPOLLIN...); tag is the caller's
 * (a line number, a client slot). Runs on the loop thread and never
 * blocks: every wait in it is bounded. */
typedef void (*nx_loop_fn)(void *opaque, int fd, uint32_t events, unsigned tag);

#define NX_LOOP_MAX 256		/* fds: 24 lines x 3, 16 devices x ~12 */
struct nx_loop {
	int epfd, stopfd;
	pthread_t thread;
	bool running;
	pthread_mutex_t lock;		/* ents, and the start */
	struct nx_loop_ent {
		int fd;
		uint32_t events;
		nx_loop_fn fn;
		void *opaque;
		unsigned tag;
		uint32_t gen;		/* an event of a removed fd is dropped */
		bool used;
	} ents[NX_LOOP_MAX];
};

/* Before any other call (nx_vm_create does it). */
void nx_loop_init(struct nx_loop *l);
/* Starts the thread (nx_vm_create, on the main thread: the loop inherits
 * its CPU affinity and policy, never a pinned vCPU's); else the first
 * nx_loop_add does. */
int  nx_loop_start(struct nx_loop *l);
/* Watches fd for events; safe from any thread, the loop's handlers too. */
int  nx_loop_add(struct nx_loop *l, int fd, uint32_t events, nx_loop_fn fn, void *opaque,
		 unsigned tag);
/* Forgets fd (before its owner closes it): its handler does not run for
 * an event after this, except a call the loop thread had already begun. */
void nx_loop_del(struct nx_loop *l, int fd);
/* Takes a watched fd out of epoll (paused) or puts it back, same handler. */
int  nx_loop_pause(struct nx_loop *l, int fd, bool paused);
/* Ends the thread (joined) and closes the loop's own fds. */
void nx_loop_stop(struct nx_loop *l);

/* A helper thread (the loop, I/O threads): every signal blocked (they are
 * the main thread's, nx_vm_run), named, and under the sandbox filter of
 * kind (enum nx_sandbox_kind) before its first line of work. */
int nx_thread_start(pthread_t *t, void *(*fn)(void *), void *arg, const char *name, int kind);

#endif

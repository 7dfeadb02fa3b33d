/* SPDX-License-Identifier: MIT */
/*
 * thread.c - nx_thread_start: every helper thread of nexit starts with all
 * signals blocked (they belong to the main thread, which waits for them in
 * nx_vm_run) and loads its sandbox filter before its first line of work.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include "core/vm.h"
#include "core/sandbox.h"

struct start {
	void *(*fn)(void *);
	void *arg;
	int kind;
	char name[16];
};

static void *trampoline(void *p)
{
	struct start s = *(struct start *)p;

	free(p);
	if (nx_sandbox_thread(s.kind, s.name) < 0)
		return NULL;
	return s.fn(s.arg);
}

int nx_thread_start(pthread_t *t, void *(*fn)(void *), void *arg, const char *name, int kind)
{
	struct start *s = malloc(sizeof(*s));
	sigset_t all, old;
	int r;

	if (!s)
		return nx_error("out of memory");
	*s = (struct start){ fn, arg, kind, "" };
	snprintf(s->name, sizeof(s->name), "%s", name);
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	r = pthread_create(t, NULL, trampoline, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r) {
		free(s);
		return nx_error("cannot create thread %s: %s", name, strerror(r));
	}
	return 0;
}

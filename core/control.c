/* SPDX-License-Identifier: MIT */
/*
 * control.c - the control socket (--control SOCKET), the same on every
 * arch; its clients are `nexit stat` and `nexit stop` (cli/). Protocol:
 * connect, send one request line, read the answer until EOF:
 *   "stat\n" (or nothing within REQUEST_MS, for plain readers such as
 *   socat): the live stats JSON (what --stats-json would write now, with
 *   every subsystem's stats hook);
 *   "stop\n": the VM stops as on SIGTERM (the guest's power button, then
 *   stop_grace); the answer is one line.
 * One thread of its own serves it, with every signal blocked; nothing is
 * written on an interrupt's path. The socket is 0600 and a peer that is
 * neither nexit's user nor root is closed unanswered (SO_PEERCRED), once
 * reported.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <json-c/json.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include "core/core.h"

#define REQUEST_MS 200

struct nx_control { struct nx_vm *vm; int fd; uint64_t refused; };

static void write_all(int fd, const char *s, size_t n)
{
	while (n) {
		ssize_t w = send(fd, s, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

enum { REQ_STAT, REQ_STOP };

/* The request line, waited for at most REQUEST_MS (then: stat). */
static int request(int s)
{
	struct pollfd p = { .fd = s, .events = POLLIN };
	char buf[16] = { 0 };

	if (poll(&p, 1, REQUEST_MS) != 1 || recv(s, buf, sizeof(buf) - 1, 0) <= 0)
		return REQ_STAT;
	return !strncmp(buf, "stop", 4) && (buf[4] == '\n' || !buf[4]) ? REQ_STOP : REQ_STAT;
}

static void *serve(void *arg)
{
	struct nx_control *c = arg;

	if (nx_sandbox_thread(NX_SB_CONTROL, "nexit-ctl") < 0)
		return NULL;
	for (;;) {
		int s = accept4(c->fd, NULL, NULL, SOCK_CLOEXEC);
		struct json_object *root;
		const char *txt;
		char who[64];

		if (s < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			return NULL;
		}
		if (!nx_unix_peer_ok(s, who, sizeof(who))) {
			if (!c->refused++)
				nx_warn("control socket: refused %s (not nexit's user or root)", who);
			close(s);
			continue;
		}
		if (request(s) == REQ_STOP) {
			/* The main thread takes SIGTERM in nx_vm_run (every other
			 * thread blocks it); before that there is no VM to stop. */
			if (c->vm->main_thread && kill(getpid(), SIGTERM) == 0)
				write_all(s, "ok: stopping\n", 13);
			else
				write_all(s, "error: the VM is not running yet\n", 33);
			close(s);
			continue;
		}
		root = nx_stats_json(c->vm);
		txt = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY);
		write_all(s, txt, strlen(txt));
		write_all(s, "\n", 1);
		json_object_put(root);
		close(s);
	}
}

int nx_control_start(struct nx_vm *vm, const char *path)
{
	struct nx_control *c;	/* lives as long as the process */
	struct sockaddr_un a;
	struct stat st;
	pthread_t t;
	sigset_t all, old;
	int e;

	if (nx_unix_addr(path, &a) < 0)
		return -1;
	if (stat(path, &st) == 0) {
		int probe;

		if (!S_ISSOCK(st.st_mode))
			return nx_error("control socket %s exists and is not a socket", path);
		/* A live VM answers: refuse to steal its socket; a stale one goes. */
		probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (probe >= 0 && connect(probe, (struct sockaddr *)&a, sizeof(a)) == 0) {
			close(probe);
			return nx_error("control socket %s is in use by a running nexit", path);
		}
		if (probe >= 0)
			close(probe);
		unlink(path);
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return nx_error("out of memory");
	c->vm = vm;
	c->fd = nx_unix_listen(path, SOCK_STREAM, 4);
	if (c->fd < 0)
		return -1;
	/* Signals belong to the main thread (nx_vm_run waits for them). */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	e = pthread_create(&t, NULL, serve, c);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e)
		return nx_error("cannot start the control socket thread: %s", strerror(e));
	pthread_detach(t);
	return 0;
}

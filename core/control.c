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
 * The VM's event loop serves it (core/loop.c): the listening socket and
 * each client are handlers, and no handler waits - a client's request is
 * waited for by a timer, the answer's send is bounded - so a slow client
 * never holds up the interrupt lines' handlers on the same loop. The
 * socket is 0600 and a peer that is neither nexit's user nor root is
 * closed unanswered (SO_PEERCRED), once reported.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <json-c/json.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/stat.h>
#include <sys/un.h>
#include "core/vm.h"
#include "core/control.h"

#define REQUEST_MS	200	/* a client's request line, else: stat */
#define SEND_MS		1000	/* the answer's send, whole */
#define CLIENTS		4	/* answered at once; more wait in the backlog */

struct client {
	int s, timer;		/* -1: free slot */
};
struct nx_control {
	struct nx_vm *vm;
	int fd;
	bool listening;		/* paused while every slot is taken */
	uint64_t refused;
	struct client cl[CLIENTS];
};

/* Non-blocking socket: waits for room at most until deadline (ns). */
static void write_all(int fd, const char *s, size_t n, uint64_t deadline)
{
	while (n) {
		ssize_t w = send(fd, s, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		struct pollfd p = { .fd = fd, .events = POLLOUT };
		uint64_t now = nx_now_ns();

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN && now < deadline &&
		    poll(&p, 1, (int)((deadline - now) / 1000000 + 1)) == 1)
			continue;
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

enum { REQ_STAT, REQ_STOP };

static void answer(struct nx_control *c, int s, int req)
{
	uint64_t deadline = nx_now_ns() + SEND_MS * 1000000ull;
	struct json_object *root;
	const char *txt;

	if (req == REQ_STOP) {
		/* The main thread takes SIGTERM in nx_vm_run (every other
		 * thread blocks it); before that there is no VM to stop. */
		if (c->vm->main_thread && kill(getpid(), SIGTERM) == 0)
			write_all(s, "ok: stopping\n", 13, deadline);
		else
			write_all(s, "error: the VM is not running yet\n", 33, deadline);
		return;
	}
	root = nx_stats_json(c->vm);
	txt = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY);
	write_all(s, txt, strlen(txt), deadline);
	write_all(s, "\n", 1, deadline);
	json_object_put(root);
}

static void on_listen(void *op, int fd, uint32_t events, unsigned tag);

/* Loop handler of a client's socket (its request line) or of its timer
 * (no request within REQUEST_MS: a plain reader, stat): one answer, then
 * the connection ends. */
static void on_client(void *op, int fd, uint32_t events, unsigned i)
{
	struct nx_control *c = op;
	struct client *k = &c->cl[i];
	char buf[16] = { 0 };
	int req = REQ_STAT;

	if (fd == k->s && recv(k->s, buf, sizeof(buf) - 1, MSG_DONTWAIT) > 0 &&
	    !strncmp(buf, "stop", 4) && (buf[4] == '\n' || !buf[4]))
		req = REQ_STOP;
	nx_loop_del(&c->vm->loop, k->s);
	nx_loop_del(&c->vm->loop, k->timer);
	answer(c, k->s, req);
	close(k->s);
	close(k->timer);
	k->s = k->timer = -1;
	if (!c->listening && nx_loop_pause(&c->vm->loop, c->fd, false) == 0)
		c->listening = true;
}

static void on_listen(void *op, int fd, uint32_t events, unsigned tag)
{
	struct nx_control *c = op;
	struct itimerspec its = { .it_value = { 0, REQUEST_MS * 1000000L } };
	struct client *k = NULL;
	char who[64];
	int s;

	for (int i = 0; i < CLIENTS && !k; i++)
		if (c->cl[i].s < 0)
			k = &c->cl[i];
	if (!k) {
		/* Every slot busy: the next ones wait in the backlog. */
		if (nx_loop_pause(&c->vm->loop, c->fd, true) == 0)
			c->listening = false;
		return;
	}
	s = accept4(c->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (s < 0)
		return;
	if (!nx_unix_peer_ok(s, who, sizeof(who))) {
		if (!c->refused++)
			nx_warn("control socket: refused %s (not nexit's user or root)", who);
		close(s);
		return;
	}
	k->timer = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (k->timer < 0 || timerfd_settime(k->timer, 0, &its, NULL) < 0 ||
	    nx_loop_add(&c->vm->loop, s, EPOLLIN | EPOLLRDHUP, on_client, c, (unsigned)(k - c->cl)) < 0 ||
	    nx_loop_add(&c->vm->loop, k->timer, EPOLLIN, on_client, c, (unsigned)(k - c->cl)) < 0) {
		nx_loop_del(&c->vm->loop, s);
		if (k->timer >= 0)
			close(k->timer);
		k->timer = -1;
		close(s);
		return;
	}
	k->s = s;
}

int nx_control_start(struct nx_vm *vm, const char *path)
{
	struct nx_control *c;	/* lives as long as the process */
	struct sockaddr_un a;
	struct stat st;

	if (nx_unix_addr(path, &a) < 0)
		return -1;
	if (stat(path, &st) == 0) {
		int probe;

		if (!S_ISSOCK(st.st_mode))
			return nx_error("control socket %s exists and is not a socket", path);
		/* A live VM answers: refuse to steal its socket; a stale one goes. */
		probe = nx_unix_connect(path, SOCK_STREAM, 0);
		if (probe >= 0) {
			close(probe);
			return nx_error("control socket %s is in use by a running nexit", path);
		}
		unlink(path);
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return nx_error("out of memory");
	nx_lives_until_exit(c);
	c->vm = vm;
	for (int i = 0; i < CLIENTS; i++)
		c->cl[i].s = c->cl[i].timer = -1;
	c->fd = nx_unix_listen(path, SOCK_STREAM, 4);
	if (c->fd < 0)
		return -1;
	c->listening = true;
	return nx_loop_add(&vm->loop, c->fd, EPOLLIN, on_listen, c, 0);
}

/* SPDX-License-Identifier: MIT */
/*
 * control.c - the control socket (--control SOCKET) and `nexit stat SOCKET`,
 * the same on every arch. Protocol: connect, read the live stats JSON (what
 * --stats-json would write now, with every subsystem's stats hook, e.g. the
 * fallback's and passthrough's "irq" lines) until EOF. One thread of its
 * own serves it, with every signal blocked; nothing is written on an
 * interrupt's path. The socket is 0600 and a peer that is neither nexit's
 * user nor root is closed unanswered (SO_PEERCRED), once reported.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <json-c/json.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include "core/core.h"

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

static void *serve(void *arg)
{
	struct nx_control *c = arg;

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

int nx_cmd_stat(int argc, char **argv)
{
	struct sockaddr_un a;
	char buf[4096];
	ssize_t n;
	size_t got = 0;
	int s;

	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf("usage: nexit stat SOCKET\n\nPrints the live counters (exits, interrupt lines) "
		       "of the nexit started with --control SOCKET, as JSON.\n");
		return 0;
	}
	if (argc != 2) {
		nx_error("usage: nexit stat SOCKET (the path given to nexit run --control)");
		return 2;
	}
	if (nx_unix_addr(argv[1], &a) < 0)
		return 1;
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof(a)) < 0) {
		nx_error("cannot connect to control socket %s: %s (is nexit running with --control %s?)",
			 argv[1], strerror(errno), argv[1]);
		return 1;
	}
	while ((n = read(s, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR)) {
		if (n > 0 && fwrite(buf, 1, (size_t)n, stdout) != (size_t)n)
			return 1;
		got += n > 0 ? (size_t)n : 0;
	}
	close(s);
	if (!got) {
		nx_error("control socket %s closed without an answer (nexit serves only its own "
			 "user and root)", argv[1]);
		return 1;
	}
	return 0;
}

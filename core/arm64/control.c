/* SPDX-License-Identifier: MIT */
/*
 * control.c - `--control SOCKET` and `nexit stat SOCKET` on arm64: connect,
 * read the live stats JSON (what --stats-json would write now, including the
 * fallback's "irq" lines) until EOF. Served by one thread of its own; the
 * x86 build serves it from passthrough's event loop (passthrough/control.c),
 * the protocol is the same.
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
#include "core/arm64/arm64.h"

struct ctl { struct nx_vm *vm; int fd; };

static int addr_of(const char *path, struct sockaddr_un *a)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(a->sun_path))
		return nx_error("control socket path too long (at most %zu bytes): %s",
				sizeof(a->sun_path) - 1, path);
	strcpy(a->sun_path, path);
	return 0;
}

static void *serve(void *arg)
{
	struct ctl *c = arg;

	for (;;) {
		int s = accept4(c->fd, NULL, NULL, SOCK_CLOEXEC);
		json_object *root;
		const char *txt;
		size_t n;

		if (s < 0) {
			if (errno == EINTR)
				continue;
			return NULL;
		}
		root = nx_stats_json(c->vm);
		txt = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY);
		for (n = strlen(txt); n;) {
			ssize_t w = send(s, txt, n, MSG_NOSIGNAL);
			if (w <= 0)
				break;
			txt += w;
			n -= (size_t)w;
		}
		send(s, "\n", 1, MSG_NOSIGNAL);
		json_object_put(root);
		close(s);
	}
}

int nx_a64_control_start(struct nx_vm *vm, const char *path)
{
	struct ctl *c;		/* lives as long as the process */
	struct sockaddr_un a;
	struct stat st;
	pthread_t t;
	sigset_t all, old;

	if (addr_of(path, &a) < 0)
		return -1;
	if (stat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return nx_error("control socket %s exists and is not a socket", path);
		unlink(path);	/* a stale socket of an earlier run */
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return nx_error("out of memory");
	c->vm = vm;
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0 || bind(c->fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(c->fd, 4) < 0)
		return nx_error("cannot listen on control socket %s: %s", path, strerror(errno));
	/* Signals belong to the main thread (nx_vm_run waits for them). */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	if (pthread_create(&t, NULL, serve, c) != 0) {
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		return nx_error("cannot start the control socket thread");
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_detach(t);
	return 0;
}

int nx_cmd_stat(int argc, char **argv)
{
	struct sockaddr_un a;
	char buf[4096];
	ssize_t n;
	int s;

	if (argc != 2) {
		nx_error("usage: nexit stat SOCKET (the path given to nexit run --control)");
		return 2;
	}
	if (addr_of(argv[1], &a) < 0)
		return 1;
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof(a)) < 0) {
		nx_error("cannot connect to control socket %s: %s (is nexit running with --control %s?)",
			 argv[1], strerror(errno), argv[1]);
		return 1;
	}
	while ((n = read(s, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))
		if (n > 0 && fwrite(buf, 1, (size_t)n, stdout) != (size_t)n)
			return 1;
	close(s);
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * control.c - the control socket (--control SOCKET), `nexit stat SOCKET` and
 * `nexit stop SOCKET`, the same on every arch. Protocol: connect, send one
 * request line, read the answer until EOF:
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

/* Connects to the control socket and sends one request line; -1 on error. */
static int connect_ctl(const char *path, const char *req)
{
	struct sockaddr_un a;
	int s;

	if (nx_unix_addr(path, &a) < 0)
		return -1;
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof(a)) < 0) {
		nx_error("cannot connect to control socket %s: %s (is nexit running with --control %s?)",
			 path, strerror(errno), path);
		if (s >= 0)
			close(s);
		return -1;
	}
	write_all(s, req, strlen(req));
	return s;
}

/* Copies the answer to stdout; 0 if it arrived, non-empty. */
static int copy_answer(int s, const char *path, char *last, size_t lsz)
{
	char buf[4096];
	size_t got = 0;
	ssize_t n;

	while ((n = read(s, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR)) {
		if (n > 0 && fwrite(buf, 1, (size_t)n, stdout) != (size_t)n)
			return -1;
		if (n > 0 && last)
			snprintf(last, lsz, "%.*s", (int)n, buf);
		got += n > 0 ? (size_t)n : 0;
	}
	close(s);
	if (!got)
		return nx_error("control socket %s closed without an answer (nexit serves only its own "
				"user and root)", path);
	return n < 0 ? -1 : 0;
}

int nx_cmd_stat(int argc, char **argv)
{
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
	s = connect_ctl(argv[1], "stat\n");
	return s < 0 || copy_answer(s, argv[1], NULL, 0) < 0 ? 1 : 0;
}

int nx_cmd_stop(int argc, char **argv)
{
	char last[128] = "";
	int s, wait_s = 0;

	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf("usage: nexit stop SOCKET [--wait SECONDS]\n\n"
		       "Stops the nexit started with --control SOCKET as SIGTERM does: it presses the\n"
		       "guest's power button and forces the stop after [vm] stop_grace seconds (at once\n"
		       "if the guest does not listen for the button). --wait: return only once that\n"
		       "nexit has exited (exit status 1 if it has not within SECONDS).\n");
		return 0;
	}
	if ((argc != 2 && argc != 4) || (argc == 4 && (strcmp(argv[2], "--wait") ||
						       (wait_s = atoi(argv[3])) <= 0))) {
		nx_error("usage: nexit stop SOCKET [--wait SECONDS]");
		return 2;
	}
	s = connect_ctl(argv[1], "stop\n");
	if (s < 0 || copy_answer(s, argv[1], last, sizeof(last)) < 0)
		return 1;
	if (strncmp(last, "ok", 2))
		return 1;
	/* Gone once nobody accepts on the socket any more. */
	for (int i = 0; i < wait_s * 10; i++) {
		struct sockaddr_un a;
		int p = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		bool alive;

		nx_unix_addr(argv[1], &a);
		alive = p >= 0 && connect(p, (struct sockaddr *)&a, sizeof(a)) == 0;
		if (p >= 0)
			close(p);
		if (!alive)
			return 0;
		usleep(100 * 1000);
	}
	if (wait_s)
		return nx_error("nexit at %s still runs after %d s", argv[1], wait_s), 1;
	return 0;
}

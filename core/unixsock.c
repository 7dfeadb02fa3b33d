/* SPDX-License-Identifier: MIT */
/*
 * unixsock.c - the local sockets nexit and nexit-devd listen on (the control
 * socket, a backend's socket): created 0600 whatever the umask, so only
 * their owner (and root) may connect, and each peer checked again with
 * SO_PEERCRED (unix(7)) in case the file's mode was widened afterwards.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include "core/control.h"
#include "core/log.h"

int nx_unix_addr(const char *path, struct sockaddr_un *a)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(a->sun_path))
		return nx_error("socket path too long (at most %zu bytes): %s",
				sizeof(a->sun_path) - 1, path);
	strcpy(a->sun_path, path);
	return 0;
}

int nx_unix_connect(const char *path, int type, int wait_ms)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int s, e;

	if (strlen(path) >= sizeof(a.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(a.sun_path, path);
	s = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
	for (int waited = 0; s >= 0 && connect(s, (struct sockaddr *)&a, sizeof(a)) < 0;
	     waited += 50) {
		if ((errno != ENOENT && errno != ECONNREFUSED) || waited >= wait_ms) {
			e = errno;
			close(s);
			errno = e;
			return -1;
		}
		usleep(50 * 1000);
	}
	return s;
}

int nx_unix_listen(const char *path, int type, int backlog)
{
	struct sockaddr_un a;
	mode_t old;
	int s, r, e;

	if (nx_unix_addr(path, &a) < 0)
		return -1;
	s = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
	if (s < 0)
		return nx_error("socket: %s", strerror(errno));
	/* bind() creates the file with the umask: 0600 from the start, no
	 * window in which another user could connect. */
	old = umask(0177);
	r = bind(s, (struct sockaddr *)&a, sizeof(a));
	e = errno;
	umask(old);
	if (r < 0 || listen(s, backlog) < 0) {
		if (r == 0)
			e = errno;
		close(s);
		return nx_error("cannot listen on %s: %s", path, strerror(e));
	}
	return s;
}

bool nx_unix_peer_ok(int fd, char *who, size_t n)
{
	struct ucred c;
	socklen_t len = sizeof(c);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &c, &len) < 0) {
		snprintf(who, n, "unknown peer (%s)", strerror(errno));
		return false;
	}
	snprintf(who, n, "pid %d uid %u", (int)c.pid, (unsigned)c.uid);
	return c.uid == geteuid() || c.uid == 0;
}

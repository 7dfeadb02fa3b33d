/* SPDX-License-Identifier: MIT */
/*
 * control_client.c - one request on nexit's control socket (core/control.c
 * serves it): connect, send the request line, copy the answer to stdout.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include "cli/cli.h"
#include "core/control.h"

int nx_ctl_call(const char *path, const char *req, char *last, size_t lsz)
{
	int s = nx_unix_connect(path, SOCK_STREAM, 0);
	char buf[4096];
	size_t got = 0;
	ssize_t n;

	if (s < 0)
		return nx_error("cannot connect to control socket %s: %s (is nexit running with "
				"--control %s?)", path, strerror(errno), path);
	/* One short line. A nexit that refuses this peer (SO_PEERCRED) may
	 * close before it arrives (EPIPE): the read below then finds no answer
	 * and says why, so a failed send is not reported on its own. */
	(void)!send(s, req, strlen(req), MSG_NOSIGNAL);
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

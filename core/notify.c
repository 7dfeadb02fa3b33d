/* SPDX-License-Identifier: MIT */
/*
 * notify.c - systemd's service notification protocol (sd_notify(3)),
 * written here rather than linked: one datagram with newline-separated
 * VAR=value assignments to the AF_UNIX socket named by $NOTIFY_SOCKET (a
 * path, or an abstract name written with a leading '@'). nexit sends
 * READY=1 once its vCPUs run and STOPPING=1 when it begins to stop, which
 * is what a Type=notify unit waits for (nexit@.service).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include "core/control.h"
#include "core/log.h"

void nx_sd_notify(const char *msg)
{
	static int sock = -1;
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	socklen_t alen;
	size_t n;

	if (!path || !path[0])
		return;
	n = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || n >= sizeof(a.sun_path)) {
		nx_warn("NOTIFY_SOCKET=%s is not a socket path or @abstract name", path);
		return;
	}
	memcpy(a.sun_path, path, n);
	if (path[0] == '@')
		a.sun_path[0] = 0;
	alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + (path[0] == '/'));
	/* One socket for the process, made at the first message (READY=1,
	 * before the main thread's sandbox, which has no socket()). */
	if (sock < 0)
		sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sock < 0)
		return;
	if (sendto(sock, msg, strlen(msg), MSG_NOSIGNAL, (struct sockaddr *)&a, alen) < 0)
		nx_warn("sd_notify to %s: %s", path, strerror(errno));
}

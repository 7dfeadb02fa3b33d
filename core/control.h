/* SPDX-License-Identifier: MIT */
/*
 * control.h - how nexit talks to the host around it: local sockets
 * (core/unixsock.c), the control socket (core/control.c) and systemd's
 * notify protocol (core/notify.c).
 */
#ifndef NEXIT_CORE_CONTROL_H
#define NEXIT_CORE_CONTROL_H

#include <stdbool.h>
#include <stddef.h>

/* Local sockets (core/unixsock.c): listening ones are created 0600; a peer
 * is trusted when it runs as nexit's own user or root (SO_PEERCRED). */
struct sockaddr_un;
int  nx_unix_addr(const char *path, struct sockaddr_un *a);
int  nx_unix_listen(const char *path, int type, int backlog);
/* A socket of type connected to path, retrying every 50 ms for up to wait_ms
 * while the server may still be creating it; -1 with errno, nothing printed. */
int  nx_unix_connect(const char *path, int type, int wait_ms);
bool nx_unix_peer_ok(int fd, char *who, size_t n);
struct nx_vm;
/* Control socket (core/control.c): serves `nexit stat` and `nexit stop` (cli/)
 * as handlers on vm->loop. */
int  nx_control_start(struct nx_vm *vm, const char *path);
/* systemd's notify protocol (core/notify.c): "READY=1", "STOPPING=1", ...
 * to $NOTIFY_SOCKET, a datagram socket; nothing if it is unset. */
void nx_sd_notify(const char *msg);

#endif

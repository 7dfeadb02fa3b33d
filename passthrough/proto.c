/* SPDX-License-Identifier: MIT */
/*
 * proto.c - the backend protocol's two primitives: one message (header +
 * payload) with its fds as SCM_RIGHTS ancillary data (unix(7)), the way
 * vhost-user hands a backend its kick/call eventfds.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include "passthrough/passthrough.h"

int nx_devd_send(int sock, uint32_t type, const void *payload, uint32_t size,
		 const int *fds, unsigned nfds)
{
	struct nx_devd_hdr h = { .type = type, .size = size, .nfds = nfds,
				 .version = NX_DEVD_VERSION };
	struct iovec iov[2] = { { &h, sizeof(h) }, { (void *)payload, size } };
	union {
		char buf[CMSG_SPACE(sizeof(int) * NX_DEVD_MAX_FDS)];
		struct cmsghdr align;
	} u;
	struct msghdr m = { .msg_iov = iov, .msg_iovlen = size ? 2 : 1 };

	if (nfds > NX_DEVD_MAX_FDS)
		return -1;
	if (nfds) {
		struct cmsghdr *c;

		memset(&u, 0, sizeof(u));
		m.msg_control = u.buf;
		m.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	return sendmsg(sock, &m, MSG_NOSIGNAL) == (ssize_t)(sizeof(h) + size) ? 0 : -1;
}

int nx_devd_recv(int sock, struct nx_devd_hdr *h, void *payload, uint32_t max,
		 int *fds, unsigned max_fds)
{
	struct iovec iov[2] = { { h, sizeof(*h) }, { payload, max } };
	union {
		char buf[CMSG_SPACE(sizeof(int) * NX_DEVD_MAX_FDS)];
		struct cmsghdr align;
	} u;
	struct msghdr m = { .msg_iov = iov, .msg_iovlen = 2, .msg_control = u.buf,
			    .msg_controllen = sizeof(u.buf) };
	ssize_t n;
	unsigned got = 0;

	do
		n = recvmsg(sock, &m, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return n == 0 ? -2 : -1;	/* -2: peer hung up */
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		got = (unsigned)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		if (got > max_fds)
			got = max_fds;	/* extra fds leak into the process; protocol error below */
		memcpy(fds, CMSG_DATA(c), sizeof(int) * got);
	}
	if ((size_t)n < sizeof(*h) || h->version != NX_DEVD_VERSION || h->size > max ||
	    (size_t)n != sizeof(*h) + h->size || h->nfds != got || (m.msg_flags & MSG_CTRUNC))
		return -1;
	return (int)got;
}

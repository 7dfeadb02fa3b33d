/* SPDX-License-Identifier: MIT */
/*
 * proto.c - the backend protocol's two primitives: one message (header +
 * payload) with its fds as SCM_RIGHTS ancillary data (unix(7)), the way
 * vhost-user hands a backend its kick/call eventfds. The receiver trusts
 * nothing: the header must match the bytes that came, the fds the header,
 * and every fd of a message it rejects (or beyond what it takes) is closed.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include "passthrough/passthrough.h"

int nx_devd_send(int sock, uint32_t type, const void *payload, uint32_t size,
		 const int *fds, unsigned nfds, int flags)
{
	struct nx_devd_hdr h = { .type = type, .size = size, .nfds = nfds,
				 .version = NX_DEVD_VERSION };
	struct iovec iov[2] = { { &h, sizeof(h) }, { (void *)payload, size } };
	union {
		char buf[CMSG_SPACE(sizeof(int) * NX_DEVD_MAX_FDS)];
		struct cmsghdr align;
	} u;
	struct msghdr m = { .msg_iov = iov, .msg_iovlen = size ? 2 : 1 };
	ssize_t n;

	if (nfds > NX_DEVD_MAX_FDS || size > NX_DEVD_MAX_MSG)
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
	do
		n = sendmsg(sock, &m, MSG_NOSIGNAL | flags);
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)(sizeof(h) + size) ? 0 : -1;
}

static void close_all(const int *fds, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		close(fds[i]);
}

int nx_devd_recv(int sock, struct nx_devd_hdr *h, void *payload, uint32_t max,
		 int *fds, unsigned max_fds, int flags)
{
	/* One byte more than the largest message: a longer one is seen as such
	 * instead of being cut to a plausible size (MSG_TRUNC says so too). */
	char body[NX_DEVD_MAX_MSG + 1];
	struct iovec iov[2] = { { h, sizeof(*h) }, { body, sizeof(body) } };
	union {
		/* Room for more fds than any message carries, so a sender's
		 * extra fds arrive (and are closed) instead of being dropped
		 * by the kernel with MSG_CTRUNC. */
		char buf[CMSG_SPACE(sizeof(int) * 64)];
		struct cmsghdr align;
	} u;
	struct msghdr m = { .msg_iov = iov, .msg_iovlen = 2, .msg_control = u.buf,
			    .msg_controllen = sizeof(u.buf) };
	int got[64];
	unsigned ngot = 0;
	ssize_t n;
	bool bad;

	if (max > NX_DEVD_MAX_MSG)
		max = NX_DEVD_MAX_MSG;
	do
		n = recvmsg(sock, &m, MSG_CMSG_CLOEXEC | flags);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
		unsigned k;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
		    c->cmsg_len < CMSG_LEN(0))
			continue;
		k = (unsigned)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		for (unsigned i = 0; i < k; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (ngot < sizeof(got) / sizeof(got[0]))
				got[ngot++] = fd;
			else
				close(fd);
		}
	}
	if (n == 0 && !ngot)
		return -2;	/* peer hung up */
	bad = (size_t)n < sizeof(*h) || h->version != NX_DEVD_VERSION || h->size > max ||
	      (size_t)n != sizeof(*h) + h->size || h->nfds != ngot || ngot > max_fds ||
	      (m.msg_flags & (MSG_CTRUNC | MSG_TRUNC));
	if (bad) {
		close_all(got, ngot);
		errno = EPROTO;
		return -1;
	}
	if (h->size)
		memcpy(payload, body, h->size);
	if (ngot)
		memcpy(fds, got, sizeof(int) * ngot);
	return (int)ngot;
}

/* SPDX-License-Identifier: MIT */
/*
 * fuzz_devd - the out-of-process backend protocol (passthrough/proto.c,
 * devd.c) from both ends. nexit's receiver: messages of any length with
 * up to 40 fds each, taken with any payload and fd limit; every rejected
 * message's fds, and those beyond the limit, must be closed (the open fd
 * count is checked after every input). The backend: nexit-devd's loop
 * served in-process on a socketpair with a SETUP (good or not) and then
 * whatever the input holds, until the peer hangs up.
 */
#include <errno.h>
#include <stdbool.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>
#include "passthrough/passthrough.h"
#include "tests/fuzz/fuzz.h"

/* One datagram from the input: a length, bytes, and n eventfds along. */
static void send_one(struct fz *f, int sock)
{
	uint8_t buf[600];
	size_t len = fz_u16(f) % sizeof(buf);
	unsigned nfds = fz_u8(f) % 41;
	int fds[40];
	union { char b[CMSG_SPACE(sizeof(int) * 40)]; struct cmsghdr a; } u;
	struct iovec iov = { buf, len };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };

	fz_bytes(f, buf, len);
	/* A real header now and then, so the checks past it are reached. */
	if (len >= sizeof(struct nx_devd_hdr) && (buf[0] & 1)) {
		struct nx_devd_hdr h = { buf[1] % 6, (uint32_t)(len - sizeof(h)), nfds, NX_DEVD_VERSION };
		if (buf[2] & 1)
			h.size = buf[3];
		memcpy(buf, &h, sizeof(h));
	}
	for (unsigned i = 0; i < nfds; i++)
		fds[i] = eventfd(0, EFD_CLOEXEC);
	if (nfds) {
		m.msg_control = u.b;
		m.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		CMSG_FIRSTHDR(&m)->cmsg_level = SOL_SOCKET;
		CMSG_FIRSTHDR(&m)->cmsg_type = SCM_RIGHTS;
		CMSG_FIRSTHDR(&m)->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(CMSG_FIRSTHDR(&m)), fds, sizeof(int) * nfds);
	}
	sendmsg(sock, &m, MSG_DONTWAIT | MSG_NOSIGNAL);
	for (unsigned i = 0; i < nfds; i++)
		close(fds[i]);
}

static void receiver(struct fz *f)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		__builtin_trap();
	for (int k = 0; k < 16 && fz_left(f); k++)
		send_one(f, sv[1]);
	if (fz_u8(f) & 1)
		close(sv[1]), sv[1] = -1;
	for (int k = 0; k < 17; k++) {
		struct nx_devd_hdr h;
		uint8_t payload[NX_DEVD_MAX_MSG];
		int fds[NX_DEVD_MAX_FDS];
		unsigned max_fds = fz_u8(f) % (NX_DEVD_MAX_FDS + 1);
		int n = nx_devd_recv(sv[0], &h, payload, fz_u16(f) % (NX_DEVD_MAX_MSG + 8), fds,
				     max_fds, MSG_DONTWAIT);

		FZ_ASSERT(n <= (int)max_fds);
		for (int i = 0; i < n; i++)
			close(fds[i]);
		if (n == -2 || (n < 0 && errno == EAGAIN))
			break;
	}
	close(sv[0]);
	if (sv[1] >= 0)
		close(sv[1]);
}

static void backend(struct fz *f)
{
	struct nx_devd_opts o = { .wait = NX_WAIT_BLOCK };
	struct nx_devd_setup s = { .type = "irqdev", .name = "fz" };
	int sv[2], fds[NX_DEVD_SETUP_FDS];

	fds[NX_DEVD_FD_MSI] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	fds[NX_DEVD_FD_COUNTERS] = memfd_create("fz-counters", MFD_CLOEXEC);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0 || fds[0] < 0 ||
	    fds[1] < 0 || ftruncate(fds[1], NX_DEVD_COUNTERS_SIZE) < 0)
		__builtin_trap();
	if (fz_u8(f) & 1)
		nx_devd_send(sv[0], NX_DEVD_MSG_SETUP, &s, sizeof(s), fds, NX_DEVD_SETUP_FDS, 0);
	for (int k = 0; k < 16 && fz_left(f); k++) {
		if (fz_u8(f) & 1) {
			struct nx_devd_work w = { fz_u32(f), fz_u32(f), fz_u8(f) & 1, 0 };
			nx_devd_send(sv[0], NX_DEVD_MSG_WORK, &w, sizeof(w), NULL, 0, MSG_DONTWAIT);
		} else {
			send_one(f, sv[0]);
		}
	}
	shutdown(sv[0], SHUT_WR);	/* nexit hangs up once all is read */
	nx_devd_serve(sv[1], &o);
	close(sv[0]);
	close(sv[1]);
	close(fds[0]);
	close(fds[1]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = { data, size };
	int before = fz_open_fds();

	if (fz_u8(&f) & 1)
		receiver(&f);
	else
		backend(&f);
	FZ_ASSERT(fz_open_fds() == before);
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * fuzz_vhost_user - nexit's vhost-user frontend (passthrough/vhost_user.c)
 * reading what a hostile backend answers: the input is the byte stream the
 * backend sends (headers of any request, flags and size, payloads cut
 * anywhere, then its end), read by GET_FEATURES and GET_VRING_BASE and
 * around the messages nexit sends (the mem table, rings, fds).
 */
#include <stdbool.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>
#include "passthrough/passthrough.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = { data, size };
	struct nx_vhost_user u = { .sock = -1 };
	static struct nx_mem mem;
	static uint8_t ram[1 << 16];
	int sv[2], efd = eventfd(0, EFD_CLOEXEC), before = fz_open_fds();
	uint8_t script = fz_u8(&f);
	uint64_t feat;
	unsigned base;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0 || efd < 0)
		__builtin_trap();
	/* The backend's whole answer, then its end: no read waits. */
	if (write(sv[1], f.d, f.n) != (ssize_t)f.n)
		__builtin_trap();
	shutdown(sv[1], SHUT_WR);
	u.sock = sv[0];
	snprintf(u.path, sizeof(u.path), "fuzz");
	mem = (struct nx_mem){ .memfd = efd, .base = ram, .size = sizeof(ram), .nregions = 1 };
	mem.regions[0] = (struct nx_mem_region){ 0, sizeof(ram), ram, 0 };
	for (int i = 0; i < 8; i++) {
		switch ((script >> (i % 4) * 2) & 3) {
		case 0:
			if (nx_vhost_user_get_features(&u, &feat) < 0)
				goto out;
			break;
		case 1:
			if (nx_vhost_user_ops.get_vring_base(&u, (unsigned)i & 1, &base) < 0)
				goto out;
			break;
		case 2:
			nx_vhost_user_ops.set_mem_table(&u, &mem);
			nx_vhost_user_ops.set_vring_addr(&u, 0, ram, ram + 4096, ram + 8192);
			break;
		default:
			nx_vhost_user_ops.set_vring_kick(&u, 1, efd);
			nx_vhost_user_ops.set_vring_call(&u, 1, -1);
			break;
		}
	}
out:
	close(sv[0]);
	close(sv[1]);
	FZ_ASSERT(fz_open_fds() == before);
	close(efd);
	return 0;
}

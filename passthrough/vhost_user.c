/* SPDX-License-Identifier: MIT */
/*
 * vhost_user.c - the frontend ("master") side of the vhost-user protocol
 * (QEMU docs/interop/vhost-user.rst): a SOCK_STREAM unix socket carrying
 * messages of a 12-byte header (request, flags, payload size) and a
 * payload, with file descriptors as SCM_RIGHTS ancillary data.
 *
 * nexit uses the minimal subset that hands a backend whole virtqueues:
 * SET_OWNER, GET/SET_FEATURES, SET_MEM_TABLE (guest RAM memfd + region
 * table), SET_VRING_NUM/BASE/ADDR/CALL/KICK and GET_VRING_BASE to stop a
 * ring. VHOST_USER_F_PROTOCOL_FEATURES is never acked, so (spec, "Ring
 * states") every ring starts enabled once it has a kick fd and no
 * SET_VRING_ENABLE or REPLY_ACK is needed.
 *
 * Every wait on the socket, reply or send, is bounded (NX_VHU_TIMEOUT_MS),
 * and only virtio-net's control thread waits (never a vCPU): a wedged
 * backend is cut off, never a hung VM.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include "passthrough/passthrough.h"
#include "core/control.h"

#define VHU_VERSION		0x1u		/* flags bits 0-1 */
#define VHU_FLAG_REPLY		(1u << 2)
#define VHU_HDR_SIZE		12u
#define VHU_VRING_NOFD		(1ull << 8)	/* SET_VRING_KICK/CALL: no fd, poll */

enum {
	VHU_GET_FEATURES = 1, VHU_SET_FEATURES = 2, VHU_SET_OWNER = 3,
	VHU_SET_MEM_TABLE = 5, VHU_SET_VRING_NUM = 8, VHU_SET_VRING_ADDR = 9,
	VHU_SET_VRING_BASE = 10, VHU_GET_VRING_BASE = 11, VHU_SET_VRING_KICK = 12,
	VHU_SET_VRING_CALL = 13,
};

struct vhu_state { uint32_t index, num; } __attribute__((packed));
struct vhu_addr {
	uint32_t index, flags;
	uint64_t desc, used, avail, log;	/* spec order: descriptor, used, available */
} __attribute__((packed));
struct vhu_region { uint64_t gpa, size, uaddr, mmap_offset; } __attribute__((packed));
struct vhu_mem {
	uint32_t nregions, padding;
	struct vhu_region r[NX_VHU_MAX_REGIONS];
} __attribute__((packed));

struct vhu_msg {
	uint32_t request, flags, size;
	union {
		uint64_t u64;
		struct vhu_state state;
		struct vhu_addr addr;
		struct vhu_mem mem;
	} p;
} __attribute__((packed));

static const char *req_name(uint32_t r)
{
	static const char *const n[] = { [VHU_GET_FEATURES] = "GET_FEATURES",
		[VHU_SET_FEATURES] = "SET_FEATURES", [VHU_SET_OWNER] = "SET_OWNER",
		[VHU_SET_MEM_TABLE] = "SET_MEM_TABLE", [VHU_SET_VRING_NUM] = "SET_VRING_NUM",
		[VHU_SET_VRING_ADDR] = "SET_VRING_ADDR", [VHU_SET_VRING_BASE] = "SET_VRING_BASE",
		[VHU_GET_VRING_BASE] = "GET_VRING_BASE", [VHU_SET_VRING_KICK] = "SET_VRING_KICK",
		[VHU_SET_VRING_CALL] = "SET_VRING_CALL" };
	return r < sizeof(n) / sizeof(n[0]) && n[r] ? n[r] : "?";
}

void nx_vhost_user_close(struct nx_vhost_user *u)
{
	if (u->sock >= 0)
		close(u->sock);
	u->sock = -1;
}

static int send_msg(struct nx_vhost_user *u, struct vhu_msg *m, const int *fds, unsigned nfds)
{
	struct iovec iov = { m, VHU_HDR_SIZE + m->size };
	union {
		char buf[CMSG_SPACE(sizeof(int) * NX_VHU_MAX_REGIONS)];
		struct cmsghdr align;
	} c;
	struct msghdr h = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	m->flags = VHU_VERSION;
	if (nfds) {
		struct cmsghdr *cm;

		memset(&c, 0, sizeof(c));
		h.msg_control = c.buf;
		h.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		cm = CMSG_FIRSTHDR(&h);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(cm), fds, sizeof(int) * nfds);
	}
	do
		n = sendmsg(u->sock, &h, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)iov.iov_len)
		return nx_error("vhost-user %s: sending %s: %s", u->path, req_name(m->request),
				n < 0 ? strerror(errno) : "short write");
	u->sent++;
	return 0;
}

/* Reads exactly len bytes, each wait bounded by the timeout. */
static int read_full(struct nx_vhost_user *u, void *buf, size_t len, const char *what)
{
	size_t got = 0;

	while (got < len) {
		struct pollfd p = { .fd = u->sock, .events = POLLIN };
		ssize_t n;
		int r = poll(&p, 1, NX_VHU_TIMEOUT_MS);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return nx_error("vhost-user %s: no reply to %s within %d ms", u->path, what,
					NX_VHU_TIMEOUT_MS);
		n = recv(u->sock, (char *)buf + got, len - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return nx_error("vhost-user %s: backend hung up during %s", u->path, what);
		got += (size_t)n;
	}
	return 0;
}

/* A request whose reply carries one u64 (GET_FEATURES) or a vring state. */
static int call(struct nx_vhost_user *u, struct vhu_msg *m, uint32_t reply_size)
{
	struct vhu_msg r;
	uint32_t req = m->request;

	if (send_msg(u, m, NULL, 0) < 0 || read_full(u, &r, VHU_HDR_SIZE, req_name(req)) < 0)
		return -1;
	if (r.request != req || !(r.flags & VHU_FLAG_REPLY) || r.size != reply_size)
		return nx_error("vhost-user %s: bad reply to %s (request %u, flags 0x%x, size %u)",
				u->path, req_name(req), r.request, r.flags, r.size);
	if (read_full(u, &r.p, reply_size, req_name(req)) < 0)
		return -1;
	memcpy(&m->p, &r.p, reply_size);
	return 0;
}

int nx_vhost_user_connect(struct nx_vhost_user *u, const char *path, int wait_ms)
{
	/* The backend (dpdk-testpmd) may still be creating its socket. */
	int s = nx_unix_connect(path, SOCK_STREAM, wait_ms);
	struct vhu_msg m = { .request = VHU_SET_OWNER };
	struct timeval tv = { NX_VHU_TIMEOUT_MS / 1000, (NX_VHU_TIMEOUT_MS % 1000) * 1000 };

	memset(u, 0, sizeof(*u));
	u->sock = -1;
	snprintf(u->path, sizeof(u->path), "%s", path);
	if (s < 0)
		return nx_error("cannot connect to vhost-user backend %s: %s (start the "
				"backend first, e.g. dpdk-testpmd --vdev net_vhost0,iface=%s)",
				path, strerror(errno), path);
	/* Sends are bounded too: a backend that stops reading cannot hold the
	 * control thread longer than a reply could (SO_SNDTIMEO, socket(7)). */
	setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	u->sock = s;
	return send_msg(u, &m, NULL, 0);
}

int nx_vhost_user_get_features(struct nx_vhost_user *u, uint64_t *f)
{
	struct vhu_msg m = { .request = VHU_GET_FEATURES };

	if (call(u, &m, sizeof(uint64_t)) < 0)
		return -1;
	*f = m.p.u64;
	return 0;
}

/* ---- the vhost backend interface of virtio-net (passthrough.h) ---------- */
static int vu_features(void *u, uint64_t f)
{
	struct vhu_msg m = { .request = VHU_SET_FEATURES, .size = sizeof(uint64_t), .p.u64 = f };

	return send_msg(u, &m, NULL, 0);
}

/*
 * Guest RAM as the backend maps it: one entry per KVM memory slot, each
 * with the memfd and its offset in it; userspace_addr is where nexit has
 * it mapped, the address space SET_VRING_ADDR speaks in.
 */
static int vu_mem(void *be, const struct nx_mem *mem)
{
	struct nx_vhost_user *u = be;
	struct vhu_msg m = { .request = VHU_SET_MEM_TABLE };
	int fds[NX_VHU_MAX_REGIONS];

	if (mem->memfd < 0 || mem->nregions > NX_VHU_MAX_REGIONS)
		return nx_error("vhost-user %s: guest RAM is not a shareable memfd", u->path);
	m.p.mem.nregions = (uint32_t)mem->nregions;
	for (int i = 0; i < mem->nregions; i++) {
		const struct nx_mem_region *r = &mem->regions[i];

		m.p.mem.r[i] = (struct vhu_region){ .gpa = r->gpa, .size = r->size,
			.uaddr = (uint64_t)(uintptr_t)r->hva,
			.mmap_offset = (uint64_t)(r->hva - mem->base) };
		fds[i] = mem->memfd;
	}
	m.size = 8 + (uint32_t)sizeof(struct vhu_region) * (uint32_t)mem->nregions;
	return send_msg(u, &m, fds, (unsigned)mem->nregions);
}

static int vu_num(void *u, unsigned idx, unsigned num)
{
	struct vhu_msg m = { .request = VHU_SET_VRING_NUM, .size = sizeof(struct vhu_state),
			     .p.state = { idx, num } };

	return send_msg(u, &m, NULL, 0);
}

static int vu_base(void *u, unsigned idx, unsigned base)
{
	struct vhu_msg m = { .request = VHU_SET_VRING_BASE, .size = sizeof(struct vhu_state),
			     .p.state = { idx, base } };

	return send_msg(u, &m, NULL, 0);
}

static int vu_addr(void *u, unsigned idx, const void *desc, const void *avail, const void *used)
{
	struct vhu_msg m = { .request = VHU_SET_VRING_ADDR, .size = sizeof(struct vhu_addr),
			     .p.addr = { .index = idx, .desc = (uintptr_t)desc,
					 .used = (uintptr_t)used, .avail = (uintptr_t)avail } };

	return send_msg(u, &m, NULL, 0);
}

/* SET_VRING_KICK / SET_VRING_CALL: u64 = index, the fd rides along. */
static int vring_fd(void *u, uint32_t req, unsigned idx, int fd)
{
	struct vhu_msg m = { .request = req, .size = sizeof(uint64_t), .p.u64 = idx };

	if (fd < 0)
		m.p.u64 |= VHU_VRING_NOFD;
	return send_msg(u, &m, fd >= 0 ? &fd : NULL, fd >= 0 ? 1 : 0);
}

static int vu_kick(void *u, unsigned idx, int fd)
{
	return vring_fd(u, VHU_SET_VRING_KICK, idx, fd);
}

static int vu_call(void *u, unsigned idx, int fd)
{
	return vring_fd(u, VHU_SET_VRING_CALL, idx, fd);
}

static int vu_get_base(void *u, unsigned idx, unsigned *base)
{
	struct vhu_msg m = { .request = VHU_GET_VRING_BASE, .size = sizeof(struct vhu_state),
			     .p.state = { idx, 0 } };

	if (call(u, &m, sizeof(struct vhu_state)) < 0)
		return -1;
	*base = m.p.state.num;
	return 0;
}

/* No VHOST_USER_F_PROTOCOL_FEATURES: a ring runs once it has a kick fd. */
const struct nx_vhost_ops nx_vhost_user_ops = {
	.kind = "vhost-user", .set_features = vu_features, .set_mem_table = vu_mem,
	.set_vring_num = vu_num, .set_vring_base = vu_base, .set_vring_addr = vu_addr,
	.set_vring_kick = vu_kick, .set_vring_call = vu_call, .get_vring_base = vu_get_base,
};

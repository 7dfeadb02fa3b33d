/* SPDX-License-Identifier: MIT */
/*
 * vhost-user-loop.c - a minimal vhost-user backend ("slave", QEMU
 * docs/interop/vhost-user.rst) for the nested real-driver test: it serves
 * one virtio-net device (receiveq1 = ring 0, transmitq1 = ring 1, split
 * rings, virtio 1.1 2.6) and loops every transmitted frame back into the
 * receive ring. So a Linux guest's TX completions and RX interrupts both
 * come from this process through the call eventfds nexit made KVM irqfds,
 * without nexit on the path. Built static for the L1 initramfs.
 *
 *   vhost-user-loop SOCKET      listens on SOCKET, serves one frontend,
 *                               exits when it hangs up, printing
 *                               "VHU-LOOP tx=N rx=N calls=N"
 *
 * Only the messages nexit sends are understood (passthrough/vhost_user.c):
 * no protocol features, so every ring runs once it has a kick fd.
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>

enum {
	GET_FEATURES = 1, SET_FEATURES = 2, SET_OWNER = 3, SET_MEM_TABLE = 5,
	SET_VRING_NUM = 8, SET_VRING_ADDR = 9, SET_VRING_BASE = 10, GET_VRING_BASE = 11,
	SET_VRING_KICK = 12, SET_VRING_CALL = 13,
};
#define FLAG_REPLY		(1u << 2)
#define VERSION			1u
#define VRING_NOFD		(1ull << 8)
#define F_VERSION_1		(1ull << 32)
#define MAX_REGIONS		8
#define NET_HDR			12	/* struct virtio_net_hdr_v1 (5.1.6) */
#define DESC_F_NEXT		1
#define DESC_F_WRITE		2
#define AVAIL_F_NO_INTERRUPT	1

struct msg {
	uint32_t request, flags, size;
	union {
		uint64_t u64;
		struct { uint32_t index, num; } state;
		struct { uint32_t index, flags; uint64_t desc, used, avail, log; } addr;
		struct { uint32_t n, pad; struct { uint64_t gpa, size, uaddr, off; } r[MAX_REGIONS]; } mem;
		uint8_t raw[4096];
	} p;
} __attribute__((packed));

struct desc { uint64_t addr; uint32_t len; uint16_t flags, next; };
struct ring {
	unsigned num;
	uint16_t last_avail;
	struct desc *desc;
	uint16_t *avail;	/* flags, idx, ring[num] */
	uint8_t *used;		/* flags, idx, {id, len}[num] */
	int kick, call;
};

static struct region { uint64_t gpa, size, uaddr; uint8_t *host; } reg[MAX_REGIONS];
static unsigned nreg;
static struct ring rings[2];
static unsigned long n_tx, n_rx, n_calls;

static void *uva(uint64_t a, uint64_t len)
{
	for (unsigned i = 0; i < nreg; i++)
		if (a >= reg[i].uaddr && a - reg[i].uaddr + len <= reg[i].size)
			return reg[i].host + (a - reg[i].uaddr);
	return NULL;
}

static void *gpa(uint64_t a, uint64_t len)
{
	for (unsigned i = 0; i < nreg; i++)
		if (a >= reg[i].gpa && a - reg[i].gpa + len <= reg[i].size)
			return reg[i].host + (a - reg[i].gpa);
	return NULL;
}

static void push_used(struct ring *r, uint16_t head, uint32_t len)
{
	uint16_t idx = __atomic_load_n((uint16_t *)(r->used + 2), __ATOMIC_RELAXED);
	uint8_t *e = r->used + 4 + 8 * (idx % r->num);
	uint32_t id = head;

	memcpy(e, &id, 4);
	memcpy(e + 4, &len, 4);
	__atomic_store_n((uint16_t *)(r->used + 2), (uint16_t)(idx + 1), __ATOMIC_RELEASE);
}

static void notify(struct ring *r)
{
	uint64_t one = 1;

	if (r->call >= 0 && !(__atomic_load_n(&r->avail[0], __ATOMIC_ACQUIRE) & AVAIL_F_NO_INTERRUPT) &&
	    write(r->call, &one, 8) == 8)
		n_calls++;
}

/* Copies frame (len bytes, virtio-net header first) into the next receive
 * buffer chain; false if the guest posted none. */
static int rx_one(const uint8_t *frame, uint32_t len)
{
	struct ring *r = &rings[0];
	uint16_t avail_idx, head, i;
	uint32_t done = 0;

	if (!r->desc)
		return 0;
	avail_idx = __atomic_load_n(&r->avail[1], __ATOMIC_ACQUIRE);
	if (r->last_avail == avail_idx)
		return 0;
	head = r->avail[2 + r->last_avail % r->num];
	for (i = head; done < len; i = r->desc[i % r->num].next) {
		struct desc *d = &r->desc[i % r->num];
		uint32_t n = len - done < d->len ? len - done : d->len;
		uint8_t *p = (d->flags & DESC_F_WRITE) ? gpa(d->addr, n) : NULL;

		if (!p)
			break;
		memcpy(p, frame + done, n);
		done += n;
		if (!(d->flags & DESC_F_NEXT))
			break;
	}
	r->last_avail++;
	push_used(r, head, done);
	n_rx++;
	return 1;
}

/* Transmit ring kicked: every new chain is one frame; complete it and
 * loop it back. */
static void tx_drain(void)
{
	struct ring *r = &rings[1];
	static uint8_t frame[65536 + NET_HDR];
	int rx = 0, tx = 0;

	if (!r->desc)
		return;
	for (;;) {
		uint16_t avail_idx = __atomic_load_n(&r->avail[1], __ATOMIC_ACQUIRE), head;
		uint32_t len = 0;

		if (r->last_avail == avail_idx)
			break;
		head = r->avail[2 + r->last_avail % r->num];
		for (uint16_t i = head;; i = r->desc[i % r->num].next) {
			struct desc *d = &r->desc[i % r->num];
			uint8_t *p = gpa(d->addr, d->len);

			if (p && len + d->len <= sizeof(frame)) {
				memcpy(frame + len, p, d->len);
				len += d->len;
			}
			if (!(d->flags & DESC_F_NEXT))
				break;
		}
		r->last_avail++;
		push_used(r, head, 0);
		tx++;
		n_tx++;
		if (len >= NET_HDR) {
			memset(frame, 0, NET_HDR);
			frame[10] = 1;		/* num_buffers = 1 */
			rx += rx_one(frame, len);
		}
	}
	if (tx)
		notify(r);
	if (rx)
		notify(&rings[0]);
}

static int recv_msg(int s, struct msg *m, int *fds, int *nfds)
{
	char ctl[CMSG_SPACE(sizeof(int) * MAX_REGIONS)];
	struct iovec iov = { m, 12 };
	struct msghdr h = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
			    .msg_controllen = sizeof(ctl) };
	ssize_t n = recvmsg(s, &h, MSG_CMSG_CLOEXEC);

	*nfds = 0;
	if (n != 12)
		return -1;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&h); c; c = CMSG_NXTHDR(&h, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
			*nfds = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
			memcpy(fds, CMSG_DATA(c), sizeof(int) * (size_t)*nfds);
		}
	if (m->size > sizeof(m->p))
		return -1;
	return m->size && recv(s, &m->p, m->size, MSG_WAITALL) != (ssize_t)m->size ? -1 : 0;
}

static void reply(int s, struct msg *m, uint32_t size)
{
	m->flags = VERSION | FLAG_REPLY;
	m->size = size;
	if (write(s, m, 12 + size) != (ssize_t)(12 + size))
		perror("vhost-user-loop: reply");
}

static int handle(int s, struct msg *m, int *fds, int nfds)
{
	struct ring *r = m->p.state.index < 2 ? &rings[m->p.state.index] : NULL;

	switch (m->request) {
	case GET_FEATURES:
		m->p.u64 = F_VERSION_1;
		reply(s, m, 8);
		break;
	case SET_FEATURES:
	case SET_OWNER:
		break;
	case SET_MEM_TABLE:
		nreg = 0;
		for (unsigned i = 0; i < m->p.mem.n && i < (unsigned)nfds && i < MAX_REGIONS; i++) {
			uint8_t *map = mmap(NULL, m->p.mem.r[i].size + m->p.mem.r[i].off,
					    PROT_READ | PROT_WRITE, MAP_SHARED, fds[i], 0);

			close(fds[i]);
			if (map == MAP_FAILED)
				return -1;
			reg[nreg++] = (struct region){ m->p.mem.r[i].gpa, m->p.mem.r[i].size,
						       m->p.mem.r[i].uaddr, map + m->p.mem.r[i].off };
		}
		break;
	case SET_VRING_NUM:
		if (!r || !m->p.state.num || m->p.state.num > 32768)
			return -1;
		r->num = m->p.state.num;
		break;
	case SET_VRING_BASE:
		if (!r)
			return -1;
		r->last_avail = (uint16_t)m->p.state.num;
		break;
	case SET_VRING_ADDR:
		r = m->p.addr.index < 2 ? &rings[m->p.addr.index] : NULL;
		if (!r || !r->num)
			return -1;
		r->desc = uva(m->p.addr.desc, 16ull * r->num);
		r->avail = uva(m->p.addr.avail, 4 + 2ull * r->num);
		r->used = uva(m->p.addr.used, 4 + 8ull * r->num);
		if (!r->desc || !r->avail || !r->used)
			return -1;
		break;
	case GET_VRING_BASE:
		if (!r)
			return -1;
		m->p.state.num = r->last_avail;
		r->desc = NULL;
		reply(s, m, 8);
		break;
	case SET_VRING_KICK:
	case SET_VRING_CALL: {
		unsigned idx = (unsigned)(m->p.u64 & 0xff);
		int fd = (m->p.u64 & VRING_NOFD) || nfds < 1 ? -1 : fds[0];

		if (idx > 1)
			return -1;
		int *slot = m->request == SET_VRING_KICK ? &rings[idx].kick : &rings[idx].call;
		if (*slot >= 0)
			close(*slot);
		*slot = fd;
		break;
	}
	default:
		fprintf(stderr, "vhost-user-loop: ignoring request %u\n", m->request);
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	static struct msg m;
	int l, s, fds[MAX_REGIONS], nfds;

	if (argc != 2 || strlen(argv[1]) >= sizeof(a.sun_path)) {
		fprintf(stderr, "usage: vhost-user-loop SOCKET\n");
		return 2;
	}
	rings[0].kick = rings[0].call = rings[1].kick = rings[1].call = -1;
	strcpy(a.sun_path, argv[1]);
	unlink(argv[1]);
	l = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(l, 1) < 0) {
		perror("vhost-user-loop: listen");
		return 1;
	}
	s = accept(l, NULL, NULL);
	if (s < 0) {
		perror("vhost-user-loop: accept");
		return 1;
	}
	for (;;) {
		struct pollfd p[3] = { { s, POLLIN, 0 }, { rings[1].kick, POLLIN, 0 },
				       { rings[0].kick, POLLIN, 0 } };
		uint64_t v;

		if (poll(p, 3, -1) < 0 && errno != EINTR)
			break;
		if (p[0].revents) {
			if (recv_msg(s, &m, fds, &nfds) < 0 || handle(s, &m, fds, nfds) < 0)
				break;
		}
		/* A kick on either ring: the guest posted TX frames or RX buffers. */
		if (p[1].revents & POLLIN && read(rings[1].kick, &v, 8) < 0)
			break;
		if (p[2].revents & POLLIN && read(rings[0].kick, &v, 8) < 0)
			break;
		if (p[1].revents || p[2].revents)
			tx_drain();
	}
	printf("VHU-LOOP tx=%lu rx=%lu calls=%lu\n", n_tx, n_rx, n_calls);
	return 0;
}

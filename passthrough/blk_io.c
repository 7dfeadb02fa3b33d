/* SPDX-License-Identifier: MIT */
/*
 * blk_io.c - the I/O thread of one virtio-blk queue. It sleeps in exactly
 * one place, io_uring_submit_and_wait, and everything wakes it through the
 * ring (liburing):
 *  - the guest's kick: an 8-byte read of the queue's kick eventfd, which is
 *    the KVM ioeventfd of the notify address, so a kick costs no exit;
 *  - disk completions: readv/writev/fsync on the image at the request's
 *    offset, straight into and out of guest RAM;
 *  - stop: a read of a private eventfd (device reset, VM end).
 * Completions go to the used ring; one write to the call eventfd (the queue
 * vector's KVM irqfd) interrupts the guest, again without an exit.
 *
 * Flush (VIRTIO_BLK_F_FLUSH, 5.2.6.4): the device has a volatile write
 * cache, the host page cache. A FLUSH completes only after fdatasync of the
 * image, which covers every write completed before the flush was submitted
 * (a write completes only after the kernel took it), which is what the
 * driver may assume; FUA is the driver's write + flush.
 *
 * Hostile guests: a bad chain completes with IOERR (or length 0 when it has
 * no status byte); a broken ring stops being read and the device asks for a
 * reset (cfg->broken). Reports are rate-limited, the counters are not. The
 * requests in flight are bounded by the slot pool (queue size); a guest that
 * posts the same head twice only waits for its slots.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <liburing.h>
#include <sys/eventfd.h>
#include "passthrough/virtio.h"
#include "core/sandbox.h"

#define UD_KICK		(~0ull)
#define UD_STOP		(~0ull - 1)
#define MAX_REPORTS	5
#define STOP_WAIT_S	5

struct slot {
	struct nx_blk_req req;
	uint16_t head;
	int next_free;
};

struct nx_blk_io {
	struct nx_blk_io_cfg c;
	struct nx_blk_stats *st;
	struct nx_vring vr;
	struct io_uring ring;
	struct slot *slots;
	int free_head;
	unsigned inflight;
	int stop_fd;
	uint64_t kick_buf, stop_buf;
	bool stopping, broken_told;
	unsigned reports;
	pthread_t thread;
	char name[40];
};

static void report(struct nx_blk_io *io, const char *what, const char *why)
{
	if (io->reports >= MAX_REPORTS)
		return;
	io->reports++;
	nx_warn("virtio-blk %s: %s: %s%s", io->name, what, why,
		io->reports == MAX_REPORTS ? " (further reports suppressed, see the stats)" : "");
}

static struct io_uring_sqe *sqe(struct nx_blk_io *io)
{
	struct io_uring_sqe *s = io_uring_get_sqe(&io->ring);

	/* Sized for every slot plus the two eventfd reads: never full; if
	 * it were, submitting makes room. */
	if (!s) {
		io_uring_submit(&io->ring);
		s = io_uring_get_sqe(&io->ring);
	}
	return s;
}

static void arm_read(struct nx_blk_io *io, int fd, uint64_t *buf, uint64_t ud)
{
	struct io_uring_sqe *s = sqe(io);

	io_uring_prep_read(s, fd, buf, sizeof(*buf), 0);
	io_uring_sqe_set_data64(s, ud);
}

static void complete(struct nx_blk_io *io, uint16_t head, struct nx_blk_req *r, int status)
{
	if (r->status) {
		*r->status = (uint8_t)status;
		nx_vring_push(&io->vr, head, status == NX_BLK_S_OK ? r->used_len : 1);
	} else {
		nx_vring_push(&io->vr, head, 0);
	}
	if (status == NX_BLK_S_IOERR)
		atomic_fetch_add(&io->st->ioerr, 1);
	else if (status == NX_BLK_S_UNSUPP)
		atomic_fetch_add(&io->st->unsupp, 1);
}

static void submit(struct nx_blk_io *io, int idx)
{
	struct nx_blk_req *r = &io->slots[idx].req;
	struct io_uring_sqe *s = sqe(io);
	off_t off = (off_t)(r->sector * NX_BLK_SECTOR);

	switch (r->type) {
	case NX_BLK_T_IN:
		io_uring_prep_readv(s, io->c.img_fd, r->iov, r->niov, off);
		break;
	case NX_BLK_T_OUT:
		io_uring_prep_writev(s, io->c.img_fd, r->iov, r->niov, off);
		break;
	default:	/* FLUSH */
		io_uring_prep_fsync(s, io->c.img_fd, IORING_FSYNC_DATASYNC);
		break;
	}
	io_uring_sqe_set_data64(s, (uint64_t)idx);
	io->inflight++;
}

/* Takes what the driver made available while slots are free. */
static void take_requests(struct nx_blk_io *io)
{
	struct nx_vq_seg segs[NX_BLK_SEG_MAX + 2];

	do {
		nx_vring_notify(&io->vr, false);
		while (io->free_head >= 0) {
			uint16_t head;
			int idx, n, st, got = nx_vring_pop(&io->vr, &head);
			const char *why = "";

			if (got < 0 && !io->broken_told) {
				io->broken_told = true;
				if (io->c.broken)
					io->c.broken(io->c.opaque, io->vr.why);
			}
			if (got <= 0)
				break;
			atomic_fetch_add(&io->st->requests, 1);
			idx = io->free_head;
			n = nx_vring_chain(&io->vr, head, segs, NX_BLK_SEG_MAX + 2, &why);
			if (n < 0) {
				atomic_fetch_add(&io->st->bad_chains, 1);
				report(io, "bad descriptor chain", why);
				nx_vring_push(&io->vr, head, 0);
				continue;
			}
			st = nx_blk_parse(segs, (unsigned)n, io->c.disk, &io->slots[idx].req, &why);
			if (st >= 0) {
				if (st != NX_BLK_S_OK)
					report(io, "request refused", why);
				else if (io->slots[idx].req.type == NX_BLK_T_GET_ID)
					atomic_fetch_add(&io->st->ids, 1);
				complete(io, head, &io->slots[idx].req, st);
				continue;
			}
			io->slots[idx].head = head;
			io->free_head = io->slots[idx].next_free;
			submit(io, idx);
		}
		/* Out of slots: completions resume taking. Else re-enable kicks
		 * and look once more (a buffer may have come meanwhile). */
	} while (io->free_head >= 0 && nx_vring_notify(&io->vr, true));
}

static void finish(struct nx_blk_io *io, int idx, int res)
{
	struct slot *s = &io->slots[idx];
	struct nx_blk_req *r = &s->req;
	bool ok = r->type == NX_BLK_T_FLUSH ? res == 0 : res >= 0 && (uint64_t)res == r->len;

	if (!ok) {
		char why[96];
		snprintf(why, sizeof(why), "sector %llu, %llu bytes: %s",
			 (unsigned long long)r->sector, (unsigned long long)r->len,
			 res < 0 ? strerror(-res) : "short transfer");
		report(io, r->type == NX_BLK_T_IN ? "read failed" : r->type == NX_BLK_T_OUT ?
		       "write failed" : "flush failed", why);
	} else if (r->type == NX_BLK_T_IN) {
		atomic_fetch_add(&io->st->reads, 1);
		atomic_fetch_add(&io->st->bytes_read, r->len);
		r->used_len = (uint32_t)r->len + 1;
	} else if (r->type == NX_BLK_T_OUT) {
		atomic_fetch_add(&io->st->writes, 1);
		atomic_fetch_add(&io->st->bytes_written, r->len);
	} else {
		atomic_fetch_add(&io->st->flushes, 1);
	}
	complete(io, s->head, r, ok ? NX_BLK_S_OK : NX_BLK_S_IOERR);
	s->next_free = io->free_head;
	io->free_head = idx;
	io->inflight--;
}

static void interrupt(struct nx_blk_io *io)
{
	uint64_t one = 1;

	if (!nx_vring_publish(&io->vr))
		return;
	if (write(io->c.call_fd, &one, sizeof(one)) == sizeof(one))
		atomic_fetch_add(&io->st->interrupts, 1);
}

static void *io_thread(void *arg)
{
	struct nx_blk_io *io = arg;

	arm_read(io, io->c.kick_fd, &io->kick_buf, UD_KICK);
	arm_read(io, io->stop_fd, &io->stop_buf, UD_STOP);
	/* Buffers may be there before the first kick (2.6.7: kicks can be off). */
	take_requests(io);
	interrupt(io);
	while (!io->stopping || io->inflight) {
		struct io_uring_cqe *cqe;
		unsigned head, seen = 0;
		bool kicked = false, freed = false;
		int r = io_uring_submit_and_wait(&io->ring, 1);

		if (r < 0 && r != -EINTR && r != -EAGAIN && r != -EBUSY) {
			nx_warn("virtio-blk %s: io_uring: %s: queue stopped", io->name, strerror(-r));
			break;
		}
		io_uring_for_each_cqe(&io->ring, head, cqe) {
			uint64_t ud = io_uring_cqe_get_data64(cqe);

			seen++;
			if (ud == UD_KICK) {
				atomic_fetch_add(&io->st->kicks, 1);
				kicked = true;
			} else if (ud == UD_STOP) {
				io->stopping = true;
			} else if (ud < io->c.qsize) {
				finish(io, (int)ud, cqe->res);
				freed = true;
			}
		}
		io_uring_cq_advance(&io->ring, seen);
		if (kicked && !io->stopping)
			arm_read(io, io->c.kick_fd, &io->kick_buf, UD_KICK);
		if ((kicked || freed) && !io->stopping)
			take_requests(io);
		interrupt(io);
	}
	return NULL;
}

struct nx_blk_io *nx_blk_io_start(const struct nx_blk_io_cfg *c)
{
	struct nx_blk_io *io = calloc(1, sizeof(*io));
	char why[128];
	unsigned entries = 4;
	int r;

	if (!io)
		return nx_error_null("out of memory");
	io->c = *c;
	io->st = c->stats;
	snprintf(io->name, sizeof(io->name), "%s", c->name);
	if (nx_vring_init(&io->vr, c->mem, c->qsize, c->desc, c->avail, c->used, why,
			  sizeof(why)) < 0) {
		nx_error("virtio-blk %s: %s", io->name, why);
		free(io);
		return NULL;
	}
	io->slots = calloc(c->qsize, sizeof(*io->slots));
	io->stop_fd = eventfd(0, EFD_CLOEXEC);
	if (!io->slots || io->stop_fd < 0) {
		nx_error("virtio-blk %s: out of memory or eventfds", io->name);
		goto fail;
	}
	for (int i = 0; i < c->qsize; i++)
		io->slots[i].next_free = i + 1 < c->qsize ? i + 1 : -1;
	while (entries < (unsigned)c->qsize + 2u)
		entries <<= 1;
	r = io_uring_queue_init(entries, &io->ring, 0);
	if (r < 0) {
		nx_error("virtio-blk %s: io_uring_queue_init: %s (io_uring disabled? "
			 "sysctl kernel.io_uring_disabled)", io->name, strerror(-r));
		goto fail;
	}
	if (nx_thread_start(&io->thread, io_thread, io, "nexit-blk", NX_SANDBOX_KIND_EVENT) < 0) {
		io_uring_queue_exit(&io->ring);
		goto fail;
	}
	return io;
fail:
	if (io->stop_fd >= 0)
		close(io->stop_fd);
	free(io->slots);
	free(io);
	return NULL;
}

void nx_blk_io_stop(struct nx_blk_io *io)
{
	uint64_t one = 1;
	struct timespec ts;

	if (!io)
		return;
	if (write(io->stop_fd, &one, sizeof(one)) != sizeof(one))
		nx_warn("virtio-blk %s: cannot signal the I/O thread", io->name);
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += STOP_WAIT_S;
	if (pthread_timedjoin_np(io->thread, NULL, &ts) != 0) {
		/* A request stuck in the host's storage: the thread keeps its
		 * state (guest RAM stays mapped until nexit exits). */
		nx_warn("virtio-blk %s: %u requests still in flight after %d s: I/O thread left "
			"running", io->name, io->inflight, STOP_WAIT_S);
		return;
	}
	io_uring_queue_exit(&io->ring);
	close(io->stop_fd);
	free(io->slots);
	free(io);
}

/* SPDX-License-Identifier: MIT */
/*
 * test_virtio_blk.c - virtio-blk's data path without KVM, over a fake
 * guest: a malloc'd "guest RAM" (struct nx_mem) holding a split virtqueue
 * that the test drives as a driver would, and a temporary image file.
 *  - virtq.c: chains and rings a hostile driver writes (loops, indices past
 *    the ring, buffers outside RAM, indirect, readable after writable, an
 *    available index that jumps) are refused, never followed;
 *  - blk_req.c: headers split over buffers, the status byte sharing a data
 *    buffer, lengths that are not whole sectors, sectors past the end (and
 *    a sector number that overflows), writes to a read-only disk, GET_ID;
 *  - blk_io.c: the real I/O thread with io_uring: a kick eventfd in, a
 *    call eventfd out; reads, writes, flush, a batch, bad requests in the
 *    middle of good ones, a broken ring, NO_INTERRUPT.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <cmocka.h>
#include "passthrough/virtio.h"

#define RAM		(4u << 20)
#define QS		16
#define DESC		0x1000
#define AVAIL		0x2000
#define USED		0x3000
#define HDR		0x8000		/* request headers, 16 bytes each */
#define STATUS		0x9000		/* status bytes */
#define DATA		0x10000		/* data buffers, 4 KiB each */
#define SECTORS		128

struct fx {
	struct nx_mem mem;
	uint8_t *ram;
	struct nx_blk_disk disk;
	char img[64];
	int img_fd, kick, call;
	struct nx_blk_stats st;
	struct nx_blk_io *io;
	uint16_t avail_idx, used_seen;
	int broken_calls;
	char broken_why[96];
};

static struct nx_vring_desc *desc(struct fx *f) { return (void *)(f->ram + DESC); }
static uint16_t *avail(struct fx *f) { return (void *)(f->ram + AVAIL); }
static uint16_t used_idx(struct fx *f) { return *(volatile uint16_t *)(f->ram + USED + 2); }
static void used_elem(struct fx *f, uint16_t i, uint32_t *id, uint32_t *len)
{
	memcpy(id, f->ram + USED + 4 + 8 * (i % QS), 4);
	memcpy(len, f->ram + USED + 8 + 8 * (i % QS), 4);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	uint8_t zero[512] = { 0 };

	f->ram = aligned_alloc(4096, RAM);
	memset(f->ram, 0, RAM);
	f->mem.memfd = -1;
	f->mem.base = f->ram;
	f->mem.size = RAM;
	f->mem.regions[0] = (struct nx_mem_region){ .gpa = 0, .size = RAM, .hva = f->ram };
	f->mem.nregions = 1;
	f->disk.sectors = SECTORS;
	memcpy(f->disk.serial, "TESTSERIAL", 10);
	snprintf(f->img, sizeof(f->img), "/tmp/nexit-blk-test.XXXXXX");
	f->img_fd = mkstemp(f->img);
	assert_true(f->img_fd >= 0);
	for (int i = 0; i < SECTORS; i++)
		assert_int_equal(write(f->img_fd, zero, sizeof(zero)), sizeof(zero));
	f->kick = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	f->call = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	nx_blk_io_stop(f->io);
	close(f->img_fd);
	unlink(f->img);
	close(f->kick);
	close(f->call);
	free(f->ram);
	free(f);
	return 0;
}

/* ---- a tiny driver ------------------------------------------------------- */
static void put_desc(struct fx *f, uint16_t i, uint64_t addr, uint32_t len, uint16_t flags,
		     uint16_t next)
{
	desc(f)[i] = (struct nx_vring_desc){ addr, len, flags, next };
}

static void put_hdr(struct fx *f, unsigned slot, uint32_t type, uint64_t sector)
{
	uint32_t h[4] = { type, 0, (uint32_t)sector, (uint32_t)(sector >> 32) };

	memcpy(f->ram + HDR + 16 * slot, h, 16);
}

/* A three-descriptor request at descriptors 3*slot.. with data buffer slot. */
static uint16_t req3(struct fx *f, unsigned slot, uint32_t type, uint64_t sector, uint32_t len)
{
	uint16_t d = (uint16_t)(3 * slot);
	uint16_t wflag = type == NX_BLK_T_IN ? NX_VRING_DESC_F_WRITE : 0;

	put_hdr(f, slot, type, sector);
	f->ram[STATUS + slot] = 0xee;
	put_desc(f, d, HDR + 16 * slot, 16, NX_VRING_DESC_F_NEXT, d + 1);
	put_desc(f, d + 1, DATA + 4096 * slot, len, NX_VRING_DESC_F_NEXT | wflag, d + 2);
	put_desc(f, d + 2, STATUS + slot, 1, NX_VRING_DESC_F_WRITE, 0);
	return d;
}

static void offer(struct fx *f, uint16_t head)
{
	avail(f)[2 + (f->avail_idx % QS)] = head;
	f->avail_idx++;
	__atomic_store_n(&avail(f)[1], f->avail_idx, __ATOMIC_RELEASE);
}

static void kick(struct fx *f)
{
	uint64_t one = 1;
	assert_int_equal(write(f->kick, &one, 8), 8);
}

/* Waits for the call eventfd and for used idx to reach n. */
static bool wait_used(struct fx *f, uint16_t n)
{
	for (int i = 0; i < 300 && used_idx(f) != n; i++) {
		struct pollfd p = { .fd = f->call, .events = POLLIN };
		uint64_t v;

		if (poll(&p, 1, 10) == 1 && read(f->call, &v, 8) != 8)
			return false;
	}
	return used_idx(f) == n;
}

static void on_broken(void *opaque, const char *why)
{
	struct fx *f = opaque;

	f->broken_calls++;
	snprintf(f->broken_why, sizeof(f->broken_why), "%s", why);
}

static void start(struct fx *f)
{
	struct nx_blk_io_cfg c = { .mem = &f->mem, .img_fd = f->img_fd, .disk = &f->disk,
				   .qsize = QS, .desc = DESC, .avail = AVAIL, .used = USED,
				   .kick_fd = f->kick, .call_fd = f->call, .stats = &f->st,
				   .name = "test", .broken = on_broken, .opaque = f };

	f->io = nx_blk_io_start(&c);
	assert_non_null(f->io);
}

/* ---- virtq.c ------------------------------------------------------------- */
static void ring_of(struct fx *f, struct nx_vring *r)
{
	char why[96];
	assert_int_equal(nx_vring_init(r, &f->mem, QS, DESC, AVAIL, USED, why, sizeof(why)), 0);
}

static void test_chain_good(void **state)
{
	struct fx *f = *state;
	struct nx_vring r;
	struct nx_vq_seg s[8];
	const char *why = "";

	ring_of(f, &r);
	req3(f, 0, NX_BLK_T_IN, 0, 4096);
	assert_int_equal(nx_vring_chain(&r, 0, s, 8, &why), 3);
	assert_ptr_equal(s[0].hva, f->ram + HDR);
	assert_false(s[0].write);
	assert_true(s[1].write && s[1].len == 4096);
	assert_true(s[2].write && s[2].len == 1);
}

static void test_chain_hostile(void **state)
{
	struct fx *f = *state;
	struct nx_vring r;
	struct nx_vq_seg s[8];
	const char *why = "";

	ring_of(f, &r);
	/* A loop: 0 -> 1 -> 0. */
	put_desc(f, 0, HDR, 16, NX_VRING_DESC_F_NEXT, 1);
	put_desc(f, 1, DATA, 0, NX_VRING_DESC_F_NEXT, 0);
	assert_int_equal(nx_vring_chain(&r, 0, s, 8, &why), -1);
	assert_non_null(strstr(why, "loop"));
	/* A self-loop with zero-length buffers (nothing to collect, still bounded). */
	put_desc(f, 0, DATA, 0, NX_VRING_DESC_F_NEXT, 0);
	assert_int_equal(nx_vring_chain(&r, 0, s, 8, &why), -1);
	assert_non_null(strstr(why, "loop"));
	/* Next index past the ring; head past the ring. */
	put_desc(f, 0, HDR, 16, NX_VRING_DESC_F_NEXT, QS);
	assert_int_equal(nx_vring_chain(&r, 0, s, 8, &why), -1);
	assert_non_null(strstr(why, "past the ring"));
	assert_int_equal(nx_vring_chain(&r, QS + 3, s, 8, &why), -1);
	/* Buffers outside RAM, and one that wraps the address space. */
	put_desc(f, 0, RAM - 8, 16, 0, 0);
	assert_int_equal(nx_vring_chain(&r, 0, s, 8, &why), -1);
	assert_non_null(strstr(why, "outside guest RAM"));
	put_desc(f, 0, ~0ull - 4, 16, 0, 0);
	assert_int_equal(nx_vring_chain(&r, 0, s, 8, &why), -1);
	/* Indirect (not offered). */
	put_desc(f, 0, HDR, 16, NX_VRING_DESC_F_INDIRECT, 0);
	assert_int_equal(nx_vring_chain(&r, 0, s, 8, &why), -1);
	assert_non_null(strstr(why, "indirect"));
	/* Readable after writable. */
	put_desc(f, 0, DATA, 16, NX_VRING_DESC_F_WRITE | NX_VRING_DESC_F_NEXT, 1);
	put_desc(f, 1, HDR, 16, 0, 0);
	assert_int_equal(nx_vring_chain(&r, 0, s, 8, &why), -1);
	assert_non_null(strstr(why, "readable"));
	/* Longer than the caller takes. */
	for (uint16_t i = 0; i < 10; i++)
		put_desc(f, i, DATA + 16 * i, 16, NX_VRING_DESC_F_NEXT, i + 1);
	put_desc(f, 10, STATUS, 1, NX_VRING_DESC_F_WRITE, 0);
	assert_int_equal(nx_vring_chain(&r, 0, s, 8, &why), -1);
	assert_non_null(strstr(why, "more buffers"));
}

static void test_ring_hostile(void **state)
{
	struct fx *f = *state;
	struct nx_vring r;
	uint16_t head;
	char why[96];

	/* Set-up: misaligned, outside RAM, bad size. */
	assert_int_equal(nx_vring_init(&r, &f->mem, QS, DESC + 8, AVAIL, USED, why, sizeof(why)), -1);
	assert_int_equal(nx_vring_init(&r, &f->mem, QS, DESC, AVAIL, RAM - 16, why, sizeof(why)), -1);
	assert_int_equal(nx_vring_init(&r, &f->mem, 12, DESC, AVAIL, USED, why, sizeof(why)), -1);
	assert_int_equal(nx_vring_init(&r, &f->mem, 0, DESC, AVAIL, USED, why, sizeof(why)), -1);
	/* Nothing available, then one, then an index that jumps a whole ring. */
	ring_of(f, &r);
	assert_int_equal(nx_vring_pop(&r, &head), 0);
	offer(f, 5);
	assert_int_equal(nx_vring_pop(&r, &head), 1);
	assert_int_equal(head, 5);
	avail(f)[1] = (uint16_t)(f->avail_idx + QS + 1);
	assert_int_equal(nx_vring_pop(&r, &head), -1);
	assert_true(r.broken);
	assert_non_null(strstr(r.why, "ahead"));
	/* A head past the ring breaks it too. */
	ring_of(f, &r);
	avail(f)[1] = 0;
	f->avail_idx = 0;
	offer(f, QS);
	assert_int_equal(nx_vring_pop(&r, &head), -1);
	assert_non_null(strstr(r.why, "past a ring"));
	/* A broken ring stays broken and asks for no kicks. */
	assert_int_equal(nx_vring_pop(&r, &head), -1);
	assert_false(nx_vring_notify(&r, true));
}

static void test_publish(void **state)
{
	struct fx *f = *state;
	struct nx_vring r;
	uint32_t id, len;

	ring_of(f, &r);
	assert_false(nx_vring_publish(&r));		/* nothing new: no interrupt */
	nx_vring_push(&r, 7, 513);
	assert_int_equal(used_idx(f), 0);		/* not visible before publish */
	assert_true(nx_vring_publish(&r));
	assert_int_equal(used_idx(f), 1);
	used_elem(f, 0, &id, &len);
	assert_int_equal(id, 7);
	assert_int_equal(len, 513);
	avail(f)[0] = NX_VRING_AVAIL_F_NO_INTERRUPT;
	nx_vring_push(&r, 8, 1);
	assert_false(nx_vring_publish(&r));		/* the driver asked for none */
	assert_int_equal(used_idx(f), 2);
}

/* ---- blk_req.c ---------------------------------------------------------- */
static int parse(struct fx *f, struct nx_vq_seg *s, unsigned n, struct nx_blk_req *r,
		 const char **why)
{
	return nx_blk_parse(s, n, &f->disk, r, why);
}

static void hdr_bytes(uint8_t *b, uint32_t type, uint64_t sector)
{
	uint32_t h[4] = { type, 0, (uint32_t)sector, (uint32_t)(sector >> 32) };
	memcpy(b, h, 16);
}

static void test_parse(void **state)
{
	struct fx *f = *state;
	struct nx_blk_req r;
	uint8_t h[16], data[1024], st[4];
	const char *why = "";

	/* IN: header split 8 + 8, data 1024, status alone. */
	hdr_bytes(h, NX_BLK_T_IN, 3);
	struct nx_vq_seg in[] = { { h, 8, false }, { h + 8, 8, false }, { data, 1024, true },
				  { st, 1, true } };
	assert_int_equal(parse(f, in, 4, &r, &why), -1);
	assert_int_equal(r.type, NX_BLK_T_IN);
	assert_int_equal(r.sector, 3);
	assert_int_equal(r.len, 1024);
	assert_int_equal(r.niov, 1);
	assert_ptr_equal(r.status, st);
	/* The status byte shares the last buffer with data (no framing, 2.6.4). */
	struct nx_vq_seg shared[] = { { h, 16, false }, { data, 513, true } };
	assert_int_equal(parse(f, shared, 2, &r, &why), -1);
	assert_int_equal(r.len, 512);
	assert_ptr_equal(r.status, data + 512);
	/* Not whole sectors. */
	struct nx_vq_seg odd[] = { { h, 16, false }, { data, 100, true }, { st, 1, true } };
	assert_int_equal(parse(f, odd, 3, &r, &why), NX_BLK_S_IOERR);
	assert_non_null(strstr(why, "sectors"));
	/* Past the end, at the end, and a sector number that overflows. */
	hdr_bytes(h, NX_BLK_T_IN, SECTORS - 1);
	assert_int_equal(parse(f, in, 4, &r, &why), NX_BLK_S_IOERR);
	assert_non_null(strstr(why, "past the end"));
	hdr_bytes(h, NX_BLK_T_IN, SECTORS - 2);
	assert_int_equal(parse(f, in, 4, &r, &why), -1);
	hdr_bytes(h, NX_BLK_T_IN, ~0ull - 1);
	assert_int_equal(parse(f, in, 4, &r, &why), NX_BLK_S_IOERR);
	/* OUT: data is the readable part after the header. */
	hdr_bytes(h, NX_BLK_T_OUT, 0);
	struct nx_vq_seg out[] = { { h, 16, false }, { data, 512, false }, { st, 1, true } };
	assert_int_equal(parse(f, out, 3, &r, &why), -1);
	assert_int_equal(r.len, 512);
	assert_ptr_equal(r.iov[0].iov_base, data);
	f->disk.readonly = true;
	assert_int_equal(parse(f, out, 3, &r, &why), NX_BLK_S_IOERR);
	assert_non_null(strstr(why, "read-only"));
	f->disk.readonly = false;
	/* No status byte at all; a header too short; an unknown type. */
	struct nx_vq_seg nost[] = { { h, 16, false }, { data, 512, false } };
	assert_int_equal(parse(f, nost, 2, &r, &why), NX_BLK_S_IOERR);
	assert_null(r.status);
	struct nx_vq_seg shorth[] = { { h, 10, false }, { st, 1, true } };
	assert_int_equal(parse(f, shorth, 2, &r, &why), NX_BLK_S_IOERR);
	assert_non_null(strstr(why, "header"));
	hdr_bytes(h, 99, 0);
	assert_int_equal(parse(f, out, 3, &r, &why), NX_BLK_S_UNSUPP);
	/* FLUSH; GET_ID fills at most 20 bytes. */
	hdr_bytes(h, NX_BLK_T_FLUSH, 0);
	struct nx_vq_seg fl[] = { { h, 16, false }, { st, 1, true } };
	assert_int_equal(parse(f, fl, 2, &r, &why), -1);
	hdr_bytes(h, NX_BLK_T_GET_ID, 0);
	memset(data, 'x', sizeof(data));
	struct nx_vq_seg id[] = { { h, 16, false }, { data, 64, true }, { st, 1, true } };
	assert_int_equal(parse(f, id, 3, &r, &why), NX_BLK_S_OK);
	assert_memory_equal(data, "TESTSERIAL\0\0\0\0\0\0\0\0\0\0", 20);
	assert_int_equal(data[20], 'x');
	assert_int_equal(r.used_len, 21);
}

static void test_parse_too_many_segments(void **state)
{
	struct fx *f = *state;
	struct nx_vq_seg s[NX_BLK_SEG_MAX + 5];
	struct nx_blk_req r;
	uint8_t h[16], data[512], st;
	const char *why = "";
	unsigned n = 0;

	hdr_bytes(h, NX_BLK_T_IN, 0);
	s[n++] = (struct nx_vq_seg){ h, 16, false };
	for (int i = 0; i < NX_BLK_SEG_MAX + 3; i++)
		s[n++] = (struct nx_vq_seg){ data, 512, true };
	s[n++] = (struct nx_vq_seg){ &st, 1, true };
	assert_int_equal(parse(f, s, n, &r, &why), NX_BLK_S_IOERR);
	assert_non_null(strstr(why, "seg_max"));
}

/* ---- blk_io.c: the I/O thread with io_uring ------------------------------- */
static void test_io_write_read_flush(void **state)
{
	struct fx *f = *state;
	uint8_t buf[4096];
	uint32_t id, len;

	start(f);
	memset(f->ram + DATA, 0xa5, 4096);
	offer(f, req3(f, 0, NX_BLK_T_OUT, 8, 4096));
	kick(f);
	assert_true(wait_used(f, 1));
	assert_int_equal(f->ram[STATUS], NX_BLK_S_OK);
	used_elem(f, 0, &id, &len);
	assert_int_equal(id, 0);
	assert_int_equal(len, 1);
	assert_int_equal(pread(f->img_fd, buf, 4096, 8 * 512), 4096);
	memset(f->ram + DATA + 4096, 0, 4096);
	assert_memory_equal(buf, f->ram + DATA, 4096);

	offer(f, req3(f, 1, NX_BLK_T_IN, 8, 4096));
	kick(f);
	assert_true(wait_used(f, 2));
	assert_int_equal(f->ram[STATUS + 1], NX_BLK_S_OK);
	used_elem(f, 1, &id, &len);
	assert_int_equal(id, 3);
	assert_int_equal(len, 4097);
	assert_memory_equal(f->ram + DATA + 4096, f->ram + DATA, 4096);

	put_hdr(f, 2, NX_BLK_T_FLUSH, 0);
	put_desc(f, 6, HDR + 32, 16, NX_VRING_DESC_F_NEXT, 7);
	put_desc(f, 7, STATUS + 2, 1, NX_VRING_DESC_F_WRITE, 0);
	f->ram[STATUS + 2] = 0xee;
	offer(f, 6);
	kick(f);
	assert_true(wait_used(f, 3));
	assert_int_equal(f->ram[STATUS + 2], NX_BLK_S_OK);
	assert_int_equal(atomic_load(&f->st.writes), 1);
	assert_int_equal(atomic_load(&f->st.reads), 1);
	assert_int_equal(atomic_load(&f->st.flushes), 1);
	assert_int_equal(atomic_load(&f->st.bytes_written), 4096);
	assert_true(atomic_load(&f->st.interrupts) >= 1);
}

static void test_io_batch_with_bad_requests(void **state)
{
	struct fx *f = *state;
	uint32_t id, len;
	unsigned ok = 0, bad_len0 = 0;

	start(f);
	/* Four good writes, one chain that loops, one read past the end. */
	for (unsigned s = 0; s < 4; s++) {
		memset(f->ram + DATA + 4096 * s, (int)s + 1, 512);
		offer(f, req3(f, s, NX_BLK_T_OUT, s, 512));
	}
	put_desc(f, 15, HDR, 16, NX_VRING_DESC_F_NEXT, 15);
	offer(f, 15);
	offer(f, req3(f, 4, NX_BLK_T_IN, SECTORS, 512));
	kick(f);
	assert_true(wait_used(f, 6));
	for (uint16_t i = 0; i < 6; i++) {
		used_elem(f, i, &id, &len);
		if (id == 15)
			bad_len0 += len == 0;
		else
			ok++;
	}
	assert_int_equal(bad_len0, 1);
	assert_int_equal(ok, 5);
	assert_int_equal(f->ram[STATUS + 4], NX_BLK_S_IOERR);	/* the past-the-end read */
	assert_int_equal(atomic_load(&f->st.bad_chains), 1);
	assert_int_equal(atomic_load(&f->st.ioerr), 1);
	assert_int_equal(atomic_load(&f->st.writes), 4);
	assert_int_equal(f->broken_calls, 0);
	/* The device still works after the bad ones. */
	offer(f, req3(f, 0, NX_BLK_T_IN, 0, 512));
	kick(f);
	assert_true(wait_used(f, 7));
	assert_int_equal(f->ram[STATUS], NX_BLK_S_OK);
	assert_int_equal(f->ram[DATA], 1);
}

static void test_io_broken_ring(void **state)
{
	struct fx *f = *state;

	start(f);
	offer(f, req3(f, 0, NX_BLK_T_IN, 0, 512));
	kick(f);
	assert_true(wait_used(f, 1));
	avail(f)[1] = (uint16_t)(f->avail_idx + 1000);
	kick(f);
	for (int i = 0; i < 200 && !f->broken_calls; i++)
		usleep(10000);
	assert_int_equal(f->broken_calls, 1);
	assert_non_null(strstr(f->broken_why, "ahead"));
	/* More kicks: reported once, nothing else happens, stop still joins. */
	kick(f);
	usleep(20000);
	assert_int_equal(f->broken_calls, 1);
	assert_int_equal(used_idx(f), 1);
	nx_blk_io_stop(f->io);
	f->io = NULL;
}

static void test_io_no_interrupt_and_early_buffers(void **state)
{
	struct fx *f = *state;
	struct pollfd p = { .fd = 0, .events = POLLIN };
	uint64_t v;

	/* A buffer made available before the thread starts is served
	 * without a kick; NO_INTERRUPT: no call. */
	avail(f)[0] = NX_VRING_AVAIL_F_NO_INTERRUPT;
	offer(f, req3(f, 0, NX_BLK_T_IN, 1, 512));
	start(f);
	for (int i = 0; i < 200 && used_idx(f) != 1; i++)
		usleep(5000);
	assert_int_equal(used_idx(f), 1);
	p.fd = f->call;
	assert_int_equal(poll(&p, 1, 50), 0);
	assert_int_equal(read(f->call, &v, 8), -1);
	assert_int_equal(atomic_load(&f->st.interrupts), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_chain_good, setup, teardown),
		cmocka_unit_test_setup_teardown(test_chain_hostile, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ring_hostile, setup, teardown),
		cmocka_unit_test_setup_teardown(test_publish, setup, teardown),
		cmocka_unit_test_setup_teardown(test_parse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_parse_too_many_segments, setup, teardown),
		cmocka_unit_test_setup_teardown(test_io_write_read_flush, setup, teardown),
		cmocka_unit_test_setup_teardown(test_io_batch_with_bad_requests, setup, teardown),
		cmocka_unit_test_setup_teardown(test_io_broken_ring, setup, teardown),
		cmocka_unit_test_setup_teardown(test_io_no_interrupt_and_early_buffers, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

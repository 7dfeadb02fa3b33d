/* SPDX-License-Identifier: MIT */
/*
 * blk n=N - drive the first virtio-blk device (virtio 1.1 5.2) through its
 * data path and prove that a disk request costs no VMM exit.
 *
 * Set-up in ring 0: virtio 1.x init (modern PCI transport, VERSION_1,
 * FLUSH, BLK_SIZE, RO if offered), request queue 0 with MSI-X entry 1,
 * configuration changes on entry 0, capacity from the device config.
 * The window in ring 3 (native speed on kvm_pvm): N requests one at a time,
 * alternating a 4 KiB write of a pattern and its read-back (compared), a
 * FLUSH every 32; each request is one 3-descriptor chain (header, data,
 * status), one kick (16-bit write to the notify address) and one MSI-X
 * interrupt, waited for together with the used ring. nexit's counter page
 * is read around the window: its VMM exits must be 0 (max_exits_per_req,
 * default 0).
 * After the window (exits not counted): GET_ID; with hostile=1 the chains
 * a hostile driver writes - a descriptor loop, a read past the capacity, an
 * unknown type, a length that is not whole sectors, a readable buffer after
 * a writable one - each answered without hurting the next good request,
 * then a ring broken for good (available index a whole ring ahead), which
 * must raise DEVICE_NEEDS_RESET with a configuration interrupt, and a reset
 * that brings the device back to 0.
 * Keys: n (64), qsize (64), hostile (0), expect_ro (0: the disk is writable;
 * 1: RO must be offered, writes must fail, the window only reads),
 * max_exits_per_req (0, nexit only), timeout_ms (1000 per request).
 * PROBE: capacity, serial, requests, writes, reads, flushes, mismatches,
 * irqs, req latency percentiles, vmm_exits (null without nexit's counter
 * page), vmm_exits_per_request, hostile_* results.
 */
#include "../probe.h"
#include "../virtio.h"

#define VEC_CFG		0x52
#define VEC_BLK		0x53
#define QMAX		64
#define F_RO		(1ull << 5)
#define F_BLK_SIZE	(1ull << 6)
#define F_FLUSH		(1ull << 9)
#define T_IN		0
#define T_OUT		1
#define T_FLUSH		4
#define T_GET_ID	8
#define S_OK		0
#define S_IOERR		1
#define S_UNSUPP	2
#define NONE		0xee	/* status byte before the device writes it */
#define BUF		4096
#define MAX_N		4096

static u8 ring[16384] __attribute__((aligned(4096)));
static u8 wbuf[BUF] __attribute__((aligned(4096)));
static u8 rbuf[BUF] __attribute__((aligned(4096)));
static struct { u32 type, reserved; u64 sector; } hdr __attribute__((aligned(16)));
static volatile u8 status;
static u64 lat[MAX_N];

struct blk_run {
	struct virtq *q;
	u64 cap, n, timeout_cycles;
	bool ro, have_exits;
	/* out */
	u64 requests, writes, reads, flushes, mismatches, bad_status, timeouts, irqs, exits;
	u64 nlat;
};

/* Descriptor d of the chain at head 0. */
static void desc(struct virtq *q, u16 d, const volatile void *addr, u32 len, u16 flags)
{
	q->desc[d] = (struct vring_desc){ (u64)addr, len, flags, (u16)(d + 1) };
}

/* Makes the chain at head 0 available, kicks, waits for its used entry and
 * its interrupt. Returns false on timeout; *used_len, *cycles. */
static bool submit(struct blk_run *r, u32 *used_len, u64 *cycles)
{
	struct virtq *q = r->q;
	u16 mask = q->size - 1;
	u64 irq0 = READ_ONCE(irq_rec[VEC_BLK].count), t0;

	q->avail->ring[q->avail_idx & mask] = 0;
	q->avail_idx++;
	barrier();
	t0 = rdtsc();
	WRITE_ONCE(q->avail->idx, q->avail_idx);
	/* idx before reading the device's NO_NOTIFY flag (store-load: mfence). */
	__asm__ volatile("mfence" ::: "memory");
	if (!(READ_ONCE(q->used->flags) & VRING_USED_F_NO_NOTIFY))
		virtq_kick(q);
	while (READ_ONCE(q->used->idx) == q->last_used || READ_ONCE(irq_rec[VEC_BLK].count) == irq0) {
		if (rdtsc() - t0 > r->timeout_cycles) {
			r->timeouts++;
			return false;
		}
		cpu_relax();
	}
	*cycles = rdtsc() - t0;
	*used_len = q->used->ring[q->last_used & mask].len;
	q->last_used++;
	return true;
}

/* One request: header, data (none for FLUSH), status. Returns the status
 * byte (NONE if the device did not write it, 0xff on timeout). */
static u8 request(struct blk_run *r, u32 type, u64 sector, u8 *buf, u32 len, u32 *used_len,
		  u64 *cycles)
{
	struct virtq *q = r->q;
	u16 d = 0, wr = type == T_IN || type == T_GET_ID ? VRING_DESC_F_WRITE : 0;

	hdr.type = type;
	hdr.reserved = 0;
	hdr.sector = sector;
	status = NONE;
	desc(q, d++, &hdr, 16, VRING_DESC_F_NEXT);
	if (len)
		desc(q, d++, buf, len, VRING_DESC_F_NEXT | wr);
	desc(q, d, &status, 1, VRING_DESC_F_WRITE);
	if (!submit(r, used_len, cycles))
		return 0xff;
	return status;
}

static u64 blk_loop(void *a)
{
	struct blk_run *r = a;
	u64 ex0 = r->have_exits ? counters_exits() : 0;
	u64 span = r->cap >= 16 ? r->cap / 8 - 1 : 1;

	for (u64 i = 0; i < r->n; i++) {
		u64 sector = ((i / 2) % span) * 8, cyc = 0;
		u32 ulen = 0;
		u8 st;

		if (r->ro || (i & 1)) {
			memset(rbuf, 0, BUF);
			st = request(r, T_IN, sector, rbuf, BUF, &ulen, &cyc);
			r->reads++;
			if (st == S_OK && !r->ro && memcmp(rbuf, wbuf, BUF))
				r->mismatches++;
			if (st == S_OK && ulen != BUF + 1)
				r->bad_status++;
		} else {
			for (u32 k = 0; k < BUF; k++)
				wbuf[k] = (u8)(i * 131 + k * 7 + 1);
			st = request(r, T_OUT, sector, wbuf, BUF, &ulen, &cyc);
			r->writes++;
		}
		if (st != S_OK)
			r->bad_status++;
		if (r->nlat < MAX_N)
			lat[r->nlat++] = cyc;
		r->requests++;
		if (!r->ro && (i % 32) == 31) {
			st = request(r, T_FLUSH, 0, 0, 0, &ulen, &cyc);
			r->flushes++;
			r->requests++;
			if (st != S_OK)
				r->bad_status++;
		}
		if (r->timeouts)
			break;
	}
	if (r->have_exits)
		r->exits = counters_exits() - ex0 - 1;	/* the start read is not counted */
	return 0;
}

/* ---- after the window: GET_ID, a read-only disk, a hostile driver --------- */
struct after {
	struct blk_run *r;
	struct virtio_pci *v;
	char serial[24];
	u8 ro_write;
	bool loop_ok, past_end_ok, unsupp_ok, odd_ok, order_ok, good_after_ok;
	bool broken_needs_reset, broken_cfg_irq, reset_ok;
};

static u64 after_loop(void *a)
{
	struct after *x = a;
	struct blk_run *r = x->r;
	u32 ulen = 0;
	u64 cyc;

	memset(rbuf, 0, 32);
	if (request(r, T_GET_ID, 0, rbuf, 20, &ulen, &cyc) == S_OK)
		memcpy(x->serial, rbuf, 20);
	if (r->ro)
		x->ro_write = request(r, T_OUT, 0, wbuf, 512, &ulen, &cyc);
	return 0;
}

static u64 hostile_loop(void *a)
{
	struct after *x = a;
	struct blk_run *r = x->r;
	struct virtq *q = r->q;
	u32 ulen = 0;
	u64 cyc, t0, irq0;

	/* A descriptor loop: completed with length 0, status untouched. */
	hdr.type = T_IN;
	hdr.sector = 0;
	status = NONE;
	q->desc[0] = (struct vring_desc){ (u64)&hdr, 16, VRING_DESC_F_NEXT, 1 };
	q->desc[1] = (struct vring_desc){ (u64)rbuf, 512, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 1 };
	x->loop_ok = submit(r, &ulen, &cyc) && ulen == 0 && status == NONE;
	/* Past the capacity; an unknown type; not whole sectors. */
	x->past_end_ok = request(r, T_IN, r->cap - 1, rbuf, BUF, &ulen, &cyc) == S_IOERR;
	x->unsupp_ok = request(r, 77, 0, rbuf, 512, &ulen, &cyc) == S_UNSUPP;
	x->odd_ok = request(r, T_IN, 0, rbuf, 100, &ulen, &cyc) == S_IOERR;
	/* A readable buffer after a writable one (2.6.4.2). */
	status = NONE;
	q->desc[0] = (struct vring_desc){ (u64)&status, 1, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 1 };
	q->desc[1] = (struct vring_desc){ (u64)&hdr, 16, 0, 0 };
	x->order_ok = submit(r, &ulen, &cyc) && ulen == 0 && status == NONE;
	/* The device still serves a good request. */
	x->good_after_ok = request(r, T_IN, 0, rbuf, 512, &ulen, &cyc) == S_OK && ulen == 513;
	/* The ring broken for good: available index a whole ring ahead. */
	irq0 = READ_ONCE(irq_rec[VEC_CFG].count);
	q->avail_idx = (u16)(q->avail_idx + q->size + 1);
	WRITE_ONCE(q->avail->idx, q->avail_idx);
	__asm__ volatile("mfence" ::: "memory");
	virtq_kick(q);
	t0 = rdtsc();
	while (READ_ONCE(irq_rec[VEC_CFG].count) == irq0 && rdtsc() - t0 < r->timeout_cycles)
		cpu_relax();
	x->broken_cfg_irq = READ_ONCE(irq_rec[VEC_CFG].count) != irq0;
	return 0;
}

static bool fail(struct json *j, const char *why)
{
	json_str(j, "error", why);
	return probe_result(j, false);
}

static bool blk(struct platform *p)
{
	const char *err = "";
	u64 qsize = cmdline_u64(&p->cmd, "qsize", QMAX);
	u64 max_exits = cmdline_u64(&p->cmd, "max_exits_per_req", 0);
	bool hostile = cmdline_u64(&p->cmd, "hostile", 0), expect_ro = cmdline_u64(&p->cmd, "expect_ro", 0);
	struct virtio_pci v;
	struct virtq q;
	struct blk_run r = { .q = &q };
	struct after x = { .r = &r, .v = &v };
	struct lat_summary ls;
	struct json j;
	char dev[16];
	bool pass;

	json_begin(&j, "blk");
	r.n = cmdline_u64(&p->cmd, "n", 64);
	if (r.n > MAX_N)
		r.n = MAX_N;
	if (qsize > QMAX || qsize < 4)
		qsize = QMAX;
	if (!virtio_pci_find(VIRTIO_ID_BLK, &v, &err))
		return fail(&j, err);
	snprintf(dev, sizeof(dev), "%04x:%04x", v.pci.vendor, v.pci.device);
	json_str(&j, "device", dev);
	if (!virtio_negotiate(&v, VIRTIO_F_VERSION_1 | F_FLUSH | F_BLK_SIZE | F_RO, &err))
		return fail(&j, err);
	r.ro = v.features & F_RO;
	r.cap = virtio_dev_read32(&v, 0) | (u64)virtio_dev_read32(&v, 4) << 32;
	json_u64(&j, "capacity", r.cap);
	json_bool(&j, "flush", v.features & F_FLUSH);
	json_bool(&j, "ro", r.ro);
	if (r.cap < 16)
		return fail(&j, "disk smaller than 16 sectors");
	if (r.ro != expect_ro)
		return fail(&j, expect_ro ? "read-only disk expected, RO not offered" :
			    "disk is read-only (VIRTIO_BLK_F_RO)");

	/* MSI-X on and programmed before DRIVER_OK, as Linux does. */
	irq_setup(VEC_CFG, 0, 0, 0);
	irq_setup(VEC_BLK, 0, 0, 0);
	virtio_msix_enable(&v, true);
	virtio_msix_set(&v, 0, cpus[0].apic_id, VEC_CFG, false);
	virtio_msix_set(&v, 1, cpus[0].apic_id, VEC_BLK, false);
	if (!virtq_setup(&v, 0, (u16)qsize, ring, 1, &q, &err))
		return fail(&j, err);
	if (virtq_mem_size(q.size) > sizeof(ring))
		return fail(&j, "ring memory too small");
	virtio_driver_ok(&v);
	virtio_config_vector(&v, 0);
	if (!(virtio_status(&v) & VIRTIO_ST_DRIVER_OK) || (virtio_status(&v) & VIRTIO_ST_NEEDS_RESET))
		return fail(&j, "device did not accept DRIVER_OK");

	r.have_exits = counters_present();
	r.timeout_cycles = tsc_ms_cycles(&p->tsc, cmdline_u64(&p->cmd, "timeout_ms", 1000));
	user_call(blk_loop, &r);
	r.irqs = irq_rec[VEC_BLK].count;
	json_u64(&j, "qsize", q.size);
	json_u64(&j, "requests", r.requests);
	json_u64(&j, "writes", r.writes);
	json_u64(&j, "reads", r.reads);
	json_u64(&j, "flushes", r.flushes);
	json_u64(&j, "mismatches", r.mismatches);
	json_u64(&j, "bad_status", r.bad_status);
	json_u64(&j, "timeouts", r.timeouts);
	json_u64(&j, "irqs", r.irqs);
	if (r.nlat) {
		lat_summarize(lat, r.nlat, &ls);
		json_latency(&j, "req_", &ls, p->tsc.khz);
	}
	if (r.have_exits) {
		json_u64(&j, "vmm_exits", r.exits);
		json_milli(&j, "vmm_exits_per_request", r.requests ? r.exits * 1000 / r.requests : 0);
	} else {
		json_null(&j, "vmm_exits");
		json_null(&j, "vmm_exits_per_request");
	}
	pass = !r.timeouts && !r.mismatches && !r.bad_status && r.requests == r.n + r.flushes &&
	       r.irqs >= r.requests &&
	       (!r.have_exits || r.exits <= max_exits * r.requests);

	user_call(after_loop, &x);
	json_str(&j, "serial", x.serial);
	if (r.ro) {
		json_u64(&j, "ro_write_status", x.ro_write);
		pass = pass && x.ro_write == S_IOERR;
	}
	if (hostile) {
		user_call(hostile_loop, &x);
		x.broken_needs_reset = virtio_status(&v) & VIRTIO_ST_NEEDS_RESET;
		virtio_reset(&v);
		x.reset_ok = virtio_status(&v) == 0;
		json_bool(&j, "hostile_loop", x.loop_ok);
		json_bool(&j, "hostile_past_end", x.past_end_ok);
		json_bool(&j, "hostile_unsupported", x.unsupp_ok);
		json_bool(&j, "hostile_odd_length", x.odd_ok);
		json_bool(&j, "hostile_order", x.order_ok);
		json_bool(&j, "hostile_good_after", x.good_after_ok);
		json_bool(&j, "broken_ring_needs_reset", x.broken_needs_reset);
		json_bool(&j, "broken_ring_config_irq", x.broken_cfg_irq);
		json_bool(&j, "reset_ok", x.reset_ok);
		pass = pass && x.loop_ok && x.past_end_ok && x.unsupp_ok && x.odd_ok && x.order_ok &&
		       x.good_after_ok && x.broken_needs_reset && x.broken_cfg_irq && x.reset_ok;
	} else {
		virtio_reset(&v);
	}
	virtio_msix_enable(&v, false);
	return probe_result(&j, pass);
}
SCENARIO("blk", blk);

/* SPDX-License-Identifier: MIT */
/*
 * net mode=irq|poll ms=N - receive whatever a virtio-net device's backend
 * sends (dpdk-testpmd txonly through vhost-user) and count it for a window.
 *
 * Set-up in ring 0: virtio 1.x init of the first virtio-net device (modern
 * PCI transport, VERSION_1 only, so the 12-byte virtio_net_hdr, 5.1.6),
 * receiveq1 with qsize posted 2 KiB buffers, transmitq1 empty (a vhost-user
 * backend starts only once both rings of the pair are there), MSI-X entry 0
 * for receive interrupts.
 * Receive loop in ring 3 (native speed on kvm_pvm):
 *  - irq: spin until the ISR has counted a new MSI-X interrupt, then drain
 *    the used ring, repost the buffers, kick unless the device said not to;
 *  - poll: the avail ring says VRING_AVAIL_F_NO_INTERRUPT and the queue has
 *    no vector; drain continuously (the ceiling).
 * Keys: mode (irq), ms (1000, the window), wait_ms (10000, for the first
 * packet: the backend links up after DRIVER_OK), qsize (256),
 * max_exits_per_1000 (fail above it, nexit only). At the end the device is
 * reset (the backend gives the rings back): reset_done and reset_ms say
 * whether status read 0 within 20 s and how long it took.
 * PROBE: packets, pps, irqs, irqs_per_s, kicks, vmm_exits (null without
 * nexit's counter page), vmm_exits_per_1000_pkts.
 */
#include "../probe.h"
#include "../virtio.h"

#define VEC_RX		0x51
#define QMAX		256
#define BUF_SIZE	2048
#define NET_HDR		12	/* struct virtio_net_hdr with num_buffers (VERSION_1) */

static u8 rx_ring[16384] __attribute__((aligned(4096)));
static u8 tx_ring[16384] __attribute__((aligned(4096)));
static u8 rx_buf[QMAX][BUF_SIZE] __attribute__((aligned(4096)));

struct net_run {
	struct virtq *rx;
	bool poll;
	unsigned vec;
	u64 wait_cycles, window_cycles;
	bool have_exits;
	/* out */
	bool got_first;
	u64 first_cycles;
	u64 packets, bytes, irqs, kicks, exits, cycles;
	u32 last_len;
};

/* Used ring -> avail ring: every buffer the device filled goes back. */
static u64 drain(struct net_run *r)
{
	struct virtq *q = r->rx;
	u16 used = READ_ONCE(q->used->idx), mask = q->size - 1;
	u64 n = 0;

	while (q->last_used != used) {
		/* x86 keeps loads in order: the entry is read after idx (2.6.8). */
		volatile struct vring_used_elem *e = &q->used->ring[q->last_used & mask];
		u32 id = e->id, len = e->len;

		r->bytes += len;
		r->last_len = len;
		q->avail->ring[q->avail_idx & mask] = (u16)id;
		q->avail_idx++;
		q->last_used++;
		n++;
	}
	if (!n)
		return 0;
	r->packets += n;
	/* Ring entries before idx (2.6.13); idx before reading the device's
	 * NO_NOTIFY flag (a store-load order: mfence). */
	barrier();
	WRITE_ONCE(q->avail->idx, q->avail_idx);
	__asm__ volatile("mfence" ::: "memory");
	if (!(READ_ONCE(q->used->flags) & VRING_USED_F_NO_NOTIFY)) {
		virtq_kick(q);
		r->kicks++;
	}
	return n;
}

static u64 net_loop(void *a)
{
	struct net_run *r = a;
	struct virtq *q = r->rx;
	struct irq_rec *rec = &irq_rec[r->vec];
	u64 t0 = rdtsc(), start, end, ex0 = 0, irq0, seen;

	while (READ_ONCE(q->used->idx) == q->last_used) {
		if (rdtsc() - t0 > r->wait_cycles)
			return 0;
		cpu_relax();
	}
	r->got_first = true;
	r->first_cycles = rdtsc() - t0;
	drain(r);			/* the backlog is not part of the window */
	r->packets = r->bytes = r->kicks = 0;
	if (r->have_exits)
		ex0 = counters_exits();
	irq0 = seen = READ_ONCE(rec->count);
	start = rdtsc();
	end = start + r->window_cycles;
	if (r->poll) {
		while (rdtsc() < end)
			if (!drain(r))
				cpu_relax();
	} else {
		/* Buffers filled between the backlog drain and reading the
		 * count raised their interrupt already: take them now, or the
		 * backend (ring full, nothing to signal) and we wait forever. */
		drain(r);
		while (rdtsc() < end) {
			u64 c = READ_ONCE(rec->count);
			if (c == seen) {
				cpu_relax();
				continue;
			}
			seen = c;
			drain(r);
		}
	}
	r->cycles = rdtsc() - start;
	r->irqs = READ_ONCE(rec->count) - irq0;
	if (r->have_exits)
		r->exits = counters_exits() - ex0 - 1;	/* the start read is not counted */
	return 0;
}

static bool fail(struct json *j, const char *why)
{
	json_str(j, "error", why);
	return probe_result(j, false);
}

static bool net(struct platform *p)
{
	const char *mode = cmdline_get(&p->cmd, "mode"), *err = "";
	bool poll = mode && !strncmp(mode, "poll", 4) && (!mode[4] || mode[4] == ' ');
	u64 ms = cmdline_u64(&p->cmd, "ms", 1000);
	u64 qsize = cmdline_u64(&p->cmd, "qsize", QMAX);
	u64 max_exits = cmdline_u64(&p->cmd, "max_exits_per_1000", ~0ull);
	struct virtio_pci v;
	struct virtq rx, tx;
	struct net_run r = { .rx = &rx, .poll = poll, .vec = VEC_RX };
	struct json j;
	char dev[16], mac[20];
	u64 hz_k = p->tsc.khz ? p->tsc.khz : 3000000, pps = 0, ips = 0;
	bool pass, reset_done;
	u64 t_reset;
	u8 st;

	json_begin(&j, "net");
	json_str(&j, "mode", poll ? "poll" : "irq");
	if (mode && !poll && strncmp(mode, "irq", 3))
		return fail(&j, "mode must be irq or poll");
	if (qsize > QMAX || qsize < 2)
		qsize = QMAX;
	if (!virtio_pci_find(VIRTIO_ID_NET, &v, &err))
		return fail(&j, err);
	snprintf(dev, sizeof(dev), "%04x:%04x", v.pci.vendor, v.pci.device);
	json_str(&j, "device", dev);
	json_bool(&j, "bar_relocated", v.relocated);
	if (!virtio_negotiate(&v, VIRTIO_F_VERSION_1 | VIRTIO_NET_F_MAC, &err))
		return fail(&j, err);
	if (v.features & VIRTIO_NET_F_MAC) {
		u8 m[6];
		for (int i = 0; i < 6; i++)
			m[i] = virtio_dev_read8(&v, (u32)i);
		snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2],
			 m[3], m[4], m[5]);
		json_str(&j, "mac", mac);
	}

	/* MSI-X on first, entries programmed, as Linux does before DRIVER_OK:
	 * a VMM wires its irqfds to the vectors it sees then. */
	irq_setup(VEC_RX, 0, 0, 0);
	virtio_msix_enable(&v, true);
	virtio_msix_set(&v, 0, cpus[0].apic_id, VEC_RX, false);
	if (!virtq_setup(&v, 0, (u16)qsize, rx_ring, poll ? VIRTIO_NO_VECTOR : 0, &rx, &err) ||
	    !virtq_setup(&v, 1, 64, tx_ring, VIRTIO_NO_VECTOR, &tx, &err))
		return fail(&j, err);
	if (virtq_mem_size(rx.size) > sizeof(rx_ring) || virtq_mem_size(tx.size) > sizeof(tx_ring))
		return fail(&j, "ring memory too small");
	/* Every buffer device-writable, all posted (2.6.5, 5.1.6.3). */
	for (u16 i = 0; i < rx.size; i++) {
		rx.desc[i] = (struct vring_desc){ (u64)rx_buf[i], BUF_SIZE, VRING_DESC_F_WRITE, 0 };
		rx.avail->ring[i] = i;
	}
	rx.avail->flags = poll ? VRING_AVAIL_F_NO_INTERRUPT : 0;
	rx.avail_idx = rx.size;
	barrier();
	rx.avail->idx = rx.avail_idx;
	virtio_driver_ok(&v);
	st = virtio_status(&v);
	json_u64(&j, "status", st);
	if (!(st & VIRTIO_ST_DRIVER_OK) || (st & VIRTIO_ST_NEEDS_RESET))
		return fail(&j, "device did not accept DRIVER_OK");
	virtq_kick(&rx);

	r.have_exits = counters_present();
	r.wait_cycles = tsc_ms_cycles(&p->tsc, cmdline_u64(&p->cmd, "wait_ms", 10000));
	r.window_cycles = tsc_ms_cycles(&p->tsc, ms);
	user_call(net_loop, &r);
	/* The backend gives the rings back; a VMM must finish the reset even
	 * when the backend does not answer (reset_ms, reset_done). */
	t_reset = rdtsc();
	reset_done = virtio_reset_timed(&v, tsc_ms_cycles(&p->tsc, 20000));
	t_reset = rdtsc() - t_reset;
	virtio_msix_enable(&v, false);

	if (r.cycles) {
		pps = r.packets * hz_k * 1000 / r.cycles;
		ips = r.irqs * hz_k * 1000 / r.cycles;
	}
	json_u64(&j, "qsize", rx.size);
	json_u64(&j, "window_ms", r.cycles / hz_k);
	json_u64(&j, "first_packet_ms", r.got_first ? r.first_cycles / hz_k : 0);
	json_u64(&j, "packets", r.packets);
	json_u64(&j, "bytes", r.bytes);
	json_u64(&j, "frame_len", r.last_len > NET_HDR ? r.last_len - NET_HDR : 0);
	json_u64(&j, "pps", pps);
	json_u64(&j, "irqs", r.irqs);
	json_u64(&j, "irqs_per_s", ips);
	json_u64(&j, "kicks", r.kicks);
	json_u64(&j, "tsc_khz", p->tsc.khz);
	json_bool(&j, "reset_done", reset_done);
	json_u64(&j, "reset_ms", t_reset / hz_k);
	if (r.have_exits && r.got_first) {
		json_u64(&j, "vmm_exits", r.exits);
		if (r.packets)
			json_milli(&j, "vmm_exits_per_1000_pkts", r.exits * 1000000 / r.packets);
		else
			json_null(&j, "vmm_exits_per_1000_pkts");
	} else {
		json_null(&j, "vmm_exits");
		json_null(&j, "vmm_exits_per_1000_pkts");
	}
	if (!r.got_first)
		return fail(&j, "no packet arrived within wait_ms");
	pass = r.packets > 0 && (!r.have_exits || max_exits == ~0ull ||
				 r.exits * 1000 <= max_exits * r.packets);
	return probe_result(&j, pass);
}
SCENARIO("net", net);

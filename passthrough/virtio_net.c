/* SPDX-License-Identifier: MIT */
/*
 * virtio_net.c - a virtio-net device (virtio 1.1 5.1) on nexit's virtio PCI
 * transport (virtio_pci.c) whose virtqueues run in a vhost backend:
 *  - vhost-user (vhost_user.c): an out-of-process backend on a unix socket,
 *    e.g. DPDK's net_vhost PMD in dpdk-testpmd;
 *  - vhost-net (vhost_net.c): the kernel's vhost worker moving packets
 *    between the rings and a tap device (backend = tap).
 * Both take the same hand-over at DRIVER_OK: guest RAM regions, then per
 * queue size, base, ring addresses, the kick eventfd (the notify
 * address's KVM ioeventfd) and the call eventfd (the queue's MSI-X irqfd),
 * so neither a kick nor an interrupt ever enters nexit.
 *
 * The hand-over and the take-back (reset) talk to the backend, which may be
 * slow, stopped or hostile: they run on the device's own control thread,
 * never on a vCPU holding the bus lock. DRIVER_OK queues a snapshot of the
 * rings; a reset queues the take-back, and the device status reads its old
 * value until it is done (the driver waits for 0, 4.1.4.3.2). Every wait on
 * the backend is bounded (NX_VHU_TIMEOUT_MS); one that runs out cuts the
 * backend off like a hang-up.
 *
 * One queue pair: receiveq1 = queue 0, transmitq1 = queue 1 (5.1.2); MSI-X
 * vectors rx, tx, config. Device config (5.1.4): MAC, status LINK_UP,
 * max_virtqueue_pairs 1.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include "passthrough/virtio.h"
#include "core/sandbox.h"

#define NQUEUES			2
#define NVEC			3		/* rx, tx, config */
#define QUEUE_MAX		256
#define CONFIG_LEN		16

/* Feature bits (5.1.3). */
#define F_MAC			(1ull << 5)
#define F_MRG_RXBUF		(1ull << 15)
/* What nexit can offer when the backend does too (MAC is nexit's own). */
#define F_FROM_BACKEND		(F_MRG_RXBUF | NX_VIRTIO_F_EVENT_IDX)

/* A ring as the driver set it up at DRIVER_OK. */
struct ring_snap {
	bool on;
	uint16_t size;
	void *desc, *avail, *used;	/* host addresses (checked in guest RAM) */
	uint64_t gpa[3];
	int call, kick;
};

/* Work for the control thread, queued by a vCPU under the bus lock. */
struct job {
	enum { JOB_START, JOB_STOP } kind;
	uint64_t features;
	struct ring_snap q[NQUEUES];
};
#define NJOBS 4

struct nx_virtio_net {
	struct nx_virtio_dev v;
	pthread_t ctl;
	pthread_mutex_t jlock;
	pthread_cond_t jcond;
	struct job jobs[NJOBS];
	unsigned jhead, jn;
	bool handed[NQUEUES];		/* rings the backend holds (control thread) */
	struct nx_pt *pt;
	const struct nx_vhost_ops *be;
	struct nx_vhost_user vu;
	struct nx_vhost_net vk;
	void *be_priv;
	char be_name[256];		/* socket path or tap name */
	uint8_t mac[6];
	uint64_t backend_features;
};

/* struct virtio_net_config (5.1.4): mac, status (LINK_UP), 1 pair. */
static void op_config(struct nx_virtio_dev *v, uint32_t off, uint8_t *data, uint32_t len, bool w)
{
	struct nx_virtio_net *n = nx_virtio_of(v, struct nx_virtio_net);
	uint8_t buf[CONFIG_LEN] = { 0 };

	memcpy(buf, n->mac, 6);
	buf[6] = 1;
	buf[8] = 1;
	if (!w)
		memcpy(data, buf + off, len);
}

/* ---- the control thread: the backend conversation ------------------------- */
/* The backend did not answer in time (or at all): like a hang-up. */
static void cut_off(struct nx_virtio_net *n, const char *what)
{
	nx_pci_lock(n->v.vm);
	if (atomic_load(&n->v.gone)) {
		nx_pci_unlock(n->v.vm);
		return;
	}
	nx_virtio_gone(&n->v);
	nx_pci_unlock(n->v.vm);
	if (n->vu.sock >= 0)
		shutdown(n->vu.sock, SHUT_RDWR);
	nx_warn("virtio-net %s: %s backend %s cut off (%s): rings stopped, vectors masked, "
		"guest keeps running", n->v.name, n->be->kind, n->be_name, what);
}

static int start_queue(struct nx_virtio_net *n, unsigned q, const struct ring_snap *r)
{
	void *b = n->be_priv;

	if (n->be->set_vring_num(b, q, r->size) < 0 || n->be->set_vring_base(b, q, 0) < 0 ||
	    n->be->set_vring_addr(b, q, r->desc, r->avail, r->used) < 0 ||
	    n->be->set_vring_call(b, q, r->call) < 0 || n->be->set_vring_kick(b, q, r->kick) < 0 ||
	    (n->be->enable && n->be->enable(b, q, true) < 0))
		return -1;
	n->handed[q] = true;
	return 0;
}

static void do_start(struct nx_virtio_net *n, const struct job *j)
{
	if (atomic_load(&n->v.gone))
		return;
	if (n->be->set_features(n->be_priv, j->features) < 0 ||
	    n->be->set_mem_table(n->be_priv, &n->v.vm->mem) < 0)
		goto fail;
	for (unsigned q = 0; q < NQUEUES; q++)
		if (j->q[q].on && start_queue(n, q, &j->q[q]) < 0)
			goto fail;
	return;
fail:
	if (n->be == &nx_vhost_user_ops)
		cut_off(n, "hand-over of the rings failed");
	else
		nx_virtio_break(&n->v, "the backend did not take the rings");
}

/* Reset: the backend stops each ring and gives it back; then the reset
 * completes for the driver. */
static void do_stop(struct nx_virtio_net *n)
{
	for (unsigned q = 0; q < NQUEUES; q++) {
		unsigned base;

		if (!n->handed[q])
			continue;
		n->handed[q] = false;
		if (atomic_load(&n->v.gone))
			continue;
		if ((n->be->enable && n->be->enable(n->be_priv, q, false) < 0) ||
		    n->be->get_vring_base(n->be_priv, q, &base) < 0)
			cut_off(n, "no answer to GET_VRING_BASE");
	}
	nx_virtio_stopped(&n->v);
}

static void *ctl_thread(void *arg)
{
	struct nx_virtio_net *n = arg;

	for (;;) {
		struct job j;
		bool have;

		pthread_mutex_lock(&n->jlock);
		while (!n->jn && !(atomic_load(&n->v.gone) && n->vu.sock >= 0))
			pthread_cond_wait(&n->jcond, &n->jlock);
		have = n->jn > 0;
		if (have) {
			j = n->jobs[n->jhead];
			n->jhead = (n->jhead + 1) % NJOBS;
			n->jn--;
		}
		pthread_mutex_unlock(&n->jlock);
		if (have && j.kind == JOB_START)
			do_start(n, &j);
		else if (have)
			do_stop(n);
		if (atomic_load(&n->v.gone))
			nx_vhost_user_close(&n->vu);	/* nothing more to say to it */
	}
	return NULL;
}

/* Bus lock held. A reset waits for the previous job, so at most a START
 * and a STOP are ever queued. */
static bool queue_job(struct nx_virtio_net *n, const struct job *j)
{
	bool ok;

	pthread_mutex_lock(&n->jlock);
	ok = n->jn < NJOBS;
	if (ok) {
		n->jobs[(n->jhead + n->jn) % NJOBS] = *j;
		n->jn++;
		pthread_cond_signal(&n->jcond);
	}
	pthread_mutex_unlock(&n->jlock);
	return ok;
}

/* ---- DRIVER_OK and reset (vCPU, bus lock held) ------------------------------- */
static int op_start(struct nx_virtio_dev *v)
{
	struct nx_virtio_net *n = nx_virtio_of(v, struct nx_virtio_net);
	struct job j = { .kind = JOB_START, .features = v->drv_features & n->backend_features };

	for (unsigned q = 0; q < NQUEUES; q++) {
		struct nx_virtio_queue *vq = &v->q[q];
		struct ring_snap *r = &j.q[q];
		uint64_t n16 = vq->size;

		if (!vq->enabled)
			continue;
		/* Split ring sizes (2.6): desc 16*N, avail 6+2*N, used 6+8*N. */
		r->desc = nx_gpa(&v->vm->mem, vq->desc, 16 * n16);
		r->avail = nx_gpa(&v->vm->mem, vq->driver, 6 + 2 * n16);
		r->used = nx_gpa(&v->vm->mem, vq->device, 6 + 8 * n16);
		if (!r->desc || !r->avail || !r->used)
			return nx_error("virtio-net %s: queue %u rings are not in guest RAM "
					"(desc 0x%llx avail 0x%llx used 0x%llx)", v->name, q,
					(unsigned long long)vq->desc, (unsigned long long)vq->driver,
					(unsigned long long)vq->device);
		r->on = true;
		r->size = vq->size;
		r->call = nx_virtio_call_fd(v, q);
		r->kick = vq->kick_fd;
	}
	if (!queue_job(n, &j))
		return nx_error("virtio-net %s: control thread busy", v->name);
	for (unsigned q = 0; q < NQUEUES; q++)
		if (j.q[q].on)
			v->q[q].started = true;
	return 0;
}

static bool op_stop(struct nx_virtio_dev *v)
{
	struct job j = { .kind = JOB_STOP };

	/* Done now if it cannot be queued (never: see queue_job). */
	return !queue_job(nx_virtio_of(v, struct nx_virtio_net), &j);
}

static const struct nx_virtio_ops net_ops = { .config = op_config, .start = op_start,
					      .stop = op_stop };

/* ---- the vhost-user backend dies ------------------------------------------ */
static void on_hup(void *op, int fd, uint32_t events, unsigned tag)
{
	struct nx_virtio_net *n = op;
	char b[64];

	if (!(events & (EPOLLHUP | EPOLLRDHUP | EPOLLERR)) && recv(fd, b, sizeof(b), MSG_DONTWAIT) != 0)
		return;		/* vhost-user replies are read synchronously */
	nx_loop_del(&n->pt->vm->loop, fd);
	nx_pci_lock(n->v.vm);
	if (atomic_load(&n->v.gone)) {
		nx_pci_unlock(n->v.vm);
		return;		/* cut off already */
	}
	nx_virtio_gone(&n->v);
	nx_pci_unlock(n->v.vm);
	nx_warn("virtio-net %s: vhost-user backend %s hung up: rings stopped, vectors masked, "
		"guest keeps running", n->v.name, n->vu.path);
	/* The control thread closes the socket (it may be writing to it now). */
	pthread_mutex_lock(&n->jlock);
	pthread_cond_signal(&n->jcond);
	pthread_mutex_unlock(&n->jlock);
}

/* ---- options ------------------------------------------------------------ */
static int parse_opts(struct nx_virtio_net *n, const struct nx_device_cfg *c)
{
	char qb[16], mb[32];
	const char *q = nx_dev_opt(c->opts, "queues", qb, sizeof(qb));
	const char *m = nx_dev_opt(c->opts, "mac", mb, sizeof(mb));
	unsigned b[6];
	char tail;

	if (q && strcmp(q, "1"))
		return nx_error("device %s: queues must be 1 (one rx/tx pair is implemented)",
				c->name);
	/* Default MAC: locally administered, unicast (IEEE 802 U/L bit). */
	memcpy(n->mac, (uint8_t[6]){ 0x52, 0x54, 0x00, 0x6e, 0x78, 0x01 }, 6);
	if (m) {
		if (strlen(m) != 17 || sscanf(m, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2],
					      &b[3], &b[4], &b[5], &tail) != 6 || (b[0] & 1))
			return nx_error("device %s: mac must be a unicast xx:xx:xx:xx:xx:xx", c->name);
		for (int i = 0; i < 6; i++)
			n->mac[i] = (uint8_t)b[i];
	}
	return 0;
}

/* backend = tap (tap = NAME: the kernel's vhost-net) or a vhost-user socket. */
static int open_backend(struct nx_virtio_net *n, const struct nx_device_cfg *c)
{
	char tb[32];
	const char *tap = nx_dev_opt(c->opts, "tap", tb, sizeof(tb));

	if (!strcmp(c->backend, "tap")) {
		if (!tap)
			return nx_error("device %s: backend = tap needs tap = NAME (created if absent)",
					c->name);
		n->be = &nx_vhost_net_ops;
		n->be_priv = &n->vk;
		if (nx_vhost_net_open(&n->vk, tap, c->name, &n->backend_features) < 0)
			return -1;
		snprintf(n->be_name, sizeof(n->be_name), "%s", n->vk.ifname);
		return 0;
	}
	if (tap)
		return nx_error("device %s: tap = %s needs backend = tap", c->name, tap);
	if (!c->backend[0])
		return nx_error("device %s: virtio-net needs backend=SOCKET, a vhost-user server socket "
				"(e.g. dpdk-testpmd --vdev net_vhost0,iface=SOCKET), or backend = tap "
				"with tap = NAME", c->name);
	n->be = &nx_vhost_user_ops;
	n->be_priv = &n->vu;
	/* The backend: owner, then what it can do. */
	if (nx_vhost_user_connect(&n->vu, c->backend, 5000) < 0 ||
	    nx_vhost_user_get_features(&n->vu, &n->backend_features) < 0)
		return -1;
	snprintf(n->be_name, sizeof(n->be_name), "%s", c->backend);
	return 0;
}

static void *net_create(struct nx_pt *pt, const struct nx_device_cfg *c)
{
	struct nx_virtio_net *n = calloc(1, sizeof(*n));
	struct nx_virtio_info info = { .kind = "virtio-net", .type = 1, .class_code = 0x020000,
				       .nqueues = NQUEUES, .qmax = QUEUE_MAX, .nvec = NVEC,
				       .config_len = CONFIG_LEN, .ops = &net_ops };
	int slot;

	if (!n)
		return nx_error_null("out of memory");
	nx_lives_until_exit(n);	/* a failed set-up stops nexit */
	n->pt = pt;
	n->vu.sock = n->vk.fd = n->vk.tap_fd = -1;
	if (parse_opts(n, c) < 0 || nx_dev_opt_slot(c->opts, &slot, c->name) < 0 ||
	    open_backend(n, c) < 0)
		return NULL;
	if (!(n->backend_features & NX_VIRTIO_F_VERSION_1))
		return nx_error_null("device %s: %s backend %s does not offer VIRTIO_F_VERSION_1",
				     c->name, n->be->kind, n->be_name);
	info.features = NX_VIRTIO_F_VERSION_1 | F_MAC | (n->backend_features & F_FROM_BACKEND);
	pthread_mutex_init(&n->jlock, NULL);
	pthread_cond_init(&n->jcond, NULL);
	if (nx_thread_start(&n->ctl, ctl_thread, n, "nexit-vhost", NX_SANDBOX_KIND_EVENT) < 0)
		return NULL;
	if (nx_virtio_init(&n->v, pt->vm, c->name, &info, slot) < 0)
		return NULL;
	if (n->be == &nx_vhost_user_ops &&
	    nx_loop_add(&pt->vm->loop, n->vu.sock, EPOLLRDHUP, on_hup, n, 0) < 0)
		return NULL;
	nx_info("virtio-net %s: PCI 00:%02x.0, BAR0 0x%llx, MAC %02x:%02x:%02x:%02x:%02x:%02x, "
		"%s backend %s (features 0x%llx)", c->name, n->v.pci->slot,
		(unsigned long long)n->v.pci->bar[0].addr, n->mac[0], n->mac[1], n->mac[2],
		n->mac[3], n->mac[4], n->mac[5], n->be->kind, n->be_name,
		(unsigned long long)n->backend_features);
	return n;
}

static void net_lines_json(void *dev, struct json_object *arr)
{
	struct nx_virtio_net *n = dev;
	static const char *const names[NVEC] = { "rx", "tx", "config" };

	nx_pci_lock(n->v.vm);
	nx_virtio_lines_json(&n->v, arr, names, n->be->kind);
	nx_pci_unlock(n->v.vm);
}

/* A counter of the tap's host side (/sys/class/net/IF/statistics). */
static uint64_t tap_stat(const char *ifname, const char *what)
{
	char path[128];
	unsigned long long v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/class/net/%s/statistics/%s", ifname, what);
	f = fopen(path, "re");
	if (f) {
		if (fscanf(f, "%llu", &v) != 1)
			v = 0;
		fclose(f);
	}
	return v;
}

static void net_device_json(void *dev, struct json_object *arr)
{
	struct nx_virtio_net *n = dev;
	struct json_object *o;
	char mac[20], f[24];

	nx_pci_lock(n->v.vm);
	o = nx_virtio_device_json(&n->v);
	snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", n->mac[0], n->mac[1],
		 n->mac[2], n->mac[3], n->mac[4], n->mac[5]);
	json_object_object_add(o, "backend", json_object_new_string(n->be_name));
	json_object_object_add(o, "backend_kind", json_object_new_string(n->be->kind));
	json_object_object_add(o, "mac", json_object_new_string(mac));
	snprintf(f, sizeof(f), "0x%llx", (unsigned long long)n->backend_features);
	json_object_object_add(o, "backend_features", json_object_new_string(f));
	if (n->be == &nx_vhost_user_ops)
		nx_json_u64(o, "vhost_user_messages", n->vu.sent);
	else {
		/* The packets vhost-net moved, as the tap counts them: the guest's
		 * tx is the tap's rx. The data path's only possible exit is a
		 * notify that missed the ioeventfd (the call is an irqfd). */
		uint64_t rx = tap_stat(n->vk.ifname, "rx_packets");
		uint64_t tx = tap_stat(n->vk.ifname, "tx_packets");
		uint64_t exits = atomic_load(&n->v.notify_exits);

		nx_json_u64(o, "vhost_ioctls", n->vk.ioctls);
		nx_json_u64(o, "tap_rx_packets", rx);
		nx_json_u64(o, "tap_tx_packets", tx);
		json_object_object_add(o, "vmm_exits_per_packet", rx + tx ?
				       json_object_new_double((double)exits / (double)(rx + tx)) : NULL);
	}
	json_object_array_add(arr, o);
	nx_pci_unlock(n->v.vm);
}

const struct nx_dev_type nx_virtio_net_type = {
	.name = "virtio-net", .create = net_create,
	.lines_json = net_lines_json, .device_json = net_device_json,
};

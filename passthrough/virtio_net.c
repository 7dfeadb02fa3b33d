/* SPDX-License-Identifier: MIT */
/*
 * virtio_net.c - a virtio-net device (virtio 1.1 5.1) on the virtio-pci
 * modern transport (4.1) whose virtqueues run in a vhost-user backend
 * (vhost_user.c), e.g. DPDK's net_vhost PMD in dpdk-testpmd.
 *
 * nexit emulates only the control plane: PCI config space, the common
 * configuration structure, device config (MAC) and feature negotiation,
 * all MMIO exits at set-up time. When the driver sets DRIVER_OK the rings
 * go to the backend, and from then on the data path never enters nexit:
 *  - kick: each queue's notify address (BAR0 + 0x3000 + 4 * q, 16-bit
 *    write of the queue index, 4.1.4.4) is a KVM ioeventfd whose eventfd
 *    is the backend's kick fd (SET_VRING_KICK);
 *  - call: each queue's MSI-X vector is a GSI whose MSI route follows the
 *    guest's MSI-X table entry (route.c) and whose eventfd is a KVM irqfd;
 *    that same eventfd is the backend's call fd (SET_VRING_CALL).
 *
 * BAR0 (32-bit memory, 32 KiB):
 *   0x0000 common configuration   0x1000 ISR status   0x2000 device config
 *   0x3000 notifications (notify_off_multiplier 4, queue q at 4 * q)
 *   0x4000 MSI-X table (3 vectors)  0x5000 MSI-X PBA
 * One queue pair: receiveq1 = queue 0, transmitq1 = queue 1 (5.1.2). No
 * INTx and no VIRTIO_PCI_CAP_PCI_CFG window (docs/net.md).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <json-c/json.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include "passthrough/passthrough.h"

#define VNET_VENDOR		0x1af4
#define VNET_DEVICE		0x1041		/* 0x1040 + device type 1 (4.1.2.1) */
#define VNET_CLASS		0x020000	/* network controller, ethernet */
#define VNET_BAR_SIZE		0x8000
#define OFF_COMMON		0x0000
#define OFF_ISR			0x1000
#define OFF_DEVICE		0x2000
#define OFF_NOTIFY		0x3000
#define OFF_MSIX_TABLE		0x4000
#define OFF_MSIX_PBA		0x5000
#define NOTIFY_MULT		4
#define NQUEUES			2
#define NVEC			3		/* rx, tx, config */
#define QUEUE_MAX		256
#define NO_VECTOR		0xffff		/* VIRTIO_MSI_NO_VECTOR (4.1.5.1.2) */

/* virtio_pci_cap cfg_type (4.1.4). */
#define CAP_VENDOR		0x09
#define CFG_COMMON		1
#define CFG_NOTIFY		2
#define CFG_ISR			3
#define CFG_DEVICE		4

/* Device status (2.1). */
#define ST_FEATURES_OK		0x08
#define ST_DRIVER_OK		0x04
#define ST_NEEDS_RESET		0x40

/* Feature bits (6, 5.1.3). */
#define F_MAC			(1ull << 5)
#define F_MRG_RXBUF		(1ull << 15)
#define F_STATUS		(1ull << 16)
#define F_EVENT_IDX		(1ull << 29)
#define F_VERSION_1		(1ull << 32)
/* What nexit can offer when the backend does too (MAC is nexit's own). */
#define F_FROM_BACKEND		(F_MRG_RXBUF | F_EVENT_IDX)

/* struct virtio_pci_common_cfg (4.1.4.3), little-endian. */
struct common {
	uint32_t dfselect, dfeature, gfselect, gfeature;
	uint16_t msix_config, num_queues;
	uint8_t status, generation;
	uint16_t qselect, qsize, qmsix, qenable, qnotify_off;
	uint64_t qdesc, qdriver, qdevice;
} __attribute__((packed));

struct vq {
	uint16_t size, msix;
	bool enabled, started;
	uint64_t desc, driver, device;	/* guest physical */
	int kick_fd;			/* ioeventfd == backend kick fd */
	int nocall_fd;			/* call fd when the queue has no vector */
};

struct nx_virtio_net {
	struct nx_pt *pt;
	struct nx_vm *vm;
	char name[32];
	char pci_name[48];
	struct nx_pci_dev *pci;
	struct nx_vhost_user vu;
	uint8_t mac[6];
	uint64_t backend_features, dev_features, drv_features;
	uint32_t dfselect, gfselect;
	uint16_t msix_config, qselect;
	uint8_t status, generation;
	struct vq vq[NQUEUES];
	struct nx_msi_vec vec[NVEC];
	struct nx_registry reg;
	uint64_t bar_gpa;
	bool bar_mapped;
	atomic_bool gone;
	uint64_t starts, resets;
	_Atomic uint64_t mmio_exits, notify_exits;
};

/* ---- config space: vendor capabilities (4.1.4) ------------------------- */
static int vendor_cap(struct nx_pci_dev *d, uint8_t type, uint32_t off, uint32_t len,
		      unsigned size)
{
	unsigned at = d->cap_end ? d->cap_end : 0x40;
	uint8_t *c = d->cfg + at;

	if (at + size > NX_PCI_CFG_SIZE)
		return nx_error("PCI %s: config space full", d->name);
	/* struct virtio_pci_cap: vndr, next, len, cfg_type, bar, id, pad, offset, length. */
	c[0] = CAP_VENDOR;
	c[1] = d->cfg[0x34];
	c[2] = (uint8_t)size;
	c[3] = type;
	c[4] = 0;			/* BAR0 */
	memcpy(c + 8, &off, 4);
	memcpy(c + 12, &len, 4);
	if (type == CFG_NOTIFY) {
		uint32_t mult = NOTIFY_MULT;
		memcpy(c + 16, &mult, 4);
	}
	/* Prepend to the capability list (PCI 3.0 6.7), status bit 4. */
	d->cfg[0x34] = (uint8_t)at;
	d->cfg[0x06] |= 1u << 4;
	d->cap_end = (uint8_t)((at + size + 3) & ~3u);
	return 0;
}

/* ---- MSI-X vectors: routes follow the guest's table ---------------------- */
static void update_vec(struct nx_virtio_net *n, unsigned v)
{
	struct nx_msi_msg m;

	nx_pci_msix_msg(n->pci, v, &m);
	nx_msivec_update(&n->vec[v], nx_pci_msix_enabled(n->pci), &m);
}

static void op_msix(struct nx_pci_dev *p, int vector)
{
	struct nx_virtio_net *n = p->priv;

	if (atomic_load(&n->gone))
		return;
	for (unsigned v = 0; v < NVEC; v++)
		if (vector < 0 || (unsigned)vector == v)
			update_vec(n, v);
}

/* ---- notify doorbells ------------------------------------------------------ */
static void bind_notify(struct nx_virtio_net *n)
{
	nx_reg_ioeventfd_drop(&n->reg, 0, 0);
	if (!n->bar_mapped || atomic_load(&n->gone))
		return;
	for (unsigned q = 0; q < NQUEUES; q++) {
		/* 4.1.4.4: the driver writes the 16-bit queue index there. */
		if (nx_reg_ioeventfd(&n->reg, n->vq[q].kick_fd,
				     n->bar_gpa + OFF_NOTIFY + NOTIFY_MULT * q, 2, false, 0) < 0) {
			nx_warn("virtio-net %s: notify ioeventfds not bound, kicks exit to nexit",
				n->name);
			nx_reg_ioeventfd_drop(&n->reg, 0, 0);
			return;
		}
	}
}

static void op_bar_map(struct nx_pci_dev *p, int bar, uint64_t gpa, bool on)
{
	struct nx_virtio_net *n = p->priv;

	n->bar_mapped = on;
	n->bar_gpa = gpa;
	bind_notify(n);
}

static const struct nx_pci_ops vnet_ops = { .bar_map = op_bar_map, .msix_update = op_msix };

/* ---- handing the rings to the backend (DRIVER_OK) -------------------------- */
static int start_queue(struct nx_virtio_net *n, unsigned q)
{
	struct vq *v = &n->vq[q];
	uint64_t n16 = v->size;
	/* Split ring sizes (2.6): desc 16*N, avail 6+2*N, used 6+8*N. */
	void *desc = nx_gpa(&n->vm->mem, v->desc, 16 * n16);
	void *avail = nx_gpa(&n->vm->mem, v->driver, 6 + 2 * n16);
	void *used = nx_gpa(&n->vm->mem, v->device, 6 + 8 * n16);
	int call = v->msix < NVEC ? n->vec[v->msix].efd : v->nocall_fd;

	if (!desc || !avail || !used)
		return nx_error("virtio-net %s: queue %u rings are not in guest RAM "
				"(desc 0x%llx avail 0x%llx used 0x%llx)", n->name, q,
				(unsigned long long)v->desc, (unsigned long long)v->driver,
				(unsigned long long)v->device);
	if (nx_vhu_set_vring_num(&n->vu, q, v->size) < 0 ||
	    nx_vhu_set_vring_base(&n->vu, q, 0) < 0 ||
	    nx_vhu_set_vring_addr(&n->vu, q, desc, avail, used) < 0 ||
	    nx_vhu_set_vring_call(&n->vu, q, call) < 0 ||
	    nx_vhu_set_vring_kick(&n->vu, q, v->kick_fd) < 0)
		return -1;
	v->started = true;
	return 0;
}

static int start(struct nx_virtio_net *n)
{
	if (atomic_load(&n->gone))
		return nx_error("virtio-net %s: backend %s is gone", n->name, n->vu.path);
	if (nx_vhu_set_features(&n->vu, n->drv_features & n->backend_features) < 0 ||
	    nx_vhu_set_mem_table(&n->vu, &n->vm->mem) < 0)
		return -1;
	for (unsigned q = 0; q < NQUEUES; q++)
		if (n->vq[q].enabled && start_queue(n, q) < 0)
			return -1;
	n->starts++;
	return 0;
}

/* Device reset (4.1.4.3.2): the backend gives the rings back. */
static void reset(struct nx_virtio_net *n)
{
	for (unsigned q = 0; q < NQUEUES; q++) {
		unsigned base;

		if (n->vq[q].started && !atomic_load(&n->gone))
			nx_vhu_get_vring_base(&n->vu, q, &base);
		n->vq[q] = (struct vq){ .size = QUEUE_MAX, .msix = NO_VECTOR,
					.kick_fd = n->vq[q].kick_fd,
					.nocall_fd = n->vq[q].nocall_fd };
	}
	n->drv_features = 0;
	n->dfselect = n->gfselect = 0;
	n->msix_config = NO_VECTOR;
	n->qselect = 0;
	n->status = 0;
	n->resets++;
}

static void set_status(struct nx_virtio_net *n, uint8_t v)
{
	uint8_t old = n->status;

	if (!v) {
		reset(n);
		return;
	}
	/* FEATURES_OK sticks only for a subset of what we offered, with
	 * VERSION_1 (a modern device rejects legacy drivers, 6.1). */
	if ((v & ST_FEATURES_OK) && !(old & ST_FEATURES_OK) &&
	    ((n->drv_features & ~n->dev_features) || !(n->drv_features & F_VERSION_1)))
		v &= (uint8_t)~ST_FEATURES_OK;
	n->status = v | (old & ST_NEEDS_RESET);
	if (!(v & ST_DRIVER_OK) || (old & ST_DRIVER_OK))
		return;
	/* 3.1.1: DRIVER_OK only after FEATURES_OK was accepted. */
	if (!(v & ST_FEATURES_OK)) {
		nx_warn("virtio-net %s: driver set DRIVER_OK without FEATURES_OK: device needs reset",
			n->name);
		n->status |= ST_NEEDS_RESET;
		n->generation++;
	} else if (start(n) < 0) {
		n->status |= ST_NEEDS_RESET;
		n->generation++;
	}
}

/* ---- BAR0 exits (control plane only) ----------------------------------------- */
static void common_image(struct nx_virtio_net *n, struct common *c)
{
	struct vq *v = n->qselect < NQUEUES ? &n->vq[n->qselect] : NULL;

	memset(c, 0, sizeof(*c));
	c->dfselect = n->dfselect;
	c->dfeature = n->dfselect < 2 ? (uint32_t)(n->dev_features >> (32 * n->dfselect)) : 0;
	c->gfselect = n->gfselect;
	c->gfeature = n->gfselect < 2 ? (uint32_t)(n->drv_features >> (32 * n->gfselect)) : 0;
	c->msix_config = n->msix_config;
	c->num_queues = NQUEUES;
	c->status = n->status;
	c->generation = n->generation;
	c->qselect = n->qselect;
	if (v) {
		c->qsize = v->size;
		c->qmsix = v->msix;
		c->qenable = v->enabled;
		c->qnotify_off = n->qselect;
		c->qdesc = v->desc;
		c->qdriver = v->driver;
		c->qdevice = v->device;
	}
}

#define CHANGED(f) (off < offsetof(struct common, f) + sizeof(c.f) && \
		    off + len > offsetof(struct common, f))

static void common_write(struct nx_virtio_net *n, uint64_t off, const uint8_t *data, uint32_t len)
{
	struct common c;
	struct vq *v = n->qselect < NQUEUES ? &n->vq[n->qselect] : NULL;
	bool live = n->status & ST_DRIVER_OK;

	common_image(n, &c);
	memcpy((uint8_t *)&c + off, data, len);
	if (CHANGED(dfselect))
		n->dfselect = c.dfselect;
	if (CHANGED(gfselect))
		n->gfselect = c.gfselect;
	if (CHANGED(gfeature) && n->gfselect < 2 && !(n->status & ST_FEATURES_OK)) {
		unsigned sh = 32 * n->gfselect;
		n->drv_features = (n->drv_features & ~(0xffffffffull << sh)) |
				  ((uint64_t)c.gfeature << sh);
	}
	if (CHANGED(msix_config))
		n->msix_config = c.msix_config < NVEC ? c.msix_config : NO_VECTOR;
	if (CHANGED(qselect))
		n->qselect = c.qselect;
	/* Queue fields are frozen once the queue is enabled (4.1.4.3.2). */
	if (v && !live && !v->enabled) {
		if (CHANGED(qsize) && c.qsize && c.qsize <= QUEUE_MAX && !(c.qsize & (c.qsize - 1)))
			v->size = c.qsize;
		if (CHANGED(qmsix))
			v->msix = c.qmsix < NVEC ? c.qmsix : NO_VECTOR;
		if (CHANGED(qdesc))
			v->desc = c.qdesc;
		if (CHANGED(qdriver))
			v->driver = c.qdriver;
		if (CHANGED(qdevice))
			v->device = c.qdevice;
		if (CHANGED(qenable) && c.qenable == 1)
			v->enabled = true;
	}
	if (CHANGED(status))
		set_status(n, c.status);
}

static void vnet_mmio(void *op, uint64_t off, uint8_t *data, uint32_t len, bool w,
		      struct nx_vcpu *vcpu)
{
	struct nx_virtio_net *n = op;
	uint8_t buf[64] = { 0 };

	atomic_fetch_add(&n->mmio_exits, 1);
	nx_pci_lock(n->vm);
	if (off + len <= OFF_COMMON + sizeof(struct common)) {
		if (w) {
			common_write(n, off, data, len);
		} else {
			common_image(n, (struct common *)buf);
			memcpy(data, buf + off, len);
		}
	} else if (off >= OFF_DEVICE && off + len <= OFF_DEVICE + 16) {
		/* struct virtio_net_config (5.1.4): mac, status (LINK_UP), 1 pair. */
		memcpy(buf, n->mac, 6);
		buf[6] = 1;
		buf[8] = 1;
		if (!w)
			memcpy(data, buf + (off - OFF_DEVICE), len);
	} else if (off >= OFF_NOTIFY && off < OFF_NOTIFY + NOTIFY_MULT * NQUEUES) {
		/* A notify that is not a 16-bit write (or came before the
		 * ioeventfd was bound): forward it to the backend ourselves. */
		uint64_t one = 1;
		unsigned q = (unsigned)(off - OFF_NOTIFY) / NOTIFY_MULT;

		atomic_fetch_add(&n->notify_exits, 1);
		if (w && write(n->vq[q].kick_fd, &one, sizeof(one)) != sizeof(one))
			nx_warn("virtio-net %s: cannot kick queue %u", n->name, q);
		if (!w)
			memset(data, 0, len);
	} else if (!w) {
		/* ISR status (4.1.4.5) reads 0: interrupts are MSI-X only. */
		memset(data, 0, len);
	}
	nx_pci_unlock(n->vm);
}

/* ---- the backend dies ------------------------------------------------------ */
static void on_hup(void *op, int fd, uint32_t events)
{
	struct nx_virtio_net *n = op;
	char b[64];

	if (!(events & (EPOLLHUP | EPOLLRDHUP | EPOLLERR)) && recv(fd, b, sizeof(b), MSG_DONTWAIT) != 0)
		return;		/* vhost-user replies are read synchronously */
	nx_pci_lock(n->vm);
	if (atomic_exchange(&n->gone, true)) {
		nx_pci_unlock(n->vm);
		return;
	}
	for (unsigned v = 0; v < NVEC; v++)
		nx_msivec_gone(&n->vec[v]);
	nx_reg_ioeventfd_drop(&n->reg, 0, 0);
	/* 2.1.2: the device tells the driver it needs a reset. */
	n->status |= ST_NEEDS_RESET;
	n->generation++;
	nx_pci_unlock(n->vm);
	nx_pt_unwatch(&n->pt->loop, fd);
	nx_warn("virtio-net %s: vhost-user backend %s hung up: rings stopped, vectors masked, "
		"guest keeps running", n->name, n->vu.path);
}

/* ---- options ------------------------------------------------------------ */
static const char *opt(const char *opts, const char *key)
{
	size_t k = strlen(key);

	for (const char *p = opts; (p = strstr(p, key)); p++)
		if ((p == opts || p[-1] == ' ') && p[k] == '=')
			return p + k + 1;
	return NULL;
}

static int parse_opts(struct nx_virtio_net *n, const char *opts, int *slot)
{
	const char *q = opt(opts, "queues"), *m = opt(opts, "mac"), *s = opt(opts, "slot");
	unsigned b[6];
	char tail;

	if (q && (q[0] != '1' || (q[1] && q[1] != ' ')))
		return nx_error("device %s: queues must be 1 (one rx/tx pair is implemented)",
				n->name);
	/* Default MAC: locally administered, unicast (IEEE 802 U/L bit). */
	memcpy(n->mac, (uint8_t[6]){ 0x52, 0x54, 0x00, 0x6e, 0x78, 0x01 }, 6);
	if (m) {
		if (sscanf(m, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
			   &tail) < 6 || (strchr(m, ' ') && strchr(m, ' ') - m != 17) ||
		    (!strchr(m, ' ') && strlen(m) != 17) || (b[0] & 1))
			return nx_error("device %s: mac must be a unicast xx:xx:xx:xx:xx:xx", n->name);
		for (int i = 0; i < 6; i++)
			n->mac[i] = (uint8_t)b[i];
	}
	if (s) {
		char *end;
		long v = strtol(s, &end, 0);
		if (end == s || (*end && *end != ' ') || v < 1 || v >= NX_PCI_SLOTS)
			return nx_error("device %s: slot must be 1..%d", n->name, NX_PCI_SLOTS - 1);
		*slot = (int)v;
	}
	return 0;
}

struct nx_virtio_net *nx_virtio_net_create(struct nx_pt *pt, const struct nx_device_cfg *c)
{
	struct nx_vm *vm = pt->vm;
	struct nx_virtio_net *n = calloc(1, sizeof(*n));
	struct nx_pci_dev *d;
	int slot = -1;

	if (!n) {
		nx_error("out of memory");
		return NULL;
	}
	n->pt = pt;
	n->vm = vm;
	n->reg.vm = vm;
	snprintf(n->name, sizeof(n->name), "%s", c->name);
	snprintf(n->pci_name, sizeof(n->pci_name), "virtio-net-%s", c->name);
	if (parse_opts(n, c->opts, &slot) < 0)
		return NULL;
	if (!c->backend[0]) {
		nx_error("device %s: virtio-net needs backend=SOCKET, a vhost-user server socket "
			 "(e.g. dpdk-testpmd --vdev net_vhost0,iface=SOCKET)", c->name);
		return NULL;
	}
	for (unsigned q = 0; q < NQUEUES; q++) {
		n->vq[q].kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		n->vq[q].nocall_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (n->vq[q].kick_fd < 0 || n->vq[q].nocall_fd < 0) {
			nx_error("eventfd: %s", strerror(errno));
			return NULL;
		}
	}
	for (unsigned v = 0; v < NVEC; v++)
		if (nx_msivec_init(vm, &n->vec[v], -1) < 0)
			return NULL;

	/* The backend: owner, then what it can do. */
	if (nx_vhu_connect(&n->vu, c->backend, 5000) < 0 || nx_vhu_set_owner(&n->vu) < 0 ||
	    nx_vhu_get_features(&n->vu, &n->backend_features) < 0)
		return NULL;
	if (!(n->backend_features & F_VERSION_1)) {
		nx_error("device %s: vhost-user backend %s does not offer VIRTIO_F_VERSION_1",
			 c->name, c->backend);
		return NULL;
	}
	n->dev_features = F_VERSION_1 | F_MAC | (n->backend_features & F_FROM_BACKEND);
	reset(n);
	n->resets = 0;

	d = nx_pci_dev_new(vm, n->pci_name, VNET_VENDOR, VNET_DEVICE, VNET_CLASS, slot);
	if (!d)
		return NULL;
	n->pci = d;
	d->cfg[0x08] = 1;		/* revision >= 1: modern-only device (4.1.2.1) */
	d->cfg[0x2e] = 0x41;		/* subsystem device id >= 0x40 (4.1.2.1) */
	d->cfg[0x2f] = 0x00;
	d->ops = &vnet_ops;
	d->priv = n;
	if (nx_pci_add_bar(d, 0, VNET_BAR_SIZE, 0, vnet_mmio, n) < 0 ||
	    nx_pci_add_msix(d, NVEC, 0, OFF_MSIX_TABLE, OFF_MSIX_PBA) < 0 ||
	    vendor_cap(d, CFG_DEVICE, OFF_DEVICE, 0x10, 16) < 0 ||
	    vendor_cap(d, CFG_ISR, OFF_ISR, 4, 16) < 0 ||
	    vendor_cap(d, CFG_NOTIFY, OFF_NOTIFY, NOTIFY_MULT * NQUEUES, 20) < 0 ||
	    vendor_cap(d, CFG_COMMON, OFF_COMMON, sizeof(struct common), 16) < 0 ||
	    nx_pci_dev_register(d) < 0)
		return NULL;
	if (nx_pt_watch(&pt->loop, n->vu.sock, EPOLLRDHUP, on_hup, n) < 0)
		return NULL;
	nx_info("virtio-net %s: PCI 00:%02x.0, BAR0 0x%llx, MAC %02x:%02x:%02x:%02x:%02x:%02x, "
		"vhost-user backend %s (features 0x%llx)", c->name, d->slot,
		(unsigned long long)d->bar[0].addr, n->mac[0], n->mac[1], n->mac[2], n->mac[3],
		n->mac[4], n->mac[5], c->backend, (unsigned long long)n->backend_features);
	return n;
}

void nx_virtio_net_lines_json(struct nx_virtio_net *n, struct json_object *arr)
{
	static const char *const names[NVEC] = { "rx", "tx", "config" };
	char id[64];

	nx_pci_lock(n->vm);
	for (unsigned v = 0; v < NVEC; v++) {
		struct json_object *o;

		if (n->vec[v].state == NX_MSIVEC_DISABLED && !n->vec[v].route_updates)
			continue;
		snprintf(id, sizeof(id), "%s.msix%u", n->name, v);
		/* Delivered by the backend through the irqfd: not observable here. */
		o = nx_pt_line_json(id, &n->vec[v], 0, -1);
		json_object_object_add(o, "delivered_by", json_object_new_string("vhost-user"));
		json_object_object_add(o, "device", json_object_new_string(n->name));
		json_object_object_add(o, "use", json_object_new_string(names[v]));
		json_object_array_add(arr, o);
	}
	nx_pci_unlock(n->vm);
}

void nx_virtio_net_device_json(struct nx_virtio_net *n, struct json_object *arr)
{
	struct json_object *o = json_object_new_object();
	char mac[20], f[24];

	nx_pci_lock(n->vm);
	snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", n->mac[0], n->mac[1],
		 n->mac[2], n->mac[3], n->mac[4], n->mac[5]);
	json_object_object_add(o, "name", json_object_new_string(n->name));
	json_object_object_add(o, "type", json_object_new_string("virtio-net"));
	json_object_object_add(o, "slot", json_object_new_int(n->pci->slot));
	json_object_object_add(o, "backend", json_object_new_string(n->vu.path));
	json_object_object_add(o, "state", json_object_new_string(
		atomic_load(&n->gone) ? "source-gone" : n->status & ST_DRIVER_OK ? "running" : "idle"));
	json_object_object_add(o, "mac", json_object_new_string(mac));
	json_object_object_add(o, "status", json_object_new_int(n->status));
	snprintf(f, sizeof(f), "0x%llx", (unsigned long long)n->drv_features);
	json_object_object_add(o, "features", json_object_new_string(f));
	snprintf(f, sizeof(f), "0x%llx", (unsigned long long)n->backend_features);
	json_object_object_add(o, "backend_features", json_object_new_string(f));
	json_object_object_add(o, "starts", json_object_new_int64((int64_t)n->starts));
	json_object_object_add(o, "resets", json_object_new_int64((int64_t)n->resets));
	json_object_object_add(o, "vhost_user_messages", json_object_new_int64((int64_t)n->vu.sent));
	json_object_object_add(o, "mmio_exits", json_object_new_int64((int64_t)atomic_load(&n->mmio_exits)));
	json_object_object_add(o, "notify_exits",
			       json_object_new_int64((int64_t)atomic_load(&n->notify_exits)));
	json_object_object_add(o, "ioeventfds", json_object_new_int(n->reg.n));
	json_object_array_add(arr, o);
	nx_pci_unlock(n->vm);
}

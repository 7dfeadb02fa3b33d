/* SPDX-License-Identifier: MIT */
/*
 * virtio_pci.c - the virtio PCI modern transport (virtio 1.1 4.1) shared by
 * every nexit virtio device. nexit emulates only the control plane here:
 * PCI config space, the common configuration, feature negotiation, device
 * status and queue set-up, all MMIO exits at set-up time. Once the driver
 * sets DRIVER_OK the device's ops->start hands the rings to its data path
 * (a vhost backend, or an I/O thread of nexit's own) and from then on:
 *  - kick: each queue's notify address (BAR0 + 0x3000 + 4 * q, a 16-bit
 *    write of the queue index, 4.1.4.4) is a KVM ioeventfd on the queue's
 *    kick eventfd;
 *  - call: each MSI-X vector is a GSI whose MSI route follows the guest's
 *    MSI-X table entry (route.c) and whose eventfd is a KVM irqfd.
 *
 * BAR0 (32-bit memory, 32 KiB):
 *   0x0000 common configuration   0x1000 ISR status   0x2000 device config
 *   0x3000 notifications (notify_off_multiplier 4, queue q at 4 * q)
 *   0x4000 MSI-X table            0x5000 MSI-X PBA
 * No INTx and no VIRTIO_PCI_CAP_PCI_CFG window (docs/virtio.md).
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <json-c/json.h>
#include <sys/eventfd.h>
#include "passthrough/virtio.h"

#define BAR_SIZE		0x8000
#define OFF_COMMON		0x0000
#define OFF_ISR			0x1000
#define OFF_DEVICE		0x2000
#define OFF_NOTIFY		0x3000
#define OFF_MSIX_TABLE		0x4000
#define OFF_MSIX_PBA		0x5000
#define DEVICE_MAX		0x1000
#define NOTIFY_MULT		4

/* virtio_pci_cap cfg_type (4.1.4). */
#define CAP_VENDOR		0x09
#define CFG_COMMON		1
#define CFG_NOTIFY		2
#define CFG_ISR			3
#define CFG_DEVICE		4

/* struct virtio_pci_common_cfg (4.1.4.3), little-endian. */
struct common {
	uint32_t dfselect, dfeature, gfselect, gfeature;
	uint16_t msix_config, num_queues;
	uint8_t status, generation;
	uint16_t qselect, qsize, qmsix, qenable, qnotify_off;
	uint64_t qdesc, qdriver, qdevice;
} __attribute__((packed));

/* ---- config space: vendor capabilities (4.1.4) ------------------------- */
static int vendor_cap(struct nx_pci_dev *d, uint8_t type, uint32_t off, uint32_t len,
		      unsigned size)
{
	int at = nx_pci_add_cap(d, CAP_VENDOR, size);
	uint32_t mult = NOTIFY_MULT;
	uint8_t *c;

	if (at < 0)
		return -1;
	c = d->cfg + at;
	/* struct virtio_pci_cap: vndr, next, len, cfg_type, bar, id, pad, offset, length. */
	c[2] = (uint8_t)size;
	c[3] = type;
	c[4] = 0;			/* BAR0 */
	memcpy(c + 8, &off, 4);
	memcpy(c + 12, &len, 4);
	if (type == CFG_NOTIFY)
		memcpy(c + 16, &mult, 4);
	return 0;
}

/* ---- MSI-X vectors: routes follow the guest's table ---------------------- */
static void op_msix(struct nx_pci_dev *p, int vector)
{
	struct nx_virtio_dev *v = p->priv;

	if (atomic_load(&v->gone))
		return;
	for (unsigned i = 0; i < v->info.nvec; i++) {
		struct nx_msi_msg m;

		if (vector >= 0 && (unsigned)vector != i)
			continue;
		nx_pci_msix_msg(v->pci, i, &m);
		nx_msi_vec_update(&v->vec[i], nx_pci_msix_enabled(v->pci), &m);
	}
}

/* ---- notify doorbells ------------------------------------------------------ */
static void bind_notify(struct nx_virtio_dev *v)
{
	nx_reg_ioeventfd_drop(&v->reg, 0, 0);
	if (!v->bar_mapped || atomic_load(&v->gone))
		return;
	for (unsigned q = 0; q < v->info.nqueues; q++) {
		/* 4.1.4.4: the driver writes the 16-bit queue index there. */
		if (nx_reg_ioeventfd(&v->reg, v->q[q].kick_fd,
				     v->bar_gpa + OFF_NOTIFY + NOTIFY_MULT * q, 2, false, 0) < 0) {
			nx_warn("%s %s: notify ioeventfds not bound, kicks exit to nexit",
				v->info.kind, v->name);
			nx_reg_ioeventfd_drop(&v->reg, 0, 0);
			return;
		}
	}
}

static void op_bar_map(struct nx_pci_dev *p, int bar, uint64_t gpa, bool on)
{
	struct nx_virtio_dev *v = p->priv;

	v->bar_mapped = on;
	v->bar_gpa = gpa;
	bind_notify(v);
}

static const struct nx_pci_ops virtio_pci_ops = { .bar_map = op_bar_map, .msix_update = op_msix };

int nx_virtio_call_fd(const struct nx_virtio_dev *v, unsigned q)
{
	uint16_t m = v->q[q].msix;

	return m < v->info.nvec ? v->vec[m].efd : v->q[q].nocall_fd;
}

/* The eventfd of the configuration-change vector, -1 if none. */
static int config_fd(const struct nx_virtio_dev *v)
{
	return v->msix_config < v->info.nvec ? v->vec[v->msix_config].efd : -1;
}

/* ---- reset and status ------------------------------------------------------ */
static void reset_done(struct nx_virtio_dev *v)
{
	v->resetting = false;
	for (unsigned q = 0; q < v->info.nqueues; q++)
		v->q[q] = (struct nx_virtio_queue){ .size = v->info.qmax,
			.msix = NX_VIRTIO_NO_VECTOR, .kick_fd = v->q[q].kick_fd,
			.nocall_fd = v->q[q].nocall_fd };
	v->drv_features = 0;
	v->dfselect = v->gfselect = 0;
	v->msix_config = NX_VIRTIO_NO_VECTOR;
	v->qselect = 0;
	v->status = 0;
	atomic_store(&v->broken, false);
	v->resets++;
}

/* Device reset (4.1.4.3.2): the data path gives the rings back first; a
 * data path that needs its backend's answer finishes later (resetting). */
static void reset(struct nx_virtio_dev *v)
{
	bool started = false;

	for (unsigned q = 0; q < v->info.nqueues; q++)
		started |= v->q[q].started;
	if (started && v->info.ops->stop && !v->info.ops->stop(v)) {
		v->resetting = true;
		return;
	}
	reset_done(v);
}

void nx_virtio_stopped(struct nx_virtio_dev *v)
{
	nx_pci_lock(v->vm);
	if (v->resetting)
		reset_done(v);
	nx_pci_unlock(v->vm);
}

static void needs_reset(struct nx_virtio_dev *v)
{
	v->status |= NX_VIRTIO_ST_NEEDS_RESET;
	v->generation++;
}

static void set_status(struct nx_virtio_dev *v, uint8_t s)
{
	uint8_t old = v->status;

	if (!s) {
		reset(v);
		return;
	}
	/* FEATURES_OK sticks only for a subset of what was offered, with
	 * VERSION_1 (a modern device rejects legacy drivers, 6.1). */
	if ((s & NX_VIRTIO_ST_FEATURES_OK) && !(old & NX_VIRTIO_ST_FEATURES_OK) &&
	    ((v->drv_features & ~v->info.features) || !(v->drv_features & NX_VIRTIO_F_VERSION_1)))
		s &= (uint8_t)~NX_VIRTIO_ST_FEATURES_OK;
	v->status = s | (old & NX_VIRTIO_ST_NEEDS_RESET);
	if (!(s & NX_VIRTIO_ST_DRIVER_OK) || (old & NX_VIRTIO_ST_DRIVER_OK))
		return;
	/* 3.1.1: DRIVER_OK only after FEATURES_OK was accepted. */
	if (!(s & NX_VIRTIO_ST_FEATURES_OK)) {
		nx_warn("%s %s: driver set DRIVER_OK without FEATURES_OK: device needs reset",
			v->info.kind, v->name);
		needs_reset(v);
		return;
	}
	if (atomic_load(&v->gone)) {
		nx_warn("%s %s: DRIVER_OK but the backend is gone: device needs reset",
			v->info.kind, v->name);
		needs_reset(v);
		return;
	}
	if (v->info.ops->start(v) < 0) {
		needs_reset(v);
		return;
	}
	v->starts++;
}

void nx_virtio_break(struct nx_virtio_dev *v, const char *why)
{
	int fd;
	uint64_t one = 1;

	if (atomic_exchange(&v->broken, true))
		return;
	nx_warn("%s %s: %s: device needs reset, guest keeps running", v->info.kind, v->name, why);
	/* 4.1.5.2: a configuration change interrupt tells the driver. */
	fd = config_fd(v);
	if (fd >= 0 && write(fd, &one, sizeof(one)) != sizeof(one))
		nx_warn("%s %s: cannot signal the configuration vector", v->info.kind, v->name);
}

void nx_virtio_gone(struct nx_virtio_dev *v)
{
	if (atomic_exchange(&v->gone, true))
		return;
	for (unsigned i = 0; i < v->info.nvec; i++)
		nx_msi_vec_gone(&v->vec[i]);
	nx_reg_ioeventfd_drop(&v->reg, 0, 0);
	/* 2.1.2: the device tells the driver it needs a reset. */
	needs_reset(v);
}

/* ---- BAR0 exits (control plane only) ----------------------------------------- */
static void common_image(struct nx_virtio_dev *v, struct common *c)
{
	struct nx_virtio_queue *q = v->qselect < v->info.nqueues ? &v->q[v->qselect] : NULL;
	uint64_t f = v->info.features;

	memset(c, 0, sizeof(*c));
	c->dfselect = v->dfselect;
	c->dfeature = v->dfselect < 2 ? (uint32_t)(f >> (32 * v->dfselect)) : 0;
	c->gfselect = v->gfselect;
	c->gfeature = v->gfselect < 2 ? (uint32_t)(v->drv_features >> (32 * v->gfselect)) : 0;
	c->msix_config = v->msix_config;
	c->num_queues = (uint16_t)v->info.nqueues;
	c->status = v->status;
	if (atomic_load(&v->broken) && (v->status & NX_VIRTIO_ST_DRIVER_OK))
		c->status |= NX_VIRTIO_ST_NEEDS_RESET;
	c->generation = v->generation;
	c->qselect = v->qselect;
	if (q) {
		c->qsize = q->size;
		c->qmsix = q->msix;
		c->qenable = q->enabled;
		c->qnotify_off = v->qselect;
		c->qdesc = q->desc;
		c->qdriver = q->driver;
		c->qdevice = q->device;
	}
}

#define CHANGED(f) (off < offsetof(struct common, f) + sizeof(c.f) && \
		    off + len > offsetof(struct common, f))

static void common_write(struct nx_virtio_dev *v, uint64_t off, const uint8_t *data, uint32_t len)
{
	struct common c;
	struct nx_virtio_queue *q = v->qselect < v->info.nqueues ? &v->q[v->qselect] : NULL;
	bool live = v->status & NX_VIRTIO_ST_DRIVER_OK;
	unsigned nvec = v->info.nvec;

	if (v->resetting)
		return;		/* the driver waits for status 0 first (4.1.4.3.2) */
	common_image(v, &c);
	memcpy((uint8_t *)&c + off, data, len);
	if (CHANGED(dfselect))
		v->dfselect = c.dfselect;
	if (CHANGED(gfselect))
		v->gfselect = c.gfselect;
	if (CHANGED(gfeature) && v->gfselect < 2 && !(v->status & NX_VIRTIO_ST_FEATURES_OK)) {
		unsigned sh = 32 * v->gfselect;
		v->drv_features = (v->drv_features & ~(0xffffffffull << sh)) |
				  ((uint64_t)c.gfeature << sh);
	}
	if (CHANGED(msix_config))
		v->msix_config = c.msix_config < nvec ? c.msix_config : NX_VIRTIO_NO_VECTOR;
	if (CHANGED(qselect))
		v->qselect = c.qselect;
	/* Queue fields are frozen once the queue is enabled (4.1.4.3.2). */
	if (q && !live && !q->enabled) {
		if (CHANGED(qsize) && c.qsize && c.qsize <= v->info.qmax && !(c.qsize & (c.qsize - 1)))
			q->size = c.qsize;
		if (CHANGED(qmsix))
			q->msix = c.qmsix < nvec ? c.qmsix : NX_VIRTIO_NO_VECTOR;
		if (CHANGED(qdesc))
			q->desc = c.qdesc;
		if (CHANGED(qdriver))
			q->driver = c.qdriver;
		if (CHANGED(qdevice))
			q->device = c.qdevice;
		if (CHANGED(qenable) && c.qenable == 1)
			q->enabled = true;
	}
	if (CHANGED(status))
		set_status(v, c.status);
}

static void bar_mmio(void *op, uint64_t off, uint8_t *data, uint32_t len, bool w,
		     struct nx_vcpu *vcpu)
{
	struct nx_virtio_dev *v = op;
	uint8_t buf[64] = { 0 };

	atomic_fetch_add(&v->mmio_exits, 1);
	if (!w)
		memset(data, 0, len);	/* and ISR status (4.1.4.5) stays 0: MSI-X only */
	nx_pci_lock(v->vm);
	if (off + len <= OFF_COMMON + sizeof(struct common)) {
		if (w) {
			common_write(v, off, data, len);
		} else {
			common_image(v, (struct common *)buf);
			memcpy(data, buf + off, len);
		}
	} else if (off >= OFF_DEVICE && off + len <= OFF_DEVICE + v->info.config_len) {
		v->info.ops->config(v, (uint32_t)(off - OFF_DEVICE), data, len, w);
	} else if (off >= OFF_NOTIFY && off < OFF_NOTIFY + NOTIFY_MULT * v->info.nqueues) {
		/* A notify that is not a 16-bit write (or came before the
		 * ioeventfd was bound): kick the queue ourselves. */
		uint64_t one = 1;
		unsigned q = (unsigned)(off - OFF_NOTIFY) / NOTIFY_MULT;

		atomic_fetch_add(&v->notify_exits, 1);
		if (w && write(v->q[q].kick_fd, &one, sizeof(one)) != sizeof(one))
			nx_warn("%s %s: cannot kick queue %u", v->info.kind, v->name, q);
	}
	nx_pci_unlock(v->vm);
}

/* ---- creation ------------------------------------------------------------ */
int nx_virtio_init(struct nx_virtio_dev *v, struct nx_vm *vm, const char *name,
		   const struct nx_virtio_info *info, int slot)
{
	char pci_name[48];
	struct nx_pci_dev *d;

	if (info->nqueues > NX_VIRTIO_MAX_QUEUES || info->nvec > NX_VIRTIO_MAX_VEC ||
	    info->config_len > DEVICE_MAX || !info->ops || !info->ops->start || !info->ops->config)
		return nx_error("%s %s: bad virtio device description", info->kind, name);
	v->vm = vm;
	v->info = *info;
	v->reg.vm = vm;
	snprintf(v->name, sizeof(v->name), "%s", name);
	for (unsigned q = 0; q < info->nqueues; q++) {
		v->q[q].kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		v->q[q].nocall_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (v->q[q].kick_fd < 0 || v->q[q].nocall_fd < 0)
			return nx_error("eventfd: %s", strerror(errno));
	}
	for (unsigned i = 0; i < info->nvec; i++)
		if (nx_msi_vec_init(vm, &v->vec[i], -1) < 0)
			return -1;
	reset(v);
	v->resets = 0;

	snprintf(pci_name, sizeof(pci_name), "%s-%s", info->kind, name);
	d = nx_pci_dev_new(vm, pci_name, NX_VIRTIO_VENDOR, (uint16_t)(0x1040 + info->type),
			   info->class_code, slot);
	if (!d)
		return -1;
	v->pci = d;
	d->cfg[0x08] = 1;		/* revision >= 1: modern-only device (4.1.2.1) */
	d->cfg[0x2e] = (uint8_t)(0x40 + info->type);	/* subsystem id >= 0x40 (4.1.2.1) */
	d->cfg[0x2f] = 0x00;
	d->ops = &virtio_pci_ops;
	d->priv = v;
	if (nx_pci_add_bar(d, 0, BAR_SIZE, 0, bar_mmio, v) < 0 ||
	    nx_pci_add_msix(d, info->nvec, 0, OFF_MSIX_TABLE, OFF_MSIX_PBA) < 0 ||
	    vendor_cap(d, CFG_DEVICE, OFF_DEVICE, info->config_len, 16) < 0 ||
	    vendor_cap(d, CFG_ISR, OFF_ISR, 4, 16) < 0 ||
	    vendor_cap(d, CFG_NOTIFY, OFF_NOTIFY, NOTIFY_MULT * info->nqueues, 20) < 0 ||
	    vendor_cap(d, CFG_COMMON, OFF_COMMON, sizeof(struct common), 16) < 0 ||
	    nx_pci_dev_register(d) < 0)
		return -1;
	for (unsigned i = 0; i < info->nvec; i++)
		v->vec[i].devid = nx_pci_requester_id(d);
	return 0;
}

/* ---- stats ----------------------------------------------------------------- */
void nx_virtio_lines_json(struct nx_virtio_dev *v, struct json_object *arr,
			  const char *const *vec_names, const char *delivered_by)
{
	char id[64];

	for (unsigned i = 0; i < v->info.nvec; i++) {
		struct json_object *o;

		if (v->vec[i].state == NX_MSI_VEC_DISABLED && !v->vec[i].route_updates)
			continue;
		snprintf(id, sizeof(id), "%s.msix%u", v->name, i);
		/* Signalled by the data path through the irqfd: nexit sees no
		 * interrupt, so vmm_exits is null; live_exits are the exits nexit
		 * does take on the vector's path (MSI-X table accesses while the
		 * vector is live). */
		o = nx_pt_line_json(id, &v->vec[i], -1, -1);
		nx_json_u64(o, "live_exits", v->pci->msix_live_exits[i]);
		json_object_object_add(o, "delivered_by", json_object_new_string(delivered_by));
		json_object_object_add(o, "device", json_object_new_string(v->name));
		json_object_object_add(o, "use", json_object_new_string(vec_names[i]));
		json_object_array_add(arr, o);
	}
}

struct json_object *nx_virtio_device_json(struct nx_virtio_dev *v)
{
	struct json_object *o = json_object_new_object();
	bool broken = atomic_load(&v->broken);
	char f[24];

	json_object_object_add(o, "name", json_object_new_string(v->name));
	json_object_object_add(o, "type", json_object_new_string(v->info.kind));
	json_object_object_add(o, "slot", json_object_new_int(v->pci->slot));
	json_object_object_add(o, "state", json_object_new_string(
		atomic_load(&v->gone) ? "source-gone" : broken ? "needs-reset" :
		v->status & NX_VIRTIO_ST_DRIVER_OK ? "running" : "idle"));
	json_object_object_add(o, "status", json_object_new_int(v->status));
	snprintf(f, sizeof(f), "0x%llx", (unsigned long long)v->drv_features);
	json_object_object_add(o, "features", json_object_new_string(f));
	nx_json_u64(o, "starts", v->starts);
	nx_json_u64(o, "resets", v->resets);
	nx_json_u64(o, "mmio_exits", atomic_load(&v->mmio_exits));
	nx_json_u64(o, "notify_exits", atomic_load(&v->notify_exits));
	json_object_object_add(o, "ioeventfds", json_object_new_int(v->reg.n));
	return o;
}

/* SPDX-License-Identifier: MIT */
/*
 * virtio_blk.c - a virtio-blk device (virtio 1.1 5.2) backed by a raw image
 * file (or block device), on nexit's virtio PCI transport (virtio_pci.c).
 *
 * Control plane (exits, set-up time only): PCI config, common config, the
 * device configuration below. Data path (no exit, blk_io.c): the notify
 * address is a KVM ioeventfd whose eventfd the queue's I/O thread reads
 * through io_uring; requests go to the image with io_uring; completions
 * interrupt the guest through the queue vector's KVM irqfd.
 *
 *   [device "vda"]
 *   type = virtio-blk
 *   path = root.img        ; raw image (regular file or block device)
 *   readonly = on          ; optional: VIRTIO_BLK_F_RO, writes fail
 *   serial = ROOT          ; optional: GET_ID answer (20 bytes max)
 *
 * Features: VERSION_1, SEG_MAX, BLK_SIZE, FLUSH, RO when read-only. One
 * request queue (MSI-X vector 1; vector 0 is configuration changes). The
 * image is locked (flock: exclusive, shared when read-only) so two VMs
 * never write one image.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include <linux/fs.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include "passthrough/virtio.h"

#define QUEUE_MAX		256
#define NVEC			2		/* config, requests */
#define CONFIG_LEN		0x24

/* Feature bits (5.2.3). */
#define F_SEG_MAX		(1ull << 2)
#define F_RO			(1ull << 5)
#define F_BLK_SIZE		(1ull << 6)
#define F_FLUSH			(1ull << 9)

struct nx_virtio_blk {
	struct nx_virtio_dev v;
	char path[256];
	int fd;
	struct nx_blk_disk disk;
	struct nx_blk_io *io;
	struct nx_blk_stats st;
};

/* struct virtio_blk_config (5.2.4): capacity, size_max, seg_max, geometry,
 * blk_size, topology, writeback, num_queues. Read-only for the driver. */
static void op_config(struct nx_virtio_dev *v, uint32_t off, uint8_t *data, uint32_t len, bool w)
{
	struct nx_virtio_blk *b = nx_virtio_of(v, struct nx_virtio_blk);
	uint8_t buf[CONFIG_LEN] = { 0 };
	uint32_t seg_max = NX_BLK_SEG_MAX, blk_size = NX_BLK_SECTOR;
	uint16_t nq = 1;

	if (w)
		return;
	memcpy(buf + 0, &b->disk.sectors, 8);
	memcpy(buf + 12, &seg_max, 4);
	memcpy(buf + 20, &blk_size, 4);
	buf[32] = 1;			/* writeback: a volatile cache, FLUSH needed */
	memcpy(buf + 34, &nq, 2);
	memcpy(data, buf + off, len);
}

static void on_broken(void *opaque, const char *why)
{
	nx_virtio_break(opaque, why);
}

static int op_start(struct nx_virtio_dev *v)
{
	struct nx_virtio_blk *b = nx_virtio_of(v, struct nx_virtio_blk);
	struct nx_virtio_queue *q = &v->q[0];
	struct nx_blk_io_cfg c = { .mem = &v->vm->mem, .img_fd = b->fd, .disk = &b->disk,
				   .qsize = q->size, .desc = q->desc, .avail = q->driver,
				   .used = q->device, .kick_fd = q->kick_fd,
				   .call_fd = nx_virtio_call_fd(v, 0), .stats = &b->st,
				   .name = v->name, .broken = on_broken, .opaque = v };

	if (!q->enabled)
		return 0;
	b->io = nx_blk_io_start(&c);
	if (!b->io)
		return -1;
	q->started = true;
	return 0;
}

static bool op_stop(struct nx_virtio_dev *v)
{
	struct nx_virtio_blk *b = nx_virtio_of(v, struct nx_virtio_blk);

	nx_blk_io_stop(b->io);
	b->io = NULL;
	return true;
}

static const struct nx_virtio_ops blk_ops = { .config = op_config, .start = op_start,
					      .stop = op_stop };

/* ---- the image ----------------------------------------------------------- */
static int open_image(struct nx_virtio_blk *b, const char *dev)
{
	struct stat st;
	uint64_t size;

	b->fd = open(b->path, (b->disk.readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (b->fd < 0)
		return nx_error("device %s: image %s: %s", dev, b->path, strerror(errno));
	if (fstat(b->fd, &st) < 0)
		return nx_error("device %s: image %s: %s", dev, b->path, strerror(errno));
	if (S_ISREG(st.st_mode)) {
		size = (uint64_t)st.st_size;
	} else if (S_ISBLK(st.st_mode)) {
		if (ioctl(b->fd, BLKGETSIZE64, &size) < 0)
			return nx_error("device %s: image %s: BLKGETSIZE64: %s", dev, b->path,
					strerror(errno));
	} else {
		return nx_error("device %s: image %s is not a regular file or block device", dev,
				b->path);
	}
	if (size < NX_BLK_SECTOR)
		return nx_error("device %s: image %s is smaller than one 512-byte sector", dev,
				b->path);
	/* One writer per image (shared for readers), as QEMU's image locking. */
	if (flock(b->fd, (b->disk.readonly ? LOCK_SH : LOCK_EX) | LOCK_NB) < 0)
		return nx_error("device %s: image %s is in use by another process (%s)", dev,
				b->path, strerror(errno));
	if (size % NX_BLK_SECTOR)
		nx_warn("device %s: image %s: the last %llu bytes are not a whole sector and are "
			"not used", dev, b->path, (unsigned long long)(size % NX_BLK_SECTOR));
	b->disk.sectors = size / NX_BLK_SECTOR;
	return 0;
}

static int parse_opts(struct nx_virtio_blk *b, const struct nx_device_cfg *c)
{
	char pb[256], rb[16], sb[32];
	const char *p = nx_dev_opt(c->opts, "path", pb, sizeof(pb));
	const char *ro = nx_dev_opt(c->opts, "readonly", rb, sizeof(rb));
	const char *s = nx_dev_opt(c->opts, "serial", sb, sizeof(sb));

	if (!p)
		return nx_error("device %s: virtio-blk needs path = IMAGE (a raw disk image)", c->name);
	if (strlen(p) >= sizeof(b->path) - 1)
		return nx_error("device %s: path too long", c->name);
	snprintf(b->path, sizeof(b->path), "%s", p);
	if (ro && (!strcmp(ro, "on") || !strcmp(ro, "yes") || !strcmp(ro, "true") || !strcmp(ro, "1")))
		b->disk.readonly = true;
	else if (ro && strcmp(ro, "off") && strcmp(ro, "no") && strcmp(ro, "false") && strcmp(ro, "0"))
		return nx_error("device %s: readonly must be on or off, not '%s'", c->name, ro);
	if (s && strlen(s) > NX_BLK_ID_BYTES)
		return nx_error("device %s: serial '%s' is longer than %d bytes", c->name, s,
				NX_BLK_ID_BYTES);
	/* The id the driver reads with GET_ID (/sys/block/vda/serial). */
	s = s ? s : c->name;
	memcpy(b->disk.serial, s, strnlen(s, NX_BLK_ID_BYTES));
	return 0;
}

static void *blk_create(struct nx_pt *pt, const struct nx_device_cfg *c)
{
	struct nx_virtio_blk *b = calloc(1, sizeof(*b));
	struct nx_virtio_info info = { .kind = "virtio-blk", .type = 2, .class_code = 0x018000,
				       .nqueues = 1, .qmax = QUEUE_MAX, .nvec = NVEC,
				       .config_len = CONFIG_LEN, .ops = &blk_ops };
	int slot;

	if (!b)
		return nx_error_null("out of memory");
	nx_lives_until_exit(b);	/* a failed set-up stops nexit */
	b->fd = -1;
	if (c->backend[0])
		return nx_error_null("device %s: virtio-blk takes path = IMAGE, not backend",
				     c->name);
	if (parse_opts(b, c) < 0 || nx_dev_opt_slot(c->opts, &slot, c->name) < 0 ||
	    open_image(b, c->name) < 0)
		return NULL;
	info.features = NX_VIRTIO_F_VERSION_1 | F_SEG_MAX | F_BLK_SIZE | F_FLUSH |
			(b->disk.readonly ? F_RO : 0);
	if (nx_virtio_init(&b->v, pt->vm, c->name, &info, slot) < 0)
		return NULL;
	nx_info("virtio-blk %s: PCI 00:%02x.0, BAR0 0x%llx, %s (%llu sectors%s)", c->name,
		b->v.pci->slot, (unsigned long long)b->v.pci->bar[0].addr, b->path,
		(unsigned long long)b->disk.sectors, b->disk.readonly ? ", read-only" : "");
	return b;
}

static void blk_lines_json(void *dev, struct json_object *arr)
{
	struct nx_virtio_blk *b = dev;
	static const char *const names[NVEC] = { "config", "requests" };

	nx_pci_lock(b->v.vm);
	nx_virtio_lines_json(&b->v, arr, names, "nexit-blk-io");
	nx_pci_unlock(b->v.vm);
}

static void blk_device_json(void *dev, struct json_object *arr)
{
	struct nx_virtio_blk *b = dev;
	struct json_object *o;
	struct nx_blk_stats *s = &b->st;
	uint64_t req, exits;

	nx_pci_lock(b->v.vm);
	o = nx_virtio_device_json(&b->v);
	json_object_object_add(o, "path", json_object_new_string(b->path));
	json_object_object_add(o, "readonly", json_object_new_boolean(b->disk.readonly));
	nx_json_u64(o, "sectors", b->disk.sectors);
	req = atomic_load(&s->requests);
	nx_json_u64(o, "requests", req);
	nx_json_u64(o, "reads", atomic_load(&s->reads));
	nx_json_u64(o, "writes", atomic_load(&s->writes));
	nx_json_u64(o, "flushes", atomic_load(&s->flushes));
	nx_json_u64(o, "get_id", atomic_load(&s->ids));
	nx_json_u64(o, "bytes_read", atomic_load(&s->bytes_read));
	nx_json_u64(o, "bytes_written", atomic_load(&s->bytes_written));
	nx_json_u64(o, "ioerr", atomic_load(&s->ioerr));
	nx_json_u64(o, "unsupported", atomic_load(&s->unsupp));
	nx_json_u64(o, "bad_chains", atomic_load(&s->bad_chains));
	nx_json_u64(o, "kicks", atomic_load(&s->kicks));
	nx_json_u64(o, "interrupts", atomic_load(&s->interrupts));
	/* The data path's only possible exit is a notify that missed the
	 * ioeventfd; completions are irqfd writes and cannot exit. */
	exits = atomic_load(&b->v.notify_exits);
	nx_json_u64(o, "data_path_exits", exits);
	json_object_object_add(o, "vmm_exits_per_request",
			       req ? json_object_new_double((double)exits / (double)req) : NULL);
	json_object_array_add(arr, o);
	nx_pci_unlock(b->v.vm);
}

const struct nx_dev_type nx_virtio_blk_type = {
	.name = "virtio-blk", .create = blk_create,
	.lines_json = blk_lines_json, .device_json = blk_device_json,
};

/* SPDX-License-Identifier: MIT */
/*
 * virtio.h - virtio 1.x devices whose data path never enters nexit:
 *
 *  - the PCI modern transport (virtio 1.1 4.1, virtio_pci.c) that every
 *    nexit virtio device shares: vendor capabilities, the common
 *    configuration, feature negotiation, device status, queue set-up,
 *    MSI-X vectors whose routes follow the guest (route.c) and one KVM
 *    ioeventfd per queue notify address;
 *  - the host side of a split virtqueue (2.6, virtq.c) for devices that
 *    serve their rings in nexit's own I/O threads (virtio-blk), written
 *    for a hostile guest: every index, length and address is checked,
 *    chains are bounded by the ring size, nothing is trusted twice.
 *
 * A device fills struct nx_virtio_info (type, queues, features, config
 * size, ops) and calls nx_virtio_init; its ops run with the PCI lock held
 * (config-time exits only). docs/virtio.md has the pictures.
 */
#ifndef NEXIT_PASSTHROUGH_VIRTIO_H
#define NEXIT_PASSTHROUGH_VIRTIO_H

#include <sys/uio.h>
#include "passthrough/passthrough.h"

#define NX_VIRTIO_VENDOR	0x1af4
#define NX_VIRTIO_MAX_QUEUES	4
#define NX_VIRTIO_MAX_VEC	(NX_VIRTIO_MAX_QUEUES + 1)
#define NX_VIRTIO_NO_VECTOR	0xffff		/* VIRTIO_MSI_NO_VECTOR (4.1.5.1.2) */

/* Device status (2.1). */
#define NX_VIRTIO_ST_ACK		0x01
#define NX_VIRTIO_ST_DRIVER		0x02
#define NX_VIRTIO_ST_DRIVER_OK		0x04
#define NX_VIRTIO_ST_FEATURES_OK	0x08
#define NX_VIRTIO_ST_NEEDS_RESET	0x40

/* Device-independent feature bits (6). */
#define NX_VIRTIO_F_INDIRECT_DESC	(1ull << 28)
#define NX_VIRTIO_F_EVENT_IDX		(1ull << 29)
#define NX_VIRTIO_F_VERSION_1		(1ull << 32)

/* ---- split virtqueue, host side (virtq.c) ------------------------------- */
#define NX_VRING_DESC_F_NEXT	1
#define NX_VRING_DESC_F_WRITE	2
#define NX_VRING_DESC_F_INDIRECT 4
#define NX_VRING_AVAIL_F_NO_INTERRUPT 1
#define NX_VRING_USED_F_NO_NOTIFY 1

struct nx_vring_desc { uint64_t addr; uint32_t len; uint16_t flags, next; };

/* One guest buffer of a chain, already translated and bounds-checked. */
struct nx_vq_seg {
	uint8_t *hva;
	uint32_t len;
	bool write;		/* device-writable */
};

struct nx_vring {
	const struct nx_mem *mem;
	uint16_t size;			/* power of two, <= 32768 */
	struct nx_vring_desc *desc;	/* host pointers into guest RAM */
	uint16_t *avail;		/* flags, idx, ring[size] */
	uint8_t *used;			/* flags, idx, {id, len}[size] */
	uint16_t last_avail;		/* next avail entry the device takes */
	uint16_t used_idx;		/* next used entry the device fills */
	uint16_t published;		/* used idx last made visible */
	bool broken;			/* the driver broke the ring: stop using it */
	char why[96];			/* first reason it broke */
};

/* Rings at the guest-physical addresses the driver set (2.6: desc 16-byte,
 * avail 2-byte, used 4-byte aligned, wholly in RAM). <0 with why set. */
int  nx_vring_init(struct nx_vring *r, const struct nx_mem *mem, uint16_t size, uint64_t desc,
		   uint64_t avail, uint64_t used, char *why, size_t wlen);
/* The next chain head the driver made available: 1 and *head, 0 if none,
 * -1 if the ring is broken (avail idx more than size ahead, head >= size). */
int  nx_vring_pop(struct nx_vring *r, uint16_t *head);
/* Walks the chain at head into segs (at most max). Returns the number of
 * segments, or -1 with *why: an index past the ring, a loop (more than size
 * descriptors), a buffer outside RAM, an indirect descriptor (not offered),
 * a readable buffer after a writable one (2.6.4.2), more than max. */
int  nx_vring_chain(struct nx_vring *r, uint16_t head, struct nx_vq_seg *segs, unsigned max,
		    const char **why);
/* Puts {head, len} in the used ring (not yet visible to the driver). */
void nx_vring_push(struct nx_vring *r, uint16_t head, uint32_t len);
/* Makes pushed entries visible (used idx, release order); true if the
 * driver wants an interrupt for them (no VRING_AVAIL_F_NO_INTERRUPT). */
bool nx_vring_publish(struct nx_vring *r);
/* VRING_USED_F_NO_NOTIFY on (no kicks wanted) or off; off returns true if
 * buffers arrived meanwhile (re-check after enabling, 2.6.7.1). */
bool nx_vring_notify(struct nx_vring *r, bool on);
/* Copies len bytes starting at byte off of the readable part of a chain. */
bool nx_vq_read(const struct nx_vq_seg *s, unsigned n, uint64_t off, void *dst, uint64_t len);

/* ---- the PCI transport (virtio_pci.c) ----------------------------------- */
struct nx_virtio_queue {
	uint16_t size, msix;
	bool enabled, started;
	uint64_t desc, driver, device;	/* guest physical */
	int kick_fd;			/* the notify address's ioeventfd */
	int nocall_fd;			/* call fd when the queue has no vector */
};

struct nx_virtio_dev;
struct nx_virtio_ops {
	/* Device configuration structure (4.1.4.6) at off; reads fill data. */
	void (*config)(struct nx_virtio_dev *v, uint32_t off, uint8_t *data, uint32_t len,
		       bool is_write);
	/* DRIVER_OK after FEATURES_OK: hand the enabled queues to the data
	 * path. <0: the device sets DEVICE_NEEDS_RESET (2.1.2). */
	int  (*start)(struct nx_virtio_dev *v);
	/* Reset of a started device: the data path gives the rings back.
	 * true: done, it touches guest memory no more. false: it goes on
	 * without the bus lock (a backend that must answer) and calls
	 * nx_virtio_stopped() when done; until then the device status reads
	 * its old value, so the driver waits (4.1.4.3.2). */
	bool (*stop)(struct nx_virtio_dev *v);
};

struct nx_virtio_info {
	const char *kind;		/* "virtio-net", for messages */
	uint16_t type;			/* virtio device id (5): 1 net, 2 block */
	uint32_t class_code;
	unsigned nqueues;		/* <= NX_VIRTIO_MAX_QUEUES */
	uint16_t qmax;			/* largest queue size (power of two) */
	unsigned nvec;			/* MSI-X vectors, <= NX_VIRTIO_MAX_VEC */
	uint32_t config_len;		/* bytes of device configuration */
	uint64_t features;		/* what the device offers (VERSION_1 included) */
	const struct nx_virtio_ops *ops;
};

struct nx_virtio_dev {
	struct nx_vm *vm;
	char name[32];
	struct nx_pci_dev *pci;
	struct nx_virtio_info info;
	uint64_t drv_features;
	uint32_t dfselect, gfselect;
	uint16_t msix_config, qselect;
	uint8_t status, generation;
	struct nx_virtio_queue q[NX_VIRTIO_MAX_QUEUES];
	struct nx_msi_vec vec[NX_VIRTIO_MAX_VEC];
	struct nx_ioev_set reg;
	uint64_t bar_gpa;
	bool bar_mapped;
	bool resetting;			/* a reset waits for ops->stop to finish */
	atomic_bool gone;		/* the data path's backend died */
	atomic_bool broken;		/* the data path found the rings broken */
	uint64_t starts, resets;
	_Atomic uint64_t mmio_exits, notify_exits;
};
/* The device struct that embeds dev as its member v. */
#define nx_virtio_of(dev, type)	((type *)((char *)(dev) - offsetof(type, v)))

/* Fills the PCI function (slot -1: first free) and registers it. */
int  nx_virtio_init(struct nx_virtio_dev *v, struct nx_vm *vm, const char *name,
		    const struct nx_virtio_info *info, int slot);
/* The eventfd that interrupts the driver for queue q: its MSI-X vector's
 * irqfd, or a private eventfd nobody waits on (NO_VECTOR). */
int  nx_virtio_call_fd(const struct nx_virtio_dev *v, unsigned q);
/* The data path found the driver's rings unusable: DEVICE_NEEDS_RESET and
 * a configuration-change interrupt (2.1.2, 4.1.5.2). Any thread. */
void nx_virtio_break(struct nx_virtio_dev *v, const char *why);
/* The backend died: vectors and doorbells off, DEVICE_NEEDS_RESET. */
void nx_virtio_gone(struct nx_virtio_dev *v);
/* A stop that returned false is done: the reset completes (takes the bus lock). */
void nx_virtio_stopped(struct nx_virtio_dev *v);
/* Stats: one exitless line per vector in use, and the transport's fields
 * (name, type, slot, state, status, features, starts, resets, exits). */
void nx_virtio_lines_json(struct nx_virtio_dev *v, struct json_object *arr,
			  const char *const *vec_names, const char *delivered_by);
struct json_object *nx_virtio_device_json(struct nx_virtio_dev *v);

/* ---- virtio-blk (virtio_blk.c, blk_req.c, blk_io.c, docs/virtio.md) ------ */
#define NX_BLK_SECTOR		512
#define NX_BLK_SEG_MAX		126	/* data segments per request (config seg_max) */
#define NX_BLK_ID_BYTES		20	/* VIRTIO_BLK_ID_BYTES */
#define NX_BLK_T_IN		0
#define NX_BLK_T_OUT		1
#define NX_BLK_T_FLUSH		4
#define NX_BLK_T_GET_ID		8
#define NX_BLK_S_OK		0
#define NX_BLK_S_IOERR		1
#define NX_BLK_S_UNSUPP		2

/* One request, parsed from a chain (blk_req.c). */
struct nx_blk_req {
	uint32_t type;
	uint64_t sector;
	struct iovec iov[NX_BLK_SEG_MAX + 2];	/* the data part of the chain */
	unsigned niov;
	uint64_t len;			/* data bytes */
	uint8_t *status;		/* the status byte, NULL if the chain has none */
	uint32_t used_len;		/* bytes written into the chain on completion */
};
/* The image the requests go to. */
struct nx_blk_disk {
	uint64_t sectors;
	bool readonly;
	char serial[NX_BLK_ID_BYTES];
};
/*
 * Parses a chain into r and checks it against the disk: returns the status
 * to complete with at once (IOERR, UNSUPP; *why says what was wrong), or
 * -1 when the request is good and must be done (IN, OUT, FLUSH), or
 * NX_BLK_S_OK for GET_ID (already answered). A chain without a status
 * byte returns IOERR with r->status NULL: it is completed with length 0.
 */
int nx_blk_parse(const struct nx_vq_seg *s, unsigned n, const struct nx_blk_disk *d,
		 struct nx_blk_req *r, const char **why);

/* The I/O thread of one queue (blk_io.c): kicks, io_uring, completions. */
struct nx_blk_stats {
	_Atomic uint64_t requests, reads, writes, flushes, ids, bytes_read, bytes_written;
	_Atomic uint64_t ioerr, unsupp, bad_chains, kicks, interrupts;
};
struct nx_blk_io;
struct nx_blk_io_cfg {
	const struct nx_mem *mem;
	int img_fd;
	const struct nx_blk_disk *disk;
	uint16_t qsize;
	uint64_t desc, avail, used;	/* guest physical */
	int kick_fd, call_fd;
	struct nx_blk_stats *stats;
	const char *name;
	/* The ring broke: the device needs a reset (called on the I/O thread). */
	void (*broken)(void *opaque, const char *why);
	void *opaque;
};
/* Starts the thread; NULL with one error line (rings, io_uring). */
struct nx_blk_io *nx_blk_io_start(const struct nx_blk_io_cfg *c);
/* Stops taking requests, waits (bounded) for those in flight, joins. */
void nx_blk_io_stop(struct nx_blk_io *io);

#endif

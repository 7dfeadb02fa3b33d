/* SPDX-License-Identifier: MIT */
/*
 * virtio.h - a minimal virtio 1.x driver core for the probe guest: the PCI
 * modern transport (virtio 1.1 4.1), split virtqueues (2.6) and MSI-X
 * (PCI 3.0 6.8.2). Enough to drive nexit's virtio-net and virtio-blk and
 * QEMU's virtio-net-pci and virtio-blk-pci with the same code (docs/net.md,
 * docs/virtio.md).
 */
#ifndef PROBE_VIRTIO_H
#define PROBE_VIRTIO_H

#include "probe.h"

#define VIRTIO_VENDOR		0x1af4
#define VIRTIO_ID_NET		1
#define VIRTIO_ID_BLK		2
#define VIRTIO_F_VERSION_1	(1ull << 32)
#define VIRTIO_NET_F_MAC	(1ull << 5)
#define VIRTIO_NO_VECTOR	0xffff

/* Device status (2.1). */
#define VIRTIO_ST_ACK		0x01
#define VIRTIO_ST_DRIVER	0x02
#define VIRTIO_ST_DRIVER_OK	0x04
#define VIRTIO_ST_FEATURES_OK	0x08
#define VIRTIO_ST_NEEDS_RESET	0x40
#define VIRTIO_ST_FAILED	0x80

/* Split virtqueue (2.6). */
#define VRING_DESC_F_NEXT	1
#define VRING_DESC_F_WRITE	2
#define VRING_AVAIL_F_NO_INTERRUPT 1
#define VRING_USED_F_NO_NOTIFY	1
struct vring_desc { u64 addr; u32 len; u16 flags, next; };
struct vring_avail { u16 flags, idx; u16 ring[]; };
struct vring_used_elem { u32 id, len; };
struct vring_used { u16 flags, idx; struct vring_used_elem ring[]; };

struct virtq {
	u16 index, size;
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	u16 avail_idx;		/* driver's next avail slot  */
	u16 last_used;		/* driver's next used slot   */
	u64 notify;		/* MMIO address of its doorbell */
};

struct virtio_pci {
	struct pci_dev pci;
	u64 common, isr, device, notify_base;
	u32 notify_mult;
	u8 msix_cap;
	u16 msix_n;
	u64 msix_table;
	u64 features;		/* negotiated */
	u64 bar[6];		/* addresses as used (after any relocation) */
	bool relocated;		/* a BAR was above 4 GiB and moved below */
};

/* Finds the first virtio device of type id (modern 0x1040 + id, or the
 * transitional id), maps its capability structures; false if none. */
bool virtio_pci_find(unsigned id, struct virtio_pci *v, const char **err);
/* Reset, ACKNOWLEDGE, DRIVER, features (want & offered), FEATURES_OK. */
bool virtio_negotiate(struct virtio_pci *v, u64 want, const char **err);
/* Queue q with at most size entries in mem (page aligned, virtq_mem_size
 * bytes); msix = vector or VIRTIO_NO_VECTOR. Enables the queue. */
bool virtq_setup(struct virtio_pci *v, u16 q, u16 size, void *mem, u16 msix,
		 struct virtq *vq, const char **err);
u64 virtq_mem_size(u16 size);
void virtio_driver_ok(struct virtio_pci *v);
u8 virtio_status(const struct virtio_pci *v);
/* Reset that waits at most max_cycles for status 0; false if it did not come. */
bool virtio_reset_timed(struct virtio_pci *v, u64 max_cycles);
void virtio_reset(struct virtio_pci *v);
/* MSI-X: function enable, and one entry as a fixed edge MSI to dest_apic. */
void virtio_msix_enable(struct virtio_pci *v, bool on);
void virtio_msix_set(struct virtio_pci *v, u16 entry, u32 dest_apic, u8 vector, bool masked);
u8 virtio_dev_read8(const struct virtio_pci *v, u32 off);
u32 virtio_dev_read32(const struct virtio_pci *v, u32 off);
/* The configuration-change vector (common config msix_config). */
void virtio_config_vector(struct virtio_pci *v, u16 entry);

/* The queue's doorbell: the 16-bit queue index (4.1.4.4). Any ring. */
static inline void virtq_kick(const struct virtq *vq)
{
	*(volatile u16 *)vq->notify = vq->index;
}

#endif

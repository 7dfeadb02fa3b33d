/* SPDX-License-Identifier: MIT */
/*
 * virtq.c - the device side of a split virtqueue (virtio 1.1 2.6) in
 * guest RAM, for the devices nexit serves itself (virtio-blk's I/O thread).
 *
 * The driver is hostile (DEVELOPERS.md, threat model): it may change any
 * ring byte at any time, from another vCPU. So every descriptor is copied
 * once and only the copy is checked and used; every index is checked
 * against the ring size; a chain is at most `size` descriptors long (a loop
 * ends there); every buffer must lie wholly in guest RAM (nx_gpa). What a
 * bad chain costs is that chain (the caller completes it with an error);
 * what a bad ring costs (an available index more than `size` ahead, a head
 * past the ring) is that ring: it is marked broken and no longer read.
 *
 * Ordering (2.6.13, x86 TSO plus compiler): avail idx is read with acquire
 * before its entries; used entries are written before used idx with
 * release; a full fence separates publishing used idx from reading the
 * driver's NO_INTERRUPT flag, and re-enabling kicks from re-reading avail
 * idx (the lost wake-up 2.6.7.1 warns about).
 */
#include <string.h>
#include "passthrough/virtio.h"

#define AVAIL_FLAGS	0
#define AVAIL_IDX	1
#define AVAIL_RING	2
#define USED_IDX_OFF	2
#define USED_RING_OFF	4

static void broke(struct nx_vring *r, const char *why)
{
	if (!r->broken)
		snprintf(r->why, sizeof(r->why), "%s", why);
	r->broken = true;
}

int nx_vring_init(struct nx_vring *r, const struct nx_mem *mem, uint16_t size, uint64_t desc,
		  uint64_t avail, uint64_t used, char *why, size_t wlen)
{
	uint64_t n = size;

	memset(r, 0, sizeof(*r));
	r->mem = mem;
	r->size = size;
	if (!size || (size & (size - 1)) || size > 32768) {
		snprintf(why, wlen, "queue size %u is not a power of two up to 32768", size);
		return -1;
	}
	if ((desc & 15) || (avail & 1) || (used & 3)) {
		snprintf(why, wlen, "rings misaligned (desc 0x%llx avail 0x%llx used 0x%llx)",
			 (unsigned long long)desc, (unsigned long long)avail,
			 (unsigned long long)used);
		return -1;
	}
	/* Sizes (2.6): desc 16*N, avail 6+2*N, used 6+8*N. */
	r->desc = nx_gpa(mem, desc, 16 * n);
	r->avail = nx_gpa(mem, avail, 6 + 2 * n);
	r->used = nx_gpa(mem, used, 6 + 8 * n);
	if (!r->desc || !r->avail || !r->used) {
		snprintf(why, wlen, "rings not in guest RAM (desc 0x%llx avail 0x%llx used 0x%llx)",
			 (unsigned long long)desc, (unsigned long long)avail,
			 (unsigned long long)used);
		return -1;
	}
	/* A queue starts at index 0 after reset (2.6: SET_VRING_BASE 0 for vhost). */
	return 0;
}

int nx_vring_pop(struct nx_vring *r, uint16_t *head)
{
	uint16_t idx, pending, h;
	char why[96];

	if (r->broken)
		return -1;
	idx = __atomic_load_n(&r->avail[AVAIL_IDX], __ATOMIC_ACQUIRE);
	pending = (uint16_t)(idx - r->last_avail);
	if (!pending)
		return 0;
	if (pending > r->size) {
		snprintf(why, sizeof(why), "available index %u is %u entries ahead of a ring of %u",
			 idx, pending, r->size);
		broke(r, why);
		return -1;
	}
	h = __atomic_load_n(&r->avail[AVAIL_RING + (r->last_avail & (r->size - 1))],
			    __ATOMIC_RELAXED);
	if (h >= r->size) {
		snprintf(why, sizeof(why), "available head %u is past a ring of %u", h, r->size);
		broke(r, why);
		return -1;
	}
	r->last_avail++;
	*head = h;
	return 1;
}

int nx_vring_chain(struct nx_vring *r, uint16_t head, struct nx_vq_seg *segs, unsigned max,
		   const char **why)
{
	unsigned n = 0, walked = 0;
	bool writable = false;
	uint16_t i = head;

	for (;;) {
		struct nx_vring_desc d;
		uint8_t *p;

		if (i >= r->size) {
			*why = "descriptor index past the ring";
			return -1;
		}
		if (++walked > r->size) {
			*why = "descriptor chain longer than the ring (a loop)";
			return -1;
		}
		/* One copy: the driver may rewrite the descriptor meanwhile. */
		memcpy(&d, (const void *)&r->desc[i], sizeof(d));
		if (d.flags & NX_VRING_DESC_F_INDIRECT) {
			*why = "indirect descriptor (VIRTIO_F_INDIRECT_DESC is not offered)";
			return -1;
		}
		if (d.flags & NX_VRING_DESC_F_WRITE) {
			writable = true;
		} else if (writable) {
			*why = "device-readable buffer after a device-writable one (2.6.4.2)";
			return -1;
		}
		if (d.len) {
			p = nx_gpa(r->mem, d.addr, d.len);
			if (!p) {
				*why = "buffer outside guest RAM";
				return -1;
			}
			if (n == max) {
				*why = "more buffers in the chain than the device takes";
				return -1;
			}
			segs[n++] = (struct nx_vq_seg){ p, d.len, (d.flags & NX_VRING_DESC_F_WRITE) != 0 };
		}
		if (!(d.flags & NX_VRING_DESC_F_NEXT))
			return (int)n;
		i = d.next;
	}
}

void nx_vring_push(struct nx_vring *r, uint16_t head, uint32_t len)
{
	uint8_t *e = r->used + USED_RING_OFF + 8 * (r->used_idx & (r->size - 1));
	uint32_t id = head;

	memcpy(e, &id, 4);
	memcpy(e + 4, &len, 4);
	r->used_idx++;
}

bool nx_vring_publish(struct nx_vring *r)
{
	if (r->used_idx == r->published)
		return false;
	__atomic_store_n((uint16_t *)(r->used + USED_IDX_OFF), r->used_idx, __ATOMIC_RELEASE);
	r->published = r->used_idx;
	/* Used idx visible before the driver's flag is read. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return !(__atomic_load_n(&r->avail[AVAIL_FLAGS], __ATOMIC_RELAXED) &
		 NX_VRING_AVAIL_F_NO_INTERRUPT);
}

bool nx_vring_notify(struct nx_vring *r, bool on)
{
	uint16_t *flags = (uint16_t *)r->used;

	__atomic_store_n(flags, on ? 0 : NX_VRING_USED_F_NO_NOTIFY, __ATOMIC_RELAXED);
	if (!on)
		return false;
	/* Flag visible before avail idx is read again. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return !r->broken &&
	       __atomic_load_n(&r->avail[AVAIL_IDX], __ATOMIC_ACQUIRE) != r->last_avail;
}

bool nx_vq_read(const struct nx_vq_seg *s, unsigned n, uint64_t off, void *dst, uint64_t len)
{
	uint8_t *out = dst;

	for (unsigned i = 0; i < n && len; i++) {
		uint64_t take;

		if (s[i].write)
			break;
		if (off >= s[i].len) {
			off -= s[i].len;
			continue;
		}
		take = s[i].len - off < len ? s[i].len - off : len;
		memcpy(out, s[i].hva + off, take);
		out += take;
		len -= take;
		off = 0;
	}
	return len == 0;
}

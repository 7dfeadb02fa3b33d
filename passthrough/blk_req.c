/* SPDX-License-Identifier: MIT */
/*
 * blk_req.c - one virtio-blk request (virtio 1.1 5.2.6) from a checked
 * descriptor chain (virtq.c):
 *
 *   struct virtio_blk_req { le32 type; le32 reserved; le64 sector;
 *                           u8 data[]; u8 status; }
 *
 * The header is device-readable, the data readable (OUT) or writable (IN,
 * GET_ID), the status byte the last writable byte. No framing is assumed
 * (2.6.4, "Message Framing"): the header may be split over buffers and the
 * status byte may share the last buffer with data. Everything the guest
 * says is checked against the disk here, before any I/O: lengths in whole
 * sectors, sector + length within the capacity (no overflow), no write to
 * a read-only disk, at most NX_BLK_SEG_MAX + 2 data buffers.
 */
#include <string.h>
#include "passthrough/virtio.h"

struct hdr { uint32_t type, reserved; uint64_t sector; } __attribute__((packed));

/* Appends bytes [off, off + len) of the segments s[from..to) to r->iov. */
static bool slice(struct nx_blk_req *r, const struct nx_vq_seg *s, unsigned from, unsigned to,
		  uint64_t off, uint64_t len)
{
	for (unsigned i = from; i < to && len; i++) {
		uint64_t take;

		if (off >= s[i].len) {
			off -= s[i].len;
			continue;
		}
		if (r->niov == sizeof(r->iov) / sizeof(r->iov[0]))
			return false;
		take = s[i].len - off < len ? s[i].len - off : len;
		r->iov[r->niov++] = (struct iovec){ s[i].hva + off, take };
		r->len += take;
		len -= take;
		off = 0;
	}
	return true;
}

int nx_blk_parse(const struct nx_vq_seg *s, unsigned n, const struct nx_blk_disk *d,
		 struct nx_blk_req *r, const char **why)
{
	uint64_t rlen = 0, wlen = 0, sectors;
	unsigned first_w = n;
	struct hdr h;
	bool ok;

	r->type = ~0u;
	r->sector = 0;
	r->niov = 0;
	r->len = 0;
	r->status = NULL;
	r->used_len = 0;
	for (unsigned i = 0; i < n; i++) {
		if (s[i].write) {
			if (first_w == n)
				first_w = i;
			wlen += s[i].len;
		} else {
			rlen += s[i].len;
		}
	}
	/* virtq.c refused readable after writable: the writable part is a tail. */
	if (!wlen) {
		*why = "no device-writable status byte";
		return NX_BLK_S_IOERR;
	}
	r->status = s[n - 1].hva + s[n - 1].len - 1;
	r->used_len = 1;
	if (!nx_vq_read(s, first_w, 0, &h, sizeof(h))) {
		*why = "request header shorter than 16 bytes";
		return NX_BLK_S_IOERR;
	}
	r->type = h.type;
	r->sector = h.sector;
	switch (h.type) {
	case NX_BLK_T_IN:
		ok = slice(r, s, first_w, n, 0, wlen - 1);
		break;
	case NX_BLK_T_OUT:
		if (d->readonly) {
			*why = "write to a read-only disk";
			return NX_BLK_S_IOERR;
		}
		ok = slice(r, s, 0, first_w, sizeof(h), rlen - sizeof(h));
		break;
	case NX_BLK_T_FLUSH:
		return -1;
	case NX_BLK_T_GET_ID: {
		/* 5.2.6.1: up to 20 bytes, NUL-padded if shorter. */
		uint64_t len = wlen - 1 < NX_BLK_ID_BYTES ? wlen - 1 : NX_BLK_ID_BYTES;

		if (!slice(r, s, first_w, n, 0, len)) {
			*why = "more data buffers than seg_max";
			return NX_BLK_S_IOERR;
		}
		for (unsigned i = 0, off = 0; i < r->niov; off += r->iov[i].iov_len, i++)
			memcpy(r->iov[i].iov_base, d->serial + off, r->iov[i].iov_len);
		r->used_len = (uint32_t)len + 1;
		return NX_BLK_S_OK;
	}
	default:
		*why = "request type not offered";
		return NX_BLK_S_UNSUPP;
	}
	if (!ok) {
		*why = "more data buffers than seg_max";
		return NX_BLK_S_IOERR;
	}
	if (r->len % NX_BLK_SECTOR) {
		*why = "data length is not a whole number of 512-byte sectors";
		return NX_BLK_S_IOERR;
	}
	sectors = r->len / NX_BLK_SECTOR;
	if (r->sector > d->sectors || sectors > d->sectors - r->sector) {
		*why = "sectors past the end of the disk";
		return NX_BLK_S_IOERR;
	}
	if (!r->len)
		return NX_BLK_S_OK;
	return -1;
}

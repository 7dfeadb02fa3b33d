/* SPDX-License-Identifier: MIT */
/*
 * ioev.c - the ioeventfds a device has in KVM, so that a BAR move, a
 * mode change (MSI <-> INTx) or a dead backend removes exactly what was
 * assigned (KVM_IOEVENTFD deassign must repeat addr, len, fd, datamatch).
 */
#include "passthrough/passthrough.h"

int nx_reg_ioeventfd(struct nx_ioev_set *r, int fd, uint64_t addr, unsigned len,
		     bool datamatch, uint64_t data)
{
	if (r->n == NX_REG_MAX_IOEV)
		return nx_error("too many ioeventfds for one device (%d)", NX_REG_MAX_IOEV);
	if (nx_ioeventfd_assign(r->vm, fd, addr, len, false, datamatch, data) < 0)
		return -1;
	r->ioev[r->n++] = (struct nx_ioev){ fd, addr, len, datamatch, data };
	r->assigned_total++;
	return 0;
}

void nx_reg_ioeventfd_drop(struct nx_ioev_set *r, uint64_t addr, uint64_t len)
{
	for (int i = 0; i < r->n;) {
		struct nx_ioev *e = &r->ioev[i];

		if (len && (e->addr < addr || e->addr >= addr + len)) {
			i++;
			continue;
		}
		nx_ioeventfd_deassign(r->vm, e->fd, e->addr, e->len, false, e->datamatch, e->data);
		r->ioev[i] = r->ioev[--r->n];
	}
}

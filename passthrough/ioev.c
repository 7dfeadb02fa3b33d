/* SPDX-License-Identifier: MIT */
/*
 * ioev.c - the ioeventfds a device has in KVM, so that a BAR move, a
 * mode change (MSI <-> INTx) or a dead backend removes exactly what was
 * assigned (KVM_IOEVENTFD deassign must repeat addr, len, fd, datamatch).
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/kvm.h>
#include "passthrough/passthrough.h"

/* KVM_IOEVENTFD on guest-physical addresses: e->fd is signalled by a guest
 * write to [addr, addr + len) (of the value data only, with datamatch). */
static int ioeventfd(struct nx_ioev_set *r, const struct nx_ioev *e, uint32_t flags)
{
	struct kvm_ioeventfd io = { .datamatch = e->data, .addr = e->addr, .len = e->len,
				    .fd = e->fd, .flags = flags };

	if (e->datamatch)
		io.flags |= KVM_IOEVENTFD_FLAG_DATAMATCH;
	return ioctl(r->vm->vm_fd, KVM_IOEVENTFD, &io);
}

int nx_reg_ioeventfd(struct nx_ioev_set *r, int fd, uint64_t addr, unsigned len,
		     bool datamatch, uint64_t data)
{
	struct nx_ioev e = { fd, addr, len, datamatch, data };

	if (r->n == NX_REG_MAX_IOEV)
		return nx_error("too many ioeventfds for one device (%d)", NX_REG_MAX_IOEV);
	if (ioeventfd(r, &e, 0) < 0)
		return nx_error("KVM_IOEVENTFD at gpa 0x%llx len %u: %s", (unsigned long long)addr,
				len, strerror(errno));
	r->ioev[r->n++] = e;
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
		ioeventfd(r, e, KVM_IOEVENTFD_FLAG_DEASSIGN);
		r->ioev[i] = r->ioev[--r->n];
	}
}

/* SPDX-License-Identifier: MIT */
/*
 * vhost_net.c - virtio-net's rings served by the kernel's vhost-net
 * (drivers/vhost/net.c, linux/vhost.h): a kernel worker moves frames
 * between the guest's rings and a tap device. nexit hands it the rings at
 * DRIVER_OK with the same calls vhost-user takes (SET_FEATURES,
 * SET_MEM_TABLE, SET_VRING_NUM/BASE/ADDR/KICK/CALL), then attaches the tap
 * to each ring (VHOST_NET_SET_BACKEND). The kick is the notify address's
 * KVM ioeventfd, the call the queue's MSI-X irqfd: the data path is
 * guest <-> KVM <-> vhost worker <-> tap, with no exit and no nexit thread.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/vhost.h>
#include "passthrough/passthrough.h"

static int vk_ioctl(struct nx_vhost_net *v, unsigned long req, void *arg, const char *what)
{
	v->ioctls++;
	if (ioctl(v->fd, req, arg) < 0)
		return nx_error("vhost-net (tap %s): %s: %s", v->ifname, what, strerror(errno));
	return 0;
}

int nx_vhost_net_open(struct nx_vhost_net *v, const char *tap, const char *dev, uint64_t *features)
{
	v->fd = v->tap_fd = -1;
	v->tap_fd = nx_tap_open(tap, v->ifname);
	if (v->tap_fd < 0)
		return -1;
	v->fd = open("/dev/vhost-net", O_RDWR | O_CLOEXEC);
	if (v->fd < 0)
		return nx_error("device %s: cannot open /dev/vhost-net: %s%s", dev, strerror(errno),
				errno == ENOENT ? " (modprobe vhost_net)" : "");
	/* The vhost worker belongs to this process (its mm, its memory table). */
	if (vk_ioctl(v, VHOST_SET_OWNER, NULL, "VHOST_SET_OWNER") < 0)
		return -1;
	return vk_ioctl(v, VHOST_GET_FEATURES, features, "VHOST_GET_FEATURES");
}

static int vk_features(void *b, uint64_t f)
{
	return vk_ioctl(b, VHOST_SET_FEATURES, &f, "VHOST_SET_FEATURES");
}

/* Guest RAM as the worker reaches it: nexit's own mapping of each slot. */
static int vk_mem(void *b, const struct nx_mem *mem)
{
	struct vhost_memory *m = calloc(1, sizeof(*m) + 2 * sizeof(m->regions[0]));
	int r;

	if (!m)
		return nx_error("out of memory");
	m->nregions = (uint32_t)mem->nregions;
	for (int i = 0; i < mem->nregions && i < 2; i++)
		m->regions[i] = (struct vhost_memory_region){ .guest_phys_addr = mem->regions[i].gpa,
			.memory_size = mem->regions[i].size,
			.userspace_addr = (uint64_t)(uintptr_t)mem->regions[i].hva };
	r = vk_ioctl(b, VHOST_SET_MEM_TABLE, m, "VHOST_SET_MEM_TABLE");
	free(m);
	return r;
}

static int vk_num(void *b, unsigned i, unsigned n)
{
	struct vhost_vring_state s = { i, n };
	return vk_ioctl(b, VHOST_SET_VRING_NUM, &s, "VHOST_SET_VRING_NUM");
}

static int vk_base(void *b, unsigned i, unsigned n)
{
	struct vhost_vring_state s = { i, n };
	return vk_ioctl(b, VHOST_SET_VRING_BASE, &s, "VHOST_SET_VRING_BASE");
}

static int vk_get_base(void *b, unsigned i, unsigned *n)
{
	struct vhost_vring_state s = { i, 0 };

	if (vk_ioctl(b, VHOST_GET_VRING_BASE, &s, "VHOST_GET_VRING_BASE") < 0)
		return -1;
	*n = s.num;
	return 0;
}

static int vk_addr(void *b, unsigned i, const void *d, const void *a, const void *u)
{
	struct vhost_vring_addr r = { .index = i, .desc_user_addr = (uintptr_t)d,
				      .avail_user_addr = (uintptr_t)a,
				      .used_user_addr = (uintptr_t)u };
	return vk_ioctl(b, VHOST_SET_VRING_ADDR, &r, "VHOST_SET_VRING_ADDR");
}

static int vk_kick(void *b, unsigned i, int fd)
{
	struct vhost_vring_file f = { i, fd };
	return vk_ioctl(b, VHOST_SET_VRING_KICK, &f, "VHOST_SET_VRING_KICK");
}

static int vk_call(void *b, unsigned i, int fd)
{
	struct vhost_vring_file f = { i, fd };
	return vk_ioctl(b, VHOST_SET_VRING_CALL, &f, "VHOST_SET_VRING_CALL");
}

/* The tap goes to the ring (on) or away from it (off: the worker stops). */
static int vk_enable(void *b, unsigned i, bool on)
{
	struct nx_vhost_net *v = b;
	struct vhost_vring_file f = { i, on ? v->tap_fd : -1 };

	return vk_ioctl(v, VHOST_NET_SET_BACKEND, &f, "VHOST_NET_SET_BACKEND");
}

const struct nx_vhost_ops nx_vhost_net_ops = {
	.kind = "vhost-net", .set_features = vk_features, .set_mem_table = vk_mem,
	.set_vring_num = vk_num, .set_vring_base = vk_base, .set_vring_addr = vk_addr,
	.set_vring_kick = vk_kick, .set_vring_call = vk_call, .get_vring_base = vk_get_base,
	.enable = vk_enable,
};

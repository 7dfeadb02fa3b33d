/* SPDX-License-Identifier: MIT */
/*
 * tap.c - the host end of an appliance's network: a tap device
 * (Documentation/networking/tuntap.rst) carrying whole Ethernet frames with
 * the virtio-net header in front (IFF_VNET_HDR, TUNSETVNETHDRSZ 12: the
 * header of a VERSION_1 device, virtio 1.1 5.1.6), so the kernel's vhost-net
 * can move frames between the tap and the guest's rings untouched.
 *
 * An existing tap (ip tuntap add NAME mode tap) is attached as it is
 * configured; an absent one is created, lives as long as nexit and is
 * brought up (its addresses are the host's business).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/if_tun.h>
#include "passthrough/passthrough.h"

#define VNET_HDR_LEN 12

static int link_up(const char *ifname)
{
	struct ifreq r = { 0 };
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), rc = -1;

	if (s < 0)
		return -1;
	snprintf(r.ifr_name, sizeof(r.ifr_name), "%s", ifname);
	if (ioctl(s, SIOCGIFFLAGS, &r) == 0) {
		r.ifr_flags |= IFF_UP;
		rc = ioctl(s, SIOCSIFFLAGS, &r);
	}
	close(s);
	return rc;
}

int nx_tap_open(const char *name, char *ifname)
{
	struct ifreq r = { 0 };
	int fd, hdr = VNET_HDR_LEN;
	bool created;

	if (!name[0] || strlen(name) >= IFNAMSIZ || strchr(name, '/') || strchr(name, ' '))
		return nx_error("tap name '%s' is not an interface name (1 to %d characters)", name,
				IFNAMSIZ - 1);
	created = if_nametoindex(name) == 0;
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return nx_error("cannot open /dev/net/tun for tap %s: %s%s", name, strerror(errno),
				errno == ENOENT ? " (modprobe tun)" : "");
	snprintf(r.ifr_name, sizeof(r.ifr_name), "%s", name);
	r.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	if (ioctl(fd, TUNSETIFF, &r) < 0) {
		int e = errno;
		close(fd);
		return nx_error("tap %s: TUNSETIFF: %s%s", name, strerror(e),
				e == EBUSY ? " (in use by another process, or not a tap)" :
				e == EPERM ? " (needs CAP_NET_ADMIN, or a tap owned by this user)" :
				e == EINVAL ? " (exists and is not a tap with a virtio-net header)" : "");
	}
	/* The header vhost-net writes and reads: 12 bytes (mergeable/VERSION_1);
	 * no checksum or segmentation offloads are offered to the guest. */
	if (ioctl(fd, TUNSETVNETHDRSZ, &hdr) < 0 || ioctl(fd, TUNSETOFFLOAD, 0) < 0) {
		int e = errno;
		close(fd);
		return nx_error("tap %s: cannot set the virtio-net header: %s", name, strerror(e));
	}
	snprintf(ifname, IFNAMSIZ, "%s", r.ifr_name);
	if (created && link_up(ifname) < 0)
		nx_warn("tap %s: created but cannot bring it up: %s", ifname, strerror(errno));
	return fd;
}

/* SPDX-License-Identifier: MIT */
/*
 * registry.c - the device types a [device] section can name, each an ops
 * table (struct nx_dev_type): create, stop, and its two stats objects.
 * The device files keep their typed functions; the table adapts them.
 */
#include <stdlib.h>
#include <string.h>
#include "passthrough/virtio.h"

static void *irqdev_create(struct nx_pt *pt, const struct nx_device_cfg *c)
{
	return nx_irqdev_create(pt, c);
}
static void irqdev_stop(void *d) { nx_irqdev_stop(d); }
static void irqdev_lines(void *d, struct json_object *a) { nx_irqdev_lines_json(d, a); }
static void irqdev_device(void *d, struct json_object *a) { nx_irqdev_device_json(d, a); }

static void *vfio_create(struct nx_pt *pt, const struct nx_device_cfg *c)
{
	if (!c->assign[0]) {
		nx_error("device %s: type vfio needs assign = BDF", c->name);
		return NULL;
	}
	return nx_vfio_create(pt, c);
}
static void vfio_lines(void *d, struct json_object *a) { nx_vfio_lines_json(d, a); }
static void vfio_device(void *d, struct json_object *a) { nx_vfio_device_json(d, a); }

static void *vnet_create(struct nx_pt *pt, const struct nx_device_cfg *c)
{
	return nx_virtio_net_create(pt, c);
}
static void vnet_lines(void *d, struct json_object *a) { nx_virtio_net_lines_json(d, a); }
static void vnet_device(void *d, struct json_object *a) { nx_virtio_net_device_json(d, a); }

static void *vblk_create(struct nx_pt *pt, const struct nx_device_cfg *c)
{
	return nx_virtio_blk_create(pt, c);
}
static void vblk_lines(void *d, struct json_object *a) { nx_virtio_blk_lines_json(d, a); }
static void vblk_device(void *d, struct json_object *a) { nx_virtio_blk_device_json(d, a); }

static const struct nx_dev_type types[] = {
	{ "irqdev", irqdev_create, irqdev_stop, irqdev_lines, irqdev_device },
	{ "virtio-net", vnet_create, NULL, vnet_lines, vnet_device },
	{ "virtio-blk", vblk_create, NULL, vblk_lines, vblk_device },
	{ "vfio", vfio_create, NULL, vfio_lines, vfio_device },
};

/* ---- [device] options ------------------------------------------------------ */
const char *nx_dev_opt(const char *opts, const char *key, char *buf, size_t len)
{
	size_t k = strlen(key);

	for (const char *p = opts; (p = strstr(p, key)); p++)
		if ((p == opts || p[-1] == ' ') && p[k] == '=') {
			size_t n = strcspn(p + k + 1, " ");

			if (n >= len)
				n = len - 1;
			memcpy(buf, p + k + 1, n);
			buf[n] = 0;
			return buf;
		}
	return NULL;
}

int nx_dev_opt_slot(const char *opts, int *slot, const char *dev)
{
	char b[32], *end;
	const char *s = nx_dev_opt(opts, "slot", b, sizeof(b));
	long v;

	*slot = -1;
	if (!s)
		return 0;
	v = strtol(s, &end, 0);
	if (end == s || *end || v < 1 || v >= NX_PCI_SLOTS)
		return nx_error("device %s: slot must be 1..%d", dev, NX_PCI_SLOTS - 1);
	*slot = (int)v;
	return 0;
}

int nx_dev_opt_bool(const char *opts, const char *key, bool *v, const char *dev)
{
	char b[8];
	const char *s = nx_dev_opt(opts, key, b, sizeof(b));

	if (!s)
		return 0;
	if (strcmp(s, "on") && strcmp(s, "off"))
		return nx_error("device %s: %s must be on or off", dev, key);
	*v = !strcmp(s, "on");
	return 0;
}

const struct nx_dev_type *nx_dev_type_find(const struct nx_device_cfg *c)
{
	/* assign = BDF without a type is an assigned device. */
	const char *name = c->type[0] ? c->type : c->assign[0] ? "vfio" : NULL;

	for (size_t i = 0; name && i < sizeof(types) / sizeof(types[0]); i++)
		if (!strcmp(types[i].name, name))
			return &types[i];
	if (!name)
		nx_error("device %s: no type (irqdev, virtio-net, virtio-blk or vfio) and no assign",
			 c->name);
	else
		nx_error("device %s: unknown type %s", c->name, name);
	return NULL;
}

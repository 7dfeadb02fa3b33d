/* SPDX-License-Identifier: MIT */
/*
 * registry.c - the device types a [device] section can name, each an ops
 * table (struct nx_dev_type) its device file defines: create, stop, and
 * its two stats objects; and the parsers of a [device]'s options.
 */
#include <stdlib.h>
#include <string.h>
#include "passthrough/virtio.h"

static const struct nx_dev_type *const types[] = {
	&nx_irqdev_type, &nx_virtio_net_type, &nx_virtio_blk_type, &nx_vfio_type,
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
		if (!strcmp(types[i]->name, name))
			return types[i];
	if (!name)
		nx_error("device %s: no type (irqdev, virtio-net, virtio-blk or vfio) and no assign",
			 c->name);
	else
		nx_error("device %s: unknown type %s", c->name, name);
	return NULL;
}

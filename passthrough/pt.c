/* SPDX-License-Identifier: MIT */
/*
 * pt.c - nx_passthrough_init: the PCI bus (host bridge even with no
 * device), every [device] of type irqdev or vfio, the event thread and
 * the stats hook. virtio-net hands its rings to a vhost backend
 * (virtio_net.c), virtio-blk to I/O threads of its own (virtio_blk.c).
 */
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <json-c/json.h>
#include "passthrough/virtio.h"

static void stats_hook(void *opaque, void *json)
{
	struct nx_pt *pt = opaque;
	struct json_object *root = json, *lines = nx_pt_irq_lines(root);
	struct json_object *p = json_object_new_object(), *devs = json_object_new_array();

	pthread_mutex_lock(&pt->lock);
	for (int i = 0; i < pt->nirqdev; i++) {
		nx_irqdev_lines_json(pt->irqdev[i], lines);
		nx_irqdev_device_json(pt->irqdev[i], devs);
	}
	for (int i = 0; i < pt->nvfio; i++) {
		nx_vfio_lines_json(pt->vfio[i], lines);
		nx_vfio_device_json(pt->vfio[i], devs);
	}
	for (int i = 0; i < pt->nvnet; i++) {
		nx_virtio_net_lines_json(pt->vnet[i], lines);
		nx_virtio_net_device_json(pt->vnet[i], devs);
	}
	for (int i = 0; i < pt->nvblk; i++) {
		nx_virtio_blk_lines_json(pt->vblk[i], lines);
		nx_virtio_blk_device_json(pt->vblk[i], devs);
	}
	pthread_mutex_unlock(&pt->lock);
	json_object_object_add(p, "devices", devs);
	json_object_object_add(root, "passthrough", p);
}

/* The VM stopped: every backend nexit started ends and is reaped. */
static void stop_hook(void *opaque)
{
	struct nx_pt *pt = opaque;

	for (int i = 0; i < pt->nirqdev; i++)
		nx_irqdev_stop(pt->irqdev[i]);
}

static void find_exe_dir(struct nx_pt *pt)
{
	char buf[4096];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);

	if (n <= 0) {
		strcpy(pt->exe_dir, ".");
		return;
	}
	buf[n] = 0;
	snprintf(pt->exe_dir, sizeof(pt->exe_dir), "%s", dirname(buf));
}

int nx_passthrough_init(struct nx_vm *vm)
{
	struct nx_config *cfg = vm->cfg;
	struct nx_pt *pt = calloc(1, sizeof(*pt));

	if (!pt)
		return nx_error("out of memory");
	nx_lives_until_exit(pt);	/* a failed set-up stops nexit */
	pt->vm = vm;
	pthread_mutex_init(&pt->lock, NULL);
	find_exe_dir(pt);
	/* Guests always see a sane bus 0, devices or not. */
	if (nx_pci_init(vm) < 0 || nx_pt_loop_start(&pt->loop) < 0)
		return -1;
	for (int i = 0; i < cfg->ndevices; i++) {
		const struct nx_device_cfg *c = &cfg->devices[i];

		if (!strcmp(c->type, "irqdev")) {
			struct nx_irqdev *d = nx_irqdev_create(pt, c);
			if (!d)
				return -1;
			pthread_mutex_lock(&pt->lock);
			pt->irqdev[pt->nirqdev++] = d;
			pthread_mutex_unlock(&pt->lock);
		} else if (!strcmp(c->type, "virtio-net")) {
			struct nx_virtio_net *n = nx_virtio_net_create(pt, c);
			if (!n)
				return -1;
			pthread_mutex_lock(&pt->lock);
			pt->vnet[pt->nvnet++] = n;
			pthread_mutex_unlock(&pt->lock);
		} else if (!strcmp(c->type, "virtio-blk")) {
			struct nx_virtio_blk *b = nx_virtio_blk_create(pt, c);
			if (!b)
				return -1;
			pthread_mutex_lock(&pt->lock);
			pt->vblk[pt->nvblk++] = b;
			pthread_mutex_unlock(&pt->lock);
		} else if (!strcmp(c->type, "vfio") || c->assign[0]) {
			struct nx_vfio *v;
			if (!c->assign[0])
				return nx_error("device %s: type vfio needs assign = BDF", c->name);
			v = nx_vfio_create(pt, c);
			if (!v)
				return -1;
			pthread_mutex_lock(&pt->lock);
			pt->vfio[pt->nvfio++] = v;
			pthread_mutex_unlock(&pt->lock);
		} else if (!c->type[0]) {
			return nx_error("device %s: no type (irqdev, virtio-net, virtio-blk or vfio) and no assign",
					c->name);
		}
	}
	if (nx_stats_add_hook(vm, stats_hook, pt) < 0 || nx_vm_add_stop_hook(vm, stop_hook, pt) < 0)
		return -1;
	return 0;
}

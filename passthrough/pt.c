/* SPDX-License-Identifier: MIT */
/*
 * pt.c - nx_passthrough_init: the PCI bus (host bridge even with no
 * device), every [device] through its type's ops (registry.c) and the
 * stats hook. virtio-net hands its rings to a vhost backend
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
	struct json_object *root = json, *lines;
	struct json_object *p = json_object_new_object(), *devs = json_object_new_array();

	nx_stats_irq(root, &lines);
	pthread_mutex_lock(&pt->lock);
	for (int i = 0; i < pt->ndev; i++) {
		pt->dev[i].type->lines_json(pt->dev[i].dev, lines);
		pt->dev[i].type->device_json(pt->dev[i].dev, devs);
	}
	pthread_mutex_unlock(&pt->lock);
	json_object_object_add(p, "devices", devs);
	json_object_object_add(root, "passthrough", p);
}

/* The VM stopped: every backend nexit started ends and is reaped. */
static void stop_hook(void *opaque)
{
	struct nx_pt *pt = opaque;

	for (int i = 0; i < pt->ndev; i++)
		if (pt->dev[i].type->stop)
			pt->dev[i].type->stop(pt->dev[i].dev);
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
	if (nx_pci_init(vm) < 0)
		return -1;
	for (int i = 0; i < cfg->ndevices; i++) {
		const struct nx_dev_type *t = nx_dev_type_find(&cfg->devices[i]);
		void *dev = t ? t->create(pt, &cfg->devices[i]) : NULL;

		if (!dev)
			return -1;
		pthread_mutex_lock(&pt->lock);
		pt->dev[pt->ndev++] = (struct nx_pt_dev){ t, dev };
		pthread_mutex_unlock(&pt->lock);
	}
	if (nx_stats_add_hook(vm, stats_hook, pt) < 0 || nx_vm_add_stop_hook(vm, stop_hook, pt) < 0)
		return -1;
	return 0;
}

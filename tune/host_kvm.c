/* SPDX-License-Identifier: MIT */
/*
 * host_kvm.c - which KVM capabilities the host gives nexit.
 *
 * Real host (sysroot "/"): KVM_GET_API_VERSION and KVM_CHECK_EXTENSION,
 * asked on a throw-away VM fd where KVM_CAP_CHECK_EXTENSION_VM exists
 * (several caps, e.g. SPLIT_IRQCHIP, are per VM type), and the arm64 vGIC
 * device types probed with KVM_CREATE_DEVICE_TEST (no device is created).
 * Fake sysroot: DIR/nexit-fake/kvm-caps, "name = value" lines with the
 * names of nx_kcap_name() plus api_version; a missing name means 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/kvm.h>

#include "core/vm.h"
#include "core/kvm_kind.h"
#include "tune/tune.h"

static const struct { const char *name; long cap; } kcaps[NX_KCAP_COUNT] = {
	[NX_KCAP_IRQCHIP]	  = { "irqchip",	 KVM_CAP_IRQCHIP },
	[NX_KCAP_SPLIT_IRQCHIP]	  = { "split_irqchip",	 KVM_CAP_SPLIT_IRQCHIP },
	[NX_KCAP_IRQFD]		  = { "irqfd",		 KVM_CAP_IRQFD },
	[NX_KCAP_IRQFD_RESAMPLE]  = { "irqfd_resample",	 KVM_CAP_IRQFD_RESAMPLE },
	[NX_KCAP_IOEVENTFD]	  = { "ioeventfd",	 KVM_CAP_IOEVENTFD },
	[NX_KCAP_IRQ_ROUTING]	  = { "irq_routing",	 KVM_CAP_IRQ_ROUTING },
	[NX_KCAP_SIGNAL_MSI]	  = { "signal_msi",	 KVM_CAP_SIGNAL_MSI },
	[NX_KCAP_BINARY_STATS_FD] = { "binary_stats_fd", KVM_CAP_BINARY_STATS_FD },
	[NX_KCAP_HALT_POLL]	  = { "halt_poll",	 KVM_CAP_HALT_POLL },
	[NX_KCAP_X2APIC_API]	  = { "x2apic_api",	 KVM_CAP_X2APIC_API },
	[NX_KCAP_MSI_DEVID]	  = { "msi_devid",	 KVM_CAP_MSI_DEVID },
	/* negative: a KVM_CREATE_DEVICE type, not a capability number */
	[NX_KCAP_VGIC_V2]	  = { "vgic_v2",	 -KVM_DEV_TYPE_ARM_VGIC_V2 },
	[NX_KCAP_VGIC_V3]	  = { "vgic_v3",	 -KVM_DEV_TYPE_ARM_VGIC_V3 },
	[NX_KCAP_VGIC_ITS]	  = { "vgic_its",	 -KVM_DEV_TYPE_ARM_VGIC_ITS },
};

const char *nx_kcap_name(enum nx_kcap c)
{
	return (unsigned)c < NX_KCAP_COUNT ? kcaps[c].name : "?";
}

int nx_kcap_by_name(const char *name)
{
	for (int i = 0; i < NX_KCAP_COUNT; i++)
		if (!strcmp(kcaps[i].name, name))
			return i;
	return -1;
}

struct fake_ctx {
	struct nx_kvm_info *k;
	const char *file;
	int bad;
};

static int fake_line(void *user, const char *section, const char *name,
		     const char *value, int line)
{
	struct fake_ctx *c = user;
	char *end;
	long v = strtol(value, &end, 0);
	int i;

	if (end == value || *end) {
		nx_error("%s:%d: %s = '%s': expected an integer", c->file, line, name, value);
		c->bad = 1;
		return 0;
	}
	if (!strcmp(name, "api_version")) {
		c->k->api_version = (int)v;
		return 1;
	}
	i = nx_kcap_by_name(name);
	if (i < 0) {
		nx_error("%s:%d: unknown capability '%s' (api_version, irqchip, split_irqchip, "
			 "irqfd, irqfd_resample, ioeventfd, irq_routing, signal_msi, binary_stats_fd, "
			 "halt_poll, x2apic_api, msi_devid, vgic_v2, vgic_v3, vgic_its)",
			 c->file, line, name);
		c->bad = 1;
		return 0;
	}
	c->k->caps[i] = (int)v;
	return 1;
}

static int probe_fake(struct nx_host *h)
{
	struct nx_kvm_info *k = &h->kvm;
	char path[NX_TUNE_PATH];
	struct fake_ctx c = { k, path, 0 };
	int r;

	k->fake = true;
	if (nx_sysroot_path(h->sysroot, "/nexit-fake/kvm-caps", path, sizeof(path)) < 0)
		return -1;
	r = nx_ini_parse_lines(path, fake_line, &c);
	if (r < 0) {
		snprintf(k->error, sizeof(k->error), "fake sysroot without %s", path);
		return 0;
	}
	if (r > 0 && !c.bad)
		nx_error("%s:%d: not a 'name = value' line", path, r);
	if (r > 0 || c.bad) {
		snprintf(k->error, sizeof(k->error), "%s is malformed", path);
		return -1;
	}
	k->usable = k->api_version == KVM_API_VERSION;
	if (!k->usable)
		snprintf(k->error, sizeof(k->error), "KVM API version %d, nexit needs %d",
			 k->api_version, KVM_API_VERSION);
	k->kind.kind = k->usable ? NX_KVM_KIND_LINUX : NX_KVM_KIND_NONE;
	snprintf(k->kind.reason, sizeof(k->kind.reason), "fake sysroot: %.300s",
		 k->usable ? "usable KVM caps" : k->error);
	return 0;
}

static int probe_real(struct nx_host *h)
{
	struct nx_kvm_info *k = &h->kvm;
	int kvm, vm, q;

	nx_kvm_detect(&k->kind);
	kvm = open(nx_kvm_device(), O_RDWR | O_CLOEXEC);
	if (kvm < 0) {
		snprintf(k->error, sizeof(k->error), "open %s: %s", nx_kvm_device(), strerror(errno));
		return 0;
	}
	k->api_version = ioctl(kvm, KVM_GET_API_VERSION, 0);
	if (k->api_version != KVM_API_VERSION) {
		snprintf(k->error, sizeof(k->error), "KVM API version %d, nexit needs %d",
			 k->api_version, KVM_API_VERSION);
		close(kvm);
		return 0;
	}
	/* Ask the VM where possible: KVM_CAP_CHECK_EXTENSION_VM (api.rst 4.4). */
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	q = (vm >= 0 && ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_CHECK_EXTENSION_VM) > 0) ? vm : kvm;
	for (int i = 0; i < NX_KCAP_COUNT; i++) {
		if (kcaps[i].cap >= 0) {
			int r = ioctl(q, KVM_CHECK_EXTENSION, kcaps[i].cap);

			k->caps[i] = r > 0 ? r : 0;
		} else if (vm >= 0) {
			struct kvm_create_device cd = {
				.type = (uint32_t)-kcaps[i].cap,
				.flags = KVM_CREATE_DEVICE_TEST,
			};
			k->caps[i] = ioctl(vm, KVM_CREATE_DEVICE, &cd) == 0;
		}
	}
	if (vm >= 0)
		close(vm);
	close(kvm);
	k->usable = true;
	return 0;
}

int nx_kvm_probe(struct nx_host *h)
{
	struct nx_kvm_info *k = &h->kvm;

	memset(k, 0, sizeof(*k));
	k->dev_present = h->real ? access(nx_kvm_device(), F_OK) == 0
				 : nx_sysroot_exists(h->sysroot, "/dev/kvm");
	if (!k->dev_present) {
		if (h->real)
			nx_kvm_detect(&k->kind);
		snprintf(k->error, sizeof(k->error), "no %s (KVM module not loaded, "
			 "or virtualization disabled in firmware)", h->real ? nx_kvm_device() : "/dev/kvm");
		return 0;
	}
	return h->real ? probe_real(h) : probe_fake(h);
}

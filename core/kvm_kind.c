/* SPDX-License-Identifier: MIT */
/*
 * kvm_kind.c - what kind of KVM this host has, from what /dev/kvm answers
 * (never from module names): the one place nexit run, `nexit check --kvm`,
 * `make run`, the bench and the tests ask.
 *
 *   none   the device cannot be opened, answers another API version than
 *          12 (api.rst 4.1), or refuses KVM_CREATE_VM / KVM_CREATE_VCPU;
 *   probe  a VM runs, but guest ring-0 code is not run the way a kernel
 *          needs it (the arch's ring-0 test guest fails: kvm_pvm emulates
 *          ring 0 and cannot deliver a ring-0 int3): ring-3 test guests
 *          such as the probe run, Linux does not;
 *   linux  the ring-0 test guest runs: Linux guests can boot.
 *
 * NEXIT_KVM_DEVICE (test-only) names another device path, so a host with a
 * working /dev/kvm can play one without (NEXIT_KVM_DEVICE=/nonexistent).
 * nexit run opens the same path (core/vm.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/kvm.h>
#include <stdio.h>
#include "core/arch.h"
#include "core/kvm_kind.h"

const char *nx_kvm_device(void)
{
	const char *p = getenv("NEXIT_KVM_DEVICE");

	return p && *p ? p : "/dev/kvm";
}

const char *nx_kvm_kind_name(enum nx_kvm_kind k)
{
	switch (k) {
	case NX_KVM_KIND_LINUX: return "linux";
	case NX_KVM_KIND_PROBE: return "probe";
	default: return "none";
	}
}

#define REASON(k, ...) snprintf((k)->reason, sizeof((k)->reason), __VA_ARGS__)

int nx_kvm_detect(struct nx_kvm_kind_info *k)
{
	const char *dev = nx_kvm_device();
	char why[160] = "";
	int kvm, vm, r;

	memset(k, 0, sizeof(*k));
	k->kind = NX_KVM_KIND_NONE;
	kvm = open(dev, O_RDWR | O_CLOEXEC);
	if (kvm < 0) {
		REASON(k, "cannot open %s: %s", dev, strerror(errno));
		return 0;
	}
	k->api_version = ioctl(kvm, KVM_GET_API_VERSION, 0);
	if (k->api_version != KVM_API_VERSION) {
		REASON(k, "%s answers KVM API version %d, nexit needs %d", dev, k->api_version,
		       KVM_API_VERSION);
		close(kvm);
		return 0;
	}
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0) {
		REASON(k, "%s refuses KVM_CREATE_VM: %s", dev, strerror(errno));
		close(kvm);
		return 0;
	}
	r = nx_arch_ring0_test(kvm, vm, why, sizeof(why));
	if (r < 0) {
		REASON(k, "%s creates a VM but cannot run it: %s", dev, why);
	} else if (r == 0) {
		k->kind = NX_KVM_KIND_PROBE;
		REASON(k, "%s runs VMs, but not guest ring-0 code as a kernel needs it (%s): "
		       "ring-3 test guests run, Linux cannot boot", dev, why);
	} else {
		k->kind = NX_KVM_KIND_LINUX;
		REASON(k, "%s runs guest ring-0 code (%s): Linux guests can boot", dev, why);
	}
	close(vm);
	close(kvm);
	return 0;
}

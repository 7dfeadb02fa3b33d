/* SPDX-License-Identifier: MIT */
/*
 * kvmcheck - a static preflight run inside the nested L1 machine before
 * nexit: says whether /dev/kvm answers the basic KVM API (api(7) of
 * Documentation/virt/kvm/api.rst), so a failing nested test tells "KVM in
 * L1 is broken" apart from "nexit is broken". One line on stdout:
 *   KVMCHECK api=12 nr_vcpus=N max_vcpus=N split_irqchip=0|1 vm=ok|fail
 * Exit 0 when a VM and a vCPU could be created.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

int main(void)
{
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0) {
		printf("KVMCHECK open=/dev/kvm error=%s\n", strerror(errno));
		return 1;
	}
	/* api.rst 4.1: KVM_GET_API_VERSION must return 12. */
	int api = ioctl(kvm, KVM_GET_API_VERSION, 0);
	int nr = ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS);
	int max = ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
	int split = ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_SPLIT_IRQCHIP);
	/* api.rst 4.2: KVM_CREATE_VM, machine type 0 = default. */
	int vm = ioctl(kvm, KVM_CREATE_VM, 0);
	int vcpu = vm >= 0 ? ioctl(vm, KVM_CREATE_VCPU, 0) : -1;
	int ok = api == KVM_API_VERSION && vm >= 0 && vcpu >= 0;
	printf("KVMCHECK api=%d nr_vcpus=%d max_vcpus=%d split_irqchip=%d vm=%s\n",
	       api, nr, max, split, ok ? "ok" : "fail");
	return ok ? 0 : 1;
}

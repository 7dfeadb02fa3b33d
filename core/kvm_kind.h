/* SPDX-License-Identifier: MIT */
/*
 * kvm_kind.h - what kind of KVM this host has (core/kvm_kind.c).
 */
#ifndef NEXIT_CORE_KVM_KIND_H
#define NEXIT_CORE_KVM_KIND_H

enum nx_kvm_kind {
	NX_KVM_KIND_NONE,	/* no /dev/kvm, or it cannot create and run a VM      */
	NX_KVM_KIND_PROBE,	/* VMs run, guest ring 0 does not (kvm_pvm): ring-3 guests only */
	NX_KVM_KIND_LINUX,	/* guest ring 0 runs: Linux guests boot              */
};
struct nx_kvm_kind_info {
	enum nx_kvm_kind kind;
	int api_version;
	char reason[400];	/* one sentence: what /dev/kvm answered            */
};
const char *nx_kvm_device(void);	/* NEXIT_KVM_DEVICE (tests) or /dev/kvm */
const char *nx_kvm_kind_name(enum nx_kvm_kind k);	/* "none" | "probe" | "linux" */
int  nx_kvm_detect(struct nx_kvm_kind_info *k);

#endif

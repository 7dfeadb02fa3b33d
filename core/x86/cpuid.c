/* SPDX-License-Identifier: MIT */
/*
 * cpuid.c - the guest's CPUID: what KVM supports (KVM_GET_SUPPORTED_CPUID),
 * with this vCPU's APIC id filled in and the features the config hides
 * removed ([cpuid] hide = cx16,xsave).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/kvm.h>
#include "core/core.h"

enum reg { EAX, EBX, ECX, EDX };
static const struct feature {
	const char *name;
	uint32_t leaf, index;
	enum reg reg;
	unsigned bit;
} features[] = {
	{ "cx16",	  1, 0, ECX, 13 },	/* CMPXCHG16B */
	{ "x2apic",	  1, 0, ECX, 21 },
	{ "tsc-deadline", 1, 0, ECX, 24 },
	{ "xsave",	  1, 0, ECX, 26 },
	{ "avx",	  1, 0, ECX, 28 },
	{ "rdrand",	  1, 0, ECX, 30 },
	{ "pcid",	  1, 0, ECX, 17 },
	{ "movbe",	  1, 0, ECX, 22 },
	{ "hypervisor",	  1, 0, ECX, 31 },
	{ "avx2",	  7, 0, EBX, 5 },
	{ "smep",	  7, 0, EBX, 7 },
	{ "smap",	  7, 0, EBX, 20 },
	{ "avx512f",	  7, 0, EBX, 16 },
	{ "la57",	  7, 0, ECX, 16 },
	{ "pdpe1gb",	  0x80000001, 0, EDX, 26 },
	{ "rdtscp",	  0x80000001, 0, EDX, 27 },
};
#define NFEATURES (sizeof(features) / sizeof(features[0]))

int nx_cpuid_hide_valid(const char *name)
{
	for (size_t i = 0; i < NFEATURES; i++)
		if (!strcmp(features[i].name, name))
			return 0;
	return -1;
}

const char *nx_cpuid_feature_list(void)
{
	return "cx16, x2apic, tsc-deadline, xsave, avx, rdrand, pcid, movbe, hypervisor, "
	       "avx2, smep, smap, avx512f, la57, pdpe1gb, rdtscp";
}

static uint32_t *reg_of(struct kvm_cpuid_entry2 *e, enum reg r)
{
	switch (r) {
	case EAX: return &e->eax;
	case EBX: return &e->ebx;
	case ECX: return &e->ecx;
	default:  return &e->edx;
	}
}

int nx_cpuid_setup(struct nx_vcpu *vcpu)
{
	struct nx_vm *vm = vcpu->vm;
	struct kvm_cpuid2 *c;
	int n = 128, ret;

	/* KVM_GET_SUPPORTED_CPUID returns E2BIG until the buffer is big enough. */
	for (;;) {
		c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));
		if (!c)
			return nx_error("out of memory for CPUID");
		c->nent = n;
		if (ioctl(vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, c) == 0)
			break;
		free(c);
		if (errno != E2BIG || n > 4096)
			return nx_error("KVM_GET_SUPPORTED_CPUID: %s", strerror(errno));
		n *= 2;
	}
	for (uint32_t i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];

		switch (e->function) {
		case 1:
			/* EBX[31:24] initial APIC id, [23:16] logical processor count. */
			e->ebx = (e->ebx & 0x0000ffff) | ((uint32_t)vcpu->id << 24) |
				 ((uint32_t)vm->ncpus << 16);
			if (vm->ncpus > 1)
				e->edx |= 1u << 28;	/* HTT: the count above is valid */
			/*
			 * ECX[31]: running under a hypervisor. KVM does not set it in
			 * KVM_GET_SUPPORTED_CPUID; Linux looks for KVM's leaves at
			 * 0x40000000 (kvmclock, no_timer_check) only when it is set.
			 */
			e->ecx |= 1u << 31;
			/*
			 * ECX[24]: TSC-deadline timer. KVM emulates it in its LAPIC but
			 * leaves it out of KVM_GET_SUPPORTED_CPUID; it advertises it as
			 * KVM_CAP_TSC_DEADLINE_TIMER. Without it (and without a PIT under
			 * split irqchip) Linux cannot calibrate its LAPIC timer.
			 */
			if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_TSC_DEADLINE_TIMER) > 0)
				e->ecx |= 1u << 24;
			break;
		case 0xb:
		case 0x1f:
			/* Extended topology: EDX = x2APIC id of this vCPU. */
			e->edx = vcpu->id;
			break;
		}
		for (int h = 0; h < vm->cfg->ncpuid_hide; h++)
			for (size_t f = 0; f < NFEATURES; f++)
				if (!strcmp(features[f].name, vm->cfg->cpuid_hide[h]) &&
				    features[f].leaf == e->function && features[f].index == e->index)
					*reg_of(e, features[f].reg) &= ~(1u << features[f].bit);
	}
	ret = ioctl(vcpu->fd, KVM_SET_CPUID2, c);
	free(c);
	if (ret < 0)
		return nx_error("KVM_SET_CPUID2 on vCPU %d: %s", vcpu->id, strerror(errno));
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * cpuid.c - the guest's CPUID: what KVM supports (KVM_GET_SUPPORTED_CPUID),
 * with this vCPU's APIC id filled in, the features the config hides
 * removed ([cpuid] hide = cx16,xsave) and the XSAVE leaf made to agree
 * with what is left.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/kvm.h>
#include "core/vm.h"
#include "core/arch.h"
#include "core/x86/x86.h"

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

static struct kvm_cpuid_entry2 *find(struct kvm_cpuid_entry2 *e, unsigned n, uint32_t leaf,
				     uint32_t index)
{
	for (unsigned i = 0; i < n; i++)
		if (e[i].function == leaf && e[i].index == index)
			return &e[i];
	return NULL;
}

/* XSAVE user state components (Intel SDM vol. 1, 13.1) beyond x87 and SSE,
 * and the CPUID feature bit that offers each. */
static const struct {
	unsigned component;
	uint32_t leaf;
	enum reg reg;
	unsigned bit;
} xsave_components[] = {
	{ 2, 1, ECX, 28 },		/* YMM_Hi128: AVX        */
	{ 3, 7, EBX, 14 },		/* BNDREGS: MPX          */
	{ 4, 7, EBX, 14 },		/* BNDCSR: MPX           */
	{ 5, 7, EBX, 16 },		/* opmask: AVX-512F      */
	{ 6, 7, EBX, 16 },		/* ZMM_Hi256: AVX-512F   */
	{ 7, 7, EBX, 16 },		/* Hi16_ZMM: AVX-512F    */
	{ 9, 7, ECX, 3 },		/* PKRU: PKU             */
	{ 17, 7, EDX, 24 },		/* XTILECFG: AMX-TILE    */
	{ 18, 7, EDX, 24 },		/* XTILEDATA: AMX-TILE   */
};

/*
 * Makes leaf 0xD agree with the rest of the CPUID (Intel SDM vol. 2,
 * CPUID leaf 0DH): sub-leaf 0 EDX:EAX (the XCR0 bits the guest may set)
 * lists only components whose feature is offered (a hidden AVX takes
 * YMM with it) and whose sub-leaf gives a size; the sub-leaves of the
 * others are zeroed; ECX is the XSAVE area size for all of them (the
 * largest offset + size), and EBX, the size for the XCR0 in use, starts
 * equal to it. Returns the XCR0 offered, 0 if XSAVE is not.
 */
uint64_t nx_cpuid_xsave_fixup(struct kvm_cpuid_entry2 *e, unsigned n)
{
	struct kvm_cpuid_entry2 *l1 = find(e, n, 1, 0), *d0 = find(e, n, 0xd, 0);
	uint64_t xcr0;
	uint32_t size = 512 + 64;	/* legacy area + XSAVE header */

	if (!l1 || !(l1->ecx & (1u << 26)) || !d0)
		return 0;
	xcr0 = d0->eax | (uint64_t)d0->edx << 32;
	for (size_t i = 0; i < sizeof(xsave_components) / sizeof(xsave_components[0]); i++) {
		struct kvm_cpuid_entry2 *f = find(e, n, xsave_components[i].leaf, 0);

		if (!f || !(*reg_of(f, xsave_components[i].reg) & (1u << xsave_components[i].bit)))
			xcr0 &= ~(1ull << xsave_components[i].component);
	}
	for (unsigned c = 2; c < 64; c++) {
		struct kvm_cpuid_entry2 *s = find(e, n, 0xd, c);

		if (!(xcr0 >> c & 1) || !s || !s->eax) {
			xcr0 &= ~(1ull << c);
			if (s)
				s->eax = s->ebx = s->ecx = s->edx = 0;
			continue;
		}
		if (s->ebx + s->eax > size)
			size = s->ebx + s->eax;
	}
	d0->eax = (uint32_t)xcr0;
	d0->edx = (uint32_t)(xcr0 >> 32);
	d0->ecx = size;
	d0->ebx = size;
	return xcr0;
}

/*
 * The vCPU starts with every offered XSAVE component enabled in XCR0
 * (instead of the reset value 1, x87 only). KVM recomputes CPUID 0xD.0
 * EBX from the vCPU's XCR0 when XCR0 changes through XSETBV exits; this
 * makes it describe from the start what the guest will enable. It also
 * keeps nested SVM under QEMU TCG right: TCG does not intercept the
 * guest's XSETBV, so KVM never learns the guest's XCR0 and reloads its
 * own copy on every entry (seen as Linux's "XSAVE consistency problem"
 * warning, and AVX state lost). KVM checks the value against the CPUID
 * just set, so this comes after KVM_SET_CPUID2.
 */
static int set_xcr0(struct nx_vcpu *vcpu, uint64_t xcr0)
{
	struct kvm_xcrs x = { .nr_xcrs = 1, .xcrs = { { .xcr = 0, .value = xcr0 } } };

	if (!xcr0 || ioctl(vcpu->vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_XCRS) <= 0)
		return 0;
	if (ioctl(vcpu->fd, KVM_SET_XCRS, &x) < 0)
		return nx_error("KVM_SET_XCRS (XCR0 = 0x%llx) on vCPU %d: %s",
				(unsigned long long)xcr0, vcpu->id, strerror(errno));
	return 0;
}

/* The arch's vCPU hook (core/arch.h): the vCPU's CPUID and XCR0. */
int nx_arch_vcpu_init(struct nx_vcpu *vcpu)
{
	struct nx_vm *vm = vcpu->vm;
	struct kvm_cpuid2 *c;
	uint64_t xcr0;
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
	xcr0 = nx_cpuid_xsave_fixup(c->entries, c->nent);
	ret = ioctl(vcpu->fd, KVM_SET_CPUID2, c);
	free(c);
	if (ret < 0)
		return nx_error("KVM_SET_CPUID2 on vCPU %d: %s", vcpu->id, strerror(errno));
	return set_xcr0(vcpu, xcr0);
}

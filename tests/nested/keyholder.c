/* SPDX-License-Identifier: MIT */
/*
 * keyholder - runs in the nested L1 machine for as long as L1 lives, and
 * holds KVM's jump labels (static keys) switched on so that no VM that the
 * tests create or destroy later flips them:
 *   kvm_has_noapic_vcpu  a vCPU of a VM without an in-kernel irqchip;
 *   apic_sw_disabled     a LAPIC whose SVR was never software-enabled;
 *   apic_hw_disabled     a LAPIC whose APIC base MSR has the enable bit clear.
 * Each flip rewrites kernel text on every CPU with text_poke_bp()'s int3
 * protocol; under QEMU TCG (7.2) that was seen to wedge L1 for good, one CPU
 * stuck at the entry of its #BP handler (docs/nested.md, "Stalls").
 * Prints one KEYHOLDER line, then sleeps until killed.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define MSR_IA32_APICBASE	0x1b
#define APICBASE_BSP		(1ull << 8)
#define APIC_DEFAULT_BASE	0xfee00000ull

int main(void)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e;
	} msr = { .hdr.nmsrs = 1, .e.index = MSR_IA32_APICBASE,
		  .e.data = APIC_DEFAULT_BASE | APICBASE_BSP };	/* enable bit clear */
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	int vm_noapic, vm_apic, c1, c2, hw;

	if (kvm < 0) {
		printf("KEYHOLDER error=%s\n", strerror(errno));
		return 1;
	}
	vm_noapic = ioctl(kvm, KVM_CREATE_VM, 0);
	c1 = vm_noapic >= 0 ? ioctl(vm_noapic, KVM_CREATE_VCPU, 0) : -1;
	vm_apic = ioctl(kvm, KVM_CREATE_VM, 0);
	c2 = vm_apic >= 0 && ioctl(vm_apic, KVM_CREATE_IRQCHIP, 0) == 0
	     ? ioctl(vm_apic, KVM_CREATE_VCPU, 0) : -1;
	hw = c2 >= 0 ? ioctl(c2, KVM_SET_MSRS, &msr) : -1;
	printf("KEYHOLDER noapic_vcpu=%s apic_sw_disabled=%s apic_hw_disabled=%s\n",
	       c1 >= 0 ? "held" : "no", c2 >= 0 ? "held" : "no", hw == 1 ? "held" : "no");
	fflush(stdout);
	for (;;)
		pause();
}

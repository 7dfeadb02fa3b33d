/* SPDX-License-Identifier: MIT */
/* dump.c - vCPU state for fatal exits: registers, segments, code bytes at RIP. */
#include <string.h>
#include <sys/ioctl.h>
#include <linux/kvm.h>
#include "core/vm.h"

static void seg(FILE *o, const char *n, const struct kvm_segment *s)
{
	fprintf(o, "  %-3s sel=%04x base=%016llx limit=%08x type=%x dpl=%u l=%u db=%u p=%u\n", n,
		s->selector, (unsigned long long)s->base, s->limit, s->type, s->dpl, s->l, s->db,
		s->present);
}

void nx_vcpu_dump(struct nx_vcpu *vcpu, FILE *o)
{
	struct kvm_regs r;
	struct kvm_sregs s;
	struct kvm_translation tr;
	uint8_t *code;

	if (ioctl(vcpu->fd, KVM_GET_REGS, &r) < 0 || ioctl(vcpu->fd, KVM_GET_SREGS, &s) < 0) {
		fprintf(o, "  (vCPU %d registers unavailable)\n", vcpu->id);
		return;
	}
	/* AMD SVM: KVM reinitialises the VMCB on a SHUTDOWN intercept, so after a
	 * triple fault the vCPU is in its reset state (rip fff0, cs base ffff0000)
	 * and the faulting state is lost; only KVM's kvm_exit tracepoint has it. */
	if (r.rip == 0xfff0 && s.cs.base == 0xffff0000 && !(s.cr0 & 1)) {
		fprintf(o, "  vCPU %d is at reset: this KVM discarded the faulting state\n", vcpu->id);
		return;
	}
	fprintf(o, "  vCPU %d registers:\n", vcpu->id);
	fprintf(o, "  rip=%016llx rsp=%016llx rflags=%016llx\n", r.rip, r.rsp, r.rflags);
	fprintf(o, "  rax=%016llx rbx=%016llx rcx=%016llx rdx=%016llx\n", r.rax, r.rbx, r.rcx, r.rdx);
	fprintf(o, "  rsi=%016llx rdi=%016llx rbp=%016llx r8 =%016llx\n", r.rsi, r.rdi, r.rbp, r.r8);
	fprintf(o, "  r9 =%016llx r10=%016llx r11=%016llx r12=%016llx\n", r.r9, r.r10, r.r11, r.r12);
	fprintf(o, "  r13=%016llx r14=%016llx r15=%016llx\n", r.r13, r.r14, r.r15);
	fprintf(o, "  cr0=%016llx cr2=%016llx cr3=%016llx cr4=%016llx efer=%llx\n",
		s.cr0, s.cr2, s.cr3, s.cr4, s.efer);
	seg(o, "cs", &s.cs);
	seg(o, "ss", &s.ss);
	seg(o, "ds", &s.ds);
	fprintf(o, "  gdt=%016llx/%x idt=%016llx/%x\n", (unsigned long long)s.gdt.base, s.gdt.limit,
		(unsigned long long)s.idt.base, s.idt.limit);

	/* Code bytes: translate the linear RIP with the guest's own page tables. */
	memset(&tr, 0, sizeof(tr));
	tr.linear_address = s.cs.base + r.rip;
	if (ioctl(vcpu->fd, KVM_TRANSLATE, &tr) < 0 || !tr.valid) {
		fprintf(o, "  code: RIP not mapped\n");
		return;
	}
	code = nx_gpa(&vcpu->vm->mem, tr.physical_address, 16);
	if (!code) {
		fprintf(o, "  code: RIP at gpa %llx is not RAM\n", (unsigned long long)tr.physical_address);
		return;
	}
	fprintf(o, "  code at gpa %llx:", (unsigned long long)tr.physical_address);
	for (int i = 0; i < 16; i++)
		fprintf(o, " %02x", code[i]);
	fprintf(o, "\n");
}

/* SPDX-License-Identifier: MIT */
/*
 * ring0_test.c - the x86 ring-0 test guest of nx_kvm_detect (core/kvm_kind.c):
 * a few instructions that any kernel runs in its first milliseconds, on one
 * vCPU of a throw-away VM, entered in 64-bit mode at CPL 0:
 *
 *     mov rsp, STACK
 *     int3                   ; #BP through the guest's own IDT (SDM 6.12),
 *                            ; handler: out 0xf2, 3; iretq
 *     mov edi, CX16_DATA
 *     lock cmpxchg16b [rdi]  ; what Linux uses for its per-CPU lists
 *     out 0xf0, 0x42         ; done
 *     hlt
 *
 * Hardware KVM (VMX/SVM, also nested under QEMU TCG) runs it and exits
 * twice on port I/O. kvm_pvm runs guest ring 0 through KVM's instruction
 * emulator, which cannot deliver the ring-0 int3 (KVM_EXIT_INTERNAL_ERROR,
 * emulation failure): the same failure that stops Linux's alternatives
 * self-test (docs/machine.md). Any other exception lands in a stub that
 * reports its vector on port 0xf3. Every path ends in an exit, so KVM_RUN
 * always returns; at most MAX_EXITS are taken.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/kvm.h>
#include "core/arch.h"
#include "core/x86/boot.h"

#define MEM_SIZE	0x200000ULL	/* one 2 MiB page, identity mapped */
#define PML4		0x1000
#define PDPT		0x2000
#define PD		0x3000
#define GDT		0x4000
#define IDT		0x5000
#define CODE		0x6000
#define BP_HANDLER	0x6800
#define STUBS		0x6900		/* 8 bytes per vector 0..31 */
#define CX16_DATA	0x7000
#define STACK		0x9000
#define PORT_DONE	0xf0
#define PORT_BP		0xf2
#define PORT_FAULT	0xf3
#define MAX_EXITS	16

static const uint8_t code[] = {
	0x48, 0xc7, 0xc4, STACK & 0xff, STACK >> 8, 0, 0,	/* mov rsp, STACK   */
	0xcc,							/* int3             */
	0xbf, CX16_DATA & 0xff, CX16_DATA >> 8, 0, 0,		/* mov edi, CX16    */
	0xf0, 0x48, 0x0f, 0xc7, 0x0f,				/* lock cmpxchg16b  */
	0xb0, 0x42, 0xe6, PORT_DONE,				/* out PORT_DONE, 42 */
	0xf4,							/* hlt              */
};
static const uint8_t bp_handler[] = {
	0xb0, 0x03, 0xe6, PORT_BP,				/* out PORT_BP, 3   */
	0x48, 0xcf,						/* iretq            */
};

/* 64-bit interrupt gate (SDM 6.14.1): P, DPL 0, type 0xe, selector 0x08. */
static void idt_gate(uint8_t *idt, unsigned vec, uint64_t off)
{
	uint8_t *g = idt + vec * 16;

	memset(g, 0, 16);
	g[0] = off & 0xff;
	g[1] = (off >> 8) & 0xff;
	g[2] = 0x08;
	g[5] = 0x8e;
	g[6] = (off >> 16) & 0xff;
	g[7] = (off >> 24) & 0xff;
}

static void build_guest(uint8_t *m)
{
	uint64_t *pml4 = (uint64_t *)(m + PML4), *pdpt = (uint64_t *)(m + PDPT);
	uint64_t *pd = (uint64_t *)(m + PD), *gdt = (uint64_t *)(m + GDT);

	pml4[0] = PDPT | 3;		/* present, writable */
	pdpt[0] = PD | 3;
	pd[0] = 0 | 3 | 0x80;		/* 2 MiB page at 0 */
	gdt[1] = 0x00af9b000000ffffULL;	/* 0x08: 64-bit code, DPL 0 */
	gdt[2] = 0x00cf93000000ffffULL;	/* 0x10: data */
	for (unsigned v = 0; v < 32; v++) {
		uint8_t *s = m + STUBS + v * 8;	/* out PORT_FAULT, v; hlt */

		s[0] = 0xb0; s[1] = (uint8_t)v; s[2] = 0xe6; s[3] = PORT_FAULT; s[4] = 0xf4;
		idt_gate(m + IDT, v, STUBS + v * 8);
	}
	idt_gate(m + IDT, 3, BP_HANDLER);
	memcpy(m + CODE, code, sizeof(code));
	memcpy(m + BP_HANDLER, bp_handler, sizeof(bp_handler));
}

static int enter_long_mode(int vcpu)
{
	struct kvm_sregs sr;
	struct kvm_regs regs = { .rip = CODE, .rflags = 0x2 };

	if (ioctl(vcpu, KVM_GET_SREGS, &sr) < 0)
		return -1;
	nx_boot_long_mode(&sr, 0x08, 0x10, PML4);
	sr.gdt.base = GDT;
	sr.gdt.limit = 3 * 8 - 1;
	sr.idt.base = IDT;
	sr.idt.limit = 32 * 16 - 1;
	if (ioctl(vcpu, KVM_SET_SREGS, &sr) < 0 || ioctl(vcpu, KVM_SET_REGS, &regs) < 0)
		return -1;
	return 0;
}

/* Runs the guest; 1 = both expected port writes came, 0 = something else. */
static int run_guest(int vcpu, struct kvm_run *run, char *why, size_t len)
{
	bool bp = false;

	for (int i = 0; i < MAX_EXITS; i++) {
		if (ioctl(vcpu, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			snprintf(why, len, "KVM_RUN failed: %s", strerror(errno));
			return 0;
		}
		switch (run->exit_reason) {
		case KVM_EXIT_IO: {
			uint8_t v = *((uint8_t *)run + run->io.data_offset);

			if (run->io.direction != KVM_EXIT_IO_OUT)
				break;
			if (run->io.port == PORT_BP) {
				bp = true;
				break;
			}
			if (run->io.port == PORT_DONE && bp && v == 0x42) {
				snprintf(why, len, "a ring-0 test guest took int3 through its IDT, "
					 "returned with iretq and ran lock cmpxchg16b");
				return 1;
			}
			if (run->io.port == PORT_FAULT) {
				snprintf(why, len, "the ring-0 test guest took exception %u%s", v,
					 bp ? " after its int3" : "");
				return 0;
			}
			break;
		}
		case KVM_EXIT_INTERNAL_ERROR:
			snprintf(why, len, "the ring-0 test guest stopped with KVM_EXIT_INTERNAL_ERROR "
				 "suberror %u%s%s", run->internal.suberror,
				 run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION ?
				 ", an emulation failure," : "",
				 bp ? " after its int3" : " at its ring-0 int3");
			return 0;
		default:
			snprintf(why, len, "the ring-0 test guest stopped with %s%s",
				 nx_exit_reason_name(run->exit_reason), bp ? " after its int3" : "");
			return 0;
		}
	}
	snprintf(why, len, "the ring-0 test guest did not finish in %d exits", MAX_EXITS);
	return 0;
}

int nx_arch_ring0_test(int kvm_fd, int vm_fd, char *why, size_t len)
{
	struct kvm_userspace_memory_region slot = { .slot = 0, .memory_size = MEM_SIZE };
	struct kvm_run *run = MAP_FAILED;
	uint8_t *mem;
	long run_size;
	int vcpu = -1, r = -1;

	mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		snprintf(why, len, "mmap: %s", strerror(errno));
		return -1;
	}
	build_guest(mem);
	slot.userspace_addr = (uint64_t)(uintptr_t)mem;
	run_size = ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (ioctl(vm_fd, KVM_SET_USER_MEMORY_REGION, &slot) < 0) {
		snprintf(why, len, "KVM_SET_USER_MEMORY_REGION: %s", strerror(errno));
	} else if ((vcpu = ioctl(vm_fd, KVM_CREATE_VCPU, 0)) < 0) {
		snprintf(why, len, "KVM_CREATE_VCPU: %s", strerror(errno));
	} else if (run_size <= 0 ||
		   (run = mmap(NULL, (size_t)run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0))
		   == MAP_FAILED) {
		snprintf(why, len, "cannot map the vCPU's kvm_run: %s", strerror(errno));
	} else if (enter_long_mode(vcpu) < 0) {
		snprintf(why, len, "KVM_SET_SREGS/REGS for 64-bit mode: %s", strerror(errno));
	} else {
		r = run_guest(vcpu, run, why, len);
	}
	if (run != MAP_FAILED)
		munmap(run, (size_t)run_size);
	if (vcpu >= 0)
		close(vcpu);
	munmap(mem, MEM_SIZE);
	return r;
}

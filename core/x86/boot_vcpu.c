/* SPDX-License-Identifier: MIT */
/*
 * boot_vcpu.c - the CPU state a kernel is entered with, set through
 * KVM_SET_SREGS/KVM_SET_REGS on vCPU 0 (the APs stay in their reset state
 * and wait for INIT-SIPI-SIPI). No firmware runs: the VMM builds the GDT and
 * the identity page tables the guest would otherwise spend ring-0
 * instructions on (emulated at ~1 us each under kvm_pvm).
 *
 *  - 64-bit entry (bzImage startup_64, ELF64): Linux boot protocol "64-bit
 *    boot protocol": paging on with an identity map, a GDT with flat
 *    __BOOT_CS (0x10, 64-bit) and __BOOT_DS (0x18), interrupts off.
 *  - multiboot: spec 3.2 "Machine state": 32-bit flat protected mode, paging
 *    off, CS a 32-bit read/execute segment, data segments read/write, EFLAGS
 *    IF and VM clear.
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/kvm.h>
#include "core/x86/boot.h"

#define CR0_PE		(1ULL << 0)
#define CR0_ET		(1ULL << 4)
#define CR0_NE		(1ULL << 5)
#define CR0_PG		(1ULL << 31)
#define CR4_PAE		(1ULL << 5)
#define EFER_LME	(1ULL << 8)
#define EFER_LMA	(1ULL << 10)

/* Page table entry bits (Intel SDM vol. 3, 4.5). */
#define PTE_P		(1ULL << 0)
#define PTE_RW		(1ULL << 1)
#define PTE_PWT		(1ULL << 3)
#define PTE_PCD		(1ULL << 4)
#define PTE_PS		(1ULL << 7)	/* 2 MiB page in a PD entry */

#define PG_PDPT		(NX_BOOT_PML4 + 0x1000)
#define PG_PD		(NX_BOOT_PML4 + 0x2000)	/* 4 PDs, one per GiB */
#define PG_NPD		(NX_BOOT_IDMAP_SIZE >> 30)
#define PG_END		(PG_PD + PG_NPD * 0x1000)

_Static_assert(PG_END <= NX_BOOT_CMDLINE, "boot page tables overlap the command line");
_Static_assert(NX_BOOT_PARAMS + 0x1000 <= NX_BOOT_STACK - 0x800, "stack overlaps boot_params");
_Static_assert(NX_BOOT_STACK < NX_BOOT_PML4, "stack overlaps the page tables");

/* GDT descriptors (SDM vol. 3, 3.4.5): base 0, limit 0xfffff, G=1. */
#define GDT_CODE32	0x00cf9b000000ffffULL	/* P, DPL0, code exec/read, D=1      */
#define GDT_CODE64	0x00af9b000000ffffULL	/* P, DPL0, code exec/read, L=1      */
#define GDT_DATA	0x00cf93000000ffffULL	/* P, DPL0, data read/write, B=1     */
#define GDT_ENTRIES	4

int nx_boot_build_gdt(struct nx_mem *m, uint64_t gpa)
{
	uint64_t *gdt = nx_gpa(m, gpa, GDT_ENTRIES * 8);

	if (!gdt)
		return nx_error("guest RAM too small for the boot GDT");
	gdt[0] = 0;
	gdt[NX_SEL_CODE32 / 8] = GDT_CODE32;
	gdt[NX_SEL_CODE64 / 8] = GDT_CODE64;
	gdt[NX_SEL_DATA / 8] = GDT_DATA;
	return 0;
}

/* Identity map of [0, 4 GiB) with 2 MiB pages (no 1 GiB pages: the guest's
 * CPUID may lack pdpe1gb). The 32-bit hole [3 GiB, 4 GiB) holds MMIO and is
 * mapped uncached (PCD|PWT). Covers the kernel, boot_params, the command
 * line and the initrd, which all live below 3 GiB. */
int nx_boot_build_pgtables(struct nx_mem *m)
{
	uint64_t *pml4 = nx_gpa(m, NX_BOOT_PML4, PG_END - NX_BOOT_PML4);
	uint64_t *pdpt, *pd;

	if (!pml4)
		return nx_error("guest RAM too small for the boot page tables");
	memset(pml4, 0, PG_END - NX_BOOT_PML4);
	pdpt = pml4 + 512;
	pd = pdpt + 512;
	pml4[0] = PG_PDPT | PTE_P | PTE_RW;
	for (uint64_t g = 0; g < PG_NPD; g++)
		pdpt[g] = (PG_PD + g * 0x1000) | PTE_P | PTE_RW;
	for (uint64_t i = 0; i < PG_NPD * 512; i++) {
		uint64_t a = i << 21;

		pd[i] = a | PTE_P | PTE_RW | PTE_PS;
		if (a >= NX_MMIO_HOLE)
			pd[i] |= PTE_PCD | PTE_PWT;
	}
	return 0;
}

static void flat_seg(struct kvm_segment *s, uint16_t sel, uint8_t type, bool l, bool db)
{
	*s = (struct kvm_segment){
		.base = 0, .limit = 0xffffffff, .selector = sel, .type = type,
		.present = 1, .dpl = 0, .db = db, .s = 1, .l = l, .g = 1,
	};
}

/* Types: 0xb = code execute/read accessed, 0x3 = data read/write accessed. */
void nx_boot_long_mode(struct kvm_sregs *sr, uint16_t cs, uint16_t ds, uint64_t cr3)
{
	flat_seg(&sr->cs, cs, 0xb, true, false);
	flat_seg(&sr->ds, ds, 0x3, false, true);
	sr->es = sr->fs = sr->gs = sr->ss = sr->ds;
	sr->cr3 = cr3;
	sr->cr4 = CR4_PAE;
	sr->efer = EFER_LME | EFER_LMA;
	sr->cr0 = CR0_PE | CR0_ET | CR0_NE | CR0_PG;
}

int nx_boot_setup_vcpu(struct nx_vcpu *vcpu, const struct nx_boot *b)
{
	struct nx_mem *m = &vcpu->vm->mem;
	struct kvm_sregs sr;
	struct kvm_regs regs;
	uint64_t gdt = b->gdt ? b->gdt : NX_BOOT_GDT;
	int r;

	if (vcpu->id != 0)	/* APs start through INIT-SIPI-SIPI */
		return 0;
	r = nx_boot_build_gdt(m, gdt);
	if (r < 0)
		return r;
	if (ioctl(vcpu->fd, KVM_GET_SREGS, &sr) < 0)
		return nx_error("KVM_GET_SREGS on vCPU 0: %s", strerror(errno));

	if (b->long_mode) {
		r = nx_boot_build_pgtables(m);
		if (r < 0)
			return r;
		nx_boot_long_mode(&sr, NX_SEL_CODE64, NX_SEL_DATA, NX_BOOT_PML4);
	} else {
		/* Multiboot: paging off, so no PAE/long mode either. */
		flat_seg(&sr.cs, NX_SEL_CODE32, 0xb, false, true);
		flat_seg(&sr.ds, NX_SEL_DATA, 0x3, false, true);
		sr.es = sr.fs = sr.gs = sr.ss = sr.ds;
		sr.cr3 = 0;
		sr.cr4 = 0;
		sr.efer = 0;
		sr.cr0 = CR0_PE | CR0_ET | CR0_NE;
	}
	/* TR and LDTR keep their reset state (busy TSS, unusable LDT). */
	sr.gdt.base = gdt;
	sr.gdt.limit = GDT_ENTRIES * 8 - 1;
	/* No IDT: an early exception becomes a triple fault, which the VMM
	 * reports with the registers, rather than a jump through garbage. */
	sr.idt.base = 0;
	sr.idt.limit = 0;
	if (ioctl(vcpu->fd, KVM_SET_SREGS, &sr) < 0)
		return nx_error("KVM_SET_SREGS on vCPU 0: %s", strerror(errno));

	memset(&regs, 0, sizeof(regs));
	regs.rflags = 0x2;		/* bit 1 is reserved-one; IF clear */
	regs.rip = b->entry;
	regs.rsp = NX_BOOT_STACK;
	regs.rsi = b->rsi;		/* Linux: boot_params */
	regs.rax = b->eax;		/* multiboot: 0x2BADB002 */
	regs.rbx = b->ebx;		/* multiboot: info structure */
	if (ioctl(vcpu->fd, KVM_SET_REGS, &regs) < 0)
		return nx_error("KVM_SET_REGS on vCPU 0: %s", strerror(errno));
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * boot.S - multiboot v1 entry, the 32-bit to long-mode switch, the GDT, the
 * static identity page tables and the real-mode AP trampoline.
 *
 * Everything that can be data is data: the page tables are assembled here
 * (4 GiB identity map in 2 MiB pages), so the boot path is a few dozen
 * instructions - on kvm_pvm each ring-0 instruction is emulated.
 */
#define SEL_KCODE	0x08
#define SEL_KDATA	0x10
#define SEL_KCODE32	0x28
#define SEL_KDATA32	0x30
#define AP_TRAMPOLINE	0x8000
#define KSTACK_SIZE	0x4000
#define MAX_CPUS	64		/* probe.h */

/* Multiboot v1 header (Multiboot Specification 0.6.96, 3.1.1). */
#define MB_MAGIC	0x1BADB002
#define MB_FLAGS	0x00000003	/* bit 0: page-align modules, bit 1: memory map */

	.section .multiboot, "a"
	.balign 4
	.long MB_MAGIC
	.long MB_FLAGS
	.long -(MB_MAGIC + MB_FLAGS)

/* ---- 32-bit entry: EAX = 0x2BADB002, EBX = multiboot info (spec 3.2) ---- */
	.text
	.code32
	.globl _start32
_start32:
	cli
	movl	%eax, mb_magic
	movl	%ebx, mb_info
	lgdt	gdtr
	xorl	%edi, %edi		/* EDI = 0: bootstrap processor */
	jmp	enter_long_mode

	/* APs arrive here from the real-mode trampoline, flat 32-bit. */
	.globl ap_start32
ap_start32:
	movl	$1, %edi

/* SDM 10.8.5 "Initializing IA-32e Mode": PAE, CR3, EFER.LME, then CR0.PG. */
enter_long_mode:
	movl	$pml4, %eax
	movl	%eax, %cr3
	movl	%cr4, %eax
	orl	$0x20, %eax		/* CR4.PAE */
	movl	%eax, %cr4
	movl	$0xc0000080, %ecx	/* IA32_EFER */
	rdmsr
	orl	$0x100, %eax		/* LME */
	wrmsr
	movl	$0x80010033, %eax	/* PG | WP | NE | ET | MP | PE */
	movl	%eax, %cr0
	ljmp	$SEL_KCODE, $start64

	.code64
start64:
	movl	$SEL_KDATA, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	xorl	%eax, %eax
	movl	%eax, %fs
	movl	%eax, %gs
	testl	%edi, %edi
	jnz	1f
	leaq	kstacks + KSTACK_SIZE(%rip), %rsp	/* CPU 0's stack */
	movl	mb_magic(%rip), %edi
	movl	mb_info(%rip), %esi
	call	probe_main
	jmp	halt_forever
1:	movq	ap_stack_top(%rip), %rsp		/* set by smp_start() */
	call	ap_main
halt_forever:
	cli
	hlt
	jmp	halt_forever

/* ---- the AP trampoline, copied to AP_TRAMPOLINE (SIPI vector 0x08) ----- */
/* SDM 8.4.4.1: an AP starts in real mode at CS:IP = (vector << 8):0. */
#define T(x)	(AP_TRAMPOLINE + ((x) - ap_tramp_start))
	.section .rodata.tramp, "a"
	.code16
	.globl ap_tramp_start, ap_tramp_end
ap_tramp_start:
	cli
	xorw	%ax, %ax
	movw	%ax, %ds
	lgdtl	T(tramp_gdtr)
	movl	%cr0, %eax
	orl	$1, %eax		/* CR0.PE */
	movl	%eax, %cr0
	ljmpl	$SEL_KCODE32, $T(tramp32)
	.code32
tramp32:
	movl	$SEL_KDATA32, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	movl	$ap_start32, %eax
	jmp	*%eax
	.balign 8
tramp_gdtr:
	.word	gdt_end - gdt - 1
	.long	gdt
ap_tramp_end:
	.code64

/* ---- GDT: flat segments; TSS descriptors filled per CPU by cpu_init() ---- */
	.data
	.balign 16
	.globl gdt, gdt_end, gdtr
gdt:
	.quad	0				/* 0x00 null */
	.quad	0x00af9a000000ffff		/* 0x08 kernel code, 64-bit */
	.quad	0x00cf92000000ffff		/* 0x10 kernel data */
	.quad	0x00cff2000000ffff		/* 0x18 user data, DPL 3 */
	.quad	0x00affa000000ffff		/* 0x20 user code, 64-bit, DPL 3 */
	.quad	0x00cf9a000000ffff		/* 0x28 kernel code, 32-bit */
	.quad	0x00cf92000000ffff		/* 0x30 kernel data, 32-bit */
	.quad	0				/* 0x38 */
	.fill	2 * MAX_CPUS, 8, 0		/* 0x40: a 16-byte TSS descriptor per CPU */
gdt_end:
	.balign 8
gdtr:
	.word	gdt_end - gdt - 1
	.quad	gdt

	.globl mb_magic, mb_info, ap_stack_top
mb_magic:	.long 0
mb_info:	.long 0
ap_stack_top:	.quad 0

/*
 * Identity map of the low 4 GiB in 2 MiB pages, every entry user-accessible
 * (U/S=1) so ring 3 can reach RAM and MMIO doorbells; SMEP/SMAP stay off so
 * ring 0 may use the same mappings. 3-4 GiB (MMIO hole) is uncached (PCD|PWT).
 */
#define PTE_P	0x001
#define PTE_W	0x002
#define PTE_U	0x004
#define PTE_PWT	0x008
#define PTE_PCD	0x010
#define PTE_PS	0x080
	.section .data.pagetables, "aw"
	.balign 4096
	.globl pml4
pml4:
	.quad	pdpt + PTE_P + PTE_W + PTE_U
	.fill	511, 8, 0
pdpt:
	.quad	pd + 0x0000 + PTE_P + PTE_W + PTE_U
	.quad	pd + 0x1000 + PTE_P + PTE_W + PTE_U
	.quad	pd + 0x2000 + PTE_P + PTE_W + PTE_U
	.quad	pd + 0x3000 + PTE_P + PTE_W + PTE_U
	.fill	508, 8, 0
pd:
	.set	addr, 0
	.rept	1536
	.quad	addr + PTE_P + PTE_W + PTE_U + PTE_PS
	.set	addr, addr + 0x200000
	.endr
	.rept	512
	.quad	addr + PTE_P + PTE_W + PTE_U + PTE_PS + PTE_PCD + PTE_PWT
	.set	addr, addr + 0x200000
	.endr

	.section .note.GNU-stack, "", @progbits

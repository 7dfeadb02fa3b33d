/* SPDX-License-Identifier: MIT */
/*
 * isr.S - interrupt and exception entry, ring-3 entry/exit and kcall.
 *
 * The device-interrupt path (irq_fast) is a handful of instructions: on
 * kvm_pvm ring-0 code is emulated, so every instruction here is latency.
 * It records the TSC, counts, notes the CPU, optionally acknowledges the
 * device with one MMIO write, sends EOI (unless the vector asks not to) and
 * returns.
 */
#define SEL_UDATA	0x1b
#define SEL_UCODE	0x23
#define KSTACK_SHIFT	14
#define REC_COUNT	0x00
#define REC_TSC		0x08
#define REC_CPU		0x10
#define REC_FLAGS	0x14
#define REC_ACK_ADDR	0x18
#define REC_ACK_VAL	0x20
#define REC_EOI_LIMIT	0x28
#define REC_CAP_ADDR	0x30
#define REC_CAP_VAL	0x38
#define IRQ_NO_EOI	1
#define IRQ_LOG_MASK	255

	.text
	.code64

/* ---- exceptions 0-31: common C handler, never returns -------------------- */
/* Vectors that push an error code: SDM Vol. 3 Table 6-1. */
.macro EXC vec
	.balign 16
	.if (\vec == 8) || (\vec == 10) || (\vec == 11) || (\vec == 12) || (\vec == 13) || (\vec == 14) || (\vec == 17) || (\vec == 21) || (\vec == 29) || (\vec == 30)
	.else
	pushq	$0
	.endif
	pushq	$\vec
	jmp	exc_common
.endm
	.balign 16
	.globl exc_stubs
exc_stubs:
	.set v, 0
	.rept 32
	EXC v
	.set v, v + 1
	.endr

exc_common:
	pushq	%rax
	pushq	%rbx
	pushq	%rcx
	pushq	%rdx
	pushq	%rsi
	pushq	%rdi
	pushq	%rbp
	pushq	%r8
	pushq	%r9
	pushq	%r10
	pushq	%r11
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	movq	%rsp, %rdi
	andq	$-16, %rsp
	call	exception_c
1:	cli
	hlt
	jmp	1b

/* ---- device interrupts 0x20-0xfe: one 16-byte stub per vector ------------ */
	.balign 16
	.globl irq_stubs
irq_stubs:
	.set v, 0x20
	.rept 0xe0
	.balign 16
	pushq	$v
	jmp	irq_fast
	.set v, v + 1
	.endr

irq_fast:				/* stack: vector, RIP, CS, RFLAGS, RSP, SS */
	pushq	%rax
	pushq	%rdx
	rdtsc				/* first: the latency ends here */
	pushq	%rcx
	pushq	%rbx
	shlq	$32, %rdx
	orq	%rdx, %rax
	movq	32(%rsp), %rbx		/* vector */
	movl	$1, %edx
	lock xaddl %edx, irq_log_idx(%rip)
	andl	$IRQ_LOG_MASK, %edx
	leaq	irq_log(%rip), %rcx
	movl	%ebx, (%rcx,%rdx,4)
	shlq	$6, %rbx
	leaq	irq_rec(%rip), %rcx
	addq	%rcx, %rbx		/* &irq_rec[vector] */
	movq	%rax, REC_TSC(%rbx)
	movq	%rsp, %rax		/* CPU index = stack slot (ring 0 stacks) */
	leaq	kstacks(%rip), %rcx
	subq	%rcx, %rax
	shrq	$KSTACK_SHIFT, %rax
	movl	%eax, REC_CPU(%rbx)
	movq	REC_ACK_ADDR(%rbx), %rcx	/* device acknowledge, e.g. edu 0x64 */
	testq	%rcx, %rcx
	jz	1f
	movl	REC_ACK_VAL(%rbx), %eax
	movl	%eax, (%rcx)
1:	lock incq REC_COUNT(%rbx)	/* after the ack: a waiter may re-raise */
	movq	REC_EOI_LIMIT(%rbx), %rax	/* guest-side storm cap */
	testq	%rax, %rax
	jz	4f
	cmpq	%rax, REC_COUNT(%rbx)
	jb	4f
	movq	REC_CAP_ADDR(%rbx), %rcx	/* reached: quiesce the device, */
	testq	%rcx, %rcx			/* leave the vector in service */
	jz	3f
	movl	REC_CAP_VAL(%rbx), %eax
	movl	%eax, (%rcx)
	jmp	3f
4:	testl	$IRQ_NO_EOI, REC_FLAGS(%rbx)
	jnz	3f
	cmpb	$0, apic_x2(%rip)
	jnz	2f
	movl	$0xfee000b0, %ecx	/* xAPIC EOI register */
	movl	$0, (%rcx)
	jmp	3f
2:	movl	$0x80b, %ecx		/* x2APIC EOI MSR */
	xorl	%eax, %eax
	xorl	%edx, %edx
	wrmsr
3:	popq	%rbx
	popq	%rcx
	popq	%rdx
	popq	%rax
	addq	$8, %rsp
	iretq

	/* Spurious vector: no EOI (SDM 10.9). */
	.balign 16
	.globl spurious_stub
spurious_stub:
	iretq

/* NMI (vector 2): counted in irq_rec[2] like a device interrupt; scenarios
 * set IRQ_NO_EOI on it (an NMI is not in the LAPIC's ISR: no EOI). */
	.balign 16
	.globl nmi_stub
nmi_stub:
	pushq	$2
	jmp	irq_fast

/* ---- ring 3 ----------------------------------------------------------------
 * u64 user_call_asm(fn, arg, ustack_top, u64 *tss_rsp0)
 * Saves the callee-saved registers, points TSS.RSP0 just below them and
 * iretq's to ring 3 at user_entry with IF=1.
 *
 * Ring 3 comes back with `ud2` (#UD, vector 6): measured on kvm_pvm, `int n`
 * from ring 3 raises #UD and `syscall` does not reach ring 0, while
 * exceptions are delivered through the IDT like on hardware. RAX = 0: return
 * from user_call with RDI as the value; RAX = fn: kcall fn(RDI, RSI).
 * The #UD frame sits exactly 40 bytes below RSP0 (the CPU aligns RSP0 to 16
 * bytes in 64-bit mode, SDM 6.14.2; ours is already aligned).
 */
	.globl user_call_asm
user_call_asm:
	pushq	%rbx
	pushq	%rbp
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	subq	$8, %rsp		/* align to 16 */
	movq	%rsp, (%rcx)
	pushq	$SEL_UDATA		/* SS */
	pushq	%rdx			/* RSP */
	pushq	$0x202			/* RFLAGS: IF */
	pushq	$SEL_UCODE		/* CS */
	leaq	user_entry(%rip), %rax
	pushq	%rax			/* RIP */
	movq	%rdi, %rax
	movq	%rsi, %rdi
	iretq

user_entry:				/* ring 3 */
	call	*%rax
	movq	%rax, %rdi
	xorl	%eax, %eax
	ud2

	.globl ud_entry
ud_entry:				/* vector 6: RIP, CS, RFLAGS, RSP, SS */
	testb	$3, 8(%rsp)
	jz	2f			/* from ring 0: a real #UD */
	testq	%rax, %rax
	jz	1f
	addq	$2, (%rsp)		/* kcall: resume after the ud2 */
	pushq	%rbp			/* 16-byte aligned call */
	call	*%rax
	popq	%rbp
	iretq
1:	movq	%rdi, %rax		/* return from user_call_asm */
	addq	$48, %rsp
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbp
	popq	%rbx
	ret
2:	pushq	$0
	pushq	$6
	jmp	exc_common

	.section .note.GNU-stack, "", @progbits

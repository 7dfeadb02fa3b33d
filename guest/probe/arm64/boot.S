/* SPDX-License-Identifier: MIT */
/*
 * boot.S - entry of the arm64 probe (arm64 booting.rst: EL1, MMU off, x0 =
 * DTB) and the exception vectors (ARM ARM D1.10.2: VBAR_EL1 + 0x280 is
 * "IRQ, current EL with SP_ELx").
 */
	.section .text.boot, "ax"
	.global _start
_start:
	mov	x19, x0			/* DTB */
	ldr	x1, =__stack_top
	mov	sp, x1
	ldr	x1, =vectors
	msr	vbar_el1, x1
	isb
	ldr	x1, =__bss_start
	ldr	x2, =__bss_end
1:	cmp	x1, x2
	b.hs	2f
	str	xzr, [x1], #8
	b	1b
2:	mov	x0, x19
	bl	probe_main
	b	.

/* PSCI CPU_ON entry of a secondary: x0 = context ID = its stack top. */
	.global secondary_entry
secondary_entry:
	mov	sp, x0
	ldr	x1, =vectors
	msr	vbar_el1, x1
	isb
	bl	secondary_main
	b	.

/* Save the caller-saved registers, call the C handler, return. */
.macro	ENTRY_SAVE
	sub	sp, sp, #192
	stp	x0, x1, [sp, #0]
	stp	x2, x3, [sp, #16]
	stp	x4, x5, [sp, #32]
	stp	x6, x7, [sp, #48]
	stp	x8, x9, [sp, #64]
	stp	x10, x11, [sp, #80]
	stp	x12, x13, [sp, #96]
	stp	x14, x15, [sp, #112]
	stp	x16, x17, [sp, #128]
	stp	x18, x29, [sp, #144]
	str	x30, [sp, #160]
.endm
.macro	ENTRY_RESTORE
	ldp	x0, x1, [sp, #0]
	ldp	x2, x3, [sp, #16]
	ldp	x4, x5, [sp, #32]
	ldp	x6, x7, [sp, #48]
	ldp	x8, x9, [sp, #64]
	ldp	x10, x11, [sp, #80]
	ldp	x12, x13, [sp, #96]
	ldp	x14, x15, [sp, #112]
	ldp	x16, x17, [sp, #128]
	ldp	x18, x29, [sp, #144]
	ldr	x30, [sp, #160]
	add	sp, sp, #192
.endm

.macro	VEC kind
	.balign	0x80
	ENTRY_SAVE
	mov	x0, #\kind
	b	vec_common
.endm

	.text
	.balign	0x800
vectors:
	VEC 0		/* current EL, SP_EL0: sync */
	VEC 1		/* irq  */
	VEC 2		/* fiq  */
	VEC 3		/* serror */
	VEC 4		/* current EL, SP_ELx: sync */
	.balign	0x80	/* 0x280: IRQ, the one we take */
	ENTRY_SAVE
	bl	irq_handler
	ENTRY_RESTORE
	eret
	VEC 6
	VEC 7
	VEC 8		/* lower EL: never used */
	VEC 9
	VEC 10
	VEC 11
	VEC 12
	VEC 13
	VEC 14
	VEC 15

vec_common:
	bl	fault_handler
	ENTRY_RESTORE
	eret

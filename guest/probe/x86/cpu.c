/* SPDX-License-Identifier: MIT */
/*
 * cpu.c - per-CPU GDT/TSS/IDT set-up, ring-3 calls (user_call) and ring-0
 * calls from ring 3 (kcall), and the exception reporter.
 */
#include "probe.h"

/* 64-bit TSS (SDM Vol. 3 Figure 8-11). */
struct tss {
	u32 rsvd0;
	u64 rsp0, rsp1, rsp2;
	u64 rsvd1;
	u64 ist[7];
	u64 rsvd2;
	u16 rsvd3;
	u16 iomap_base;		/* = sizeof: no I/O bitmap, ring-3 port I/O faults */
} __attribute__((packed));

/* 64-bit IDT gate (SDM Vol. 3 Figure 6-8). */
struct idt_gate {
	u16 off_lo, sel;
	u8 ist, type;		/* 0x8e interrupt gate DPL 0, 0xee DPL 3 */
	u16 off_mid;
	u32 off_hi, rsvd;
} __attribute__((packed));

struct cpu cpus[MAX_CPUS];
u8 kstacks[MAX_CPUS][1 << KSTACK_SHIFT] __attribute__((aligned(1 << KSTACK_SHIFT)));
static u8 ustacks[MAX_CPUS][USTACK_SIZE] __attribute__((aligned(USTACK_SIZE)));
static struct tss tss[MAX_CPUS] __attribute__((aligned(16)));
static struct idt_gate idt[256] __attribute__((aligned(16)));

extern u64 gdt[];
extern char exc_stubs[], irq_stubs[], spurious_stub[], ud_entry[], nmi_stub[];
u64 user_call_asm(u64 (*fn)(void *), void *arg, void *ustack_top, u64 *rsp0);

static void set_gate(unsigned vec, void *handler, u8 type)
{
	u64 a = (u64)handler;
	idt[vec] = (struct idt_gate){ .off_lo = a & 0xffff, .sel = SEL_KCODE, .type = type,
				      .off_mid = (a >> 16) & 0xffff, .off_hi = a >> 32 };
}

void idt_init(void)
{
	for (unsigned v = 0; v < 32; v++)
		set_gate(v, exc_stubs + 16 * v, 0x8e);
	for (unsigned v = VEC_FIRST_IRQ; v < 256; v++)
		set_gate(v, irq_stubs + 16 * (v - VEC_FIRST_IRQ), 0x8e);
	set_gate(VEC_SPURIOUS, spurious_stub, 0x8e);
	set_gate(6, ud_entry, 0x8e);	/* #UD: also ring 3's way into ring 0 */
	set_gate(2, nmi_stub, 0x8e);	/* NMI: counted, not fatal (scenario nmi) */
}

void cpu_init(unsigned i)
{
	struct { u16 limit; u64 base; } __attribute__((packed)) idtr = { sizeof(idt) - 1, (u64)idt };
	u64 base = (u64)&tss[i], limit = sizeof(struct tss) - 1;
	u16 sel = SEL_TSS(i);

	tss[i].iomap_base = sizeof(struct tss);
	/* 16-byte TSS descriptor, type 9 = available 64-bit TSS (SDM 8.2.3). */
	gdt[sel / 8] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ULL << 40) |
		       ((limit >> 16 & 0xf) << 48) | ((base >> 24 & 0xff) << 56);
	gdt[sel / 8 + 1] = base >> 32;
	__asm__ volatile("ltr %0" :: "r"(sel));
	__asm__ volatile("lidt %0" :: "m"(idtr));
	cpus[i].index = i;
	cpus[i].tss_rsp0 = (u64 *)((u8 *)&tss[i] + 4);	/* rsp0: x86 allows the unaligned u64 */
	cpus[i].ustack_top = ustacks[i] + USTACK_SIZE;
}

unsigned this_cpu(void)
{
	u64 sp;
	__asm__ volatile("mov %%rsp, %0" : "=r"(sp));
	if (cpl() == 3)
		return (sp - (u64)ustacks) / USTACK_SIZE;
	return (sp - (u64)kstacks) >> KSTACK_SHIFT;
}

u64 user_call(u64 (*fn)(void *), void *arg)
{
	struct cpu *c = &cpus[this_cpu()];
	u64 saved = *c->tss_rsp0, r;

	if (cpl() == 3)
		return fn(arg);
	r = user_call_asm(fn, arg, c->ustack_top, c->tss_rsp0);
	*c->tss_rsp0 = saved;
	return r;
}

u64 kcall(u64 (*fn)(u64, u64), u64 a, u64 b)
{
	register u64 rax __asm__("rax") = (u64)fn;
	register u64 rdi __asm__("rdi") = a;
	register u64 rsi __asm__("rsi") = b;

	if (cpl() == 0)
		return fn(a, b);
	__asm__ volatile("ud2"		/* isr.S ud_entry */
			 : "+r"(rax), "+r"(rdi), "+r"(rsi)
			 :
			 : "rcx", "rdx", "r8", "r9", "r10", "r11", "memory");
	return rax;
}

static u64 k_eoi(u64 a, u64 b) { apic_eoi(); return 0; }
static u64 k_hlt(u64 a, u64 b) { sti_hlt(); cli(); return 0; }
void u_eoi(void) { kcall(k_eoi, 0, 0); }
void u_hlt(void) { kcall(k_hlt, 0, 0); }

/* Frame pushed by exc_common (isr.S). */
struct exc_frame {
	u64 r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
	u64 vec, err, rip, cs, rflags, rsp, ss;
};

void exception_c(struct exc_frame *f);
void exception_c(struct exc_frame *f)
{
	u64 cr2;
	__asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
	printk("probe: exception %lu err %#lx at rip %#lx cs %#lx rsp %#lx cr2 %#lx cpu %u\n",
	       f->vec, f->err, f->rip, f->cs, f->rsp, cr2, this_cpu());
	printk("PROBE {\"result\":\"fail\",\"error\":\"exception %lu at %#lx\"}\n", f->vec, f->rip);
	outb(0xf4, 1);
	for (;;)
		__asm__ volatile("cli; hlt");
}

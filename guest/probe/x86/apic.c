/* SPDX-License-Identifier: MIT */
/*
 * apic.c - the local APIC in xAPIC mode (MMIO at 0xfee00000) or x2APIC mode
 * (MSR 0x800 + reg/16), SDM Vol. 3 chapter 10 (11 in newer editions).
 * Ring 0 only (MSRs; the xAPIC page is mapped but kept to ring 0 too).
 */
#include "probe.h"

#define MSR_APIC_BASE	0x1b
#define APIC_BASE_EN	(1ull << 11)
#define APIC_BASE_EXTD	(1ull << 10)	/* x2APIC mode */
#define MSR_X2APIC(reg)	(0x800 + ((reg) >> 4))
#define ICR_BUSY	(1u << 12)

u8 apic_x2;

bool apic_x2_supported(void)
{
	u32 r[4];
	cpuid(1, 0, r);
	return r[2] & (1u << 21);	/* CPUID.01H:ECX.x2APIC */
}

u32 apic_read(u32 reg)
{
	if (apic_x2)
		return (u32)rdmsr(MSR_X2APIC(reg));
	return mmio_read32(LAPIC_BASE + reg);
}

void apic_write(u32 reg, u32 v)
{
	if (apic_x2)
		wrmsr(MSR_X2APIC(reg), v);
	else
		mmio_write32(LAPIC_BASE + reg, v);
}

u32 apic_id(void)
{
	u32 id = apic_read(APIC_ID);
	return apic_x2 ? id : id >> 24;	/* xAPIC: ID in bits 31:24 */
}

void apic_eoi(void)
{
	apic_write(APIC_EOI, 0);
}

void apic_init_cpu(bool x2)
{
	u64 base = rdmsr(MSR_APIC_BASE);

	/* xAPIC -> x2APIC is allowed directly from the enabled state (SDM 10.12.5). */
	if (x2)
		wrmsr(MSR_APIC_BASE, base | APIC_BASE_EN | APIC_BASE_EXTD);
	else if (!(base & APIC_BASE_EN))
		wrmsr(MSR_APIC_BASE, base | APIC_BASE_EN);
	apic_write(APIC_TPR, 0);
	apic_write(APIC_SVR, 0x100 | VEC_SPURIOUS);	/* software enable */
	apic_write(APIC_LVT_TIMER, 1u << 16);		/* masked */
	apic_write(APIC_LVT_LINT0, 1u << 16);		/* no 8259 ExtINT */
	apic_write(APIC_LVT_ERR, 1u << 16);
}

void apic_icr(u32 dest, u32 lo)
{
	if (apic_x2) {
		wrmsr(MSR_X2APIC(APIC_ICR_LO), ((u64)dest << 32) | lo);
		return;
	}
	apic_write(APIC_ICR_HI, dest << 24);
	apic_write(APIC_ICR_LO, lo);
	while (apic_read(APIC_ICR_LO) & ICR_BUSY)
		cpu_relax();
}

/* IRR/ISR: eight 32-bit registers 0x10 apart (SDM 10.8.4). */
bool apic_irr_test(unsigned vec)
{
	return apic_read(APIC_IRR + (vec / 32) * 0x10) & (1u << (vec % 32));
}

bool apic_isr_test(unsigned vec)
{
	return apic_read(APIC_ISR + (vec / 32) * 0x10) & (1u << (vec % 32));
}

void apic_self_ipi(unsigned vec)
{
	apic_icr(0, (1u << 18) | vec);	/* shorthand "self", fixed, edge */
}

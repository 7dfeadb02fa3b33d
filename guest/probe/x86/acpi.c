/* SPDX-License-Identifier: MIT */
/*
 * acpi.c - finds the RSDP (ACPI 6.x 5.2.5.1: EBDA first KiB, or 0xE0000 to
 * 0xFFFFF on 16-byte boundaries), walks the XSDT/RSDT to the MADT (CPUs,
 * IOAPICs, interrupt source overrides) and the FADT (PM1a control block and
 * the DSDT's \_S5 sleep type for power-off). Runs in ring 3.
 */
#include "probe.h"

struct sdt {
	char sig[4];
	u32 len;
	u8 rev, csum;
	char oem[6], oemtab[8];
	u32 oemrev, creator, creatorrev;
} __attribute__((packed));

static bool csum_ok(const void *p, u32 n)
{
	const u8 *b = p;
	u8 s = 0;
	while (n--)
		s += *b++;
	return s == 0;
}

static const u8 *find_rsdp(void)
{
	u64 ebda = (u64)*(volatile u16 *)phys(0x40e) << 4;
	u64 ranges[2][2] = { { ebda, ebda + 1024 }, { 0xe0000, 0x100000 } };

	for (int r = 0; r < 2; r++) {
		if (ranges[r][0] < 0x400 || ranges[r][0] >= 0x100000)
			continue;
		for (u64 a = ranges[r][0]; a < ranges[r][1]; a += 16)
			if (!memcmp((void *)a, "RSD PTR ", 8) && csum_ok((void *)a, 20))
				return (const u8 *)a;
	}
	return NULL;
}

static void parse_madt(struct firmware *fw, const struct sdt *t)
{
	const u8 *p = (const u8 *)t + 44, *end = (const u8 *)t + t->len;

	for (; p + 2 <= end && p[1] >= 2; p += p[1]) {
		switch (p[0]) {
		case 0:		/* Processor Local APIC: flags bit 0 enabled */
		case 9: {	/* Processor Local x2APIC */
			u32 id = p[0] == 0 ? p[3] : *(const u32 *)(p + 4);
			u32 flags = p[0] == 0 ? *(const u32 *)(p + 4) : *(const u32 *)(p + 8);
			if (!(flags & 1))
				break;
			if (fw->ncpus < MAX_CPUS)
				fw->apic_ids[fw->ncpus++] = id;
			else
				fw->cpus_beyond_max++;
			break;
		}
		case 1:		/* I/O APIC */
			if (fw->nioapic < MAX_IOAPICS)
				fw->ioapic[fw->nioapic++] = (struct ioapic_info){
					p[2], *(const u32 *)(p + 4), *(const u32 *)(p + 8) };
			break;
		case 2:		/* Interrupt Source Override (ISA irq -> GSI) */
			if (p[3] < 16) {
				fw->iso_gsi[p[3]] = *(const u32 *)(p + 4);
				fw->iso_flags[p[3]] = *(const u16 *)(p + 8);
			}
			break;
		}
	}
}

/* \_S5_ package's first element (ACPI 7.4.2.4): NameOp "_S5_" PackageOp
 * PkgLength NumElements, then BytePrefix value, ZeroOp or OneOp. */
static void parse_s5(struct firmware *fw, const struct sdt *dsdt)
{
	const u8 *p = (const u8 *)dsdt + 36, *end = (const u8 *)dsdt + dsdt->len;

	for (; p + 10 < end; p++) {
		if (memcmp(p, "_S5_", 4) || p[4] != 0x12)
			continue;
		p += 5;
		p += 1 + (*p >> 6);	/* PkgLength: bits 7:6 = extra bytes */
		p++;			/* NumElements */
		if (*p == 0x0a)
			p++;
		fw->slp_typ_s5 = *p & 7;
		fw->have_s5 = true;
		return;
	}
}

static void parse_fadt(struct firmware *fw, const struct sdt *t)
{
	const u8 *b = (const u8 *)t;
	u64 dsdt = *(const u32 *)(b + 40);

	fw->pm1a_cnt = (u16)*(const u32 *)(b + 64);
	fw->pm1a_evt = (u16)*(const u32 *)(b + 56);
	fw->sci_int = *(const u16 *)(b + 46);
	/* PM_TMR_BLK (offset 76), PM_TMR_LEN (91) 4, Flags (112) bit 8 TMR_VAL_EXT. */
	if (b[91] == 4)
		fw->pm_tmr = (u16)*(const u32 *)(b + 76);
	fw->pm_tmr_32 = t->len >= 116 && (*(const u32 *)(b + 112) & (1u << 8));
	if (t->len >= 148 && *(const u64 *)(b + 140))
		dsdt = *(const u64 *)(b + 140);
	if (dsdt && dsdt < 0x100000000ULL && !memcmp((void *)dsdt, "DSDT", 4))
		parse_s5(fw, (const struct sdt *)dsdt);
}

bool acpi_scan(struct firmware *fw)
{
	const u8 *rsdp = find_rsdp();
	const struct sdt *root;
	bool xsdt, found = false;
	u32 n;

	if (!rsdp)
		return false;
	xsdt = rsdp[15] >= 2 && *(const u64 *)(rsdp + 24);
	root = (const struct sdt *)(xsdt ? *(const u64 *)(rsdp + 24) : *(const u32 *)(rsdp + 16));
	if ((u64)root >= 0x100000000ULL || memcmp(root->sig, xsdt ? "XSDT" : "RSDT", 4))
		return false;
	n = (root->len - 36) / (xsdt ? 8 : 4);
	for (u32 i = 0; i < n; i++) {
		const u8 *e = (const u8 *)root + 36 + i * (xsdt ? 8 : 4);
		u64 a = xsdt ? *(const u64 *)e : *(const u32 *)e;
		const struct sdt *t = (const struct sdt *)a;
		if (!a || a >= 0x100000000ULL)
			continue;
		if (!memcmp(t->sig, "APIC", 4) && csum_ok(t, t->len)) {
			parse_madt(fw, t);
			found = true;
		} else if (!memcmp(t->sig, "FACP", 4)) {
			parse_fadt(fw, t);
		}
	}
	return found;
}

/* SPDX-License-Identifier: MIT */
/*
 * mptable.c - Intel MultiProcessor Specification 1.4: the floating pointer
 * "_MP_" (EBDA first KiB, last KiB of base memory, 0xF0000-0xFFFFF), and the
 * "PCMP" configuration table's processor, bus, I/O APIC and I/O interrupt
 * entries (chapter 4). Runs in ring 3.
 */
#include "probe.h"

static const u8 *scan(u64 a, u64 len)
{
	for (u64 p = a; p + 16 <= a + len; p += 16) {
		const u8 *b = (const u8 *)p;
		u8 s = 0;
		if (memcmp(b, "_MP_", 4))
			continue;
		for (int i = 0; i < 16; i++)
			s += b[i];
		if (!s)
			return b;
	}
	return NULL;
}

bool mptable_scan(struct firmware *fw)
{
	u64 ebda = (u64)*(volatile u16 *)phys(0x40e) << 4;
	u64 basemem = (u64)*(volatile u16 *)phys(0x413) * 1024;
	const u8 *mpf = NULL, *t, *p;
	u8 pci_bus[32] = { 0 };		/* bus id -> is PCI */
	bool fill_cpus = fw->ncpus == 0;
	u16 count;

	if (ebda >= 0x400 && ebda < 0xa0000)
		mpf = scan(ebda, 1024);
	if (!mpf && basemem >= 1024 && basemem <= 0xa0000)
		mpf = scan(basemem - 1024, 1024);
	if (!mpf)
		mpf = scan(0x9fc00, 1024);
	if (!mpf)
		mpf = scan(0xf0000, 0x10000);
	if (!mpf || !*(const u32 *)(mpf + 4))
		return false;
	t = (const u8 *)(u64)*(const u32 *)(mpf + 4);
	if (memcmp(t, "PCMP", 4))
		return false;
	fw->have_mptable = true;
	count = *(const u16 *)(t + 34);
	p = t + 44;
	for (u16 i = 0; i < count; i++) {
		switch (p[0]) {
		case 0:		/* processor: flags bit 0 = enabled */
			if (fill_cpus && (p[3] & 1)) {
				if (fw->ncpus < MAX_CPUS)
					fw->apic_ids[fw->ncpus++] = p[1];
				else
					fw->cpus_beyond_max++;
			}
			p += 20;
			continue;
		case 1:		/* bus: type string "PCI   " */
			if (p[1] < 32 && !memcmp(p + 2, "PCI", 3))
				pci_bus[p[1]] = 1;
			break;
		case 2:		/* I/O APIC */
			if (fill_cpus && fw->nioapic < MAX_IOAPICS && (p[3] & 1))
				fw->ioapic[fw->nioapic++] = (struct ioapic_info){
					p[1], *(const u32 *)(p + 4), 0 };
			break;
		case 3:		/* I/O interrupt assignment */
			if (fw->nirqs < MAX_MP_IRQS)
				fw->irqs[fw->nirqs++] = (struct mp_irq){
					.bus = p[4], .srcirq = p[5], .dst_ioapic = p[6],
					.dst_pin = p[7], .pci = p[4] < 32 && pci_bus[p[4]] };
			break;
		case 4:
			break;
		default:
			return true;	/* unknown entry: stop, keep what we have */
		}
		p += 8;
	}
	return true;
}

/* PCI source irq encoding (MP spec D.3): bits 6:2 device, 1:0 INTA#..INTD#. */
int mptable_pci_irq(const struct firmware *fw, u8 bus, u8 dev, u8 pin)
{
	for (u32 i = 0; i < fw->nirqs; i++) {
		const struct mp_irq *e = &fw->irqs[i];
		if (e->pci && e->bus == bus && e->srcirq == ((dev << 2) | ((pin - 1) & 3)))
			return e->dst_pin;
	}
	return -1;
}

static u64 scan_all(void *arg)
{
	struct firmware *fw = arg;
	if (acpi_scan(fw))
		fw->cpu_source = "madt";
	mptable_scan(fw);
	if (!fw->cpu_source && fw->ncpus)
		fw->cpu_source = "mptable";
	if (!fw->cpu_source)
		fw->cpu_source = "none";
	return 0;
}

void firmware_scan(struct firmware *fw)
{
	memset(fw, 0, sizeof(*fw));
	user_call(scan_all, fw);
}

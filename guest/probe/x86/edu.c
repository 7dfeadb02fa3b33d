/* SPDX-License-Identifier: MIT */
/*
 * edu.c - QEMU's edu device (hw/misc/edu.c, docs/specs/edu.txt) and nexit's
 * irqdev, which shares its register layout: BAR0 MMIO, 32-bit accesses.
 * Also the waiting helpers the interrupt scenarios share.
 */
#include "probe.h"

int edu_find(struct pci_dev *out, int max)
{
	int n = pci_find(NX_IRQDEV_VENDOR, NX_IRQDEV_DEVICE, out, max);

	for (int i = 0; i < n; i++) {
		pci_intx_enable(&out[i], true);		/* memory space + bus master */
		pci_msi_disable(&out[i]);
	}
	return n;
}

int edu_intx_gsi(struct platform *p, const struct pci_dev *d, const char **how)
{
	int gsi = (int)cmdline_u64(&p->cmd, "intx_gsi", ~0ull);

	*how = "cmdline";
	if (gsi >= 0)
		return gsi;
	*how = "mptable";
	gsi = mptable_pci_irq(&p->fw, d->bus, d->dev, d->irq_pin);
	if (gsi >= 0)
		return gsi;
	*how = "interrupt_line";
	if (d->irq_line && d->irq_line != 0xff) {
		/* The line register holds an ISA IRQ; MADT overrides map it to a GSI. */
		if (d->irq_line < 16 && p->fw.iso_gsi[d->irq_line])
			return p->fw.iso_gsi[d->irq_line];
		return d->irq_line;
	}
	*how = "none";
	return -1;
}

u32 ioapic_base_for(struct platform *p, unsigned gsi, unsigned *pin)
{
	for (u32 i = 0; i < p->fw.nioapic; i++) {
		const struct ioapic_info *io = &p->fw.ioapic[i];
		if (gsi >= io->gsi_base && gsi < io->gsi_base + 24) {
			*pin = gsi - io->gsi_base;
			return io->addr;
		}
	}
	*pin = gsi;
	return 0xfec00000u;
}

struct wait_cnt { unsigned vec; u64 target, deadline, got; };

static u64 wait_cnt_fn(void *a)
{
	struct wait_cnt *w = a;
	u64 c;
	while ((c = READ_ONCE(irq_rec[w->vec].count)) < w->target && rdtsc() < w->deadline)
		cpu_relax();
	return c;
}

u64 wait_count(struct platform *p, unsigned vec, u64 target, u64 timeout_ms)
{
	struct wait_cnt w = { vec, target, rdtsc() + tsc_ms_cycles(&p->tsc, timeout_ms), 0 };
	return user_call(wait_cnt_fn, &w);
}

static u64 sleep_fn(void *a)
{
	u64 end = *(u64 *)a;
	while (rdtsc() < end)
		cpu_relax();
	return 0;
}

void user_sleep(struct platform *p, u64 ms)
{
	u64 end = rdtsc() + tsc_ms_cycles(&p->tsc, ms);
	user_call(sleep_fn, &end);
}

bool intx_setup(struct platform *p, const struct pci_dev *d, unsigned vec, u32 dest,
		bool masked, struct intx *x)
{
	x->gsi = edu_intx_gsi(p, d, &x->how);
	x->vec = vec;
	x->dest = dest;
	if (x->gsi < 0)
		return false;
	x->ioapic = ioapic_base_for(p, x->gsi, &x->pin);
	/* Level-triggered, active high (polarity bit 13 clear), fixed, physical. */
	ioapic_set_rte(x->ioapic, x->pin, RTE_LEVEL | vec | (masked ? RTE_MASKED : 0), dest);
	return true;
}

void intx_mask(const struct intx *x, bool masked)
{
	ioapic_set_rte(x->ioapic, x->pin, RTE_LEVEL | x->vec | (masked ? RTE_MASKED : 0), x->dest);
}

void json_intx(struct json *j, const struct intx *x)
{
	json_s64(j, "gsi", x->gsi);
	json_str(j, "gsi_from", x->how);
	json_u64(j, "vector", x->vec);
}

void json_dev(struct json *j, const char *key, const struct pci_dev *d)
{
	char s[16];
	snprintf(s, sizeof(s), "%02x:%02x.%u", d->bus, d->dev, d->fn);
	json_str(j, key, s);
}

int edu_need(struct platform *p, const char *scenario, struct pci_dev *d, int max, int min)
{
	int n = edu_find(d, max);
	struct json j;

	if (n >= min)
		return n;
	json_begin(&j, scenario);
	json_u64(&j, "devices", n);
	json_str(&j, "error", min > 1 ? "needs two PCI 1234:11e8 (edu/irqdev) devices"
				      : "no PCI 1234:11e8 (edu/irqdev) device");
	probe_result(&j, false);
	probe_exit(p, false);
}

/* SPDX-License-Identifier: MIT */
/*
 * lat_arch.c - the x86 hooks of common/scenarios/latency.c: the edu's MSI
 * to a vector (SDM 11.11: fixed, edge, physical destination) or its INTx
 * through the IOAPIC (level, active high; the ISR, irq_fast, writes the
 * device's acknowledge before its EOI); the loop runs in ring 3.
 * Keys: dev=K (msi: which edu found, in bus order), cpu=K (msi: the CPU
 * whose APIC id it targets).
 */
#include "probe.h"

#define VEC_MSI		0x41
#define VEC_INTX	0x42

const struct cmdline *platform_cmdline(struct platform *p)
{
	return &p->cmd;
}

bool lat_arch_setup(struct platform *p, const char *scenario, enum lat_line line,
		    struct pci_dev *dev, struct lat_run *r, struct json *j)
{
	struct pci_dev d[4];
	unsigned di = line == LAT_MSI ? cmdline_u64(&p->cmd, "dev", 0) : 0;
	unsigned cpu = cmdline_u64(&p->cmd, "cpu", 0);
	struct intx x;

	edu_need(p, scenario, d, 4, di + 1);
	*dev = d[di];
	r->d = dev;
	if (line == LAT_MSI) {
		if (cpu >= p->ncpus)
			cpu = 0;
		if (!dev->msi_cap)
			panic("device has no MSI capability");
		r->vec = VEC_MSI;
		r->ack_in_loop = true;
		irq_setup(VEC_MSI, 0, 0, 0);
		pci_msi_enable(dev, cpus[cpu].apic_id, VEC_MSI);
		json_dev(j, "device", dev);
		json_str(j, "trigger", r->fact ? "fact" : "raise");
		json_u64(j, "vector", VEC_MSI);
		json_u64(j, "dest_apic", cpus[cpu].apic_id);
	} else {
		r->vec = VEC_INTX;
		irq_setup(VEC_INTX, 0, dev->bar0 + NX_IRQDEV_REG_ACK, 1);
		if (!intx_setup(p, dev, VEC_INTX, cpus[0].apic_id, false, &x))
			panic("no INTx routing for the device (give intx_gsi=)");
		json_dev(j, "device", dev);
		json_intx(j, &x);
	}
	json_u64(j, "tsc_khz", p->tsc.khz);
	return true;
}

void lat_arch_measure(struct platform *p, enum lat_line line, struct lat_run *r)
{
	struct intx x;

	lat_measure(p, r);
	if (line == LAT_MSI)
		pci_msi_disable(r->d);
	else
		intx_setup(p, r->d, VEC_INTX, cpus[0].apic_id, true, &x);	/* masked */
}

bool lat_arch_result(struct platform *p, struct lat_run *r, struct json *j)
{
	json_lat_run(j, p, r, "");
	return true;
}

/* SPDX-License-Identifier: MIT */
/*
 * nmi - NMIs delivered the two ways a device's interrupt can carry them
 * (delivery mode 100b, SDM 10.5.1 / 11.11.2):
 *   msi:    the irqdev's MSI message data asks for NMI: nexit's exitless
 *           route (KVM irqfd) must keep the guest's delivery mode;
 *   ioapic: the irqdev's INTx pin has an IOAPIC redirection entry in NMI
 *           mode: the IOAPIC (nexit's under split, KVM's under kernel)
 *           sends an NMI per assertion; NMIs have no EOI, so the pin must
 *           not wait for one (82093AA: NMI is edge-triggered).
 * n raises each (default 20), one at a time: every one must arrive as
 * vector 2 and nothing else may. The NMI handler acknowledges the device.
 */
#include "../probe.h"

#define MSI_DM_NMI	(4u << 8)
#define RTE_DM_NMI	(4u << 8)

static u64 raise_n(struct platform *p, const struct pci_dev *d, u64 n, u64 to)
{
	u64 base = READ_ONCE(irq_rec[2].count), got = 0;

	for (u64 i = 0; i < n; i++) {
		edu_raise(d, 1);
		if (wait_count(p, 2, base + i + 1, to) < base + i + 1)
			break;
		got++;
	}
	return got;
}

static bool nmi(struct platform *p)
{
	struct pci_dev d[4];
	struct intx x;
	struct json j;
	u64 n = cmdline_u64(&p->cmd, "n", 20), to = cmdline_u64(&p->cmd, "timeout_ms", 1000);
	u64 by_msi, by_ioapic, total;
	u32 log_start = irq_log_idx, others = 0;

	edu_need(p, "nmi", d, 4, 1);
	irq_setup(2, IRQ_NO_EOI, d[0].bar0 + NX_IRQDEV_REG_ACK, 1);

	pci_intx_enable(&d[0], false);
	pci_msi_enable_data(&d[0], cpus[0].apic_id, MSI_DM_NMI);
	by_msi = raise_n(p, &d[0], n, to);
	pci_msi_disable(&d[0]);

	pci_intx_enable(&d[0], true);
	if (!intx_setup(p, &d[0], 0, cpus[0].apic_id, true, &x))
		panic("no INTx routing for the device (give intx_gsi=)");
	ioapic_set_rte(x.ioapic, x.pin, RTE_DM_NMI, cpus[0].apic_id);	/* edge, unmasked */
	by_ioapic = raise_n(p, &d[0], n, to);
	ioapic_set_rte(x.ioapic, x.pin, RTE_MASKED, cpus[0].apic_id);

	total = READ_ONCE(irq_rec[2].count);
	for (u32 i = log_start; i != READ_ONCE(irq_log_idx); i++)
		others += irq_log[i % IRQ_LOG_SIZE] != 2;

	json_begin(&j, "nmi");
	json_dev(&j, "device", &d[0]);
	json_s64(&j, "gsi", x.gsi);
	json_u64(&j, "n", n);
	json_u64(&j, "by_msi", by_msi);
	json_u64(&j, "by_ioapic", by_ioapic);
	json_u64(&j, "nmis", total);
	json_u64(&j, "other_vectors", others);
	return probe_result(&j, by_msi == n && by_ioapic == n && total == 2 * n && !others);
}
SCENARIO("nmi", nmi);

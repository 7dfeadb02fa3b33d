/* SPDX-License-Identifier: MIT */
/*
 * edu.c - QEMU's edu device (or nexit's irqdev, the same registers:
 * NX_IRQDEV_REG_*) on the arm64 probe: finding and checking it, its MSI
 * through the ITS and its INTx on an SPI; and the waits the scenarios share.
 */
#include "probe.h"

void json_begin_a64(struct json *j, const char *scenario)
{
	json_begin(j, scenario);
	json_str(j, NX_PROBE_KEY_ARCH, "arm64");
}

static bool fail(const char *scenario, const char *why)
{
	struct json j;

	json_begin_a64(&j, scenario);
	json_str(&j, NX_PROBE_KEY_ERROR, why);
	return probe_result(&j, false);
}

void edu_raise(struct platform *p)
{
	wr32(p->edu.bar0 + NX_IRQDEV_REG_RAISE, 1);
}

void edu_ack(struct platform *p)
{
	wr32(p->edu.bar0 + NX_IRQDEV_REG_ACK, rd32(p->edu.bar0 + NX_IRQDEV_REG_IRQ_STATUS));
}

bool wait_total(u64 want, u64 timeout_ticks)
{
	u64 t0 = now_ticks();

	while (irqs.total < want)
		if (now_ticks() - t0 > timeout_ticks)
			return false;
	return true;
}

void spin_ms(struct platform *p, u64 ms)
{
	for (u64 t0 = now_ticks(), h = ms * p->hz / 1000; now_ticks() - t0 < h;)
		;
}

bool edu_setup(struct platform *p, const char *scenario)
{
	struct pci_dev *d = &p->edu;

	if (pci_find(NX_IRQDEV_VENDOR, NX_IRQDEV_DEVICE, d, 1) < 1)
		return fail(scenario, "no edu device (1234:11e8) on ECAM bus 0");
	/* Memory space + bus master (the device's MSI is a DMA write), INTx
	 * Disable cleared: the driver is ready for INTx (as Linux's
	 * pci_enable_device does). */
	pci_intx_enable(d, true);
	if ((rd32(d->bar0 + NX_IRQDEV_REG_ID) & 0xffff) != 0x00ed)
		return fail(scenario, "edu BAR0 does not read the edu ID");
	wr32(d->bar0 + NX_IRQDEV_REG_LIVE, 0x12345678);
	if (rd32(d->bar0 + NX_IRQDEV_REG_LIVE) != ~0x12345678u)
		return fail(scenario, "edu liveness check failed");
	return true;
}

bool msi_setup(struct platform *p, const char *scenario, u8 prio)
{
	if (!edu_setup(p, scenario))
		return false;
	if (!p->edu.msi_cap)
		return fail(scenario, "edu has no MSI capability");
	if (its_init() < 0)
		return fail(scenario, "ITS command queue stalled (MAPC)");
	/* Translation first (MAPD/MAPTI), then the device's MSI: the host can
	 * only forward an LPI the guest's ITS already translates. The ITS's
	 * device ID is the requester ID. */
	if (its_map(pci_rid(&p->edu), 0, LPI_BASE, prio) < 0)
		return fail(scenario, "ITS command queue stalled (MAPD/MAPTI)");
	pci_msi_program(&p->edu, GITS_TRANSLATER, 0);
	return true;
}

bool intx_setup(struct platform *p, const char *scenario, u32 *intid)
{
	if (!edu_setup(p, scenario))
		return false;
	if (!p->edu.irq_pin)
		return fail(scenario, "edu has no INTx pin");
	/* nexit writes the SPI's INTID into the interrupt line register. */
	*intid = pci_read8(&p->edu, PCI_INT_LINE);
	if (*intid < 32 || *intid >= 1020)
		return fail(scenario, "no INTx SPI in the interrupt line register");
	gic_spi_enable(*intid, 0xa0, true);
	return true;
}

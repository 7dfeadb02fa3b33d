/* SPDX-License-Identifier: MIT */
/*
 * pci.c - the arm64 PCI host bridge for core/pci.c, as the device tree
 * describes it (core/arm64/fdt.c, pci-host-ecam-generic): ECAM at
 * NX_A64_PCI_ECAM, one 32-bit memory window (ranges), no I/O space, INTx
 * pin p of slot s on SPI NX_A64_PCI_INTX_SPI + (s + p) % 4 (interrupt-map;
 * GSI n routes to SPI n), MSIs to the ITS with the requester ID as device
 * ID (msi-map). The bridge has QEMU's generic PCIe host id (1b36:0008).
 */
#include "core/arm64/arm64.h"

/* pin 0 = INTA#; the DT's interrupt-map says the same with pins 1..4. */
unsigned nx_a64_pci_intx_spi(unsigned slot, unsigned pin)
{
	return NX_A64_PCI_INTX_SPI + (slot + pin) % 4;
}

const struct nx_pci_arch nx_a64_pci_arch = {
	.bridge_vendor = 0x1b36, .bridge_device = 0x0008,
	.ecam = NX_A64_PCI_ECAM,
	.mmio_base = NX_A64_PCI_MMIO, .mmio_size = NX_A64_PCI_MMIO_SIZE,
	.decode_base = NX_A64_PCI_MMIO, .decode_end = NX_A64_PCI_MMIO + NX_A64_PCI_MMIO_SIZE,
	.intx_gsi = nx_a64_pci_intx_spi,
	.intx_line_base = NX_A64_SPI_BASE,
	/* spi_gate.c: the SPI's enable bit is KVM's, not observable. */
	.intx_off_until_driver = true,
};

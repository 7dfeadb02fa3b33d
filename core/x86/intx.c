/* SPDX-License-Identifier: MIT */
/*
 * intx.c - how PCI INTx lines reach the IOAPIC. One rule for the MP table,
 * the PCI bus (Interrupt Line register) and the fallback controller:
 *
 *   GSI = 16 + ((slot + pin) % 8)      slot 1..31, pin 0 = INTA# .. 3 = INTD#
 *
 * i.e. IOAPIC pins 16-23 (above the 16 ISA IRQs), rotated per slot like the
 * PCI-to-PCI bridge swizzle (PCI-to-PCI Bridge spec 9.1) so that the INTA#
 * of neighbouring slots land on different pins.
 */
#include "core/vm.h"
#include "core/pci.h"

unsigned nx_pci_intx_gsi(unsigned slot, unsigned pin)
{
	return 16 + ((slot + pin) % 8);
}

/* SPDX-License-Identifier: MIT */
/*
 * dsdt.c - the DSDT's definition block (AML, written with aml.c):
 *
 *   Name (\_S5, Package (4) { 5, 5, 0, 0 })          S5 sleep type values
 *   Scope (\_SB) {
 *     Device (PCI0) {                                  the PCI host bridge
 *       _HID PNP0A08 (PCI Express root), _CID PNP0A03 (PCI), _ADR/_UID/_SEG/_BBN 0
 *       _CRS  bus 0 only (what the MCFG's ECAM covers), config ports 0xcf8-0xcff,
 *             I/O windows 0x0000-0x0cf7 and 0x0d00-0xffff, the 32-bit MMIO window
 *             [NX_PCI_MMIO_BASE, NX_PCI_ECAM) and the 64-bit window above RAM
 *       _PRT  slot 1..31 INTA#..INTD# -> GSI nx_pci_intx_gsi() (no link devices:
 *             hard-wired IOAPIC inputs, level, active low; ACPI 6.4 6.2.13)
 *       _OSC  PCI host bridge UUID, revision 1: grants every control the OS
 *             asks for (nexit's firmware handles no hotplug, AER or PME)
 *     }
 *   }
 *
 * Linux binds its ACPI PCI root driver to PNP0A08/PNP0A03, takes the bus
 * range and windows from _CRS and routes INTx through _PRT; MSI needs no
 * more than this and the MADT.
 */
#include "core/x86/acpi.h"
#include "core/x86/aml.h"
#include "core/vm.h"
#include "core/pci.h"
#include "core/x86/x86.h"

#define PCI_HOST_BRIDGE_OSC_UUID	"33db4d5b-1ff7-401c-9657-7441c03dd766"
#define OSC_UNRECOGNIZED_UUID		0x04	/* _OSC CDW1 bit 2 */
#define OSC_UNRECOGNIZED_REVISION	0x08	/* _OSC CDW1 bit 3 */
#define PCI_CFG_PORT			0xcf8	/* 0xcf8-0xcff, mechanism #1 */

static void pci0_crs(struct nx_aml *a, const struct nx_mem *m)
{
	uint8_t buf[256];
	struct nx_aml rt;
	uint64_t base64, size64;

	nx_pci_mmio64_window(m, &base64, &size64);
	nx_aml_init(&rt, buf, sizeof(buf));
	nx_aml_rt_window(&rt, 16, NX_AML_SPACE_BUS, false, 0, 0);
	nx_aml_rt_io(&rt, PCI_CFG_PORT, 8);
	nx_aml_rt_window(&rt, 16, NX_AML_SPACE_IO, false, 0, PCI_CFG_PORT - 1);
	nx_aml_rt_window(&rt, 16, NX_AML_SPACE_IO, false, PCI_CFG_PORT + 8, 0xffff);
	nx_aml_rt_window(&rt, 32, NX_AML_SPACE_MEM, false, NX_PCI_MMIO_BASE, NX_PCI_ECAM - 1);
	nx_aml_rt_window(&rt, 64, NX_AML_SPACE_MEM, true, base64, base64 + size64 - 1);
	nx_aml_name(a, "_CRS");
	nx_aml_resource_template(a, &rt);
}

/* Package { 0xSSSSFFFF (any function of slot S), pin, 0 (no link), GSI } */
static void pci0_prt(struct nx_aml *a)
{
	nx_aml_name(a, "_PRT");
	nx_aml_package(a, (NX_PCI_SLOTS - 1) * 4);
	for (unsigned slot = 1; slot < NX_PCI_SLOTS; slot++)
		for (unsigned pin = 0; pin < 4; pin++) {
			nx_aml_package(a, 4);
			nx_aml_int(a, (uint64_t)slot << 16 | 0xffff);
			nx_aml_int(a, pin);
			nx_aml_int(a, 0);
			nx_aml_int(a, nx_pci_intx_gsi(slot, pin));
			nx_aml_end(a);
		}
	nx_aml_end(a);
}

/* Or (CDW1, bit, CDW1) */
static void osc_set_cdw1(struct nx_aml *a, unsigned bit)
{
	nx_aml_byte(a, AML_OR);
	nx_aml_namestring(a, "CDW1");
	nx_aml_int(a, bit);
	nx_aml_namestring(a, "CDW1");
}

/*
 * Method (_OSC, 4) {                     PCI Firmware spec 3.3, 4.5
 *   CreateDWordField (Arg3, 0, CDW1)
 *   If (LEqual (Arg0, ToUUID (host bridge))) {
 *     If (LNotEqual (Arg1, One)) { Or (CDW1, 0x08, CDW1) }
 *   } Else { Or (CDW1, 0x04, CDW1) }
 *   Return (Arg3)                        control dword (CDW3) unchanged
 * }
 */
static void pci0_osc(struct nx_aml *a)
{
	nx_aml_method(a, "_OSC", 4, false);
	nx_aml_byte(a, AML_CREATE_DWORD_FIELD);
	nx_aml_byte(a, AML_ARG(3));
	nx_aml_int(a, 0);
	nx_aml_namestring(a, "CDW1");

	nx_aml_if(a);
	nx_aml_byte(a, AML_LEQUAL);
	nx_aml_byte(a, AML_ARG(0));
	nx_aml_uuid(a, PCI_HOST_BRIDGE_OSC_UUID);
	nx_aml_if(a);
	nx_aml_byte(a, AML_LNOT);
	nx_aml_byte(a, AML_LEQUAL);
	nx_aml_byte(a, AML_ARG(1));
	nx_aml_int(a, 1);
	osc_set_cdw1(a, OSC_UNRECOGNIZED_REVISION);
	nx_aml_end(a);
	nx_aml_end(a);
	nx_aml_else(a);
	osc_set_cdw1(a, OSC_UNRECOGNIZED_UUID);
	nx_aml_end(a);

	nx_aml_byte(a, AML_RETURN);
	nx_aml_byte(a, AML_ARG(3));
	nx_aml_end(a);
}

int nx_dsdt_aml(const struct nx_mem *m, uint8_t *buf, size_t cap, size_t *len)
{
	struct nx_aml a;

	nx_aml_init(&a, buf, cap);
	/* SLP_TYPa/SLP_TYPb for S5, then two reserved entries (7.4.2). */
	nx_aml_name(&a, "_S5");
	nx_aml_package(&a, 4);
	nx_aml_int(&a, NX_ACPI_SLP_TYP_S5);
	nx_aml_int(&a, NX_ACPI_SLP_TYP_S5);
	nx_aml_int(&a, 0);
	nx_aml_int(&a, 0);
	nx_aml_end(&a);

	nx_aml_scope(&a, "\\_SB");
	nx_aml_device(&a, "PCI0");
	nx_aml_name(&a, "_HID");
	nx_aml_eisaid(&a, "PNP0A08");
	nx_aml_name(&a, "_CID");
	nx_aml_eisaid(&a, "PNP0A03");
	nx_aml_name(&a, "_ADR");
	nx_aml_int(&a, 0);
	nx_aml_name(&a, "_UID");
	nx_aml_int(&a, 0);
	nx_aml_name(&a, "_SEG");
	nx_aml_int(&a, 0);
	nx_aml_name(&a, "_BBN");
	nx_aml_int(&a, 0);
	pci0_crs(&a, m);
	pci0_prt(&a);
	pci0_osc(&a);
	nx_aml_end(&a);		/* PCI0 */
	nx_aml_end(&a);		/* \_SB */

	if (nx_aml_finish(&a) < 0)
		return -1;	/* the caller reports that the tables do not fit */
	*len = a.len;
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * mptable.c - Intel MultiProcessor Specification 1.4 tables, for guests and
 * test kernels that look for CPUs and interrupt routing there rather than
 * in ACPI (Linux with acpi=off, small OS kernels).
 *
 * The floating pointer sits at NX_MPTABLE = 0x9fc00, the start of the last
 * KiB of base memory, one of the places the spec (4.0) says an OS scans.
 * The configuration table (up to ~2.6 KiB with 64 CPUs and all PCI INTx
 * entries, more than the 1 KiB left below 640K) goes in the BIOS area at
 * 0xf0000, right after the ACPI tables. nx_mem_e820 reserves both
 * (0x9fc00-0x100000).
 */
#include <string.h>
#include "core/x86/acpi.h"
#include "core/vm.h"
#include "core/pci.h"
#include "core/x86/x86.h"

#define MP_CONFIG_GPA		(NX_ACPI_BASE + NX_ACPI_SIZE)	/* 0xf0000 */
#define MP_CONFIG_MAX		0x1000
#define MP_SPEC_REV		4	/* 1.4 */
#define MP_LAPIC_VERSION	0x14	/* KVM's LAPIC version register */
#define MP_IOAPIC_VERSION	0x11	/* 82093AA-compatible, 24 pins */
#define MP_CPU_SIGNATURE	0x600	/* family 6; informational only */
#define MP_CPU_FEATURES		0x201	/* CPUID.1:EDX FPU | APIC */
#define MP_ISA_IRQS		16
#define MP_PCI_SLOTS		32	/* device 0 is the host bridge: no INTx */

_Static_assert(MP_CONFIG_GPA + MP_CONFIG_MAX <= 0x100000, "MP config leaves the BIOS area");
_Static_assert(sizeof(struct mp_processor) == 20 && sizeof(struct mp_intsrc) == 8 &&
	       sizeof(struct mp_config) == 44 && sizeof(struct mp_floating) == 16,
	       "MP spec 1.4 entry sizes");

struct mp_writer {
	uint8_t *p, *end;
	uint16_t count;
};

static void *mp_add(struct mp_writer *w, size_t len)
{
	void *p = w->p;

	if (w->p + len > w->end)
		return NULL;
	w->p += len;
	w->count++;
	return p;
}

static int add_intsrc(struct mp_writer *w, uint8_t type, uint8_t irq_type, uint16_t flags,
		      uint8_t bus, uint8_t irq, uint8_t dst, uint8_t pin)
{
	struct mp_intsrc *e = mp_add(w, sizeof(*e));

	if (!e)
		return -1;
	*e = (struct mp_intsrc){ type, irq_type, flags, bus, irq, dst, pin };
	return 0;
}

static int add_entries(struct mp_writer *w, int ncpus)
{
	uint8_t ioapic_id = ncpus;	/* next APIC id after the CPUs, as in the MADT */
	int r = 0;

	/* Processors (4.3.1): APIC id = vCPU index, vCPU 0 is the BSP. */
	for (int i = 0; i < ncpus; i++) {
		struct mp_processor *c = mp_add(w, sizeof(*c));

		if (!c)
			return -1;
		*c = (struct mp_processor){ .type = MP_PROCESSOR, .lapic_id = i,
					    .lapic_version = MP_LAPIC_VERSION,
					    .flags = MP_CPU_EN | (i == 0 ? MP_CPU_BP : 0),
					    .signature = MP_CPU_SIGNATURE,
					    .features = MP_CPU_FEATURES };
	}
	/* Buses (4.3.2), ids in ascending order. */
	static const char *const bus_type[] = { [MP_BUS_PCI] = "PCI   ", [MP_BUS_ISA] = "ISA   " };
	for (uint8_t id = 0; id < 2; id++) {
		struct mp_bus *b = mp_add(w, sizeof(*b));

		if (!b)
			return -1;
		b->type = MP_BUS;
		b->bus_id = id;
		memcpy(b->bus_type, bus_type[id], 6);
	}
	/* The IOAPIC (4.3.3). */
	struct mp_ioapic *io = mp_add(w, sizeof(*io));
	if (!io)
		return -1;
	*io = (struct mp_ioapic){ MP_IOAPIC, ioapic_id, MP_IOAPIC_VERSION, 1,
				  (uint32_t)NX_IOAPIC_BASE };

	/* I/O interrupts (4.3.4). Pin 0 carries the 8259's INTR (ExtINT); ISA
	 * IRQ0 (PIT) goes to pin 2 (same override as the MADT) and IRQ2, the
	 * cascade, has no pin of its own; other ISA IRQs map 1:1. ISA is
	 * edge/active-high except the ACPI SCI (level, active-high). */
	r |= add_intsrc(w, MP_IOINT, MP_EXTINT, 0, MP_BUS_ISA, 0, ioapic_id, 0);
	for (unsigned irq = 0; irq < MP_ISA_IRQS; irq++) {
		uint16_t flags = INTI_POLARITY_HIGH | INTI_TRIGGER_EDGE;

		if (irq == 2)
			continue;
		if (irq == NX_ACPI_SCI_IRQ)
			flags = INTI_POLARITY_HIGH | INTI_TRIGGER_LEVEL;
		r |= add_intsrc(w, MP_IOINT, MP_INT, flags, MP_BUS_ISA, irq, ioapic_id,
				irq == 0 ? 2 : irq);
	}
	/* PCI INTx (4.3.4, PCI source irq = device << 2 | pin): level,
	 * active-low, routed by nx_pci_intx_gsi() to pins 16-23. */
	for (unsigned slot = 1; slot < MP_PCI_SLOTS; slot++)
		for (unsigned pin = 0; pin < 4; pin++)
			r |= add_intsrc(w, MP_IOINT, MP_INT, INTI_POLARITY_LOW | INTI_TRIGGER_LEVEL,
					MP_BUS_PCI, slot << 2 | pin, ioapic_id,
					nx_pci_intx_gsi(slot, pin));
	/* Local interrupts (4.3.5), virtual wire mode: ExtINT on LINT0 and NMI
	 * on LINT1 of every LAPIC (destination 0xff). */
	r |= add_intsrc(w, MP_LINT, MP_EXTINT, 0, MP_BUS_ISA, 0, 0xff, 0);
	r |= add_intsrc(w, MP_LINT, MP_NMI, 0, MP_BUS_ISA, 0, 0xff, 1);
	return r ? -1 : 0;
}

int nx_mptable_build(struct nx_vm *vm)
{
	struct mp_floating *fp = nx_gpa(&vm->mem, NX_MPTABLE, sizeof(*fp));
	uint8_t *cfg = nx_gpa(&vm->mem, MP_CONFIG_GPA, MP_CONFIG_MAX);
	struct mp_config *h = (void *)cfg;
	struct mp_writer w;

	if (!fp || !cfg)
		return nx_error("guest RAM does not cover the MP table area");
	if (vm->ncpus < 1 || vm->ncpus > NX_MAX_CPUS)
		return nx_error("MP table: bad vCPU count %d", vm->ncpus);
	memset(cfg, 0, MP_CONFIG_MAX);
	w = (struct mp_writer){ .p = cfg + sizeof(*h), .end = cfg + MP_CONFIG_MAX };
	if (add_entries(&w, vm->ncpus) < 0)
		return nx_error("MP table does not fit in %d bytes", MP_CONFIG_MAX);

	/* Configuration table header (4.2). */
	memcpy(h->signature, "PCMP", 4);
	h->length = (uint16_t)(w.p - cfg);
	h->spec_rev = MP_SPEC_REV;
	memcpy(h->oem_id, "NEXIT   ", 8);
	memcpy(h->product_id, "NEXIT VMM   ", 12);
	h->entry_count = w.count;
	h->lapic_address = (uint32_t)NX_LAPIC_BASE;
	h->checksum = nx_fw_checksum(cfg, h->length);

	/* Floating pointer (4.1): feature byte 1 = 0 -> a config table exists;
	 * feature byte 2 bit 7 (IMCR) clear -> virtual wire mode. */
	memset(fp, 0, sizeof(*fp));
	memcpy(fp->signature, "_MP_", 4);
	fp->config = (uint32_t)MP_CONFIG_GPA;
	fp->length = 1;
	fp->spec_rev = MP_SPEC_REV;
	fp->checksum = nx_fw_checksum(fp, sizeof(*fp));
	return 0;
}

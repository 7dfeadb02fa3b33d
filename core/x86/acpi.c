/* SPDX-License-Identifier: MIT */
/*
 * acpi.c - the ACPI tables a guest needs to find its CPUs, IOAPIC and PCI
 * config space and to power off and reset (ACPI 6.4 chapter 5):
 *
 *   RSDP (v2, NX_ACPI_BASE, 16-byte aligned in 0xe0000-0xfffff, 5.2.5.1)
 *     -> XSDT (and an RSDT for ACPI 1.0 parsers) -> FADT, MADT, MCFG
 *   FADT -> DSDT (AML, dsdt.c: \_S5 and the PCI host bridge), FACS
 *
 * Power-off: OSPM writes SLP_TYPa (from \_S5) | SLP_EN to PM1a_CNT; reset:
 * the FADT RESET_REG (I/O 0xcf9 <- 0x06). Both ports are core's.
 * The area [NX_ACPI_BASE, +NX_ACPI_SIZE) is e820-reserved by nx_mem_e820.
 */
#include <string.h>
#include "core/x86/acpi.h"
#include "core/vm.h"
#include "core/x86/x86.h"

#define OEM_ID		"NEXIT "	/* 6 bytes */
#define OEM_TABLE_ID	"NEXITVMM"	/* 8 bytes */
#define CREATOR_ID	"NXIT"
#define CREATOR_REV	1

/* A bump allocator over the ACPI area. */
struct acpi_area {
	uint8_t *base;		/* host pointer of NX_ACPI_BASE */
	uint32_t used;
};

static void *area_alloc(struct acpi_area *a, uint32_t len, uint32_t align, uint64_t *gpa)
{
	uint32_t off = (a->used + align - 1) & ~(align - 1);

	if (off + len > NX_ACPI_SIZE)
		return NULL;
	a->used = off + len;
	*gpa = NX_ACPI_BASE + off;
	memset(a->base + off, 0, len);
	return a->base + off;
}

static void header(struct acpi_header *h, const char *sig, uint32_t len, uint8_t rev)
{
	memcpy(h->signature, sig, 4);
	h->length = len;
	h->revision = rev;
	memcpy(h->oem_id, OEM_ID, 6);
	memcpy(h->oem_table_id, OEM_TABLE_ID, 8);
	h->oem_revision = 1;
	memcpy(h->creator_id, CREATOR_ID, 4);
	h->creator_revision = CREATOR_REV;
}

static void seal(struct acpi_header *h)
{
	h->checksum = 0;
	h->checksum = nx_fw_checksum(h, h->length);
}

static void *build_dsdt(struct acpi_area *a, const struct nx_mem *m, uint64_t *gpa)
{
	uint8_t aml[NX_DSDT_MAX];
	struct acpi_header *h;
	size_t n;

	if (nx_dsdt_aml(m, aml, sizeof(aml), &n) < 0)
		return NULL;
	h = area_alloc(a, sizeof(*h) + n, 16, gpa);
	if (!h)
		return NULL;
	header(h, "DSDT", sizeof(*h) + n, 2);	/* revision 2: 64-bit AML integers */
	memcpy(h + 1, aml, n);
	seal(h);
	return h;
}

static void *build_facs(struct acpi_area *a, uint64_t *gpa)
{
	struct acpi_facs *f = area_alloc(a, sizeof(*f), 64, gpa);

	if (!f)
		return NULL;
	memcpy(f->signature, "FACS", 4);
	f->length = sizeof(*f);
	f->version = 2;
	return f;
}

static struct acpi_gas io_gas(uint16_t port, uint8_t bytes, uint8_t access)
{
	return (struct acpi_gas){ .space_id = ACPI_GAS_IO, .bit_width = bytes * 8,
				  .access_size = access, .address = port };
}

static void *build_fadt(struct acpi_area *a, uint64_t dsdt, uint64_t facs, uint64_t *gpa)
{
	struct acpi_fadt *f = area_alloc(a, sizeof(*f), 16, gpa);

	if (!f)
		return NULL;
	header(&f->h, "FACP", sizeof(*f), 6);
	f->minor_version = 0;			/* FADT 6.0 */
	/* Both FACS fields must not be set (5.2.9): the 32-bit one is. */
	f->firmware_ctrl = (uint32_t)facs;
	f->dsdt = (uint32_t)dsdt;
	f->x_dsdt = dsdt;
	f->sci_int = NX_ACPI_SCI_IRQ;
	/* SMI_CMD 0: no SMM, the machine is always in ACPI mode. */
	f->smi_cmd = 0;

	/* PM1a event block: PM1_STS + PM1_EN, 2 bytes each. */
	f->pm1a_evt_blk = NX_PORT_PM1A_EVT;
	f->pm1_evt_len = 4;
	f->x_pm1a_evt_blk = io_gas(NX_PORT_PM1A_EVT, 4, ACPI_ACCESS_WORD);
	/* PM1a control block: SLP_TYP (bits 10-12) | SLP_EN (bit 13). */
	f->pm1a_cnt_blk = NX_PORT_PM1A_CNT;
	f->pm1_cnt_len = 2;
	f->x_pm1a_cnt_blk = io_gas(NX_PORT_PM1A_CNT, 2, ACPI_ACCESS_WORD);
	/* PM timer (4.8.3.3): 24-bit, 3.579545 MHz, TMR_VAL_EXT clear. */
	f->pm_tmr_blk = NX_PORT_PM_TMR;
	f->pm_tmr_len = 4;
	f->x_pm_tmr_blk = io_gas(NX_PORT_PM_TMR, 4, ACPI_ACCESS_DWORD);
	/* No GPE blocks. C2/C3 latencies above 100/1000 us say "not
	 * supported" (5.2.9). */
	f->p_lvl2_lat = 101;
	f->p_lvl3_lat = 1001;

	/* No i8042, no VGA, no CMOS RTC; MSI works; leave ASPM alone. */
	f->iapc_boot_arch = FADT_BA_VGA_ABSENT | FADT_BA_RTC_ABSENT | FADT_BA_ASPM_OFF;
	/* PWR_BUTTON clear: a fixed-feature power button in PM1 (platform.c). */
	f->flags = FADT_F_WBINVD | FADT_F_PROC_C1 | FADT_F_SLP_BUTTON |
		   FADT_F_FIX_RTC | FADT_F_RESET_REG_SUP;	/* HW_REDUCED off */
	f->reset_reg = io_gas(NX_PORT_RESET, 1, ACPI_ACCESS_BYTE);
	f->reset_value = 0x06;		/* 0xcf9: full reset (bit 2) | system reset (bit 1) */
	memcpy(f->hypervisor_vendor_id, "nexit\0\0\0", 8);
	seal(&f->h);
	return f;
}

static void *build_madt(struct acpi_area *a, int ncpus, uint64_t *gpa)
{
	uint32_t len = sizeof(struct acpi_madt) + ncpus * sizeof(struct madt_lapic) +
		       sizeof(struct madt_ioapic) + 2 * sizeof(struct madt_iso) +
		       sizeof(struct madt_lapic_nmi);
	struct acpi_madt *m = area_alloc(a, len, 16, gpa);
	uint8_t *p;

	if (!m)
		return NULL;
	header(&m->h, "APIC", len, 5);
	m->lapic_address = (uint32_t)NX_LAPIC_BASE;
	m->flags = MADT_PCAT_COMPAT;	/* legacy 8259 pair (the emulated PIC) */
	p = (uint8_t *)(m + 1);

	/* One enabled LAPIC per vCPU, APIC id = processor UID = vCPU index
	 * (KVM's default APIC id for a vCPU is its index). */
	for (int i = 0; i < ncpus; i++) {
		struct madt_lapic *l = (void *)p;

		*l = (struct madt_lapic){ MADT_LAPIC, sizeof(*l), i, i, 1 };
		p += sizeof(*l);
	}
	/* The IOAPIC takes the next free APIC id; GSIs 0..23 are its pins. */
	struct madt_ioapic *io = (void *)p;
	*io = (struct madt_ioapic){ MADT_IOAPIC, sizeof(*io), ncpus, 0,
				    (uint32_t)NX_IOAPIC_BASE, 0 };
	p += sizeof(*io);

	/* ISA IRQ0 (PIT) is wired to IOAPIC pin 2, as on every PC. */
	struct madt_iso *iso = (void *)p;
	*iso = (struct madt_iso){ MADT_ISO, sizeof(*iso), 0, 0, 2,
				  INTI_POLARITY_HIGH | INTI_TRIGGER_EDGE };
	p += sizeof(*iso);
	/* The SCI is level triggered, active high (ACPI 5.2.9 SCI_INT). */
	iso = (void *)p;
	*iso = (struct madt_iso){ MADT_ISO, sizeof(*iso), 0, NX_ACPI_SCI_IRQ, NX_ACPI_SCI_IRQ,
				  INTI_POLARITY_HIGH | INTI_TRIGGER_LEVEL };
	p += sizeof(*iso);

	/* NMI on LINT1 of every processor (virtual wire mode). */
	struct madt_lapic_nmi *nmi = (void *)p;
	*nmi = (struct madt_lapic_nmi){ MADT_LAPIC_NMI, sizeof(*nmi), 0xff, 0, 1 };
	seal(&m->h);
	return m;
}

static void *build_mcfg(struct acpi_area *a, uint64_t *gpa)
{
	uint32_t len = sizeof(struct acpi_mcfg) + sizeof(struct mcfg_alloc);
	struct acpi_mcfg *m = area_alloc(a, len, 16, gpa);
	struct mcfg_alloc *e;

	if (!m)
		return NULL;
	header(&m->h, "MCFG", len, 1);
	/* One ECAM window: segment 0, bus 0 only (1 MiB = 32 dev x 8 fn x 4 KiB). */
	e = (void *)(m + 1);
	*e = (struct mcfg_alloc){ .base = NX_PCI_ECAM, .segment = 0, .start_bus = 0, .end_bus = 0 };
	seal(&m->h);
	return m;
}

int nx_acpi_build(struct nx_vm *vm)
{
	struct acpi_area a = { .base = nx_gpa(&vm->mem, NX_ACPI_BASE, NX_ACPI_SIZE) };
	uint64_t rsdp_gpa, facs, dsdt, fadt, madt, mcfg, rsdt_gpa, xsdt_gpa;
	struct acpi_rsdp *rsdp;
	struct acpi_header *rsdt, *xsdt;
	uint8_t *rp, *xp;
	const int ntables = 3;

	if (!a.base)
		return nx_error("guest RAM does not cover the ACPI area at 0x%llx",
				(unsigned long long)NX_ACPI_BASE);
	if (vm->ncpus < 1 || vm->ncpus > NX_MAX_CPUS)
		return nx_error("ACPI: bad vCPU count %d", vm->ncpus);
	memset(a.base, 0, NX_ACPI_SIZE);

	rsdp = area_alloc(&a, sizeof(*rsdp), 16, &rsdp_gpa);
	if (!rsdp || rsdp_gpa != NX_ACPI_BASE + ACPI_OFF_RSDP ||
	    !build_facs(&a, &facs) || facs != NX_ACPI_BASE + ACPI_OFF_FACS ||
	    !build_dsdt(&a, &vm->mem, &dsdt) || !build_fadt(&a, dsdt, facs, &fadt) ||
	    !build_madt(&a, vm->ncpus, &madt) || !build_mcfg(&a, &mcfg))
		return nx_error("ACPI tables do not fit in %u bytes", NX_ACPI_SIZE);

	const uint64_t tables[] = { fadt, madt, mcfg };
	uint32_t rlen = sizeof(*rsdt) + ntables * 4, xlen = sizeof(*xsdt) + ntables * 8;

	rsdt = area_alloc(&a, rlen, 16, &rsdt_gpa);
	xsdt = area_alloc(&a, xlen, 16, &xsdt_gpa);
	if (!rsdt || !xsdt)
		return nx_error("ACPI tables do not fit in %u bytes", NX_ACPI_SIZE);
	header(rsdt, "RSDT", rlen, 1);
	header(xsdt, "XSDT", xlen, 1);
	/* XSDT entries sit at offset 36: 4-byte aligned only, hence memcpy. */
	rp = (uint8_t *)(rsdt + 1);
	xp = (uint8_t *)(xsdt + 1);
	for (int i = 0; i < ntables; i++) {
		uint32_t a32 = (uint32_t)tables[i];

		memcpy(rp + 4 * i, &a32, 4);
		memcpy(xp + 8 * i, &tables[i], 8);
	}
	seal(rsdt);
	seal(xsdt);

	memcpy(rsdp->signature, "RSD PTR ", 8);
	memcpy(rsdp->oem_id, OEM_ID, 6);
	rsdp->revision = 2;
	rsdp->rsdt_address = (uint32_t)rsdt_gpa;
	rsdp->length = sizeof(*rsdp);
	rsdp->xsdt_address = xsdt_gpa;
	rsdp->checksum = nx_fw_checksum(rsdp, 20);	/* ACPI 1.0 part */
	rsdp->extended_checksum = nx_fw_checksum(rsdp, sizeof(*rsdp));
	return 0;
}

/* Unit tests: ACPI tables (core/x86/acpi.c) parsed back from guest memory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "core/vm.h"
#include "core/pci.h"
#include "core/x86/acpi.h"
#include "core/x86/x86.h"

struct fixture {
	struct nx_config cfg;
	struct nx_vm vm;
};

static struct fixture *vm_with(int ncpus, uint64_t mem)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->vm.cfg = &f->cfg;
	f->vm.ncpus = ncpus;
	assert_int_equal(nx_mem_init(&f->vm.mem, mem, false), 0);
	assert_int_equal(nx_acpi_build(&f->vm), 0);
	return f;
}

static void vm_free(struct fixture *f)
{
	nx_mem_destroy(&f->vm.mem);
	free(f);
}

static const void *gpa(struct fixture *f, uint64_t addr, uint64_t len)
{
	const void *p = nx_gpa(&f->vm.mem, addr, len);

	assert_non_null(p);
	return p;
}

static uint8_t sum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t s = 0;

	while (len--)
		s += *b++;
	return s;
}

/* A table at addr with this signature, whole length in RAM, checksum 0. */
static const struct acpi_header *table(struct fixture *f, uint64_t addr, const char *sig)
{
	const struct acpi_header *h = gpa(f, addr, sizeof(*h));

	assert_memory_equal(h->signature, sig, 4);
	assert_true(h->length >= sizeof(*h));
	gpa(f, addr, h->length);
	assert_int_equal(sum(h, h->length), 0);
	return h;
}

static const struct acpi_rsdp *rsdp(struct fixture *f)
{
	const struct acpi_rsdp *r = gpa(f, NX_ACPI_BASE, sizeof(*r));

	/* ACPI 5.2.5.1: 16-byte aligned in 0xe0000-0xfffff. */
	assert_true(NX_ACPI_BASE >= 0xe0000 && NX_ACPI_BASE + 36 <= 0x100000);
	assert_int_equal(NX_ACPI_BASE % 16, 0);
	assert_memory_equal(r->signature, "RSD PTR ", 8);
	assert_int_equal(r->revision, 2);
	assert_int_equal(r->length, 36);
	assert_int_equal(sum(r, 20), 0);
	assert_int_equal(sum(r, 36), 0);
	return r;
}

/* Finds a table by signature through the XSDT (and checks the RSDT agrees). */
static const struct acpi_header *find(struct fixture *f, const char *sig)
{
	const struct acpi_rsdp *r = rsdp(f);
	const struct acpi_header *x = table(f, r->xsdt_address, "XSDT");
	const struct acpi_header *rs = table(f, r->rsdt_address, "RSDT");
	int n = (x->length - sizeof(*x)) / 8;
	const struct acpi_header *found = NULL;

	assert_int_equal((x->length - sizeof(*x)) % 8, 0);
	assert_int_equal((rs->length - sizeof(*rs)) / 4, n);
	for (int i = 0; i < n; i++) {
		uint64_t a;
		uint32_t a32;

		memcpy(&a, (const uint8_t *)(x + 1) + 8 * i, 8);
		memcpy(&a32, (const uint8_t *)(rs + 1) + 4 * i, 4);
		assert_int_equal(a, a32);
		const struct acpi_header *h = gpa(f, a, sizeof(*h));
		if (!memcmp(h->signature, sig, 4))
			found = table(f, a, sig);
	}
	assert_non_null(found);
	return found;
}

static void test_rsdp_xsdt(void **st)
{
	struct fixture *f = vm_with(1, 64 << 20);
	const struct acpi_rsdp *r = rsdp(f);
	const struct acpi_header *x = table(f, r->xsdt_address, "XSDT");

	assert_int_equal(x->length, 36 + 3 * 8);	/* FADT, MADT, MCFG */
	assert_memory_equal(r->oem_id, x->oem_id, 6);
	find(f, "FACP");
	find(f, "APIC");
	find(f, "MCFG");
	vm_free(f);
}

static void test_fadt(void **st)
{
	struct fixture *f = vm_with(2, 64 << 20);
	const struct acpi_fadt *fa = (const void *)find(f, "FACP");
	const uint8_t *raw = (const void *)fa;
	uint16_t u16;
	uint64_t u64;

	assert_int_equal(fa->h.length, 276);
	assert_true(fa->h.revision >= 5);
	/* Raw offsets from ACPI 6.4 Table 5.9, independent of the struct. */
	memcpy(&u16, raw + 46, 2);
	assert_int_equal(u16, NX_ACPI_SCI_IRQ);
	memcpy(&u16, raw + 56, 2);
	assert_int_equal(u16, NX_PORT_PM1A_EVT);
	memcpy(&u16, raw + 64, 2);
	assert_int_equal(u16, NX_PORT_PM1A_CNT);
	assert_int_equal(raw[88], 4);		/* PM1_EVT_LEN */
	assert_int_equal(raw[89], 2);		/* PM1_CNT_LEN */
	/* RESET_REG: system I/O, 8 bits, byte access, port 0xcf9; value 6. */
	assert_int_equal(raw[116], 1);
	assert_int_equal(raw[117], 8);
	assert_int_equal(raw[118], 0);
	assert_int_equal(raw[119], 1);
	memcpy(&u64, raw + 120, 8);
	assert_int_equal(u64, NX_PORT_RESET);
	assert_int_equal(raw[128], 0x06);
	assert_true(fa->flags & FADT_F_RESET_REG_SUP);
	assert_false(fa->flags & FADT_F_HW_REDUCED);
	assert_false(fa->iapc_boot_arch & FADT_BA_MSI_ABSENT);
	/* X_ fields agree with the 32-bit ones (ACPICA warns otherwise). */
	assert_int_equal(fa->x_pm1a_evt_blk.space_id, ACPI_GAS_IO);
	assert_int_equal(fa->x_pm1a_evt_blk.address, NX_PORT_PM1A_EVT);
	assert_int_equal(fa->x_pm1a_evt_blk.bit_width, 32);
	assert_int_equal(fa->x_pm1a_cnt_blk.address, NX_PORT_PM1A_CNT);
	assert_int_equal(fa->x_pm1a_cnt_blk.bit_width, 16);
	assert_int_equal(fa->smi_cmd, 0);

	/* PM_TMR_BLK (offset 76) and PM_TMR_LEN (91): port I/O, 4 bytes; the
	 * counter is 24 bits (Flags bit 8 TMR_VAL_EXT clear). */
	memcpy(&u16, raw + 76, 2);
	assert_int_equal(u16, NX_PORT_PM_TMR);
	assert_int_equal(raw[91], 4);
	assert_false(fa->flags & (1u << 8));
	assert_int_equal(fa->x_pm_tmr_blk.space_id, ACPI_GAS_IO);
	assert_int_equal(fa->x_pm_tmr_blk.address, NX_PORT_PM_TMR);
	assert_int_equal(fa->x_pm_tmr_blk.bit_width, 32);

	/* X_DSDT at offset 140 -> the DSDT, which starts with \_S5 = {5, 5, 0, 0}. */
	memcpy(&u64, raw + 140, 8);
	assert_int_equal(u64, fa->dsdt);
	const struct acpi_header *d = table(f, u64, "DSDT");
	const uint8_t *aml = (const void *)(d + 1);
	const uint8_t s5[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x08, 0x04,
			       0x0a, NX_ACPI_SLP_TYP_S5, 0x0a, NX_ACPI_SLP_TYP_S5, 0x00, 0x00 };
	assert_true(d->length - sizeof(*d) > sizeof(s5));
	assert_memory_equal(aml, s5, sizeof(s5));
	/* The value core's PM1a_CNT handler decodes as S5. */
	assert_int_equal(((NX_ACPI_SLP_TYP_S5 << 10) | (1 << 13)) >> 10 & 7, 5);

	/* FACS: 64-byte aligned, 64 bytes; only one of the two pointers set. */
	const struct acpi_facs *facs = gpa(f, fa->firmware_ctrl, 64);
	assert_int_equal(fa->firmware_ctrl % 64, 0);
	assert_int_equal(fa->x_firmware_ctrl, 0);
	assert_memory_equal(facs->signature, "FACS", 4);
	assert_int_equal(facs->length, 64);
	vm_free(f);
}

static void check_madt(int ncpus)
{
	struct fixture *f = vm_with(ncpus, 64 << 20);
	const struct acpi_madt *m = (const void *)find(f, "APIC");
	const uint8_t *p = (const uint8_t *)(m + 1), *end = (const uint8_t *)m + m->h.length;
	int lapics = 0, ioapics = 0, nmis = 0;
	bool iso0 = false, iso9 = false;

	assert_int_equal(m->lapic_address, NX_LAPIC_BASE);
	while (p < end) {
		assert_true(p + 2 <= end && p[1] >= 2 && p + p[1] <= end);
		switch (p[0]) {
		case MADT_LAPIC: {
			const struct madt_lapic *l = (const void *)p;
			assert_int_equal(l->length, 8);
			assert_int_equal(l->apic_id, lapics);	/* APIC id = index */
			assert_int_equal(l->processor_uid, lapics);
			assert_int_equal(l->flags & 1, 1);	/* enabled */
			lapics++;
			break;
		}
		case MADT_IOAPIC: {
			const struct madt_ioapic *io = (const void *)p;
			assert_int_equal(io->length, 12);
			assert_int_equal(io->ioapic_id, ncpus);
			assert_int_equal(io->address, NX_IOAPIC_BASE);
			assert_int_equal(io->gsi_base, 0);
			ioapics++;
			break;
		}
		case MADT_ISO: {
			const struct madt_iso *iso = (const void *)p;
			assert_int_equal(iso->length, 10);
			assert_int_equal(iso->bus, 0);
			if (iso->source == 0) {
				assert_int_equal(iso->gsi, 2);
				assert_int_equal(iso->flags & 0xc, INTI_TRIGGER_EDGE);
				iso0 = true;
			} else {
				assert_int_equal(iso->source, NX_ACPI_SCI_IRQ);
				assert_int_equal(iso->gsi, NX_ACPI_SCI_IRQ);
				assert_int_equal(iso->flags, INTI_POLARITY_HIGH | INTI_TRIGGER_LEVEL);
				iso9 = true;
			}
			break;
		}
		case MADT_LAPIC_NMI: {
			const struct madt_lapic_nmi *n = (const void *)p;
			assert_int_equal(n->length, 6);
			assert_int_equal(n->processor_uid, 0xff);
			assert_int_equal(n->lint, 1);
			nmis++;
			break;
		}
		default:
			fail_msg("unexpected MADT entry type %u", p[0]);
		}
		p += p[1];
	}
	assert_ptr_equal(p, end);
	assert_int_equal(lapics, ncpus);
	assert_int_equal(ioapics, 1);
	assert_int_equal(nmis, 1);
	assert_true(iso0 && iso9);
	vm_free(f);
}

static void test_madt_1(void **st) { check_madt(1); }
static void test_madt_2(void **st) { check_madt(2); }
static void test_madt_max(void **st) { check_madt(NX_MAX_CPUS); }

static void test_mcfg(void **st)
{
	struct fixture *f = vm_with(1, 64 << 20);
	const struct acpi_mcfg *m = (const void *)find(f, "MCFG");
	const struct mcfg_alloc *a = (const void *)(m + 1);

	assert_int_equal(m->h.length, 44 + 16);
	assert_int_equal(a->base, NX_PCI_ECAM);
	assert_int_equal(a->segment, 0);
	assert_int_equal(a->start_bus, 0);
	assert_int_equal(a->end_bus, 0);
	vm_free(f);
}

/* Everything nx_acpi_build wrote must be e820-reserved (not RAM), or the
 * guest would reuse it as memory. */
static void test_e820_reserves_tables(void **st)
{
	struct fixture *f = vm_with(4, 64 << 20);
	struct nx_e820_entry e[NX_E820_MAX];
	int n = nx_mem_e820(&f->vm.mem, e, NX_E820_MAX);
	bool covered = false;

	assert_true(n > 0);
	for (int i = 0; i < n; i++) {
		bool overlaps = e[i].addr < NX_ACPI_BASE + NX_ACPI_SIZE &&
				NX_ACPI_BASE < e[i].addr + e[i].size;
		if (overlaps)
			assert_int_not_equal(e[i].type, NX_E820_RAM);
		if (e[i].addr <= NX_ACPI_BASE && e[i].addr + e[i].size >= NX_ACPI_BASE + NX_ACPI_SIZE)
			covered = true;
	}
	assert_true(covered);
	vm_free(f);
}

static void test_bad_cpu_count(void **st)
{
	struct fixture f = { 0 };

	f.vm.cfg = &f.cfg;
	assert_int_equal(nx_mem_init(&f.vm.mem, 64 << 20, false), 0);
	f.vm.ncpus = 0;
	assert_true(nx_acpi_build(&f.vm) < 0);
	f.vm.ncpus = NX_MAX_CPUS + 1;
	assert_true(nx_acpi_build(&f.vm) < 0);
	nx_mem_destroy(&f.vm.mem);
}

/* Optional cross-check with ACPICA's disassembler (Debian acpica-tools):
 * each table must disassemble without errors and the DSDT must show \_S5. */
static int iasl_dump(const struct acpi_header *h, const char *dir, char *out, size_t outlen)
{
	const char *sig = h->signature;
	char path[256], cmd[512];
	FILE *fp;
	size_t n;

	snprintf(path, sizeof(path), "%s/%.4s.dat", dir, sig);
	fp = fopen(path, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(h, 1, h->length, fp), h->length);
	fclose(fp);
	snprintf(cmd, sizeof(cmd), "cd %s && iasl -d %.4s.dat >%.4s.log 2>&1 && cat %.4s.dsl",
		 dir, sig, sig, sig);
	fp = popen(cmd, "r");
	assert_non_null(fp);
	n = fread(out, 1, outlen - 1, fp);
	out[n] = 0;
	return pclose(fp);
}

/* Copy of iasl's output without whitespace and comments (its layout and
 * annotations are not the point). */
static void squeeze(const char *s, char *out, size_t n)
{
	size_t j = 0;

	while (*s && j + 1 < n) {
		if (s[0] == '/' && s[1] == '/') {
			s += strcspn(s, "\n");
		} else if (s[0] == '/' && s[1] == '*') {
			const char *e = strstr(s + 2, "*/");

			s = e ? e + 2 : s + strlen(s);
		} else {
			if (*s != ' ' && *s != '\n' && *s != '\r' && *s != '\t')
				out[j++] = *s;
			s++;
		}
	}
	out[j] = 0;
}

static bool has(const char *flat, const char *text)
{
	char want[512];

	squeeze(text, want, sizeof(want));
	return strstr(flat, want) != NULL;
}

/*
 * The DSDT as iasl reads it: \_S5, the host bridge with its windows (the
 * 64-bit one at base64), every slot's INTA#-INTD# routed to the GSI the MP
 * table and nexit's PCI bus use, and an _OSC. Then the disassembly must
 * compile again without errors (iasl's own round trip).
 */
static void check_dsdt(const char *dsl, const char *dir, uint64_t base64)
{
	static char flat[65536];
	static const char *const pin[] = { "Zero", "One", "0x02", "0x03" };
	char want[256], cmd[512];

	squeeze(dsl, flat, sizeof(flat));
	assert_true(has(flat, "Name (_S5, Package (0x04) { 0x05, 0x05, Zero, Zero })"));
	assert_true(has(flat, "Scope (\\_SB) { Device (PCI0) {"));
	assert_true(has(flat, "Name (_HID, EisaId (\"PNP0A08\")"));
	assert_true(has(flat, "Name (_CID, EisaId (\"PNP0A03\")"));
	assert_true(has(flat, "WordBusNumber (ResourceProducer, MinFixed, MaxFixed, PosDecode,"
			      " 0x0000, 0x0000, 0x0000, 0x0000, 0x0001"));
	assert_true(has(flat, "IO (Decode16, 0x0CF8, 0x0CF8, 0x01, 0x08"));
	assert_true(has(flat, "0x0000, 0x0000, 0x0CF7, 0x0000, 0x0CF8"));
	assert_true(has(flat, "0x0000, 0x0D00, 0xFFFF, 0x0000, 0xF300"));
	assert_true(has(flat, "DWordMemory (ResourceProducer, PosDecode, MinFixed, MaxFixed,"
			      " NonCacheable, ReadWrite, 0x00000000, 0xC0000000, 0xDFFFFFFF"));
	snprintf(want, sizeof(want), "QWordMemory (ResourceProducer, PosDecode, MinFixed, MaxFixed,"
		 " Cacheable, ReadWrite, 0x0000000000000000, 0x%016llX, 0x%016llX",
		 (unsigned long long)base64, (unsigned long long)(base64 + (32ull << 30) - 1));
	assert_true(has(flat, want));
	assert_true(has(flat, "Name (_PRT, Package (0x7C)"));
	for (unsigned slot = 1; slot < 32; slot++)
		for (unsigned p = 0; p < 4; p++) {
			snprintf(want, sizeof(want), "Package (0x04) { 0x%04XFFFF, %s, Zero, 0x%02X }",
				 slot, pin[p], nx_pci_intx_gsi(slot, p));
			if (!has(flat, want))
				fail_msg("_PRT lacks %s", want);
		}
	assert_true(has(flat, "Method (_OSC, 4, NotSerialized)"));
	assert_true(has(flat, "ToUUID (\"33db4d5b-1ff7-401c-9657-7441c03dd766\")"));
	assert_true(has(flat, "Return (Arg3)"));

	snprintf(cmd, sizeof(cmd), "cd %s && iasl -p DSDT.recompiled DSDT.dsl >DSDT.asl.log 2>&1", dir);
	assert_int_equal(system(cmd), 0);
}

static void test_iasl_disassembles(void **st)
{
	char dir[] = "/tmp/nexit-acpi-XXXXXX", cmd[300];
	static char out[65536];
	struct fixture *f;

	if (system("command -v iasl >/dev/null 2>&1") != 0) {
		print_message("iasl (acpica-tools) not installed: skipping the disassembly check\n");
		skip();
	}
	f = vm_with(2, 64 << 20);
	assert_non_null(mkdtemp(dir));

	const struct acpi_fadt *fa = (const void *)find(f, "FACP");

	assert_int_equal(iasl_dump(table(f, fa->x_dsdt, "DSDT"), dir, out, sizeof(out)), 0);
	check_dsdt(out, dir, 0x100000000ull);
	assert_int_equal(iasl_dump(find(f, "FACP"), dir, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "Reset Register Supported (V2) : 1"));
	assert_non_null(strstr(out, "PM Timer Block Address : 00000608"));
	assert_non_null(strstr(out, "PM Timer Block Length : 04"));
	assert_non_null(strstr(out, "32-bit PM Timer (V1) : 0"));
	assert_non_null(strstr(out, "SCI Interrupt : 0009"));
	assert_null(strstr(out, "**** "));	/* iasl's marker for a malformed field */
	assert_int_equal(iasl_dump(find(f, "APIC"), dir, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "Local Apic ID : 01"));
	assert_null(strstr(out, "**** "));
	assert_int_equal(iasl_dump(find(f, "MCFG"), dir, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "Base Address : 00000000E0000000"));
	vm_free(f);

	/* 4.5 GiB of RAM: 1.5 GiB above 4 GiB, so the 64-bit window starts at 6 GiB. */
	f = vm_with(1, 4608ull << 20);
	fa = (const void *)find(f, "FACP");
	assert_int_equal(iasl_dump(table(f, fa->x_dsdt, "DSDT"), dir, out, sizeof(out)), 0);
	check_dsdt(out, dir, 6ull << 30);
	if (getenv("NEXIT_KEEP_ACPI"))
		print_message("tables kept in %s\n", dir);
	else {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		assert_int_equal(system(cmd), 0);
	}
	vm_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rsdp_xsdt),
		cmocka_unit_test(test_fadt),
		cmocka_unit_test(test_madt_1),
		cmocka_unit_test(test_madt_2),
		cmocka_unit_test(test_madt_max),
		cmocka_unit_test(test_mcfg),
		cmocka_unit_test(test_e820_reserves_tables),
		cmocka_unit_test(test_bad_cpu_count),
		cmocka_unit_test(test_iasl_disassembles),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

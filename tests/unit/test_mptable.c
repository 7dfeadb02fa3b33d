/* Unit tests: the Intel MP spec 1.4 table (core/x86/mptable.c) parsed back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "core/vm.h"
#include "core/pci.h"
#include "core/x86/acpi.h"
#include "core/x86/x86.h"

struct fixture {
	struct nx_config cfg;
	struct nx_vm vm;
};

static struct fixture *vm_with(int ncpus)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->vm.cfg = &f->cfg;
	f->vm.ncpus = ncpus;
	assert_int_equal(nx_mem_init(&f->vm.mem, 32 << 20, false), 0);
	assert_int_equal(nx_mptable_build(&f->vm), 0);
	return f;
}

static void vm_free(struct fixture *f)
{
	nx_mem_destroy(&f->vm.mem);
	free(f);
}

static uint8_t sum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t s = 0;

	while (len--)
		s += *b++;
	return s;
}

/* [addr, addr+len) lies in one e820-reserved range (so the guest keeps it). */
static void assert_reserved(struct fixture *f, uint64_t addr, uint64_t len)
{
	struct nx_e820_entry e[NX_E820_MAX];
	int n = nx_mem_e820(&f->vm.mem, e, NX_E820_MAX);

	for (int i = 0; i < n; i++)
		if (e[i].type != NX_E820_RAM && e[i].addr <= addr &&
		    addr + len <= e[i].addr + e[i].size)
			return;
	fail_msg("[0x%llx, +0x%llx) is not e820-reserved", (unsigned long long)addr,
		 (unsigned long long)len);
}

/* What a guest finds: the floating pointer in the last KiB of base memory
 * (MP spec 4: one of the places an OS scans), then the config table. */
static const struct mp_config *config(struct fixture *f)
{
	const struct mp_floating *fp = NULL;
	const struct mp_config *c;

	for (uint64_t a = 639 * 1024; a < 640 * 1024; a += 16) {
		const struct mp_floating *p = nx_gpa(&f->vm.mem, a, 16);
		if (!memcmp(p->signature, "_MP_", 4)) {
			fp = p;
			assert_reserved(f, a, 16);
			break;
		}
	}
	assert_non_null(fp);
	assert_int_equal(sum(fp, 16), 0);
	assert_int_equal(fp->length, 1);
	assert_int_equal(fp->spec_rev, 4);
	assert_int_equal(fp->feature[0], 0);	/* a config table is present */
	c = nx_gpa(&f->vm.mem, fp->config, sizeof(*c));
	assert_non_null(c);
	assert_memory_equal(c->signature, "PCMP", 4);
	assert_non_null(nx_gpa(&f->vm.mem, fp->config, c->length));
	assert_reserved(f, fp->config, c->length);
	assert_int_equal(sum(c, c->length), 0);
	assert_int_equal(c->spec_rev, 4);
	assert_int_equal(c->lapic_address, NX_LAPIC_BASE);
	assert_int_equal(c->ext_length, 0);
	return c;
}

struct counts {
	int cpus, bsps, buses, ioapics, isa, pci, lint;
	bool extint_pin0, irq0_pin2, irq2, sci_level, lint0_extint, lint1_nmi;
	uint8_t pci_bus, isa_bus;
};

static void walk(struct fixture *f, int ncpus, struct counts *k)
{
	const struct mp_config *c = config(f);
	const uint8_t *p = (const uint8_t *)(c + 1), *end = (const uint8_t *)c + c->length;
	int entries = 0, last_type = 0;

	memset(k, 0, sizeof(*k));
	k->pci_bus = k->isa_bus = 0xff;
	while (p < end) {
		/* Entries are sorted by type (MP spec 4.3). */
		assert_true(p[0] >= last_type);
		last_type = p[0];
		entries++;
		switch (p[0]) {
		case MP_PROCESSOR: {
			const struct mp_processor *e = (const void *)p;
			assert_int_equal(e->lapic_id, k->cpus);
			assert_true(e->flags & MP_CPU_EN);
			if (e->flags & MP_CPU_BP) {
				assert_int_equal(e->lapic_id, 0);
				k->bsps++;
			}
			k->cpus++;
			p += sizeof(*e);
			break;
		}
		case MP_BUS: {
			const struct mp_bus *e = (const void *)p;
			if (!memcmp(e->bus_type, "PCI   ", 6))
				k->pci_bus = e->bus_id;
			else if (!memcmp(e->bus_type, "ISA   ", 6))
				k->isa_bus = e->bus_id;
			else
				fail_msg("bus type %.6s", e->bus_type);
			k->buses++;
			p += sizeof(*e);
			break;
		}
		case MP_IOAPIC: {
			const struct mp_ioapic *e = (const void *)p;
			assert_int_equal(e->id, ncpus);
			assert_int_equal(e->flags & 1, 1);
			assert_int_equal(e->address, NX_IOAPIC_BASE);
			k->ioapics++;
			p += sizeof(*e);
			break;
		}
		case MP_IOINT: {
			const struct mp_intsrc *e = (const void *)p;
			assert_int_equal(e->dst_id, ncpus);
			assert_true(e->dst_pin < NX_IOAPIC_PINS);
			if (e->src_bus == k->isa_bus) {
				if (e->irq_type == MP_EXTINT) {
					assert_int_equal(e->dst_pin, 0);
					k->extint_pin0 = true;
				} else {
					assert_int_equal(e->irq_type, MP_INT);
					if (e->src_irq == 0) {
						assert_int_equal(e->dst_pin, 2);
						k->irq0_pin2 = true;
					} else {
						assert_int_equal(e->dst_pin, e->src_irq);
					}
					if (e->src_irq == 2)
						k->irq2 = true;
					if (e->src_irq == NX_ACPI_SCI_IRQ)
						k->sci_level = (e->flags & 0xc) == INTI_TRIGGER_LEVEL;
					k->isa++;
				}
			} else {
				unsigned slot = e->src_irq >> 2, pin = e->src_irq & 3;
				assert_int_equal(e->src_bus, k->pci_bus);
				assert_int_equal(e->irq_type, MP_INT);
				assert_true(slot >= 1 && slot <= 31);
				/* The documented swizzle, and the exported function. */
				assert_int_equal(e->dst_pin, 16 + (slot + pin) % 8);
				assert_int_equal(e->dst_pin, nx_pci_intx_gsi(slot, pin));
				assert_int_equal(e->flags, INTI_POLARITY_LOW | INTI_TRIGGER_LEVEL);
				k->pci++;
			}
			p += sizeof(*e);
			break;
		}
		case MP_LINT: {
			const struct mp_intsrc *e = (const void *)p;
			assert_int_equal(e->dst_id, 0xff);
			if (e->irq_type == MP_EXTINT && e->dst_pin == 0)
				k->lint0_extint = true;
			if (e->irq_type == MP_NMI && e->dst_pin == 1)
				k->lint1_nmi = true;
			k->lint++;
			p += sizeof(*e);
			break;
		}
		default:
			fail_msg("unknown MP entry type %u", p[0]);
		}
	}
	assert_ptr_equal(p, end);
	assert_int_equal(entries, c->entry_count);
}

static void check(int ncpus)
{
	struct fixture *f = vm_with(ncpus);
	struct counts k;

	walk(f, ncpus, &k);
	assert_int_equal(k.cpus, ncpus);
	assert_int_equal(k.bsps, 1);
	assert_int_equal(k.buses, 2);
	assert_int_not_equal(k.pci_bus, 0xff);
	assert_int_not_equal(k.isa_bus, 0xff);
	assert_int_equal(k.ioapics, 1);
	assert_int_equal(k.isa, 15);		/* IRQ 0-15 except the cascade */
	assert_false(k.irq2);
	assert_true(k.extint_pin0 && k.irq0_pin2 && k.sci_level);
	assert_int_equal(k.pci, 31 * 4);	/* slots 1..31, INTA#..INTD# */
	assert_int_equal(k.lint, 2);
	assert_true(k.lint0_extint && k.lint1_nmi);
	vm_free(f);
}

static void test_one_cpu(void **st) { check(1); }
static void test_four_cpus(void **st) { check(4); }
static void test_max_cpus(void **st) { check(NX_MAX_CPUS); }

static void test_intx_rule(void **st)
{
	/* Neighbouring slots' INTA# land on different pins; all in 16-23. */
	assert_int_equal(nx_pci_intx_gsi(1, 0), 17);
	assert_int_equal(nx_pci_intx_gsi(2, 0), 18);
	assert_int_equal(nx_pci_intx_gsi(7, 0), 23);
	assert_int_equal(nx_pci_intx_gsi(8, 0), 16);
	assert_int_equal(nx_pci_intx_gsi(3, 3), 22);
	for (unsigned s = 0; s < 32; s++)
		for (unsigned p = 0; p < 4; p++)
			assert_true(nx_pci_intx_gsi(s, p) >= 16 && nx_pci_intx_gsi(s, p) < NX_IOAPIC_PINS);
}

static void test_bad_cpu_count(void **st)
{
	struct fixture f = { 0 };

	f.vm.cfg = &f.cfg;
	assert_int_equal(nx_mem_init(&f.vm.mem, 32 << 20, false), 0);
	f.vm.ncpus = 0;
	assert_true(nx_mptable_build(&f.vm) < 0);
	f.vm.ncpus = NX_MAX_CPUS + 1;
	assert_true(nx_mptable_build(&f.vm) < 0);
	nx_mem_destroy(&f.vm.mem);
}

/* ACPI and the MP table share the BIOS area: building both keeps both valid. */
static void test_with_acpi(void **st)
{
	struct fixture *f = vm_with(2);
	struct counts k;

	assert_int_equal(nx_acpi_build(&f->vm), 0);
	assert_int_equal(nx_mptable_build(&f->vm), 0);
	assert_int_equal(nx_acpi_build(&f->vm), 0);
	walk(f, 2, &k);
	assert_int_equal(k.cpus, 2);
	const struct acpi_rsdp *r = nx_gpa(&f->vm.mem, NX_ACPI_BASE, 36);
	assert_memory_equal(r->signature, "RSD PTR ", 8);
	assert_int_equal(sum(r, 36), 0);
	vm_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_cpu),
		cmocka_unit_test(test_four_cpus),
		cmocka_unit_test(test_max_cpus),
		cmocka_unit_test(test_intx_rule),
		cmocka_unit_test(test_bad_cpu_count),
		cmocka_unit_test(test_with_acpi),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

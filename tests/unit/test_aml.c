/* Unit tests: the AML writer (core/x86/aml.c), byte by byte against ACPI 6.4
 * chapter 20 and the resource descriptors of 6.4. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "core/x86/aml.h"

static uint8_t buf[2 << 20];	/* room for a 4-byte PkgLength */

static struct nx_aml fresh(void)
{
	struct nx_aml a;

	memset(buf, 0xcc, sizeof(buf));
	nx_aml_init(&a, buf, sizeof(buf));
	return a;
}

#define EXPECT(a, ...) do {						\
	const uint8_t want[] = { __VA_ARGS__ };				\
	assert_int_equal(nx_aml_finish(&(a)), 0);			\
	assert_int_equal((a).len, sizeof(want));			\
	assert_memory_equal(buf, want, sizeof(want));			\
} while (0)

static void test_integers(void **st)
{
	struct nx_aml a = fresh();

	nx_aml_int(&a, 0);
	nx_aml_int(&a, 1);
	nx_aml_int(&a, 2);
	nx_aml_int(&a, 0x1234);
	nx_aml_int(&a, 0xfec00000);
	nx_aml_int(&a, 0x100000000ull);
	EXPECT(a, 0x00, 0x01, 0x0a, 0x02, 0x0b, 0x34, 0x12, 0x0c, 0x00, 0x00, 0xc0, 0xfe,
	       0x0e, 0, 0, 0, 0, 1, 0, 0, 0);
}

static void test_names(void **st)
{
	struct nx_aml a = fresh();

	nx_aml_namestring(&a, "_S5");
	nx_aml_namestring(&a, "\\_SB");
	nx_aml_namestring(&a, "\\_SB.PCI0");
	nx_aml_namestring(&a, "\\_SB.PCI0.S08");
	EXPECT(a, '_', 'S', '5', '_',
	       '\\', '_', 'S', 'B', '_',
	       '\\', 0x2e, '_', 'S', 'B', '_', 'P', 'C', 'I', '0',
	       '\\', 0x2f, 3, '_', 'S', 'B', '_', 'P', 'C', 'I', '0', 'S', '0', '8', '_');
	a = fresh();
	nx_aml_namestring(&a, "TOOLONG");
	assert_int_equal(nx_aml_finish(&a), -1);
}

/* EISAID: well-known values (PNP0A03 = 0x030ad041 little-endian). */
static void test_eisaid_uuid(void **st)
{
	struct nx_aml a = fresh();

	nx_aml_eisaid(&a, "PNP0A03");
	nx_aml_eisaid(&a, "PNP0A08");
	nx_aml_uuid(&a, "33db4d5b-1ff7-401c-9657-7441c03dd766");
	EXPECT(a, 0x0c, 0x41, 0xd0, 0x0a, 0x03, 0x0c, 0x41, 0xd0, 0x0a, 0x08,
	       0x11, 0x13, 0x0a, 0x10,
	       0x5b, 0x4d, 0xdb, 0x33, 0xf7, 0x1f, 0x1c, 0x40,
	       0x96, 0x57, 0x74, 0x41, 0xc0, 0x3d, 0xd7, 0x66);
}

/* Decodes a PkgLength (20.2.4) at p: returns its value, *n = its bytes. */
static size_t pkglen(const uint8_t *p, unsigned *n)
{
	size_t v;

	*n = (p[0] >> 6) + 1;
	if (*n == 1)
		return p[0] & 0x3f;
	v = p[0] & 0xf;
	for (unsigned i = 1; i < *n; i++)
		v |= (size_t)p[i] << (4 + 8 * (i - 1));
	return v;
}

/* A Package whose body is `body` bytes long (NumElements + ZeroOps):
 * PkgLength must count itself and pick the shortest encoding. */
static void check_pkg(size_t body, unsigned want_n)
{
	struct nx_aml a = fresh();
	unsigned n;

	nx_aml_package(&a, 1);
	for (size_t i = 1; i < body; i++)
		nx_aml_byte(&a, 0x00);
	nx_aml_end(&a);
	assert_int_equal(nx_aml_finish(&a), 0);
	assert_int_equal(buf[0], 0x12);
	assert_int_equal(pkglen(buf + 1, &n), body + want_n);
	assert_int_equal(n, want_n);
	assert_int_equal(a.len, 1 + want_n + body);
	assert_int_equal(buf[1 + n], 1);	/* NumElements moved behind it */
}

static void test_pkglength_boundaries(void **st)
{
	check_pkg(1, 1);
	check_pkg(62, 1);		/* 62 + 1 = 63: the largest 1-byte value */
	check_pkg(63, 2);
	check_pkg(0xfff - 2, 2);	/* 0xfff: the largest 2-byte value */
	check_pkg(0xfff - 1, 3);
	check_pkg(0xfffff - 3, 3);
	check_pkg(0xfffff - 2, 4);
}

/* Nested objects: the inner length is encoded before the outer one grows. */
static void test_nesting(void **st)
{
	struct nx_aml a = fresh();

	nx_aml_scope(&a, "\\_SB");
	nx_aml_device(&a, "PCI0");
	nx_aml_name(&a, "_UID");
	nx_aml_int(&a, 0);
	nx_aml_method(&a, "_OSC", 4, false);
	nx_aml_byte(&a, AML_RETURN);
	nx_aml_byte(&a, AML_ARG(3));
	nx_aml_end(&a);
	nx_aml_end(&a);
	nx_aml_end(&a);
	EXPECT(a, 0x10, 0x1c, '\\', '_', 'S', 'B', '_',
	       0x5b, 0x82, 0x14, 'P', 'C', 'I', '0',
	       0x08, '_', 'U', 'I', 'D', 0x00,
	       0x14, 0x08, '_', 'O', 'S', 'C', 0x04, 0xa4, 0x6b);
}

static void test_unbalanced_and_overflow(void **st)
{
	struct nx_aml a = fresh();

	nx_aml_scope(&a, "\\_SB");
	assert_int_equal(nx_aml_finish(&a), -1);	/* left open */
	a = fresh();
	nx_aml_end(&a);
	assert_int_equal(nx_aml_finish(&a), -1);	/* closed what was never opened */

	nx_aml_init(&a, buf, 4);
	nx_aml_bytes(&a, "abcdef", 6);			/* 6 bytes into 4 */
	assert_int_equal(nx_aml_finish(&a), -1);
	assert_true(a.len <= 4);
	nx_aml_init(&a, buf, 3);
	nx_aml_package(&a, 0);				/* fits: op + count */
	nx_aml_byte(&a, 0);
	nx_aml_end(&a);					/* no room for the PkgLength */
	assert_int_equal(nx_aml_finish(&a), -1);
}

/* 6.4 resource descriptors and the End Tag checksum. */
static void test_resource_template(void **st)
{
	uint8_t rtbuf[128];
	struct nx_aml a = fresh(), rt;
	uint8_t sum = 0;

	nx_aml_init(&rt, rtbuf, sizeof(rtbuf));
	nx_aml_rt_io(&rt, 0xcf8, 8);
	nx_aml_rt_window(&rt, 16, NX_AML_SPACE_BUS, false, 0, 0);
	nx_aml_rt_window(&rt, 32, NX_AML_SPACE_MEM, false, 0xc0000000, 0xdfffffff);
	nx_aml_rt_window(&rt, 64, NX_AML_SPACE_MEM, true, 1ull << 32, (9ull << 32) - 1);
	nx_aml_resource_template(&a, &rt);
	assert_int_equal(nx_aml_finish(&a), 0);
	assert_int_equal(rt.len, 8 + 16 + 26 + 46 + 2);
	/* IO: 0x47, Decode16, min, max, alignment, length */
	const uint8_t io[] = { 0x47, 0x01, 0xf8, 0x0c, 0xf8, 0x0c, 0x01, 0x08 };
	assert_memory_equal(rtbuf, io, sizeof(io));
	/* Word bus range: length 13, type 2, MIF|MAF, len 1 */
	const uint8_t bus[] = { 0x88, 0x0d, 0x00, 0x02, 0x0c, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0 };
	assert_memory_equal(rtbuf + 8, bus, sizeof(bus));
	/* DWord memory: length 23, type 0, read-write non-cacheable, len 512 MiB */
	const uint8_t m32[] = { 0x87, 0x17, 0x00, 0x00, 0x0c, 0x01, 0, 0, 0, 0,
				0x00, 0x00, 0x00, 0xc0, 0xff, 0xff, 0xff, 0xdf,
				0, 0, 0, 0, 0x00, 0x00, 0x00, 0x20 };
	assert_memory_equal(rtbuf + 24, m32, sizeof(m32));
	/* QWord: length 43, cacheable read-write */
	assert_int_equal(rtbuf[50], 0x8a);
	assert_int_equal(rtbuf[51], 0x2b);
	assert_int_equal(rtbuf[55], 0x03);
	/* End Tag 0x79 and a checksum that zeroes the sum. */
	assert_int_equal(rtbuf[rt.len - 2], 0x79);
	for (size_t i = 0; i < rt.len; i++)
		sum += rtbuf[i];
	assert_int_equal(sum, 0);
	/* ... wrapped in Buffer (len) { ... } */
	assert_int_equal(buf[0], 0x11);
	assert_memory_equal(buf + a.len - rt.len, rtbuf, rt.len);

	/* A window that does not fit its width is refused. */
	nx_aml_init(&rt, rtbuf, sizeof(rtbuf));
	nx_aml_rt_window(&rt, 16, NX_AML_SPACE_IO, false, 0, 0x10000);
	a = fresh();
	nx_aml_resource_template(&a, &rt);
	assert_int_equal(nx_aml_finish(&a), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_integers),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_eisaid_uuid),
		cmocka_unit_test(test_pkglength_boundaries),
		cmocka_unit_test(test_nesting),
		cmocka_unit_test(test_unbalanced_and_overflow),
		cmocka_unit_test(test_resource_template),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

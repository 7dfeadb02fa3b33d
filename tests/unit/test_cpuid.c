/* Unit tests: CPUID leaf 0xD made consistent with the features offered
 * (core/x86/cpuid.c nx_cpuid_xsave_fixup). The entries mimic what
 * KVM_GET_SUPPORTED_CPUID returns on an AVX host, as in the nested L1. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <linux/kvm.h>
#include "core/vm.h"
#include "core/x86/x86.h"

#define XSAVE	(1u << 26)
#define AVX	(1u << 28)
#define AVX512F	(1u << 16)

enum { L1, L7, D0, D1, D2, D5, D6, D7, N };

static void host(struct kvm_cpuid_entry2 *e, uint32_t l1_ecx, uint32_t l7_ebx, uint32_t xcr0)
{
	memset(e, 0, N * sizeof(*e));
	e[L1] = (struct kvm_cpuid_entry2){ .function = 1, .ecx = l1_ecx };
	e[L7] = (struct kvm_cpuid_entry2){ .function = 7, .ebx = l7_ebx };
	/* KVM: EAX = XCR0 bits supported, EBX = size for the reset XCR0 (x87
	 * only: 576), ECX = size for all of them. */
	e[D0] = (struct kvm_cpuid_entry2){ .function = 0xd, .index = 0, .eax = xcr0,
					    .ebx = 576, .ecx = 2696 };
	e[D1] = (struct kvm_cpuid_entry2){ .function = 0xd, .index = 1, .eax = 5 };
	e[D2] = (struct kvm_cpuid_entry2){ .function = 0xd, .index = 2, .eax = 256, .ebx = 576 };
	e[D5] = (struct kvm_cpuid_entry2){ .function = 0xd, .index = 5, .eax = 64, .ebx = 1088 };
	e[D6] = (struct kvm_cpuid_entry2){ .function = 0xd, .index = 6, .eax = 512, .ebx = 1152 };
	e[D7] = (struct kvm_cpuid_entry2){ .function = 0xd, .index = 7, .eax = 1024, .ebx = 1664 };
}

/* AVX offered: XCR0 x87|SSE|AVX, both sizes 576 + 256. */
static void test_avx(void **st)
{
	struct kvm_cpuid_entry2 e[N];

	host(e, XSAVE | AVX, 0, 0x7);
	assert_int_equal(nx_cpuid_xsave_fixup(e, N), 0x7);
	assert_int_equal(e[D0].eax, 0x7);
	assert_int_equal(e[D0].ebx, 832);
	assert_int_equal(e[D0].ecx, 832);
	assert_int_equal(e[D2].eax, 256);
	assert_int_equal(e[D1].eax, 5);		/* sub-leaf 1 (instructions) untouched */
}

/* KVM lists AVX-512 state but leaf 7 does not offer AVX-512F (hidden, or
 * a CPU model without it): the state components go, with their sub-leaves. */
static void test_avx512_not_offered(void **st)
{
	struct kvm_cpuid_entry2 e[N];

	host(e, XSAVE | AVX, 0, 0xe7);
	assert_int_equal(nx_cpuid_xsave_fixup(e, N), 0x7);
	assert_int_equal(e[D0].eax, 0x7);
	assert_int_equal(e[D0].ecx, 832);
	for (int i = D5; i <= D7; i++)
		assert_true(e[i].eax == 0 && e[i].ebx == 0);

	host(e, XSAVE | AVX, AVX512F, 0xe7);
	assert_int_equal(nx_cpuid_xsave_fixup(e, N), 0xe7);
	assert_int_equal(e[D0].ecx, 1664 + 1024);
	assert_int_equal(e[D0].ebx, 2688);
}

/* --cpuid-hide avx: no YMM state either, x87|SSE = 576 bytes. */
static void test_avx_hidden(void **st)
{
	struct kvm_cpuid_entry2 e[N];

	host(e, XSAVE, 0, 0x7);
	assert_int_equal(nx_cpuid_xsave_fixup(e, N), 0x3);
	assert_int_equal(e[D0].eax, 0x3);
	assert_int_equal(e[D0].ebx, 576);
	assert_int_equal(e[D0].ecx, 576);
	assert_int_equal(e[D2].eax, 0);
}

/* A component whose sub-leaf gives no size cannot be offered. */
static void test_component_without_size(void **st)
{
	struct kvm_cpuid_entry2 e[N];

	host(e, XSAVE | AVX, 0, 0x7);
	e[D2].eax = 0;
	assert_int_equal(nx_cpuid_xsave_fixup(e, N), 0x3);
	assert_int_equal(e[D0].ecx, 576);
}

/* --cpuid-hide xsave: leaf 0xD is left alone and no XCR0 is set. */
static void test_no_xsave(void **st)
{
	struct kvm_cpuid_entry2 e[N];

	host(e, AVX, 0, 0x7);
	assert_int_equal(nx_cpuid_xsave_fixup(e, N), 0);
	assert_int_equal(e[D0].eax, 0x7);
	assert_int_equal(e[D0].ebx, 576);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_avx),
		cmocka_unit_test(test_avx512_not_offered),
		cmocka_unit_test(test_avx_hidden),
		cmocka_unit_test(test_component_without_size),
		cmocka_unit_test(test_no_xsave),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Unit tests: nexit bench's statistics, PROBE parsing, smaps accounting and
 * VMM command lines (bench/). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>
#include <json-c/json.h>
#include "core/vm.h"
#include "bench/bench.h"

static void test_quantiles(void **state)
{
	double v[] = { 5, 1, 3, 2, 4 };

	assert_float_equal(nxb_median(v, 5), 3, 1e-12);
	assert_float_equal(nxb_quantile(v, 5, 0.0), 1, 1e-12);
	assert_float_equal(nxb_quantile(v, 5, 1.0), 5, 1e-12);
	/* type 7: h = (n-1) q = 3.96 -> 4 + 0.96 * (5 - 4) */
	assert_float_equal(nxb_quantile(v, 5, 0.99), 4.96, 1e-12);
	assert_float_equal(nxb_median(v, 4), 2.5, 1e-12);	/* 5 1 3 2 -> 1 2 3 5 */
	assert_true(nxb_median(v, 0) != nxb_median(v, 0));	/* NaN */
}

static void test_ratio_ci(void **state)
{
	/* ln of these: mean -0.650863, sd 0.105237 (computed with libm). */
	double r[] = { 0.5, 0.6, 0.55, 0.45, 0.52 };
	struct nxb_ci ci;

	nxb_ratio_ci(r, 5, &ci);
	assert_int_equal(ci.n, 5);
	assert_float_equal(ci.mean, 0.521603, 1e-6);
	assert_float_equal(ci.lo, 0.456572, 1e-6);	/* t(0.975, 4) = 2.776 */
	assert_float_equal(ci.hi, 0.595896, 1e-6);
	/* Identical ratios: a zero-width interval around them. */
	double same[] = { 2, 2, 2 };
	nxb_ratio_ci(same, 3, &ci);
	assert_float_equal(ci.mean, 2, 1e-9);
	assert_float_equal(ci.lo, 2, 1e-9);
	assert_float_equal(ci.hi, 2, 1e-9);
	/* One usable ratio: a mean but no interval; zeros are skipped. */
	double one[] = { 0, 3 };
	nxb_ratio_ci(one, 2, &ci);
	assert_int_equal(ci.n, 1);
	assert_float_equal(ci.mean, 3, 1e-9);
	assert_true(ci.lo != ci.lo);
	assert_float_equal(nxb_t95(1), 12.706, 1e-9);
	assert_float_equal(nxb_t95(1000), 1.96, 1e-9);
}

static void test_probe_line(void **state)
{
	const char out[] = "probe: booting\nPROBE {\"result\":\"fail\"}\nnoise\n"
			   "PROBE {\"scenario\":\"msi-latency\",\"p50_ns\":10843,\"lat_p99_ns\":12000,"
			   "\"vmm_exits_per_irq\":0,\"device\":\"00:01.0\",\"result\":\"pass\"}\n";
	struct json_object *o = nxb_probe_json(out, strlen(out));
	const char *key = NULL;
	char last[64];
	double v;

	assert_non_null(o);		/* the last PROBE line wins */
	assert_true(nxb_json_num(o, "p50_ns", &v));
	assert_float_equal(v, 10843, 0);
	assert_false(nxb_json_num(o, "device", &v));	/* not a number */
	assert_true(nxb_json_find(o, "", "p50_ns", &v, &key));	/* exact key first */
	assert_float_equal(v, 10843, 0);
	assert_true(nxb_json_find(o, "", "p99_ns", &v, &key));	/* then "<x>_p99_ns" */
	assert_string_equal(key, "lat_p99_ns");
	assert_false(nxb_json_find(o, "", "p999_ns", &v, &key));
	json_object_put(o);

	assert_null(nxb_probe_json("no result\n", 10));
	assert_null(nxb_probe_json("PROBE {not json\n", 16));
	nxb_last_line("a\nlast | line\n\n", 15, last, sizeof(last));
	assert_string_equal(last, "last   line");	/* '|' would break a table */
}

static void test_smaps_guest_ram(void **state)
{
	const size_t ram = 8 << 20, touched = 2 << 20;
	uint64_t total, guest, ttotal, tguest;
	int fd = memfd_create("nexit-ram", 0), nproc;
	uint8_t *p;

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, ram), 0);
	p = mmap(NULL, ram, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	assert_true(p != MAP_FAILED);
	memset(p, 1, touched);
	assert_int_equal(nxb_smaps_rss(getpid(), 1ull << 40, "nexit-ram", &total, &guest), 0);
	assert_true(guest >= touched / 1024 && guest < ram / 1024);
	assert_true(total > guest);
	assert_int_equal(nxb_tree_rss(getpid(), 1ull << 40, "nexit-ram", &ttotal, &tguest, &nproc), 0);
	assert_true(nproc >= 1 && tguest >= guest);
	/* Not named: an anonymous mapping as large as guest RAM is guest RAM. */
	uint8_t *a = mmap(NULL, ram, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(a != MAP_FAILED);
	memset(a, 1, touched);
	assert_int_equal(nxb_smaps_rss(getpid(), ram, NULL, &total, &guest), 0);
	assert_true(guest >= touched / 1024);
	munmap(a, ram);
	munmap(p, ram);
	close(fd);
	assert_int_equal(nxb_smaps_rss(999999999, ram, NULL, &total, &guest), -1);
}

static bool has_arg(const struct nxb_argv *a, const char *s)
{
	for (int i = 0; i < a->n; i++)
		if (!strcmp(a->v[i], s))
			return true;
	return false;
}

static void test_vm_argv(void **state)
{
	struct nxb_opts o;
	struct nxb_vmcfg c;
	struct nxb_argv a;

	memset(&o, 0, sizeof(o));
	strcpy(o.nexit, "build/nexit");
	strcpy(o.probe, "build/guest/probe.elf");
	strcpy(o.qemu, "qemu-system-x86_64");
	o.timeout_s = 20;
	memset(&c, 0, sizeof(c));
	c.vmm = NXB_NEXIT;
	c.irqchip = "kernel";
	c.edu = true;
	c.wait = "poll";
	strcpy(c.cmdline, "scenario=msi-latency n=5");
	assert_int_equal(nxb_vm_argv(&o, &c, "/tmp/s.json", "", &a), 0);
	assert_string_equal(a.v[0], "build/nexit");
	assert_true(has_arg(&a, "scenario=msi-latency n=5"));	/* one argv word */
	assert_true(has_arg(&a, "irqdev,wait=poll"));
	assert_true(has_arg(&a, "kernel"));
	assert_true(has_arg(&a, "/tmp/s.json"));
	assert_null(a.v[a.n]);

	c.vmm = NXB_QEMU;
	c.irqchip = "on";
	c.perf_events = "kvm:kvm_userspace_exit";
	assert_int_equal(nxb_vm_argv(&o, &c, "", "/tmp/p.csv", &a), 0);
	assert_string_equal(a.v[0], "perf");
	assert_true(has_arg(&a, "host,-arch-capabilities"));	/* -cpu host aborts on MSR 0x10a */
	assert_true(has_arg(&a, "q35,kernel-irqchip=on"));
	assert_true(has_arg(&a, "edu"));
	assert_true(has_arg(&a, "isa-debug-exit,iobase=0xf4,iosize=4"));
	c.qmp = "/tmp/q.sock";
	c.perf_events = NULL;
	assert_int_equal(nxb_vm_argv(&o, &c, "", "", &a), 0);
	assert_false(has_arg(&a, "isa-debug-exit,iobase=0xf4,iosize=4"));	/* leaves by S5 */
	assert_true(has_arg(&a, "-no-shutdown"));
	assert_true(has_arg(&a, "unix:/tmp/q.sock,server=on,wait=off"));
	c.qmp = NULL;
	c.fast_boot = true;
	assert_int_equal(nxb_vm_argv(&o, &c, "", "", &a), 0);
	assert_true(has_arg(&a, "microvm"));
}

/* The bench re-run in L1: the user's --out (both spellings) is dropped and
 * OUT given once, last (the report's command line named two before). */
static void test_l1_argv(void **state)
{
	struct nxb_opts o;
	struct nxb_argv a;
	char *argv[] = { "bench", "--quick", "--out", "/home/u/r", "--out=/x", "--only", "vfio", NULL };
	int outs = 0;

	memset(&o, 0, sizeof(o));
	strcpy(o.nexit, "build/nexit");
	strcpy(o.probe, "build/guest/probe.elf");
	o.mode = NXB_QUICK;
	o.rounds = 12;
	assert_int_equal(nxb_l1_argv(&o, "tools/l1.sh", 7, argv, NULL, "/home/u/r/l1", &a), 0);
	for (int i = 0; i < a.n; i++)
		outs += !strncmp(a.v[i], "--out", 5);
	assert_int_equal(outs, 1);
	assert_string_equal(a.v[a.n - 2], "--out");
	assert_string_equal(a.v[a.n - 1], "/home/u/r/l1");
	assert_false(has_arg(&a, "/home/u/r"));
	assert_true(has_arg(&a, "--quick") && has_arg(&a, "vfio"));
	assert_string_equal(a.v[0], "tools/l1.sh");
	assert_null(a.v[a.n]);

	assert_int_equal(nxb_l1_argv(&o, "tools/l1.sh", 0, NULL, "vfio-intx", "/o", &a), 0);
	assert_true(has_arg(&a, "vfio-intx") && has_arg(&a, "12") && has_arg(&a, "build/guest/probe.elf"));
	assert_string_equal(a.v[a.n - 1], "/o");
}

static void test_rows(void **state)
{
	static struct nxb_results r;
	struct nxb_row *row = nxb_row_get(&r, "msi", "raise", "p99_ns", "ns", true);
	double v;

	assert_ptr_equal(row, nxb_row_get(&r, "msi", "raise", "p99_ns", "ns", true));
	assert_int_equal(r.nrows, 1);
	nxb_row_add(row, NXB_NEXIT, 3, 100);
	nxb_row_add(row, NXB_NEXIT, 1, 100);
	nxb_row_add(row, NXB_NEXIT, 2, 100);
	assert_true(nxb_series_value(&row->s[NXB_NEXIT], &v));
	assert_float_equal(v, 2, 0);
	assert_float_equal(row->s[NXB_NEXIT].samples, 300, 0);
	nxb_row_fail(row, NXB_QEMU, "first %d", 1);
	nxb_row_fail(row, NXB_QEMU, "second");
	assert_string_equal(row->s[NXB_QEMU].reason, "first 1");	/* the cause */
	assert_false(nxb_series_value(&row->s[NXB_QEMU], &v));
	assert_non_null(nxb_case_find("net"));
	assert_null(nxb_case_find("nope"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quantiles),
		cmocka_unit_test(test_ratio_ci),
		cmocka_unit_test(test_probe_line),
		cmocka_unit_test(test_smaps_guest_ram),
		cmocka_unit_test(test_vm_argv),
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_l1_argv),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: MIT */
/*
 * test_tune.c - host audit and profiles: parsers (cpulist, cmdline, ACPI
 * DMAR/MADT), the probe of the fake sysroots in tests/fixtures and the
 * verdicts they give, verdict changes when one precondition is removed,
 * profile validation and the host change plan. Run from the repo root.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <linux/kvm.h>

#include "core/vm.h"

#include "tune/tune.h"

#define FIX "tests/fixtures/"

static struct nx_host *probe(const char *root)
{
	struct nx_host *h = calloc(1, sizeof(*h));

	assert_non_null(h);
	assert_int_equal(nx_host_probe(h, root), 0);
	return h;
}

static const char *verdict(const struct nx_host *h, enum nx_path_id p)
{
	return h->v[p].verdict;
}

static void test_cpulist(void **state)
{
	uint64_t m;
	char s[64];

	assert_int_equal(nx_cpulist_parse("0-3,8,10-11\n", &m), 0);
	assert_int_equal(m, 0xd0fULL);
	nx_cpulist_format(m, s, sizeof(s));
	assert_string_equal(s, "0-3,8,10-11");
	assert_int_equal(nx_cpulist_parse("", &m), 0);
	assert_int_equal(m, 0);
	assert_int_equal(nx_cpulist_parse("3-1", &m), -1);
	assert_int_equal(nx_cpulist_parse("1,x", &m), -1);
	assert_int_equal(nx_cpulist_parse("64", &m), -1);
	nx_cpulist_format(1ULL << 63 | 1, s, sizeof(s));
	assert_string_equal(s, "0,63");
}

static void test_cmdline(void **state)
{
	const char *cl = "ro intremap=on,nopost nointremap kvm-arm.vgic_v4_enable=1 -- intel_iommu=off";
	char v[32];

	assert_int_equal(nx_cmdline_get(cl, "intremap", v, sizeof(v)), 1);
	assert_string_equal(v, "on,nopost");
	assert_int_equal(nx_cmdline_get(cl, "nointremap", v, sizeof(v)), 1);
	assert_string_equal(v, "");
	assert_int_equal(nx_cmdline_get(cl, "kvm-arm.vgic_v4_enable", v, sizeof(v)), 1);
	assert_string_equal(v, "1");
	/* after "--" the words belong to init */
	assert_int_equal(nx_cmdline_get(cl, "intel_iommu", v, sizeof(v)), 0);
	/* prefix of another key does not match */
	assert_int_equal(nx_cmdline_get(cl, "intrem", v, sizeof(v)), 0);
}

static void acpi_hdr(uint8_t *t, const char *sig, uint32_t len)
{
	memset(t, 0, len);
	memcpy(t, sig, 4);
	memcpy(t + 4, &len, 4);
}

static void test_acpi(void **state)
{
	uint8_t t[128];
	int ver, its;

	acpi_hdr(t, "DMAR", 48);
	t[36] = 45;
	t[37] = 0x03;		/* INTR_REMAP | X2APIC_OPT_OUT */
	assert_int_equal(nx_acpi_dmar_flags(t, 48), 3);
	assert_int_equal(nx_acpi_dmar_flags(t, 30), -1);
	t[0] = 'X';
	assert_int_equal(nx_acpi_dmar_flags(t, 48), -1);

	/* MADT: header + 8, GICD v4 (type 0xC len 24), ITS (type 0xF len 20) */
	acpi_hdr(t, "APIC", 44 + 24 + 20);
	t[44] = 0x0c; t[45] = 24; t[44 + 20] = 4;
	t[68] = 0x0f; t[69] = 20;
	assert_int_equal(nx_acpi_madt_gic(t, sizeof(t), &ver, &its), 0);
	assert_int_equal(ver, 4);
	assert_int_equal(its, 1);
	/* an entry running past the table is rejected */
	t[69] = 40;
	assert_int_equal(nx_acpi_madt_gic(t, sizeof(t), &ver, &its), -1);
	/* x86 MADT without GIC entries */
	acpi_hdr(t, "APIC", 44);
	assert_int_equal(nx_acpi_madt_gic(t, 44, &ver, &its), 0);
	assert_int_equal(ver, 0);
	assert_int_equal(its, 0);
}

static void test_intel_host(void **state)
{
	struct nx_host *h = probe(FIX "sysroot-intel");

	assert_int_equal(h->arch, NX_ARCH_X86);
	assert_int_equal(h->flavour, NX_KVM_INTEL);
	assert_true(h->kvm.usable && h->kvm.fake);
	assert_int_equal(h->kvm.caps[NX_KCAP_SPLIT_IRQCHIP], 1);
	assert_int_equal(h->apicv, 1);
	assert_int_equal(h->ipiv, 1);
	assert_int_equal(h->cpu_posted_intr, 1);
	assert_int_equal(h->iommu, NX_IOMMU_INTEL);
	assert_int_equal(h->iommu_units, 2);
	assert_int_equal(h->iommu_pi, 1);
	assert_int_equal(h->ir_enabled, 1);
	assert_int_equal(h->dmar_ir_flag, 1);
	assert_true(h->vfio_dev && h->vfio_pci);
	assert_string_equal(h->isolated_s, "2-3");
	assert_string_equal(h->governor, "powersave");
	assert_int_equal(h->irqbalance_pid, 733);
	assert_int_equal(h->halt_poll_ns, 200000);
	assert_string_equal(verdict(h, NX_PATH_ASSIGNED_MSI), "posted");
	assert_string_equal(verdict(h, NX_PATH_BACKEND_MSI), "exitless");
	assert_string_equal(verdict(h, NX_PATH_INTX), "fallback");
	assert_string_equal(h->v[NX_PATH_INTX].how, "split irqchip EOI-gated");
	assert_string_equal(verdict(h, NX_PATH_IPI), "posted");
	assert_true(h->posted_available);

	/* one precondition removed at a time: posted -> exitless, with the reason */
	h->apicv = 0;
	nx_host_verdicts(h);
	assert_string_equal(verdict(h, NX_PATH_ASSIGNED_MSI), "exitless");
	assert_non_null(strstr(h->v[NX_PATH_ASSIGNED_MSI].reason, "APICv is off"));
	assert_string_equal(verdict(h, NX_PATH_IPI), "exit");
	h->apicv = 1;
	snprintf(h->cmdline_block, sizeof(h->cmdline_block), "intremap=nopost");
	nx_host_verdicts(h);
	assert_string_equal(verdict(h, NX_PATH_ASSIGNED_MSI), "exitless");
	assert_non_null(strstr(h->posted_reason, "intremap=nopost"));
	h->cmdline_block[0] = 0;
	h->iommu_pi = 0;
	nx_host_verdicts(h);
	assert_non_null(strstr(h->posted_reason, "CAP.PI"));
	h->iommu_pi = 1;
	h->kvm.caps[NX_KCAP_IRQFD] = 0;
	nx_host_verdicts(h);
	assert_string_equal(verdict(h, NX_PATH_ASSIGNED_MSI), "fallback");
	assert_string_equal(verdict(h, NX_PATH_BACKEND_MSI), "fallback");
	h->kvm.caps[NX_KCAP_IRQFD] = 1;
	h->kvm.caps[NX_KCAP_SPLIT_IRQCHIP] = 0;
	nx_host_verdicts(h);
	assert_string_equal(h->v[NX_PATH_INTX].how, "kernel irqchip resample");
	free(h);
}

static void test_amd_host(void **state)
{
	struct nx_host *h = probe(FIX "sysroot-amd");

	assert_int_equal(h->flavour, NX_KVM_AMD);
	assert_int_equal(h->avic, 1);
	assert_int_equal(h->iommu, NX_IOMMU_AMD);
	assert_int_equal(h->iommu_pi, 1);	/* EFR GASup */
	assert_true(h->acpi_ivrs);
	assert_string_equal(verdict(h, NX_PATH_ASSIGNED_MSI), "posted");
	assert_non_null(strstr(h->v[NX_PATH_ASSIGNED_MSI].reason, "AVIC"));
	assert_string_equal(verdict(h, NX_PATH_IPI), "posted");
	assert_int_equal(h->isolated, 0);
	assert_string_equal(h->governor, "schedutil");
	assert_int_equal(h->irqbalance_pid, 0);

	h->avic = 0;
	nx_host_verdicts(h);
	assert_string_equal(verdict(h, NX_PATH_ASSIGNED_MSI), "exitless");
	assert_non_null(strstr(h->posted_reason, "AVIC is off"));
	free(h);
}

static void test_arm64_host(void **state)
{
	struct nx_host *h = probe(FIX "sysroot-arm64");

	assert_int_equal(h->arch, NX_ARCH_ARM64);
	assert_int_equal(h->flavour, NX_KVM_ARM64);
	assert_int_equal(h->gic_version, 4);
	assert_int_equal(h->gic_its, 1);
	assert_int_equal(h->vgic_v4_enable, 1);
	assert_string_equal(h->gic_source, "ACPI MADT");
	assert_string_equal(verdict(h, NX_PATH_ASSIGNED_MSI), "posted");
	assert_non_null(strstr(h->v[NX_PATH_ASSIGNED_MSI].reason, "GICv4"));
	assert_string_equal(verdict(h, NX_PATH_INTX), "fallback");
	assert_string_equal(h->v[NX_PATH_INTX].how, "vGIC SPI resample");

	h->vgic_v4_enable = 0;
	nx_host_verdicts(h);
	assert_string_equal(verdict(h, NX_PATH_ASSIGNED_MSI), "exitless");
	assert_non_null(strstr(h->posted_reason, "vgic_v4_enable"));
	h->vgic_v4_enable = 1;
	h->gic_version = 3;
	nx_host_verdicts(h);
	assert_string_equal(verdict(h, NX_PATH_ASSIGNED_MSI), "exitless");
	assert_non_null(strstr(h->posted_reason, "GIC is v3"));
	free(h);
}

static void test_nokvm_host(void **state)
{
	struct nx_host *h = probe(FIX "sysroot-nokvm");

	assert_false(h->kvm.dev_present);
	assert_false(h->kvm.usable);
	/* the fixture's kernel has kvm_pvm loaded but no /dev/kvm: no flavour */
	assert_string_equal(h->kvm_modules, "kvm_pvm");
	assert_int_equal(h->flavour, NX_KVM_NONE);
	for (int i = 0; i < NX_PATH_COUNT; i++)
		assert_string_equal(verdict(h, i), "unavailable");
	assert_false(h->posted_available);
	assert_non_null(strstr(h->posted_reason, "no /dev/kvm"));
	free(h);
}

static void test_real_host(void **state)
{
	struct nx_host *h = probe("/");

	/* whatever this machine is, every path has a verdict and a reason */
	for (int i = 0; i < NX_PATH_COUNT; i++) {
		assert_non_null(h->v[i].verdict);
		assert_true(strlen(h->v[i].reason) > 0);
	}
	/* what /dev/kvm answers decides, whatever modules are loaded */
	if (h->kvm.kind.kind == NX_KVM_KIND_NONE) {
		assert_int_equal(h->flavour, NX_KVM_NONE);
		assert_false(h->posted_available);
		assert_non_null(strstr(h->posted_reason, "no KVM runs here"));
	} else if (h->kvm.kind.kind == NX_KVM_KIND_PROBE) {
		assert_false(h->posted_available);
		assert_non_null(strstr(h->posted_reason, "in software"));
	}
	free(h);
}

static void test_profiles_shipped(void **state)
{
	static const char *names[] = { "latency", "throughput", "appliance" };
	struct nx_profile *p = calloc(1, sizeof(*p));
	char path[NX_TUNE_PATH];

	for (int i = 0; i < 3; i++) {
		assert_int_equal(nx_profile_find(names[i], path, sizeof(path)), 0);
		assert_int_equal(nx_profile_parse(p, path), 0);
		assert_string_equal(p->name, names[i]);
	}
	assert_int_equal(nx_profile_parse(p, "tune/profiles/latency.ini"), 0);
	assert_int_equal(p->pin, NX_PIN_1TO1);
	assert_true(p->isolated_only);
	assert_int_equal(p->sched_fifo, 10);
	assert_true(p->mlock);
	assert_string_equal(p->governor, "performance");
	assert_int_equal(p->irqbalance, 0);
	assert_int_equal(p->irq_affinity, NX_IRQAFF_AUTO);
	/* 1:1 on the Intel host's isolated CPUs */
	assert_int_equal(nx_profile_resolve(p, FIX "sysroot-intel"), 0);
	assert_int_equal(p->ncpus, 2);
	assert_int_equal(nx_profile_vcpu_cpu(p, 0), 2);
	assert_int_equal(nx_profile_vcpu_cpu(p, 1), 3);
	assert_int_equal(nx_profile_find("no-such-profile", path, sizeof(path)), -1);
	assert_int_equal(nx_profile_find("../etc", path, sizeof(path)), -1);
	free(p);
}

static int write_profile(char *path, const char *text)
{
	int fd;

	strcpy(path, "/tmp/nexit-test-profile-XXXXXX");
	fd = mkstemp(path);
	if (fd < 0)
		return -1;
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		close(fd);
		return -1;
	}
	return close(fd);
}

static void test_profile_errors(void **state)
{
	static const char *bad[] = {
		"[host]\ngovernor = fast\n",
		"[host]\nturbo = on\n",
		"[vm]\nsched_fifo = 100\n",
		"[vm]\npin_vcpus = 1:2\n",
		"[vm]\nmlock = maybe\n",
		"[vm]\nhalt_poll_ns = -5\n",
		"[host]\nhugepages_2m = 12abc\n",
		"[host]\nirq_affinity = 3-1\n",
		"[cpu]\nx = 1\n",
		"[host]\nthis line has no equals sign\n",
	};
	struct nx_profile *p = calloc(1, sizeof(*p));
	char path[64];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(write_profile(path, bad[i]), 0);
		assert_int_equal(nx_profile_parse(p, path), -1);
		unlink(path);
	}
	assert_int_equal(write_profile(path, "; ok\n[vm]\npin_vcpus = 3,1\nsched_fifo = 0\n"), 0);
	assert_int_equal(nx_profile_parse(p, path), 0);
	assert_int_equal(p->pin, NX_PIN_LIST);
	assert_int_equal(p->npin, 2);
	assert_int_equal(p->pin_list[0], 3);
	assert_int_equal(p->pin_list[1], 1);
	/* CPU 3 is online on the Intel fixture but not on a 2-CPU host */
	assert_int_equal(nx_profile_resolve(p, FIX "sysroot-intel"), 0);
	assert_int_equal(nx_profile_vcpu_cpu(p, 0), 3);
	assert_int_equal(nx_profile_resolve(p, FIX "sysroot-nokvm"), -1);
	unlink(path);
	free(p);
}

static void test_plan(void **state)
{
	struct nx_host *h = probe(FIX "sysroot-intel");
	struct nx_profile *p = calloc(1, sizeof(*p));
	struct nx_plan *pl = calloc(1, sizeof(*pl));
	int gov = 0, irq = 0, hp = 0, ib = 0;

	assert_int_equal(nx_profile_parse(p, "tune/profiles/latency.ini"), 0);
	assert_int_equal(nx_profile_resolve(p, FIX "sysroot-intel"), 0);
	assert_int_equal(nx_plan_build(pl, p, h), 0);
	for (int i = 0; i < pl->n; i++) {
		const struct nx_change *c = &pl->c[i];

		if (strstr(c->what, "governor")) {
			gov++;
			assert_string_equal(c->cur, "powersave");
			assert_string_equal(c->val, "performance");
		} else if (!strcmp(c->what, "irq 140 affinity")) {
			irq++;
			assert_string_equal(c->cur, "0-3");
			assert_string_equal(c->val, "2");	/* vector 0 -> vCPU0's CPU */
		} else if (!strcmp(c->what, "irq 141 affinity")) {
			irq++;
			assert_string_equal(c->val, "3");
		} else if (!strcmp(c->what, "hugepages 2M")) {
			hp++;
			assert_string_equal(c->val, "512");
		} else if (c->kind == NX_CH_IRQBALANCE) {
			ib++;
			assert_int_equal(c->pid, 733);
		}
	}
	assert_int_equal(gov, 4);
	assert_int_equal(irq, 2);
	assert_int_equal(hp, 1);
	assert_int_equal(ib, 1);
	free(pl);
	free(p);
	free(h);
}

struct vcpu_arg {
	struct nx_profile *p;
	struct nx_vcpu vcpu;
	int rc;
	cpu_set_t set;
};

static void *vcpu_thread(void *arg)
{
	struct vcpu_arg *a = arg;

	a->rc = nx_profile_apply_vcpu(a->p, &a->vcpu);
	sched_getaffinity(0, sizeof(a->set), &a->set);
	return NULL;
}

static void *vcpu_start_thread(void *arg)
{
	struct vcpu_arg *a = arg;
	struct nx_vm *vm = a->vcpu.vm;

	vm->vcpu_start(vm->vcpu_start_opaque, &a->vcpu);
	sched_getaffinity(0, sizeof(a->set), &a->set);
	return NULL;
}

/* VM side: KVM_CAP_HALT_POLL on a real VM fd, and a vCPU thread pinning
 * itself (vCPU 1 of a "1,0" list lands on CPU 0). */
static void test_vmside(void **state)
{
	struct nx_profile *p = calloc(1, sizeof(*p));
	struct nx_vm *vm = calloc(1, sizeof(*vm));
	struct vcpu_arg a = { 0 };
	pthread_t t;
	int kvm;

	nx_profile_defaults(p);
	snprintf(p->name, sizeof(p->name), "test");
	p->pin = NX_PIN_LIST;
	p->pin_list[0] = 1;
	p->pin_list[1] = 0;
	p->npin = 2;
	assert_int_equal(nx_profile_resolve(p, "/"), sysconf(_SC_NPROCESSORS_ONLN) >= 2 ? 0 : -1);
	if (p->ncpus == 2) {
		a.p = p;
		a.vcpu.id = 1;
		assert_int_equal(pthread_create(&t, NULL, vcpu_thread, &a), 0);
		pthread_join(t, NULL);
		assert_int_equal(a.rc, 0);
		assert_int_equal(CPU_COUNT(&a.set), 1);
		assert_true(CPU_ISSET(0, &a.set));
	}
	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm >= 0) {
		vm->vm_fd = ioctl(kvm, KVM_CREATE_VM, 0);
		assert_true(vm->vm_fd >= 0);
		p->vm_halt_poll_ns = 50000;
		assert_int_equal(nx_profile_apply_vm_p(p, vm), 0);
		if (sysconf(_SC_NPROCESSORS_ONLN) >= 2) {
			/* by name (a path here): installs vm->vcpu_start, which the
			 * vCPU thread calls for itself */
			char path[64];
			struct vcpu_arg b = { 0 };

			assert_int_equal(write_profile(path, "[vm]\npin_vcpus = 1,0\n"
						       "halt_poll_ns = 10000\n"), 0);
			assert_int_equal(nx_profile_apply_vm(vm, path), 0);
			unlink(path);
			assert_non_null(vm->vcpu_start);
			b.vcpu.id = 0;
			b.vcpu.vm = vm;
			assert_int_equal(pthread_create(&t, NULL, vcpu_start_thread, &b), 0);
			pthread_join(t, NULL);
			assert_int_equal(CPU_COUNT(&b.set), 1);
			assert_true(CPU_ISSET(1, &b.set));
			free(vm->vcpu_start_opaque);
		}
		close(vm->vm_fd);
		close(kvm);
	}
	free(vm);
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cpulist),
		cmocka_unit_test(test_cmdline),
		cmocka_unit_test(test_acpi),
		cmocka_unit_test(test_intel_host),
		cmocka_unit_test(test_amd_host),
		cmocka_unit_test(test_arm64_host),
		cmocka_unit_test(test_nokvm_host),
		cmocka_unit_test(test_real_host),
		cmocka_unit_test(test_profiles_shipped),
		cmocka_unit_test(test_profile_errors),
		cmocka_unit_test(test_plan),
		cmocka_unit_test(test_vmside),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: MIT */
/*
 * check.c - `nexit check [--json] [--sysroot DIR]`: the host audit report,
 * as text for an operator or JSON (json-c) for scripts.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "core/vm.h"
#include "core/kvm_kind.h"
#include "tune/tune.h"

static const char *tri(int v)
{
	return v == 1 ? "yes" : v == 0 ? "no" : "unknown";
}

static struct json_object *jtri(int v)
{
	return v < 0 ? NULL : json_object_new_boolean(v);
}

static const char *iommu_name(enum nx_iommu_kind k)
{
	switch (k) {
	case NX_IOMMU_INTEL: return "intel-vtd";
	case NX_IOMMU_AMD: return "amd-vi";
	case NX_IOMMU_ARM: return "arm-smmu";
	case NX_IOMMU_OTHER: return "other";
	default: return "none";
	}
}

static const char *arch_name(enum nx_arch a)
{
	return a == NX_ARCH_X86 ? "x86_64" : a == NX_ARCH_ARM64 ? "arm64" : "unknown";
}

static void add(struct json_object *o, const char *k, struct json_object *v)
{
	json_object_object_add(o, k, v);
}

static struct json_object *jstr(const char *s)
{
	return json_object_new_string(s);
}

static struct json_object *jlong(long v)
{
	return v < 0 ? NULL : json_object_new_int64(v);
}

struct json_object *nx_host_json(const struct nx_host *h)
{
	struct json_object *o = json_object_new_object(), *k, *caps, *x, *vs;

	add(o, "sysroot", jstr(h->sysroot));
	add(o, "arch", jstr(arch_name(h->arch)));
	add(o, "cpu_vendor", jstr(h->cpu_vendor));
	x = json_object_new_object();
	add(x, "seccomp_filter", jtri(h->seccomp_filter));
	add(x, "seccomp_trap", jtri(h->seccomp_trap));
	add(x, "seccomp_log", jtri(h->seccomp_log));
	add(x, "default", jstr(h->seccomp_filter == 0 ? "unavailable" : "on"));
	add(o, "sandbox", x);

	k = json_object_new_object();
	add(k, "dev_kvm", json_object_new_boolean(h->kvm.dev_present));
	add(k, "usable", json_object_new_boolean(h->kvm.usable));
	add(k, "caps_source", jstr(h->kvm.fake ? "nexit-fake/kvm-caps" : "ioctl"));
	add(k, "api_version", h->kvm.usable ? json_object_new_int(h->kvm.api_version) : NULL);
	add(k, "flavour", jstr(nx_flavour_name(h->flavour)));
	add(k, "modules", jstr(h->kvm_modules));
	add(k, "error", h->kvm.error[0] ? jstr(h->kvm.error) : NULL);
	add(k, "kind", jstr(nx_kvm_kind_name(h->kvm.kind.kind)));
	add(k, "kind_reason", jstr(h->kvm.kind.reason));
	caps = json_object_new_object();
	for (int i = 0; i < NX_KCAP_COUNT; i++)
		add(caps, nx_kcap_name(i), h->kvm.usable ? json_object_new_int(h->kvm.caps[i]) : NULL);
	add(k, "caps", caps);
	add(o, "kvm", k);

	x = json_object_new_object();
	add(x, "hw_virt", jtri(h->hw_virt));
	add(x, "apicv", jtri(h->apicv));
	add(x, "ipiv", jtri(h->ipiv));
	add(x, "avic", jtri(h->avic));
	add(x, "cpu_posted_intr", jtri(h->cpu_posted_intr));
	add(x, "enable_device_posted_irqs", jtri(h->device_posted_param));
	add(o, "apic_virt", x);

	x = json_object_new_object();
	add(x, "kind", jstr(iommu_name(h->iommu)));
	add(x, "units", json_object_new_int(h->iommu_units));
	add(x, "names", jstr(h->iommu_names));
	add(x, "acpi_dmar", json_object_new_boolean(h->acpi_dmar));
	add(x, "acpi_ivrs", json_object_new_boolean(h->acpi_ivrs));
	add(x, "acpi_iort", json_object_new_boolean(h->acpi_iort));
	add(x, "dmar_intr_remap", jtri(h->dmar_ir_flag));
	add(x, "interrupt_remapping", jtri(h->ir_enabled));
	add(x, "posted_interrupts", jtri(h->iommu_pi));
	add(x, "cmdline_disables", jstr(h->cmdline_block));
	add(x, "groups", json_object_new_int(h->iommu_groups));
	add(o, "iommu", x);

	x = json_object_new_object();
	add(x, "dev_vfio", json_object_new_boolean(h->vfio_dev));
	add(x, "vfio_pci", json_object_new_boolean(h->vfio_pci));
	add(x, "noiommu", json_object_new_boolean(h->vfio_noiommu));
	add(x, "irqbypass", json_object_new_boolean(h->irqbypass));
	add(o, "vfio", x);

	if (h->arch == NX_ARCH_ARM64) {
		x = json_object_new_object();
		add(x, "version", h->gic_version ? json_object_new_int(h->gic_version) : NULL);
		add(x, "its", jtri(h->gic_its));
		add(x, "vgic_v4_enable", jtri(h->vgic_v4_enable));
		add(x, "source", jstr(h->gic_source));
		add(o, "gic", x);
	}

	x = json_object_new_object();
	add(x, "hugepages_2m", jlong(h->hp2m_nr));
	add(x, "hugepages_2m_free", jlong(h->hp2m_free));
	add(x, "hugepages_1g", jlong(h->hp1g_nr));
	add(x, "hugepages_1g_free", jlong(h->hp1g_free));
	add(x, "thp", h->thp[0] ? jstr(h->thp) : NULL);
	add(o, "memory", x);

	x = json_object_new_object();
	add(x, "online", jstr(h->online_s));
	add(x, "isolated", jstr(h->isolated_s));
	add(x, "nohz_full", jstr(h->nohz_full_s));
	add(x, "governor", h->cpufreq ? jstr(h->governor) : NULL);
	add(x, "irqbalance_pid", h->irqbalance_pid ? json_object_new_int(h->irqbalance_pid) : NULL);
	add(x, "irqbalance", json_object_new_boolean(h->irqbalance_pid != 0));
	add(x, "halt_poll_ns", jlong(h->halt_poll_ns));
	add(x, "sched_rt_runtime_us", h->rt_runtime_us == LONG_MIN ? NULL
				       : json_object_new_int64(h->rt_runtime_us));
	add(o, "sched", x);

	x = json_object_new_object();
	add(x, "available", json_object_new_boolean(h->posted_available));
	add(x, "reason", jstr(h->posted_reason));
	add(o, "posted_interrupts", x);

	vs = json_object_new_array();
	for (int i = 0; i < NX_PATH_COUNT; i++) {
		const struct nx_verdict *v = &h->v[i];

		x = json_object_new_object();
		add(x, "path", jstr(v->path));
		add(x, "verdict", jstr(v->verdict));
		add(x, "how", jstr(v->how));
		add(x, "reason", jstr(v->reason));
		json_object_array_add(vs, x);
	}
	add(o, "verdicts", vs);
	return o;
}

#define ROW(out, k, ...) do { fprintf(out, "  %-26s ", k); fprintf(out, __VA_ARGS__); \
			       fputc('\n', out); } while (0)

void nx_host_print(const struct nx_host *h, FILE *out)
{
	fprintf(out, "nexit check: %s host, sysroot %s\n", arch_name(h->arch), h->sysroot);
	fprintf(out, "KVM\n");
	ROW(out, "/dev/kvm", "%s", h->kvm.usable ? "usable" : h->kvm.dev_present ? "present, unusable"
										: "absent");
	if (h->kvm.error[0])
		ROW(out, "", "(%s)", h->kvm.error);
	ROW(out, "runs", "%s (%s)", nx_kvm_kind_name(h->kvm.kind.kind), h->kvm.kind.reason);
	ROW(out, "flavour", "%s%s%s%s", nx_flavour_name(h->flavour), h->kvm_modules[0] ? " (modules: " : "",
	    h->kvm_modules, h->kvm_modules[0] ? ")" : "");
	if (h->kvm.usable) {
		ROW(out, "API version", "%d (caps from %s)", h->kvm.api_version,
		    h->kvm.fake ? "nexit-fake/kvm-caps" : "KVM_CHECK_EXTENSION");
		for (int i = 0; i < NX_KCAP_COUNT; i++) {
			if (h->arch != NX_ARCH_ARM64 && i >= NX_KCAP_VGIC_V2)
				continue;
			ROW(out, nx_kcap_name(i), "%s", h->kvm.caps[i] > 0 ? "yes" : "no");
		}
	}
	if (h->arch == NX_ARCH_X86) {
		fprintf(out, "APIC virtualization\n");
		ROW(out, "vmx/svm in cpu flags", "%s", tri(h->hw_virt));
		ROW(out, "APICv (enable_apicv)", "%s", tri(h->apicv));
		ROW(out, "IPIv (enable_ipiv)", "%s", tri(h->ipiv));
		ROW(out, "AVIC (kvm_amd avic)", "%s", tri(h->avic));
		ROW(out, "posted_intr (vmx flags)", "%s", tri(h->cpu_posted_intr));
	} else if (h->arch == NX_ARCH_ARM64) {
		fprintf(out, "GIC\n");
		if (h->gic_version)
			ROW(out, "version", "GICv%d (%s)", h->gic_version, h->gic_source);
		else
			ROW(out, "version", "unknown");
		ROW(out, "ITS", "%s", tri(h->gic_its));
		ROW(out, "kvm-arm.vgic_v4_enable", "%s", tri(h->vgic_v4_enable));
	}
	fprintf(out, "IOMMU and VFIO\n");
	ROW(out, "IOMMU", "%s%s%s", iommu_name(h->iommu), h->iommu_units ? ": " : "", h->iommu_names);
	ROW(out, "ACPI tables", "DMAR %s, IVRS %s, IORT %s", h->acpi_dmar ? "yes" : "no",
	    h->acpi_ivrs ? "yes" : "no", h->acpi_iort ? "yes" : "no");
	ROW(out, "interrupt remapping", "%s", tri(h->ir_enabled));
	ROW(out, "IOMMU posted interrupts", "%s", tri(h->iommu_pi));
	if (h->cmdline_block[0])
		ROW(out, "disabled by cmdline", "%s", h->cmdline_block);
	ROW(out, "IOMMU groups", "%d", h->iommu_groups);
	ROW(out, "/dev/vfio/vfio", "%s", h->vfio_dev ? "yes" : "no");
	ROW(out, "vfio-pci module", "%s", h->vfio_pci ? "yes" : "no");
	fprintf(out, "Sandbox (nexit run)\n");
	ROW(out, "seccomp filters", "%s", tri(h->seccomp_filter));
	ROW(out, "actions trap / log", "%s / %s", tri(h->seccomp_trap), tri(h->seccomp_log));
	ROW(out, "nexit run", "%s", h->seccomp_filter == 0 ?
	    "cannot sandbox here: run with --sandbox off" :
	    "on by default: NO_NEW_PRIVS, a seccomp allow-list per thread (main, vcpu, event, "
	    "control; nexit-devd its own, as uid 65534); --user NAME drops to NAME after set-up");
	fprintf(out, "Memory and scheduling\n");
	ROW(out, "hugepages 2M", "%ld (free %ld)", h->hp2m_nr, h->hp2m_free);
	ROW(out, "hugepages 1G", "%ld (free %ld)", h->hp1g_nr, h->hp1g_free);
	ROW(out, "transparent hugepages", "%s", h->thp[0] ? h->thp : "unknown");
	ROW(out, "CPUs online", "%s", h->online_s);
	ROW(out, "isolated (isolcpus)", "%s", h->isolated_s[0] ? h->isolated_s : "none");
	ROW(out, "nohz_full", "%s", h->nohz_full_s[0] ? h->nohz_full_s : "none");
	ROW(out, "cpufreq governor", "%s", h->cpufreq ? h->governor : "no cpufreq");
	if (h->irqbalance_pid)
		ROW(out, "irqbalance", "running (pid %d)", h->irqbalance_pid);
	else
		ROW(out, "irqbalance", "not running");
	ROW(out, "halt_poll_ns (kvm)", "%ld", h->halt_poll_ns);
	if (h->rt_runtime_us != LONG_MIN)
		ROW(out, "sched_rt_runtime_us", "%ld", h->rt_runtime_us);
	fprintf(out, "Verdicts\n");
	for (int i = 0; i < NX_PATH_COUNT; i++)
		fprintf(out, "  %s: %s (%s)\n      %s\n", h->v[i].path, h->v[i].verdict, h->v[i].how,
			h->v[i].reason);
	fprintf(out, "posted interrupts: %s\n      %s\n",
		h->posted_available ? "available" : "not available", h->posted_reason);
}

int nx_cmd_check(int argc, char **argv)
{
	const char *sysroot = "/";
	bool json = false;
	struct nx_host *h;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			printf("usage: nexit check [--json] [--sysroot DIR] | --kvm\n"
			       "  Reports KVM capabilities, APIC virtualization, IOMMU/interrupt remapping,\n"
			       "  VFIO, GIC, hugepages, CPU isolation, governor, irqbalance, halt polling,\n"
			       "  and a verdict per interrupt path. --sysroot reads a fake host tree\n"
			       "  (KVM caps from DIR/nexit-fake/kvm-caps); see docs/tuning.md.\n"
			       "  --kvm prints one line, \"linux|probe|none: reason\": whether this\n"
			       "  host's KVM runs Linux guests, only ring-3 test guests (kvm_pvm), or\n"
			       "  nothing; from what /dev/kvm answers (docs/machine.md).\n");
			return 0;
		} else if (!strcmp(argv[i], "--kvm")) {
			struct nx_kvm_kind_info k;

			/* One line for scripts: "KIND: reason" (core/kvm_kind.c). */
			nx_kvm_detect(&k);
			printf("%s: %s\n", nx_kvm_kind_name(k.kind), k.reason);
			return 0;
		} else if (!strcmp(argv[i], "--json")) {
			json = true;
		} else if (!strcmp(argv[i], "--sysroot")) {
			if (i + 1 >= argc)
				return nx_error("check: --sysroot needs a directory"), 2;
			sysroot = argv[++i];
		} else if (!strncmp(argv[i], "--sysroot=", 10)) {
			sysroot = argv[i] + 10;
		} else {
			return nx_error("check: unknown argument '%s' (usage: nexit check [--json] "
					"[--sysroot DIR] | --kvm)", argv[i]), 2;
		}
	}
	h = calloc(1, sizeof(*h));
	if (!h)
		return nx_error("check: out of memory"), 1;
	rc = nx_host_probe(h, sysroot);
	if (rc == 0) {
		if (json) {
			struct json_object *o = nx_host_json(h);

			printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
								      JSON_C_TO_STRING_NOSLASHESCAPE));
			json_object_put(o);
		} else {
			nx_host_print(h, stdout);
		}
	}
	free(h);
	return rc < 0 ? 1 : 0;
}

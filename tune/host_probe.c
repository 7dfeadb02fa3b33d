/* SPDX-License-Identifier: MIT */
/*
 * host_probe.c - what the host gives for interrupt delivery, from procfs and
 * sysfs below a sysroot (dmesg is not readable: everything here comes from
 * files a non-kernel process can read).
 */
#include <ctype.h>
#include <dirent.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/vm.h"
#include <unistd.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include "tune/tune.h"

#define KP_INTEL "/sys/module/kvm_intel/parameters/"
#define KP_AMD   "/sys/module/kvm_amd/parameters/"
#define KP_KVM   "/sys/module/kvm/parameters/"

static bool word_in(const char *line, const char *word)
{
	size_t wl = strlen(word);

	for (const char *s = line; (s = strstr(s, word)); s += wl) {
		bool start = s == line || isspace((unsigned char)s[-1]) || s[-1] == ':';
		bool end = !s[wl] || isspace((unsigned char)s[wl]);

		if (start && end)
			return true;
	}
	return false;
}

/* The value of the first "key<spaces>: value" line of /proc/cpuinfo. */
static bool cpuinfo_field(const char *info, const char *key, char *out, size_t n)
{
	size_t kl = strlen(key);

	for (const char *l = info; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		const char *c;
		size_t len;

		if (strncmp(l, key, kl) || (l[kl] != ' ' && l[kl] != '\t' && l[kl] != ':'))
			continue;
		c = strchr(l, ':');
		if (!c)
			continue;
		c++;
		while (*c == ' ')
			c++;
		len = strcspn(c, "\n");
		if (len >= n)
			len = n - 1;
		memcpy(out, c, len);
		out[len] = 0;
		return true;
	}
	return false;
}

static void probe_cpu(struct nx_host *h)
{
	static const size_t cap = 1 << 16;
	char *info = malloc(cap), *flags = malloc(cap);
	char impl[32];

	h->arch = NX_ARCH_OTHER;
	h->apicv = h->ipiv = h->avic = h->cpu_posted_intr = h->hw_virt = -1;
	if (!info || !flags || nx_sysroot_read(h->sysroot, "/proc/cpuinfo", info, cap) < 0)
		goto out;
	if (cpuinfo_field(info, "vendor_id", h->cpu_vendor, sizeof(h->cpu_vendor))) {
		h->arch = NX_ARCH_X86;
		/* "vmx flags" (kernel >= 5.9) lists VMX features the CPU has */
		if (cpuinfo_field(info, "vmx flags", flags, cap))
			h->cpu_posted_intr = word_in(flags, "posted_intr");
		if (cpuinfo_field(info, "flags", flags, cap)) {
			h->hw_virt = word_in(flags, "vmx") || word_in(flags, "svm");
			/* X86_FEATURE_AVIC (CPUID 8000_000A EDX bit 13) */
			if (!strcmp(h->cpu_vendor, "AuthenticAMD"))
				h->avic = word_in(flags, "avic");
		}
	} else if (cpuinfo_field(info, "CPU implementer", impl, sizeof(impl))) {
		h->arch = NX_ARCH_ARM64;
		snprintf(h->cpu_vendor, sizeof(h->cpu_vendor), "arm impl %.15s", impl);
	}
out:
	free(info);
	free(flags);
}

static void probe_flavour(struct nx_host *h)
{
	static const struct { const char *mod; enum nx_flavour f; } mods[] = {
		{ "kvm_intel", NX_KVM_INTEL }, { "kvm_amd", NX_KVM_AMD }, { "kvm_pvm", NX_KVM_PVM },
	};
	size_t len = 0;
	int v;

	h->flavour = NX_KVM_NONE;
	for (size_t i = 0; i < sizeof(mods) / sizeof(mods[0]); i++) {
		char p[64];

		snprintf(p, sizeof(p), "/sys/module/%s", mods[i].mod);
		if (!nx_sysroot_exists(h->sysroot, p))
			continue;
		len += (size_t)snprintf(h->kvm_modules + len, sizeof(h->kvm_modules) - len,
					"%s%s", len ? " " : "", mods[i].mod);
		if (h->flavour == NX_KVM_NONE)	/* hardware modules first */
			h->flavour = mods[i].f;
	}
	if (h->flavour == NX_KVM_NONE && h->arch == NX_ARCH_ARM64 && h->kvm.dev_present)
		h->flavour = NX_KVM_ARM64;	/* arm64 KVM is built in: no vendor module */
	/* What /dev/kvm answers decides: a module that is loaded but does not
	 * bind (a kernel that is itself a kvm_pvm guest) is no KVM. */
	if (h->kvm.kind.kind == NX_KVM_KIND_NONE)
		h->flavour = NX_KVM_NONE;

	if (h->flavour == NX_KVM_INTEL) {
		h->apicv = nx_sysroot_bool(h->sysroot, KP_INTEL "enable_apicv");
		h->ipiv = nx_sysroot_bool(h->sysroot, KP_INTEL "enable_ipiv");
	} else if (h->flavour == NX_KVM_AMD) {
		/* kvm_amd.avic: on by default since 6.x where the CPU has it */
		v = nx_sysroot_bool(h->sysroot, KP_AMD "avic");
		if (v >= 0)
			h->avic = v && h->avic != 0;
	}
	/* kvm.enable_device_posted_irqs (newer kernels): master switch for
	 * IOMMU-posted device interrupts; absent = not restricted. */
	h->device_posted_param = nx_sysroot_bool(h->sysroot, KP_KVM "enable_device_posted_irqs");
}

static int hex_attr(const char *sysroot, const char *rel, unsigned long long *v)
{
	char b[64], *end;

	if (nx_sysroot_line(sysroot, rel, b, sizeof(b)) < 0)
		return -1;
	*v = strtoull(b, &end, 16);
	return end == b ? -1 : 0;
}

static void probe_iommu_units(struct nx_host *h)
{
	char dir[NX_TUNE_PATH];
	struct dirent *e;
	size_t len = 0;
	int pi = -1;
	DIR *d;

	if (nx_sysroot_path(h->sysroot, "/sys/class/iommu", dir, sizeof(dir)) < 0 ||
	    !(d = opendir(dir)))
		return;
	while ((e = readdir(d))) {
		char rel[512];
		unsigned long long cap, efr;

		if (e->d_name[0] == '.')
			continue;
		h->iommu_units++;
		if (len < sizeof(h->iommu_names))
			len += (size_t)snprintf(h->iommu_names + len, sizeof(h->iommu_names) - len,
						"%s%s", len ? " " : "", e->d_name);
		if (!strncmp(e->d_name, "dmar", 4)) {
			h->iommu = NX_IOMMU_INTEL;
			/* VT-d spec 10.4.2: CAP_REG bit 59 PI = posted interrupts */
			snprintf(rel, sizeof(rel), "/sys/class/iommu/%s/intel-iommu/cap", e->d_name);
			if (hex_attr(h->sysroot, rel, &cap) == 0)
				pi = (pi != 0) && ((cap >> 59) & 1);
		} else if (!strncmp(e->d_name, "ivhd", 4)) {
			h->iommu = NX_IOMMU_AMD;
			/* AMD IOMMU spec 3.4.12: EFR bit 7 GASup = guest virtual APIC
			 * (posts device interrupts into the vAPIC backing page). The
			 * sysfs attribute is "efr[:efr2]" in hex. */
			snprintf(rel, sizeof(rel), "/sys/class/iommu/%s/amd-iommu/features", e->d_name);
			if (hex_attr(h->sysroot, rel, &efr) == 0)
				pi = (pi != 0) && ((efr >> 7) & 1);
		} else if (!strncmp(e->d_name, "smmu", 4)) {
			h->iommu = NX_IOMMU_ARM;
		} else if (h->iommu == NX_IOMMU_NONE) {
			h->iommu = NX_IOMMU_OTHER;
		}
	}
	closedir(d);
	h->iommu_pi = pi;
}

static int count_dir(const char *sysroot, const char *rel)
{
	char dir[NX_TUNE_PATH];
	struct dirent *e;
	int n = 0;
	DIR *d;

	if (nx_sysroot_path(sysroot, rel, dir, sizeof(dir)) < 0 || !(d = opendir(dir)))
		return 0;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

static void block_note(struct nx_host *h, const char *opt)
{
	size_t len = strlen(h->cmdline_block);

	snprintf(h->cmdline_block + len, sizeof(h->cmdline_block) - len, "%s%s",
		 len ? " " : "", opt);
}

static void probe_iommu(struct nx_host *h, const char *interrupts)
{
	char v[64];
	uint8_t tbl[4096];
	ssize_t n;

	h->iommu = NX_IOMMU_NONE;
	h->dmar_ir_flag = h->ir_enabled = h->iommu_pi = -1;
	probe_iommu_units(h);
	h->acpi_dmar = nx_sysroot_exists(h->sysroot, "/sys/firmware/acpi/tables/DMAR");
	h->acpi_ivrs = nx_sysroot_exists(h->sysroot, "/sys/firmware/acpi/tables/IVRS");
	h->acpi_iort = nx_sysroot_exists(h->sysroot, "/sys/firmware/acpi/tables/IORT");
	if (h->acpi_dmar) {
		n = nx_sysroot_read(h->sysroot, "/sys/firmware/acpi/tables/DMAR", (char *)tbl, sizeof(tbl));
		if (n > 0) {
			int f = nx_acpi_dmar_flags(tbl, (size_t)n);

			h->dmar_ir_flag = f < 0 ? -1 : (f & 1);
		}
	}
	/* x86 irq chips of remapped interrupts are named "IR-PCI-MSI",
	 * "IR-IO-APIC" (kernel/irq/irqdomain names of the remapping domain). */
	if (h->arch == NX_ARCH_X86 && interrupts)
		h->ir_enabled = strstr(interrupts, " IR-") || strstr(interrupts, "DMAR-IR") ||
				strstr(interrupts, "AMD-IR");
	h->iommu_groups = count_dir(h->sysroot, "/sys/kernel/iommu_groups");

	/* Kernel parameters that turn the IOMMU, remapping or posting off
	 * (Documentation/admin-guide/kernel-parameters.txt). */
	if (nx_cmdline_get(h->cmdline, "intel_iommu", v, sizeof(v)) && strstr(v, "off"))
		block_note(h, "intel_iommu=off");
	if (nx_cmdline_get(h->cmdline, "amd_iommu", v, sizeof(v)) && strstr(v, "off"))
		block_note(h, "amd_iommu=off");
	if (nx_cmdline_get(h->cmdline, "iommu", v, sizeof(v)) && !strcmp(v, "off"))
		block_note(h, "iommu=off");
	if (nx_cmdline_get(h->cmdline, "nointremap", NULL, 0))
		block_note(h, "nointremap");
	if (nx_cmdline_get(h->cmdline, "intremap", v, sizeof(v))) {
		if (strstr(v, "off"))
			block_note(h, "intremap=off");
		if (strstr(v, "nopost"))
			block_note(h, "intremap=nopost");
	}
	if (nx_cmdline_get(h->cmdline, "amd_iommu_intr", v, sizeof(v)) && !strcmp(v, "legacy"))
		block_note(h, "amd_iommu_intr=legacy");
}

static void probe_vfio(struct nx_host *h)
{
	h->vfio_dev = nx_sysroot_exists(h->sysroot, "/dev/vfio/vfio");
	h->vfio_pci = nx_sysroot_exists(h->sysroot, "/sys/module/vfio_pci") ||
		      nx_sysroot_exists(h->sysroot, "/sys/module/vfio_pci_core");
	h->vfio_noiommu = nx_sysroot_bool(h->sysroot,
			"/sys/module/vfio/parameters/enable_unsafe_noiommu_mode") == 1;
	h->irqbypass = nx_sysroot_exists(h->sysroot, "/sys/module/irqbypass");
}

/* Device tree: a node whose compatible names a GIC, e.g. "arm,gic-v3". */
static void probe_gic_dt(struct nx_host *h)
{
	char dir[NX_TUNE_PATH], rel[512], compat[256];
	struct dirent *e;
	DIR *d;

	if (nx_sysroot_path(h->sysroot, "/sys/firmware/devicetree/base", dir, sizeof(dir)) < 0 ||
	    !(d = opendir(dir)))
		return;
	while ((e = readdir(d))) {
		ssize_t n;

		if (strncmp(e->d_name, "interrupt-controller", 20))
			continue;
		snprintf(rel, sizeof(rel), "/sys/firmware/devicetree/base/%s/compatible", e->d_name);
		n = nx_sysroot_read(h->sysroot, rel, compat, sizeof(compat));
		if (n <= 0)
			continue;
		/* compatible is a NUL-separated string list; check each */
		for (char *s = compat; s < compat + n; s += strlen(s) + 1) {
			if (!strcmp(s, "arm,gic-v3") && h->gic_version < 3)
				h->gic_version = 3;	/* v3 or v4: DT does not say */
			else if ((!strcmp(s, "arm,gic-400") || !strcmp(s, "arm,cortex-a15-gic")) &&
				 !h->gic_version)
				h->gic_version = 2;
		}
		snprintf(h->gic_source, sizeof(h->gic_source), "devicetree");
	}
	closedir(d);
}

static void probe_gic(struct nx_host *h, const char *interrupts)
{
	uint8_t tbl[8192];
	char v[16];
	ssize_t n;
	int ver, its;

	h->gic_version = 0;
	h->gic_its = h->vgic_v4_enable = -1;
	if (h->arch != NX_ARCH_ARM64)
		return;
	n = nx_sysroot_read(h->sysroot, "/sys/firmware/acpi/tables/APIC", (char *)tbl, sizeof(tbl));
	if (n > 0 && nx_acpi_madt_gic(tbl, (size_t)n, &ver, &its) == 0) {
		h->gic_version = ver;
		h->gic_its = its;
		snprintf(h->gic_source, sizeof(h->gic_source), "ACPI MADT");
	} else {
		probe_gic_dt(h);
	}
	if (interrupts) {
		/* irq chip names: "GICv3", "ITS-MSI"/"ITS-pMSI", "GICv4-vpe" doorbells */
		if (strstr(interrupts, "ITS-"))
			h->gic_its = 1;
		if (strstr(interrupts, "GICv4"))
			h->gic_version = 4;
		else if (strstr(interrupts, "GICv3") && h->gic_version < 3)
			h->gic_version = 3;
	}
	if (h->gic_its < 0 && h->gic_source[0])
		h->gic_its = 0;
	/* early_param kvm-arm.vgic_v4_enable, default off (arch/arm64/kvm/vgic) */
	if (nx_cmdline_get(h->cmdline, "kvm-arm.vgic_v4_enable", v, sizeof(v)))
		h->vgic_v4_enable = !strcmp(v, "1") || !strcmp(v, "on") || !strcmp(v, "y");
	else
		h->vgic_v4_enable = 0;
}

static void probe_memory(struct nx_host *h)
{
	char b[128];

#define HP "/sys/kernel/mm/hugepages/hugepages-"
	if (nx_sysroot_long(h->sysroot, HP "2048kB/nr_hugepages", &h->hp2m_nr) < 0)
		h->hp2m_nr = -1;
	if (nx_sysroot_long(h->sysroot, HP "2048kB/free_hugepages", &h->hp2m_free) < 0)
		h->hp2m_free = -1;
	if (nx_sysroot_long(h->sysroot, HP "1048576kB/nr_hugepages", &h->hp1g_nr) < 0)
		h->hp1g_nr = -1;
	if (nx_sysroot_long(h->sysroot, HP "1048576kB/free_hugepages", &h->hp1g_free) < 0)
		h->hp1g_free = -1;
#undef HP
	/* "always [madvise] never": the bracketed word is the mode */
	h->thp[0] = 0;
	if (nx_sysroot_line(h->sysroot, "/sys/kernel/mm/transparent_hugepage/enabled", b, sizeof(b)) == 0) {
		char *l = strchr(b, '['), *r = l ? strchr(l, ']') : NULL;

		if (l && r && (size_t)(r - l - 1) < sizeof(h->thp)) {
			memcpy(h->thp, l + 1, (size_t)(r - l - 1));
			h->thp[r - l - 1] = 0;
		}
	}
}

static void cpuset(const char *sysroot, const char *rel, uint64_t *m, char *s, size_t n)
{
	char b[256];

	*m = 0;
	s[0] = 0;
	if (nx_sysroot_line(sysroot, rel, b, sizeof(b)) == 0 && nx_cpulist_parse(b, m) == 0)
		nx_cpulist_format(*m, s, n);
}

static void probe_sched(struct nx_host *h)
{
	char dir[NX_TUNE_PATH];
	struct dirent *e;
	DIR *d;

	cpuset(h->sysroot, "/sys/devices/system/cpu/online", &h->online, h->online_s,
	       sizeof(h->online_s));
	cpuset(h->sysroot, "/sys/devices/system/cpu/isolated", &h->isolated, h->isolated_s,
	       sizeof(h->isolated_s));
	cpuset(h->sysroot, "/sys/devices/system/cpu/nohz_full", &h->nohz_full, h->nohz_full_s,
	       sizeof(h->nohz_full_s));

	h->cpufreq = false;
	h->governor[0] = 0;
	for (int c = 0; c < 64; c++) {
		char rel[96], g[32];

		if (!(h->online & (1ULL << c)))
			continue;
		snprintf(rel, sizeof(rel), "/sys/devices/system/cpu/cpu%d/cpufreq/scaling_governor", c);
		if (nx_sysroot_line(h->sysroot, rel, g, sizeof(g)) < 0)
			continue;
		if (!h->cpufreq)
			snprintf(h->governor, sizeof(h->governor), "%s", g);
		else if (strcmp(h->governor, g))
			snprintf(h->governor, sizeof(h->governor), "mixed");
		h->cpufreq = true;
	}

	h->irqbalance_pid = 0;
	if (nx_sysroot_path(h->sysroot, "/proc", dir, sizeof(dir)) == 0 && (d = opendir(dir))) {
		while ((e = readdir(d))) {
			char rel[300], comm[32];

			if (!isdigit((unsigned char)e->d_name[0]))
				continue;
			snprintf(rel, sizeof(rel), "/proc/%s/comm", e->d_name);
			if (nx_sysroot_line(h->sysroot, rel, comm, sizeof(comm)) == 0 &&
			    !strcmp(comm, "irqbalance")) {
				h->irqbalance_pid = atoi(e->d_name);
				break;
			}
		}
		closedir(d);
	}
	if (nx_sysroot_long(h->sysroot, KP_KVM "halt_poll_ns", &h->halt_poll_ns) < 0)
		h->halt_poll_ns = -1;
	if (nx_sysroot_long(h->sysroot, "/proc/sys/kernel/sched_rt_runtime_us", &h->rt_runtime_us) < 0)
		h->rt_runtime_us = LONG_MIN;
}

/* What nexit run's sandbox needs of this kernel: seccomp filters
 * (CONFIG_SECCOMP_FILTER) and the TRAP and LOG actions. Asked of the
 * running kernel only (a sysroot has no syscalls). */
static void probe_sandbox(struct nx_host *h)
{
	uint32_t trap = SECCOMP_RET_TRAP, log = SECCOMP_RET_LOG;

	h->seccomp_filter = h->seccomp_trap = h->seccomp_log = -1;
	if (!h->real)
		return;
	h->seccomp_filter = prctl(PR_GET_SECCOMP, 0, 0, 0, 0) >= 0 &&
			    syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &trap) == 0;
	h->seccomp_trap = h->seccomp_filter;
	h->seccomp_log = syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &log) == 0;
}

int nx_host_probe(struct nx_host *h, const char *sysroot)
{
	struct stat st;
	char *interrupts;
	static const size_t icap = 1 << 18;

	memset(h, 0, sizeof(*h));
	if (!sysroot || !*sysroot)
		sysroot = "/";
	if (stat(sysroot, &st) < 0 || !S_ISDIR(st.st_mode))
		return nx_error("--sysroot %s: not a directory", sysroot);
	snprintf(h->sysroot, sizeof(h->sysroot), "%s", sysroot);
	/* Only the real root may be probed with ioctls on /dev/kvm. */
	h->real = !strcmp(sysroot, "/");

	nx_sysroot_line(h->sysroot, "/proc/cmdline", h->cmdline, sizeof(h->cmdline));
	probe_cpu(h);
	if (nx_kvm_probe(h) < 0)
		return -1;
	probe_flavour(h);

	interrupts = malloc(icap);
	if (interrupts && nx_sysroot_read(h->sysroot, "/proc/interrupts", interrupts, icap) < 0) {
		free(interrupts);
		interrupts = NULL;
	}
	probe_iommu(h, interrupts);
	probe_vfio(h);
	probe_gic(h, interrupts);
	free(interrupts);
	probe_memory(h);
	probe_sched(h);
	probe_sandbox(h);
	nx_host_verdicts(h);
	return 0;
}

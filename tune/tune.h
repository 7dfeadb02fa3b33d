/* SPDX-License-Identifier: MIT */
/*
 * tune.h - host audit (nexit check) and tuning profiles (nexit tune).
 *
 * Everything that reads the host goes through a "sysroot": "/" for the
 * real machine, or a directory holding a fake tree (proc/, sys/, dev/,
 * etc/) so tests can describe any host. Under a fake sysroot the KVM
 * capabilities come from DIR/nexit-fake/kvm-caps (see docs/tuning.md)
 * instead of ioctls on /dev/kvm.
 */
#ifndef NEXIT_TUNE_H
#define NEXIT_TUNE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include "core/vm.h"
#include "core/kvm_kind.h"

struct nx_vm;
struct nx_vcpu;
struct json_object;

int nx_cmd_check(int argc, char **argv);	/* `nexit check ...`, returns exit status */
int nx_cmd_tune(int argc, char **argv);		/* `nexit tune ...` */
/*
 * `nexit run --profile NAME`: VM-side settings. Loads the profile, then
 * mlockall, KVM_CAP_HALT_POLL on vm->vm_fd, pins/FIFOs every vCPU thread
 * that already exists (vm->vcpus[i].thread != 0) and installs
 * vm->vcpu_start so threads created later pin themselves.
 */
int nx_profile_apply_vm(struct nx_vm *vm, const char *name);
/* Before nx_vm_create: settings that shape guest memory ([vm] hugepages). */
struct nx_config;
int nx_profile_apply_config(struct nx_config *cfg, const char *name);

/* ---- sysroot helpers (tune/sysroot.c) ----------------------------------- */
#define NX_TUNE_PATH 4096
/* out = sysroot + rel ("/" sysroot leaves rel as is). <0 if too long. */
int  nx_sysroot_path(const char *sysroot, const char *rel, char *out, size_t n);
bool nx_sysroot_exists(const char *sysroot, const char *rel);
/* Reads a whole (small) file, NUL-terminated, trailing newline kept. Returns length or -1. */
ssize_t nx_sysroot_read(const char *sysroot, const char *rel, char *buf, size_t n);
/* First line without the newline, or -1. */
int  nx_sysroot_line(const char *sysroot, const char *rel, char *buf, size_t n);
int  nx_sysroot_long(const char *sysroot, const char *rel, long *v);
/* Module parameter style booleans: Y/N/1/0. 1, 0, or -1 if absent/unparsable. */
int  nx_sysroot_bool(const char *sysroot, const char *rel);
/* Kernel command line: 1 and value (may be "") if key or key=value is present. */
int  nx_cmdline_get(const char *cmdline, const char *key, char *val, size_t n);
/* "0-3,5" <-> bit mask of CPUs 0..63. <0 on a bad list. */
int  nx_cpulist_parse(const char *s, uint64_t *mask);
void nx_cpulist_format(uint64_t mask, char *out, size_t n);

/* libinih with line numbers (tune/ini_lines.c). Returns ini_parse_stream's
 * result: 0, the first bad line, or -1 if the file cannot be opened. */
typedef int (*nx_ini_fn)(void *user, const char *section, const char *key,
			 const char *value, int line);
int  nx_ini_parse_lines(const char *path, nx_ini_fn fn, void *user);

/* ---- host audit (tune/host_*.c, tune/verdict.c) ------------------------ */
enum nx_kcap {
	NX_KCAP_IRQCHIP, NX_KCAP_SPLIT_IRQCHIP, NX_KCAP_IRQFD, NX_KCAP_IRQFD_RESAMPLE,
	NX_KCAP_IOEVENTFD, NX_KCAP_IRQ_ROUTING, NX_KCAP_SIGNAL_MSI, NX_KCAP_BINARY_STATS_FD,
	NX_KCAP_HALT_POLL, NX_KCAP_X2APIC_API, NX_KCAP_MSI_DEVID,
	/* arm64: KVM_CREATE_DEVICE(..., KVM_CREATE_DEVICE_TEST) succeeds */
	NX_KCAP_VGIC_V2, NX_KCAP_VGIC_V3, NX_KCAP_VGIC_ITS,
	NX_KCAP_COUNT
};
const char *nx_kcap_name(enum nx_kcap c);
int nx_kcap_by_name(const char *name);		/* <0 if unknown */

struct nx_kvm_info {
	bool dev_present;		/* sysroot/dev/kvm exists                 */
	bool usable;			/* caps known: ioctls worked / fake file  */
	bool fake;			/* caps come from nexit-fake/kvm-caps     */
	int api_version;
	int caps[NX_KCAP_COUNT];	/* KVM_CHECK_EXTENSION result, 0 = no     */
	char error[NX_TUNE_PATH + 64];	/* why not usable                    */
	struct nx_kvm_kind_info kind;	/* nx_kvm_detect (fake: linux if usable) */
};

enum nx_arch { NX_ARCH_OTHER, NX_ARCH_X86, NX_ARCH_ARM64 };
enum nx_flavour { NX_KVM_NONE, NX_KVM_INTEL, NX_KVM_AMD, NX_KVM_PVM, NX_KVM_ARM64 };
enum nx_iommu_kind { NX_IOMMU_NONE, NX_IOMMU_INTEL, NX_IOMMU_AMD, NX_IOMMU_ARM, NX_IOMMU_OTHER };
enum nx_path_id { NX_PATH_ASSIGNED_MSI, NX_PATH_BACKEND_MSI, NX_PATH_INTX, NX_PATH_IPI, NX_PATH_COUNT };

struct nx_verdict {
	const char *path;		/* "assigned device MSI", ...              */
	const char *verdict;		/* posted | exitless | fallback | exit | unavailable */
	char how[96];			/* "hardware", "irqfd, software", ...     */
	char reason[640];
};

struct nx_host {
	char sysroot[NX_TUNE_PATH];
	bool real;			/* sysroot is "/": ioctls allowed          */
	enum nx_arch arch;
	char cpu_vendor[32];
	char cmdline[4096];

	struct nx_kvm_info kvm;
	enum nx_flavour flavour;
	char kvm_modules[96];		/* vendor modules loaded, space separated */

	/* x86 APIC virtualization: 1 yes, 0 no, -1 unknown/not applicable */
	int hw_virt;			/* vmx or svm in /proc/cpuinfo flags       */
	int apicv, ipiv, avic, cpu_posted_intr, device_posted_param;

	/* IOMMU and interrupt remapping */
	enum nx_iommu_kind iommu;
	int iommu_units;
	char iommu_names[128];
	bool acpi_dmar, acpi_ivrs, acpi_iort;
	int dmar_ir_flag;		/* DMAR table flags bit 0 INTR_REMAP       */
	int ir_enabled;			/* IR- irq chips in /proc/interrupts       */
	int iommu_pi;			/* VT-d CAP.PI (bit 59) / AMD EFR.GASup (bit 7) */
	char cmdline_block[160];	/* cmdline option that disables IOMMU/IR/posting */
	int iommu_groups;

	/* VFIO */
	bool vfio_dev, vfio_pci, vfio_noiommu, irqbypass;

	/* arm64 GIC */
	int gic_version;		/* 2, 3, 4 or 0 unknown                     */
	int gic_its;
	int vgic_v4_enable;		/* kvm-arm.vgic_v4_enable                  */
	char gic_source[64];

	/* the sandbox nexit run loads (core/sandbox.c): 1 yes, 0 no, -1 unknown */
	int seccomp_filter, seccomp_trap, seccomp_log;

	/* memory */
	long hp2m_nr, hp2m_free, hp1g_nr, hp1g_free;	/* -1 if absent */
	char thp[16];

	/* CPUs and scheduling */
	uint64_t online, isolated, nohz_full;
	char online_s[64], isolated_s[64], nohz_full_s[64];
	bool cpufreq;
	char governor[32];		/* cpu0's; "mixed" if CPUs differ          */
	int irqbalance_pid;		/* 0 if not running                        */
	long halt_poll_ns;		/* -1 unknown                               */
	long rt_runtime_us;		/* LONG_MIN unknown                         */

	struct nx_verdict v[NX_PATH_COUNT];
	bool posted_available;
	char posted_reason[768];
};

/* Fills h from the sysroot. <0 (one error line) only if sysroot is unreadable. */
int  nx_host_probe(struct nx_host *h, const char *sysroot);
int  nx_kvm_probe(struct nx_host *h);			/* host_kvm.c */
void nx_host_verdicts(struct nx_host *h);		/* verdict.c  */
const char *nx_flavour_name(enum nx_flavour f);
void nx_host_print(const struct nx_host *h, FILE *out);
struct json_object *nx_host_json(const struct nx_host *h);

/* ACPI table parsing (tune/acpi.c); buf is the raw table. */
int  nx_acpi_dmar_flags(const uint8_t *buf, size_t len);		/* <0 bad table */
/* MADT: GICD version (1..4, 0 if not given) and whether a GIC ITS entry exists. */
int  nx_acpi_madt_gic(const uint8_t *buf, size_t len, int *gic_version, int *its);

/* ---- profiles (tune/profile.c) ----------------------------------------- */
#define NX_KEEP (-1L)
enum nx_pin { NX_PIN_OFF, NX_PIN_1TO1, NX_PIN_LIST };
enum nx_irqaff { NX_IRQAFF_KEEP, NX_IRQAFF_AUTO, NX_IRQAFF_LIST };

struct nx_profile {
	char name[64];
	char path[NX_TUNE_PATH];
	/* [host] */
	char governor[32];		/* "" = keep */
	int irqbalance;			/* -1 keep, 0 off, 1 on */
	long hugepages_2m, hugepages_1g;	/* NX_KEEP or pages */
	long host_halt_poll_ns;		/* NX_KEEP or ns */
	char thp[16];			/* "" keep, always|madvise|never */
	bool set_rt_runtime;
	long rt_runtime_us;		/* -1 = no RT throttling */
	enum nx_irqaff irq_affinity;
	uint64_t irq_cpus;		/* NX_IRQAFF_LIST */
	/* [vm] */
	enum nx_pin pin;
	int pin_list[64];
	int npin;
	bool isolated_only;
	int sched_fifo;			/* 0 = SCHED_OTHER, 1..99 */
	bool mlock;
	bool hugepages;
	long vm_halt_poll_ns;		/* NX_KEEP = KVM's default */
	/* resolved CPU set for vCPUs (nx_profile_resolve) */
	int cpus[64];
	int ncpus;
	/* run time */
	_Atomic int fifo_warned;	/* EPERM for SCHED_FIFO reported once    */
	_Atomic int pin_warned;
};

void nx_profile_defaults(struct nx_profile *p);
/* Parses FILE. Errors: "nexit: error: FILE:LINE: ..." naming key and accepted values. */
int  nx_profile_parse(struct nx_profile *p, const char *path);
/* NAME -> file: a path if it contains '/' or ends in .ini, else tune/profiles,
 * $(PREFIX)/share/nexit/profiles, <binary>/../tune/profiles. */
int  nx_profile_find(const char *name, char *out, size_t n);
/* Resolves the vCPU CPU set against the host in sysroot. */
int  nx_profile_resolve(struct nx_profile *p, const char *sysroot);
/* find + parse + resolve against "/". */
int  nx_profile_load(const char *name, struct nx_profile *p);
/* VM-wide part: mlockall, KVM_CAP_HALT_POLL. */
int  nx_profile_apply_vm_p(struct nx_profile *p, struct nx_vm *vm);
/* Called by a vCPU thread for itself: sched_setaffinity + SCHED_FIFO. */
int  nx_profile_apply_vcpu(struct nx_profile *p, struct nx_vcpu *vcpu);
/* Which host CPU vCPU `id` runs on under p, or -1 if not pinned. */
int  nx_profile_vcpu_cpu(const struct nx_profile *p, int id);

/* ---- host changes (tune/plan.c) and undo (tune/undo.c) ------------------ */
enum nx_change_kind { NX_CH_FILE, NX_CH_IRQBALANCE };
struct nx_change {
	enum nx_change_kind kind;
	char what[96];			/* "cpu0 scaling_governor"               */
	char rel[256];			/* path below the sysroot                */
	char cur[128];			/* current value, for display            */
	char val[128];			/* value to write                        */
	bool noop;			/* already at the value                  */
	int pid;			/* NX_CH_IRQBALANCE                       */
};
#define NX_MAX_CHANGES 256
struct nx_plan {
	struct nx_change c[NX_MAX_CHANGES];
	int n;
	char notes[8][192];		/* knobs skipped, with the reason         */
	int nnotes;
};
int  nx_plan_build(struct nx_plan *pl, const struct nx_profile *p, const struct nx_host *h);
void nx_plan_print(const struct nx_plan *pl, const struct nx_profile *p, FILE *out);
/* Applies the plan, writing the undo file first-to-last as it goes. */
int  nx_plan_apply(const struct nx_plan *pl, const char *sysroot, const char *undo_path);
int  nx_undo_restore(const char *undo_path);

#endif

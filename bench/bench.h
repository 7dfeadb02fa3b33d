/* SPDX-License-Identifier: MIT */
/*
 * bench.h - `nexit bench`: nexit side by side with QEMU/KVM on the same
 * probe guest, interleaved in rounds, with results.json, report.md and
 * gnuplot plots (docs/bench.md).
 *
 * Files: cli.c (entry, options, the run), runner.c (fork/exec with a
 * timeout, serial capture, first-byte time, RSS sample), vmm.c (nexit and
 * QEMU command lines), probe.c (the guest's PROBE line), cases.c (the case
 * table and what each case measures), stats.c (percentiles, confidence
 * intervals), memory.c (/proc/PID/smaps), host.c, report.c, plot.c.
 */
#ifndef NEXIT_BENCH_H
#define NEXIT_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The `nexit bench` command (cli/main.c dispatches to it). */
int nx_cmd_bench(int argc, char **argv);

/* ---- options ------------------------------------------------------------ */
enum nxb_mode { NXB_FULL, NXB_QUICK, NXB_SMOKE };

struct nxb_opts {
	enum nxb_mode mode;
	char out[4096];		/* output directory                      */
	char only[512];		/* "" = every case, else a comma list    */
	char nexit[4096];	/* the nexit binary that runs guests     */
	char probe[4096];	/* probe guest (multiboot ELF)           */
	char qemu[4096];	/* qemu-system-x86_64                    */
	char tmp[4096];		/* scratch directory inside out          */
	int rounds;		/* measured rounds per pair              */
	int warmup;		/* discarded rounds before the first     */
	int lat_n;		/* interrupts per MSI latency run        */
	int intx_n;		/* interrupts per INTx latency run       */
	int rate_ms;		/* rate window, ms                       */
	int timeout_s;		/* per VMM process                       */
	bool in_l1;		/* running inside the nested L1 machine  */
	char profile[256];	/* --profile: compare without/with it    */
	bool no_knobs;		/* --no-knobs: the whole profile only    */
	char knobs[512];	/* --knobs LIST: only these (and "profile") */
};

/* ---- one VMM process ---------------------------------------------------- */
#define NXB_MAX_ARGS 64
struct nxb_argv {
	char *v[NXB_MAX_ARGS + 1];
	int n;
	char store[8192];
	size_t used;
};
void nxb_argv_init(struct nxb_argv *a);
int  nxb_argv_add(struct nxb_argv *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The QEMU command line's shared parts (vmm.c): perf wrapper + QEMU/KVM/CPU, then
 * RAM/vCPUs/no defaults/serial on stdout. Non-zero if an argument did not fit. */
struct nxb_opts;
int  nxb_qemu_argv_head(const struct nxb_opts *o, const char *perf_out, const char *events,
			struct nxb_argv *a);
int  nxb_qemu_argv_common(int cpus, struct nxb_argv *a);

struct nxb_proc {
	/* in */
	int timeout_ms;
	int rss_every_ms;	/* > 0: sample smaps this often while it runs */
	uint64_t guest_ram;	/* bytes; mappings this large are guest RAM */
	const char *ram_name;	/* name of the guest RAM mapping, or NULL */
	/* Called once when a complete "PROBE ..." line has arrived. */
	void (*on_probe)(void *opaque);
	void *on_probe_opaque;
	const char *marker;	/* a serial line containing it sets marker_ns */
	/* out */
	int status;		/* exit status, or -1 if killed / no exit */
	bool timed_out;
	uint64_t start_ns, first_byte_ns, first_line_ns, marker_ns, end_ns;
	char *out;		/* everything the guest wrote to its serial (stdout) */
	size_t out_len;
	char err[2048];		/* tail of the VMM's stderr */
	int rss_samples;	/* smaps reads that found the process alive */
	uint64_t rss_vmm_kb;	/* largest Rss outside guest RAM seen (VMM process) */
	uint64_t rss_total_kb, rss_guest_kb;	/* of that same sample     */
	uint64_t rss_tree_kb;	/* largest of the same over the VMM and its children */
	int rss_nproc;		/* processes in that sample (VMM + backends) */
};
/* Runs argv to completion (or timeout); 0 if it ran (whatever its status). */
int  nxb_run(struct nxb_argv *a, struct nxb_proc *p);
void nxb_proc_free(struct nxb_proc *p);

/* ---- /proc/PID/smaps --------------------------------------------------- */
/* Rss of the whole process and of its guest RAM mapping(s): a mapping named
 * ram_name, or an anonymous one at least guest_ram bytes long. */
int nxb_smaps_rss(int pid, uint64_t guest_ram, const char *ram_name,
		  uint64_t *total_kb, uint64_t *guest_kb);
/* The same over pid and its direct children (device backends); nproc = how many. */
int nxb_tree_rss(int pid, uint64_t guest_ram, const char *ram_name,
		 uint64_t *total_kb, uint64_t *guest_kb, int *nproc);

/* ---- the VMMs ------------------------------------------------------------ */
enum nxb_vmm { NXB_NEXIT, NXB_QEMU, NXB_NVMM };
const char *nxb_vmm_name(enum nxb_vmm v);

/* One configuration of one VMM running one probe scenario. */
struct nxb_vmcfg {
	enum nxb_vmm vmm;
	const char *irqchip;	/* nexit: split|kernel; QEMU: split|on */
	bool edu;		/* nexit irqdev / QEMU edu              */
	const char *wait;	/* nexit irqdev wait= (NULL: default)   */
	bool fast_boot;		/* QEMU: the fastest boot options       */
	int cpus;
	const char *perf_events;	/* run under `perf stat -e` (QEMU)  */
	int rss_every_ms;	/* sample the VMM's RSS while it runs   */
	const char *assign;	/* a VFIO device (BDF) instead of irqdev/edu:
				 * nexit --assign, QEMU -device vfio-pci    */
	const char *qmp;	/* QEMU: QMP socket; the guest leaves by ACPI S5
				 * (no isa-debug-exit, -no-shutdown) and the
				 * KVM stats are read before "quit"   */
	const char *profile;	/* nexit run --profile (a tuning profile) */
	char cmdline[512];	/* probe command line                   */
};
/* Builds the argv; stats_json/perf_out are files the run writes (may be ""). */
int nxb_vm_argv(const struct nxb_opts *o, const struct nxb_vmcfg *c,
		const char *stats_json, const char *perf_out, struct nxb_argv *a);
#define NXB_GUEST_RAM (256ull << 20)

/* ---- QEMU's QMP (qmp.c) --------------------------------------------------- */
/* Waits for the VM to stop, sums the vCPUs' KVM "exits" stat, sends quit. */
int nxb_qmp_kvm_exits(const char *sock, double *exits, char *why, size_t wsz);

/* ---- the probe guest's result line ----------------------------------- */
struct json_object;
/* Parses the last "PROBE {json}" of out; NULL if none (caller puts it). */
struct json_object *nxb_probe_json(const char *out, size_t len);
/* The number under key; false if absent or not a number. */
bool nxb_json_num(struct json_object *o, const char *key, double *v);
/* The first key that ends in suffix and starts with prefix (prefix may be ""). */
bool nxb_json_find(struct json_object *o, const char *prefix, const char *suffix,
		   double *v, const char **key);
/* Last non-empty line of out (for "why it failed"), into buf. */
void nxb_last_line(const char *out, size_t len, char *buf, size_t sz);

/* ---- one judged run (run.c) ------------------------------------------- */
struct nxb_results;
struct nxb_vmrun {
	struct nxb_proc p;
	struct json_object *probe;	/* the PROBE line, NULL if none    */
	char stats[4400];		/* nexit --stats-json file, or ""  */
	char perf[4400];		/* perf stat CSV file, or ""       */
	bool ran;			/* the process was started         */
	bool ok;			/* ... and the guest passed        */
	bool kvm_ok;			/* QMP: KVM "exits" read           */
	double kvm_exits;
	char kvm_why[200];
	char why[256];			/* why not ok                      */
};
/* Runs c; tag names its files in o->tmp. True when the guest passed. */
bool nxb_vm_run(const struct nxb_opts *o, struct nxb_results *res, const struct nxb_vmcfg *c,
		const char *tag, bool want_stats, struct nxb_vmrun *r);
void nxb_vmrun_free(struct nxb_vmrun *r);

/* ---- statistics ---------------------------------------------------------- */
double nxb_median(const double *v, int n);
double nxb_quantile(const double *v, int n, double q);	/* sorted copy, linear */
/* Geometric mean of ratios with a Student-t interval on their logs (95%). */
struct nxb_ci { double mean, lo, hi; int n; };
void   nxb_ratio_ci(const double *ratios, int n, struct nxb_ci *ci);
double nxb_t95(int df);

/* ---- results ------------------------------------------------------------- */
#define NXB_MAX_ROUNDS 64
#define NXB_MAX_QUANT 8
/* Per-VMM series of one metric across rounds. */
struct nxb_series {
	double v[NXB_MAX_ROUNDS];
	int n;
	double samples;		/* total samples behind the values */
	char reason[256];	/* why there are no values          */
};

/* One row of results.json: case/path/metric, nexit vs qemu. */
struct nxb_row {
	char kase[16];
	char path[32];
	char metric[32];
	char unit[16];
	bool lower_better;
	struct nxb_series s[NXB_NVMM];
	double ratios[NXB_MAX_ROUNDS];	/* per round, where both ran */
	int nratios;
	char note[512];
	char where[8];		/* "" (where the bench ran) or "L1"  */
};

/* Latency distribution of one path and VMM, for the CDF plot. */
struct nxb_dist {
	char path[48];
	enum nxb_vmm vmm;
	double q[NXB_MAX_QUANT];	/* quantile, 0..1          */
	double ns[NXB_MAX_QUANT];	/* latency at that quantile */
	int nq;
};

struct nxb_host {
	char kernel[128], cpu[128], kvm[64], qemu_version[128], date[64], nexit_version[32];
	char where[8];			/* "host" or "L1" (the nested machine)   */
	char kvm_kind[8], kvm_reason[400];	/* core/kvm_kind.c            */
	int ncpus;
	char command[1024];
};

/* Differential exit counts of one interrupt path (case exits), per VMM:
 * [0] userspace (VMM) exits per interrupt, [1] kernel-side exits. */
struct nxb_exits {
	char path[32];
	bool ok[NXB_NVMM][2];
	double v[NXB_NVMM][2];
	double irqs[NXB_NVMM];
	char why[NXB_NVMM][2][200];
	char note[NXB_NVMM][200];
};

#define NXB_MAX_ROWS 128
#define NXB_MAX_DISTS 32
#define NXB_MAX_EXITS 8
struct nxb_results {
	struct nxb_host host;
	const struct nxb_opts *opts;
	struct nxb_row rows[NXB_MAX_ROWS];
	int nrows;
	struct nxb_dist dists[NXB_MAX_DISTS];
	int ndists;
	struct nxb_exits exits[NXB_MAX_EXITS];
	int nexits;
	char unavailable[NXB_NVMM][256];	/* why a VMM cannot run at all */
	char cases_run[256];
	double elapsed_s;
	int nexit_failed;		/* nexit runs that ran and failed   */
	char nexit_first_failure[256];
};
struct nxb_row *nxb_row_get(struct nxb_results *r, const char *kase, const char *path,
			    const char *metric, const char *unit, bool lower_better);
void nxb_row_add(struct nxb_row *row, enum nxb_vmm v, double x, double samples);
void nxb_row_fail(struct nxb_row *row, enum nxb_vmm v, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Reported figure of a series (median over rounds); false if empty. */
bool nxb_series_value(const struct nxb_series *s, double *v);

void nxb_host_probe(struct nxb_host *h, const struct nxb_opts *o, int argc, char **argv);

/* ---- cases ----------------------------------------------------------------- */
struct nxb_case {
	const char *name;
	const char *what;
	void (*run)(const struct nxb_opts *o, struct nxb_results *r);
};
extern const struct nxb_case nxb_cases[];
const struct nxb_case *nxb_case_find(const char *name);
void nxb_case_net(const struct nxb_opts *o, struct nxb_results *r);	/* bench/net.c */
/* boot/appliance (bench/appliance.c): the Linux appliance on both VMMs. */
void nxb_case_appliance(const struct nxb_opts *o, struct nxb_results *r);
/* An edu function (QEMU's test device, PCI 1234:11e8) behind an IOMMU and
 * bound to vfio-pci (bench/vfio.c binds one that is not yet); its BDF. */
bool nxb_vfio_edu(char *bdf, size_t sz, char *why, size_t wsz);

/* ---- --profile (profile.c): each latency/rate case without and with a
 * tuning profile, then each of its knobs alone; only in L1. ------------- */
int nxb_profile_bench(const struct nxb_opts *o, struct nxb_results *res);

/* ---- the nested L1 machine (l1.c) ------------------------------------------ */
/* Runs `nexit bench ARGS --out OUT` (plus extra) inside L1 through
 * tools/l1.sh, OUT shared; returns its exit status (125: no L1). */
int nxb_l1_bench(const struct nxb_opts *o, int argc, char **argv, const char *extra_only,
		 const char *out);
/* Its command line: L1 (tools/l1.sh) ARGS minus the user's --out, then --out OUT. */
int nxb_l1_argv(const struct nxb_opts *o, const char *l1, int argc, char **argv,
		const char *extra_only, const char *out, struct nxb_argv *a);
/* Adds the rows of another run's results.json (only those of PATH, unless
 * NULL) as rows measured in L1. */
int nxb_import_rows(struct nxb_results *r, const char *json_path, const char *path,
		    const char *note);
/* Runs `nexit bench --only ONLY` in L1 (OUT/PATH-l1) and adds its rows of
 * PATH (every row if NULL) with NOTE; a failed run counts as nexit's. */
void nxb_l1_case(const struct nxb_opts *o, struct nxb_results *res, const char *only,
		 const char *path, const char *note);

/* ---- output ------------------------------------------------------------ */
int nxb_write_json(const struct nxb_results *r, const char *path);
int nxb_write_report(const struct nxb_results *r, const char *path, const char *plots_note);
/* Writes data + gnuplot scripts under dir/plots and runs gnuplot; fills note. */
int nxb_plots(const struct nxb_results *r, const char *dir, char *note, size_t sz);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * cases.c - the benchmark cases and how each one is measured.
 *
 * A "pair" is the same probe scenario on nexit and on QEMU with the closest
 * configuration each VMM has. Pairs run in rounds, nexit and QEMU back to
 * back with the order alternating every round, so slow phases of this
 * shared 2-CPU machine hit both sides; warm-up rounds are discarded.
 *
 * Scenario names and keys follow docs/probe.md: a latency scenario prints
 * p50_ns, p99_ns, p999_ns, min_ns, max_ns and "received" (interrupts that
 * arrived); a rate scenario prints a key ending in _per_s.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sched.h>
#include <string.h>
#include <unistd.h>
#include <json-c/json.h>
#include "core/vm.h"
#include "bench/bench.h"

/* ---- the probe scenarios each case runs ------------------------------- */
#define SCN_MSI_RAISE	"scenario=msi-latency n=%d"
#define SCN_MSI_COMPL	"scenario=msi-latency n=%d trigger=fact"
#define SCN_INTX	"scenario=intx-latency n=%d"
#define SCN_MSI_RATE	"scenario=msi-rate ms=%d"
#define SCN_INTX_RATE	"scenario=intx-rate ms=%d"
#define SCN_BOOT	"scenario=hello"

struct metric {
	const char *suffix;	/* PROBE key suffix, or a host-side name */
	const char *name;	/* results.json "metric"                */
	const char *unit;
	bool lower_better;
};

static const struct metric LAT[] = {
	{ "p50_ns", "p50_ns", "ns", true },
	{ "p99_ns", "p99_ns", "ns", true },
	{ "p999_ns", "p999_ns", "ns", true },
	{ NULL, NULL, NULL, false },
};
static const struct metric RATE[] = {
	{ "per_s", "irqs_per_s", "1/s", false },
	{ NULL, NULL, NULL, false },
};
static const struct metric BOOT[] = {
	{ "first_line", "first_line_ms", "ms", true },
	{ "first_byte", "first_byte_ms", "ms", true },
	{ "exit", "total_ms", "ms", true },
	{ NULL, NULL, NULL, false },
};
static const struct metric RSS[] = {
	{ "vmm", "vmm_rss_kib", "KiB", true },
	{ "tree", "vmm_with_backends_rss_kib", "KiB", true },
	{ "total", "total_rss_kib", "KiB", true },
	{ "guest", "guest_ram_rss_kib", "KiB", true },
	{ NULL, NULL, NULL, false },
};
#define MAX_METRICS 5

enum kind { K_PROBE, K_BOOT, K_RSS };

struct pair {
	const char *kase, *path;
	const struct metric *m;
	enum kind kind;
	const char *scn;	/* printf format with one %d (n or ms), or none */
	int arg;
	const char *irqchip[NXB_NVMM];
	bool edu;
	bool fast_boot;		/* QEMU microvm */
	const char *prefix;	/* PROBE key prefix ("" = any)   */
	bool dist;		/* keep quantiles for the CDF    */
	/* The PROBE line must echo this key=value, or the probe did not do
	 * what the case asked (an older probe ignores unknown keys). */
	const char *need_key, *need_val;
	const char *wait;	/* nexit irqdev backend wait= (NULL: its default) */
	const char *assign;	/* a VFIO-assigned device instead of irqdev/edu */
	bool pin_cpu0;		/* both VMMs (all their threads) on CPU 0 */
};

/* Latency quantiles kept for the CDF plot: min, p50, p99, p99.9, max. */
#define Q_NS(name, permille) name NX_PROBE_SUFFIX_NS,	/* abi/guest_abi.h */
static const char *const Q_SUFFIX[] = { NX_PROBE_PERCENTILES(Q_NS) };
#undef Q_NS
static const double Q_LEVEL[] = { 0.0, 0.5, 0.99, 0.999, 1.0 };
#define NQ 5

static bool probe_has(struct json_object *probe, const char *key, const char *val,
		      char *why, size_t wsz);

static int extract(const struct pair *pr, struct nxb_vmrun *vr, double *val, bool *have,
		   double *samples, char *why, size_t wsz)
{
	const struct nxb_proc *p = &vr->p;
	int got = 0;

	*samples = 1;
	if (!probe_has(vr->probe, pr->need_key, pr->need_val, why, wsz))
		return 0;
	for (int i = 0; pr->m[i].name; i++) {
		const char *s = pr->m[i].suffix;

		have[i] = false;
		switch (pr->kind) {
		case K_PROBE:
			have[i] = nxb_json_find(vr->probe, pr->prefix, s, &val[i], NULL);
			break;
		case K_BOOT: {
			uint64_t t = !strcmp(s, "first_line") ? p->first_line_ns :
				     !strcmp(s, "first_byte") ? p->first_byte_ns : p->end_ns;
			if (t) {
				val[i] = (t - p->start_ns) / 1e6;
				have[i] = true;
			}
			break;
		}
		case K_RSS:
			if (p->rss_samples) {
				val[i] = !strcmp(s, "vmm") ? p->rss_vmm_kb :
					 !strcmp(s, "tree") ? p->rss_tree_kb :
					 !strcmp(s, "total") ? p->rss_total_kb : p->rss_guest_kb;
				have[i] = true;
			}
			break;
		}
		got += have[i];
	}
	if (pr->kind == K_PROBE) {
		double n;
		if (nxb_json_num(vr->probe, "received", &n) || nxb_json_num(vr->probe, "interrupts", &n) ||
		    nxb_json_num(vr->probe, "n", &n))
			*samples = n;
	} else if (pr->kind == K_RSS) {
		*samples = p->rss_samples;
	}
	if (!got)
		snprintf(why, wsz, pr->kind == K_RSS ? "no RSS sample while the VMM ran" :
			 pr->kind == K_BOOT ? "no serial output" :
			 "the PROBE line has no key ending in %s", pr->m[0].suffix);
	return got;
}

static void fill_cfg(const struct nxb_opts *o, const struct pair *pr, enum nxb_vmm v,
		     struct nxb_vmcfg *c)
{
	memset(c, 0, sizeof(*c));
	c->vmm = v;
	c->irqchip = pr->irqchip[v];
	c->edu = pr->edu;
	c->fast_boot = pr->fast_boot && v == NXB_QEMU;
	c->wait = v == NXB_NEXIT ? pr->wait : NULL;
	c->assign = pr->assign;
	c->cpus = 1;
	c->rss_every_ms = pr->kind == K_RSS ? 20 : 0;
	snprintf(c->cmdline, sizeof(c->cmdline), pr->scn, pr->arg);
}

static void run_pair(const struct nxb_opts *o, struct nxb_results *res, const struct pair *pr)
{
	struct nxb_row *rows[MAX_METRICS];
	double qv[NXB_NVMM][NQ][NXB_MAX_ROUNDS];
	int nqv[NXB_NVMM][NQ];
	bool dead[NXB_NVMM] = { false, false }, slow_boot = false;
	int okruns[NXB_NVMM] = { 0, 0 }, fails[NXB_NVMM] = { 0, 0 };
	int nm = 0, total = o->warmup + o->rounds;

	cpu_set_t saved, cpu0;
	bool pinned = false;

	memset(nqv, 0, sizeof(nqv));
	for (; pr->m[nm].name; nm++)
		rows[nm] = nxb_row_get(res, pr->kase, pr->path, pr->m[nm].name, pr->m[nm].unit,
				       pr->m[nm].lower_better);
	if (pr->pin_cpu0) {
		/* The VMMs inherit the harness's affinity at fork (restored below). */
		CPU_ZERO(&cpu0);
		CPU_SET(0, &cpu0);
		pinned = sched_getaffinity(0, sizeof(saved), &saved) == 0 &&
			 sched_setaffinity(0, sizeof(cpu0), &cpu0) == 0;
		snprintf(rows[0]->note, sizeof(rows[0]->note), "%s",
			 pinned ? "both VMMs pinned to CPU 0 (taskset-style): the VMM's service "
				  "threads wake on the vCPU's CPU (docs/tuning.md)"
				: "could not pin to CPU 0: ran unpinned");
	}

	for (int round = 0; round < total; round++) {
		double val[NXB_NVMM][MAX_METRICS];
		bool have[NXB_NVMM][MAX_METRICS];
		bool warm = round < o->warmup;

		memset(have, 0, sizeof(have));
		for (int k = 0; k < NXB_NVMM; k++) {
			/* Alternate who goes first, so drift does not favour one. */
			enum nxb_vmm v = (round & 1) ? (enum nxb_vmm)(NXB_NVMM - 1 - k) : (enum nxb_vmm)k;
			struct nxb_vmcfg c;
			struct nxb_vmrun vr;
			char tag[128], why[256];
			double samples;

			if (dead[v])
				continue;
			fill_cfg(o, pr, v, &c);
			snprintf(tag, sizeof(tag), "%s-%s-%s-r%d", pr->kase, pr->path,
				 nxb_vmm_name(v), round);
			fprintf(stderr, "bench: %-5s %-10s %-5s round %d%s\n", pr->kase, pr->path,
				nxb_vmm_name(v), round, warm ? " (warm-up)" : "");
			c.fast_boot = c.fast_boot && !slow_boot;
			bool ran = nxb_vm_run(o, res, &c, tag, false, &vr);
			if (!ran && c.fast_boot) {
				/* microvm did not boot the probe: fall back to q35
				 * -nodefaults for this and later rounds, and say so. */
				struct nxb_row *r0 = rows[0];
				snprintf(r0->note + strlen(r0->note), sizeof(r0->note) - strlen(r0->note),
					 "%sQEMU microvm failed (%.120s): q35 -nodefaults used instead",
					 r0->note[0] ? "; " : "", vr.why);
				nxb_vmrun_free(&vr);
				slow_boot = true;
				c.fast_boot = false;
				ran = nxb_vm_run(o, res, &c, tag, false, &vr);
			}
			if (!ran || !extract(pr, &vr, val[v], have[v], &samples, why, sizeof(why))) {
				/* A VMM that failed its first two runs of this pair
				 * (a setup it cannot do) will not run it later
				 * either: stop spending time on it. Any other failure
				 * loses its round only, up to 3: in L1 an L2 guest of
				 * either VMM hangs about once in 40 runs, the first
				 * round's too (docs/bench.md). */
				const char *w = vr.ok ? why : vr.why;
				fprintf(stderr, "bench:   %s: failed: %s\n", nxb_vmm_name(v), w);
				if (++fails[v] >= (okruns[v] ? 3 : 2)) {
					for (int i = 0; i < nm; i++)
						nxb_row_fail(rows[i], v, "%s", w);
					dead[v] = true;
				}
				if (!dead[v] || okruns[v]) {
					struct nxb_row *r0 = rows[0];
					snprintf(r0->note + strlen(r0->note), sizeof(r0->note) - strlen(r0->note),
						 "%s%s round %d failed (%.100s)", r0->note[0] ? "; " : "",
						 nxb_vmm_name(v), round, w);
				}
				nxb_vmrun_free(&vr);
				continue;
			}
			okruns[v]++;
			if (!warm) {
				for (int i = 0; i < nm; i++) {
					if (have[v][i])
						nxb_row_add(rows[i], v, val[v][i], samples);
					else
						nxb_row_fail(rows[i], v, "the PROBE line has no key ending in %s",
							     pr->m[i].suffix);
				}
				for (int q = 0; pr->dist && q < NQ; q++) {
					double x;
					if (nxb_json_find(vr.probe, pr->prefix, Q_SUFFIX[q], &x, NULL))
						qv[v][q][nqv[v][q]++] = x;
				}
			}
			nxb_vmrun_free(&vr);
		}
		if (warm)
			continue;
		for (int i = 0; i < nm; i++)
			if (have[NXB_NEXIT][i] && have[NXB_QEMU][i] && val[NXB_QEMU][i] > 0 &&
			    rows[i]->nratios < NXB_MAX_ROUNDS)
				rows[i]->ratios[rows[i]->nratios++] = val[NXB_NEXIT][i] / val[NXB_QEMU][i];
	}

	/* The CDF through the median of each reported quantile. */
	for (int v = 0; pr->dist && v < NXB_NVMM; v++) {
		struct nxb_dist *d;

		if (!nqv[v][1] || res->ndists >= NXB_MAX_DISTS)
			continue;
		d = &res->dists[res->ndists++];
		memset(d, 0, sizeof(*d));
		snprintf(d->path, sizeof(d->path), "%s-%s", pr->kase, pr->path);
		d->vmm = (enum nxb_vmm)v;
		for (int q = 0; q < NQ; q++) {
			if (!nqv[v][q])
				continue;
			d->q[d->nq] = Q_LEVEL[q];
			d->ns[d->nq] = nxb_median(qv[v][q], nqv[v][q]);
			d->nq++;
		}
	}
	if (pinned)
		sched_setaffinity(0, sizeof(saved), &saved);
}

/* ---- exits: differential counts ----------------------------------------- */
/*
 * A run counts exits from process start, boot included, and on kvm_pvm the
 * kernel-side "exits" stat also counts ring-0 emulation batches
 * (docs/machine.md). So each VMM runs the scenario twice, with n1 and n2
 * interrupts, and exits per interrupt = (E(n2) - E(n1)) / (I(n2) - I(n1)):
 * boot, set-up and the result printing cancel out.
 *
 * nexit: userspace exits = stats JSON exits.total (every KVM_RUN return),
 * kernel = the KVM binary stat "exits" (KVM_GET_STATS_FD), summed over vCPUs.
 * QEMU exposes neither, so it runs under `perf stat` with the tracepoints
 * kvm:kvm_userspace_exit (every KVM_RUN return to QEMU) and kvm:kvm_exit.
 */
#define PERF_EVENTS "kvm:kvm_userspace_exit,kvm:kvm_exit"

struct exits_path {
	const char *path;	/* "msi-raise", ...           */
	const char *scn;	/* with one %d: interrupts   */
	const char *irqchip[NXB_NVMM];
	const char *need_key, *need_val;	/* as in struct pair */
};

static const struct exits_path EXIT_PATHS[] = {
	{ "msi-raise", SCN_MSI_RAISE, { "split", "split" }, NULL, NULL },
	{ "msi-completion", SCN_MSI_COMPL, { "split", "split" }, "trigger", "fact" },
	{ "intx-split", SCN_INTX, { "split", "split" }, NULL, NULL },
	{ "intx-kernel", SCN_INTX, { "kernel", "on" }, NULL, NULL },
	{ NULL, NULL, { NULL, NULL }, NULL, NULL },
};

/* The probe did what was asked: see struct pair's need_key. */
static bool probe_has(struct json_object *probe, const char *key, const char *val,
		      char *why, size_t wsz)
{
	struct json_object *x;

	if (!key)
		return true;
	if (json_object_object_get_ex(probe, key, &x) && !strcmp(json_object_get_string(x), val))
		return true;
	snprintf(why, wsz, "the probe guest's PROBE line has no \"%s\":\"%s\": its scenario "
		 "does not implement this sub-case yet", key, val);
	return false;
}

static bool perf_count(const char *file, const char *event, double *v)
{
	FILE *f = fopen(file, "r");
	char line[512];
	bool ok = false;

	if (!f)
		return false;
	/* CSV: count,unit,event,... ; "<not counted>" / "<not supported>" fail. */
	while (fgets(line, sizeof(line), f)) {
		char *c1 = strchr(line, ','), *c2 = c1 ? strchr(c1 + 1, ',') : NULL;

		if (!c2 || strncmp(c2 + 1, event, strlen(event)) || c2[1 + strlen(event)] != ',')
			continue;
		if (line[0] >= '0' && line[0] <= '9') {
			*v = strtod(line, NULL);
			ok = true;
		}
	}
	fclose(f);
	return ok;
}

static bool stats_counts(const char *file, double *user, double *kern, bool *kern_ok)
{
	struct json_object *o = json_object_from_file(file), *x, *y;
	bool ok = false;

	*kern_ok = false;
	if (!o)
		return false;
	if (json_object_object_get_ex(o, "exits", &x) && json_object_object_get_ex(x, "total", &y)) {
		*user = json_object_get_double(y);
		ok = true;
	}
	if (json_object_object_get_ex(o, "kvm", &x) && json_object_object_get_ex(x, "exits", &y) &&
	    (json_object_is_type(y, json_type_int) || json_object_is_type(y, json_type_double))) {
		*kern = json_object_get_double(y);
		*kern_ok = true;
	}
	json_object_put(o);
	return ok;
}

/* One run: interrupts delivered, userspace and kernel exits. */
static bool exits_run(const struct nxb_opts *o, struct nxb_results *res, const struct exits_path *ep,
		      enum nxb_vmm v, int n, double *irqs, double cnt[2], bool cok[2],
		      double *probe_epi, double *tp_kvm_exit, char *why, size_t wsz,
		      char *kwhy, size_t kwsz)
{
	struct nxb_vmcfg c;
	struct nxb_vmrun vr;
	char tag[128], qmp[64];
	bool ok;

	memset(&c, 0, sizeof(c));
	c.vmm = v;
	c.irqchip = ep->irqchip[v];
	c.edu = true;
	c.cpus = 1;
	c.perf_events = v == NXB_QEMU ? PERF_EVENTS : NULL;
	snprintf(qmp, sizeof(qmp), "/tmp/nexit-bench-%d.qmp", (int)getpid());
	c.qmp = v == NXB_QEMU ? qmp : NULL;
	snprintf(c.cmdline, sizeof(c.cmdline), ep->scn, n);
	snprintf(tag, sizeof(tag), "exits-%s-%s-n%d", ep->path, nxb_vmm_name(v), n);
	fprintf(stderr, "bench: exits %-14s %-5s n=%d\n", ep->path, nxb_vmm_name(v), n);
	if (!nxb_vm_run(o, res, &c, tag, true, &vr)) {
		snprintf(why, wsz, "%.190s", vr.why);
		if (v == NXB_QEMU && vr.ran && strstr(vr.p.err, "perf"))
			snprintf(why, wsz, "perf stat failed: %.180s", vr.p.err);
		nxb_vmrun_free(&vr);
		return false;
	}
	if (!probe_has(vr.probe, ep->need_key, ep->need_val, why, wsz)) {
		nxb_vmrun_free(&vr);
		return false;
	}
	*irqs = n;
	if (!nxb_json_num(vr.probe, "received", irqs))
		nxb_json_num(vr.probe, "n", irqs);
	*probe_epi = -1;
	nxb_json_num(vr.probe, "vmm_exits_per_irq", probe_epi);
	ok = true;
	if (v == NXB_NEXIT) {
		if (!stats_counts(vr.stats, &cnt[0], &cnt[1], &cok[1])) {
			snprintf(why, wsz, "nexit wrote no exits.total to --stats-json");
			ok = false;
		}
		cok[0] = ok;
	} else {
		double tp = 0;

		cok[0] = perf_count(vr.perf, "kvm:kvm_userspace_exit", &cnt[0]);
		/* Kernel side: KVM's binary stats through QMP query-stats. The
		 * kvm:kvm_exit tracepoint would be the other way, but on kvm_pvm
		 * it never fires (counted 0 here while QEMU exits to userspace). */
		cok[1] = vr.kvm_ok;
		cnt[1] = vr.kvm_exits;
		if (!vr.kvm_ok)
			snprintf(kwhy, kwsz, "%s", vr.kvm_why);
		*tp_kvm_exit = perf_count(vr.perf, "kvm:kvm_exit", &tp) ? tp : -1;
		unlink(qmp);
		if (!cok[0]) {
			snprintf(why, wsz, "perf stat could not count kvm:kvm_userspace_exit");
			ok = false;
		}
	}
	nxb_vmrun_free(&vr);
	return ok;
}

/* Measures (or returns the cached measurement of) one path. */
static const struct nxb_exits *exits_measure(const struct nxb_opts *o, struct nxb_results *res,
					     const struct exits_path *ep)
{
	struct nxb_exits *e;
	int n = strstr(ep->path, "intx") ? o->intx_n : o->lat_n;
	int n1 = n / 5 > 10 ? n / 5 : 10, n2 = n > 2 * n1 ? n : 5 * n1;

	for (int i = 0; i < res->nexits; i++)
		if (!strcmp(res->exits[i].path, ep->path))
			return &res->exits[i];
	if (res->nexits >= NXB_MAX_EXITS)
		return NULL;
	e = &res->exits[res->nexits++];
	memset(e, 0, sizeof(*e));
	snprintf(e->path, sizeof(e->path), "%s", ep->path);
	for (int v = 0; v < NXB_NVMM; v++) {
		double i1, i2, c1[2], c2[2], epi1, epi2, tp1 = -1, tp2 = -1;
		bool ok1[2] = { false, false }, ok2[2] = { false, false };
		char why[200], kwhy[200] = "";

		if (!exits_run(o, res, ep, (enum nxb_vmm)v, n1, &i1, c1, ok1, &epi1, &tp1, why, sizeof(why),
			       kwhy, sizeof(kwhy)) ||
		    !exits_run(o, res, ep, (enum nxb_vmm)v, n2, &i2, c2, ok2, &epi2, &tp2, why, sizeof(why),
			       kwhy, sizeof(kwhy))) {
			snprintf(e->why[v][0], sizeof(e->why[v][0]), "%s", why);
			snprintf(e->why[v][1], sizeof(e->why[v][1]), "%s", why);
			continue;
		}
		if (i2 <= i1) {
			snprintf(e->why[v][0], sizeof(e->why[v][0]),
				 "the guest delivered no more interrupts with n=%d than n=%d", n2, n1);
			snprintf(e->why[v][1], sizeof(e->why[v][1]), "%s", e->why[v][0]);
			continue;
		}
		e->irqs[v] = i2 - i1;
		for (int k = 0; k < 2; k++) {
			if (ok1[k] && ok2[k]) {
				double d = (c2[k] - c1[k]) / (i2 - i1);
				e->v[v][k] = d < 0 ? 0 : d;
				e->ok[v][k] = true;
			}
		}
		if (!e->ok[v][1])
			snprintf(e->why[v][1], sizeof(e->why[v][1]), "%.190s",
				 v == NXB_NEXIT ? "nexit's stats JSON has no kvm.exits (no KVM_GET_STATS_FD)"
				 : kwhy[0] ? kwhy : "QMP query-stats gave no KVM exits");
		if (v == NXB_QEMU && tp1 == 0 && tp2 == 0)
			snprintf(e->note[v], sizeof(e->note[v]), "perf's kvm:kvm_exit tracepoint counted 0 "
				 "on this host (kvm_pvm does not fire it)");
		if (v == NXB_NEXIT && epi2 >= 0)
			snprintf(e->note[v], sizeof(e->note[v]),
				 "the probe's own window count (nexit counter page) says %.3g", epi2);
	}
	return e;
}

static void exits_rows(struct nxb_results *res, const char *kase, const char *path,
		       const struct nxb_exits *e, bool kernel_too)
{
	static const char *const metric[2] = { "vmm_exits_per_irq", "kernel_exits_per_irq" };

	for (int k = 0; k < (kernel_too ? 2 : 1); k++) {
		struct nxb_row *row = nxb_row_get(res, kase, path, metric[k], "exits", true);

		for (int v = 0; v < NXB_NVMM; v++) {
			if (e && e->ok[v][k])
				nxb_row_add(row, (enum nxb_vmm)v, e->v[v][k], e->irqs[v]);
			else
				nxb_row_fail(row, (enum nxb_vmm)v, "%s",
					     e ? e->why[v][k] : "too many exit measurements");
		}
		if (e && e->ok[0][k] && e->ok[1][k] && e->v[1][k] > 0)
			row->ratios[row->nratios++] = e->v[0][k] / e->v[1][k];
		if (e && k == 0 && e->note[0][0])
			snprintf(row->note, sizeof(row->note), "differential over two runs; %s", e->note[0]);
		else if (e && k == 1)
			snprintf(row->note, sizeof(row->note), "KVM binary stat \"exits\" (nexit: "
				 "KVM_GET_STATS_FD; QEMU: QMP query-stats), differential; on kvm_pvm it "
				 "also counts ring-0 emulation batches%s%s", e->note[1][0] ? "; " : "",
				 e->note[1]);
		else
			snprintf(row->note, sizeof(row->note), "differential over two runs");
	}
}

/* ---- the cases ----------------------------------------------------------- */
static void case_msi(const struct nxb_opts *o, struct nxb_results *res)
{
	const struct pair raise = { "msi", "raise", LAT, K_PROBE, SCN_MSI_RAISE, o->lat_n,
		{ "split", "split" }, true, false, "", true };
	struct pair compl = raise;
	struct pair poll, adaptive;

	compl.path = "completion";
	compl.scn = SCN_MSI_COMPL;
	compl.need_key = "trigger";
	compl.need_val = "fact";
	/* The completion goes through nexit-devd, so its wait strategy is a
	 * knob: block (default) sleeps in epoll_wait and pays a cross-CPU
	 * wake-up; poll spins on a CPU; adaptive spins a while, then blocks. */
	poll = adaptive = compl;
	poll.path = "completion-poll";
	poll.wait = "poll";
	adaptive.path = "completion-adaptive";
	adaptive.wait = "adaptive";
	run_pair(o, res, &raise);
	run_pair(o, res, &compl);
	if (o->mode == NXB_FULL) {
		run_pair(o, res, &poll);
		run_pair(o, res, &adaptive);
		for (int i = 0; i < res->nrows; i++)
			if (!strncmp(res->rows[i].path, "completion-", 11))
				snprintf(res->rows[i].note, sizeof(res->rows[i].note),
					 "nexit-devd wait=%s; QEMU has no such knob: its side is the "
					 "completion configuration, measured again in these rounds",
					 res->rows[i].path + 11);
	}
	/* The zero-exit figure belongs with the msi numbers. */
	exits_rows(res, "msi", "raise", exits_measure(o, res, &EXIT_PATHS[0]), false);
	exits_rows(res, "msi", "completion", exits_measure(o, res, &EXIT_PATHS[1]), false);
}

static void case_intx(const struct nxb_opts *o, struct nxb_results *res)
{
	const struct pair split = { "intx", "split", LAT, K_PROBE, SCN_INTX, o->intx_n,
		{ "split", "split" }, true, false, "", true };
	struct pair kern = split;

	kern.path = "kernel";
	kern.irqchip[NXB_NEXIT] = "kernel";
	kern.irqchip[NXB_QEMU] = "on";
	/* No wait= variant: under split the vCPU thread that takes the raise
	 * register's exit delivers, under kernel nexit's own event thread takes
	 * the raise doorbell (passthrough/irqdev.c); nexit-devd is not on
	 * this path. */
	struct pair pinned = split;

	pinned.path = "split-pinned";
	pinned.pin_cpu0 = true;
	pinned.dist = false;
	run_pair(o, res, &split);
	run_pair(o, res, &pinned);
	run_pair(o, res, &kern);
}

static void case_rate(const struct nxb_opts *o, struct nxb_results *res)
{
	const struct pair msi = { "rate", "msi", RATE, K_PROBE, SCN_MSI_RATE, o->rate_ms,
		{ "split", "split" }, true, false, "", false };
	struct pair split = msi, kern = msi;

	split.path = "intx-split";
	split.scn = SCN_INTX_RATE;
	kern.path = "intx-kernel";
	kern.scn = SCN_INTX_RATE;
	kern.irqchip[NXB_NEXIT] = "kernel";
	kern.irqchip[NXB_QEMU] = "on";
	run_pair(o, res, &msi);
	run_pair(o, res, &split);
	if (o->mode == NXB_FULL)
		run_pair(o, res, &kern);
}

static void case_exits(const struct nxb_opts *o, struct nxb_results *res)
{
	for (const struct exits_path *ep = EXIT_PATHS; ep->path; ep++)
		exits_rows(res, "exits", ep->path, exits_measure(o, res, ep), true);
}

static void case_boot(const struct nxb_opts *o, struct nxb_results *res)
{
	const struct pair boot = { "boot", "probe", BOOT, K_BOOT, SCN_BOOT, 0,
		{ "split", "split" }, false, true, "", false };
	struct nxb_row *row;

	row = nxb_row_get(res, "boot", "probe", "first_line_ms", "ms", true);
	snprintf(row->note, sizeof(row->note),
		 "QEMU -M microvm (qboot, no PCI) -nodefaults; nexit writes its serial per line, "
		 "so its first byte arrives with its first line");
	run_pair(o, res, &boot);
	/* The Linux appliance, same files and command line on both VMMs. */
	nxb_case_appliance(o, res);
}

static void case_rss(const struct nxb_opts *o, struct nxb_results *res)
{
	const struct pair rss = { "rss", "msi-raise", RSS, K_RSS, SCN_MSI_RAISE, o->lat_n,
		{ "split", "split" }, true, false, "", false };
	struct nxb_row *row;

	run_pair(o, res, &rss);
	row = nxb_row_get(res, "rss", "msi-raise", "vmm_rss_kib", "KiB", true);
	snprintf(row->note, sizeof(row->note),
		 "largest Rss of the VMM process outside guest RAM in /proc/PID/smaps, sampled every "
		 "20 ms while the msi-raise scenario runs; guest RAM = nexit's memfd nexit-ram, "
		 "QEMU's anonymous mapping of >= %llu MiB", NXB_GUEST_RAM >> 20);
	row = nxb_row_get(res, "rss", "msi-raise", "vmm_with_backends_rss_kib", "KiB", true);
	snprintf(row->note, sizeof(row->note),
		 "the same summed over the VMM and its direct children: nexit's irqdev backend "
		 "nexit-devd (the stand-in for an assigned device); QEMU's edu is in-process");
}

/*
 * vfio: the same device assigned to each VMM through VFIO: nexit --assign
 * (VFIO MSI eventfd bound to a KVM irqfd; INTx through nexit's fallback
 * controller) against QEMU -device vfio-pci. The device is QEMU's edu
 * behind the nested L1 machine's intel-iommu, so on a host without one the
 * case runs in L1 (bench/l1.c) and its rows say so.
 */
static void case_vfio(const struct nxb_opts *o, struct nxb_results *res)
{
	static char bdf[32];
	char why[256];
	struct pair compl = { "vfio", "msi-completion", LAT, K_PROBE, SCN_MSI_COMPL, o->lat_n,
		{ "split", "split" }, false, false, "", true, "trigger", "fact" };
	struct pair intx = { "vfio", "intx", LAT, K_PROBE, SCN_INTX, o->intx_n,
		{ "split", "split" }, false, false, "", true };

	if (!nxb_vfio_edu(bdf, sizeof(bdf), why, sizeof(why))) {
		if (!o->in_l1) {
			fprintf(stderr, "bench: vfio: %s: the case runs in the nested L1 machine\n", why);
			nxb_l1_case(o, res, "vfio", NULL, "measured in the nested L1 machine (QEMU TCG, "
				    "KVM-SVM, edu behind intel-iommu): compare the two VMMs, not these "
				    "figures with this host's");
			return;
		}
		for (int v = 0; v < NXB_NVMM; v++) {
			nxb_row_fail(nxb_row_get(res, "vfio", "msi-completion", "p50_ns", "ns", true),
				     (enum nxb_vmm)v, "%s", why);
			nxb_row_fail(nxb_row_get(res, "vfio", "intx", "p50_ns", "ns", true),
				     (enum nxb_vmm)v, "%s", why);
		}
		return;
	}
	compl.assign = intx.assign = bdf;
	run_pair(o, res, &compl);
	run_pair(o, res, &intx);
}

const struct nxb_case nxb_cases[] = {
	{ "msi", "MSI doorbell->ISR (raise) and device completion->ISR, exitless vs emulated edu", case_msi },
	{ "intx", "level INTx round trip with EOI: split and kernel irqchip", case_intx },
	{ "rate", "sustained interrupts per second into one vCPU", case_rate },
	{ "exits", "VMM and kernel exits per interrupt, per path", case_exits },
	{ "boot", "process start to first guest serial output; the Linux appliance to its ready line and exit", case_boot },
	{ "rss", "VMM resident memory beyond guest RAM", case_rss },
	{ "net", "DPDK testpmd traffic through vhost-user-net", nxb_case_net },	/* bench/net.c */
	{ "vfio", "edu assigned through VFIO: MSI completion and INTx, nexit --assign vs QEMU vfio-pci",
	  case_vfio },
	{ NULL, NULL, NULL },
};

const struct nxb_case *nxb_case_find(const char *name)
{
	for (const struct nxb_case *c = nxb_cases; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

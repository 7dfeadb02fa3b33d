/* SPDX-License-Identifier: MIT */
/*
 * report.c - results.json (json-c) and report.md. The schema is documented
 * in docs/bench.md; a side that could not run has null and a "_reason".
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <json-c/json.h>
#include "core/vm.h"
#include "bench/bench.h"

static const char *const MODE[] = { "full", "quick", "smoke" };

/* The goals issues 5 and 14 set, as (case, path, metric, ratio or absolute limit). */
struct goal {
	const char *text, *kase, *path, *metric;
	double limit;
	bool absolute;		/* limit on nexit's own figure, not the ratio */
};
static const struct goal GOALS[] = {
	{ "msi p99 <= 0.5x QEMU (raise)", "msi", "raise", "p99_ns", 0.5, false },
	{ "msi p99 <= 0.5x QEMU (completion)", "msi", "completion", "p99_ns", 0.5, false },
	{ "intx p99 <= 1.0x QEMU split", "intx", "split", "p99_ns", 1.0, false },
	{ "boot <= 0.5x QEMU", "boot", "probe", "first_line_ms", 0.5, false },
	{ "appliance boot <= 0.5x QEMU's best", "boot", "appliance", "total_ms", 0.5, false },
	{ "VMM RSS <= 2 MiB", "rss", "msi-raise", "vmm_rss_kib", 2048, true },
	{ "net pps >= 1.0x QEMU", "net", "testpmd-txonly", "pps", 1.0, false },
	{ NULL, NULL, NULL, NULL, 0, false },
};

struct fig {
	bool have[NXB_NVMM];
	double v[NXB_NVMM];
	double ratio;		/* v[nexit] / v[qemu], or NaN */
	struct nxb_ci ci;
};

static void figures(const struct nxb_row *row, struct fig *f)
{
	memset(f, 0, sizeof(*f));
	for (int v = 0; v < NXB_NVMM; v++)
		f->have[v] = nxb_series_value(&row->s[v], &f->v[v]);
	f->ratio = (f->have[0] && f->have[1] && f->v[1] != 0) ? f->v[0] / f->v[1] : NAN;
	nxb_ratio_ci(row->ratios, row->nratios, &f->ci);
}

static const struct nxb_row *find_row(const struct nxb_results *r, const char *kase,
				      const char *path, const char *metric)
{
	for (int i = 0; i < r->nrows; i++)
		if (!strcmp(r->rows[i].kase, kase) && !strcmp(r->rows[i].path, path) &&
		    !strcmp(r->rows[i].metric, metric))
			return &r->rows[i];
	return NULL;
}

/* 1 met, 0 not met, -1 not measured. */
static int goal_met(const struct nxb_results *r, const struct goal *g, double *x)
{
	const struct nxb_row *row = find_row(r, g->kase, g->path, g->metric);
	struct fig f;

	if (!row)
		return -1;
	figures(row, &f);
	if (g->absolute) {
		if (!f.have[NXB_NEXIT])
			return -1;
		*x = f.v[NXB_NEXIT];
		return *x <= g->limit;
	}
	if (f.ratio != f.ratio)
		return -1;
	*x = f.ratio;
	return row->lower_better ? f.ratio <= g->limit : f.ratio >= g->limit;
}

static struct json_object *num_or_null(bool have, double v)
{
	if (!have || v != v)
		return NULL;
	return json_object_new_double(v);
}

int nxb_write_json(const struct nxb_results *r, const char *path)
{
	struct json_object *root = json_object_new_object(), *host = json_object_new_object();
	struct json_object *cases = json_object_new_array(), *goals = json_object_new_array();
	struct json_object *unav = json_object_new_object();
	const struct nxb_opts *o = r->opts;
	int ret = 0;

	json_object_object_add(host, "kernel", json_object_new_string(r->host.kernel));
	json_object_object_add(host, "cpu", json_object_new_string(r->host.cpu));
	json_object_object_add(host, "cpus", json_object_new_int(r->host.ncpus));
	json_object_object_add(host, "kvm", json_object_new_string(r->host.kvm));
	json_object_object_add(host, "where", json_object_new_string(r->host.where));
	json_object_object_add(host, "kvm_kind", json_object_new_string(r->host.kvm_kind));
	json_object_object_add(host, "kvm_kind_reason", json_object_new_string(r->host.kvm_reason));
	json_object_object_add(host, "qemu", json_object_new_string(r->host.qemu_version));
	json_object_object_add(host, "nexit_commit", json_object_new_string(r->host.nexit_version));
	json_object_object_add(host, "date", json_object_new_string(r->host.date));
	json_object_object_add(host, "command", json_object_new_string(r->host.command));
	json_object_object_add(host, "mode", json_object_new_string(MODE[o->mode]));
	json_object_object_add(host, "rounds", json_object_new_int(o->rounds));
	json_object_object_add(host, "warmup_rounds", json_object_new_int(o->warmup));
	json_object_object_add(host, "irqs_per_msi_run", json_object_new_int(o->lat_n));
	json_object_object_add(host, "irqs_per_intx_run", json_object_new_int(o->intx_n));
	json_object_object_add(host, "rate_window_ms", json_object_new_int(o->rate_ms));
	json_object_object_add(host, "cases_run", json_object_new_string(r->cases_run));
	json_object_object_add(host, "elapsed_s", json_object_new_double(r->elapsed_s));
	for (int v = 0; v < NXB_NVMM; v++)
		if (r->unavailable[v][0])
			json_object_object_add(unav, nxb_vmm_name(v),
					       json_object_new_string(r->unavailable[v]));
	json_object_object_add(host, "unavailable", unav);
	json_object_object_add(root, "host", host);

	for (int i = 0; i < r->nrows; i++) {
		const struct nxb_row *row = &r->rows[i];
		struct json_object *c = json_object_new_object();
		struct fig f;
		double n = 0;

		figures(row, &f);
		json_object_object_add(c, "case", json_object_new_string(row->kase));
		json_object_object_add(c, "path", json_object_new_string(row->path));
		json_object_object_add(c, "metric", json_object_new_string(row->metric));
		json_object_object_add(c, "unit", json_object_new_string(row->unit));
		json_object_object_add(c, "lower_is_better", json_object_new_boolean(row->lower_better));
		json_object_object_add(c, "where", json_object_new_string(
			row->where[0] ? row->where : r->host.where));
		for (int v = 0; v < NXB_NVMM; v++) {
			char key[32];

			json_object_object_add(c, nxb_vmm_name(v), num_or_null(f.have[v], f.v[v]));
			if (!f.have[v]) {
				snprintf(key, sizeof(key), "%s_reason", nxb_vmm_name(v));
				json_object_object_add(c, key, json_object_new_string(
					row->s[v].reason[0] ? row->s[v].reason : "not run"));
			}
			snprintf(key, sizeof(key), "n_%s", nxb_vmm_name(v));
			json_object_object_add(c, key, json_object_new_int64((int64_t)row->s[v].samples));
			if (f.have[v] && (n == 0 || row->s[v].samples < n))
				n = row->s[v].samples;
		}
		json_object_object_add(c, "ratio", num_or_null(true, f.ratio));
		if (f.ci.n >= 2 && f.ci.lo == f.ci.lo) {
			struct json_object *a = json_object_new_array();
			json_object_array_add(a, json_object_new_double(f.ci.lo));
			json_object_array_add(a, json_object_new_double(f.ci.hi));
			json_object_object_add(c, "ratio_ci95", a);
		} else {
			json_object_object_add(c, "ratio_ci95", NULL);
		}
		json_object_object_add(c, "ratio_gmean", num_or_null(f.ci.n > 0, f.ci.mean));
		json_object_object_add(c, "rounds", json_object_new_int(
			row->s[0].n > row->s[1].n ? row->s[0].n : row->s[1].n));
		json_object_object_add(c, "n", json_object_new_int64((int64_t)n));
		if (row->note[0])
			json_object_object_add(c, "note", json_object_new_string(row->note));
		json_object_array_add(cases, c);
	}
	json_object_object_add(root, "cases", cases);

	for (const struct goal *g = GOALS; g->text; g++) {
		struct json_object *j = json_object_new_object();
		double x = 0;
		int met = goal_met(r, g, &x);

		json_object_object_add(j, "goal", json_object_new_string(g->text));
		json_object_object_add(j, "value", met < 0 ? NULL : json_object_new_double(x));
		json_object_object_add(j, "met", met < 0 ? NULL : json_object_new_boolean(met));
		json_object_array_add(goals, j);
	}
	json_object_object_add(root, "goals", goals);

	if (json_object_to_file_ext(path, root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE) < 0)
		ret = nx_error("cannot write %s", path);
	json_object_put(root);
	return ret;
}

static void fmt_num(char *buf, size_t sz, bool have, double v, const char *unit)
{
	if (!have)
		snprintf(buf, sz, "—");
	else if (!strcmp(unit, "ns") || !strcmp(unit, "KiB") || !strcmp(unit, "1/s"))
		snprintf(buf, sz, "%.0f", v);
	else if (!strcmp(unit, "ms"))
		snprintf(buf, sz, "%.1f", v);
	else
		snprintf(buf, sz, "%.3g", v);
}

static void report_case(FILE *f, const struct nxb_results *r, const char *kase)
{
	bool any = false;

	for (int i = 0; i < r->nrows; i++) {
		const struct nxb_row *row = &r->rows[i];
		char a[32], b[32], ratio[96], n[48];
		struct fig fg;

		if (strcmp(row->kase, kase))
			continue;
		if (!any) {
			fprintf(f, "| path | metric | nexit | QEMU | nexit/QEMU [95%% CI] | samples (nexit/QEMU) | rounds |\n"
				   "|---|---|---|---|---|---|---|\n");
			any = true;
		}
		figures(row, &fg);
		fmt_num(a, sizeof(a), fg.have[0], fg.v[0], row->unit);
		fmt_num(b, sizeof(b), fg.have[1], fg.v[1], row->unit);
		if (fg.ratio != fg.ratio)
			snprintf(ratio, sizeof(ratio), "—");
		else if (fg.ci.n >= 2 && fg.ci.lo == fg.ci.lo)
			snprintf(ratio, sizeof(ratio), "%.2f [%.2f, %.2f]", fg.ratio, fg.ci.lo, fg.ci.hi);
		else
			snprintf(ratio, sizeof(ratio), "%.2f", fg.ratio);
		snprintf(n, sizeof(n), "%.0f / %.0f", row->s[0].samples, row->s[1].samples);
		fprintf(f, "| %s | %s (%s%s) | %s | %s | %s | %s | %d / %d |\n", row->path, row->metric,
			row->unit, row->lower_better ? ", lower is better" : ", higher is better",
			a, b, ratio, n, row->s[0].n, row->s[1].n);
	}
	if (!any)
		return;
	fprintf(f, "\n");
	for (int i = 0; i < r->nrows; i++) {
		const struct nxb_row *row = &r->rows[i];

		if (strcmp(row->kase, kase))
			continue;
		if (row->note[0]) {
			bool seen = false;	/* one line per distinct note of a path */
			for (int j = 0; j < i; j++)
				if (!strcmp(r->rows[j].kase, kase) && !strcmp(r->rows[j].path, row->path) &&
				    !strcmp(r->rows[j].note, row->note))
					seen = true;
			if (!seen)
				fprintf(f, "- %s, %s: %s\n", row->path, row->metric, row->note);
		}
		for (int v = 0; v < NXB_NVMM; v++) {
			double x;
			/* One line per distinct reason: metrics of a path share it. */
			bool dup = false;
			if (nxb_series_value(&row->s[v], &x))
				continue;
			for (int j = 0; j < i; j++)
				if (!strcmp(r->rows[j].kase, kase) && !strcmp(r->rows[j].path, row->path) &&
				    !strcmp(r->rows[j].s[v].reason, row->s[v].reason))
					dup = true;
			if (!dup)
				fprintf(f, "- %s on %s not run: %s\n", row->path, nxb_vmm_name(v),
					row->s[v].reason[0] ? row->s[v].reason : "not run");
		}
	}
	fprintf(f, "\n");
}

int nxb_write_report(const struct nxb_results *r, const char *path, const char *plots_note)
{
	const struct nxb_opts *o = r->opts;
	FILE *f = fopen(path, "w");

	if (!f)
		return nx_error("cannot write %s", path);
	fprintf(f, "# nexit vs QEMU/KVM — `%s`\n\n", r->host.command);
	fprintf(f, "| host | |\n|---|---|\n");
	fprintf(f, "| date | %s |\n| kernel | %s |\n| CPU | %s (%d online) |\n| /dev/kvm | %s |\n",
		r->host.date, r->host.kernel, r->host.cpu, r->host.ncpus, r->host.kvm);
	fprintf(f, "| ran on | %s%s (KVM kind %s: %s) |\n", r->host.where,
		!strcmp(r->host.where, "L1") ? ", the nested x86 machine: QEMU TCG with SVM+NPT, "
		"both VMMs inside it" : "", r->host.kvm_kind, r->host.kvm_reason);
	fprintf(f, "| QEMU | %s |\n| nexit | %s |\n", r->host.qemu_version, r->host.nexit_version);
	fprintf(f, "| mode | %s: %d measured rounds (+%d warm-up) per pair; %d interrupts per MSI run, "
		   "%d per INTx run; %d ms rate window |\n| took | %.0f s |\n\n",
		MODE[o->mode], o->rounds, o->warmup, o->lat_n, o->intx_n, o->rate_ms, r->elapsed_s);
	for (int v = 0; v < NXB_NVMM; v++)
		if (r->unavailable[v][0])
			fprintf(f, "**%s could not run at all:** %s\n\n", nxb_vmm_name(v), r->unavailable[v]);
	fprintf(f, "Figures are medians over rounds; the ratio is nexit/QEMU of those medians and the "
		   "interval is the 95%% Student-t interval of the per-round ratios' geometric mean. "
		   "Latency percentiles are computed by the probe guest from its rdtsc samples.\n\n");
	fprintf(f, "## Goals\n\n| goal | measured | met |\n|---|---|---|\n");
	for (const struct goal *g = GOALS; g->text; g++) {
		double x = 0;
		int met = goal_met(r, g, &x);

		if (met < 0)
			fprintf(f, "| %s | not measured | — |\n", g->text);
		else
			fprintf(f, "| %s | %s%.3g | %s |\n", g->text, g->absolute ? "" : "×", x,
				met ? "yes" : "**no**");
	}
	fprintf(f, "\n");
	for (const struct nxb_case *c = nxb_cases; c->name; c++) {
		bool present = false;

		for (int i = 0; i < r->nrows && !present; i++)
			present = !strcmp(r->rows[i].kase, c->name);
		if (!present)
			continue;
		fprintf(f, "## %s — %s\n\n", c->name, c->what);
		report_case(f, r, c->name);
	}
	fprintf(f, "## Plots\n\n%s\n\n", plots_note);
	{
		static const char *const P[][2] = { { "latency_cdf", "latency CDF" },
			{ "exits", "VMM exits per interrupt" }, { "rate", "interrupt rate" },
			{ "boot", "boot time" }, { "net", "net packets per second" } };
		for (unsigned i = 0; i < sizeof(P) / sizeof(P[0]); i++) {
			char png[4600];

			snprintf(png, sizeof(png), "%s/plots/%s.png", o->out, P[i][0]);
			if (!access(png, R_OK))
				fprintf(f, "![%s](plots/%s.png) ([SVG](plots/%s.svg))\n\n", P[i][1],
					P[i][0], P[i][0]);
		}
	}
	fprintf(f, "Per-run serial logs and command lines: `%s/runs/`.\n", o->out);
	fclose(f);
	return 0;
}

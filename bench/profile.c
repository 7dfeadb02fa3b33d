/* SPDX-License-Identifier: MIT */
/*
 * profile.c - `nexit bench --profile NAME`: what a tuning profile (tune/)
 * buys. The latency and rate cases run on nexit twice per round, without
 * and with the profile, the order alternating every round; "with" applies
 * the profile's host half (`nexit tune FILE --apply`, undone with
 * `nexit tune --undo` right after the run) and its VM half (`nexit run
 * --profile FILE`). Then each knob of the profile alone, the same way, on
 * a subset of the cases. Host knobs change the machine, so this runs only
 * in the nested L1 machine (a throw-away host); elsewhere it runs itself
 * there (tools/l1.sh). Writes DIR/profile.json and DIR/profile.md
 * (docs/tuning.md quotes them).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <json-c/json.h>
#include "core/vm.h"
#include "tune/tune.h"
#include "bench/bench.h"

#define MAX_KNOBS 16
#define MAX_LINES 32

struct line { char section[16], key[32], value[64]; };

/* One variant: the whole profile, or one knob (with its companions). */
struct variant {
	char name[64];
	char file[4400];		/* the profile file it runs with */
	bool host;			/* has [host] changes: apply/undo around the run */
	bool vm;			/* has [vm] settings */
	bool whole;			/* the whole profile (every case), not one knob */
	int changes;			/* host changes `nexit tune --apply` made (last run) */
	bool idle;			/* host knob alone that changed nothing here */
};

struct pcase {
	const char *kase, *path, *scn, *irqchip;
	bool rate;			/* irqs_per_s (higher is better), else latency */
	bool per_knob;			/* also measured for each knob alone */
};

static const struct pcase CASES[] = {
	{ "msi", "raise", "scenario=msi-latency n=%d", "split", false, true },
	{ "msi", "completion", "scenario=msi-latency n=%d trigger=fact", "split", false, false },
	{ "intx", "split", "scenario=intx-latency n=%d", "split", false, true },
	{ "intx", "kernel", "scenario=intx-latency n=%d", "kernel", false, false },
	{ "rate", "msi", "scenario=msi-rate ms=%d", "split", true, true },
	{ "rate", "intx-split", "scenario=intx-rate ms=%d", "split", true, false },
	{ NULL, NULL, NULL, NULL, false, false },
};

static const char *const LAT_KEYS[] = { "p50_ns", "p99_ns", "p999_ns", NULL };
static const char *const RATE_KEYS[] = { "per_s", NULL };

/* Per variant, case and metric: the figure of each round, off and on. */
struct series { double off[NXB_MAX_ROUNDS], on[NXB_MAX_ROUNDS]; int noff, non;
		double ratio[NXB_MAX_ROUNDS]; int nratio; };

struct pctx {
	struct line l[MAX_LINES];
	int n;
};

static int collect(void *user, const char *section, const char *key, const char *value, int line)
{
	struct pctx *c = user;

	if (c->n < MAX_LINES && strcmp(section, "profile")) {
		snprintf(c->l[c->n].section, sizeof(c->l[0].section), "%s", section);
		snprintf(c->l[c->n].key, sizeof(c->l[0].key), "%s", key);
		snprintf(c->l[c->n].value, sizeof(c->l[0].value), "%s", value);
		c->n++;
	}
	return 1;
}

/* A line that changes nothing: [host] "keep"; [vm] off, no, 0, default
 * (in [host], irqbalance = off is a change: irqbalance is stopped). */
static bool inert(const struct line *l)
{
	static const char *const none[] = { "default", "off", "no", "0", NULL };

	if (!strcmp(l->value, "keep"))
		return true;
	for (int i = 0; !strcmp(l->section, "vm") && none[i]; i++)
		if (!strcmp(l->value, none[i]))
			return true;
	return false;
}

/* Companions ride with the knob they only make sense with. */
static const char *owner(const struct line *l, const struct pctx *c)
{
	bool vm_huge = false;

	for (int i = 0; i < c->n; i++)
		if (!strcmp(c->l[i].section, "vm") && !strcmp(c->l[i].key, "hugepages") &&
		    !inert(&c->l[i]))
			vm_huge = true;
	if (!strcmp(l->section, "vm") && !strcmp(l->key, "isolated_only"))
		return "vm.pin_vcpus";
	if (vm_huge && !strcmp(l->section, "host") && !strncmp(l->key, "hugepages_", 10))
		return "vm.hugepages";	/* reserved pages are what [vm] hugepages takes */
	return NULL;
}

static int write_variant(const struct nxb_opts *o, const struct pctx *c, const char *knob,
			 struct variant *v)
{
	FILE *f;

	snprintf(v->name, sizeof(v->name), "%s", knob);
	snprintf(v->file, sizeof(v->file), "%s/knob-%s.ini", o->tmp, knob);
	f = fopen(v->file, "w");
	if (!f)
		return nx_error("bench: cannot write %s", v->file);
	fprintf(f, "; one knob of profile %s, written by nexit bench --profile\n"
		"[profile]\ndescription = %s alone\n", o->profile, knob);
	v->host = v->vm = v->whole = v->idle = false;
	for (const char *sec = "host"; sec; sec = !strcmp(sec, "host") ? "vm" : NULL) {
		fprintf(f, "[%s]\n", sec);
		for (int i = 0; i < c->n; i++) {
			char self[56];
			const char *own = owner(&c->l[i], c);

			snprintf(self, sizeof(self), "%s.%s", c->l[i].section, c->l[i].key);
			if (strcmp(c->l[i].section, sec) || inert(&c->l[i]) ||
			    strcmp(own ? own : self, knob))
				continue;
			fprintf(f, "%s = %s\n", c->l[i].key, c->l[i].value);
			v->host |= !strcmp(sec, "host");
			v->vm |= !strcmp(sec, "vm");
		}
	}
	fclose(f);
	return 0;
}

/* Is NAME picked by --knobs (a comma list; none given: every one)? */
static bool picked(const struct nxb_opts *o, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = o->knobs; *p; p += strcspn(p, ",") + (p[strcspn(p, ",")] == ',')) {
		if (strcspn(p, ",") == n && !strncmp(p, name, n))
			return true;
	}
	return !o->knobs[0];
}

/* The whole profile, then each knob (not in a smoke run, nor --no-knobs);
 * --knobs LIST: only those ("profile" names the whole one), smoke or not. */
static int variants(const struct nxb_opts *o, struct variant *v, int *nv)
{
	struct pctx c = { .n = 0 };
	char path[4096];

	if (nx_profile_find(o->profile, path, sizeof(path)) < 0)
		return -1;
	if (nx_ini_parse_lines(path, collect, &c) != 0)
		return nx_error("bench: cannot read profile %s", path);
	*nv = 0;
	if (picked(o, "profile")) {
		memset(&v[0], 0, sizeof(v[0]));
		snprintf(v[0].name, sizeof(v[0].name), "profile");
		snprintf(v[0].file, sizeof(v[0].file), "%s", path);
		v[0].whole = v[0].vm = true;
		for (int i = 0; i < c.n; i++)
			v[0].host |= !strcmp(c.l[i].section, "host") && !inert(&c.l[i]);
		*nv = 1;
	}
	for (int i = 0; (o->mode != NXB_SMOKE || o->knobs[0]) && !o->no_knobs && i < c.n &&
	     *nv < MAX_KNOBS; i++) {
		char knob[56];
		bool seen = false;

		if (inert(&c.l[i]) || owner(&c.l[i], &c))
			continue;
		snprintf(knob, sizeof(knob), "%s.%s", c.l[i].section, c.l[i].key);
		for (int k = 0; k < *nv; k++)
			seen |= !strcmp(v[k].name, knob);
		if (!seen && (!o->knobs[0] || picked(o, knob)) &&
		    write_variant(o, &c, knob, &v[*nv]) == 0)
			(*nv)++;
	}
	if (!*nv)
		return nx_error("bench: --knobs '%s' names nothing of profile %s (knob names: "
				"section.key, e.g. vm.mlock, or profile)", o->knobs, o->profile);
	return 0;
}

/* `nexit tune ARGS...`: 0 when it exited 0; its last error line in why;
 * *changes = N of its "N changes applied" (changes may be NULL). */
static int tune(const struct nxb_opts *o, char *why, size_t wsz, int *changes, const char *a1,
		const char *a2, const char *a3, const char *a4)
{
	struct nxb_argv a;
	struct nxb_proc p = { .timeout_ms = 60000 };
	const char *x = NULL;
	int r = 0;

	nxb_argv_init(&a);
	r |= nxb_argv_add(&a, "%s", o->nexit);
	r |= nxb_argv_add(&a, "tune");
	for (const char *x[] = { a1, a2, a3, a4 }, **s = x; s < x + 4; s++)
		if (*s)
			r |= nxb_argv_add(&a, "%s", *s);
	if (r || nxb_run(&a, &p) < 0) {
		snprintf(why, wsz, "cannot run nexit tune");
		return -1;
	}
	r = p.status == 0 ? 0 : -1;
	if (r)
		nxb_last_line(p.err, strlen(p.err), why, wsz);
	/* tune_cmd.c ends with "N change(s) applied; undo with: ..." */
	if (!r && changes && p.out && (x = strstr(p.out, " applied;"))) {
		while (x > p.out && x[-1] != '\n')
			x--;
		*changes = atoi(x);
	}
	nxb_proc_free(&p);
	return r;
}

/* One run of case pc, with variant v or without (v NULL); the figures of
 * its metrics into val[] (NAN where missing). */
static bool one_run(const struct nxb_opts *o, struct nxb_results *res, const struct pcase *pc,
		    struct variant *v, int round, double *val, char *why, size_t wsz)
{
	const char *const *keys = pc->rate ? RATE_KEYS : LAT_KEYS;
	struct nxb_vmcfg c = { .vmm = NXB_NEXIT, .irqchip = pc->irqchip, .edu = true, .cpus = 1 };
	char tag[160], undo[4400];
	struct nxb_vmrun vr;
	bool ok;

	c.profile = v ? v->file : NULL;
	snprintf(c.cmdline, sizeof(c.cmdline), pc->scn, pc->rate ? o->rate_ms :
		 !strcmp(pc->kase, "intx") ? o->intx_n : o->lat_n);
	snprintf(tag, sizeof(tag), "profile-%s-%s-%s-r%d", v ? v->name : "off", pc->kase, pc->path,
		 round);
	snprintf(undo, sizeof(undo), "%s/%s.undo", o->tmp, tag);
	unlink(undo);
	if (v && v->host && tune(o, why, wsz, &v->changes, v->file, "--apply", "--undo-file",
				 undo) < 0) {
		/* A half-applied plan is undone from what its undo file holds. */
		if (!access(undo, F_OK))
			tune(o, why + strlen(why), wsz - strlen(why), NULL, "--undo", undo, NULL, NULL);
		return false;
	}
	ok = nxb_vm_run(o, res, &c, tag, false, &vr);
	if (v && v->host && tune(o, why, wsz, NULL, "--undo", undo, NULL, NULL) < 0) {
		nx_error("bench: %s: undo of the host changes failed (%s): stopping", tag, why);
		exit(1);	/* the host is no longer the baseline: no figure is worth it */
	}
	if (!ok) {
		snprintf(why, wsz, "%s", vr.why);
		nxb_vmrun_free(&vr);
		return false;
	}
	for (int i = 0; keys[i]; i++)
		if (!nxb_json_find(vr.probe, "", keys[i], &val[i], NULL))
			val[i] = NAN;
	nxb_vmrun_free(&vr);
	return true;
}

static const char *verdict(const struct nxb_ci *ci, bool lower_better)
{
	if (ci->n < 2)
		return "one round: no verdict";
	if (ci->hi < 1)
		return lower_better ? "better" : "worse";
	if (ci->lo > 1)
		return lower_better ? "worse" : "better";
	return "no measurable difference";
}

static void summarize(struct json_object *arr, FILE *md, const struct variant *var,
		      const struct pcase *pc, const char *metric, const struct series *s,
		      int *worse)
{
	struct json_object *o = json_object_new_object(), *ra = json_object_new_array();
	double off = s->noff ? nxb_median(s->off, s->noff) : NAN;
	double on = s->non ? nxb_median(s->on, s->non) : NAN;
	struct nxb_ci ci;
	const char *vd;

	nxb_ratio_ci(s->ratio, s->nratio, &ci);
	vd = var->idle ? "no host change here: no effect possible" :
	     s->nratio ? verdict(&ci, !pc->rate) : "not measured";
	if (!strcmp(vd, "worse"))
		(*worse)++;
	json_object_object_add(o, "variant", json_object_new_string(var->name));
	json_object_object_add(o, "host_changes", var->host ? json_object_new_int(var->changes) : NULL);
	json_object_object_add(o, "case", json_object_new_string(pc->kase));
	json_object_object_add(o, "path", json_object_new_string(pc->path));
	json_object_object_add(o, "metric", json_object_new_string(metric));
	json_object_object_add(o, "without", isnan(off) ? NULL : json_object_new_double(off));
	json_object_object_add(o, "with", isnan(on) ? NULL : json_object_new_double(on));
	for (int i = 0; i < s->nratio; i++)
		json_object_array_add(ra, json_object_new_double(s->ratio[i]));
	json_object_object_add(o, "ratios", ra);
	json_object_object_add(o, "ratio_gmean", isnan(ci.mean) ? NULL : json_object_new_double(ci.mean));
	json_object_object_add(o, "ci95_lo", isnan(ci.lo) ? NULL : json_object_new_double(ci.lo));
	json_object_object_add(o, "ci95_hi", isnan(ci.hi) ? NULL : json_object_new_double(ci.hi));
	json_object_object_add(o, "verdict", json_object_new_string(vd));
	json_object_array_add(arr, o);
	fprintf(md, "| %s", var->name);
	if (var->host)
		fprintf(md, " (%d host change%s)", var->changes, var->changes == 1 ? "" : "s");
	fprintf(md, " | %s %s | %s | ", pc->kase, pc->path, metric);
	fprintf(md, isnan(off) ? "- | " : "%.0f | ", off);
	fprintf(md, isnan(on) ? "- | " : "%.0f | ", on);
	fprintf(md, isnan(ci.mean) ? "- | " : "%.2f | ", ci.mean);
	fprintf(md, isnan(ci.lo) ? "- | " : "%.2f-%.2f | ", ci.lo, ci.hi);
	fprintf(md, "%s |\n", vd);
}

int nxb_profile_bench(const struct nxb_opts *o, struct nxb_results *res)
{
	static struct variant v[MAX_KNOBS];
	static struct series s[MAX_KNOBS][8][3];
	struct json_object *root = json_object_new_object(), *rows = json_object_new_array();
	char path[4400];
	int nv = 0, worse_full = 0, worse_knobs = 0, total = o->warmup + o->rounds;
	FILE *md;

	if (variants(o, v, &nv) < 0)
		return 2;
	memset(s, 0, sizeof(s));
	for (int k = 0; k < nv; k++) {
		for (int ci = 0; CASES[ci].kase; ci++) {
			const struct pcase *pc = &CASES[ci];
			int nm = pc->rate ? 1 : 3;

			if ((!v[k].whole && !pc->per_knob) || v[k].idle)
				continue;
			for (int round = 0; round < total; round++) {
				double val[2][3];
				bool have[2] = { false, false };
				char why[300] = "";

				/* Alternate who goes first, so drift does not favour one. */
				for (int j = 0; j < 2; j++) {
					int on = (round & 1) ? !j : j;

					fprintf(stderr, "bench: profile %-18s %-4s %-10s %-7s round %d%s\n",
						v[k].name, pc->kase, pc->path, on ? "with" : "without", round,
						round < o->warmup ? " (warm-up)" : "");
					have[on] = one_run(o, res, pc, on ? &v[k] : NULL, round, val[on], why,
							   sizeof(why));
					if (!have[on])
						fprintf(stderr, "bench:   failed: %s\n", why);
				}
				/* A host knob alone that `nexit tune --apply` found
				 * nothing to change for cannot make a difference
				 * here: said so, not measured further. */
				if (have[1] && !v[k].whole && v[k].host && !v[k].vm && !v[k].changes) {
					v[k].idle = true;
					fprintf(stderr, "bench: profile %s: no host change here, not "
						"measured\n", v[k].name);
					break;
				}
				if (round < o->warmup)
					continue;
				for (int m = 0; m < nm; m++) {
					struct series *x = &s[k][ci][m];

					if (have[0] && !isnan(val[0][m]))
						x->off[x->noff++] = val[0][m];
					if (have[1] && !isnan(val[1][m]))
						x->on[x->non++] = val[1][m];
					if (have[0] && have[1] && val[0][m] > 0 && !isnan(val[1][m]))
						x->ratio[x->nratio++] = val[1][m] / val[0][m];
				}
			}
		}
	}

	snprintf(path, sizeof(path), "%s/profile.md", o->out);
	md = fopen(path, "w");
	if (!md)
		return nx_error("bench: cannot write %s", path), 1;
	fprintf(md, "# nexit bench --profile %s (%s, %s, %d rounds)\n\n"
		"with / without = the median over rounds of each run's own percentile or rate;\n"
		"ratio = geometric mean of the per-round ratios with/without, its 95%% interval;\n"
		"a verdict needs the interval to exclude 1.\n\n"
		"| variant | case | metric | without | with | ratio | 95%% CI | verdict |\n"
		"|---|---|---|---|---|---|---|---|\n", o->profile, res->host.where,
		res->host.kvm_kind, o->rounds);
	for (int k = 0; k < nv; k++)
		for (int ci = 0; CASES[ci].kase; ci++) {
			const char *const *keys = CASES[ci].rate ? RATE_KEYS : LAT_KEYS;

			if (!v[k].whole && !CASES[ci].per_knob)
				continue;
			for (int m = 0; keys[m]; m++)
				summarize(rows, md, &v[k], &CASES[ci],
					  CASES[ci].rate ? "irqs_per_s" : keys[m], &s[k][ci][m],
					  v[k].whole ? &worse_full : &worse_knobs);
		}
	fprintf(md, "\nThe whole profile made %d figure%s worse.\n", worse_full,
		worse_full == 1 ? "" : "s");
	fclose(md);
	json_object_object_add(root, "profile", json_object_new_string(o->profile));
	json_object_object_add(root, "where", json_object_new_string(res->host.where));
	json_object_object_add(root, "kvm_kind", json_object_new_string(res->host.kvm_kind));
	json_object_object_add(root, "rounds", json_object_new_int(o->rounds));
	json_object_object_add(root, "lat_n", json_object_new_int(o->lat_n));
	json_object_object_add(root, "intx_n", json_object_new_int(o->intx_n));
	json_object_object_add(root, "rate_ms", json_object_new_int(o->rate_ms));
	json_object_object_add(root, "profile_worse", json_object_new_int(worse_full));
	json_object_object_add(root, "rows", rows);
	snprintf(path, sizeof(path), "%s/profile.json", o->out);
	if (json_object_to_file_ext(path, root, JSON_C_TO_STRING_PRETTY) < 0)
		nx_error("bench: cannot write %s", path);
	json_object_put(root);
	fprintf(stderr, "bench: wrote %s/profile.json and profile.md; the profile made %d "
		"figure%s worse\n", o->out, worse_full, worse_full == 1 ? "" : "s");
	return 0;
}

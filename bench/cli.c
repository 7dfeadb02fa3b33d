/* SPDX-License-Identifier: MIT */
/*
 * cli.c - `nexit bench [--quick] [--smoke] [--out DIR] [--only NAME,...]`:
 * options, what can run on this host, the cases in order, then
 * results.json, report.md and the plots.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "core/vm.h"
#include "core/kvm_kind.h"
#include "tune/tune.h"
#include "bench/bench.h"

static void usage(FILE *o)
{
	fprintf(o,
"usage: nexit bench [--quick | --smoke] [--out DIR] [--only NAME,...] [--profile NAME]\n"
"\n"
"Runs the probe guest on nexit and on QEMU/KVM side by side, in interleaved\n"
"rounds, and writes DIR/results.json, DIR/report.md and DIR/plots/ (docs/bench.md).\n"
"  --quick           fewer rounds and interrupts (< 3 minutes)\n"
"  --smoke           tiny counts: checks the harness, not the numbers\n"
"  --out DIR         output directory (default bench/results/latest)\n"
"  --only LIST       cases to run, comma separated:");
	for (const struct nxb_case *c = nxb_cases; c->name; c++)
		fprintf(o, " %s", c->name);
	fprintf(o, "\n"
"  --nexit FILE      nexit binary that runs the guests (default: this one)\n"
"  --probe FILE      probe guest (default guest/probe.elf beside nexit)\n"
"  --qemu FILE       QEMU binary (default qemu-system-x86_64)\n"
"  --rounds N        measured rounds per pair (default: 15, quick 4, smoke 1)\n"
"  --profile NAME    nexit without and with tuning profile NAME (host and VM\n"
"                    halves), each latency and rate case, then each knob alone;\n"
"                    in the nested L1 machine only (it changes the host):\n"
"                    DIR/profile.json, DIR/profile.md (docs/tuning.md)\n"
"  --no-knobs        with --profile: the whole profile only, no knob alone\n"
"  --knobs LIST      with --profile: only these knobs alone (section.key, comma\n"
"                    separated; \"profile\" adds the whole profile)\n"
"\nCases:\n");
	for (const struct nxb_case *c = nxb_cases; c->name; c++)
		fprintf(o, "  %-6s %s\n", c->name, c->what);
}

static int mkdir_p(const char *path)
{
	char buf[4096];

	if (strlen(path) >= sizeof(buf))
		return -1;
	strcpy(buf, path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(buf, 0755) < 0 && errno != EEXIST ? -1 : 0;
}

/* An executable file, or a name found on PATH. */
static bool find_exe(const char *name, char *found, size_t sz)
{
	const char *path = getenv("PATH");

	if (strchr(name, '/')) {
		snprintf(found, sz, "%s", name);
		return access(name, X_OK) == 0;
	}
	for (const char *p = path ? path : "/usr/bin:/bin"; *p;) {
		const char *e = strchr(p, ':');
		size_t l = e ? (size_t)(e - p) : strlen(p);

		if (snprintf(found, sz, "%.*s/%s", (int)l, p, name) < (int)sz &&
		    !access(found, X_OK))
			return true;
		p += l + (e ? 1 : 0);
	}
	snprintf(found, sz, "%s", name);
	return false;
}

static void set_mode(struct nxb_opts *o, enum nxb_mode m)
{
	o->mode = m;
	switch (m) {
	/* INTx runs are shorter: a level round trip with EOI can take
	 * milliseconds here (an interrupt waits out an emulated ring-0 batch). */
	case NXB_FULL:  o->rounds = 15; o->warmup = 1; o->lat_n = 20000; o->intx_n = 2000;
			o->rate_ms = 1000; break;
	case NXB_QUICK: o->rounds = 4;  o->warmup = 0; o->lat_n = 5000;  o->intx_n = 500;
			o->rate_ms = 300;  break;
	case NXB_SMOKE: o->rounds = 1;  o->warmup = 0; o->lat_n = 50;    o->intx_n = 50;
			o->rate_ms = 20;   break;
	}
	o->timeout_s = m == NXB_SMOKE ? 20 : 60;
}

static int parse(struct nxb_opts *o, int argc, char **argv)
{
	enum { O_QUICK = 256, O_SMOKE, O_OUT, O_ONLY, O_NEXIT, O_PROBE, O_QEMU, O_ROUNDS, O_HELP,
	       O_PROFILE, O_NO_KNOBS, O_KNOBS };
	static const struct option opts[] = {
		{ "quick", no_argument, 0, O_QUICK }, { "smoke", no_argument, 0, O_SMOKE },
		{ "out", required_argument, 0, O_OUT }, { "only", required_argument, 0, O_ONLY },
		{ "nexit", required_argument, 0, O_NEXIT }, { "probe", required_argument, 0, O_PROBE },
		{ "qemu", required_argument, 0, O_QEMU }, { "rounds", required_argument, 0, O_ROUNDS },
		{ "help", no_argument, 0, O_HELP }, { "profile", required_argument, 0, O_PROFILE },
		{ "no-knobs", no_argument, 0, O_NO_KNOBS }, { "knobs", required_argument, 0, O_KNOBS },
		{ 0 } };
	int opt, rounds = 0;
	ssize_t l;

	memset(o, 0, sizeof(*o));
	set_mode(o, NXB_FULL);
	snprintf(o->out, sizeof(o->out), "bench/results/latest");
	snprintf(o->probe, sizeof(o->probe), "build/guest/probe.elf");
	snprintf(o->qemu, sizeof(o->qemu), "qemu-system-x86_64");
	l = readlink("/proc/self/exe", o->nexit, sizeof(o->nexit) - 1);
	if (l > 0) {
		char *slash;

		o->nexit[l] = 0;
		/* build/nexit -> build/guest/probe.elf, wherever we are run from. */
		snprintf(o->probe, sizeof(o->probe), "%s", o->nexit);
		slash = strrchr(o->probe, '/');
		if (slash && (size_t)(slash - o->probe) + 20 < sizeof(o->probe)) {
			strcpy(slash, "/guest/probe.elf");
			if (access(o->probe, R_OK))
				snprintf(o->probe, sizeof(o->probe), "build/guest/probe.elf");
		}
	}
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		const char *a = optarg;

		switch (opt) {
		case O_QUICK: set_mode(o, o->mode == NXB_SMOKE ? NXB_SMOKE : NXB_QUICK); break;
		case O_SMOKE: set_mode(o, NXB_SMOKE); break;
		case O_OUT: snprintf(o->out, sizeof(o->out), "%s", a); break;
		case O_ONLY: snprintf(o->only, sizeof(o->only), "%s", a); break;
		case O_NO_KNOBS: o->no_knobs = true; break;
		case O_KNOBS: snprintf(o->knobs, sizeof(o->knobs), "%s", a); break;
		case O_PROFILE: {
			char found[4096];
			if (nx_profile_find(a, found, sizeof(found)) < 0)
				return -1;
			snprintf(o->profile, sizeof(o->profile), "%s", a);
			break;
		}
		case O_NEXIT: snprintf(o->nexit, sizeof(o->nexit), "%s", a); break;
		case O_PROBE: snprintf(o->probe, sizeof(o->probe), "%s", a); break;
		case O_QEMU: snprintf(o->qemu, sizeof(o->qemu), "%s", a); break;
		case O_ROUNDS: {
			char *end;
			long v = strtol(a, &end, 10);
			if (*end || v < 1 || v > NXB_MAX_ROUNDS)
				return nx_error("--rounds: '%s' is not a number from 1 to %d", a,
						NXB_MAX_ROUNDS);
			rounds = (int)v;
			break;
		}
		case O_HELP: usage(stdout); exit(0);
		case ':': return nx_error("option %s needs a value (see nexit bench --help)",
					  argv[optind - 1]);
		default: return nx_error("unknown option %s (see nexit bench --help)", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return nx_error("unexpected argument '%s' (see nexit bench --help)", argv[optind]);
	if (rounds)
		o->rounds = rounds;
	if (o->warmup + o->rounds > NXB_MAX_ROUNDS)
		o->warmup = 0;
	/* Every name in --only must be a case. */
	if (o->only[0]) {
		char buf[512], *save = NULL;

		snprintf(buf, sizeof(buf), "%s", o->only);
		for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save))
			if (!nxb_case_find(t))
				return nx_error("--only: unknown case '%s' (cases: msi,intx,rate,exits,"
						"boot,rss,net,vfio)", t);
	}
	return 0;
}

static bool selected(const struct nxb_opts *o, const char *name)
{
	char buf[512], *save = NULL;

	if (!o->only[0])
		return true;
	snprintf(buf, sizeof(buf), "%s", o->only);
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save))
		if (!strcmp(t, name))
			return true;
	return false;
}

/* What cannot run at all here, once, so every case states the same reason. */
static void availability(struct nxb_opts *o, struct nxb_results *r)
{
	char found[4096];

	if (strcmp(r->host.kvm_kind, "probe") && strcmp(r->host.kvm_kind, "linux"))
		for (int v = 0; v < NXB_NVMM; v++)
			snprintf(r->unavailable[v], sizeof(r->unavailable[v]),
				 "no usable KVM: %.200s", r->host.kvm_reason);
	if (access(o->probe, R_OK))
		for (int v = 0; v < NXB_NVMM; v++)
			if (!r->unavailable[v][0])
				snprintf(r->unavailable[v], sizeof(r->unavailable[v]),
					 "probe guest %.200s missing (make probe)", o->probe);
	if (access(o->nexit, X_OK) && !r->unavailable[NXB_NEXIT][0])
		snprintf(r->unavailable[NXB_NEXIT], sizeof(r->unavailable[NXB_NEXIT]),
			 "nexit binary %.200s missing", o->nexit);
	if (!find_exe(o->qemu, found, sizeof(found))) {
		if (!r->unavailable[NXB_QEMU][0])
			snprintf(r->unavailable[NXB_QEMU], sizeof(r->unavailable[NXB_QEMU]),
				 "%.200s not found (make deps installs qemu-system-x86)", o->qemu);
	} else {
		snprintf(o->qemu, sizeof(o->qemu), "%s", found);
	}
}

/* A bench whose nexit failed is no benchmark of nexit: say so and fail (1). */
static int nexit_failed(const struct nxb_results *r)
{
	if (!r->nexit_failed && !r->unavailable[NXB_NEXIT][0])
		return 0;
	nx_error("bench: %d nexit run%s failed (first: %s)", r->nexit_failed,
		 r->nexit_failed == 1 ? "" : "s",
		 r->nexit_failed ? r->nexit_first_failure : r->unavailable[NXB_NEXIT]);
	return 1;
}

int nx_cmd_bench(int argc, char **argv)
{
	struct nxb_opts *o = calloc(1, sizeof(*o));
	struct nxb_results *r = calloc(1, sizeof(*r));
	char path[4400], note[512];
	uint64_t t0 = nx_now_ns();
	int status = 0;

	if (!o || !r)
		return nx_error("out of memory"), 1;
	if (parse(o, argc, argv) < 0)
		return 2;
	/* A VMM or QMP peer that goes away mid-write is a failed run, not the
	 * end of the benchmark. */
	signal(SIGPIPE, SIG_IGN);
	if (snprintf(o->tmp, sizeof(o->tmp), "%s/runs", o->out) >= (int)sizeof(o->tmp))
		return nx_error("--out: path too long"), 2;
	if (mkdir_p(o->tmp) < 0)
		return nx_error("cannot create %s: %s", o->tmp, strerror(errno)), 1;
	/* Absolute from here on: DPDK matches --huge-dir against the absolute
	 * mount points in /proc/mounts, so a relative --out made testpmd find
	 * "no mounted hugetlbfs". */
	{
		char abs[PATH_MAX];

		if (!realpath(o->tmp, abs) || strlen(abs) >= sizeof(o->tmp))
			return nx_error("--out %s: cannot resolve %s", o->out, o->tmp), 1;
		strcpy(o->tmp, abs);
	}
	r->opts = o;
	nxb_host_probe(&r->host, o, argc, argv);
	/* Where the VMMs can run (core/kvm_kind.c): here, or both inside the
	 * nested L1 machine when this host has no KVM at all. */
	{
		struct nx_kvm_kind_info k;
		const char *w = getenv("NEXIT_WHERE");

		nx_kvm_detect(&k);
		o->in_l1 = w && !strcmp(w, "L1");
		snprintf(r->host.where, sizeof(r->host.where), "%s", o->in_l1 ? "L1" : "host");
		snprintf(r->host.kvm_kind, sizeof(r->host.kvm_kind), "%s", nx_kvm_kind_name(k.kind));
		snprintf(r->host.kvm_reason, sizeof(r->host.kvm_reason), "%s", k.reason);
		/* --profile changes the host: only on the throw-away L1. */
		if ((k.kind == NX_KVM_KIND_NONE || o->profile[0]) && !o->in_l1) {
			char out[PATH_MAX];

			if (!realpath(o->out, out))
				return nx_error("--out %s: %s", o->out, strerror(errno)), 1;
			if (o->profile[0])
				fprintf(stderr, "bench: --profile changes the host's settings: running "
					"it in the nested L1 machine (tools/l1.sh)\n");
			else
				fprintf(stderr, "bench: no KVM here (%s): running the bench in the nested L1 "
					"machine, nexit and QEMU side by side there (tools/l1.sh)\n", k.reason);
			status = nxb_l1_bench(o, argc, argv, NULL, out);
			free(r);
			free(o);
			return status;
		}
	}
	availability(o, r);
	for (int v = 0; v < NXB_NVMM; v++)
		if (r->unavailable[v][0] && (v == NXB_NEXIT || !o->profile[0]))
			nx_warn("bench: %s cannot run: %s", nxb_vmm_name(v), r->unavailable[v]);
	if (o->profile[0]) {
		status = nxb_profile_bench(o, r);
		status = status ? status : nexit_failed(r);
		free(r);
		free(o);
		return status;
	}

	/* One discarded boot of each VMM: page cache, binaries, KVM module state. */
	if (o->mode != NXB_SMOKE) {
		for (int v = 0; v < NXB_NVMM; v++) {
			struct nxb_vmcfg c = { .vmm = (enum nxb_vmm)v, .irqchip = "split", .cpus = 1 };
			struct nxb_vmrun vr;

			snprintf(c.cmdline, sizeof(c.cmdline), "scenario=hello");
			fprintf(stderr, "bench: warm-up %s\n", nxb_vmm_name(v));
			nxb_vm_run(o, r, &c, v == NXB_NEXIT ? "warmup-nexit" : "warmup-qemu", false, &vr);
			nxb_vmrun_free(&vr);
		}
	}
	for (const struct nxb_case *c = nxb_cases; c->name; c++) {
		if (!selected(o, c->name))
			continue;
		fprintf(stderr, "bench: case %s: %s\n", c->name, c->what);
		c->run(o, r);
		snprintf(r->cases_run + strlen(r->cases_run), sizeof(r->cases_run) - strlen(r->cases_run),
			 "%s%s", r->cases_run[0] ? "," : "", c->name);
	}
	r->elapsed_s = (nx_now_ns() - t0) / 1e9;

	nxb_plots(r, o->out, note, sizeof(note));
	snprintf(path, sizeof(path), "%s/results.json", o->out);
	if (nxb_write_json(r, path) < 0)
		status = 1;
	snprintf(path, sizeof(path), "%s/report.md", o->out);
	if (nxb_write_report(r, path, note) < 0)
		status = 1;
	fprintf(stderr, "bench: %.0f s; wrote %s/results.json, report.md, plots/ (%s)\n",
		r->elapsed_s, o->out, note);
	status = nexit_failed(r) ? 1 : status;
	free(r);
	free(o);
	return status;
}

/* SPDX-License-Identifier: MIT */
/*
 * run.c - one probe run on one VMM, judged: it ran, the guest printed its
 * PROBE line with "result":"pass", or the one-line reason why not. Every
 * run's serial output and stderr tail are kept in the scratch directory.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <json-c/json.h>
#include "core/vm.h"
#include "bench/bench.h"

static void keep_log(const char *path, const struct nxb_argv *a, const struct nxb_proc *p)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return;
	fprintf(f, "#");
	for (int i = 0; i < a->n; i++)
		fprintf(f, " %s", a->v[i]);
	fprintf(f, "\n# status %d%s, %.1f ms\n", p->status, p->timed_out ? " (timed out)" : "",
		(p->end_ns - p->start_ns) / 1e6);
	fwrite(p->out, 1, p->out_len, f);
	fprintf(f, "\n# stderr (tail):\n%s\n", p->err);
	fclose(f);
}

static void last_err_line(const char *err, char *buf, size_t sz)
{
	nxb_last_line(err, strlen(err), buf, sz);
}

struct qmp_ctx {
	const char *sock;
	struct nxb_vmrun *r;
};

static void at_probe_line(void *opaque)
{
	struct qmp_ctx *q = opaque;

	q->r->kvm_ok = nxb_qmp_kvm_exits(q->sock, &q->r->kvm_exits, q->r->kvm_why,
					 sizeof(q->r->kvm_why)) == 0;
}

static bool vm_run(const struct nxb_opts *o, struct nxb_results *res, const struct nxb_vmcfg *c,
		   const char *tag, bool want_stats, struct nxb_vmrun *r)
{
	struct nxb_argv a;
	char log[4400], line[200];
	struct json_object *x;

	memset(r, 0, sizeof(*r));
	if (res->unavailable[c->vmm][0]) {
		snprintf(r->why, sizeof(r->why), "%s", res->unavailable[c->vmm]);
		return false;
	}
	if (want_stats && c->vmm == NXB_NEXIT)
		snprintf(r->stats, sizeof(r->stats), "%s/%s.stats.json", o->tmp, tag);
	if (c->perf_events)
		snprintf(r->perf, sizeof(r->perf), "%s/%s.perf", o->tmp, tag);
	unlink(r->stats);
	unlink(r->perf);
	if (nxb_vm_argv(o, c, r->stats, r->perf, &a) < 0) {
		snprintf(r->why, sizeof(r->why), "bench: cannot build the command line");
		return false;
	}
	r->p.timeout_ms = o->timeout_s * 1000 + 2000;
	r->p.guest_ram = NXB_GUEST_RAM;
	r->p.ram_name = c->vmm == NXB_NEXIT ? "nexit-ram" : NULL;
	r->p.rss_every_ms = c->rss_every_ms;
	struct qmp_ctx qc = { c->qmp, r };
	if (c->qmp && c->vmm == NXB_QEMU) {
		unlink(c->qmp);
		r->p.on_probe = at_probe_line;
		r->p.on_probe_opaque = &qc;
		snprintf(r->kvm_why, sizeof(r->kvm_why), "the guest printed no PROBE line");
	}
	if (nxb_run(&a, &r->p) < 0) {
		snprintf(r->why, sizeof(r->why), "bench: could not start %s", a.v[0]);
		return false;
	}
	r->ran = true;
	snprintf(log, sizeof(log), "%s/%s.log", o->tmp, tag);
	keep_log(log, &a, &r->p);

	r->probe = nxb_probe_json(r->p.out, r->p.out_len);
	if (r->p.status == 127) {
		last_err_line(r->p.err, line, sizeof(line));
		snprintf(r->why, sizeof(r->why), "%s", line[0] ? line : "cannot execute the VMM");
		return false;
	}
	if (r->p.timed_out) {
		nxb_last_line(r->p.out, r->p.out_len, line, sizeof(line));
		snprintf(r->why, sizeof(r->why), "timed out after %d s (last serial line: %s)",
			 o->timeout_s, line[0] ? line : "none");
		return false;
	}
	if (!r->probe) {
		last_err_line(r->p.err, line, sizeof(line));
		if (!line[0])
			nxb_last_line(r->p.out, r->p.out_len, line, sizeof(line));
		snprintf(r->why, sizeof(r->why), "no PROBE line (exit status %d): %s",
			 r->p.status, line[0] ? line : "no output");
		return false;
	}
	if (!json_object_object_get_ex(r->probe, NX_PROBE_KEY_RESULT, &x) ||
	    strcmp(json_object_get_string(x), NX_PROBE_PASS)) {
		const char *e = json_object_object_get_ex(r->probe, "error", &x)
				? json_object_get_string(x) : json_object_to_json_string(r->probe);
		char scn[48] = "";

		sscanf(c->cmdline, "scenario=%47s", scn);
		if (strstr(e, "unknown scenario"))
			snprintf(r->why, sizeof(r->why), "the probe guest has no scenario '%s' yet", scn);
		else
			snprintf(r->why, sizeof(r->why), "guest reported fail: %.160s", e);
		return false;
	}
	r->ok = true;
	return true;
}

/* A nexit run that started and failed is a failure of the whole bench (its
 * exit status), whatever the case does with the missing figure. */
bool nxb_vm_run(const struct nxb_opts *o, struct nxb_results *res, const struct nxb_vmcfg *c,
		const char *tag, bool want_stats, struct nxb_vmrun *r)
{
	bool ok = vm_run(o, res, c, tag, want_stats, r);

	if (!ok && r->ran && c->vmm == NXB_NEXIT) {
		if (!res->nexit_failed++)
			snprintf(res->nexit_first_failure, sizeof(res->nexit_first_failure),
				 "%.60s: %.180s", tag, r->why);
	}
	return ok;
}

void nxb_vmrun_free(struct nxb_vmrun *r)
{
	if (r->probe)
		json_object_put(r->probe);
	r->probe = NULL;
	nxb_proc_free(&r->p);
}

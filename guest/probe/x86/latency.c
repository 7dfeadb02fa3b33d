/* SPDX-License-Identifier: MIT */
/*
 * latency.c - x86 glue of common/latency.c and stats.c: the loop and the
 * sort run in ring 3 (native on kvm_pvm, where ring 0 is emulated); the
 * ISR (irq_fast, isr.S) counts deliveries and records the TSC at entry in
 * irq_rec[vector].
 */
#include "probe.h"

static u64 loop(void *a)
{
	lat_loop(a);
	return 0;
}

void lat_measure(struct platform *p, struct lat_run *r)
{
	r->count = &irq_rec[r->vec].count;
	r->entry_ticks = &irq_rec[r->vec].tsc;
	lat_prepare(r, tsc_ms_cycles(&p->tsc, cmdline_u64(&p->cmd, "timeout_ms", 1000)));
	user_call(loop, r);
}

struct sum_args { u64 *v, n; struct lat_summary *s; };

static u64 summarize(void *a)
{
	struct sum_args *x = a;

	lat_summary_fill(x->v, x->n, x->s);
	return 0;
}

void lat_summarize(u64 *v, u64 n, struct lat_summary *s)
{
	struct sum_args a = { v, n, s };
	user_call(summarize, &a);	/* heapsort of 10^4 samples: native in ring 3 */
}

void json_lat_run(struct json *j, struct platform *p, struct lat_run *r, const char *prefix)
{
	struct lat_summary s;

	lat_summarize(r->lat, r->received, &s);
	json_lat_fields(j, r, &s, prefix, p->tsc.khz);
}

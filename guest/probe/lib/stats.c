/* SPDX-License-Identifier: MIT */
/* stats.c - latency percentiles (integer only: no SSE in the probe). */
#include "probe.h"

static void sift(u64 *v, u64 i, u64 n)
{
	for (;;) {
		u64 c = 2 * i + 1, t;
		if (c >= n)
			return;
		if (c + 1 < n && v[c + 1] > v[c])
			c++;
		if (v[i] >= v[c])
			return;
		t = v[i]; v[i] = v[c]; v[c] = t;
		i = c;
	}
}

void sort_u64(u64 *v, u64 n)
{
	if (n < 2)
		return;
	for (u64 i = n / 2; i-- > 0;)
		sift(v, i, n);
	for (u64 e = n - 1; e > 0; e--) {
		u64 t = v[0]; v[0] = v[e]; v[e] = t;
		sift(v, 0, e);
	}
}

/* Nearest-rank percentile: the smallest value with >= p/1000 of samples at or below. */
u64 percentile(const u64 *s, u64 n, u32 permille)
{
	u64 rank;
	if (!n)
		return 0;
	rank = (n * permille + 999) / 1000;
	return s[rank ? rank - 1 : 0];
}

struct sum_args { u64 *v, n; struct lat_summary *s; };

static u64 summarize(void *a)
{
	struct sum_args *x = a;
	struct lat_summary *s = x->s;

	sort_u64(x->v, x->n);
	s->n = x->n;
	s->min = x->n ? x->v[0] : 0;
	s->max = x->n ? x->v[x->n - 1] : 0;
	s->p50 = percentile(x->v, x->n, 500);
	s->p99 = percentile(x->v, x->n, 990);
	s->p999 = percentile(x->v, x->n, 999);
	return 0;
}

void lat_summarize(u64 *v, u64 n, struct lat_summary *s)
{
	struct sum_args a = { v, n, s };
	user_call(summarize, &a);	/* heapsort of 10^4 samples: native in ring 3 */
}

void json_latency(struct json *j, const char *prefix, const struct lat_summary *s,
		  const struct tsc *t)
{
	static const char *names[] = { "min", "p50", "p99", "p999", "max" };
	u64 vals[] = { s->min, s->p50, s->p99, s->p999, s->max };
	char key[64];

	for (int i = 0; i < 5; i++) {
		snprintf(key, sizeof(key), "%s%s_cycles", prefix, names[i]);
		json_u64(j, key, vals[i]);
	}
	for (int i = 0; i < 5; i++) {
		snprintf(key, sizeof(key), "%s%s_ns", prefix, names[i]);
		if (t->khz)
			json_u64(j, key, tsc_ns(t, vals[i]));
		else
			json_null(j, key);
	}
}

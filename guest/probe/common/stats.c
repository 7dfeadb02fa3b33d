/* SPDX-License-Identifier: MIT */
/* stats.c - latency percentiles (integer only: no SSE in the probe). */
#include "common.h"

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

void lat_summary_fill(u64 *v, u64 n, struct lat_summary *s)
{
	sort_u64(v, n);
	s->n = n;
	s->min = n ? v[0] : 0;
	s->max = n ? v[n - 1] : 0;
	s->p50 = percentile(v, n, 500);
	s->p99 = percentile(v, n, 990);
	s->p999 = percentile(v, n, 999);
}

void json_latency(struct json *j, const char *prefix, const struct lat_summary *s, u64 khz)
{
#define NAME(n, permille) n,
	static const char *const names[] = { NX_PROBE_PERCENTILES(NAME) };
#undef NAME
	u64 vals[] = { s->min, s->p50, s->p99, s->p999, s->max };
	char key[64];

	_Static_assert(sizeof(names) / sizeof(names[0]) == 5, "one value per NX_PROBE_PERCENTILES name");
	for (int i = 0; i < 5; i++) {
		snprintf(key, sizeof(key), "%s%s" NX_PROBE_SUFFIX_CYCLES, prefix, names[i]);
		json_u64(j, key, vals[i]);
	}
	for (int i = 0; i < 5; i++) {
		snprintf(key, sizeof(key), "%s%s" NX_PROBE_SUFFIX_NS, prefix, names[i]);
		if (khz)
			json_u64(j, key, vals[i] * 1000000 / khz);
		else
			json_null(j, key);
	}
}

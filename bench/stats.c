/* SPDX-License-Identifier: MIT */
/*
 * stats.c - the statistics of a benchmark across rounds.
 *
 * Each round runs nexit and QEMU back to back, so a round's ratio
 * nexit/QEMU sees the same machine noise on both sides. Ratios multiply,
 * so they are averaged as logs: the reported interval is the geometric mean
 * of the per-round ratios with a two-sided 95% Student-t interval on the
 * mean of their logarithms, exp(mean(log r) +- t(0.975, k-1) * sd / sqrt(k)).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "core/vm.h"
#include "bench/bench.h"

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Linear interpolation between closest ranks (Hyndman & Fan type 7). */
double nxb_quantile(const double *v, int n, double q)
{
	double s[NXB_MAX_ROUNDS * 4], h, r;
	int lo;

	if (n <= 0)
		return NAN;
	if (n > (int)(sizeof(s) / sizeof(s[0])))
		n = sizeof(s) / sizeof(s[0]);
	memcpy(s, v, n * sizeof(*v));
	qsort(s, n, sizeof(*s), cmp_double);
	h = (n - 1) * q;
	lo = (int)h;	/* h >= 0: truncation is floor */
	if (lo >= n - 1)
		return s[n - 1];
	r = s[lo] + (h - lo) * (s[lo + 1] - s[lo]);
	return r;
}

double nxb_median(const double *v, int n)
{
	return nxb_quantile(v, n, 0.5);
}

/* t(0.975, df), df = 1..30, then the normal 1.96 approached from above. */
double nxb_t95(int df)
{
	static const double t[] = { 0, 12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365,
		2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101,
		2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045,
		2.042 };

	if (df < 1)
		return NAN;
	if (df <= 30)
		return t[df];
	return df <= 60 ? 2.000 : df <= 120 ? 1.980 : 1.960;
}

void nxb_ratio_ci(const double *ratios, int n, struct nxb_ci *ci)
{
	double sum = 0, ss = 0, m, sd, half;
	int k = 0;

	ci->mean = ci->lo = ci->hi = NAN;
	for (int i = 0; i < n; i++) {
		if (!(ratios[i] > 0) || !isfinite(ratios[i]))
			continue;
		sum += log(ratios[i]);
		k++;
	}
	ci->n = k;
	if (!k)
		return;
	m = sum / k;
	ci->mean = exp(m);
	if (k < 2)
		return;		/* one round: no interval */
	for (int i = 0; i < n; i++)
		if (ratios[i] > 0 && isfinite(ratios[i]))
			ss += (log(ratios[i]) - m) * (log(ratios[i]) - m);
	sd = sqrt(ss / (k - 1));
	half = nxb_t95(k - 1) * sd / sqrt(k);
	ci->lo = exp(m - half);
	ci->hi = exp(m + half);
}

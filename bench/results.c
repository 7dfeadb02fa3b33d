/* SPDX-License-Identifier: MIT */
/*
 * results.c - the table of results: one row per (case, path, metric), each
 * with a series of per-round values for nexit and for QEMU, or the reason a
 * side has none.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "core/vm.h"
#include "bench/bench.h"

struct nxb_row *nxb_row_get(struct nxb_results *r, const char *kase, const char *path,
			    const char *metric, const char *unit, bool lower_better)
{
	struct nxb_row *row;

	for (int i = 0; i < r->nrows; i++) {
		row = &r->rows[i];
		if (!strcmp(row->kase, kase) && !strcmp(row->path, path) &&
		    !strcmp(row->metric, metric))
			return row;
	}
	if (r->nrows >= NXB_MAX_ROWS) {
		/* The table is sized for every case; this would be a bug. */
		nx_warn("bench: too many result rows, dropping %s/%s/%s", kase, path, metric);
		return &r->rows[NXB_MAX_ROWS - 1];
	}
	row = &r->rows[r->nrows++];
	memset(row, 0, sizeof(*row));
	snprintf(row->kase, sizeof(row->kase), "%s", kase);
	snprintf(row->path, sizeof(row->path), "%s", path);
	snprintf(row->metric, sizeof(row->metric), "%s", metric);
	snprintf(row->unit, sizeof(row->unit), "%s", unit);
	row->lower_better = lower_better;
	return row;
}

void nxb_row_add(struct nxb_row *row, enum nxb_vmm v, double x, double samples)
{
	struct nxb_series *s = &row->s[v];

	if (s->n >= NXB_MAX_ROUNDS)
		return;
	s->v[s->n++] = x;
	s->samples += samples;
}

void nxb_row_fail(struct nxb_row *row, enum nxb_vmm v, const char *fmt, ...)
{
	struct nxb_series *s = &row->s[v];
	va_list ap;

	if (s->reason[0])
		return;		/* the first reason is the cause */
	va_start(ap, fmt);
	vsnprintf(s->reason, sizeof(s->reason), fmt, ap);
	va_end(ap);
}

bool nxb_series_value(const struct nxb_series *s, double *v)
{
	if (s->n <= 0)
		return false;
	*v = nxb_median(s->v, s->n);
	return true;
}

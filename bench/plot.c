/* SPDX-License-Identifier: MIT */
/*
 * plot.c - data files and gnuplot scripts under DIR/plots, rendered to SVG
 * and PNG (pngcairo, or gnuplot's libgd png terminal where cairo is absent):
 *   latency_cdf  latency at each reported quantile, per path and VMM, on a
 *                "nines" axis (-log10(1 - q): 0.5 -> 0.3, 0.99 -> 2, ...);
 *   exits        VMM exits per interrupt, per path, nexit vs QEMU bars;
 *   rate         sustained interrupts per second, per path;
 *   net          packets per second (when the net case has figures).
 * The scripts stay next to the images so anyone can re-render them.
 */
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "core/vm.h"
#include "bench/bench.h"

static FILE *open_in(const char *dir, const char *name)
{
	char p[4600];

	if (snprintf(p, sizeof(p), "%s/%s", dir, name) >= (int)sizeof(p))
		return NULL;
	return fopen(p, "w");
}

/* Bars of one metric: rows of case kase (or alt_kase), one line per path. */
static int bars_data(const struct nxb_results *r, const char *dir, const char *file,
		     const char *kase, const char *metric)
{
	FILE *f = open_in(dir, file);
	int n = 0;

	if (!f)
		return -1;
	fprintf(f, "# path nexit qemu (? = not measured)\n");
	for (int i = 0; i < r->nrows; i++) {
		const struct nxb_row *row = &r->rows[i];
		double v[NXB_NVMM];
		bool have[NXB_NVMM];

		if (strcmp(row->kase, kase) || strcmp(row->metric, metric))
			continue;
		for (int k = 0; k < NXB_NVMM; k++)
			have[k] = nxb_series_value(&row->s[k], &v[k]);
		if (!have[0] && !have[1])
			continue;
		fprintf(f, "\"%s\"", row->path);
		for (int k = 0; k < NXB_NVMM; k++) {
			if (have[k])
				fprintf(f, " %g", v[k]);
			else
				fprintf(f, " ?");
		}
		fprintf(f, "\n");
		n++;
	}
	fclose(f);
	return n;
}

static void bars_script(FILE *f, const char *data, const char *title, const char *ylabel, bool logy,
			const char *label_fn)
{
	fprintf(f, "set title '%s'\nset ylabel '%s'\n", title, ylabel);
	/* The bar labels: e.g. sprintf('%%.3g', x), or gprintf's 4.24M, 13.9k. */
	fprintf(f, "lbl(x) = %s\n", label_fn);
	fprintf(f, "set style data histogram\nset style histogram clustered gap 1\n"
		   "set style fill solid 0.8 border -1\nset boxwidth 0.9\n"
		   "set datafile missing '?'\nset key top left\nset grid ytics\n"
		   "set yrange [0:*]\nset xtics rotate by -20\n");
	if (logy)
		fprintf(f, "set logscale y\nset yrange [*:*]\n");
	fprintf(f, "plot '%s' using 2:xtic(1) title 'nexit' lc rgb '#1b9e77', "
		   "'' using 3 title 'QEMU/KVM' lc rgb '#d95f02', "
		   /* Value labels over each bar: clustered pairs with gap 1 put the
		    * bars at x -+ 1/6. */
		   "'' using ($0 - 1.0/6):($2 == $2 ? $2 : 0):($2 == $2 ? lbl($2) : '') "
		   "with labels offset 0,0.6 font ',9' notitle, "
		   "'' using ($0 + 1.0/6):($3 == $3 ? $3 : 0):($3 == $3 ? lbl($3) : '') "
		   "with labels offset 0,0.6 font ',9' notitle\n",
		data);
}

static int cdf_files(const struct nxb_results *r, const char *dir, FILE *gp)
{
	int n = 0;

	fprintf(gp, "set title 'Interrupt latency at the quantiles the probe reports (straight lines between them)'\n"
		    "set xlabel 'latency (us)'\nset logscale x\n"
		    "set ylabel 'quantile'\nset ytics ('min' 0, 'p50' 0.301, 'p90' 1, 'p99' 2, "
		    "'p99.9' 3, 'max' 4)\nset yrange [-0.2:4.3]\nset key bottom right\nset grid\n");
	fprintf(gp, "nines(q) = q >= 1 ? 4 : -log10(1 - q)\nplot ");
	for (int i = 0; i < r->ndists; i++) {
		const struct nxb_dist *d = &r->dists[i];
		char name[96];
		FILE *f;

		snprintf(name, sizeof(name), "cdf_%s_%s.dat", d->path, nxb_vmm_name(d->vmm));
		f = open_in(dir, name);
		if (!f)
			continue;
		fprintf(f, "# latency_ns quantile\n");
		for (int q = 0; q < d->nq; q++)
			fprintf(f, "%g %g\n", d->ns[q], d->q[q]);
		fclose(f);
		/* Colour per path, dashes for QEMU. */
		fprintf(gp, "%s'%s' using ($1/1000):(nines($2)) with linespoints lw 2 pt 7 "
			    "dt %d lc %d title '%s %s'", n ? ", \\\n     " : "", name,
			d->vmm == NXB_NEXIT ? 1 : 2, 1 + i / 2, d->path, nxb_vmm_name(d->vmm));
		n++;
	}
	fprintf(gp, "\n");
	return n;
}

/* A re-run into the same DIR must not leave the last run's plots behind. */
static void clean(const char *dir)
{
	static const char *const ext[] = { "*.png", "*.svg", "*.dat", "*.gp", "gnuplot.log" };
	char pat[4600];
	glob_t g;

	for (unsigned i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
		if (snprintf(pat, sizeof(pat), "%s/%s", dir, ext[i]) >= (int)sizeof(pat))
			continue;
		if (glob(pat, 0, NULL, &g) != 0)
			continue;
		for (size_t k = 0; k < g.gl_pathc; k++)
			unlink(g.gl_pathv[k]);
		globfree(&g);
	}
}

static int render(const char *dir, const char *base, const char *png_term)
{
	char cmd[9000];
	int r = 0;

	if (strchr(dir, '\''))
		return -1;
	/* SVG and PNG from the same script body. */
	snprintf(cmd, sizeof(cmd),
		 "cd '%s' && gnuplot -e \"set terminal svg size 900,540 dynamic; set output '%s.svg'\" "
		 "%s.gp >>gnuplot.log 2>&1 && gnuplot -e \"set terminal %s size 900,540; "
		 "set output '%s.png'\" %s.gp >>gnuplot.log 2>&1",
		 dir, base, base, png_term, base, base);
	if (system(cmd) != 0)
		r = -1;
	return r;
}

int nxb_plots(const struct nxb_results *r, const char *out, char *note, size_t sz)
{
	char dir[4400];
	const char *png;
	int made = 0, failed = 0;
	FILE *gp;

	snprintf(dir, sizeof(dir), "%s/plots", out);
	if (system("command -v gnuplot >/dev/null 2>&1") != 0) {
		snprintf(note, sz, "no plots: gnuplot is not installed (make deps installs gnuplot-nox)");
		return -1;
	}
	if (mkdir(dir, 0755) < 0 && access(dir, W_OK)) {
		snprintf(note, sz, "no plots: cannot create %s", dir);
		return -1;
	}
	png = system("gnuplot -e 'set terminal pngcairo' >/dev/null 2>&1") == 0 ? "pngcairo" : "png";
	clean(dir);

	gp = open_in(dir, "latency_cdf.gp");
	if (gp) {
		int n = cdf_files(r, dir, gp);
		fclose(gp);
		if (n)
			render(dir, "latency_cdf", png) ? failed++ : made++;
	}
	{
		static const struct { const char *base, *kase, *metric, *title, *ylabel; bool logy;
				      const char *lbl; } B[] = {
			{ "exits", "exits", "vmm_exits_per_irq",
			  "VMM (userspace) exits per interrupt", "exits per interrupt", false,
			  "sprintf('%.3g', x)" },
			{ "rate", "rate", "irqs_per_s", "Sustained interrupts into one vCPU",
			  "interrupts per second", false, "gprintf('%.2s%c', x)" },
			{ "net", "net", "pps", "testpmd txonly through vhost-user-net", "packets per second",
			  false, "gprintf('%.2s%c', x)" },
			{ "boot", "boot", "first_line_ms", "Process start to first guest serial line",
			  "ms", false, "sprintf('%.1f', x)" },
		};
		for (unsigned i = 0; i < sizeof(B) / sizeof(B[0]); i++) {
			char data[64], script[64];
			int n;

			snprintf(data, sizeof(data), "%s.dat", B[i].base);
			snprintf(script, sizeof(script), "%s.gp", B[i].base);
			n = bars_data(r, dir, data, B[i].kase, B[i].metric);
			/* The exits plot falls back to the msi case's rows. */
			if (n <= 0 && !strcmp(B[i].base, "exits"))
				n = bars_data(r, dir, data, "msi", "vmm_exits_per_irq");
			if (n <= 0) {
				char dat[4600];

				snprintf(dat, sizeof(dat), "%s/%s", dir, data);
				unlink(dat);	/* nothing to plot: no empty data file */
				continue;
			}
			gp = open_in(dir, script);
			if (!gp)
				continue;
			bars_script(gp, data, B[i].title, B[i].ylabel, B[i].logy, B[i].lbl);
			fclose(gp);
			render(dir, B[i].base, png) ? failed++ : made++;
		}
	}
	if (failed)
		snprintf(note, sz, "%d plot(s) written to plots/ (SVG + %s), %d failed: see plots/gnuplot.log",
			 made, png, failed);
	else if (made)
		snprintf(note, sz, "%d plot(s) written to plots/ (SVG + %s PNG)", made, png);
	else
		snprintf(note, sz, "no plots: no case produced figures to plot");
	return failed ? -1 : 0;
}

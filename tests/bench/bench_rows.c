/* Rows, statistics and output of make bench (tests/bench/bench.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tests/bench/bench.h"

struct row {
	const char *name, *series, *skipped;
	uint64_t bytes;
	double min, med, max;        /* ns per 4 KiB */
	double raw[RUNS];            /* run by run, in run order */
	bool paired;                 /* run r next to its reference's run r */
	int ref;
	double target;
};

static struct row rows[128];
static int nrows;

void die(const char *what)
{
	perror(what);
	exit(1);
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int row_add(const char *name, const char *series, uint64_t bytes, const double secs[RUNS],
	    int ref, double target)
{
	double v[RUNS];

	for (int i = 0; i < RUNS; i++)
		v[i] = secs[i] * 1e9 / (bytes / KIB4);
	struct row *r = &rows[nrows];
	*r = (struct row){ .name = name, .series = series, .bytes = bytes, .ref = ref,
			   .target = target };
	memcpy(r->raw, v, sizeof(v));
	qsort(v, RUNS, sizeof(v[0]), cmp);
	r->min = v[0];
	r->med = v[RUNS / 2];
	r->max = v[RUNS - 1];
	return nrows++;
}

int row_add_paired(const char *name, uint64_t bytes, const double secs[RUNS], int ref,
		   double target)
{
	int i = row_add(name, NULL, bytes, secs, ref, target);

	rows[i].paired = true;
	return i;
}

/* Against the reference: the median of run-by-run ratios where both rows
 * ran side by side in each run (the machine's load changes between runs,
 * less within one), else the ratio of the medians. */
static double ratio_to_ref(const struct row *r)
{
	const struct row *f = &rows[r->ref];
	double q[RUNS];

	if (!r->paired || !f->paired)
		return r->med / f->med;
	for (int i = 0; i < RUNS; i++)
		q[i] = r->raw[i] / f->raw[i];
	qsort(q, RUNS, sizeof(q[0]), cmp);
	return q[RUNS / 2];
}

void row_skip(const char *name, const char *why)
{
	rows[nrows++] = (struct row){ .name = name, .skipped = why, .ref = -1 };
}

double row_median(int row)
{
	return rows[row].med;
}


static void size_name(uint64_t b, char *out)
{
	if (b >= GIB)
		sprintf(out, "%lu GiB", b / GIB);
	else if (b >= MIB)
		sprintf(out, "%lu MiB", b / MIB);
	else
		sprintf(out, "%lu KiB", b / 1024);
}

/* cycle.dat: one block a series (size, median, min, max), and cycle.gp,
 * the gnuplot script that draws them (tests/bench/run.sh runs it). */
static void write_plot(const char *dir, FILE *dat)
{
	const char *series[32];
	int n = 0;
	char path[256];
	FILE *gp;

	for (int i = 0; i < nrows; i++) {
		int k = 0;
		if (!rows[i].series || rows[i].skipped)
			continue;
		while (k < n && strcmp(series[k], rows[i].series))
			k++;
		if (k == n)
			series[n++] = rows[i].series;
	}
	for (int k = 0; k < n; k++) {
		for (int i = 0; i < nrows; i++)
			if (rows[i].series && !rows[i].skipped && !strcmp(rows[i].series, series[k]))
				fprintf(dat, "%lu %.1f %.1f %.1f\n", rows[i].bytes, rows[i].med,
					rows[i].min, rows[i].max);
		fprintf(dat, "\n\n");
	}
	fclose(dat);
	snprintf(path, sizeof(path), "%s/cycle.gp", dir);
	if (!(gp = fopen(path, "w")))
		die(path);
	fprintf(gp, "set terminal pngcairo size 1000,640 noenhanced\n"
		    "set output '%s/cycle.png'\n"
		    "set title 'allocate, write every 4 KiB, punch: ns per 4 KiB (median of %d, bars min-max)'\n"
		    "set logscale x 2\nset logscale y 10\nset grid\nset key outside bottom center\n"
		    "set xlabel 'object size'\nset ylabel 'ns per 4 KiB'\nset xtics (", dir, RUNS);
	uint64_t done[16];
	int nd = 0;
	for (int i = 0; i < nrows && nd < 16; i++) {
		char sz[32];
		int k = 0;
		if (!rows[i].series || rows[i].skipped)
			continue;
		while (k < nd && done[k] != rows[i].bytes)
			k++;
		if (k < nd)
			continue;
		done[nd++] = rows[i].bytes;
		size_name(rows[i].bytes, sz);
		fprintf(gp, "%s\"%s\" %lu", nd > 1 ? ", " : "", sz, rows[i].bytes);
	}
	fprintf(gp, ")\nplot ");
	for (int k = 0; k < n; k++)
		fprintf(gp, "%s'%s/cycle.dat' index %d using 1:2:3:4 with yerrorlines title '%s'",
			k ? ", \\\n     " : "", dir, k, series[k]);
	fprintf(gp, "\n");
	fclose(gp);
}

void rows_print(const char *dir)
{
	char path[256], sz[32];
	FILE *csv, *plot;

	snprintf(path, sizeof(path), "%s/memobj.csv", dir);
	if (!(csv = fopen(path, "w")))
		die(path);
	snprintf(path, sizeof(path), "%s/cycle.dat", dir);
	if (!(plot = fopen(path, "w")))
		die(path);
	fprintf(csv, "row,bytes,runs,min_ns_per_4k,median_ns_per_4k,max_ns_per_4k,ref_row,"
		     "median_ratio,target,met\n");
	printf("%-58s %8s %9s %9s %9s  %s\n", "row (ns per 4 KiB)", "size", "min", "median", "max",
	       "median vs reference");
	for (int i = 0; i < nrows; i++) {
		struct row *r = &rows[i];
		if (r->skipped) {
			printf("%-58s skipped: %s\n", r->name, r->skipped);
			fprintf(csv, "\"%s\",,,,,,,,,skipped: %s\n", r->name, r->skipped);
			continue;
		}
		size_name(r->bytes, sz);
		printf("%-58s %8s %9.1f %9.1f %9.1f", r->name, sz, r->min, r->med, r->max);
		double ratio = r->ref >= 0 ? ratio_to_ref(r) : 0;
		/* Without a reference, the target bounds the worst run (max). */
		bool met = !r->target || (r->ref >= 0 ? ratio <= r->target : r->max <= r->target);
		if (r->ref >= 0)
			printf("  %.2fx%s #%d%s", ratio, r->paired && rows[r->ref].paired ? " paired" : "", r->ref,
			       r->target ? (met ? " (target <= " : " (MISSED target <= ") : "");
		if (r->ref >= 0 && r->target)
			printf("%.2fx)", r->target);
		if (r->ref < 0 && r->target)
			printf("  %s max <= %.0f ns", met ? "(target" : "(MISSED target", r->target);
		if (r->ref < 0 && r->target)
			printf(")");
		printf("  [#%d]\n", i);
		fprintf(csv, "\"%s\",%lu,%d,%.1f,%.1f,%.1f,%d,%.3f,%.2f,%s\n", r->name, r->bytes, RUNS,
			r->min, r->med, r->max, r->ref, ratio, r->target,
			r->target ? (met ? "yes" : "no") : "");
	}
	fclose(csv);
	write_plot(dir, plot);
}

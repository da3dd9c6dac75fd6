/* Descriptor curves as CSV: one row per frame, time in seconds then the 7 raw descriptors. */
#include "io/atomic_file.h"
#include "io/curves_csv.h"
#include "io/line_reader.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CSV_HEADER NR_CURVES_CSV_HEADER
#define CSV_COLS (1 + NR_NUM_DESC)
#define CSV_MAX_LINE 4096        /* 8 numbers need ~200 bytes; room for spaces */
#define CSV_MAX_ROWS (1 << 22)   /* 27 hours at the analysis' 43.07 frames/s */
#define CSV_MIN_RATE 1.0         /* frames per second: below, a typo in time_s (ms for s, say) */
#define CSV_MAX_RATE 1000.0

int nr_curves_print_csv(FILE *f, const nr_curves *c)
{
    /* time of frame i: i / frame_rate, i.e. i * 512 / 22050 for analysis output (the float frame rate
     * is replaced by the exact one when it is that). */
    const double exact = (double)NR_ANALYSIS_RATE / NR_ANALYSIS_HOP;
    double rate = fabs(c->frame_rate - exact) < 1e-4 * exact ? exact : (double)c->frame_rate;
    if (fprintf(f, "%s\n", CSV_HEADER) < 0) return 0;
    for (int i = 0; i < c->n_frames; i++) {
        if (fprintf(f, "%.9g", i / rate) < 0) return 0;
        for (int d = 0; d < NR_NUM_DESC; d++)
            if (fprintf(f, ",%.9g", c->data[i * NR_NUM_DESC + d]) < 0) return 0;
        if (fputc('\n', f) == EOF) return 0;
    }
    return 1;
}

nr_result nr_curves_write_csv(const char *path, const nr_curves *c)
{
    if (!path) return nr_fail(NR_ERR_ARG, "no CSV file name given");
    if (!c || c->n_frames < 0 || (c->n_frames > 0 && !c->data) || !(c->frame_rate > 0.0f))
        return nr_fail(NR_ERR_ARG, "%s: no valid curves to write", path);
    FILE *f;
    char *tmp;
    nr_result r = nr_atomic_fopen(path, &f, &tmp);
    if (r != NR_OK) return r;
    nr_curves_print_csv(f, c); /* a failed write leaves ferror(f) set: nr_atomic_fcommit reports it */
    return nr_atomic_fcommit(path, f, tmp);
}

/* Parse one data row into v[CSV_COLS]. */
static nr_result parse_row(const char *path, long line, char *s, double *v)
{
    char *p = s;
    for (int col = 0; col < CSV_COLS; col++) {
        char *end;
        errno = 0;
        v[col] = strtod(p, &end);
        if (end == p) {
            return nr_fail(NR_ERR_FORMAT, "%s:%ld: column %d is not a number; expected %d numbers per row", path,
                           line, col + 1, CSV_COLS);
        }
        if (!isfinite(v[col])) {
            return nr_fail(NR_ERR_VALUE, "%s:%ld: column %d is not finite; expected finite values", path, line,
                           col + 1);
        }
        while (*end == ' ' || *end == '\t') end++;
        if (col < CSV_COLS - 1) {
            if (*end != ',') {
                return nr_fail(NR_ERR_FORMAT, "%s:%ld: %d columns; expected %d", path, line, col + 1, CSV_COLS);
            }
            p = end + 1;
        } else if (*end != '\0') {
            return nr_fail(NR_ERR_FORMAT, "%s:%ld: more than %d columns or trailing text", path, line, CSV_COLS);
        }
    }
    return NR_OK;
}

nr_result nr_curves_read_csv(const char *path, nr_curves *out)
{
    memset(out, 0, sizeof *out);
    if (!path) return nr_fail(NR_ERR_ARG, "no CSV file name given");
    FILE *f = fopen(path, "r");
    if (!f) return nr_fail(NR_ERR_IO, "%s: cannot open curves file: %s", path, strerror(errno));
    nr_line_reader lr;
    nr_result r = NR_OK;
    double *rows = NULL; /* (n, CSV_COLS) */
    long n = 0, rows_cap = 0;
    if (!nr_line_reader_init(&lr, f, CSV_MAX_LINE)) {
        r = nr_fail(NR_ERR_NOMEM, "%s: out of memory", path);
        goto done;
    }
    nr_line_status st = nr_line_next(&lr);
    if (st == NR_LINE_END) {
        r = nr_fail(NR_ERR_FORMAT, "%s: empty file; expected the header %s", path, CSV_HEADER);
        goto done;
    }
    if (st == NR_LINE_OK && strcmp(lr.buf, CSV_HEADER) != 0) {
        r = nr_fail(NR_ERR_FORMAT, "%s:1: unexpected header; expected %s", path, CSV_HEADER);
        goto done;
    }
    while (st == NR_LINE_OK && (st = nr_line_next(&lr)) == NR_LINE_OK) {
        if (lr.buf[0] == '\0') continue;
        if (n >= CSV_MAX_ROWS) {
            r = nr_fail(NR_ERR_FORMAT, "%s:%ld: more than %d rows", path, lr.line, CSV_MAX_ROWS);
            goto done;
        }
        if (n == rows_cap) {
            rows_cap = rows_cap ? rows_cap * 2 : 256;
            double *nr = realloc(rows, (size_t)rows_cap * CSV_COLS * sizeof(double));
            if (!nr) {
                r = nr_fail(NR_ERR_NOMEM, "%s: out of memory", path);
                goto done;
            }
            rows = nr;
        }
        r = parse_row(path, lr.line, lr.buf, rows + n * CSV_COLS);
        if (r != NR_OK) goto done;
        if (n > 0 && !(rows[n * CSV_COLS] > rows[(n - 1) * CSV_COLS])) {
            r = nr_fail(NR_ERR_FORMAT, "%s:%ld: time_s does not increase", path, lr.line);
            goto done;
        }
        n++;
    }
    if (st != NR_LINE_END) {
        r = nr_fail(st == NR_LINE_READ_ERROR ? NR_ERR_IO : NR_ERR_FORMAT, "%s: %s", path, nr_line_error(&lr, st));
        goto done;
    }
    if (n == 0) {
        r = nr_fail(NR_ERR_FORMAT, "%s: no data rows after the header", path);
        goto done;
    }
    /* Frame rate from the time column; the analysis rate when it agrees to within rounding. */
    double rate = (double)NR_ANALYSIS_RATE / NR_ANALYSIS_HOP;
    if (n > 1) {
        double span = rows[(n - 1) * CSV_COLS] - rows[0];
        double fr = (double)(n - 1) / span;
        if (!(fr >= CSV_MIN_RATE && fr <= CSV_MAX_RATE)) {
            r = nr_fail(NR_ERR_VALUE,
                        "%s: %ld rows over %g s of time_s make %g frames per second; expected %g..%g (time_s is "
                        "in seconds)",
                        path, n, span, fr, CSV_MIN_RATE, CSV_MAX_RATE);
            goto done;
        }
        if (fabs(fr - rate) > 1e-4 * rate) rate = fr;
    }
    r = nr_curves_alloc(out, (int)n, (float)rate);
    if (r != NR_OK) {
        r = nr_fail_prefix(r, path);
        goto done;
    }
    for (long i = 0; i < n; i++)
        for (int d = 0; d < NR_NUM_DESC; d++) out->data[i * NR_NUM_DESC + d] = (float)rows[i * CSV_COLS + 1 + d];
done:
    free(rows);
    nr_line_reader_free(&lr);
    fclose(f);
    return r;
}

/* manifest.tsv: read, write, iterate, and load an entry's audio and curves. */
#include "ds_internal.h"
#include "io/atomic_file.h"
#include "io/line_reader.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_COLS 13
/* The longest row: 13 columns whose text fields are at most a few hundred bytes each (nr_ds_entry). */
#define MANIFEST_MAX_LINE 4096
static const char *const g_cols[N_COLS] = {"hash",  "split", "class", "source", "package", "licence", "duration_s",
                                           "n_samples", "rate", "group", "audio", "curves", "origin"};

static const char *const g_split_names[NR_SPLIT_COUNT] = {"train", "valid", "test"};

const char *nr_split_name(nr_split s) { return s >= 0 && s < NR_SPLIT_COUNT ? g_split_names[s] : "?"; }

nr_split nr_split_parse(const char *s)
{
    for (int i = 0; i < NR_SPLIT_COUNT; i++)
        if (!strcmp(s, g_split_names[i])) return (nr_split)i;
    return NR_SPLIT_COUNT;
}

nr_split nr_split_of_key(const char *group)
{
    uint64_t h = ds_fnv1a64(group, strlen(group), DS_FNV64_INIT);
    h ^= h >> 33; /* FNV's low bits are weak: fold the high ones in before the modulo */
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    unsigned b = (unsigned)(h % 100);
    return b < 80 ? NR_SPLIT_TRAIN : b < 90 ? NR_SPLIT_VALID : NR_SPLIT_TEST;
}

void nr_manifest_free(nr_manifest *m)
{
    free(m->e);
    memset(m, 0, sizeof *m);
}

static void clean_field(char *s)
{
    for (; *s; s++)
        if (*s == '\t' || *s == '\n' || *s == '\r') *s = ' ';
}

nr_result nr_manifest_add(nr_manifest *m, const nr_ds_entry *e)
{
    if (m->n == m->cap) {
        int cap = m->cap ? 2 * m->cap : 256;
        nr_ds_entry *p = realloc(m->e, (size_t)cap * sizeof *p);
        if (!p) return nr_fail(NR_ERR_NOMEM, "out of memory for %d manifest entries", cap);
        m->e = p;
        m->cap = cap;
    }
    nr_ds_entry *d = &m->e[m->n++];
    *d = *e;
    clean_field(d->cls), clean_field(d->source), clean_field(d->package), clean_field(d->licence);
    clean_field(d->group), clean_field(d->audio), clean_field(d->curves), clean_field(d->origin);
    return NR_OK;
}

nr_result nr_manifest_write(const char *path, const nr_manifest *m)
{
    FILE *f;
    char *tmp;
    nr_result r = nr_atomic_fopen(path, &f, &tmp);
    if (r != NR_OK) return r;
    fprintf(f, "%s\n", NR_MANIFEST_MAGIC);
    for (int c = 0; c < N_COLS; c++) fprintf(f, "%s%c", g_cols[c], c + 1 < N_COLS ? '\t' : '\n');
    for (int i = 0; i < m->n && !ferror(f); i++) {
        const nr_ds_entry *e = &m->e[i];
        fprintf(f, "%s\t%s\t%s\t%s\t%s\t%s\t%.6f\t%ld\t%d\t%s\t%s\t%s\t%s\n", e->hash, nr_split_name(e->split),
                e->cls, e->source, e->package, e->licence, e->duration, e->n_samples, e->rate, e->group, e->audio,
                e->curves, e->origin);
    }
    return nr_atomic_fcommit(path, f, tmp);
}

/* Copy field s into dst[n]; 0 if it does not fit. */
static int put(char *dst, size_t n, const char *s)
{
    size_t l = strlen(s);
    if (l >= n) return 0;
    memcpy(dst, s, l + 1);
    return 1;
}

static int parse_row(char *line, nr_ds_entry *e, const char **why)
{
    char *f[N_COLS];
    int k = 0;
    for (char *p = line; k < N_COLS; k++) {
        f[k] = p;
        char *t = strchr(p, '\t');
        if (!t) {
            k++;
            break;
        }
        *t = '\0';
        p = t + 1;
    }
    if (k != N_COLS) return *why = "wrong number of columns", 0;
    memset(e, 0, sizeof *e);
    if (strlen(f[0]) != 16 || strspn(f[0], "0123456789abcdef") != 16) return *why = "hash is not 16 hex digits", 0;
    memcpy(e->hash, f[0], 17);
    if ((e->split = nr_split_parse(f[1])) == NR_SPLIT_COUNT) return *why = "split is not train/valid/test", 0;
    char *end;
    e->duration = strtod(f[6], &end);
    if (*end || !isfinite(e->duration) || e->duration <= 0) return *why = "duration is not a positive number", 0;
    e->n_samples = strtol(f[7], &end, 10);
    if (*end || e->n_samples <= 0) return *why = "n_samples is not a positive integer", 0;
    long rate = strtol(f[8], &end, 10);
    if (*end || rate < 1000 || rate > 768000) return *why = "rate is not 1000..768000", 0;
    e->rate = (int)rate;
    if (!put(e->cls, sizeof e->cls, f[2]) || !put(e->source, sizeof e->source, f[3]) ||
        !put(e->package, sizeof e->package, f[4]) || !put(e->licence, sizeof e->licence, f[5]) ||
        !put(e->group, sizeof e->group, f[9]) || !put(e->audio, sizeof e->audio, f[10]) ||
        !put(e->curves, sizeof e->curves, f[11]) || !put(e->origin, sizeof e->origin, f[12]))
        return *why = "a text field is too long", 0;
    if (strstr(e->audio, "..") || e->audio[0] == '/' || strstr(e->curves, "..") || e->curves[0] == '/')
        return *why = "audio/curves paths must stay inside the data set folder", 0;
    return 1;
}

nr_result nr_manifest_read(const char *path, nr_manifest *m)
{
    memset(m, 0, sizeof *m);
    char file[1024];
    size_t pl = strlen(path);
    if (pl > 4 && !strcmp(path + pl - 4, ".tsv")) {
        snprintf(file, sizeof file, "%s", path);
        const char *slash = strrchr(path, '/');
        if (slash) snprintf(m->dir, sizeof m->dir, "%.*s", (int)(slash - path), path);
        else snprintf(m->dir, sizeof m->dir, ".");
    } else {
        snprintf(m->dir, sizeof m->dir, "%s", path);
        snprintf(file, sizeof file, "%s/%s", path, NR_MANIFEST_FILE);
    }
    FILE *f = fopen(file, "r");
    if (!f) return nr_fail(NR_ERR_IO, "%s: cannot open (%s); build it with `neurorack dataset`", file, strerror(errno));
    nr_line_reader lr;
    if (!nr_line_reader_init(&lr, f, MANIFEST_MAX_LINE)) {
        fclose(f);
        return nr_fail(NR_ERR_NOMEM, "%s: out of memory", file);
    }
    nr_result r = NR_OK;
    nr_line_status st = nr_line_next(&lr);
    if (st != NR_LINE_OK || strcmp(lr.buf, NR_MANIFEST_MAGIC) != 0) {
        r = nr_fail(NR_ERR_VERSION, "%s: first line is not \"%s\"; rebuild with this version's `neurorack dataset`",
                    file, NR_MANIFEST_MAGIC);
        goto done;
    }
    st = nr_line_next(&lr);
    if (st != NR_LINE_OK || strncmp(lr.buf, "hash\tsplit\t", 11)) {
        r = nr_fail(NR_ERR_FORMAT, "%s: line 2 is not the column header (hash, split, ...)", file);
        goto done;
    }
    int skipped = 0;
    while (r == NR_OK && (st = nr_line_next(&lr)) != NR_LINE_END) {
        /* a damaged row is skipped with a warning (the rest of the data set stays usable); a read error ends it */
        if (st == NR_LINE_TOO_LONG || st == NR_LINE_NUL) {
            fprintf(stderr, "%s:%ld: %s; skipped\n", file, lr.line, nr_line_error(&lr, st));
            skipped++;
            if (st == NR_LINE_TOO_LONG && !nr_line_skip_rest(&lr)) st = NR_LINE_READ_ERROR;
            else continue;
        }
        if (st != NR_LINE_OK) {
            r = nr_fail(st == NR_LINE_READ_ERROR ? NR_ERR_IO : NR_ERR_NOMEM, "%s: %s", file, nr_line_error(&lr, st));
            break;
        }
        if (!lr.len || lr.buf[0] == '#') continue;
        nr_ds_entry e;
        const char *why = "";
        if (!parse_row(lr.buf, &e, &why)) {
            fprintf(stderr, "%s:%ld: %s; skipped\n", file, lr.line, why);
            skipped++;
            continue;
        }
        r = nr_manifest_add(m, &e);
    }
done:
    nr_line_reader_free(&lr);
    fclose(f);
    if (r != NR_OK) nr_manifest_free(m);
    return r;
}

int nr_manifest_next(const nr_manifest *m, nr_split split, int *it)
{
    for (int i = *it + 1; i < m->n; i++)
        if (split == NR_SPLIT_COUNT || m->e[i].split == split) return *it = i;
    *it = m->n;
    return -1;
}

int nr_manifest_count(const nr_manifest *m, nr_split split)
{
    int c = 0;
    for (int i = 0; i < m->n; i++) c += split == NR_SPLIT_COUNT || m->e[i].split == split;
    return c;
}

nr_result nr_ds_load_audio(const nr_manifest *m, int i, int rate, nr_audio *out)
{
    memset(out, 0, sizeof *out);
    if (i < 0 || i >= m->n) return nr_fail(NR_ERR_ARG, "manifest entry %d out of range 0..%d", i, m->n - 1);
    char path[1200];
    snprintf(path, sizeof path, "%s/%s", m->dir, m->e[i].audio);
    nr_result r = ds_read_file(path, out);
    if (r != NR_OK) return r;
    double peak = 0.0;
    for (long k = 0; k < out->n; k++) {
        if (!isfinite(out->samples[k])) {
            ds_audio_release(out);
            return nr_fail(NR_ERR_VALUE, "%s: sample %ld is not finite", path, k);
        }
        if (fabs(out->samples[k]) > peak) peak = fabs(out->samples[k]);
    }
    if (peak < 1e-6) {
        ds_audio_release(out);
        return nr_fail(NR_ERR_VALUE, "%s: silent (peak below -120 dBFS)", path);
    }
    if (rate > 0 && rate != out->rate && (r = ds_resample_inplace(out, rate)) != NR_OK) {
        ds_audio_release(out);
        return nr_fail_prefix(r, path);
    }
    return NR_OK;
}

nr_result nr_ds_load_curves(const nr_manifest *m, int i, nr_curves *out)
{
    memset(out, 0, sizeof *out);
    if (i < 0 || i >= m->n) return nr_fail(NR_ERR_ARG, "manifest entry %d out of range 0..%d", i, m->n - 1);
    if (!strcmp(m->e[i].curves, "-"))
        return nr_fail(NR_ERR_IO, "%s: no cached curves yet; run `neurorack dataset` again", m->e[i].hash);
    char path[1200];
    snprintf(path, sizeof path, "%s/%s", m->dir, m->e[i].curves);
    return nr_curves_cache_read(path, out);
}

/* The build of `neurorack dataset`: enumerate sources, process, deduplicate, store, analyse,
 * augment, write the manifest. Re-runs reuse DIR/cache.tsv, DIR/audio/ and DIR/curves/. */
#include "ds_sources.h"
#include "io/atomic_file.h"
#include "io/line_reader.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

/* Bump when processing changes so cached results are not reused across versions. */
#define DS_PROCESS_VERSION 1

ds_build_config ds_build_config_default(void)
{
    ds_build_config c;
    memset(&c, 0, sizeof c);
    c.out_dir = "data/build";
    c.rate = 48000;
    c.seed = 1;
    c.n_booms = 400;
    c.boom_max_s = 7.0;
    c.params = ds_params_default();
    c.analyze = 1;
    return c;
}

/* --- the processing cache: key -> "ok <hash>", "near <hash> <kept>", "bad <reason>" --- */
#define CACHE_KEY_MAX 512 /* ds_item.key */
#define CACHE_VAL_MAX 512 /* cache_put's value */

typedef struct {
    const ds_build_config *cfg;
    ds_build_stats *st;
    nr_manifest *m;
    char dir[1024];
    ds_cache cache;
    FILE *cache_out;          /* appended as results come */
    ds_fingerprint *fp;       /* (m->n) fingerprints of kept entries */
    int cap_fp;
    int analyze;              /* cleared when the analysis is not available */
    int loud;                 /* an own folder: every skipped file is named, not only with --verbose */
    int bar_on;               /* a progress bar is on the terminal's last line: clear it before a message */
} ctx_t;

typedef struct ds_item {
    const ds_source *src;
    char rel[256];    /* path relative to the source root, or sample name */
    char origin[256];
    char group[96];
    char text[256];   /* words for the class guess */
    const char *cls;  /* a class known from the source (GM key), or NULL */
    char folder_cls[16]; /* own folders: the class when the name guess finds none (the folder's name) */
    const char *licence;
    char key[CACHE_KEY_MAX];
    nr_result (*load)(const struct ds_item *it, nr_audio *out);
    const void *payload;
    long index;
    double head_s;    /* > 0: read only the first head_s seconds of a longer file (textures) */
} ds_item;

/* A line on stderr that does not run into the progress bar (printed again after it). */
static void say(ctx_t *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (c->bar_on) fputs("\r\033[K", stderr);
    c->bar_on = 0;
    vfprintf(stderr, fmt, ap);
    va_end(ap);
}

static void report(ctx_t *c, const char *what, const char *why)
{
    if (c->cfg->verbose || c->loud) say(c, "  skipped %s: %s\n", what, why);
}

/* A duplicate (kind "duplicate" or "near-duplicate") of manifest entry `of`, named. */
static void report_dup(ctx_t *c, const char *what, const char *kind, int of)
{
    char why[400];
    snprintf(why, sizeof why, "%s of %s", kind, of >= 0 ? c->m->e[of].origin : "an earlier sound");
    report(c, what, why);
}

static const char *cache_get(const ctx_t *c, const char *key)
{
    for (int i = c->cache.n - 1; i >= 0; i--) /* the latest result wins */
        if (!strcmp(c->cache.rows[i].key, key)) return c->cache.rows[i].val;
    return NULL;
}

static void cache_put(ctx_t *c, const char *key, const char *fmt, ...)
{
    char val[CACHE_VAL_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(val, sizeof val, fmt, ap);
    va_end(ap);
    for (char *p = val; *p; p++)
        if (*p == '\t' || *p == '\n') *p = ' ';
    if (c->cache_out) fprintf(c->cache_out, "%s\t%s\n", key, val);
}

/* cache.tsv is appended to, never replaced (a torn last line is skipped when read): push what was
 * appended to the disk; on a write error (disk full) say so once and stop caching. */
static void cache_sync(ctx_t *c)
{
    if (!c->cache_out) return;
    errno = 0;
    if (fflush(c->cache_out) == 0 && !ferror(c->cache_out) && fsync(fileno(c->cache_out)) == 0) return;
    int e = errno;
    fprintf(stderr, "neurorack dataset: %s/cache.tsv: %s; nothing more will be cached\n", c->dir,
            nr_write_error_text(e));
    fclose(c->cache_out);
    c->cache_out = NULL;
}

int ds_cache_load(const char *path, ds_cache *c)
{
    memset(c, 0, sizeof *c);
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    nr_line_reader lr;
    if (!nr_line_reader_init(&lr, f, DS_CACHE_MAX_LINE)) {
        fclose(f);
        return 0; /* out of memory: no cache, everything is processed again */
    }
    int skipped = 0;
    nr_line_status st;
    while ((st = nr_line_next(&lr)) != NR_LINE_END) {
        if (st == NR_LINE_TOO_LONG || st == NR_LINE_NUL) { /* damaged: that result is made again */
            fprintf(stderr, "neurorack dataset: %s:%ld: %s; that line of the cache is skipped\n", path, lr.line,
                    nr_line_error(&lr, st));
            skipped++;
            if (st == NR_LINE_NUL || nr_line_skip_rest(&lr)) continue;
            st = NR_LINE_READ_ERROR;
        }
        if (st != NR_LINE_OK) {
            fprintf(stderr, "neurorack dataset: %s: %s; the rest of the cache is not used\n", path,
                    nr_line_error(&lr, st));
            break;
        }
        char *tab = strchr(lr.buf, '\t');
        if (feof(f)) break; /* a torn last line from a killed run (every row ends with a newline) */
        if (!tab) continue;
        *tab = '\0';
        if (c->n == c->cap) {
            int cap = c->cap ? 2 * c->cap : 1024;
            ds_cache_row *p = realloc(c->rows, (size_t)cap * sizeof *p);
            if (!p) break;
            c->rows = p;
            c->cap = cap;
        }
        c->rows[c->n].key = strdup(lr.buf);
        c->rows[c->n].val = strdup(tab + 1);
        if (!c->rows[c->n].key || !c->rows[c->n].val) {
            free(c->rows[c->n].key), free(c->rows[c->n].val);
            break;
        }
        c->n++;
    }
    nr_line_reader_free(&lr);
    fclose(f);
    return skipped;
}

void ds_cache_free(ds_cache *c)
{
    for (int i = 0; i < c->n; i++) free(c->rows[i].key), free(c->rows[i].val);
    free(c->rows);
    memset(c, 0, sizeof *c);
}

static void cache_load(ctx_t *c)
{
    char path[1100];
    snprintf(path, sizeof path, "%s/cache.tsv", c->dir);
    ds_cache_load(path, &c->cache);
}

static int file_exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0;
}

static int find_hash(const nr_manifest *m, const char *hash)
{
    for (int i = 0; i < m->n; i++)
        if (!strcmp(m->e[i].hash, hash)) return i;
    return -1;
}

/* "kick_hard_02" -> "kick": drop trailing numbers, velocity words and round-robin tags, so every
 * layer of one instrument gets the same group (and split). */
static void strip_layer(char *s)
{
    static const char *const words[] = {"hard", "hardest", "soft", "softest", "med", "medium", "loud", "quiet",
                                        "ff", "f", "mf", "mp", "p", "pp", "hi", "lo", "l", "r", NULL};
    for (int again = 1; again;) {
        again = 0;
        size_t n = strlen(s);
        while (n && isdigit((unsigned char)s[n - 1])) s[--n] = '\0', again = 1;
        while (n && (s[n - 1] == '_' || s[n - 1] == '-' || s[n - 1] == ' ' || s[n - 1] == '.'))
            s[--n] = '\0', again = 1;
        char *sep = NULL;
        for (char *p = s; *p; p++)
            if (*p == '_' || *p == '-' || *p == ' ') sep = p;
        if (!sep) break;
        const char *tok = sep + 1;
        int drop = (tolower((unsigned char)tok[0]) == 'v' || !strncasecmp(tok, "rr", 2)) && tok[1] &&
                   isdigit((unsigned char)tok[tok[0] == 'r' || tok[0] == 'R' ? 2 : 1]);
        for (int w = 0; words[w] && !drop; w++) drop = !strcasecmp(tok, words[w]);
        if (drop && sep != s) {
            *sep = '\0';
            again = 1;
        }
    }
}

static int match_any(const char *s, const char *pats)
{
    if (!pats) return 0;
    for (const char *p = pats; *p;) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        char pat[256];
        if (len < sizeof pat) {
            memcpy(pat, p, len);
            pat[len] = '\0';
            if (len && strstr(s, pat)) return 1;
        }
        p += len + (bar ? 1 : 0);
    }
    return 0;
}

int ds_source_wants(const ds_source *s, const char *rel)
{
    return (!s->include || match_any(rel, s->include)) && !match_any(rel, s->exclude);
}

static void make_key(ds_item *it, const char *file, const ds_build_config *cfg)
{
    struct stat st;
    long long size = 0, mtime = 0;
    if (stat(file, &st) == 0) size = (long long)st.st_size, mtime = (long long)st.st_mtime;
    const ds_params *p = &cfg->params;
    int w = snprintf(it->key, sizeof it->key, "%s|%ld|%lld|%lld|r%d|v%d %g %g %g %g %g %g", it->origin, it->index, size,
                     mtime, cfg->rate, DS_PROCESS_VERSION, p->lead_db, p->tail_db, p->fade_ms, p->peak_dbfs, p->min_s,
                     p->max_s);
    if (it->head_s > 0 && w > 0 && (size_t)w < sizeof it->key) /* impacts' keys stay as they were */
        snprintf(it->key + w, sizeof it->key - (size_t)w, " head%g", it->head_s);
}

static nr_result grow_fp(ctx_t *c)
{
    if (c->m->n < c->cap_fp) return NR_OK;
    int cap = c->cap_fp ? 2 * c->cap_fp : 512;
    ds_fingerprint *p = realloc(c->fp, (size_t)cap * sizeof *p);
    if (!p) return nr_fail(NR_ERR_NOMEM, "out of memory for fingerprints");
    c->fp = p;
    c->cap_fp = cap;
    return NR_OK;
}

/* A curve file this build reads: one of an older version (another analysis) or a damaged one is
 * made again. */
static int curves_current(const char *path)
{
    nr_curves cv;
    if (!file_exists(path) || nr_curves_cache_read(path, &cv) != NR_OK) return 0;
    nr_curves_free(&cv);
    return 1;
}

static void do_curves(ctx_t *c, nr_ds_entry *e, const nr_audio *a)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/curves/%s.nrc", c->dir, e->hash);
    snprintf(e->curves, sizeof e->curves, "-");
    if (curves_current(path)) {
        snprintf(e->curves, sizeof e->curves, "curves/%s.nrc", e->hash);
        c->st->curves_cached++;
        return;
    }
    if (!c->analyze) {
        c->st->curves_missing++;
        return;
    }
    nr_curves cv;
    nr_result r = ds_curves_compute(a, &cv);
    if (r == NR_OK) r = nr_curves_cache_write(path, &cv);
    if (r == NR_OK) {
        snprintf(e->curves, sizeof e->curves, "curves/%s.nrc", e->hash);
        c->st->curves_new++;
    } else {
        c->st->curves_missing++;
        if (r == NR_ERR_UNSUPPORTED) {
            fprintf(stderr, "neurorack dataset: curves not computed (%s); run again once the analysis is built\n",
                    nr_last_error());
            c->analyze = 0;
        } else {
            fprintf(stderr, "  curves of %s failed: %s\n", e->origin, nr_last_error());
        }
    }
    if (r == NR_OK) nr_curves_free(&cv);
}

/* Keep a processed sound (already on the 24-bit grid): store it, analyse it, add it. */
static nr_result keep(ctx_t *c, const nr_audio *a, const char *hash, nr_ds_entry *e)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/audio/%s.flac", c->dir, hash);
    if (!file_exists(path)) {
        nr_result r = ds_write_flac(path, a->samples, a->n, a->rate);
        if (r != NR_OK) return r;
    }
    snprintf(e->hash, sizeof e->hash, "%s", hash);
    snprintf(e->audio, sizeof e->audio, "audio/%s.flac", hash);
    e->n_samples = a->n;
    e->rate = a->rate;
    e->duration = (double)a->n / a->rate;
    do_curves(c, e, a);
    nr_result r = grow_fp(c);
    if (r != NR_OK) return r;
    ds_fingerprint_make(a->samples, a->n, a->rate, &c->fp[c->m->n]);
    c->st->total_s += e->duration;
    return nr_manifest_add(c->m, e);
}

static void handle(ctx_t *c, ds_item *it)
{
    ds_build_stats *st = c->st;
    if (c->cfg->family == DS_FAMILY_IMPACTS && ds_not_impact(it->text)) {
        report(c, it->origin, "its name says it is not an impact (a loop, a whistle, a crowd...)");
        return;
    }
    st->seen++;
    const char *cached = cache_get(c, it->key);
    char hash[17] = "", path[1200];
    nr_audio a = {NULL, 0, 0};
    if (cached && !strncmp(cached, "bad ", 4)) {
        st->rejected++;
        report(c, it->origin, cached + 4);
        return;
    }
    if (cached && !strncmp(cached, "unreadable ", 11)) { /* reported again, as on the run that found it */
        st->failed++;
        say(c, "  skipped %s: %s\n", it->origin, cached + 11);
        return;
    }
    if (cached && !strncmp(cached, "near ", 5) && strlen(cached) == 5 + 16 + 1 + 16 &&
        find_hash(c->m, cached + 22) >= 0) {
        st->dup_near++;
        report_dup(c, it->origin, "near-duplicate", find_hash(c->m, cached + 22));
        return;
    }
    if (cached && !strncmp(cached, "ok ", 3) && strlen(cached) == 3 + 16) {
        memcpy(hash, cached + 3, 17);
        if (find_hash(c->m, hash) >= 0) {
            st->dup_exact++;
            report_dup(c, it->origin, "duplicate", find_hash(c->m, hash));
            return;
        }
        snprintf(path, sizeof path, "%s/audio/%s.flac", c->dir, hash);
        if (file_exists(path) && ds_read_file(path, &a) == NR_OK && a.rate == c->cfg->rate) {
            st->cached++;
        } else {
            /* A stored file that does not read back (a crash mid-write, a bad disk) is made again. */
            if (file_exists(path) && !a.samples) {
                say(c, "  %s: stored audio unreadable, made again: %s\n", it->origin, nr_last_error());
                remove(path);
            }
            ds_audio_release(&a);
            hash[0] = '\0';
        }
    }
    if (!hash[0]) {
        nr_result r = it->load(it, &a);
        if (r == NR_OK) r = ds_resample_inplace(&a, c->cfg->rate);
        if (r == NR_OK) r = ds_process(&a, &c->cfg->params);
        if (r != NR_OK) {
            ds_audio_release(&a);
            if (r == NR_ERR_VALUE) st->rejected++;
            else st->failed++;
            report(c, it->origin, nr_last_error());
            if (r == NR_ERR_VALUE) cache_put(c, it->key, "bad %s", nr_last_error());
            if (r == NR_ERR_FORMAT) cache_put(c, it->key, "unreadable %s", nr_last_error());
            if (r != NR_ERR_VALUE && !c->cfg->verbose && !c->loud)
                say(c, "  skipped %s: %s\n", it->origin, nr_last_error());
            return;
        }
        ds_quantize(a.samples, a.n);
        snprintf(hash, sizeof hash, "%016llx", (unsigned long long)ds_hash_audio(a.samples, a.n, a.rate));
        cache_put(c, it->key, "ok %s", hash);
        if (find_hash(c->m, hash) >= 0) {
            st->dup_exact++;
            report_dup(c, it->origin, "duplicate", find_hash(c->m, hash));
            ds_audio_release(&a);
            return;
        }
    }
    ds_fingerprint fp;
    ds_fingerprint_make(a.samples, a.n, a.rate, &fp);
    for (int i = 0; i < c->m->n; i++)
        if (ds_fingerprint_same(&fp, &c->fp[i])) {
            cache_put(c, it->key, "near %s %s", hash, c->m->e[i].hash);
            report_dup(c, it->origin, "near-duplicate", i);
            st->dup_near++;
            ds_audio_release(&a);
            return;
        }
    nr_ds_entry e;
    memset(&e, 0, sizeof e);
    /* A source with a default class holds sound effects: its names are read with the effect words. */
    const char *cls = it->cls               ? it->cls
                      : it->src->cls        ? ds_class_from_effect_text(it->text)
                                            : ds_class_from_text(it->text);
    if (!cls) cls = it->src->cls;
    /* own folders: drum words (above), then effect words, then the folder's name */
    if (it->src->kind == DS_KIND_OWN && !cls) cls = ds_class_from_effect_text(it->text);
    if (it->src->kind == DS_KIND_OWN && !cls && it->folder_cls[0]) cls = it->folder_cls;
    if (c->cfg->family != DS_FAMILY_IMPACTS) /* the program group, or the recorded source's class */
        cls = it->cls ? it->cls : it->src->cls ? it->src->cls : "other";
    else
        cls = ds_class_refine(cls, a.samples, a.n, a.rate);
    snprintf(e.cls, sizeof e.cls, "%s", cls);
    snprintf(e.source, sizeof e.source, "%s", it->src->name);
    snprintf(e.package, sizeof e.package, "%s", it->src->package);
    snprintf(e.licence, sizeof e.licence, "%s", it->licence);
    snprintf(e.group, sizeof e.group, "%s", it->group);
    snprintf(e.origin, sizeof e.origin, "%s", it->origin);
    e.split = nr_split_of_key(e.group);
    nr_result r = keep(c, &a, hash, &e);
    ds_audio_release(&a);
    if (r != NR_OK) {
        st->failed++;
        say(c, "  skipped %s: %s\n", it->origin, nr_last_error());
        return;
    }
    st->kept++;
}

/* --- enumerators --- */

static nr_result load_file(const ds_item *it, nr_audio *out)
{
    return ds_read_file_head((const char *)it->payload, it->head_s, out);
}

/* Textures: a recording longer than the kept length is an ambience loop, not a broken one-shot; its
 * first seconds are read (a little more than kept, for the leading-silence trim). */
#define DS_HEAD_MARGIN_S 2.0
static double head_of(const ctx_t *c)
{
    return c->cfg->family == DS_FAMILY_TEXTURES ? c->cfg->params.max_s + DS_HEAD_MARGIN_S : 0.0;
}

static void base_noext(const char *path, char *dst, size_t n)
{
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    snprintf(dst, n, "%s", b);
    char *dot = strrchr(dst, '.');
    if (dot && dot != dst) *dot = '\0';
}

static void run_files(ctx_t *c, const ds_source *s)
{
    ds_filelist fl;
    if (ds_scan(s->root, ".wav|.flac|.ogg|.aif|.aiff|.au|.w64", &fl) != NR_OK || fl.n == 0) {
        fprintf(stderr, "neurorack dataset: %s: no sound files under %s (is %s installed?)\n", s->name, s->root,
                s->package);
        ds_filelist_free(&fl);
        return;
    }
    size_t rl = strlen(s->root);
    ds_h2kit kit = {NULL, NULL, 0};
    char kit_dir[1024] = "";
    for (int i = 0; i < fl.n; i++) {
        const char *path = fl.paths[i], *rel = path + rl + (path[rl] == '/');
        if (!ds_source_wants(s, rel)) continue;
        ds_item it;
        memset(&it, 0, sizeof it);
        it.src = s;
        snprintf(it.rel, sizeof it.rel, "%s", rel);
        snprintf(it.origin, sizeof it.origin, "%s", path);
        it.licence = s->licence_of ? s->licence_of(rel) : s->licence;
        char stem[256];
        base_noext(rel, stem, sizeof stem);
        const char *inst = NULL;
        if (s->kind == DS_KIND_HYDROGEN) {
            const char *slash = strrchr(path, '/');
            if (slash && (size_t)(slash - path) < sizeof kit_dir && strncmp(kit_dir, path, (size_t)(slash - path))) {
                ds_h2kit_free(&kit);
                snprintf(kit_dir, sizeof kit_dir, "%.*s", (int)(slash - path), path);
                if (ds_h2kit_read(kit_dir, &kit) != NR_OK) fprintf(stderr, "  %s\n", nr_last_error());
            }
            inst = ds_h2kit_instrument(&kit, slash ? slash + 1 : path);
        }
        char dir[256];
        snprintf(dir, sizeof dir, "%s", rel);
        char *ds = strrchr(dir, '/');
        if (ds) *ds = '\0';
        else dir[0] = '\0';
        if (inst) {
            snprintf(it.group, sizeof it.group, "%s/%s/%s", s->name, dir, inst);
            snprintf(it.text, sizeof it.text, "%s %s", inst, stem);
        } else {
            char g[256];
            snprintf(g, sizeof g, "%s", stem);
            strip_layer(g);
            snprintf(it.group, sizeof it.group, "%s/%s%s%s", s->name, dir, dir[0] ? "/" : "", g);
            snprintf(it.text, sizeof it.text, "%s", rel);
        }
        it.load = load_file;
        it.payload = path;
        it.head_s = head_of(c);
        make_key(&it, path, c->cfg);
        handle(c, &it);
    }
    ds_h2kit_free(&kit);
    ds_filelist_free(&fl);
}

/* --- the user's own folders (--from) --- */

#define OWN_COUNT_EVERY 50 /* files between two count lines when stderr is not a terminal */
#define OWN_BAR_WIDTH 30

/* The class a folder's name gives its sounds: the innermost folder (relative to the --from root), lower
 * case, [a-z0-9_-] (other characters become '-'), at most 15 characters; "" at the root itself. */
static void folder_class(const char *rel, char *dst, size_t n)
{
    dst[0] = '\0';
    const char *end = strrchr(rel, '/');
    if (!end) return;
    const char *start = end;
    while (start > rel && start[-1] != '/') start--;
    size_t k = 0;
    for (const char *p = start; p < end && k + 1 < n; p++) {
        unsigned char ch = (unsigned char)tolower((unsigned char)*p);
        dst[k++] = (char)(isalnum(ch) || ch == '_' || ch == '-' ? ch : '-');
    }
    dst[k] = '\0';
    if (k && !isalnum((unsigned char)dst[0])) dst[0] = 'x'; /* a template name starts with a letter or digit */
}

static void own_progress(ctx_t *c, int done, int total)
{
    if (!c->cfg->progress || total <= 0) return;
    if (isatty(2)) {
        int fill = (int)((long)OWN_BAR_WIDTH * done / total);
        char bar[OWN_BAR_WIDTH + 1];
        for (int i = 0; i < OWN_BAR_WIDTH; i++) bar[i] = i < fill ? '#' : '-';
        bar[OWN_BAR_WIDTH] = '\0';
        fprintf(stderr, "\r  [%s] %d/%d files", bar, done, total);
        c->bar_on = 1;
        if (done == total) {
            fputc('\n', stderr);
            c->bar_on = 0;
        }
        fflush(stderr);
    } else if (done % OWN_COUNT_EVERY == 0 || done == total) {
        fprintf(stderr, "  %d/%d files\n", done, total);
    }
}

static void run_own(ctx_t *c, const ds_source *s)
{
    ds_filelist fl;
    if (ds_scan(s->root, NULL, &fl) != NR_OK || fl.n == 0) {
        fprintf(stderr, "neurorack dataset: %s: no files\n", s->root);
        ds_filelist_free(&fl);
        return;
    }
    const char *exts = ds_sound_extensions();
    int total = 0, others = 0, first_other = -1;
    for (int i = 0; i < fl.n; i++) {
        if (ds_has_ext(fl.paths[i], exts)) total++;
        else if (others++ == 0) first_other = i;
    }
    if (others)
        fprintf(stderr, "  %d file%s without a sound-file name ending left out (%s%s)\n", others, others > 1 ? "s" : "",
                fl.paths[first_other], others > 1 ? ", ..." : "");
    size_t rl = strlen(s->root);
    while (rl > 1 && s->root[rl - 1] == '/') rl--;
    c->loud = 1;
    int done = 0;
    for (int i = 0; i < fl.n; i++) {
        const char *path = fl.paths[i], *rel = path + rl;
        while (*rel == '/') rel++; /* "DIR/" given: the scan's paths read "DIR//name" */
        if (!ds_has_ext(path, exts)) continue;
        ds_item it;
        memset(&it, 0, sizeof it);
        it.src = s;
        snprintf(it.rel, sizeof it.rel, "%s", rel);
        snprintf(it.origin, sizeof it.origin, "%s", path);
        it.licence = s->licence;
        char stem[256], dir[256];
        base_noext(rel, stem, sizeof stem);
        strip_layer(stem);
        snprintf(dir, sizeof dir, "%s", rel);
        char *sl = strrchr(dir, '/');
        if (sl) *sl = '\0';
        else dir[0] = '\0';
        snprintf(it.group, sizeof it.group, "%s/%s%s%s", s->name, dir, dir[0] ? "/" : "", stem);
        snprintf(it.text, sizeof it.text, "%s", rel);
        folder_class(rel, it.folder_cls, sizeof it.folder_cls);
        it.load = load_file;
        it.payload = path;
        make_key(&it, path, c->cfg);
        handle(c, &it);
        own_progress(c, ++done, total);
        if (done % OWN_COUNT_EVERY == 0) cache_sync(c); /* a long folder keeps what it has done */
    }
    c->loud = 0;
    ds_filelist_free(&fl);
}

static nr_result load_sf2(const ds_item *it, nr_audio *out) { return ds_sf2_sample_audio(it->payload, (int)it->index, out); }

static const char *program_class(int prog)
{
    switch (prog) {
    case 47: case 116: case 127: return "boom"; /* timpani, taiko, gunshot */
    case 112: case 113: case 114: return "metal";
    case 115: return "wood";
    default: return "tom"; /* melodic tom, synth drum */
    }
}

static void run_sf2(ctx_t *c, const ds_source *s)
{
    ds_sf2 sf;
    if (ds_sf2_open(s->root, s->programs, s->n_programs, &sf) != NR_OK) {
        fprintf(stderr, "neurorack dataset: %s: %s (is %s installed?)\n", s->name, nr_last_error(), s->package);
        return;
    }
    char base[256];
    base_noext(s->root, base, sizeof base);
    for (int i = 0; i < sf.n; i++) {
        const ds_sf2_sample *smp = &sf.s[i];
        ds_item it;
        memset(&it, 0, sizeof it);
        it.src = s;
        snprintf(it.rel, sizeof it.rel, "%s", smp->name);
        if (!ds_source_wants(s, it.rel)) continue;
        /* The sample's own name first ("Timp Drum A1" in an orchestra kit), then what it is used for. */
        it.cls = ds_class_from_text(smp->name);
        if (!it.cls) it.cls = smp->program >= 0 ? program_class(smp->program) : ds_class_from_gm_key(smp->key);
        if (!it.cls && smp->program < 0 && smp->key > 0) continue; /* whistles, guiro, cuica */
        snprintf(it.origin, sizeof it.origin, "%s#%d:%s", s->root, i, smp->name);
        char g[64];
        snprintf(g, sizeof g, "%s", smp->name);
        strip_layer(g);
        snprintf(it.group, sizeof it.group, "%s/%s/%s", s->name, base, g);
        snprintf(it.text, sizeof it.text, "%s", smp->name);
        it.licence = s->licence;
        it.load = load_sf2;
        it.payload = &sf;
        it.index = i;
        make_key(&it, s->root, c->cfg);
        handle(c, &it);
    }
    ds_sf2_close(&sf);
}

static nr_result load_zip(const ds_item *it, nr_audio *out)
{
    zip_t *z = (zip_t *)it->payload;
    zip_stat_t zs;
    if (zip_stat_index(z, (zip_uint64_t)it->index, 0, &zs) != 0 || !(zs.valid & ZIP_STAT_SIZE) ||
        zs.size > (64u << 20))
        return nr_fail(NR_ERR_FORMAT, "%s: unreadable zip entry", it->origin);
    unsigned char *buf = malloc(zs.size ? zs.size : 1);
    zip_file_t *f = buf ? zip_fopen_index(z, (zip_uint64_t)it->index, 0) : NULL;
    zip_int64_t got = f ? zip_fread(f, buf, zs.size) : -1;
    if (f) zip_fclose(f);
    nr_result r = got == (zip_int64_t)zs.size ? ds_read_mem_head(buf, zs.size, it->origin, it->head_s, out)
                                              : nr_fail(NR_ERR_FORMAT, "%s: zip entry did not decompress", it->origin);
    free(buf);
    return r;
}

static void run_zip(ctx_t *c, const ds_source *s)
{
    int err = 0;
    zip_t *z = zip_open(s->root, ZIP_RDONLY, &err);
    if (!z) {
        fprintf(stderr, "neurorack dataset: %s: cannot open %s (libzip error %d; is %s installed?)\n", s->name,
                s->root, err, s->package);
        return;
    }
    zip_int64_t n = zip_get_num_entries(z, 0);
    /* Entry order inside an archive is arbitrary: visit them sorted by name. */
    char **names = calloc((size_t)(n > 0 ? n : 1), sizeof *names);
    long *idx = calloc((size_t)(n > 0 ? n : 1), sizeof *idx);
    long k = 0;
    for (zip_int64_t i = 0; names && idx && i < n; i++) {
        const char *nm = zip_get_name(z, (zip_uint64_t)i, 0);
        size_t l = nm ? strlen(nm) : 0;
        if (l > 4 && (!strcmp(nm + l - 4, ".ogg") || !strcmp(nm + l - 4, ".wav")) && ds_source_wants(s, nm)) {
            names[k] = strdup(nm);
            idx[k++] = (long)i;
        }
    }
    for (long i = 1; i < k; i++) /* insertion sort: a few hundred names */
        for (long j = i; j > 0 && names[j] && names[j - 1] && strcmp(names[j - 1], names[j]) > 0; j--) {
            char *t = names[j];
            names[j] = names[j - 1], names[j - 1] = t;
            long u = idx[j];
            idx[j] = idx[j - 1], idx[j - 1] = u;
        }
    for (long i = 0; i < k; i++) {
        if (!names[i]) continue;
        ds_item it;
        memset(&it, 0, sizeof it);
        it.src = s;
        snprintf(it.rel, sizeof it.rel, "%s", names[i]);
        snprintf(it.origin, sizeof it.origin, "%s:%s", s->root, names[i]);
        char stem[256], dir[256];
        base_noext(names[i], stem, sizeof stem);
        strip_layer(stem);
        snprintf(dir, sizeof dir, "%s", names[i]);
        char *sl = strrchr(dir, '/');
        if (sl) *sl = '\0';
        snprintf(it.group, sizeof it.group, "%s/%s/%s", s->name, dir, stem);
        snprintf(it.text, sizeof it.text, "%s", names[i]);
        it.licence = s->licence_of ? s->licence_of(names[i]) : s->licence;
        it.load = load_zip;
        it.payload = z;
        it.index = idx[i];
        it.head_s = head_of(c);
        make_key(&it, s->root, c->cfg);
        handle(c, &it);
    }
    for (long i = 0; i < k; i++) free(names[i]);
    free(names);
    free(idx);
    zip_discard(z);
}

/* --- SoundFont notes rendered through libfluidsynth (plucks, textures) --- */

typedef struct {
    ds_fluid *fl;
    ds_fluid_note note;
} fluid_job;

static nr_result load_fluid(const ds_item *it, nr_audio *out)
{
    const fluid_job *j = it->payload;
    return ds_fluid_render(j->fl, &j->note, out);
}

/* Every program of the plan over its range (every step semitones) at every velocity; one group per
 * program and SoundFont, so all notes of an instrument land in one split. */
static void run_fluid(ctx_t *c, const ds_source *s)
{
    const ds_fluid_plan *pl = s->plan;
    ds_fluid *fl = NULL;
    if (!pl) return;
    if (ds_fluid_open(s->root, c->cfg->rate, &fl) != NR_OK) {
        fprintf(stderr, "neurorack dataset: %s: %s (is %s installed?)\n", s->name, nr_last_error(), s->package);
        return;
    }
    char base[256];
    base_noext(s->root, base, sizeof base);
    for (int p = 0; p < pl->n_progs; p++) {
        const ds_fluid_prog *pr = &pl->progs[p];
        if (!ds_fluid_has_preset(fl, 0, pr->program)) {
            fprintf(stderr, "  %s: no program %d (%s) in %s, skipped\n", s->name, pr->program, pr->cls, s->root);
            continue;
        }
        for (int key = pr->lo; key <= pr->hi; key += pl->step)
            for (int v = 0; v < pl->n_vel; v++) {
                fluid_job j;
                memset(&j, 0, sizeof j);
                j.fl = fl;
                j.note.bank = 0;
                j.note.program = pr->program;
                j.note.key = key;
                j.note.velocity = pl->velocities[v];
                /* held notes of different lengths: spread over 4 steps by key and program */
                j.note.hold_s = pl->hold_s + pl->hold_spread_s * (double)((key * 7 + pr->program * 3) % 4) / 3.0;
                j.note.max_s = pl->max_s;
                j.note.silence_db = pl->silence_db;
                ds_item it;
                memset(&it, 0, sizeof it);
                it.src = s;
                snprintf(it.rel, sizeof it.rel, "p%03d k%03d v%03d", pr->program, key, j.note.velocity);
                snprintf(it.origin, sizeof it.origin, "%s#program=%d key=%d velocity=%d hold=%.2fs", s->root,
                         pr->program, key, j.note.velocity, j.note.hold_s);
                snprintf(it.group, sizeof it.group, "%s/%s/%s/p%03d", s->name, base, pr->cls, pr->program);
                snprintf(it.text, sizeof it.text, "%s", pr->cls);
                it.cls = pr->cls;
                it.licence = s->licence;
                it.load = load_fluid;
                it.payload = &j;
                it.index = ((long)pr->program * 128 + key) * 128 + j.note.velocity;
                make_key(&it, s->root, c->cfg);
                handle(c, &it);
            }
    }
    ds_fluid_close(fl);
}

/* --- augmentation: long impacts from each split's own sounds --- */

static int is_in(const char *cls, const char *set)
{
    char pat[24];
    snprintf(pat, sizeof pat, "|%s|", cls);
    return strstr(set, pat) != NULL;
}

static void add_licence(char *dst, size_t n, const char *lic)
{
    if (strstr(dst, lic)) return;
    size_t l = strlen(dst);
    if (l + strlen(lic) + 4 >= n) {
        snprintf(dst, n, "mixed: see parents");
        return;
    }
    snprintf(dst + l, n - l, "%s%s", l ? " & " : "", lic);
}

static void run_augment(ctx_t *c)
{
    static const char *const base_set = "|kick|tom|boom|hand|explosion|", *const any_set =
        "|kick|tom|boom|hand|explosion|snare|metal|stone|cymbal|perc|wood|clap|crash|hit|magic|";
    int n_real = c->m->n;
    for (int sp = 0; sp < NR_SPLIT_COUNT; sp++) {
        int *base = malloc((size_t)(n_real + 1) * sizeof *base), *any = malloc((size_t)(n_real + 1) * sizeof *any);
        int nb = 0, na = 0;
        for (int i = 0; base && any && i < n_real; i++) {
            const nr_ds_entry *e = &c->m->e[i];
            if (e->split != (nr_split)sp) continue;
            if (is_in(e->cls, base_set)) base[nb++] = i;
            if (is_in(e->cls, any_set)) any[na++] = i;
        }
        int want = sp == NR_SPLIT_TRAIN ? c->cfg->n_booms * 8 / 10 : c->cfg->n_booms / 10;
        for (int k = 0; k < want && nb > 0; k++) {
            ds_rng rng;
            ds_rng_seed(&rng, c->cfg->seed * 0x100000001b3ULL + (uint64_t)sp * 1000003u + (uint64_t)k);
            int nl = 1 + (int)(ds_rng_u64(&rng) % 3), par[3];
            par[0] = base[ds_rng_u64(&rng) % (uint64_t)nb];
            for (int l = 1; l < nl; l++) par[l] = any[ds_rng_u64(&rng) % (uint64_t)na];
            nr_audio lay[3];
            const nr_audio *lp[3];
            memset(lay, 0, sizeof lay);
            nr_result r = NR_OK;
            for (int l = 0; l < nl && r == NR_OK; l++) {
                r = nr_ds_load_audio(c->m, par[l], 0, &lay[l]);
                lp[l] = &lay[l];
            }
            nr_audio out = {NULL, 0, 0};
            char recipe[160] = "";
            if (r == NR_OK) r = ds_augment_boom(lp, nl, &rng, c->cfg->boom_max_s, &out, recipe, sizeof recipe);
            for (int l = 0; l < nl; l++) ds_audio_release(&lay[l]);
            ds_params p = c->cfg->params;
            p.max_s = c->cfg->boom_max_s;
            if (r == NR_OK) r = ds_process(&out, &p);
            if (r != NR_OK) {
                fprintf(stderr, "  augmentation %s #%d skipped: %s\n", nr_split_name((nr_split)sp), k, nr_last_error());
                ds_audio_release(&out);
                continue;
            }
            ds_quantize(out.samples, out.n);
            char hash[17];
            snprintf(hash, sizeof hash, "%016llx", (unsigned long long)ds_hash_audio(out.samples, out.n, out.rate));
            if (find_hash(c->m, hash) >= 0) {
                ds_audio_release(&out);
                continue;
            }
            nr_ds_entry e;
            memset(&e, 0, sizeof e);
            snprintf(e.cls, sizeof e.cls, "boom");
            snprintf(e.source, sizeof e.source, "augment");
            snprintf(e.package, sizeof e.package, "-");
            int w = snprintf(e.origin, sizeof e.origin, "boom seed=%llu %s#%d parents=",
                             (unsigned long long)c->cfg->seed, nr_split_name((nr_split)sp), k);
            for (int l = 0; l < nl; l++) {
                add_licence(e.licence, sizeof e.licence, c->m->e[par[l]].licence);
                if (w > 0 && (size_t)w < sizeof e.origin)
                    w += snprintf(e.origin + w, sizeof e.origin - (size_t)w, "%s%s", l ? "+" : "", c->m->e[par[l]].hash);
            }
            if (w > 0 && (size_t)w < sizeof e.origin) snprintf(e.origin + w, sizeof e.origin - (size_t)w, " %s", recipe);
            snprintf(e.group, sizeof e.group, "augment/%s", c->m->e[par[0]].group);
            e.split = (nr_split)sp; /* the parents' split, whatever the group's hash says */
            if (keep(c, &out, hash, &e) == NR_OK) c->st->augmented++;
            ds_audio_release(&out);
        }
        free(base);
        free(any);
    }
}

static int selected(const ds_build_config *cfg, const char *name)
{
    if (!cfg->only || !*cfg->only || !strcmp(cfg->only, "all")) return 1;
    size_t l = strlen(name);
    for (const char *p = cfg->only; *p;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (len == l && !strncmp(p, name, l)) return 1;
        p += len + (comma ? 1 : 0);
    }
    return 0;
}

/* Remove <hash>.<ext> files of `sub` whose hash is not in the manifest (left by older builds). */
static int prune(const ctx_t *c, const char *sub, const char *ext)
{
    char dir[1100], path[1200];
    snprintf(dir, sizeof dir, "%s/%s", c->dir, sub);
    DIR *d = opendir(dir);
    if (!d) return 0;
    int removed = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        const char *nm = de->d_name;
        if (strlen(nm) != 16 + strlen(ext) || strspn(nm, "0123456789abcdef") != 16 || strcmp(nm + 16, ext)) continue;
        char hash[17];
        memcpy(hash, nm, 16);
        hash[16] = '\0';
        if (find_hash(c->m, hash) >= 0) continue;
        snprintf(path, sizeof path, "%s/%s", dir, nm);
        removed += remove(path) == 0;
    }
    closedir(d);
    return removed;
}

static nr_result make_dir(const char *p)
{
    if (mkdir(p, 0777) == 0 || errno == EEXIST) return NR_OK;
    return nr_fail(NR_ERR_IO, "%s: cannot create the folder (%s)", p, strerror(errno));
}

nr_result ds_build(const ds_build_config *cfg, nr_manifest *m, ds_build_stats *st)
{
    memset(st, 0, sizeof *st);
    memset(m, 0, sizeof *m);
    int n_src = cfg->n_src;
    const ds_source *src = cfg->src ? cfg->src : ds_family_sources(cfg->family, &n_src);
    for (const char *p = cfg->only; p && *p && strcmp(cfg->only, "all");) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        int ok = 0;
        for (int i = 0; i < n_src; i++) ok |= strlen(src[i].name) == len && !strncmp(src[i].name, p, len);
        ok |= len == 7 && !strncmp(p, "augment", 7);
        if (!ok) return nr_fail(NR_ERR_ARG, "unknown source '%.*s' in --sources", (int)len, p);
        p += len + (comma ? 1 : 0);
    }
    for (int i = 0; i < cfg->n_from; i++) {
        struct stat fst;
        if (stat(cfg->from[i], &fst) != 0 || !S_ISDIR(fst.st_mode))
            return nr_fail(NR_ERR_ARG, "--from %s: %s", cfg->from[i],
                           stat(cfg->from[i], &fst) != 0 ? strerror(errno) : "not a folder");
    }
    /* With own folders the built-in sources (and the augmentation) come only when named. */
    int builtin = cfg->n_from == 0 || (cfg->only && *cfg->only);
    ctx_t c;
    memset(&c, 0, sizeof c);
    c.cfg = cfg;
    c.st = st;
    c.m = m;
    c.analyze = cfg->analyze;
    snprintf(c.dir, sizeof c.dir, "%s", cfg->out_dir);
    snprintf(m->dir, sizeof m->dir, "%s", cfg->out_dir);
    char sub[1100];
    nr_result r = make_dir(c.dir);
    snprintf(sub, sizeof sub, "%s/audio", c.dir);
    if (r == NR_OK) r = make_dir(sub);
    snprintf(sub, sizeof sub, "%s/curves", c.dir);
    if (r == NR_OK) r = make_dir(sub);
    if (r != NR_OK) return r;
    cache_load(&c);
    snprintf(sub, sizeof sub, "%s/cache.tsv", c.dir);
    c.cache_out = fopen(sub, "a");
    if (!c.cache_out) fprintf(stderr, "neurorack dataset: %s: cannot append (%s); nothing will be cached\n", sub, strerror(errno));
    for (int i = 0; i < cfg->n_from; i++) {
        ds_source own = {"own", "-", DS_KIND_OWN, cfg->from[i], "unspecified", NULL, NULL, NULL, NULL, 0, NULL};
        fprintf(stderr, "neurorack dataset: own sounds: %s\n", cfg->from[i]);
        int before = m->n;
        run_own(&c, &own);
        fprintf(stderr, "  %d kept\n", m->n - before);
        cache_sync(&c);
    }
    for (int i = 0; i < n_src && builtin; i++) {
        if (!selected(cfg, src[i].name)) continue;
        fprintf(stderr, "neurorack dataset: %s (%s): %s\n", src[i].name, src[i].package, src[i].root);
        int before = m->n;
        if (src[i].kind == DS_KIND_SF2) run_sf2(&c, &src[i]);
        else if (src[i].kind == DS_KIND_ZIP) run_zip(&c, &src[i]);
        else if (src[i].kind == DS_KIND_FLUID) run_fluid(&c, &src[i]);
        else run_files(&c, &src[i]);
        fprintf(stderr, "  %d kept\n", m->n - before);
        cache_sync(&c);
    }
    if (cfg->family == DS_FAMILY_IMPACTS && cfg->n_booms > 0 && selected(cfg, "augment")) run_augment(&c);
    if (cfg->prune) {
        int a = prune(&c, "audio", ".flac"), k = prune(&c, "curves", ".nrc");
        fprintf(stderr, "neurorack dataset: pruned %d audio and %d curve files no longer in the manifest\n", a, k);
    }
    cache_sync(&c);
    if (c.cache_out) fclose(c.cache_out);
    ds_cache_free(&c.cache);
    free(c.fp);
    snprintf(sub, sizeof sub, "%s/%s", c.dir, NR_MANIFEST_FILE);
    return nr_manifest_write(sub, m);
}

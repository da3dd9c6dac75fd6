/* Folder scanning (sorted, so runs are reproducible) and Hydrogen drumkit.xml instrument names. */
#include "ds_internal.h"

#include <dirent.h>
#include <sndfile.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

void ds_filelist_free(ds_filelist *l)
{
    for (int i = 0; i < l->n; i++) free(l->paths[i]);
    free(l->paths);
    memset(l, 0, sizeof *l);
}

int ds_has_ext(const char *name, const char *exts)
{
    const char *dot = strrchr(name, '.');
    if (!dot) return 0;
    size_t el = strlen(dot);
    for (const char *p = exts; *p;) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == el && !strncasecmp(p, dot, len)) return 1;
        p += len + (bar ? 1 : 0);
    }
    return 0;
}

static nr_result push(ds_filelist *l, const char *path)
{
    if (l->n == l->cap) {
        int cap = l->cap ? 2 * l->cap : 256;
        char **p = realloc(l->paths, (size_t)cap * sizeof *p);
        if (!p) return nr_fail(NR_ERR_NOMEM, "out of memory listing files");
        l->paths = p;
        l->cap = cap;
    }
    if (!(l->paths[l->n] = strdup(path))) return nr_fail(NR_ERR_NOMEM, "out of memory listing files");
    l->n++;
    return NR_OK;
}

static nr_result walk(const char *dir, const char *exts, ds_filelist *l, int depth)
{
    if (depth > 16) return NR_OK; /* a link loop; nothing real is that deep */
    DIR *d = opendir(dir);
    if (!d) return NR_OK;         /* unreadable folders are simply not scanned */
    struct dirent *de;
    nr_result r = NR_OK;
    while (r == NR_OK && (de = readdir(d))) {
        if (de->d_name[0] == '.') continue;
        char path[4096];
        if (snprintf(path, sizeof path, "%s/%s", dir, de->d_name) >= (int)sizeof path) continue;
        struct stat st;
        if (stat(path, &st) != 0) continue;
        if (S_ISDIR(st.st_mode)) r = walk(path, exts, l, depth + 1);
        else if (S_ISREG(st.st_mode) && (!exts || ds_has_ext(de->d_name, exts))) r = push(l, path);
    }
    closedir(d);
    return r;
}

/* libsndfile's own list of the formats it reads, so a newer libsndfile (MP3, Opus) needs no change
 * here. Headerless raw is left out: any file reads as raw. */
#define EXT_MAX 512
const char *ds_sound_extensions(void)
{
    static char exts[EXT_MAX];
    if (exts[0]) return exts;
    /* aliases libsndfile does not list: its ogg is ".oga", its aiff ".aiff", its au ".au" */
    size_t n = (size_t)snprintf(exts, sizeof exts, ".aif|.aifc|.ogg|.opus|.snd|.wave");
    int count = 0;
    sf_command(NULL, SFC_GET_FORMAT_MAJOR_COUNT, &count, sizeof count);
    for (int i = 0; i < count; i++) {
        SF_FORMAT_INFO fi;
        memset(&fi, 0, sizeof fi);
        fi.format = i;
        if (sf_command(NULL, SFC_GET_FORMAT_MAJOR, &fi, sizeof fi) != 0 || !fi.extension || !fi.extension[0]) continue;
        if ((fi.format & SF_FORMAT_TYPEMASK) == SF_FORMAT_RAW) continue;
        char dot[32];
        snprintf(dot, sizeof dot, ".%s", fi.extension);
        if (!strcmp(fi.extension, "m1a")) snprintf(dot, sizeof dot, ".mp3|.mp2|.m1a"); /* MPEG: its list says m1a */
        if (ds_has_ext(dot, exts)) continue;
        if (n + strlen(dot) + 2 < sizeof exts) n += (size_t)snprintf(exts + n, sizeof exts - n, "|%s", dot);
    }
    return exts;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

nr_result ds_scan(const char *root, const char *exts, ds_filelist *out)
{
    memset(out, 0, sizeof *out);
    nr_result r = walk(root, exts, out, 0);
    if (r != NR_OK) {
        ds_filelist_free(out);
        return r;
    }
    if (out->n) qsort(out->paths, (size_t)out->n, sizeof *out->paths, cmp_str);
    return NR_OK;
}

/* --- Hydrogen drumkit.xml: <instrument> ... <name>Kick</name> ... <filename>k1.wav</filename> --- */

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *buf = NULL;
    if (fseek(f, 0, SEEK_END) == 0) {
        long n = ftell(f);
        if (n >= 0 && n < (64L << 20) && fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1))) {
            if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
                free(buf);
                buf = NULL;
            } else {
                buf[n] = '\0';
            }
        }
    }
    fclose(f);
    return buf;
}

/* Copy the text between <tag> and </tag> that starts at p (just after "<tag>"). */
static void copy_until_lt(const char *p, char *dst, size_t n)
{
    size_t i = 0;
    while (p[i] && p[i] != '<' && i < n - 1) {
        dst[i] = p[i];
        i++;
    }
    dst[i] = '\0';
}

nr_result ds_h2kit_read(const char *kit_dir, ds_h2kit *k)
{
    memset(k, 0, sizeof *k);
    char path[4096];
    snprintf(path, sizeof path, "%s/drumkit.xml", kit_dir);
    char *xml = read_text(path);
    if (!xml) return nr_fail(NR_ERR_IO, "%s: cannot read", path);
    int cap = 0;
    char inst[64] = "";
    for (const char *p = xml; (p = strchr(p, '<'));) {
        p++;
        if (!strncmp(p, "instrument>", 11)) {
            inst[0] = '\0';
        } else if (!strncmp(p, "name>", 5) && !inst[0]) {
            copy_until_lt(p + 5, inst, sizeof inst); /* the instrument's own name comes first */
        } else if (!strncmp(p, "filename>", 9)) {
            if (k->n == cap) {
                cap = cap ? 2 * cap : 64;
                void *f = realloc(k->file, (size_t)cap * sizeof *k->file);
                if (f) k->file = f;
                void *i = realloc(k->inst, (size_t)cap * sizeof *k->inst);
                if (i) k->inst = i;
                if (!f || !i) {
                    free(xml);
                    ds_h2kit_free(k);
                    return nr_fail(NR_ERR_NOMEM, "%s: out of memory", path);
                }
            }
            copy_until_lt(p + 9, k->file[k->n], sizeof k->file[0]);
            snprintf(k->inst[k->n], sizeof k->inst[0], "%s", inst);
            k->n++;
        }
    }
    free(xml);
    return NR_OK;
}

const char *ds_h2kit_instrument(const ds_h2kit *k, const char *file_name)
{
    for (int i = 0; i < k->n; i++)
        if (!strcmp(k->file[i], file_name)) return k->inst[i][0] ? k->inst[i] : NULL;
    return NULL;
}

void ds_h2kit_free(ds_h2kit *k)
{
    free(k->file);
    free(k->inst);
    memset(k, 0, sizeof *k);
}

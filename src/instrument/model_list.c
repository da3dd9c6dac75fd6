#include "instrument/model_list.h"
#include "nr/latent.h"
#include "nr/model.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void nr_model_list_clear(nr_model_list *l) { memset(l, 0, sizeof *l); }

void nr_model_list_stem(const char *path, char *name, size_t n)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *dot = strrchr(base, '.');
    int len = dot && dot != base ? (int)(dot - base) : (int)strlen(base);
    snprintf(name, n, "%.*s", len, base);
}

static int is_model_file(const char *name)
{
    size_t len = strlen(name);
    if (name[0] == '.') return 0; /* hidden files, editors' leftovers */
    size_t nl = sizeof NR_LAT_BESIDE_SUFFIX - 1; /* a latent curve model beside a synthesis model: not one */
    if (len >= nl && !strcmp(name + len - nl, NR_LAT_BESIDE_SUFFIX)) return 0;
    return (len > 12 && !strcmp(name + len - 12, ".safetensors")) || (len > 3 && !strcmp(name + len - 3, ".th"));
}

/* Two paths of the same file (a link, "a/../b"). */
static int same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    if (stat(a, &sa) != 0 || stat(b, &sb) != 0) return !strcmp(a, b);
    return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

int nr_model_list_add(nr_model_list *l, const char *path, int known_ok)
{
    for (int i = 0; i < l->n; i++)
        if (same_file(l->e[i].path, path)) return i;
    if (l->n >= NR_MODEL_LIST_MAX) {
        l->left_out++;
        return -1;
    }
    nr_model_entry *e = &l->e[l->n];
    memset(e, 0, sizeof *e);
    nr_model_list_stem(path, e->name, sizeof e->name);
    snprintf(e->path, sizeof e->path, "%s", path);
    int taken = nr_model_list_find(l, e->name);
    if (taken >= 0) {
        char why[sizeof e->reason];
        snprintf(why, sizeof why, "the name is taken by %.200s", l->e[taken].path);
        memcpy(e->reason, why, sizeof why);
    } else if (known_ok) {
        e->ok = 1;
    } else {
        nr_model *m = NULL;
        if (nr_model_load(path, &m) == NR_OK) e->ok = 1;
        else snprintf(e->reason, sizeof e->reason, "%s", nr_last_error());
        nr_model_free(m);
    }
    return l->n++;
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int nr_model_list_scan_dir(nr_model_list *l, const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return 0;
    char *names[NR_MODEL_LIST_MAX * 4];
    int n = 0, listed = 0;
    struct dirent *de;
    while ((de = readdir(d)))
        if (is_model_file(de->d_name) && n < (int)(sizeof names / sizeof names[0])) {
            names[n] = strdup(de->d_name);
            if (names[n]) n++;
        }
    closedir(d);
    qsort(names, (size_t)n, sizeof names[0], by_name);
    for (int i = 0; i < n; i++) {
        char path[PATH_MAX];
        int k = snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if (k > 0 && k < (int)sizeof path && nr_model_list_add(l, path, 0) >= 0) listed++;
        free(names[i]);
    }
    return listed;
}

int nr_model_list_find(const nr_model_list *l, const char *name)
{
    for (int i = 0; i < l->n; i++)
        if (!strcmp(l->e[i].name, name)) return i;
    return -1;
}

int nr_model_list_find_path(const nr_model_list *l, const char *path)
{
    for (int i = 0; i < l->n; i++)
        if (!strcmp(l->e[i].path, path)) return i;
    return -1;
}

int nr_model_list_count_ok(const nr_model_list *l)
{
    int n = 0;
    for (int i = 0; i < l->n; i++) n += l->e[i].ok;
    return n;
}

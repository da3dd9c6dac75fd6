/* safetensors: u64 little-endian header size N, N bytes of JSON (padded with spaces so the data
 * starts 8-byte aligned), then the tensors' raw little-endian bytes, back to back.
 * {"__metadata__": {"k": "v"}, "name": {"dtype": "F32", "shape": [..], "data_offsets": [b, e]}} */
#include "nr/tensors.h"
#include "io/atomic_file.h"
#include "pickle.h" /* pk_utf8_valid */

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "safetensors and .th storages are little-endian; this reader copies bytes as they are"
#endif

/* The reference implementation refuses headers above 100 MB. */
#define ST_MAX_HEADER 100000000ull
#define ST_MAX_NUMEL ((int64_t)1 << 40)

/* A JSON string escape \u0000 would cut a name or dtype short once parsed into a C string (cJSON keeps
 * the bytes after it but every strcmp stops there): refuse it. Escapes are walked in order, so the text
 * \\u0000 (an escaped backslash, then "u0000") is not a NUL. */
static int has_nul_escape(const char *h, size_t n)
{
    for (size_t i = 0; i + 1 < n; i++) {
        if (h[i] != '\\') continue;
        if (h[i + 1] == 'u' && i + 5 < n && !memcmp(h + i + 2, "0000", 4)) return 1;
        i++; /* skip the escaped character */
    }
    return 0;
}

/* Names from the file go into one-line error messages: no control characters. */
static int printable(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f) return 0;
    return 1;
}

typedef struct {
    const cJSON *item;
    uint64_t begin, end;
} st_span;

static int span_cmp(const void *a, const void *b)
{
    const st_span *x = a, *y = b;
    return x->begin < y->begin ? -1 : x->begin > y->begin ? 1 : 0;
}

/* A JSON number that is a whole number in [0, 2^53]. */
static int json_uint(const cJSON *j, uint64_t *v)
{
    if (!cJSON_IsNumber(j)) return 0;
    double d = j->valuedouble;
    if (!(d >= 0 && d <= 9007199254740992.0) || d != floor(d)) return 0;
    *v = (uint64_t)d;
    return 1;
}

static nr_result parse_tensor(const char *what, const cJSON *t, uint64_t dsize, int *ndim, int64_t *shape,
                              st_span *span)
{
    const char *name = t->string;
    if (!cJSON_IsObject(t)) return nr_fail(NR_ERR_FORMAT, "%s: tensor '%s' is not a JSON object", what, name);
    const cJSON *dt = cJSON_GetObjectItemCaseSensitive(t, "dtype");
    const cJSON *sh = cJSON_GetObjectItemCaseSensitive(t, "shape");
    const cJSON *off = cJSON_GetObjectItemCaseSensitive(t, "data_offsets");
    if (!cJSON_IsString(dt) || !cJSON_IsArray(sh) || !cJSON_IsArray(off))
        return nr_fail(NR_ERR_FORMAT, "%s: tensor '%s' needs \"dtype\", \"shape\" and \"data_offsets\"", what, name);
    if (strcmp(dt->valuestring, "F32") != 0)
        return nr_fail(NR_ERR_UNSUPPORTED, "%s: tensor '%s' has dtype %.32s; only F32 is supported", what, name,
                       printable(dt->valuestring) ? dt->valuestring : "(unprintable)");
    int nd = cJSON_GetArraySize(sh);
    if (nd > NR_MAX_DIMS)
        return nr_fail(NR_ERR_SHAPE, "%s: tensor '%s' has %d dimensions (at most %d)", what, name, nd, NR_MAX_DIMS);
    int64_t numel = 1;
    int d = 0;
    for (const cJSON *e = sh->child; e; e = e->next, d++) {
        uint64_t v;
        if (!json_uint(e, &v)) return nr_fail(NR_ERR_FORMAT, "%s: tensor '%s' has a shape that is not whole numbers", what, name);
        if (v > (uint64_t)ST_MAX_NUMEL || (v && numel > ST_MAX_NUMEL / (int64_t)v))
            return nr_fail(NR_ERR_SHAPE, "%s: tensor '%s' has an impossible shape", what, name);
        shape[d] = (int64_t)v;
        numel *= (int64_t)v;
    }
    uint64_t b, e;
    if (cJSON_GetArraySize(off) != 2 || !json_uint(off->child, &b) || !json_uint(off->child->next, &e) || e < b)
        return nr_fail(NR_ERR_FORMAT, "%s: tensor '%s' needs data_offsets [begin, end] with begin <= end", what, name);
    if (e > dsize)
        return nr_fail(NR_ERR_FORMAT, "%s: tensor '%s' ends at byte %llu of a %llu-byte data section", what, name,
                       (unsigned long long)e, (unsigned long long)dsize);
    if (e - b != (uint64_t)numel * 4)
        return nr_fail(NR_ERR_SHAPE, "%s: tensor '%s' has %llu bytes of data; its shape needs %lld", what, name,
                       (unsigned long long)(e - b), (long long)numel * 4);
    *ndim = nd;
    span->item = t;
    span->begin = b;
    span->end = e;
    return NR_OK;
}

static nr_result read_meta(const char *what, const cJSON *m, nr_tensor_set *out)
{
    if (!cJSON_IsObject(m)) return nr_fail(NR_ERR_FORMAT, "%s: \"__metadata__\" is not a JSON object", what);
    for (const cJSON *e = m->child; e; e = e->next) {
        if (!printable(e->string)) return nr_fail(NR_ERR_FORMAT, "%s: a metadata key holds control characters", what);
        if (!cJSON_IsString(e))
            return nr_fail(NR_ERR_FORMAT, "%s: metadata '%s' is not a string", what, e->string);
        if (nr_tensor_set_meta(out, e->string))
            return nr_fail(NR_ERR_FORMAT, "%s: metadata '%s' appears twice", what, e->string);
        nr_result r = nr_tensor_set_set_meta(out, e->string, e->valuestring);
        if (r != NR_OK) return nr_fail_prefix(r, what);
    }
    return NR_OK;
}

static nr_result read_header(const char *what, const cJSON *root, const unsigned char *data, uint64_t dsize,
                             nr_tensor_set *out)
{
    int n = 0;
    for (const cJSON *t = root->child; t; t = t->next)
        if (strcmp(t->string, "__metadata__") != 0) n++;
    st_span *spans = calloc((size_t)n + 1, sizeof *spans);
    int (*ndims) = calloc((size_t)n + 1, sizeof *ndims);
    int64_t(*shapes)[NR_MAX_DIMS] = calloc((size_t)n + 1, sizeof *shapes);
    if (!spans || !ndims || !shapes) {
        free(spans);
        free(ndims);
        free(shapes);
        return nr_fail(NR_ERR_NOMEM, "%s: out of memory", what);
    }
    nr_result r = NR_OK;
    int i = 0, n_meta = 0;
    for (const cJSON *t = root->child; t && r == NR_OK; t = t->next) {
        if (!strcmp(t->string, "__metadata__") && ++n_meta > 1) {
            r = nr_fail(NR_ERR_FORMAT, "%s: \"__metadata__\" appears twice in the safetensors header", what);
            break;
        }
        if (!printable(t->string)) {
            r = nr_fail(NR_ERR_FORMAT, "%s: a tensor name holds control characters", what);
        } else if (!strcmp(t->string, "__metadata__")) {
            r = read_meta(what, t, out);
        } else if (!t->string[0]) {
            r = nr_fail(NR_ERR_FORMAT, "%s: a tensor has an empty name", what);
        } else {
            r = parse_tensor(what, t, dsize, &ndims[i], shapes[i], &spans[i]);
            i++;
        }
    }
    if (r == NR_OK) {
        /* The data section is exactly the tensors, back to back: no overlap, no hole, nothing after. */
        st_span *sorted = malloc(((size_t)n + 1) * sizeof *sorted);
        if (!sorted) r = nr_fail(NR_ERR_NOMEM, "%s: out of memory", what);
        if (sorted) {
            memcpy(sorted, spans, (size_t)n * sizeof *sorted);
            qsort(sorted, (size_t)n, sizeof *sorted, span_cmp);
            uint64_t at = 0;
            for (int k = 0; k < n && r == NR_OK; k++) {
                if (sorted[k].begin != at)
                    r = nr_fail(NR_ERR_FORMAT, "%s: tensor '%s' starts at byte %llu; expected %llu (%s)", what,
                                sorted[k].item->string, (unsigned long long)sorted[k].begin, (unsigned long long)at,
                                sorted[k].begin < at ? "it overlaps another tensor" : "a gap before it");
                at = sorted[k].end;
            }
            if (r == NR_OK && at != dsize)
                r = nr_fail(NR_ERR_FORMAT, "%s: the data section has %llu bytes; the tensors cover %llu", what,
                            (unsigned long long)dsize, (unsigned long long)at);
            free(sorted);
        }
    }
    for (int k = 0; k < n && r == NR_OK; k++) {
        r = nr_tensor_set_add(out, spans[k].item->string, ndims[k], shapes[k], NULL);
        if (r != NR_OK) {
            r = nr_fail_prefix(r, what);
            break;
        }
        nr_tensor *t = &out->tensors[out->n_tensors - 1];
        if (t->numel) memcpy(t->data, data + spans[k].begin, (size_t)t->numel * sizeof(float));
    }
    free(spans);
    free(ndims);
    free(shapes);
    return r;
}

nr_result nr_safetensors_read_mem(const void *buf, size_t n, const char *what, nr_tensor_set *out)
{
    memset(out, 0, sizeof *out);
    const unsigned char *b = buf;
    if (n < 8) return nr_fail(NR_ERR_FORMAT, "%s: %zu bytes: too short for a safetensors file", what, n);
    uint64_t hsz = 0;
    for (int i = 7; i >= 0; i--) hsz = (hsz << 8) | b[i];
    if (hsz > ST_MAX_HEADER)
        return nr_fail(NR_ERR_FORMAT, "%s: safetensors header of %llu bytes (at most %llu); not a safetensors file?",
                       what, (unsigned long long)hsz, ST_MAX_HEADER);
    if (hsz > n - 8)
        return nr_fail(NR_ERR_FORMAT, "%s: safetensors header of %llu bytes runs past the end of the %zu-byte file",
                       what, (unsigned long long)hsz, n);
    const char *h = (const char *)b + 8;
    if (hsz < 2 || h[0] != '{')
        return nr_fail(NR_ERR_FORMAT, "%s: safetensors header is not a JSON object", what);
    if (!pk_utf8_valid(h, (size_t)hsz)) return nr_fail(NR_ERR_FORMAT, "%s: safetensors header is not UTF-8", what);
    if (has_nul_escape(h, (size_t)hsz))
        return nr_fail(NR_ERR_FORMAT, "%s: safetensors header has a NUL character (\\u0000) inside a string", what);
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(h, (size_t)hsz, &end, 0);
    if (!root || !cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return nr_fail(NR_ERR_FORMAT, "%s: safetensors header is not valid JSON", what);
    }
    for (const char *p = end; p < h + hsz; p++) {
        if (*p != ' ' && *p != '\n' && *p != '\t' && *p != '\r' && *p != '\0') {
            cJSON_Delete(root);
            return nr_fail(NR_ERR_FORMAT, "%s: safetensors header has bytes after its JSON object", what);
        }
    }
    nr_result r = read_header(what, root, b + 8 + hsz, n - 8 - hsz, out);
    cJSON_Delete(root);
    if (r != NR_OK) nr_tensor_set_free(out);
    return r;
}

nr_result nr_safetensors_read(const char *path, nr_tensor_set *out)
{
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "rb");
    if (!f) return nr_fail(NR_ERR_IO, "%s: cannot open file: %s", path, strerror(errno));
    long size = -1;
    if (fseek(f, 0, SEEK_END) == 0) size = ftell(f);
    if (size < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return nr_fail(NR_ERR_IO, "%s: cannot read file", path);
    }
    unsigned char *buf = malloc(size ? (size_t)size : 1);
    if (!buf) {
        fclose(f);
        return nr_fail(NR_ERR_NOMEM, "%s: out of memory for %ld bytes", path, size);
    }
    size_t got = fread(buf, 1, (size_t)size, f);
    int err = ferror(f);
    fclose(f);
    nr_result r = got != (size_t)size || err ? nr_fail(NR_ERR_IO, "%s: read error", path)
                                             : nr_safetensors_read_mem(buf, (size_t)size, path, out);
    free(buf);
    return r;
}

static cJSON *make_header(const nr_tensor_set *s)
{
    cJSON *root = cJSON_CreateObject();
    if (!root) return NULL;
    if (s->n_meta) {
        cJSON *m = cJSON_AddObjectToObject(root, "__metadata__");
        if (!m) goto fail;
        for (int i = 0; i < s->n_meta; i++)
            if (!cJSON_AddStringToObject(m, s->meta[i].key, s->meta[i].value)) goto fail;
    }
    uint64_t at = 0;
    for (int i = 0; i < s->n_tensors; i++) {
        const nr_tensor *t = &s->tensors[i];
        cJSON *o = cJSON_AddObjectToObject(root, t->name);
        if (!o || !cJSON_AddStringToObject(o, "dtype", "F32")) goto fail;
        cJSON *sh = cJSON_AddArrayToObject(o, "shape");
        if (!sh) goto fail;
        for (int d = 0; d < t->ndim; d++) {
            cJSON *v = cJSON_CreateNumber((double)t->shape[d]);
            if (!v) goto fail;
            cJSON_AddItemToArray(sh, v);
        }
        double off[2] = {(double)at, (double)(at + (uint64_t)t->numel * 4)};
        cJSON *ofs = cJSON_CreateDoubleArray(off, 2);
        if (!ofs) goto fail;
        cJSON_AddItemToObject(o, "data_offsets", ofs);
        at += (uint64_t)t->numel * 4;
    }
    return root;
fail:
    cJSON_Delete(root);
    return NULL;
}

nr_result nr_safetensors_write(const char *path, const nr_tensor_set *s)
{
    for (int i = 0; i < s->n_tensors; i++)
        if (!s->tensors[i].name[0] || !strcmp(s->tensors[i].name, "__metadata__") ||
            !pk_utf8_valid(s->tensors[i].name, strlen(s->tensors[i].name)))
            return nr_fail(NR_ERR_ARG, "%s: tensor name '%s' cannot be stored in safetensors", path, s->tensors[i].name);
    for (int i = 0; i < s->n_meta; i++)
        if (!pk_utf8_valid(s->meta[i].key, strlen(s->meta[i].key)) ||
            !pk_utf8_valid(s->meta[i].value, strlen(s->meta[i].value)))
            return nr_fail(NR_ERR_ARG, "%s: metadata '%s' is not UTF-8 text", path, s->meta[i].key);
    cJSON *root = make_header(s);
    char *json = root ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root);
    if (!json) return nr_fail(NR_ERR_NOMEM, "%s: out of memory for the safetensors header", path);
    size_t hlen = strlen(json), pad = (8 - (8 + hlen) % 8) % 8;
    uint64_t hsz = hlen + pad;
    unsigned char head[8];
    for (int i = 0; i < 8; i++) head[i] = (unsigned char)(hsz >> (8 * i));

    char *tmp;
    int fd = nr_atomic_open(path, &tmp); /* its message names path */
    if (fd < 0) {
        free(json);
        return NR_ERR_IO;
    }
    int err = nr_write_all(fd, head, 8);
    if (!err) err = nr_write_all(fd, json, hlen);
    if (!err) err = nr_write_all(fd, "        ", pad);
    for (int i = 0; !err && i < s->n_tensors; i++)
        err = nr_write_all(fd, s->tensors[i].data, (size_t)s->tensors[i].numel * sizeof(float));
    free(json);
    if (err) {
        nr_atomic_abort(fd, tmp);
        return nr_fail(NR_ERR_IO, "%s: cannot write: %s; the previous file is unchanged", path, nr_write_error_text(err));
    }
    return nr_atomic_commit(path, fd, tmp); /* fsync, rename, fsync the folder */
}

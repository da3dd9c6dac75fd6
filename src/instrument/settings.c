/* Settings: defaults, clamp, and the settings file (a header line with version and CRC-32, then JSON). */
#include "instrument/settings.h"
#include "io/atomic_file.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define FILE_MAGIC "neurorack-settings"
#define MAX_FILE_BYTES (1 << 20)

void nr_settings_defaults(nr_settings *s)
{
    memset(s, 0, sizeof *s);
    nr_patch_defaults(&s->patch);
    for (int i = 0; i < NR_NUM_CV; i++) nr_cv_cal_defaults(&s->cal[i]);
}

static int clampi(int v, int lo, int hi) { return v < lo ? lo : v > hi ? hi : v; }

static void clamp_name(char *s, size_t n)
{
    s[n - 1] = '\0';
    for (char *c = s; *c; c++)
        if ((unsigned char)*c < 32 || (unsigned char)*c > 126) *c = '_';
}

void nr_settings_clamp(nr_settings *s)
{
    nr_patch_clamp(&s->patch);
    for (int i = 0; i < NR_NUM_CV; i++) nr_cv_cal_clamp(&s->cal[i]);
    s->preset_slot = clampi(s->preset_slot, 0, NR_PRESET_SLOTS - 1);
    for (int k = 0; k < NR_PRESET_SLOTS; k++) {
        nr_preset *pr = &s->presets[k];
        pr->used = pr->used != 0;
        char def[16];
        snprintf(def, sizeof def, "preset %d", k + 1);
        clamp_name(pr->name, sizeof pr->name);
        if (!pr->name[0]) snprintf(pr->name, sizeof pr->name, "%s", def);
        nr_patch_clamp(&pr->patch);
    }
}

uint32_t nr_crc32(const void *data, size_t n) { return (uint32_t)crc32_z(0, data, n); }

/* ---- JSON ---- */

static cJSON *patch_to_json(const nr_patch *p)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "template_a", p->template_a);
    cJSON_AddStringToObject(o, "template_b", p->template_b);
    cJSON_AddNumberToObject(o, "interp", p->interp);
    cJSON_AddNumberToObject(o, "stretch", p->stretch);
    cJSON_AddNumberToObject(o, "variation", p->variation);
    cJSON *off = cJSON_AddObjectToObject(o, "offset");
    for (int d = 0; d < NR_NUM_DESC; d++) cJSON_AddNumberToObject(off, nr_desc_names[d], p->offset[d]);
    cJSON *cvs = cJSON_AddArrayToObject(o, "cv");
    for (int i = 0; i < NR_NUM_CV; i++) {
        cJSON *c = cJSON_CreateObject();
        cJSON_AddStringToObject(c, "target", nr_cv_target_name(p->cv[i].target));
        cJSON_AddNumberToObject(c, "range", p->cv[i].range);
        cJSON_AddStringToObject(c, "polarity", p->cv[i].bipolar ? "bipolar" : "unipolar");
        cJSON_AddItemToArray(cvs, c);
    }
    cJSON *gates = cJSON_AddArrayToObject(o, "gate_mode");
    for (int g = 0; g < NR_NUM_GATES; g++) cJSON_AddItemToArray(gates, cJSON_CreateString(nr_gate_mode_name(p->gate_mode[g])));
    cJSON_AddNumberToObject(o, "voices", p->voices);
    cJSON_AddStringToObject(o, "steal", nr_steal_name(p->steal));
    cJSON_AddNumberToObject(o, "volume_db", p->volume_db);
    cJSON_AddStringToObject(o, "source", nr_source_name(p->source));
    cJSON_AddStringToObject(o, "model", p->model);
    return o;
}

/* Readers take what is there and of the right type; missing keys keep the defaults. */
static void get_num(const cJSON *o, const char *k, float *v)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, k);
    if (cJSON_IsNumber(x)) *v = (float)x->valuedouble;
}
static void get_int(const cJSON *o, const char *k, int *v)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, k);
    if (cJSON_IsNumber(x) && x->valuedouble > -1e6 && x->valuedouble < 1e6) *v = (int)x->valuedouble;
}
static void get_str(const cJSON *o, const char *k, char *dst, size_t n)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, k);
    if (cJSON_IsString(x)) snprintf(dst, n, "%s", x->valuestring);
}
static void get_enum(const cJSON *o, const char *k, int (*from_name)(const char *), int *v)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, k);
    int i = cJSON_IsString(x) ? from_name(x->valuestring) : -1;
    if (i >= 0) *v = i;
}
static int polarity_from_name(const char *s) { return !strcmp(s, "bipolar") ? 1 : !strcmp(s, "unipolar") ? 0 : -1; }

static void patch_from_json(const cJSON *o, nr_patch *p)
{
    if (!cJSON_IsObject(o)) return;
    get_str(o, "template_a", p->template_a, sizeof p->template_a);
    get_str(o, "template_b", p->template_b, sizeof p->template_b);
    get_num(o, "interp", &p->interp);
    get_num(o, "stretch", &p->stretch);
    get_num(o, "variation", &p->variation);
    const cJSON *off = cJSON_GetObjectItemCaseSensitive(o, "offset");
    for (int d = 0; d < NR_NUM_DESC && cJSON_IsObject(off); d++) get_num(off, nr_desc_names[d], &p->offset[d]);
    const cJSON *cvs = cJSON_GetObjectItemCaseSensitive(o, "cv");
    for (int i = 0; i < NR_NUM_CV && cJSON_IsArray(cvs); i++) {
        const cJSON *c = cJSON_GetArrayItem(cvs, i);
        if (!cJSON_IsObject(c)) continue;
        get_enum(c, "target", nr_cv_target_from_name, &p->cv[i].target);
        get_num(c, "range", &p->cv[i].range);
        get_enum(c, "polarity", polarity_from_name, &p->cv[i].bipolar);
    }
    const cJSON *gates = cJSON_GetObjectItemCaseSensitive(o, "gate_mode");
    for (int g = 0; g < NR_NUM_GATES && cJSON_IsArray(gates); g++) {
        const cJSON *x = cJSON_GetArrayItem(gates, g);
        int i = cJSON_IsString(x) ? nr_gate_mode_from_name(x->valuestring) : -1;
        if (i >= 0) p->gate_mode[g] = i;
    }
    get_int(o, "voices", &p->voices);
    get_enum(o, "steal", nr_steal_from_name, &p->steal);
    get_num(o, "volume_db", &p->volume_db);
    get_enum(o, "source", nr_source_from_name, &p->source); /* absent in older files: template */
    get_str(o, "model", p->model, sizeof p->model);         /* absent in older files: the default model */
}

nr_result nr_settings_serialize(const nr_settings *s, char **text, size_t *len)
{
    *text = NULL;
    cJSON *root = cJSON_CreateObject();
    if (!root) return nr_fail(NR_ERR_NOMEM, "settings: out of memory");
    cJSON_AddItemToObject(root, "patch", patch_to_json(&s->patch));
    cJSON *cal = cJSON_AddArrayToObject(root, "calibration");
    for (int i = 0; i < NR_NUM_CV; i++) {
        cJSON *c = cJSON_CreateObject();
        cJSON_AddNumberToObject(c, "offset", s->cal[i].offset);
        cJSON_AddNumberToObject(c, "scale", s->cal[i].scale);
        cJSON_AddItemToArray(cal, c);
    }
    cJSON_AddNumberToObject(root, "preset_slot", s->preset_slot);
    cJSON *pre = cJSON_AddArrayToObject(root, "presets");
    for (int k = 0; k < NR_PRESET_SLOTS; k++) {
        if (!s->presets[k].used) continue;
        cJSON *c = cJSON_CreateObject();
        cJSON_AddNumberToObject(c, "slot", k + 1);
        cJSON_AddStringToObject(c, "name", s->presets[k].name);
        cJSON_AddItemToObject(c, "patch", patch_to_json(&s->presets[k].patch));
        cJSON_AddItemToArray(pre, c);
    }
    char *body = cJSON_Print(root);
    cJSON_Delete(root);
    if (!body) return nr_fail(NR_ERR_NOMEM, "settings: out of memory");
    size_t blen = strlen(body);
    char header[64];
    int hlen = snprintf(header, sizeof header, FILE_MAGIC " %d crc32=%08x\n", NR_SETTINGS_VERSION,
                        (unsigned)nr_crc32(body, blen));
    char *out = malloc((size_t)hlen + blen + 2);
    if (!out) {
        cJSON_free(body);
        return nr_fail(NR_ERR_NOMEM, "settings: out of memory");
    }
    memcpy(out, header, (size_t)hlen);
    memcpy(out + hlen, body, blen);
    cJSON_free(body);
    *len = (size_t)hlen + blen;
    out[*len] = '\0';
    *text = out;
    return NR_OK;
}

nr_result nr_settings_parse(const char *buf, size_t n, const char *what, nr_settings *s)
{
    nr_settings_defaults(s);
    const char *nl = memchr(buf, '\n', n < 128 ? n : 128);
    if (!nl || n < sizeof FILE_MAGIC || memcmp(buf, FILE_MAGIC " ", sizeof FILE_MAGIC) != 0)
        return nr_fail(NR_ERR_FORMAT, "%s: not a Neurorack settings file (first line should be '" FILE_MAGIC
                                      " <version> crc32=<hex>')", what);
    char header[128];
    memcpy(header, buf, (size_t)(nl - buf));
    header[nl - buf] = '\0';
    int version = 0;
    unsigned crc = 0;
    char tail = 0;
    int got = sscanf(header + sizeof FILE_MAGIC, "%d crc32=%8x%c", &version, &crc, &tail);
    if (got < 1 || version < 1)
        return nr_fail(NR_ERR_FORMAT, "%s: damaged header line '%.40s'", what, header);
    if (version > NR_SETTINGS_VERSION)
        return nr_fail(NR_ERR_VERSION, "%s: settings version %d is newer than this build reads (%d): update neurorack",
                       what, version, NR_SETTINGS_VERSION);
    if (got != 2)
        return nr_fail(NR_ERR_FORMAT, "%s: damaged header line '%.40s'", what, header);
    const char *body = nl + 1;
    size_t blen = n - (size_t)(body - buf);
    if (nr_crc32(body, blen) != crc)
        return nr_fail(NR_ERR_FORMAT, "%s: checksum mismatch (file damaged or edited by hand)", what);
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(body, blen, &end, 0);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return nr_fail(NR_ERR_FORMAT, "%s: the settings are not a JSON object", what);
    }
    for (const char *p = end; p && p < body + blen; p++)
        if (*p != ' ' && *p != '\n' && *p != '\r' && *p != '\t') {
            cJSON_Delete(root);
            return nr_fail(NR_ERR_FORMAT, "%s: text after the settings' JSON object (byte %ld of the body)", what,
                           (long)(p - body));
        }
    patch_from_json(cJSON_GetObjectItemCaseSensitive(root, "patch"), &s->patch);
    const cJSON *cal = cJSON_GetObjectItemCaseSensitive(root, "calibration");
    for (int i = 0; i < NR_NUM_CV && cJSON_IsArray(cal); i++) {
        const cJSON *c = cJSON_GetArrayItem(cal, i);
        if (!cJSON_IsObject(c)) continue;
        get_num(c, "offset", &s->cal[i].offset);
        get_num(c, "scale", &s->cal[i].scale);
    }
    get_int(root, "preset_slot", &s->preset_slot);
    const cJSON *pre = cJSON_GetObjectItemCaseSensitive(root, "presets");
    if (!cJSON_IsArray(pre)) pre = NULL;
    const cJSON *c;
    cJSON_ArrayForEach(c, pre)
    {
        int slot = 0;
        get_int(c, "slot", &slot);
        if (slot < 1 || slot > NR_PRESET_SLOTS) continue;
        nr_preset *p = &s->presets[slot - 1];
        p->used = 1;
        nr_patch_defaults(&p->patch);
        get_str(c, "name", p->name, sizeof p->name);
        patch_from_json(cJSON_GetObjectItemCaseSensitive(c, "patch"), &p->patch);
    }
    cJSON_Delete(root);
    nr_settings_clamp(s);
    return NR_OK;
}

/* Keep a bad file for inspection under a name that is never reused. */
static void set_aside(const char *path, char *kept, size_t n)
{
    snprintf(kept, n, "%s.bad-%ld", path, (long)time(NULL));
    for (int k = 1; k < 100 && access(kept, F_OK) == 0; k++) snprintf(kept, n, "%s.bad-%ld-%d", path, (long)time(NULL), k);
    if (rename(path, kept) != 0) snprintf(kept, n, "(could not rename: %s)", strerror(errno));
}

nr_result nr_settings_load(const char *path, nr_settings *s)
{
    nr_settings_defaults(s);
    /* O_NONBLOCK: a FIFO given as the settings file must not hang the start */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) return NR_OK;
        return nr_fail(NR_ERR_IO, "%s: cannot read settings (%s); using defaults", path, strerror(errno));
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        /* /dev/null, a FIFO, a folder: defaults, and the path is never set aside, truncated or written */
        close(fd);
        return nr_fail(NR_ERR_IO, "%s: not a regular file; using defaults, and settings will not be saved there",
                       path);
    }
    FILE *f = fdopen(fd, "rb");
    if (!f) {
        close(fd);
        return nr_fail(NR_ERR_IO, "%s: cannot read settings (%s); using defaults", path, strerror(errno));
    }
    char *buf = malloc(MAX_FILE_BYTES + 1);
    if (!buf) {
        fclose(f);
        return nr_fail(NR_ERR_NOMEM, "%s: out of memory", path);
    }
    size_t n = fread(buf, 1, MAX_FILE_BYTES + 1, f);
    int err = ferror(f);
    fclose(f);
    nr_result r;
    if (err) r = nr_fail(NR_ERR_IO, "%s: read error", path);
    else if (n > MAX_FILE_BYTES) r = nr_fail(NR_ERR_FORMAT, "%s: larger than %d bytes: not a settings file", path, MAX_FILE_BYTES);
    else r = nr_settings_parse(buf, n, path, s);
    free(buf);
    if (r == NR_OK || r == NR_ERR_IO || r == NR_ERR_NOMEM) return r;
    char msg[1024], kept[1100];
    snprintf(msg, sizeof msg, "%s", nr_last_error());
    nr_settings_defaults(s);
    set_aside(path, kept, sizeof kept);
    return nr_fail(r, "%s; using defaults, the file was kept as %s", msg, kept);
}

static nr_result make_dirs(const char *dir)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s", dir);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        mkdir(tmp, 0755);
        *p = '/';
    }
    if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
        return nr_fail(NR_ERR_IO, "%s: cannot create the settings folder (%s)", dir, strerror(errno));
    return NR_OK;
}

nr_result nr_settings_save(const char *path, const nr_settings *in)
{
    nr_settings s = *in;
    nr_settings_clamp(&s);
    char *text;
    size_t len;
    nr_result r = nr_settings_serialize(&s, &text, &len);
    if (r != NR_OK) return r;
    char copy[4096], dir[4096];
    snprintf(copy, sizeof copy, "%s", path);
    snprintf(dir, sizeof dir, "%s", dirname(copy));
    r = make_dirs(dir);
    if (r != NR_OK) {
        free(text);
        return r;
    }
    char *tmp;
    int fd = nr_atomic_open(path, &tmp); /* its message names path */
    if (fd < 0) {
        free(text);
        return NR_ERR_IO;
    }
    int err = nr_write_all(fd, text, len);
    free(text);
    if (err) {
        nr_atomic_abort(fd, tmp);
        return nr_fail(NR_ERR_IO, "%s: cannot write settings (%s); the previous file is unchanged", path,
                       nr_write_error_text(err));
    }
    return nr_atomic_commit(path, fd, tmp); /* fsync, rename, fsync the folder */
}

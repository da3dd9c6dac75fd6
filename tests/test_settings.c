/* The settings file: round trip, clamping, and every way a file can be bad. */
#include "instrument/settings.h"
#include "nr_test.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Name of the first "<base>.bad-*" file in the test folder, or "" if none. */
static void find_bad(const char *base, char *out, size_t n)
{
    out[0] = '\0';
    DIR *d = opendir(nt_tmpdir());
    struct dirent *de;
    size_t bl = strlen(base);
    while (d && (de = readdir(d)))
        if (!strncmp(de->d_name, base, bl) && !strncmp(de->d_name + bl, ".bad-", 5))
            snprintf(out, n, "%s/%s", nt_tmpdir(), de->d_name);
    if (d) closedir(d);
}

static void sample_settings(nr_settings *s)
{
    nr_settings_defaults(s);
    snprintf(s->patch.template_a, sizeof s->patch.template_a, "kick");
    s->patch.interp = 0.25f;
    s->patch.cv[2].target = NR_CVT_SCRUB;
    s->patch.cv[2].range = -0.5f;
    s->patch.cv[2].bipolar = 0;
    s->patch.gate_mode[0] = NR_GATE_CHOKE;
    s->patch.voices = 3;
    s->patch.steal = NR_STEAL_QUIETEST;
    s->patch.offset[NR_DESC_PITCH] = -1.25f;
    s->cal[1].offset = 0.03f;
    s->cal[1].scale = 1.02f;
    s->preset_slot = 4;
    s->presets[4].used = 1;
    snprintf(s->presets[4].name, sizeof s->presets[4].name, "dark boom");
    s->presets[4].patch = s->patch;
    s->presets[4].patch.volume_db = -12.0f;
}

static void test_crc32(void)
{
    NT_CHECKF(nr_crc32("123456789", 9) == 0xCBF43926u, "crc %08x", nr_crc32("123456789", 9));
}

static void test_round_trip(void)
{
    nr_settings a, b;
    sample_settings(&a);
    const char *path = nt_tmp("rt/settings.nrs"); /* the folder does not exist yet */
    NT_CHECKF(nr_settings_save(path, &a) == NR_OK, "%s", nr_last_error());
    NT_CHECK(nt_temp_files_left(nt_tmp("rt")) == 0);
    NT_CHECKF(nr_settings_load(path, &b) == NR_OK, "%s", nr_last_error());
    NT_CHECK(!strcmp(b.patch.template_a, "kick"));
    NT_CHECK(fabsf(b.patch.interp - 0.25f) < 1e-6f);
    NT_CHECK(b.patch.cv[2].target == NR_CVT_SCRUB && b.patch.cv[2].range == -0.5f && !b.patch.cv[2].bipolar);
    NT_CHECK(b.patch.gate_mode[0] == NR_GATE_CHOKE && b.patch.voices == 3 && b.patch.steal == NR_STEAL_QUIETEST);
    NT_CHECK(b.patch.offset[NR_DESC_PITCH] == -1.25f);
    NT_CHECK(fabsf(b.cal[1].offset - 0.03f) < 1e-6f && fabsf(b.cal[1].scale - 1.02f) < 1e-6f);
    NT_CHECK(b.preset_slot == 4 && b.presets[4].used && !strcmp(b.presets[4].name, "dark boom"));
    NT_CHECK(b.presets[4].patch.volume_db == -12.0f && !b.presets[3].used);
    /* Serialising what was read gives the same file. */
    char *t1 = NULL, *t2 = NULL;
    size_t n1 = 0, n2 = 0;
    NT_CHECK(nr_settings_serialize(&a, &t1, &n1) == NR_OK && nr_settings_serialize(&b, &t2, &n2) == NR_OK);
    NT_CHECK(n1 == n2 && !memcmp(t1, t2, n1));
    free(t1);
    free(t2);
}

static void test_missing_file(void)
{
    nr_settings s, d;
    NT_CHECK(nr_settings_load(nt_tmp("nothing-here.nrs"), &s) == NR_OK);
    nr_settings_defaults(&d);
    NT_CHECK(!memcmp(&s, &d, sizeof s));
}

/* A bad file: defaults, an error naming it, and the file moved aside with its bytes intact. */
static void check_rejected(const char *name, const char *bytes, size_t n, nr_result want)
{
    const char *path = nt_tmp(name);
    NT_CHECK(nt_write_file(path, bytes, n) == 0);
    nr_settings s, d;
    nr_result r = nr_settings_load(path, &s);
    NT_CHECKF(r == want, "%s: got %s (%s)", name, nr_result_str(r), nr_last_error());
    NT_CHECKF(strstr(nr_last_error(), name) && strstr(nr_last_error(), "defaults"), "message '%s'", nr_last_error());
    nr_settings_defaults(&d);
    NT_CHECK(!memcmp(&s, &d, sizeof s));
    NT_CHECK(access(path, F_OK) != 0); /* not left where it would be overwritten */
    char bad[1024];
    find_bad(name, bad, sizeof bad);
    NT_CHECKF(bad[0], "%s: no .bad- copy kept", name);
    size_t m = 0;
    char *kept = bad[0] ? nt_read_file(bad, &m) : NULL;
    NT_CHECK(kept && m == n && !memcmp(kept, bytes, n));
    free(kept);
    if (bad[0]) unlink(bad);
}

static void test_truncated(void)
{
    nr_settings a;
    sample_settings(&a);
    char *t;
    size_t n;
    NT_CHECK(nr_settings_serialize(&a, &t, &n) == NR_OK);
    check_rejected("trunc.nrs", t, n / 2, NR_ERR_FORMAT);
    check_rejected("trunc-header.nrs", t, 10, NR_ERR_FORMAT);
    check_rejected("empty.nrs", "", 0, NR_ERR_FORMAT);
    free(t);
}

/* Text after the JSON object (checksum recomputed, as a hand edit would): refused, not used silently. */
static void test_trailing_text(void)
{
    nr_settings a;
    sample_settings(&a);
    char *t;
    size_t n;
    NT_CHECK(nr_settings_serialize(&a, &t, &n) == NR_OK);
    const char *nl = memchr(t, '\n', n);
    const char *extra = "\n{\"patch\": {}}\n";
    size_t bl = n - (size_t)(nl + 1 - t) + strlen(extra);
    char *body = malloc(bl);
    memcpy(body, nl + 1, n - (size_t)(nl + 1 - t));
    memcpy(body + n - (size_t)(nl + 1 - t), extra, strlen(extra));
    char *file = malloc(bl + 128);
    int h = snprintf(file, 128, "%.*s", (int)(nl - t), t);
    char *crc = strstr(file, "crc32=");
    NT_CHECK(crc != NULL);
    if (crc) snprintf(crc + 6, 9, "%08x", (unsigned)nr_crc32(body, bl));
    file[h] = '\n';
    memcpy(file + h + 1, body, bl);
    nr_settings s;
    NT_CHECK(nr_settings_parse(file, (size_t)h + 1 + bl, "trail.nrs", &s) == NR_ERR_FORMAT);
    NT_CHECKF(strstr(nr_last_error(), "text after") != NULL, "%s", nr_last_error());
    free(file);
    free(body);
    free(t);
}

/* /dev/null (a common way to say "keep no settings"), a FIFO, a folder: defaults and a message; the path
 * is never renamed, truncated or written, and a save there is refused. A symbolic link is followed: the
 * file it names is replaced and the link kept. */
static void test_not_regular_files(void)
{
    nr_settings s, a;
    sample_settings(&a);
    struct stat before, after;
    NT_CHECK(stat("/dev/null", &before) == 0);
    NT_CHECK(nr_settings_load("/dev/null", &s) == NR_ERR_IO);
    NT_CHECKF(strstr(nr_last_error(), "/dev/null") && strstr(nr_last_error(), "not a regular file"), "%s",
              nr_last_error());
    NT_CHECK(nr_settings_save("/dev/null", &a) == NR_ERR_IO);
    NT_CHECKF(strstr(nr_last_error(), "character device") != NULL, "%s", nr_last_error());
    NT_CHECK(stat("/dev/null", &after) == 0 && S_ISCHR(after.st_mode) && after.st_ino == before.st_ino &&
             after.st_rdev == before.st_rdev);
    const char *fifo = nt_tmp("settings.fifo");
    NT_CHECK(mkfifo(fifo, 0600) == 0);
    NT_CHECK(nr_settings_load(fifo, &s) == NR_ERR_IO); /* returns at once: no writer is waited for */
    NT_CHECK(nr_settings_save(fifo, &a) == NR_ERR_IO && strstr(nr_last_error(), "FIFO"));
    NT_CHECK(stat(fifo, &after) == 0 && S_ISFIFO(after.st_mode));
    const char *dir = nt_tmp("settings.d");
    NT_CHECK(mkdir(dir, 0700) == 0);
    NT_CHECK(nr_settings_load(dir, &s) == NR_ERR_IO);
    NT_CHECK(nr_settings_save(dir, &a) == NR_ERR_IO && strstr(nr_last_error(), "folder"));
    NT_CHECK(stat(dir, &after) == 0 && S_ISDIR(after.st_mode));
    char real[1024], link[1024];
    snprintf(real, sizeof real, "%s", nt_tmp("real.nrs"));
    snprintf(link, sizeof link, "%s", nt_tmp("link.nrs"));
    NT_CHECK(nr_settings_save(real, &a) == NR_OK && symlink(real, link) == 0);
    a.patch.voices = 3;
    NT_CHECK(nr_settings_save(link, &a) == NR_OK);
    struct stat ls;
    NT_CHECK(lstat(link, &ls) == 0 && S_ISLNK(ls.st_mode));
    NT_CHECK(nr_settings_load(real, &s) == NR_OK && s.patch.voices == 3);
}

static void test_flipped_bytes(void)
{
    nr_settings a;
    sample_settings(&a);
    char *t;
    size_t n;
    NT_CHECK(nr_settings_serialize(&a, &t, &n) == NR_OK);
    /* One bit anywhere: in the magic, the checksum, a number, a name, the closing brace. */
    size_t where[] = {0, 25, n / 3, n / 2, n - 1};
    for (size_t k = 0; k < sizeof where / sizeof where[0]; k++) {
        char *c = malloc(n);
        memcpy(c, t, n);
        c[where[k]] ^= 0x04;
        char name[32];
        snprintf(name, sizeof name, "flip%zu.nrs", k);
        check_rejected(name, c, n, NR_ERR_FORMAT);
        free(c);
    }
    free(t);
}

static void test_newer_version(void)
{
    const char *body = "{}";
    char file[128];
    int len = snprintf(file, sizeof file, "neurorack-settings %d crc32=%08x\n%s", NR_SETTINGS_VERSION + 1,
                       (unsigned)nr_crc32(body, strlen(body)), body);
    check_rejected("newer.nrs", file, (size_t)len, NR_ERR_VERSION);
    NT_CHECK(strstr(nr_last_error(), "newer"));
}

static void test_clamp_on_load(void)
{
    /* A valid file whose values are out of range, of the wrong type or unknown. */
    const char *body =
        "{\"patch\":{\"template_a\":\"\",\"interp\":7,\"stretch\":-1e999,\"variation\":\"lots\","
        "\"offset\":{\"brightness\":1e30},\"cv\":[{\"target\":\"warp\",\"range\":1e9,\"polarity\":\"bipolar\"},"
        "{\"target\":\"level\",\"range\":-99}],\"gate_mode\":[\"poly\",\"nonsense\"],\"voices\":1000,"
        "\"volume_db\":-1e6},\"calibration\":[{\"offset\":5,\"scale\":0}],\"preset_slot\":-3,"
        "\"presets\":[{\"slot\":17,\"name\":\"x\"},{\"slot\":2,\"name\":\"ok\",\"patch\":{\"voices\":0}}]}";
    char file[2048];
    int len = snprintf(file, sizeof file, "neurorack-settings 1 crc32=%08x\n%s", (unsigned)nr_crc32(body, strlen(body)), body);
    nr_settings s;
    NT_CHECKF(nr_settings_parse(file, (size_t)len, "clamp.nrs", &s) == NR_OK, "%s", nr_last_error());
    NT_CHECK(!strcmp(s.patch.template_a, "")); /* empty: the model's default template */
    NT_CHECK(s.patch.interp == 1.0f && s.patch.stretch == -2.0f && s.patch.variation == 0.0f);
    NT_CHECK(s.patch.offset[NR_DESC_BRIGHTNESS] == 3.0f);
    NT_CHECK(s.patch.cv[0].target == NR_CVT_DESC0 + NR_DESC_BRIGHTNESS); /* unknown target: default kept */
    NT_CHECK(s.patch.cv[0].range == 10.0f && s.patch.cv[1].target == NR_CVT_LEVEL && s.patch.cv[1].range == -10.0f);
    NT_CHECK(s.patch.gate_mode[0] == NR_GATE_POLY && s.patch.gate_mode[1] == NR_GATE_POLY);
    NT_CHECK(s.patch.voices == NR_MAX_VOICES && s.patch.volume_db == -60.0f);
    NT_CHECK(s.cal[0].offset == 2.0f && s.cal[0].scale == 0.5f);
    NT_CHECK(s.preset_slot == 0);
    NT_CHECK(s.presets[1].used && !strcmp(s.presets[1].name, "ok") && s.presets[1].patch.voices == 1);
    for (int k = 0; k < NR_PRESET_SLOTS; k++) NT_CHECK(k == 1 || !s.presets[k].used);
}

static void test_unwritable(void)
{
    nr_settings a;
    sample_settings(&a);
    /* A file where the folder should be: fails for every user, root included. */
    NT_CHECK(nt_write_file(nt_tmp("plainfile"), "x", 1) == 0);
    char path[600];
    snprintf(path, sizeof path, "%s/settings.nrs", nt_tmp("plainfile"));
    nr_result r = nr_settings_save(path, &a);
    NT_CHECKF(r == NR_ERR_IO && strstr(nr_last_error(), "plainfile"), "%s: %s", nr_result_str(r), nr_last_error());
    r = nr_settings_save("/proc/neurorack-test/settings.nrs", &a);
    NT_CHECK(r == NR_ERR_IO);
    /* A save that fails half-way (the file-size limit fails write() as a full disk does) leaves the
     * previous file as it was, no temporary file, and a message naming the file. */
    char dir[600], good[700];
    snprintf(dir, sizeof dir, "%s", nt_tmp("keep"));
    snprintf(good, sizeof good, "%s/keep.nrs", dir);
    NT_CHECK(nr_settings_save(good, &a) == NR_OK);
    a.patch.voices = 1;
    NT_WRITE_FAIL_BEGIN(good, 64);
    r = nr_settings_save(good, &a);
    NT_WRITE_FAIL_END(r == NR_ERR_IO, nr_last_error(), dir);
    /* a folder where nothing can be created: the same */
    NT_CHECK(chmod(dir, 0555) == 0);
    if (access(dir, W_OK) != 0) { /* root writes anyway */
        NT_CHECK(nr_settings_save(good, &a) == NR_ERR_IO && strstr(nr_last_error(), good));
        NT_CHECK(nt_temp_files_left(dir) == 0);
    }
    chmod(dir, 0755);
    NT_CHECK(nr_settings_save(good, &a) == NR_OK); /* a save that succeeds replaces it */
    nr_settings b;
    NT_CHECK(nr_settings_load(good, &b) == NR_OK && b.patch.voices == 1);
}

int main(void)
{
    NT_RUN(test_crc32);
    NT_RUN(test_round_trip);
    NT_RUN(test_missing_file);
    NT_RUN(test_truncated);
    NT_RUN(test_trailing_text);
    NT_RUN(test_not_regular_files);
    NT_RUN(test_flipped_bytes);
    NT_RUN(test_newer_version);
    NT_RUN(test_clamp_on_load);
    NT_RUN(test_unwritable);
    return nt_end();
}

/* The SoundFont 2 reader of the data-set builder on a small SoundFont made here, chunk by chunk:
 * which samples drum kits and chosen programs play, their audio, and damaged files. */
#include "dataset/ds_internal.h"
#include "nr_test.h"

#include <math.h>
#include <sndfile.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    uint8_t *p;
    size_t n, cap;
} bytes;

static void put(bytes *b, const void *d, size_t n)
{
    if (b->n + n > b->cap) {
        b->cap = 2 * (b->n + n) + 64;
        b->p = realloc(b->p, b->cap);
    }
    memcpy(b->p + b->n, d, n);
    b->n += n;
}
static void put16(bytes *b, unsigned v) { put(b, (uint8_t[]){(uint8_t)v, (uint8_t)(v >> 8)}, 2); }
static void put32(bytes *b, uint32_t v)
{
    put(b, (uint8_t[]){(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)}, 4);
}
static void put_name(bytes *b, const char *s, size_t n)
{
    char z[20] = {0};
    memcpy(z, s, strlen(s) < n ? strlen(s) : n);
    put(b, z, n);
}

/* A chunk with its 8-byte header, padded to even length as RIFF wants. Frees the body. */
static void chunk(bytes *b, const char *id, bytes *body)
{
    put(b, id, 4);
    put32(b, (uint32_t)body->n);
    put(b, body->p, body->n);
    if (body->n & 1) put(b, "", 1);
    free(body->p);
    memset(body, 0, sizeof *body);
}
/* An odd-sized chunk without its pad byte, as some sf3 writers leave it. */
static void chunk_unpadded(bytes *b, const char *id, const char *text)
{
    put(b, id, 4);
    put32(b, (uint32_t)strlen(text));
    put(b, text, strlen(text));
}
static void list(bytes *b, const char *type, bytes *body)
{
    bytes l = {0};
    put(&l, type, 4);
    put(&l, body->p, body->n);
    free(body->p);
    memset(body, 0, sizeof *body);
    chunk(b, "LIST", &l);
}

enum { N_SMPL_PER = 100 }; /* sample points per recording */
enum { GEN_KEYRANGE = 43, GEN_INSTRUMENT = 41, GEN_SAMPLEID = 53, GEN_SAMPLEMODES = 54 };

/* shdr records: name, type (1 mono, 2 right, 4 left), rate; start/end follow from the index. */
static const struct {
    const char *name;
    unsigned type, rate;
} g_samples[] = {{"Kick", 1, 44100},  {"SnareL", 4, 44100}, {"SnareR", 2, 44100}, {"Loop", 1, 44100},
                 {"Timp", 1, 32000},  {"Piano", 1, 44100},  {"Bird", 1, 44100},   {"Beyond", 1, 44100}};
#define N_SAMPLES (int)(sizeof g_samples / sizeof *g_samples)

/* instrument zones: {key or -1, sample, looped} */
typedef struct {
    int key, sample, loop;
} zone;
static const zone g_kit[] = {{36, 0, 0}, {38, 1, 0}, {38, 2, 0}, {40, 3, 1}, {42, 7, 0}};
static const zone g_timp[] = {{-1, 4, 0}}, g_piano[] = {{-1, 5, 0}}, g_sfx[] = {{50, 6, 0}};
static const struct {
    const zone *z;
    int n;
} g_inst[] = {{g_kit, 5}, {g_timp, 1}, {g_piano, 1}, {g_sfx, 1}};
/* presets: name, program, bank, instrument */
static const struct {
    const char *name;
    int prog, bank, inst;
} g_presets[] = {{"Standard", 0, 128, 0}, {"Timpani", 47, 0, 1}, {"Piano", 0, 0, 2}, {"SFX", 56, 128, 3}};

static int16_t point(int s, int k) { return (int16_t)((s + 1) * 1000 + k * 7 - 350); }

/* The whole file; odd-sized chunks, padded and not, sit before and inside the lists the reader looks for. */
static bytes make_sf2_ogg(const uint8_t *ogg, size_t ogg_n)
{
    bytes info = {0}, sub = {0};
    put16(&sub, 2), put16(&sub, 1);
    chunk(&info, "ifil", &sub);
    put(&sub, "Test kit", 9); /* 9 bytes: padded */
    chunk(&info, "INAM", &sub);

    bytes smpl = {0};
    /* the last sample's end points past the sample data: it must be left out */
    for (int s = 0; s < N_SAMPLES - 1; s++)
        for (int k = 0; k < N_SMPL_PER; k++) put16(&smpl, (uint16_t)point(s, k));
    /* sf3: the kick is an Ogg Vorbis stream at the end of smpl; start/end are its byte offsets */
    uint32_t ogg_at = (uint32_t)smpl.n;
    if (ogg) put(&smpl, ogg, ogg_n);
    if (smpl.n & 1) put(&smpl, "", 1);
    bytes sdta = {0}, junk = {0};
    put(&junk, "x", 1);
    chunk(&sdta, "junk", &junk); /* odd: padded */
    chunk(&sdta, "smpl", &smpl);

    bytes phdr = {0}, pbag = {0}, pmod = {0}, pgen = {0}, inst = {0}, ibag = {0}, imod = {0}, igen = {0},
          shdr = {0};
    int n_pre = (int)(sizeof g_presets / sizeof *g_presets);
    for (int p = 0; p <= n_pre; p++) { /* one zone per preset, then the terminal "EOP" */
        put_name(&phdr, p < n_pre ? g_presets[p].name : "EOP", 20);
        put16(&phdr, p < n_pre ? (unsigned)g_presets[p].prog : 0);
        put16(&phdr, p < n_pre ? (unsigned)g_presets[p].bank : 0);
        put16(&phdr, (unsigned)p);
        put32(&phdr, 0), put32(&phdr, 0), put32(&phdr, 0);
        put16(&pbag, (unsigned)p), put16(&pbag, 0);
        if (p < n_pre) put16(&pgen, GEN_INSTRUMENT), put16(&pgen, (unsigned)g_presets[p].inst);
    }
    put16(&pgen, 0), put16(&pgen, 0);
    int bag = 0, gen = 0;
    for (int i = 0; i <= 4; i++) {
        put_name(&inst, i < 4 ? "Inst" : "EOI", 20);
        put16(&inst, (unsigned)bag);
        for (int z = 0; i < 4 && z < g_inst[i].n; z++, bag++) {
            const zone *zz = &g_inst[i].z[z];
            put16(&ibag, (unsigned)gen), put16(&ibag, 0);
            if (zz->key >= 0) { /* key range lo..hi: one key */
                put16(&igen, GEN_KEYRANGE), put(&igen, (uint8_t[]){(uint8_t)zz->key, (uint8_t)zz->key}, 2);
                gen++;
            }
            if (zz->loop) put16(&igen, GEN_SAMPLEMODES), put16(&igen, 1), gen++;
            put16(&igen, GEN_SAMPLEID), put16(&igen, (unsigned)zz->sample), gen++;
        }
    }
    put16(&ibag, (unsigned)gen), put16(&ibag, 0);
    put16(&igen, 0), put16(&igen, 0);
    for (int k = 0; k < 10; k++) put(&pmod, "", 1), put(&imod, "", 1); /* terminal modulators */
    for (int s = 0; s <= N_SAMPLES; s++) {
        put_name(&shdr, s < N_SAMPLES ? g_samples[s].name : "EOS", 20);
        uint32_t start = (uint32_t)(s * N_SMPL_PER), end = start + N_SMPL_PER;
        unsigned type = s < N_SAMPLES ? g_samples[s].type : 0;
        if (ogg && s == 0) start = ogg_at, end = ogg_at + (uint32_t)ogg_n, type |= 0x10;
        put32(&shdr, s < N_SAMPLES ? start : 0), put32(&shdr, s < N_SAMPLES ? end : 0);
        put32(&shdr, start + 10), put32(&shdr, end - 10);
        put32(&shdr, s < N_SAMPLES ? g_samples[s].rate : 0);
        put(&shdr, (uint8_t[]){60, 0}, 2);
        put16(&shdr, 0), put16(&shdr, type);
    }
    bytes pdta = {0};
    chunk(&pdta, "phdr", &phdr), chunk(&pdta, "pbag", &pbag), chunk(&pdta, "pmod", &pmod);
    chunk(&pdta, "pgen", &pgen), chunk(&pdta, "inst", &inst), chunk(&pdta, "ibag", &ibag);
    chunk(&pdta, "imod", &imod), chunk(&pdta, "igen", &igen), chunk(&pdta, "shdr", &shdr);

    bytes body = {0};
    put(&body, "sfbk", 4);
    list(&body, "INFO", &info);
    put(&junk, "12345", 5);
    chunk(&body, "junk", &junk);
    chunk_unpadded(&body, "JUNK", "abc");
    list(&body, "sdta", &sdta);
    list(&body, "pdta", &pdta);
    bytes file = {0};
    chunk(&file, "RIFF", &body);
    return file;
}

static bytes make_sf2(void) { return make_sf2_ogg(NULL, 0); }

static int find_sample(const ds_sf2 *sf, const char *name)
{
    for (int i = 0; i < sf->n; i++)
        if (!strcmp(sf->s[i].name, name)) return i;
    return -1;
}

static const char *write_sf2(const char *name, const bytes *b, size_t n)
{
    const char *p = nt_tmp(name);
    NT_CHECK(nt_write_file(p, b->p, n) == 0);
    return p;
}

static void test_drum_kits_and_programs(void)
{
    bytes f = make_sf2();
    const char *p = write_sf2("kit.sf2", &f, f.n);
    ds_sf2 sf;
    const int timpani = 47;
    NT_CHECKF(ds_sf2_open(p, &timpani, 1, &sf) == NR_OK, "%s", nr_last_error());
    /* kick and the left snare (kit, lowest key), timpani (program 47); not the right channel, the
     * looped sample, the piano (bank 0, not asked for), the GS SFX kit, nor a sample past the data */
    NT_CHECKF(sf.n == 3, "%d samples", sf.n);
    int k = find_sample(&sf, "Kick"), s = find_sample(&sf, "SnareL"), t = find_sample(&sf, "Timp");
    NT_CHECK(k == 0 && s == 1 && t == 2);
    if (k == 0 && s == 1 && t == 2) {
        NT_CHECK(sf.s[k].key == 36 && sf.s[k].program == -1 && sf.s[s].key == 38);
        NT_CHECK(sf.s[t].key == -1 && sf.s[t].program == 47 && sf.s[t].rate == 32000);
        nr_audio a;
        NT_CHECKF(ds_sf2_sample_audio(&sf, t, &a) == NR_OK, "%s", nr_last_error());
        NT_CHECK(a.n == N_SMPL_PER && a.rate == 32000);
        int same = a.n == N_SMPL_PER;
        for (long i = 0; same && i < a.n; i++) same = a.samples[i] == point(4, (int)i) / 32768.0f;
        NT_CHECK(same);
        ds_audio_release(&a);
        NT_CHECK(ds_sf2_sample_audio(&sf, 3, &a) == NR_ERR_ARG);
    }
    ds_sf2_close(&sf);
    /* n_prog < 0: every preset is a kit (the piano too), the SFX kit still not */
    NT_CHECKF(ds_sf2_open(p, NULL, -1, &sf) == NR_OK, "%s", nr_last_error());
    NT_CHECKF(sf.n == 4 && find_sample(&sf, "Piano") >= 0 && find_sample(&sf, "Bird") < 0, "%d samples", sf.n);
    ds_sf2_close(&sf);
    free(f.p);
}

/* Damaged files: an error naming the file, or (cut in the unused tail) the samples that are there. */
static void test_damaged(void)
{
    bytes f = make_sf2();
    ds_sf2 sf;
    const char *p = write_sf2("riff.sf2", &f, f.n);
    memcpy(f.p + 8, "sfbX", 4);
    NT_CHECK(nt_write_file(p, f.p, f.n) == 0);
    NT_CHECK(ds_sf2_open(p, NULL, 0, &sf) == NR_ERR_FORMAT && strstr(nr_last_error(), p) &&
             strstr(nr_last_error(), "RIFF sfbk"));
    memcpy(f.p + 8, "sfbk", 4);
    for (int pct = 5; pct < 100; pct += 5) { /* cut anywhere: never a crash, never a sample past the end */
        size_t n = f.n * (size_t)pct / 100;
        p = write_sf2("cut.sf2", &f, n);
        nr_result r = ds_sf2_open(p, NULL, 0, &sf);
        NT_CHECKF(r == NR_ERR_FORMAT || r == NR_ERR_IO, "cut at %d %%: %s", pct, nr_result_str(r));
        NT_CHECKF(strstr(nr_last_error(), p) != NULL, "%s", nr_last_error());
        if (r == NR_OK) ds_sf2_close(&sf);
    }
    /* the pdta list without its shdr chunk */
    bytes g = make_sf2();
    uint8_t *shdr = NULL;
    for (size_t i = 0; i + 4 <= g.n; i++)
        if (!memcmp(g.p + i, "shdr", 4)) shdr = g.p + i;
    NT_CHECK(shdr != NULL);
    if (shdr) memcpy(shdr, "xhdr", 4);
    p = write_sf2("noshdr.sf2", &g, g.n);
    NT_CHECK(ds_sf2_open(p, NULL, 0, &sf) == NR_ERR_FORMAT && strstr(nr_last_error(), "shdr"));
    NT_CHECK(ds_sf2_open(nt_tmp("none.sf2"), NULL, 0, &sf) == NR_ERR_IO);
    free(g.p);
    free(f.p);
}

/* sf3: a sample stored as Ogg Vorbis decodes through libsndfile from memory. */
static void test_sf3_ogg_sample(void)
{
    const char *ogg_path = nt_tmp("kick.ogg");
    SF_INFO info = {0};
    info.samplerate = 44100;
    info.channels = 1;
    info.format = SF_FORMAT_OGG | SF_FORMAT_VORBIS;
    SNDFILE *o = sf_open(ogg_path, SFM_WRITE, &info);
    NT_CHECKF(o != NULL, "%s", sf_strerror(NULL));
    if (!o) return;
    enum { N = 4410 }; /* 0.1 s of a 1 kHz sine at 0.5 */
    float x[N];
    for (int i = 0; i < N; i++) x[i] = 0.5f * (float)sin(2.0 * 3.14159265358979 * 1000.0 * i / 44100.0);
    NT_CHECK(sf_writef_float(o, x, N) == N);
    sf_close(o);
    size_t n;
    char *ogg = nt_read_file(ogg_path, &n);
    NT_CHECK(ogg != NULL);
    if (!ogg) return;
    bytes f = make_sf2_ogg((const uint8_t *)ogg, n);
    const char *p = write_sf2("kit.sf3", &f, f.n);
    ds_sf2 sf;
    NT_CHECKF(ds_sf2_open(p, NULL, 0, &sf) == NR_OK, "%s", nr_last_error());
    int k = find_sample(&sf, "Kick");
    NT_CHECK(k >= 0);
    if (k >= 0) {
        NT_CHECK(sf.s[k].type & 0x10);
        nr_audio a;
        NT_CHECKF(ds_sf2_sample_audio(&sf, k, &a) == NR_OK, "%s", nr_last_error());
        NT_CHECKF(a.n == N && a.rate == 44100, "%ld samples at %d Hz", a.n, a.rate);
        double e = 0.0, r = 0.0; /* Vorbis is lossy: the level, not the samples */
        for (long i = 0; i < a.n; i++) e += (double)a.samples[i] * a.samples[i];
        for (int i = 0; i < N; i++) r += (double)x[i] * x[i];
        NT_CHECKF(a.n > 0 && fabs(sqrt(e / r) - 1.0) < 0.05, "level ratio %g", a.n ? sqrt(e / r) : 0.0);
        ds_audio_release(&a);
    }
    ds_sf2_close(&sf);
    free(ogg);
    free(f.p);
}

int main(void)
{
    NT_RUN(test_drum_kits_and_programs);
    NT_RUN(test_damaged);
    NT_RUN(test_sf3_ogg_sample);
    return nt_end();
}

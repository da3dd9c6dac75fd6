/* SoundFont 2 (and sf3: Ogg Vorbis samples) drum samples, read straight from the file (RIFF 'sfbk'):
 * the recorded samples that the drum kits (bank 128) and a few percussive bank-0 programs play. Each stored sample is one recording;
 * rendering every key at every velocity would only add gain/filter copies of the same ones. */
#include "ds_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GEN_KEYRANGE 43
#define GEN_INSTRUMENT 41
#define GEN_SAMPLEID 53
#define GEN_SAMPLEMODES 54

static uint16_t u16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t u32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }

typedef struct {
    const uint8_t *p;
    uint32_t n;
} chunk;

/* Offset of the chunk after the one at `off` of body length `len`. RIFF pads odd chunks with a zero
 * byte; some sf3 writers do not, so a non-zero byte there is taken as the next chunk's start. */
static size_t next_chunk(const uint8_t *p, size_t n, size_t off, uint32_t len)
{
    size_t o = off + 8 + (size_t)len;
    if ((len & 1) && o < n && p[o] == 0) o++;
    return o;
}

/* A chunk matcher: how many bytes of the chunk at c (body length len) come before the part wanted,
 * 0 if it is not the one. */
typedef size_t (*chunk_match)(const uint8_t *c, uint32_t len, const char *id);

static size_t match_id(const uint8_t *c, uint32_t len, const char *id)
{
    (void)len;
    return memcmp(c, id, 4) ? 0 : 8;
}

/* A LIST chunk of type id ("sdta", "pdta"): its body after the type. */
static size_t match_list(const uint8_t *c, uint32_t len, const char *id)
{
    return len >= 4 && !memcmp(c, "LIST", 4) && !memcmp(c + 8, id, 4) ? 12 : 0;
}

/* Walk the chunks of the body [p, p+n) to the first one `match` accepts. */
static chunk find_chunk(const uint8_t *p, size_t n, const char *id, chunk_match match)
{
    size_t off = 0;
    while (off + 8 <= n) {
        uint32_t len = u32(p + off + 4);
        if (len > n - off - 8) break;
        size_t skip = match(p + off, len, id);
        if (skip) return (chunk){p + off + skip, len - (uint32_t)(skip - 8)};
        off = next_chunk(p, n, off, len);
    }
    return (chunk){NULL, 0};
}

static chunk find(const uint8_t *p, size_t n, const char *id) { return find_chunk(p, n, id, match_id); }
static chunk find_list(const uint8_t *p, size_t n, const char *type) { return find_chunk(p, n, type, match_list); }

static uint8_t *read_all(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    uint8_t *buf = NULL;
    if (fseek(f, 0, SEEK_END) == 0) {
        long len = ftell(f);
        if (len > 12 && len < (1L << 31) && fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)len))) {
            if (fread(buf, 1, (size_t)len, f) != (size_t)len) {
                free(buf);
                buf = NULL;
            } else {
                *n = (size_t)len;
            }
        }
    }
    fclose(f);
    return buf;
}

void ds_sf2_close(ds_sf2 *sf)
{
    free(sf->file);
    free(sf->s);
    memset(sf, 0, sizeof *sf);
}

/* Mark the samples of instrument `inst` (keys from its zones) as wanted. */
static void mark_instrument(int inst, int program, chunk ins, chunk ibag, chunk igen, int n_shdr, int *want_key,
                            int *want_prog, unsigned char *looped)
{
    int n_inst = (int)(ins.n / 22);
    if (inst < 0 || inst >= n_inst - 1) return; /* the last record is the terminal "EOI" */
    int b0 = u16(ins.p + inst * 22 + 20), b1 = u16(ins.p + (inst + 1) * 22 + 20);
    int n_ibag = (int)(ibag.n / 4), n_igen = (int)(igen.n / 4);
    for (int b = b0; b < b1 && b + 1 < n_ibag; b++) {
        int g0 = u16(ibag.p + b * 4), g1 = u16(ibag.p + (b + 1) * 4);
        int key = -1, sample = -1, loop = 0;
        for (int g = g0; g < g1 && g < n_igen; g++) {
            int op = u16(igen.p + g * 4);
            if (op == GEN_KEYRANGE) key = igen.p[g * 4 + 2];
            if (op == GEN_SAMPLEID) sample = u16(igen.p + g * 4 + 2);
            if (op == GEN_SAMPLEMODES) loop = u16(igen.p + g * 4 + 2) & 1;
        }
        if (sample < 0 || sample >= n_shdr - 1) continue;
        looped[sample] |= (unsigned char)loop;
        if (program < 0) {
            if (want_key[sample] < 0 || (key >= 0 && key < want_key[sample])) want_key[sample] = key >= 0 ? key : 0;
        } else if (want_prog[sample] < 0) {
            want_prog[sample] = program;
        }
    }
}

nr_result ds_sf2_open(const char *path, const int *programs, int n_prog, ds_sf2 *sf)
{
    memset(sf, 0, sizeof *sf);
    sf->file = read_all(path, &sf->file_n);
    if (!sf->file) return nr_fail(NR_ERR_IO, "%s: cannot read", path);
    const uint8_t *f = sf->file;
    if (sf->file_n < 12 || memcmp(f, "RIFF", 4) || memcmp(f + 8, "sfbk", 4)) {
        ds_sf2_close(sf);
        return nr_fail(NR_ERR_FORMAT, "%s: not a SoundFont 2 (RIFF sfbk) file", path);
    }
    size_t body_n = sf->file_n - 12;
    if (u32(f + 4) - 4 < body_n) body_n = u32(f + 4) - 4;
    chunk sdta = find_list(f + 12, body_n, "sdta"), pdta = find_list(f + 12, body_n, "pdta");
    chunk smpl = sdta.p ? find(sdta.p, sdta.n, "smpl") : sdta;
    chunk phdr = find(pdta.p, pdta.n, "phdr"), pbag = find(pdta.p, pdta.n, "pbag"),
          pgen = find(pdta.p, pdta.n, "pgen"), ins = find(pdta.p, pdta.n, "inst"),
          ibag = find(pdta.p, pdta.n, "ibag"), igen = find(pdta.p, pdta.n, "igen"),
          shdr = find(pdta.p, pdta.n, "shdr");
    if (!pdta.p || !smpl.p || !phdr.p || !pbag.p || !pgen.p || !ins.p || !ibag.p || !igen.p || !shdr.p) {
        ds_sf2_close(sf);
        return nr_fail(NR_ERR_FORMAT, "%s: SoundFont without its smpl/phdr/pbag/pgen/inst/ibag/igen/shdr chunks",
                       path);
    }
    sf->smpl = (const int16_t *)smpl.p; /* read through u16() on use: the pointer may be unaligned */
    sf->n_smpl = smpl.n / 2;
    int n_shdr = (int)(shdr.n / 46), n_phdr = (int)(phdr.n / 38), n_pbag = (int)(pbag.n / 4),
        n_pgen = (int)(pgen.n / 4);
    int *want_key = malloc((size_t)(n_shdr + 1) * sizeof *want_key),
        *want_prog = malloc((size_t)(n_shdr + 1) * sizeof *want_prog);
    unsigned char *looped = calloc((size_t)(n_shdr + 1), 1);
    sf->s = calloc((size_t)(n_shdr + 1), sizeof *sf->s);
    if (!want_key || !want_prog || !looped || !sf->s) {
        free(want_key);
        free(want_prog);
        free(looped);
        ds_sf2_close(sf);
        return nr_fail(NR_ERR_NOMEM, "%s: out of memory", path);
    }
    for (int i = 0; i < n_shdr; i++) want_key[i] = want_prog[i] = -1;

    for (int p = 0; p + 1 < n_phdr; p++) {
        const uint8_t *h = phdr.p + p * 38;
        int prog = u16(h + 20), bank = u16(h + 22);
        int wanted_prog = -1;
        for (int k = 0; k < n_prog; k++)
            if (bank == 0 && prog == programs[k]) wanted_prog = prog;
        int kit = bank == 128 || n_prog < 0; /* n_prog < 0: a drum-kit-only SoundFont (every preset) */
        if (bank == 128 && prog == 56) continue; /* the GS "SFX" kit: waves, birds, phones on drum keys */
        if (!kit && wanted_prog < 0) continue;
        int b0 = u16(h + 24), b1 = u16(phdr.p + (p + 1) * 38 + 24);
        for (int b = b0; b < b1 && b + 1 < n_pbag; b++) {
            int g0 = u16(pbag.p + b * 4), g1 = u16(pbag.p + (b + 1) * 4);
            for (int g = g0; g < g1 && g < n_pgen; g++)
                if (u16(pgen.p + g * 4) == GEN_INSTRUMENT)
                    mark_instrument(u16(pgen.p + g * 4 + 2), kit ? -1 : wanted_prog, ins, ibag, igen,
                                    n_shdr, want_key, want_prog, looped);
        }
    }
    for (int i = 0; i + 1 < n_shdr; i++) {
        /* A looped sample is only the attack and a sustain cycle, not the whole one-shot. */
        if ((want_key[i] < 0 && want_prog[i] < 0) || looped[i]) continue;
        const uint8_t *h = shdr.p + i * 46;
        ds_sf2_sample s;
        memset(&s, 0, sizeof s);
        memcpy(s.name, h, 20);
        s.start = u32(h + 20);
        s.end = u32(h + 24);
        s.rate = u32(h + 36);
        s.type = u16(h + 44);
        s.key = want_key[i];
        s.program = want_key[i] >= 0 ? -1 : want_prog[i];
        if ((s.type & 0x8000) || (s.type & 0x7) == 2) continue; /* ROM samples, right channels */
        /* sf3 (type bit 0x10): start/end are byte offsets of an Ogg Vorbis stream in smpl. */
        size_t limit = (s.type & 0x10) ? 2 * sf->n_smpl : sf->n_smpl;
        if (s.end <= s.start || s.end > limit || s.rate < 1000) continue;
        sf->s[sf->n++] = s;
    }
    free(want_key);
    free(want_prog);
    free(looped);
    return NR_OK;
}

nr_result ds_sf2_sample_audio(const ds_sf2 *sf, int i, nr_audio *out)
{
    memset(out, 0, sizeof *out);
    if (i < 0 || i >= sf->n) return nr_fail(NR_ERR_ARG, "SoundFont sample %d out of range 0..%d", i, sf->n - 1);
    const ds_sf2_sample *s = &sf->s[i];
    if (s->type & 0x10) {
        char what[64];
        snprintf(what, sizeof what, "SoundFont sample '%s'", s->name);
        return ds_read_mem((const uint8_t *)sf->smpl + s->start, s->end - s->start, what, out);
    }
    long n = (long)(s->end - s->start);
    out->samples = malloc((size_t)n * sizeof *out->samples);
    if (!out->samples) return nr_fail(NR_ERR_NOMEM, "out of memory for %ld samples", n);
    const uint8_t *p = (const uint8_t *)sf->smpl + 2 * (size_t)s->start;
    for (long k = 0; k < n; k++) out->samples[k] = (float)(int16_t)u16(p + 2 * k) / 32768.0f;
    out->n = n;
    out->rate = (int)s->rate;
    return NR_OK;
}

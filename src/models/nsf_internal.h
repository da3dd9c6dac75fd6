/* Internal: the hn-sinc-NSF (harmonic-plus-noise neural source-filter with sinc filters) pieces shared by
 * the model, the offline renderer, the streaming voice and the tests. Shapes are the stored ones. */
#ifndef NR_NSF_INTERNAL_H
#define NR_NSF_INTERNAL_H

#include "model_impl.h"
#include "dsp/rng.h"
#include "dsp/sinc.h"

#define NSF_MAX_HARM 64      /* harmonics in the source (the original: 17) */
#define NSF_MAX_BLOCKS 16    /* filter blocks per branch */
#define NSF_MAX_CONVS 16     /* dilated convs per block */
#define NSF_CHUNK 512        /* samples per internal filter pass (sgemm width) */

typedef struct {
    int n_convs;
    int dil[NSF_MAX_CONVS];
    float scale;
    const float *ff1;                /* (H, 1) */
    const float *conv[NSF_MAX_CONVS]; /* (H, H, 3) as stored */
    float *packed[NSF_MAX_CONVS];    /* (3H, H) product layout, owned */
    float *wino[NSF_MAX_CONVS];      /* (4, H, H) Winograd F(2,3) transformed taps (C_in, C_out), owned */
    const float *ff2;                /* (H/4, H) */
    float *ff2t;                     /* (H, H/4) product layout when H/4 is a multiple of 16, owned; else NULL */
    const float *ff3;                /* (1, H/4) */
} nsf_block;

typedef struct {
    /* hyper-parameters */
    int sample_rate, hop, hidden, n_harm, sinc_order, up_win, cut_win;
    float sine_amp, noise_std, voiced_threshold;
    /* condition module */
    const float *in_mean, *in_std;       /* (7) */
    const float *cw[3], *cb[3];          /* (H, C_in, 3), (H) */
    int cin[3];
    float *ma_first, *ma_second;         /* (H + 1, up_win): the two smoothing passes for
                                            [hidden channels..., normalised f0], owned */
    const float *cut_w;                  /* (cut_win) */
    /* source */
    const float *src_w;                  /* (n_harm) */
    float src_b;
    /* filter */
    int n_har;
    nsf_block har[NSF_MAX_BLOCKS];
    nsf_block noi;
    nr_sinc_table sinc;
    unsigned char *used;                 /* (n_tensors) while loading: the tensors the architecture read */
} nsf_weights;

/* --- source module (sample rate, sequential: the same code serves offline and streaming) --- */
typedef struct {
    const nsf_weights *w;
    int no_noise, band_limited;
    nr_rng rng;
    long t;                       /* samples generated */
    float ini[NSF_MAX_HARM];      /* initial phases (cycles) */
    double cum[NSF_MAX_HARM];     /* cumsum of rad, as the original's float32 cumsum accumulates */
    double cum_shifted[NSF_MAX_HARM]; /* cumsum of rad - wraps: the phase */
    float frac_prev[NSF_MAX_HARM];
} nsf_source;

void nsf_source_init(nsf_source *s, const nsf_weights *w, uint64_t seed, int no_noise, int band_limited);
/* f0: (n) raw f0 per sample (Hz); har, noi: (n) the two sources. Audio-thread safe. */
void nsf_source_run(nsf_source *s, const float *f0, int n, float *har, float *noi);

/* --- filter module: both branches and the sinc filters, block by block --- */
typedef struct {
    const nsf_weights *w;
    long t;                 /* samples filtered */
    float **rings;          /* per conv layer (har blocks then noise block): (2 dil, H) */
    int n_rings;
    float *h, *y, *col, *z; /* (NSF_CHUNK, H), (NSF_CHUNK, H), (NSF_CHUNK, 3H), (NSF_CHUNK, H/4) */
    float *hn, *yn;         /* (NSF_CHUNK, H) each: the noise block's, when a team starts it early */
    int pre;                /* nsf_filter_prestart ran for the next chunk */
    float *u, *m;           /* (2 NSF_CHUNK H) Winograd scratch */
    float *xh, *xn;         /* branch outputs with order-1 history before: (order - 1 + NSF_CHUNK) */
    float *lp, *hp;         /* (NSF_CHUNK, order) */
    float *sig;             /* (NSF_CHUNK) */
} nsf_filter;

size_t nsf_filter_bytes(const nsf_weights *w);
/* mem: nsf_filter_bytes() bytes, 64-byte aligned. */
void nsf_filter_init(nsf_filter *f, const nsf_weights *w, void *mem);
void nsf_filter_reset(nsf_filter *f);
/* har, noi: (n); ctx: (n, H); cut: (n); out: (n). Any n (split internally). Audio-thread safe. */
void nsf_filter_run(nsf_filter *f, const float *har, const float *noi, const float *ctx, const float *cut, long n,
                    float *out);
/* The same, as member tid of the nt members of team (core/team.h), all calling it with the same
 * arguments inside one nr_team_run; the result is bit for bit that of nsf_filter_run. */
struct nr_team;
/* One member may start a chunk early, with only the sources: the input layer and the first conv of the
 * first harmonic block and of the noise block, all rows (while another member computes the condition).
 * The next nsf_filter_run_part (team only) continues from there. */
void nsf_filter_prestart(nsf_filter *f, const float *har, const float *noi, int n);
void nsf_filter_run_part(nsf_filter *f, const float *har, const float *noi, const float *ctx, const float *cut,
                         long n, float *out, struct nr_team *team, int tid, int nt);

/* --- condition module --- */
/* One frame-rate conv (k = 3, zero padding): out (H) = tanh(b + W [prev; cur; next]); NULL = zeros. */
void nsf_cond_conv(const nsf_weights *w, int layer, const float *prev, const float *cur, const float *next,
                   float *out);
/* Normalise and clamp one raw descriptor frame: raw (7) is sanitised in place, feat (7) normalised. */
void nsf_frame_prepare(const nsf_weights *w, float *raw, float *feat);
/* Whole sound: frames (F, 7) raw. ctx (F hop, H), cut (F hop), f0 (F hop); any output may be NULL. */
nr_result nsf_condition_offline(const nsf_weights *w, const float *frames, int n_frames, float *ctx, float *cut,
                                float *f0);

/* --- offline render and the filter replay (tests) --- */
typedef struct {
    float *har, *noi, *ctx, *cut; /* optional copies of the intermediate signals (F hop [, H]) */
} nsf_taps;

const nsf_weights *nsf_weights_of(const nr_model *m);
/* out: (F hop). Everything allocated inside (not audio-thread safe). */
nr_result nsf_render_offline(const nr_model *m, const float *frames, int n_frames, const nr_voice_config *cfg,
                             float *out, const nsf_taps *taps);
/* The filter stage on given sources (har, noi: (F hop)) with the condition from the frames. */
nr_result nsf_filter_replay(const nr_model *m, const float *frames, int n_frames, const float *har,
                            const float *noi, float *out);

/* --- streaming voice (nsf_voice.c) --- */
nr_result nsf_voice_create(const nr_model *m, const nr_voice_config *cfg, nr_voice **out);
size_t nsf_voice_bytes(const nsf_weights *w, int max_block);
/* Frames of look-ahead the voice needs beyond the one it renders. */
int nsf_lookahead_frames(const nsf_weights *w);

#endif

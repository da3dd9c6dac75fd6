/* Internal: nr-impact-2, the full-band successor of nr-impact-1 (same inputs, same causal conv stack,
 * shared code in impact_net.c), with a new head and synthesis:
 *
 *   o_t (O = 1 + 2 NE + 2 NI + NT) = head(h_L)
 *   A = exp_sigmoid(o0)                      harmonic overall gain
 *   E_h (NE), E_n (NE) = exp_sigmoid(...)    harmonic / noise spectral envelopes: band gains at centres
 *                                            log-spaced env_lo..env_hi, linear in log2 f between them
 *   a_i (NI) = exp_sigmoid(...)              inharmonic partial gains
 *   r_i (NI) = 2^(lo + (hi - lo) sigmoid(.)) inharmonic frequency ratios to f0
 *   g_j (NT) = exp_sigmoid(...)              transient gains (frame 0's are used)
 *
 * Synthesis at 48 kHz (frame parameters q_t ramped linearly from q_{t-1} across the 480 samples of t):
 *   f0s      causal pitch conditioning (nr_imp2_f0_track: one-frame jumps held in INDEX mode, slew 0.5
 *            octave per frame), preprocessing without gradient
 *   harmonic k = 1..NH at k f0s, amplitude A E_h(u_k) taper_f(k f0s) taper_k(k), the envelope read at
 *            u_k by harm_env: INDEX (the default) u_k = log2 k over the envelope's bands (the harmonic
 *            spectrum moves with the pitch: a transposed sound keeps its timbre and its tuning); FREQ (the
 *            first models) u_k = log2(k f0s) over env_lo..env_hi, times sqrt(f0s / 100)
 *   inharmonic i at r_i f0s, amplitude a_i taper_f(r_i f0s)
 *   noise    per frame a complex spectrum (1024-point rFFT, 513 bins) of seeded noise shaped by E_n,
 *            960 samples of its inverse FFT under a sine window, overlap-added at hop 480 (the rising
 *            half is 1 on the first frame)
 *   transient NT wavetables of TL samples mixed by the gains of frame 0.
 * Everything is a fixed basis signal times a learned gain (the noise is linear in E_n), so the backward
 * pass recomputes the basis from the same seed; the frequencies' gradient: nr_imp2_freq_grad. */
#ifndef NR_IMPACT2_H
#define NR_IMPACT2_H

#include "impact.h"
#include "nr/model.h"

#include <math.h>

#define NR_IMP2_ARCH "nr-impact-2"
#define NR_IMP2_NFFT 1024                 /* noise spectrum size */
#define NR_IMP2_NBINS (NR_IMP2_NFFT / 2 + 1)
#define NR_IMP2_NOISE_LEN (2 * NR_IMP_HOP) /* samples of each noise frame (sine window, 50 % overlap) */
#define NR_IMP2_TAPER_LO 18000.0f          /* partials fade (raised cosine) from here ... */
#define NR_IMP2_TAPER_HI 21000.0f          /* ... to silence here */
#define NR_IMP2_TAPER_K 16                 /* harmonics faded at the top of the index range */
#define NR_IMP2_F0_REF 100.0f              /* sqrt(f0s / F0_REF) keeps loudness steady when transposed */
#define NR_IMP2_SLEW 0.5f                  /* octaves per frame of the pitch conditioning */
#define NR_IMP2_MAX_PARTIALS 576           /* NH + NI at most (512 + 64) */

typedef struct {
    int hidden, layers, taps; /* the network, as nr-impact-1 */
    int n_harm;   /* NH harmonics */
    int n_env;    /* NE envelope bands (each of the harmonic and noise envelopes) */
    int n_inharm; /* NI inharmonic partials */
    int n_trans;  /* NT transient wavetables */
    int trans_len; /* TL samples */
    float env_lo, env_hi;     /* envelope band centres, Hz, log-spaced */
    float ratio_lo, ratio_hi; /* inharmonic ratio range, octaves relative to f0 */
    int harm_env; /* where the harmonic envelope is read: NR_IMP2_HARM_INDEX or NR_IMP2_HARM_FREQ */
    int onset_pitch; /* NR_IMP2_ONSET_SETTLED: trained (and so played) on curves whose onset pitch is settled
                      * (nr_curves_settle_onset_pitch); NR_IMP2_ONSET_RAW: on yin's values as analysed */
    float inharm_floor; /* octaves relative to f0: an inharmonic partial under 2^inharm_floor f0 is silent, faded
                         * in over the NR_IMP2_FLOOR_FADE octaves below it (smoothstep in log ratio, so a partial
                         * that moves across it never switches); NR_IMP2_FLOOR_NONE (files without
                         * impact2.inharm_floor): every partial of the ratio range plays */
} nr_imp2_hparams;

#define NR_IMP2_FLOOR_NONE NR_MODEL_NO_FLOOR /* nr/model.h */
#define NR_IMP2_FLOOR_FADE 0.15f

enum { NR_IMP2_ONSET_RAW = 0, NR_IMP2_ONSET_SETTLED = 1 }; /* settled: NR_ONSET_JUMP_OCT, NR_ONSET_WITHIN_S */

enum { NR_IMP2_HARM_FREQ = 0, NR_IMP2_HARM_INDEX = 1 };

nr_imp2_hparams nr_imp2_hparams_default(void);
nr_result nr_imp2_hparams_check(const nr_imp2_hparams *hp, const char *what);
nr_result nr_imp2_hparams_from_meta(const nr_tensor_set *ts, nr_imp2_hparams *hp, const char *what);
nr_result nr_imp2_hparams_to_meta(const nr_imp2_hparams *hp, nr_tensor_set *ts);

int nr_imp2_n_out(const nr_imp2_hparams *hp);      /* O = 1 + 2 NE + 2 NI + NT */
int nr_imp2_n_partials(const nr_imp2_hparams *hp); /* P = NH + NI padded to NR_IMP_LANES */
/* q layout: amplitude (P) | frequency in Hz (P) | noise band gains (NE) | transient gains (NT) | f0s (1) */
int nr_imp2_n_q(const nr_imp2_hparams *hp);
nr_imp_net_dims nr_imp2_net_dims(const nr_imp2_hparams *hp);

/* Tensors: the nr-impact-1 layout without inharm_ratio; the weights view is nr_imp_weights (ratios NULL). */
int nr_imp2_tensor_table(const nr_imp2_hparams *hp, nr_imp_tensor_desc *out);
void nr_imp2_weights_carve(const nr_imp2_hparams *hp, float *block, nr_imp_weights_rw *w);
int64_t nr_imp2_n_values(const nr_imp2_hparams *hp, int trainable_only);

/* Causal pitch conditioning, raw pitch -> f0s, in log2 Hz: clamped to F0_MIN..F0_MAX (a lost value holds
 * the pitch). FREQ mode: slew-limited to SLEW octaves per frame. INDEX mode, where the whole harmonic
 * spectrum moves with f0s: the raw value is followed until two consecutive frames agree within JUMP (yin's
 * first frames at an onset are often far off, and a slow sweep down from them would sound); then a change
 * of at most JUMP is slew-limited, a larger one waits for the next frame: confirmed, it lands at once
 * (the oscillators stay phase-continuous), else (a one-frame octave error) it never reaches them. */
#define NR_IMP2_JUMP 0.75f /* octaves: yin's octave errors are 1 */
typedef struct {
    float raw;     /* the previous clamped raw value */
    float s;       /* the output, NAN before the first frame */
    int confirmed; /* INDEX: two consecutive raw values have agreed */
} nr_imp2_f0_state;
void nr_imp2_f0_reset(nr_imp2_f0_state *st);
float nr_imp2_f0_track(nr_imp2_f0_state *st, const nr_imp2_hparams *hp, const float desc[NR_NUM_DESC]);

/* The transient's mip levels: level 0 the tables as played (with their fade), level l the previous one
 * low-passed to half its band and decimated by 2 (NT tables of len[l] samples at 48 kHz / 2^l, from
 * data + off[l]), so reading level l at up to 2^l samples per sample (level samples per output sample:
 * ratio / 2^l <= 1) does not alias. */
#define NR_IMP2_MIP_LEVELS 6 /* up to 32x faster: 5 octaves */
typedef struct {
    int levels;
    int len[NR_IMP2_MIP_LEVELS];
    size_t off[NR_IMP2_MIP_LEVELS];
    float *data;
} nr_imp2_mip;

/* Fixed tables of a model (shared by its voices and the trainer's threads; read-only after init). */
typedef struct {
    int NE;
    float log2_lo, band_per_oct; /* envelope position u = (log2 f - log2_lo) * band_per_oct */
    int *bin_band;    /* (NBINS) lower band of each noise bin's interpolation */
    float *bin_w;     /* (NBINS) weight of the upper band (0 for DC and Nyquist: they stay silent) */
    float *win;       /* (NOISE_LEN) sine window */
    int *harm_band;   /* (NH) INDEX mode: lower band of harmonic k + 1's envelope position */
    float *harm_w;    /* (NH) INDEX mode: its upper band's weight */
    float *bin_u;     /* (NBINS) each noise bin's envelope position before clamping (a tuned voice shifts it) */
    float scale;      /* irfft scale giving unit variance for a flat envelope of 1 */
    nr_imp2_mip mip;  /* the transient's mip levels for tuned voices (levels 0: none made) */
    void *c2r, *r2c;  /* fftwf plans, process-wide (made once): c2r out of place (it allocates nothing
                       * when it runs), r2c in place (training only) */
} nr_imp2_tables;

nr_result nr_imp2_tables_init(nr_imp2_tables *tb, const nr_imp2_hparams *hp);
/* The transient's mip levels from the wavetables trans (NT, TL): a voice may then be tuned. */
nr_result nr_imp2_tables_mip_init(nr_imp2_tables *tb, const nr_imp2_hparams *hp, const float *trans);
void nr_imp2_tables_free(nr_imp2_tables *tb);
/* Envelope position of frequency f: lower band *b and upper weight (linear in log2 f, flat beyond). */
float nr_imp2_env_pos(const nr_imp2_tables *tb, float f, int *b);
/* The same in two steps: f's position in bands before clamping, then a position's lower band and weight. */
float nr_imp2_env_u(const nr_imp2_tables *tb, float f);
float nr_imp2_env_at(const nr_imp2_tables *tb, float u, int *b);

/* Head output o (O) + f0s -> q (Q). Backward accumulates dout (O) from dq (Q); exact except that the
 * frequency entries of q carry whatever the synthesis put there (the surrogate). */
void nr_imp2_params_forward(const nr_imp2_hparams *hp, const nr_imp2_tables *tb, const float *o, float f0s,
                            float *q);
/* The transient tables end in a raised-cosine fade over their last TRANS_FADE samples (at most half the
 * table), applied in synthesis and in its gradient: a learned table need not decay to zero by its last
 * sample, and one that is cut there steps at 2048 samples (42.7 ms), a broadband click. */
#define NR_IMP2_TRANS_FADE 480
static inline float nr_imp2_trans_fade(int i, int TL)
{
    int F = TL / 2 < NR_IMP2_TRANS_FADE ? TL / 2 : NR_IMP2_TRANS_FADE, m = i - (TL - F) + 1;
    if (m <= 0) return 1.0f;
    return m >= F ? 0.0f : 0.5f * (1.0f + cosf(3.14159265f * (float)m / (float)F));
}

/* Tune one frame's q by ratio, as a sampler plays a sample at another key: every partial's frequency
 * (and f0s) x ratio, with the amplitude taper of its new frequency (a partial moved past TAPER_HI is
 * silent). Audio-thread safe. */
void nr_imp2_params_tune(const nr_imp2_hparams *hp, float ratio, float *q);
void nr_imp2_params_backward(const nr_imp2_hparams *hp, const nr_imp2_tables *tb, float *dout, const float *dq,
                             const float *o, float f0s);
/* Initial head biases (quiet noise, inharmonic ratios of free-bar and membrane modes). */
void nr_imp2_init_head_bias(const nr_imp2_hparams *hp, float *head_b);

/* Per-voice synthesis state. */
typedef struct {
    int P;
    float *osc_c, *osc_s, *osc_cw, *osc_sw; /* (P) rotators, as nr-impact-1 */
    float *spec;   /* (NFFT + 2) this frame's noise spectrum (complex, the inverse FFT's input) */
    float *noise;  /* (NFFT) this frame's windowed noise chunk, the first NOISE_LEN samples used */
    float *tail;   /* (HOP) the second half of the previous chunk, windowed */
    uint64_t rng;
    int no_noise;
    long sample, frame;
    /* tuning (nr_imp2_synth_tune): the noise envelope and the transient move by ratio; tuned is set
     * once any frame was, and from then on the transient is read at tpos, ratio samples per sample */
    float ratio;
    int tuned;
    double tpos;
    const nr_imp2_mip *mip; /* the model's transient levels, or NULL (the tables as they are) */
} nr_imp2_synth_state;

size_t nr_imp2_synth_state_floats(const nr_imp2_hparams *hp);
void nr_imp2_synth_state_carve(nr_imp2_synth_state *st, const nr_imp2_hparams *hp, float *mem);
void nr_imp2_synth_reset(nr_imp2_synth_state *st, uint64_t seed, int no_noise);
/* The next frame's tuning (ratio > 0; 1 = none), before nr_imp2_synth_begin_frame. */
void nr_imp2_synth_tune(nr_imp2_synth_state *st, float ratio);
/* Frame t: rotations from q's frequencies, and this frame's noise chunk (draws from the RNG, one FFT). */
void nr_imp2_synth_begin_frame(nr_imp2_synth_state *st, const nr_imp2_hparams *hp, const nr_imp2_tables *tb,
                               const float *q);
void nr_imp2_synth_render(nr_imp2_synth_state *st, const nr_imp2_hparams *hp, const nr_imp_weights *w,
                          const float *q_prev, const float *q_cur, const float *q0, int j0, int j1, float *out);
void nr_imp2_synth_render_ref(nr_imp2_synth_state *st, const nr_imp2_hparams *hp, const nr_imp_weights *w,
                              const float *q_prev, const float *q_cur, const float *q0, int j0, int j1, float *out);

/* The gradient of the loss with respect to the partials' frequencies (the entries P..2P-1 of q):
 * LOCAL, the instantaneous-frequency surrogate dL/dw_t = sum_{n in frame t} dy(n) a(n) cos(phi(n))
 *   (j - hop/2): a frequency change centred on frame t that leaves the other frames alone. It is the
 *   true derivative of a magnitude loss whose windows are the synthesis frames, but a window across a
 *   frame boundary sees the phase step it implies: under overlapping windows it can point the wrong way
 *   (tests/test_impact2.c measures both);
 * EXACT, the derivative of the phase-continuous oscillator: (j + 1) within frame t and hop for every
 *   later sample (each later phase moves by hop dw), checked by finite differences. It also carries
 *   every later phase relation between partials, which makes it a poor guide at larger steps; the
 *   trainer uses LOCAL. */
typedef enum { NR_IMP2_FREQ_EXACT = 0, NR_IMP2_FREQ_LOCAL = 1 } nr_imp2_freq_grad;

/* Whole sound for training: q (T, Q) -> y (T * hop). Backward: dq (T, Q) and dtrans (NT, TL) accumulate
 * from dy (T * hop), the frequencies' as `mode` says. fft_buf: NFFT + 2 floats, 64-byte aligned. */
void nr_imp2_synth_forward(const nr_imp2_hparams *hp, const nr_imp_weights *w, const nr_imp2_tables *tb,
                           nr_imp2_synth_state *st, uint64_t seed, int no_noise, const float *q, int T, float *y);
void nr_imp2_synth_backward(const nr_imp2_hparams *hp, const nr_imp_weights *w, const nr_imp2_tables *tb,
                            nr_imp2_synth_state *st, uint64_t seed, int no_noise, const float *q, int T,
                            const float *dy, float *dq, float *dtrans, float *fft_buf, nr_imp2_freq_grad mode);

#endif

/* Internal: nr-impact-1, the project's own light impact model, shared by the voice (impact_model.c)
 * and the trainer (src/train/).
 *
 * Frame-rate network (100 frames/s at 48 kHz, hop 480), causal:
 *   x_t   (N_IN)  = normalised descriptors (log for rms, flatness and the Hz columns) + onset clock
 *   h1    (H)     = tanh(conv0(x))                 causal conv, K taps, dilation 1
 *   h_l+1 (H)     = h_l + tanh(conv_l(h_l))         l = 1..L-1, dilation 2^l
 *   o_t   (O)     = head(h_L)                      1x1
 * Synthesis at 48 kHz from o_t, amplitudes ramped linearly across each frame from frame t-1 to t:
 *   NH harmonics of f0 (softmax distribution x overall amplitude, none above NR_IMP_FMAX),
 *   NI inharmonic partials at fixed ratios of f0, NB band-pass noise bands of seeded white noise,
 *   NT transient wavetables of TL samples mixed by the gains of frame 0.
 * Everything is a sum of fixed basis signals times learned gains, so the gradient of the audio with
 * respect to the gains is the basis signal itself (recomputed, never stored). */
#ifndef NR_IMPACT_H
#define NR_IMPACT_H

#include "nr/tensors.h"

#define NR_IMP_ARCH "nr-impact-1"
#define NR_IMP_RATE 48000
#define NR_IMP_HOP 480
#define NR_IMP_N_IN (NR_NUM_DESC + 1) /* descriptors + onset clock */
#define NR_IMP_MAX_LAYERS 8
#define NR_IMP_FMAX 20000.0f /* no partial at or above this (band limit below Nyquist) */
#define NR_IMP_F0_MIN 20.0f
#define NR_IMP_F0_MAX 5000.0f
#define NR_IMP_LANES 8 /* partials and bands are padded to a multiple of this (SIMD width) */

typedef struct {
    int hidden;   /* H */
    int layers;   /* L causal conv layers, dilations 1, 2, 4, ... */
    int taps;     /* K */
    int n_harm;   /* NH */
    int n_inharm; /* NI */
    int n_bands;  /* NB */
    int n_trans;  /* NT */
    int trans_len; /* TL samples */
    float band_lo, band_hi, band_q; /* noise band centres, log-spaced, Hz; resonance */
} nr_imp_hparams;

nr_imp_hparams nr_imp_hparams_default(void);
/* Checks ranges; message names `what`. */
nr_result nr_imp_hparams_check(const nr_imp_hparams *hp, const char *what);

/* Derived sizes. */
int nr_imp_n_out(const nr_imp_hparams *hp);      /* O = 1 + NH + NI + NB + NT */
int nr_imp_n_partials(const nr_imp_hparams *hp); /* NH + NI padded to NR_IMP_LANES */
int nr_imp_n_bands_pad(const nr_imp_hparams *hp);
int nr_imp_dilation(int layer);
int nr_imp_receptive(const nr_imp_hparams *hp, int layer); /* (K-1)*dilation frames of history */

/* The trainable and fixed tensors, pointers into a tensor set (model) or a parameter block (trainer).
 * The table below gives names, shapes and the order of the trainer's parameter block. */
typedef struct {
    const float *desc_mean, *desc_std; /* (7), (7) in the transformed (log) domain; fixed */
    const float *conv_w[NR_IMP_MAX_LAYERS]; /* (H, K, C_in): C_in = N_IN for layer 0, else H */
    const float *conv_b[NR_IMP_MAX_LAYERS]; /* (H) */
    const float *head_w; /* (O, H) */
    const float *head_b; /* (O) */
    const float *ratios; /* (NI) inharmonic partial frequencies / f0; fixed */
    const float *trans;  /* (NT, TL) transient wavetables */
} nr_imp_weights;

/* Writable view with the same layout (gradients, trainer parameters). */
typedef struct {
    float *desc_mean, *desc_std, *conv_w[NR_IMP_MAX_LAYERS], *conv_b[NR_IMP_MAX_LAYERS], *head_w, *head_b,
        *ratios, *trans;
} nr_imp_weights_rw;

#define NR_IMP_MAX_TENSORS (2 * NR_IMP_MAX_LAYERS + 6)
typedef struct {
    char name[32];
    int ndim;
    int64_t shape[3];
    int64_t numel;
    int trainable;
} nr_imp_tensor_desc;

/* Fills the table (returns the count) in parameter-block order. */
int nr_imp_tensor_table(const nr_imp_hparams *hp, nr_imp_tensor_desc *out);
/* Points a view at a contiguous block laid out in table order. */
void nr_imp_weights_carve(const nr_imp_hparams *hp, float *block, nr_imp_weights_rw *w);
int64_t nr_imp_n_values(const nr_imp_hparams *hp, int trainable_only);
/* The same from any architecture's table (nr-impact-2's too): the view's tensors by name. */
void nr_imp_table_carve(const nr_imp_tensor_desc *t, int n, float *block, nr_imp_weights_rw *w);
int64_t nr_imp_table_n_values(const nr_imp_tensor_desc *t, int n, int trainable_only);
/* A loaded file's tensors for the table: each present, of its shape, finite; desc_std positive. Points
 * *w at them; *total = their values. `arch` names the architecture in messages. */
nr_result nr_imp_weights_bind(const nr_tensor_set *ts, const nr_imp_tensor_desc *tab, int nt, const char *arch,
                              const char *what, nr_imp_weights *w, int64_t *total);

/* Both architectures' descriptor normalisation: stored log-domain mean/std (7) -> the raw units
 * nr_model_info reports; and the nr.desc_* metadata written beside the tensors. */
void nr_imp_info_desc(const float *mean, const float *std, float *raw_mean, float *raw_std);
nr_result nr_imp_desc_meta(const float *mean, const float *std, nr_tensor_set *ts);

/* A model file's hyper-parameter keys: each an int or a float at offset off of the hyper-parameter struct;
 * an optional one may be missing (its field keeps what the caller set). */
typedef struct {
    const char *key;
    size_t off;
    int is_float;
    int optional;
} nr_imp_meta_key;
#define NR_IMP_META_KEEP_ALL ((size_t)-1)
/* Read the n keys into hp: a missing required key, a value that is not a finite number, or a non-whole
 * number for an int fails with a message naming `what`, the key and `arch`. */
nr_result nr_imp_meta_read(const nr_tensor_set *ts, const nr_imp_meta_key *keys, size_t n, void *hp,
                           const char *arch, const char *what);
/* Write the n keys of hp (%.9g floats, ints); the key at offset skip_off (NR_IMP_META_KEEP_ALL: none) is
 * removed from ts instead. */
nr_result nr_imp_meta_write(const void *hp, const nr_imp_meta_key *keys, size_t n, size_t skip_off, nr_tensor_set *ts);
/* Hyper-parameters <-> metadata strings ("impact.hidden", ...). */
nr_result nr_imp_hparams_from_meta(const nr_tensor_set *ts, nr_imp_hparams *hp, const char *what);
nr_result nr_imp_hparams_to_meta(const nr_imp_hparams *hp, nr_tensor_set *ts);

/* ---- frame-rate pieces ---- */

/* Raw descriptor frame -> network input (N_IN); clamps non-finite and absurd values. */
void nr_imp_features(const nr_imp_weights *w, const float desc[NR_NUM_DESC], long frame, float *x);
/* The raw transform before normalisation (log columns), used to compute desc_mean/desc_std. */
void nr_imp_desc_transform(const float desc[NR_NUM_DESC], float *v);
/* Clamped f0 for synthesis from a raw frame. */
float nr_imp_f0(const float desc[NR_NUM_DESC]);

/* Causal dilated conv over T frames, time-major. y[t,o] = b[o] + sum_{k,i} w[o,k,i] x[t-(K-1-k)d, i].
 * x (T, C_in), w (C_out, K, C_in), b (C_out), y (T, C_out). Frames before 0 are zero. */
void nr_imp_conv_forward(float *y, const float *x, const float *w, const float *b, int T, int C_in, int C_out,
                         int K, int d);
void nr_imp_conv_forward_ref(float *y, const float *x, const float *w, const float *b, int T, int C_in,
                             int C_out, int K, int d);
/* Accumulates into dx (T, C_in), dw (C_out, K, C_in), db (C_out) from dy (T, C_out). */
void nr_imp_conv_backward(float *dx, float *dw, float *db, const float *dy, const float *x, const float *w, int T,
                          int C_in, int C_out, int K, int d);
void nr_imp_conv_backward_ref(float *dx, float *dw, float *db, const float *dy, const float *x, const float *w,
                              int T, int C_in, int C_out, int K, int d);
/* y = tanh(x), n values; backward accumulates dx += dy * (1 - y^2). */
void nr_imp_tanh_forward(float *y, const float *x, long n);
void nr_imp_tanh_backward(float *dx, const float *dy, const float *y, long n);

/* Network output o (O) of one frame + f0 -> synthesis parameters q (Q = P + NBP + NT + 1):
 * partial amplitudes (P, zero for padding and above NR_IMP_FMAX), band gains (NBP), transient gains
 * (NT), f0 (1). */
int nr_imp_n_q(const nr_imp_hparams *hp);
void nr_imp_params_forward(const nr_imp_hparams *hp, const nr_imp_weights *w, const float *o, float f0, float *q);
/* do (O) accumulates from dq (Q); o is the forward input. */
void nr_imp_params_backward(const nr_imp_hparams *hp, const nr_imp_weights *w, float *dout, const float *dq,
                            const float *o, float f0);
/* exp_sigmoid(x) = 2 sigmoid(x)^ln(10) + 1e-7: a positive gain with a gentle log-like slope. */
float nr_imp_exp_sigmoid(float x);
/* y (n) = nr_imp_exp_sigmoid(x) (n), the same to the bit, eight at a time */
void nr_imp_exp_sigmoid_n(float *y, const float *x, int n);
float nr_imp_exp_sigmoid_grad(float x);

/* ---- the network one frame at a time (the voices of nr-impact-1 and nr-impact-2) ---- */

typedef struct {
    int hidden, layers, taps, n_out;
} nr_imp_net_dims;
nr_imp_net_dims nr_imp_net_dims_of(const nr_imp_hparams *hp);

typedef struct {
    nr_imp_net_dims d;
    float *ring[NR_IMP_MAX_LAYERS]; /* (R_l, C_in) past inputs of layer l, R_l = (K-1) d_l + 1 */
    int ring_len[NR_IMP_MAX_LAYERS];
    float *u;    /* (K * max C_in) gathered taps */
    float *h, *a; /* (H) layer input / output */
    float *x;    /* (N_IN) */
} nr_imp_net_stream;

size_t nr_imp_net_stream_floats(const nr_imp_net_dims *d);
/* Points the stream at mem (nr_imp_net_stream_floats floats, 64-byte aligned). */
void nr_imp_net_stream_carve(nr_imp_net_stream *s, const nr_imp_net_dims *d, float *mem);
void nr_imp_net_stream_reset(nr_imp_net_stream *s);
/* Frame `frame` (0, 1, ... in order): raw descriptors -> head output o (n_out); the same gather +
 * matvec as nr_imp_conv_forward, so equal to the training forward pass to the bit. Audio-thread safe. */
void nr_imp_net_stream_step(nr_imp_net_stream *s, const nr_imp_weights *w, const float desc[NR_NUM_DESC],
                            long frame, float *o);

/* ---- the voices' frame queue (both light models) ---- */

/* Raw frames pushed ahead of the audio, taken one per hop by process. */
#define NR_IMP_QUEUE_CAP 256
typedef struct {
    float frames[NR_IMP_QUEUE_CAP][NR_NUM_DESC];
    float voct[NR_IMP_QUEUE_CAP]; /* each frame's transposition, octaves (nr_voice_push_frame_tuned) */
    float cur_voct;               /* the transposition of the frame nr_imp_queue_next gave last */
    int head, count;
    int j;     /* sample within the current frame (NR_IMP_HOP: frame done, the next one is due) */
    int ended; /* no more frames will come */
} nr_imp_frame_queue;

void nr_imp_queue_reset(nr_imp_frame_queue *q);
int nr_imp_queue_push(nr_imp_frame_queue *q, const float desc[NR_NUM_DESC]); /* 0 when full or ended */
int nr_imp_queue_push_tuned(nr_imp_frame_queue *q, const float desc[NR_NUM_DESC], float voct);
long nr_imp_queue_available(const nr_imp_frame_queue *q); /* samples that can be rendered now */
int nr_imp_queue_finished(const nr_imp_frame_queue *q);
/* The next frame when the current one is done (its samples start: j = 0), else NULL. */
const float *nr_imp_queue_next(nr_imp_frame_queue *q);

/* ---- sample-rate synthesis ---- */

/* Oscillator, noise and transient state of one sounding impact (P partials, NBP bands). */
typedef struct {
    int P, NBP;
    float *osc_c, *osc_s;   /* (P) rotator state: cos, sin of each partial's phase */
    float *osc_cw, *osc_sw; /* (P) per-sample rotation of the current frame */
    float *band_z1, *band_z2; /* (NBP) biquad state (transposed direct form II) */
    uint64_t rng;
    int no_noise;
    long sample; /* samples produced since the onset */
} nr_imp_synth_state;

/* Fixed band-pass coefficients (b0, b2 = -b0, a1, a2) and output normalisation, from the hparams. */
typedef struct {
    int NBP;
    float *b0, *a1, *a2, *norm; /* (NBP) */
} nr_imp_bands;

nr_result nr_imp_bands_init(nr_imp_bands *bands, const nr_imp_hparams *hp);
void nr_imp_bands_free(nr_imp_bands *bands);

size_t nr_imp_synth_state_floats(const nr_imp_hparams *hp);
/* Points the state at `mem` (nr_imp_synth_state_floats floats, 64-byte aligned). */
void nr_imp_synth_state_carve(nr_imp_synth_state *st, const nr_imp_hparams *hp, float *mem);
void nr_imp_synth_reset(nr_imp_synth_state *st, uint64_t seed, int no_noise);

/* Sets the rotation of frame t from q (its f0 and partial frequencies); renormalises the rotators. */
void nr_imp_synth_begin_frame(nr_imp_synth_state *st, const nr_imp_hparams *hp, const nr_imp_weights *w,
                              const float *q);
/* Adds samples j0..j1-1 of the current frame to out (j within the frame, 0..hop), amplitudes ramped
 * from q_prev to q_cur. Transient uses gains of q0 (frame 0's parameters). */
void nr_imp_synth_render(nr_imp_synth_state *st, const nr_imp_hparams *hp, const nr_imp_weights *w,
                         const nr_imp_bands *bands, const float *q_prev, const float *q_cur, const float *q0,
                         int j0, int j1, float *out);
void nr_imp_synth_render_ref(nr_imp_synth_state *st, const nr_imp_hparams *hp, const nr_imp_weights *w,
                             const nr_imp_bands *bands, const float *q_prev, const float *q_cur, const float *q0,
                             int j0, int j1, float *out);

/* Whole-sound synthesis for training: q (T, Q) -> y (T*hop). Backward: dq (T, Q) and dtrans (NT, TL)
 * accumulate from dy (T*hop), recomputing the basis signals from the same seed. */
void nr_imp_synth_forward(const nr_imp_hparams *hp, const nr_imp_weights *w, const nr_imp_bands *bands,
                          nr_imp_synth_state *st, uint64_t seed, int no_noise, const float *q, int T, float *y);
void nr_imp_synth_backward(const nr_imp_hparams *hp, const nr_imp_weights *w, const nr_imp_bands *bands,
                           nr_imp_synth_state *st, uint64_t seed, int no_noise, const float *q, int T,
                           const float *dy, float *dq, float *dtrans);

/* Uniform white noise in [-sqrt 3, sqrt 3] (unit variance) from a xorshift64* state. */
static inline float nr_imp_noise(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    uint32_t r = (uint32_t)((x * 0x2545F4914F6CDD1DULL) >> 40); /* 24 bits */
    return ((float)r * (1.0f / 8388608.0f) - 1.0f) * 1.7320508f;
}
uint64_t nr_imp_seed_mix(uint64_t seed);

#endif

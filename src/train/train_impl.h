/* Internal pieces of the nr-impact-1 trainer: STFT loss, whole-clip forward/backward, data, Adam,
 * checkpoints. */
#ifndef NR_TRAIN_IMPL_H
#define NR_TRAIN_IMPL_H

#include "models/impact.h"
#include "models/impact2.h"
#include "nr/model.h"
#include "nr/train.h"

/* ---- multi-resolution STFT loss ---- */

#define NR_STFT_MAX_RES 8
typedef struct {
    int n_res;
    int size[NR_STFT_MAX_RES]; /* FFT sizes; hop = size / 4; periodic Hann normalised to sum 1 */
    void *fwd[NR_STFT_MAX_RES], *inv[NR_STFT_MAX_RES]; /* fftw_plan */
    double *win[NR_STFT_MAX_RES];
    int max_size;
    /* Octave-band level term (0: off): band_weight times the mean over the octave bands 44 * 2^b Hz
     * (b = 0..NR_BAND_N - 1, the last one up to Nyquist) where the target is within 60 dB of its loudest
     * band, of |dB(render band power) - dB(target band power)|, whole-clip powers summed over the frames
     * of the first resolution: the band level error of `neurorack eval`, at the training rate. */
    double band_weight;
    int band_rate; /* sample rate (Hz) the band edges and the click term's bands are placed at */
    /* Treble-peak (click) term (0: off), at the resolution nearest eval's click frames (11.6 ms): per
     * frame, e = dB of the power from NR_CLICK_LO_HZ to NR_CLICK_HI_HZ and a = e minus its running median
     * over NR_CLICK_MEDIAN frames (centred, edges repeated), for render and target. In frames where the
     * render's e is within 60 dB of the target's loudest whole frame (to NR_CLICK_HI_HZ), a render peak
     * over tau = max(a_target + NR_CLICK_SLACK_DB, NR_CLICK_FREE_DB) costs click_weight x ((a - tau) / 10)^2,
     * summed over the frames: treble bursts the target does not have (eval's excess clicks, whose
     * threshold is 10 dB) are pushed down; the target's own are free. */
    double click_weight;
    /* the floor added to both magnitudes in the log term (nr_stft_loss_init: NR_STFT_LOG_EPS); the loss's
     * curvature near quiet bins grows as 1 / log_eps^2 */
    double log_eps;
} nr_stft_loss;
#define NR_STFT_LOG_EPS 1e-5
#define NR_CLICK_LO_HZ 3000.0
#define NR_CLICK_HI_HZ 11025.0
#define NR_CLICK_MEDIAN 33
#define NR_CLICK_SLACK_DB 1.0
#define NR_CLICK_FREE_DB 6.0
#define NR_BAND_N 9          /* octaves from 44 Hz: 8 measured by eval (to 11264 Hz) and the top one */
#define NR_BAND_LO 44.0      /* Hz, the lowest band's lower edge */
#define NR_BAND_RANGE_DB 60.0 /* bands quieter than the target's loudest by more are left out */

/* Plans are made here (not thread-safe); evaluation with separate workspaces is. */
nr_result nr_stft_loss_init(nr_stft_loss *L, const int *sizes, int n_res);
void nr_stft_loss_free(nr_stft_loss *L);
size_t nr_stft_work_doubles(const nr_stft_loss *L, long max_n); /* for signals up to max_n samples */
/* Loss of prediction y against target x (both n samples):
 *   mean over resolutions of  ||Sy - Sx||_F / ||Sx||_F  +  mean |log(Sy + log_eps) - log(Sx + log_eps)|
 *   + the band level term (band_weight, above) + the click term (click_weight, above)
 * If dy is not NULL, dL/dy is added to it (n). work: nr_stft_work_doubles(L, >= n) doubles, 64-byte aligned. */
double nr_stft_loss_eval(const nr_stft_loss *L, const float *y, const float *x, long n, float *dy, double *work);
/* The click term alone (0 when click_weight is 0): for clips whose curves were moved, where x is no target
 * for the spectrum but its own treble bursts are still the allowance for the render's. */
double nr_stft_click_eval(const nr_stft_loss *L, const float *y, const float *x, long n, float *dy, double *work);

/* ---- descriptor losses (src/train/desc_loss.c) ---- */

/* Differentiable surrogates of the 7 descriptors as the analysis measures them (22050 Hz, 2048-sample
 * frames): a window as long as the analysis frame centred on each model frame, bins up to 11025 Hz.
 * Plans and windows, made once (not thread-safe), used by many threads with separate work buffers. */
typedef struct nr_desc_losses nr_desc_losses;
nr_result nr_desc_losses_init(nr_desc_losses **D, int rate, int hop);
void nr_desc_losses_free(nr_desc_losses *D);
size_t nr_desc_losses_work_doubles(const nr_desc_losses *D, long max_n);
/* Sum over descriptors of weights[d] x mean over loud frames of (v_d(y) - v_d(target))^2, v in the model's
 * normalised space: (transform(x) - norm_mean[d]) / norm_std[d], transform = log for all columns but zcr
 * (see nr_imp_desc_transform; here made smooth at its floor). The pitch term is the squared difference of
 * the yin-style normalised difference at the pitch curve's period between y and ref, or, with ref NULL
 * (perturbed curves have no audio), a target periodicity read from the curves (nr_desc_pitch_target).
 * Loud frames: target rms within 60 dB of the clip's loudest target frame.
 * desc: (T, 7) target raw curves; ref: target audio (n = T * hop) or NULL. dy (n) accumulates gscale x dL/dy
 * if not NULL. per_desc (7) receives each unweighted term if not NULL. work: nr_desc_losses_work_doubles
 * doubles, 64-byte aligned. rate and hop must be the ones given to init (else NaN). Returns the weighted sum. */
double nr_desc_losses_eval(const nr_desc_losses *D, const float *y, long n, const float *desc, const float *ref, int T,
                           int hop, int rate, const float *norm_mean, const float *norm_std,
                           const float weights[NR_NUM_DESC], float *dy, double gscale, double *work,
                           double per_desc[NR_NUM_DESC]);
/* The six spectral surrogates (raw units: rms, zcr, roll-off Hz, flatness, bandwidth Hz, centroid Hz; x[6]
 * = 0) of the frame of y (n samples) centred on sample `centre`. For checks against the analysis. */
void nr_desc_losses_frame(const nr_desc_losses *D, const float *y, long n, long centre, double *work,
                          double x[NR_NUM_DESC]);
/* The normalised difference at the period that a frame with these raw curves should have, without audio. */
double nr_desc_pitch_target(const float d[NR_NUM_DESC]);

/* Weights of the descriptor losses added to the STFT loss (0: off), indexed as the descriptors. */
typedef struct {
    float desc[NR_NUM_DESC];
    /* 1: the clip's curves were moved, so its audio is no target for the spectrum (nor the pitch term);
     * it only bounds the render's clicks (nr_stft_click_eval) */
    int moved;
} nr_loss_weights;

/* ---- one clip through network + synthesis, forward and backward ---- */

typedef struct {
    const nr_imp_hparams *hp;       /* nr-impact-1 (NULL for nr-impact-2) */
    const nr_imp_bands *bands;
    const nr_imp2_hparams *hp2;     /* nr-impact-2 (NULL for nr-impact-1) */
    const nr_imp2_tables *tb2;
    nr_imp_net_dims net;
    int T_max, Q;
    /* activations, carved from one block by nr_imp_work_carve */
    float *x;              /* (T, N_IN) */
    float *z[NR_IMP_MAX_LAYERS]; /* (T, H) tanh outputs */
    float *h[NR_IMP_MAX_LAYERS]; /* (T, H) residual stream after layer l */
    float *o;              /* (T, O) */
    float *q;              /* (T, Q) */
    float *y;              /* (T * hop) */
    float *dh, *dh2, *da;  /* (T, H) */
    float *dout;           /* (T, O) */
    float *dq;             /* (T, Q) */
    float *dy;             /* (T * hop) */
    float *syn_mem;        /* synthesis state */
    float *desc_buf;       /* (T, 7) perturbed curves */
    float *f0s;            /* (T) nr-impact-2's pitch conditioning */
    float *fft_buf;        /* (NFFT + 16) nr-impact-2's noise backward */
    nr_imp2_freq_grad freq_grad; /* nr-impact-2's frequency gradient: LOCAL (set by nr_imp2_work_init) */
    double *stft_work;
    double *desc_work;     /* nr_desc_losses_work_doubles */
    double terms[NR_NUM_DESC]; /* the last nr_imp_loss_grad's unweighted descriptor terms */
    void *block;
} nr_imp_work;

/* The shared part: activations of the network (dims), Q synthesis parameters per frame, syn_floats of
 * synthesis state, and with_fft nr-impact-2's buffers. D: the descriptor losses the work will serve, or
 * NULL. */
nr_result nr_imp_work_init_dims(nr_imp_work *wk, const nr_imp_net_dims *net, int Q, size_t syn_floats, int with_fft,
                                const nr_stft_loss *L, const nr_desc_losses *D, int T_max);
/* The conv stack and head, shared by both architectures: desc (T, 7) -> wk->o (T, O); backward from
 * wk->dout (T, O) into g's conv and head gradients. */
void nr_imp_net_forward(nr_imp_work *wk, const nr_imp_weights *w, const float *desc, int T);
void nr_imp_net_backward(nr_imp_work *wk, const nr_imp_weights *w, const nr_imp_weights_rw *g, int T);
/* The training loss of wk->y (T * hop) in one place for every architecture: STFT loss against target
 * (NULL: none) + the descriptor losses weighted by lw (D or lw NULL: none; normalised by w's
 * desc_mean/desc_std), their unweighted terms in wk->terms; with grad, dL/dy is written to wk->dy. */
double nr_train_loss(nr_imp_work *wk, const nr_stft_loss *L, const nr_desc_losses *D, const nr_loss_weights *lw,
                     const nr_imp_weights *w, const float *desc, const float *target, int T, int grad);

/* ---- nr-impact-2 (src/train/impact2_grad.c), the same shapes of call as nr-impact-1's ---- */
nr_result nr_imp2_work_init(nr_imp_work *wk, const nr_imp2_hparams *hp, const nr_imp2_tables *tb,
                            const nr_stft_loss *L, const nr_desc_losses *D, int T_max);
void nr_imp2_forward(nr_imp_work *wk, const nr_imp_weights *w, const float *desc, int T, uint64_t seed);
void nr_imp2_backward(nr_imp_work *wk, const nr_imp_weights *w, const nr_imp_weights_rw *g, int T, uint64_t seed);
double nr_imp2_loss_grad(nr_imp_work *wk, const nr_stft_loss *L, const nr_desc_losses *D, const nr_loss_weights *lw,
                         const nr_imp_weights *w, const nr_imp_weights_rw *g, const float *desc, const float *target,
                         int T, uint64_t seed);
void nr_imp2_init_weights(const nr_imp2_hparams *hp, const nr_imp_weights_rw *w, uint64_t seed, const float *mean,
                          const float *std);
nr_result nr_imp2_model_from_block(const nr_imp2_hparams *hp, const float *block, nr_model **out);

nr_result nr_imp_work_init(nr_imp_work *wk, const nr_imp_hparams *hp, const nr_imp_bands *bands,
                           const nr_stft_loss *L, const nr_desc_losses *D, int T_max);
void nr_imp_work_free(nr_imp_work *wk);

/* Network + synthesis: desc (T, 7) raw -> wk->y (T*hop). */
void nr_imp_forward(nr_imp_work *wk, const nr_imp_weights *w, const float *desc, int T, uint64_t seed);
/* Gradients of the loss whose dL/dy is in wk->dy, accumulated into g (same layout as the weights). */
void nr_imp_backward(nr_imp_work *wk, const nr_imp_weights *w, const nr_imp_weights_rw *g, const float *desc, int T,
                     uint64_t seed);
/* forward, then the loss: STFT loss against target (T*hop samples; NULL: none) + the descriptor losses
 * weighted by lw (D or lw NULL: none; the normalisation is the weights' desc_mean/desc_std), their terms in
 * wk->terms. If g is not NULL the backward. Returns the loss. */
double nr_imp_loss_grad(nr_imp_work *wk, const nr_stft_loss *L, const nr_desc_losses *D, const nr_loss_weights *lw,
                        const nr_imp_weights *w, const nr_imp_weights_rw *g, const float *desc, const float *target,
                        int T, uint64_t seed);

/* Fresh weights: small random conv/head, gains starting quiet, noise-burst transients, the inharmonic
 * ratios of a free bar and a membrane, and the given descriptor normalisation. */
void nr_imp_init_weights(const nr_imp_hparams *hp, const nr_imp_weights_rw *w, uint64_t seed, const float *mean,
                         const float *std);
/* A model (generic API) holding a copy of a parameter block laid out as nr_imp_weights_carve. */
nr_result nr_imp_model_from_block(const nr_imp_hparams *hp, const float *block, nr_model **out);

/* ---- data ---- */

typedef struct {
    char *name;
    float *audio;  /* (n_frames * hop) 48 kHz mono, from the onset, zero-padded to whole frames */
    float *desc;   /* (n_frames, 7) raw descriptors at 100 frames/s */
    int n_frames;
} nr_train_clip;

typedef struct {
    nr_train_clip *train, *valid;
    int n_train, n_valid, n_skipped;
} nr_train_data;

/* "synthetic:N" or a manifest; clips cut to max_frames. Bad clips are reported on stderr and skipped.
 * settle_onset: a manifest's curves get nr_curves_settle_onset_pitch before they go to 100 frames/s (what
 * an NR_IMP2_ONSET_SETTLED model is played with); synthetic curves have no onset error to settle. */
nr_result nr_train_data_load(const char *spec, int max_frames, uint64_t seed, int settle_onset, nr_train_data *d);
void nr_train_data_free(nr_train_data *d);
/* Clips of a dataset manifest (the 'train' and 'valid' splits), 48 kHz audio with its curves resampled
 * to 100 frames/s; unreadable, silent or non-finite clips are reported on stderr and counted. */
nr_result nr_train_data_manifest(const char *path, int max_frames, int settle_onset, nr_train_data *d);
/* N synthetic impacts (harmonic + inharmonic partials, noise burst, click) with rough curves. */
nr_result nr_train_data_synthetic(int n, int max_frames, uint64_t seed, nr_train_data *d);
/* Rough descriptors at 100 frames/s of a 48 kHz clip, for synthetic data only (the dataset uses
 * nr_analyze). desc: (n_frames, 7). */
void nr_train_rough_desc(const float *audio, int n_frames, float f0, float *desc);
/* Checks a clip (finite, not silent); returns a reason or NULL. */
const char *nr_train_clip_problem(const nr_train_clip *c);

/* ---- optimiser and checkpoints ---- */

typedef struct {
    float lr, beta1, beta2, eps, clip_norm;
} nr_adam_config;
/* One Adam step on n values with bias correction at step t (1-based). Returns the gradient norm. */
double nr_adam_step(const nr_adam_config *c, float *p, const float *g, float *m, float *v, long n, long t, float lr);

/* Architectures the trainer knows (a checkpoint records which). */
typedef enum { NR_TRAIN_IMPACT1 = 0, NR_TRAIN_IMPACT2 = 1 } nr_train_arch_id;

typedef struct {
    nr_imp_hparams hp; /* nr-impact-1's */
    uint64_t seed;
    long step;
    int64_t n_values, n_trainable;
    float *params; /* (n_values) */
    float *m, *v;  /* (n_trainable) Adam moments */
    nr_train_arch_id arch;
    nr_imp2_hparams hp2; /* nr-impact-2's */
} nr_checkpoint;

/* Atomic: temp file, fsync, rename, fsync of the folder. A CRC-32 covers the whole file. The magic names
 * the architecture ("NRIMPCK" nr-impact-1, "NRIM2CK" nr-impact-2). */
nr_result nr_checkpoint_write(const char *path, const nr_checkpoint *c);
/* Reads into caller-sized buffers; the hyper-parameters and sizes must match c's. */
nr_result nr_checkpoint_read(const char *path, nr_checkpoint *c);

/* The architecture, hyper-parameters, seed, step and sizes of a checkpoint, from its header alone. */
nr_result nr_checkpoint_peek(const char *path, nr_checkpoint *c);

uint64_t nr_train_hash(uint64_t a, uint64_t b, uint64_t c);

#endif

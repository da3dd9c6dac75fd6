/* Training the project's own light models (nr-impact-2, the default, or nr-impact-1) on one-shot impacts. Not audio-thread safe.
 *
 * Data: a dataset manifest (nr/dataset.h, when built) or "synthetic:N", N impacts generated in C
 * (for tests and smoke runs). Adam on a multi-resolution STFT loss; the batch is split over threads
 * with one gradient buffer per example, summed in example order, so a run is the same for a given
 * seed whatever the thread count. Checkpoints are written atomically and resume exactly. */
#ifndef NR_TRAIN_H
#define NR_TRAIN_H

#include "nr/core.h"
#include "nr/latent.h"
#include "nr/model.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    const char *arch;       /* "nr-impact-2" (NULL: the default) or "nr-impact-1" */
    const char *data;       /* manifest path, or "synthetic:N" */
    const char *out;        /* model file to write at the end (.safetensors), with templates picked from
                               `data` (nr/model_templates.h); NULL: none */
    const char *checkpoint; /* checkpoint path; NULL: "<out>.ckpt" (none if out is NULL too) */
    const char *resume;     /* checkpoint to resume from; NULL: fresh start */
    long steps;             /* total optimizer steps (a resumed run continues up to this) */
    int threads;            /* 1..64 */
    uint64_t seed;
    int batch;              /* clips per step */
    float lr;               /* Adam learning rate (peak) */
    float clip_seconds;     /* clips are cut to this length from their onset */
    int checkpoint_every;   /* steps between checkpoints (0: only at the end) */
    int valid_every;        /* steps between validation passes (0: only at the start and end) */
    int progress;           /* 1: progress bar on stderr */
    int hidden, layers;     /* network size (0: defaults) */
    float desc_weight;      /* scale of all the descriptor losses (the render's descriptors vs the curves); 0: off */
    float desc_weights[NR_NUM_DESC]; /* each descriptor loss's weight, in the column order of nr/core.h (the pitch
                               entry weighs the periodicity loss: yin's difference at the pitch curve's period) */
    float perturb;          /* share of clips with one descriptor curve moved (descriptor losses only) */
    float perturb_weight;   /* on those clips, the moved descriptor's loss weight is multiplied by this */
    const char *harm_env;   /* nr-impact-2 harmonic envelope: "freq" (the default, the shipped model's) or "index" */
    const char *onset_pitch; /* nr-impact-2: "settle" (curves' onset pitch settled, nr_curves_settle_onset_pitch,
                               in training and so in playing; recorded as impact2.onset_pitch) or "raw" (yin's
                               onset values as analysed, the models before 2026-12-04). NULL: --init's own, or
                               "settle" for fresh weights */
    float inharm_lo;        /* nr-impact-2: the inharmonic partials' lowest frequency ratio, octaves relative to f0
                               (r = 2^(lo + (hi - lo) sigmoid(o)); recorded as impact2.ratio_lo). NAN: --init's
                               own, or the architecture's -1 (an octave under f0) for fresh weights */
    float inharm_floor;     /* nr-impact-2: inharmonic partials under this many octaves relative to f0 are silent
                               (faded in below it; impact2.inharm_floor). NAN: --init's own, or none for fresh
                               weights; NR_TRAIN_FLOOR_OFF: none (removes a parent's) */
    float band_weight;      /* weight of the octave-band level loss (dB, whole clip; `eval`'s band level error); 0 (default): off */
    float click_weight;     /* weight of the treble-peak loss (treble bursts the target lacks, as `eval`'s excess
                               clicks; src/train/train_impl.h); 0 (default): off */
    long stop_after;        /* stop (as if killed, after a checkpoint) at this step; 0: never */
    int stop_writes_model;  /* with stop_after: write `out` at the stop too, recording train.schedule_steps (the
                               CLI's --stop-after: the first N steps of the --steps learning-rate schedule) */
    const char *init;       /* fine-tune: a model file (.safetensors of nr-impact-2 or nr-impact-1) to start from.
                               Its architecture, sizes, harm_env, weights and descriptor normalisation are taken;
                               arch/hidden/layers/harm_env, where set, must agree (else NR_ERR_ARG). Adam starts
                               fresh; the written model records the parent (train.init, train.init_fnv1a64,
                               train.steps). NULL: fresh weights */
} nr_train_config;

/* A learning rate for fine-tuning (`train --init`): a quarter of the from-scratch peak, so the first
 * steps of a fresh Adam do not throw away what the parent learned (docs/training.md). */
#define NR_TRAIN_INIT_LR 5e-4f
#define NR_TRAIN_FLOOR_OFF NR_MODEL_NO_FLOOR /* inharm_floor: none */

nr_train_config nr_train_config_init(void);

typedef struct {
    long step;          /* steps done */
    double first_loss;  /* training loss of the first step of this run */
    double train_loss;  /* mean training loss over the last up to 20 steps */
    double valid_first; /* validation loss before training (NaN without a validation split) */
    double valid_loss;  /* validation loss at the end */
    double train_eval_first, train_eval_last; /* loss over (up to 32) training clips before and after */
    double seconds;
    int n_train, n_valid, n_skipped; /* clips used, and clips rejected as bad data */
    int64_t n_params;
} nr_train_report;

nr_result nr_train(const nr_train_config *cfg, nr_train_report *rep);

/* Write the model held by a checkpoint (e.g. of a run stopped early) to `out`; *step gets its step. */
nr_result nr_train_export(const char *checkpoint, const char *out, long *step);
/* The same, with templates picked from the data set `data` (a manifest; NULL or synthetic:N: none), as
 * nr_train does for its final model. */
nr_result nr_train_export_templates(const char *checkpoint, const char *data, const char *out, long *step);


/* ---- the latent curve model (nr/latent.h): a VAE over whole descriptor curves ---- */

typedef struct {
    const char *data;       /* manifest path, or "synthetic:N" (N generated impact curves) */
    const char *out;        /* latent model file (.safetensors) written at the end */
    const char *checkpoint; /* NULL: "<out>.ckpt" */
    const char *resume;     /* checkpoint to continue from; NULL: fresh start */
    long steps;
    uint64_t seed;
    int batch;
    float lr;
    int hidden, layers;     /* 0: defaults */
    float beta;             /* KL weight */
    long kl_warmup;         /* steps over which the KL weight rises linearly from 0 to beta; 0: none */
    float gamma, delta;     /* attribute-regularisation weight and tanh sharpness (AR-VAE) */
    float len_weight;       /* weight of the length term */
    int checkpoint_every, valid_every, progress;
    long stop_after;        /* stop (after a checkpoint) at this step; 0: never. For tests. */
} nr_latent_train_config;

nr_latent_train_config nr_latent_train_config_init(void);

/* What a latent model does on a split of clips: reconstruction (encode to the mean, decode) and its axes. */
typedef struct {
    int n_clips;
    double corr_pooled[NR_NUM_DESC]; /* correlation of decoded vs true normalised values, all loud frames pooled */
    double corr_clip[NR_NUM_DESC];   /* mean over clips (of >= 4 loud frames, both curves moving) of each clip's */
    double len_err_median;           /* median |decoded length - length| / length */
    double len_within10;             /* share of clips with that under 10 % */
    int n_points;                    /* prior points swept */
    double rho[4][4];                /* rho[r][q]: mean Spearman correlation of attribute q with axis r, swept
                                        -2..+2 in 9 steps, the other axes fixed */
    double decode_us;                /* mean time of one decode (+ its attributes), microseconds */
    double realism_test, realism_prior; /* mean distance to the nearest training clip (summary features:
                                        per-descriptor mean and spread, decay, length, onset slope;
                                        z-scored) of the test clips, and of as many prior samples */
    double realism_baseline;         /* the same for as many random training clips played as the synth's
                                        template + variation 0.5 would (offsets and stretch) */
    double realism_data;             /* the same for as many random points where the data is
                                        (nr_latent_data_draw over the training clips' encodings: the points
                                        render --latent random plays), decoded */
} nr_latent_eval;

/* Random points (render --latent random) rendered with a synthesis model: are they clean? */
#define NR_LAT_SILENT_PEAK 0.001 /* -60 dBFS: a render whose peak stays under this is silent */
#define NR_LAT_CLIP_PEAK 0.999   /* a render whose peak reaches this is clipped (full scale) */
typedef struct {
    int n;                       /* points rendered: seeds first..first + n - 1, as render --latent random --seed */
    int clicky;                  /* renders with at least one click (nr_eval_count_clicks of the render alone,
                                    as neurorack eval counts: resampled to 22050 Hz, the first 7 s) */
    long clicks;                 /* clicks in all the renders */
    int silent, clipped;         /* renders with peak < NR_LAT_SILENT_PEAK, >= NR_LAT_CLIP_PEAK */
    double peak_min, peak_median, peak_max;  /* sample peaks */
    double sec_min, sec_median, sec_max;     /* durations */
    uint64_t worst_seed;         /* the seed of the render with the most clicks (0: none clicks) */
    /* the same renders as played: through the instrument's output stage (nr_synth_output_stage: DC
       blocker, soft limiter), as play, the plug-ins and render --output-stage give them */
    int played_clicky, played_silent, played_clipped;
    long played_clicks;
    double played_peak_max;
} nr_latent_render_report;
/* Decode n prior points (nr_latent_prior_draw of seeds first..first + n - 1, clamped) and render each
 * with m (voice seed = the point's seed, as render --latent random --seed does); count each render as
 * the model made it and as played through the output stage. */
nr_result nr_latent_render_check(const nr_latent *lm, const nr_model *m, int n, uint64_t first, nr_latent_render_report *out);

typedef struct {
    long step;
    double first_loss, train_loss; /* first step of this run; mean of the last up to 20 steps */
    double valid_first, valid_loss; /* reconstruction + length loss on the validation split (encoder mean) */
    double seconds;
    int n_train, n_valid, n_test, n_skipped;
    int64_t n_params;
    nr_latent_eval eval;           /* on the test split (the validation split for synthetic data) */
} nr_latent_train_report;

nr_result nr_latent_train(const nr_latent_train_config *cfg, nr_latent_train_report *rep);
/* Evaluate a latent model file on a data set's test split (synthetic: its validation clips), with
 * n_points prior points for the axes. */
/* A PNG of the training clips' encodings (means) on the plane of axes ax (x) and ay (y) (0-based),
 * -3..+3 prior std, one colour per class with a legend, the covered region dashed. */
nr_result nr_latent_map_png(const char *model, const char *data, int ax, int ay, const char *out);
nr_result nr_latent_evaluate_file(const char *model, const char *data, int n_points, uint64_t seed, nr_latent_eval *ev);

#ifdef __cplusplus
}
#endif
#endif

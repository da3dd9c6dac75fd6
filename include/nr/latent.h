/* The latent curve model: a small variational autoencoder over whole descriptor curves (7 descriptors
 * on a fixed grid of NR_LAT_T frames at NR_LAT_FPS, up to 7 s, in the normalised log space of the
 * synthesis models), with a 4-dimensional latent whose axes are musical attributes (AR-VAE, Pati and
 * Lerch 2020): axis 1 decay time, 2 brightness, 3 pitch, 4 noisiness. Decoding a point gives a whole
 * set of curves and their length, which any synthesis model can play.
 *
 * Weights are read-only after load and may be shared; each caller owns its work buffer, so decodes
 * run in parallel without locks. Decoding allocates nothing (not on the audio thread all the same:
 * about a million multiply-adds). The file holds tensors named "latent.*" with "latent.*" metadata
 * (docs/formats.md), alone or inside a synthesis model's file. */
#ifndef NR_LATENT_H
#define NR_LATENT_H

#include "nr/core.h"
#include "nr/curves.h"
#include "nr/tensors.h"

#ifdef __cplusplus
extern "C" {
#endif

#define NR_LAT_ARCH "nr-latent-1"
#define NR_LAT_DIM 4                            /* latent axes, one per CV */
#define NR_LAT_FPS 25                           /* frames per second of the curve grid */
#define NR_LAT_T 175                            /* frames: 7 s */
#define NR_LAT_N_X (NR_LAT_T * NR_NUM_DESC)     /* curve values of one clip */
#define NR_LAT_N_IN (NR_LAT_N_X + 1)            /* encoder input: curves (zero past the end) + length feature */
#define NR_LAT_N_OUT (NR_LAT_N_X + 1)           /* decoder output: curves + log length share */
#define NR_LAT_MAX_LAYERS 4                     /* hidden layers in the encoder and in the decoder */
#define NR_LAT_MIN_FRAMES 2                     /* shortest decoded length (80 ms) */
#define NR_LAT_LEN_SCALE 2.0f                   /* the length feature is log(L / T) / this (about -2.6..0) */
#define NR_LAT_MAP_MAX 100000                   /* most clips in tensor latent.map */
#define NR_LAT_ATTR_DB 30.0f                    /* decay time: peak to this many dB below; attribute frames
                                                   are the frames louder than that */

/* The attributes the axes stand for, in axis order. */
enum { NR_LAT_ATTR_DECAY = 0, NR_LAT_ATTR_BRIGHTNESS, NR_LAT_ATTR_PITCH, NR_LAT_ATTR_NOISINESS };
extern const char *const nr_lat_attr_names[NR_LAT_DIM]; /* "decay", "brightness", "pitch", "noisiness" */

typedef struct {
    int hidden; /* width of every hidden layer */
    int layers; /* hidden layers of the encoder, and of the decoder (1..NR_LAT_MAX_LAYERS) */
} nr_latent_hparams;

nr_latent_hparams nr_latent_hparams_default(void); /* 128 wide, 2 layers */
nr_result nr_latent_hparams_check(const nr_latent_hparams *hp, const char *what);

/* Tensors of the model in parameter-block order: the trainable ones first, then the fixed ones
 * (descriptor normalisation and the latent region the training data covers). */
#define NR_LAT_MAX_TENSORS (4 * (NR_LAT_MAX_LAYERS + 1) + 4)
typedef struct {
    char name[40];
    int ndim;
    int64_t shape[2];
    int trainable;
} nr_latent_tensor_desc;
int nr_latent_tensor_table(const nr_latent_hparams *hp, nr_latent_tensor_desc *out);
int64_t nr_latent_n_values(const nr_latent_hparams *hp, int trainable_only);

/* A view of a parameter block. Layer l of the encoder maps enc_dim[l] -> enc_dim[l + 1] with weight
 * (enc_dim[l + 1], enc_dim[l]) and tanh after every layer but the last; the same for the decoder. */
typedef struct {
    nr_latent_hparams hp;
    int n_enc, n_dec;                       /* linear layers: layers + 1 */
    int enc_dim[NR_LAT_MAX_LAYERS + 2];     /* NR_LAT_N_IN, hidden..., 2 * NR_LAT_DIM (mean, log variance) */
    int dec_dim[NR_LAT_MAX_LAYERS + 2];     /* NR_LAT_DIM, hidden..., NR_LAT_N_OUT */
    float *enc_w[NR_LAT_MAX_LAYERS + 1], *enc_b[NR_LAT_MAX_LAYERS + 1];
    float *dec_w[NR_LAT_MAX_LAYERS + 1], *dec_b[NR_LAT_MAX_LAYERS + 1];
    float *desc_mean, *desc_std;            /* (7), (7): v = (transform(raw) - mean) / std, transform as
                                               the synthesis models' (log for all columns but zcr) */
    float *z_lo, *z_hi;                     /* (4), (4): the region of the latent the training data covers */
    float loud_max;                         /* ln rms of the loudest training frame: no decode asks for more
                                               (metadata latent.loud_max; NR_LAT_LOUD_MAX_NONE if absent) */
} nr_latent_weights;
#define NR_LAT_LOUD_MAX_NONE 0.0f           /* no limit but full scale (rms 1) */

void nr_latent_carve(const nr_latent_hparams *hp, float *block, nr_latent_weights *w);

/* A loaded model: owns its block. */
typedef struct {
    nr_latent_weights w;
    float *block;
    float *map;    /* (n_map, NR_LAT_DIM) the training clips' encodings (tensor latent.map, optional):
                      the dots of the OLED Latent page */
    int n_map;
} nr_latent;

/* From a tensor set holding "latent.*" tensors and metadata (a file of its own or a synthesis model's
 * file); copies what it needs. `what` names the source in messages. NR_ERR_FORMAT if absent. */
nr_result nr_latent_from_tensors(const nr_tensor_set *ts, const char *what, nr_latent *out);
nr_result nr_latent_load(const char *path, nr_latent *out);
/* The same into a new heap object (*out; NULL on failure), as nr_synth_set_latent takes one over. */
nr_result nr_latent_open(const char *path, nr_latent **out);
/* The latent model shipped beside a synthesis model: "X.safetensors" -> "X.latent.safetensors" (any
 * other name gets ".latent.safetensors" appended) in out. Returns 1 if that file exists and is a regular
 * file, 0 if not (or the name does not fit in cap; out is then ""). */
int nr_latent_beside(const char *model_path, char *out, size_t cap);
#define NR_LAT_BESIDE_SUFFIX ".latent.safetensors"
/* Adds the model's tensors and metadata to ts (so it can be written alone or beside a model). */
nr_result nr_latent_to_tensors(const nr_latent_weights *w, nr_tensor_set *ts);
void nr_latent_free(nr_latent *m);

/* Floats of work a decode or an encode needs. */
size_t nr_latent_work_floats(const nr_latent_hparams *hp);

/* Raw curves (any frame rate) -> encoder input x (NR_LAT_N_IN): each grid frame is the mean of the
 * transformed source frames within its 40 ms (the nearest one if none), normalised; zero past the end;
 * then the length feature. *n_frames: the clip's length on the grid (NR_LAT_MIN_FRAMES..NR_LAT_T; longer
 * clips are cut at 7 s). */
void nr_latent_prepare(const nr_latent_weights *w, const nr_curves *c, float *x, int *n_frames);
/* x (NR_LAT_N_IN) -> the mean and log variance of the posterior (NR_LAT_DIM each). */
void nr_latent_encode(const nr_latent_weights *w, const float *x, float *mean, float *logvar, float *work);
/* z (NR_LAT_DIM) -> normalised curves v (NR_LAT_T, 7) and the length in frames. */
void nr_latent_decode_norm(const nr_latent_weights *w, const float *z, float *v, int *n_frames, float *work);
/* z (NR_LAT_DIM), clamped to [z_lo, z_hi] -> raw curves (n_frames, 7) at NR_LAT_FPS in out
 * (NR_LAT_T * 7 floats), ready for nr_curves_resample to a model's rate; the loudness of the last 3
 * frames falls by 20, 40 and 60 dB so the end never clicks. Allocates nothing. */
void nr_latent_decode(const nr_latent_weights *w, const float *z, float *out, int *n_frames, float *work);
/* The decoder's length output (log of the share of NR_LAT_T) -> frames, NR_LAT_MIN_FRAMES..NR_LAT_T. */
int nr_latent_length(float log_share);
/* Axis k of a point drawn from the prior N(0, I) by a counter-based hash of seed. */
float nr_latent_prior_draw(uint64_t seed, int k);
/* A random point where the data is: a draw from a kernel density estimate over n encodings (the training
 * clips' posterior means, tensor latent.map), Gaussian kernels of Silverman's bandwidth per axis
 * (1.06 x the encodings' standard deviation x n^(-1/5)): encoding j (by the hash of seed) plus that
 * bandwidth x a Gaussian. Without encodings (n < 2): the N(0, I) draw. Not clamped. */
void nr_latent_data_draw(const float *map, int n, uint64_t seed, float z[NR_LAT_DIM]);
/* The same from a loaded model's latent.map (N(0, I) when the file has none). */
void nr_latent_random_point(const nr_latent *m, uint64_t seed, float z[NR_LAT_DIM]);
/* Clamp a point to the covered region. */
void nr_latent_clamp(const nr_latent_weights *w, float *z);

/* The 4 attributes of normalised curves v (NR_LAT_T, 7) of n frames: log of the decay time in seconds
 * (peak of the loudness curve to NR_LAT_ATTR_DB below it, or to the end), and over the frames louder
 * than that: mean brightness (normalised log centroid), median pitch (normalised log f0), mean
 * noisiness (normalised log flatness). */
void nr_latent_attributes(const nr_latent_weights *w, const float *v, int n, float a[NR_LAT_DIM]);

/* y (B, out) = x (B, in) W^T + b, W (out, in): the BLAS kernel and the plain reference. */
void nr_lat_linear_forward(float *y, const float *x, const float *W, const float *b, int B, int in, int out);
void nr_lat_linear_forward_ref(float *y, const float *x, const float *W, const float *b, int B, int in, int out);

#ifdef __cplusplus
}
#endif
#endif

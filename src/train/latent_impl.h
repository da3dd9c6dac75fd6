/* Internal pieces of the latent curve model's trainer (src/train/latent_grad.c): the backward of each
 * op, the losses, and the batch forward/backward of an MLP. Buffers are row-major, batch first. */
#ifndef NR_LATENT_IMPL_H
#define NR_LATENT_IMPL_H

#include "nr/latent.h"

/* dx (B, in) += dy (B, out) W; dW (out, in) += dy^T x; db (out) += sum over rows of dy. dx may be NULL.
 * The BLAS kernel and the plain reference. */
void nr_lat_linear_backward(float *dx, float *dW, float *db, const float *dy, const float *x, const float *W, int B,
                            int in, int out);
void nr_lat_linear_backward_ref(float *dx, float *dW, float *db, const float *dy, const float *x, const float *W,
                                int B, int in, int out);

/* y = tanh(x) in place (n); backward: g (n) *= 1 - y^2 in place. */
void nr_lat_tanh_forward(float *x, long n);
void nr_lat_tanh_backward(float *g, const float *y, long n);

/* Reparameterisation and KL: mulv (B, 2D) holds each row's mean (D) then log variance (D), eps (B, D)
 * unit normal draws; z (B, D) = mean + exp(logvar / 2) eps. Returns the KL divergence to N(0, I), mean
 * over rows: 0.5 sum_k (mean^2 + exp(logvar) - logvar - 1). Backward: dmulv (B, 2D) = dz's share +
 * kl_weight x dKL. */
double nr_lat_reparam_forward(float *z, const float *mulv, const float *eps, int B);
void nr_lat_reparam_backward(float *dmulv, const float *dz, const float *mulv, const float *eps, int B, float kl_weight);

/* Reconstruction of a batch. y (B, NR_LAT_N_OUT) decoder output, x (B, NR_LAT_N_IN) encoder input (the
 * target curves and the length feature), m (B, NR_LAT_N_X) per-value weights (0 past the end), L (B)
 * lengths. loss = mean over rows of [ sum m (y - x)^2 / L  +  len_weight (y_len - log(L / T))^2 ].
 * dy (B, NR_LAT_N_OUT) is written (not accumulated). *len_part gets the length term alone. */
double nr_lat_recon_loss(float *dy, const float *y, const float *x, const float *m, const int *L, int B,
                         float len_weight, double *len_part);

/* The attribute-regularised loss (AR-VAE): for each axis r, the mean over pairs (i, j) of the batch of
 * |tanh(delta (z_ir - z_jr)) - sign(a_ir - a_jr)|, summed over axes and times gamma. z, a (B, D).
 * dz (B, D) accumulates its gradient. */
double nr_lat_ar_loss(float *dz, const float *z, const float *a, int B, float delta, float gamma);

/* A batch through an MLP of n linear layers (dim[0] -> ... -> dim[n]), tanh between layers:
 * act[l] (B, dim[l + 1]) holds each layer's output (tanh applied, but the last). */
void nr_lat_mlp_forward(const int *dim, int n, float *const *W, float *const *b, const float *x, float **act, int B);
/* Gradients from dout (B, dim[n]) (clobbered) into gW/gb (same layout as W/b); dx (B, dim[0]) if not NULL.
 * tmp: 2 x B x (widest dim) floats. */
void nr_lat_mlp_backward(const int *dim, int n, float *const *W, float *const *gW, float *const *gb, const float *x,
                         float *const *act, float *dout, float *dx, float *tmp, int B);

/* Standard normal draw from a counter (Box-Muller on two hashed uniforms). */
float nr_lat_gauss(uint64_t seed, uint64_t a, uint64_t b);

#endif

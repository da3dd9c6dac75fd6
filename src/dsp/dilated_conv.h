/* Causal dilated Conv1d, kernel 3, C -> C channels, no bias, zero history at the start:
 * y[t] = W0 h[t - 2d] + W1 h[t - d] + W2 h[t], computed block by block with a ring of the last 2d
 * inputs, as one sgemm per block over an im2col gathered from the ring and the block. */
#ifndef NR_DSP_DILATED_CONV_H
#define NR_DSP_DILATED_CONV_H

#include <stddef.h>

/* Rearrange PyTorch's weight (C_out, C_in, 3) into the product layout (3 * C_in, C_out), tap-major. */
void nr_dconv3_pack(const float *w, int c, float *wp);

/* One block of n samples at absolute times t0 .. t0 + n - 1.
 * wp: (3C, C) packed weights; ring: (2 dil, C), inputs at time t stored at row t mod 2 dil, updated;
 * h: (n, C) input; col: (n, 3C) scratch; y: (n, C) output (may not alias h). Audio-thread safe. */
void nr_dconv3_block(const float *wp, int c, int dil, float *ring, long t0, const float *h, int n,
                     float *col, float *y);

/* Winograd F(2,3) along the dilated time axis: outputs t and t + d share their inputs
 * h[t-2d], h[t-d], h[t], h[t+d]; four C x C products replace six (1.5x fewer multiply-adds).
 * wg: (4, C, C) from nr_dconv3_pack_winograd: W0, (W0+W1+W2)/2, (W0-W1+W2)/2, W2, each as (C_in, C_out). */
void nr_dconv3_pack_winograd(const float *w, int c, float *wg);
/* As nr_dconv3_block; pairs (t, t+d) inside the block go through Winograd, the rest direct.
 * u, m: scratch of 2 n C floats each (at least 64 floats). */
void nr_dconv3_block_winograd(const float *wp, const float *wg, int c, int dil, float *ring, long t0, const float *h,
                              int n, float *col, float *u, float *m, float *y);

/* The same conv in two steps, for members of a team splitting one block (core/team.h):
 * nr_dconv3_block_part computes part's share of y's rows (reads the ring and all of h; ring and h are
 * not written); once every part is done, nr_dconv3_ring_rows stores the inputs at rows [from, to) of h
 * into the ring (the parts may each store their own rows). The output is the same for any split. */
void nr_dconv3_block_part(const float *wp, const float *wg, int c, int dil, const float *ring, long t0,
                          const float *h, int n, float *col, float *u, float *m, float *y, int part, int nparts);
void nr_dconv3_ring_rows(int c, int dil, float *ring, long t0, const float *h, int n, int from, int to);
/* nr_dconv3_block_part in its two halves: _in reads the ring and h (into the scratch col and u), _out
 * computes from the scratch alone (u, m, col) and writes y. Once every part has finished _in, the ring
 * and h may change while the parts run _out. */
void nr_dconv3_part_in(int c, int dil, const float *ring, long t0, const float *h, int n, float *col, float *u,
                       int part, int nparts);
void nr_dconv3_part_out(const float *wp, const float *wg, int c, int dil, int n, const float *col, float *u,
                        float *m, float *y, int part, int nparts);
/* 1 when every part's rows of y (as nr_dconv3_block_part splits them) lie inside its share of the block's
 * rows, nr_team_share(n, part, nparts, align): then each part may go on with its own rows of y without
 * waiting for the others. */
int nr_dconv3_rows_local(int n, int dil, int nparts, int align);

/* Multiply-adds nr_dconv3_block_winograd performs for a block of n samples. */
double nr_dconv3_winograd_macs(int c, int dil, int n);

/* Reference: the whole signal at once, direct loops. w: (C, C, 3) as stored; h, y: (n, C). */
void nr_dconv3_ref(const float *w, int c, int dil, const float *h, long n, float *y);

#endif

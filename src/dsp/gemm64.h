/* Products with 64 output channels, the hn-sinc-NSF's hidden width: c (m, 64) = a (m, k) . b, where b
 * is a (64, k) weight pre-packed once to (k, 64). Register-blocked kernels (AVX-512: 6 rows x 64
 * columns in 24 accumulators; AVX2: 6 rows x 16 columns) read a and b in place: no packing, no
 * zeroing per call; NEON (aarch64): 8 rows x 8 columns in 16 accumulators, a's rows read 4 steps of k
 * at a time and used lane by lane. The generic path uses OpenBLAS (which picks its own kernels).
 * The path is chosen at start (core/cpu.h). */
#ifndef NR_DSP_GEMM64_H
#define NR_DSP_GEMM64_H

#include <stddef.h>

#define NR_GEMM64_N 64

/* w: (64, k) row-major (PyTorch's (C_out, C_in)); bt: (k, 64). */
void nr_gemm64_pack(const float *w, int k, float *bt);
/* c (m, 64) at row stride ldc = a (m, k) at row stride lda . bt (k, 64). Audio-thread safe. */
void nr_gemm64(const float *a, size_t lda, int m, int k, const float *bt, float *c, size_t ldc);
/* Any width n that is a multiple of 16 (16-column tiles below 64): c (m, n) = a (m, k) . bt (k, n),
 * bt from nr_gemm_pack (w: (n, k) row-major). */
void nr_gemm_pack(const float *w, int n, int k, float *bt);
void nr_gemm16n(const float *a, size_t lda, int m, int k, const float *bt, int n, float *c, size_t ldc);
/* Reference: plain loops, same contract as nr_gemm64. */
void nr_gemm64_ref(const float *a, size_t lda, int m, int k, const float *bt, float *c, size_t ldc);

#endif

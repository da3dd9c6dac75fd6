/* tanh for float arrays: a vectorised kernel (about 1e-7 absolute error) and the libm reference. */
#ifndef NR_DSP_FAST_TANH_H
#define NR_DSP_FAST_TANH_H

#include <stddef.h>

/* x[i] = tanh(x[i]). Audio-thread safe. */
void nr_tanh_inplace(float *x, size_t n);
/* The same through libm's tanhf: the reference the fast kernel is tested against. */
void nr_tanh_inplace_ref(float *x, size_t n);
/* The filter block's residual step in one pass: out[i] = (h[i] + tanh(y[i])) + ctx[i]. out may be h or y
 * (each element is read before it is written). */
void nr_tanh_residual(const float *h, const float *y, const float *ctx, float *out, size_t n);
/* One value through the fast kernel's arithmetic. */
float nr_tanh1(float x);

#endif

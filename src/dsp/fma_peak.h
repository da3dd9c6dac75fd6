/* The core's peak multiply-add rate on the kernel path in use (core/cpu.h): independent chains of
 * c = c a + b on whole registers of that path, enough to cover the multiply-add latency on two units
 * and few enough to stay in registers (AVX-512: 16 chains x 16 lanes of its 32 registers; AVX2: 12 x 8
 * of 16; NEON: 16 x 4 of 32; generic (SSE2 on x86-64, no FMA): 12 x 4, a multiply and an add). */
#ifndef NR_DSP_FMA_PEAK_H
#define NR_DSP_FMA_PEAK_H

/* Runs reps rounds of every chain; returns the floating-point operations done (2 per lane and step). */
double nr_fma_peak_run(long reps);
/* What the loop runs, e.g. "12 chains x 8 lanes, FMA". */
const char *nr_fma_peak_shape(void);

#endif

/* Windowed-sinc low-pass / high-pass pairs of the hn-sinc-NSF (NSF SincFilter semantics), and the
 * time-variant FIR that applies a different filter at every sample. */
#ifndef NR_DSP_SINC_H
#define NR_DSP_SINC_H

#define NR_SINC_MAX_ORDER 127

typedef struct {
    int order;                     /* odd number of taps */
    int half;                      /* (order - 1) / 2 */
    float win[NR_SINC_MAX_ORDER];  /* Hamming 0.54 + 0.46 cos(2 pi n / order), n = -half..half */
} nr_sinc_table;

/* order must be odd, 1..NR_SINC_MAX_ORDER. Returns 0 on a bad order. */
int nr_sinc_table_init(nr_sinc_table *t, int order);

/* Coefficients for a cut-off `cut` (normalised to Nyquist = 1, clamped to [1e-3, 0.99]):
 * lp = cut sinc(cut n) w / sum(...) (0 dB at DC), hp = (delta(n) - cut sinc(cut n)) w normalised by
 * sum(hp (-1)^n) (0 dB at Nyquist). lp, hp: (order), tap k <-> n = k - half. Audio-thread safe.
 * The fast version uses a sine recurrence in double instead of a sin() per tap. */
void nr_sinc_lp_hp(const nr_sinc_table *t, float cut, float *lp, float *hp);
/* Reference: the original's float32 arithmetic tap by tap. */
void nr_sinc_lp_hp_ref(const nr_sinc_table *t, float cut, float *lp, float *hp);

/* Time-variant FIR: y[i] = sum_k x[i - k] * coef[i][k], k = 0..order-1, accumulated in that order.
 * x points at sample 0 and must have order-1 valid samples before it (history). coef: (n, order). */
void nr_tvfir(const float *x, const float *coef, int n, int order, float *y);

#endif

#include "dsp/rng.h"

#include <math.h>

#define GOLDEN_GAMMA 0x9E3779B97F4A7C15ull /* 2^64 / golden ratio, odd */

uint64_t nr_splitmix64_next(uint64_t *x)
{
    uint64_t z = (*x += GOLDEN_GAMMA);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

void nr_rng_seed(nr_rng *r, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++) r->s[i] = nr_splitmix64_next(&x);
    r->has_spare = 0;
    r->spare = 0.0;
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t nr_rng_u64(nr_rng *r)
{
    uint64_t *s = r->s;
    uint64_t out = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return out;
}

float nr_rng_uniform(nr_rng *r) { return (float)(nr_rng_u64(r) >> 40) * (1.0f / 16777216.0f); }

float nr_rng_normal(nr_rng *r)
{
    if (r->has_spare) {
        r->has_spare = 0;
        return (float)r->spare;
    }
    /* u1 in (0, 1] so the log is finite */
    double u1 = ((double)(nr_rng_u64(r) >> 11) + 1.0) * (1.0 / 9007199254740992.0);
    double u2 = (double)(nr_rng_u64(r) >> 11) * (1.0 / 9007199254740992.0);
    double rad = sqrt(-2.0 * log(u1));
    double a = 2.0 * 3.14159265358979323846 * u2;
    r->spare = rad * sin(a);
    r->has_spare = 1;
    return (float)(rad * cos(a));
}

#define XS64_MULT 0x2545F4914F6CDD1Dull
#define XS64_ZERO_STATE GOLDEN_GAMMA /* used where a zero state was given */
#define TWO_POW_53 9007199254740992.0
#define TWO_POW_24 16777216.0f
#define IRWIN_HALL_N 4
#define IRWIN_HALL_SCALE 1.7320508f /* sqrt(12 / IRWIN_HALL_N): unit variance */

uint64_t nr_xs64_next(uint64_t *x)
{
    if (!*x) *x = XS64_ZERO_STATE;
    *x ^= *x >> 12;
    *x ^= *x << 25;
    *x ^= *x >> 27;
    return *x * XS64_MULT;
}

double nr_xs64_uniform(uint64_t *x) { return (double)(nr_xs64_next(x) >> 11) * (1.0 / TWO_POW_53); }

float nr_xs64_gauss(uint64_t *x)
{
    float sum = 0.0f;
    for (int k = 0; k < IRWIN_HALL_N; k++) sum += (float)(nr_xs64_next(x) >> 40) * (1.0f / TWO_POW_24);
    return (sum - 0.5f * IRWIN_HALL_N) * IRWIN_HALL_SCALE;
}

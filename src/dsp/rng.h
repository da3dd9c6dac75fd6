/* The project's random numbers, one module (stmlib's Random): two generators, each fixed because
 * renders and golden files depend on their exact sequences.
 *  - nr_rng: xoshiro256** state seeded through splitmix64, uniform floats in [0, 1) and standard
 *    normals by the Box-Muller transform (the models' noise sources).
 *  - nr_xs64: xorshift64*, one word of state, for cheap per-event draws (the performer's trigger
 *    seeds and variation) and the built-in templates' noise.
 *  - nr_splitmix64: the splitmix64 stream and its mixer, for seeding and hashing seeds (nr_rng_seed
 *    uses it).
 * All audio-thread safe (no allocation, no lock, no global state). */
#ifndef NR_DSP_RNG_H
#define NR_DSP_RNG_H

#include <stdint.h>

typedef struct {
    uint64_t s[4];
    double spare; /* second Box-Muller value */
    int has_spare;
} nr_rng;

void nr_rng_seed(nr_rng *r, uint64_t seed);
uint64_t nr_rng_u64(nr_rng *r);
float nr_rng_uniform(nr_rng *r); /* [0, 1), 24 random bits */
float nr_rng_normal(nr_rng *r);  /* mean 0, std 1 */

/* xorshift64* on a caller-held word. A zero state (which xorshift never leaves) is replaced by a
 * fixed non-zero one, so any seed works. */
uint64_t nr_xs64_next(uint64_t *state);
/* [0, 1) with 53 random bits. */
double nr_xs64_uniform(uint64_t *state);
/* Irwin-Hall with 4 uniforms (24 bits each), variance scaled to 1: bounded (|g| < 3.5), cheap, no
 * log or sqrt. */
float nr_xs64_gauss(uint64_t *state);

/* The splitmix64 stream: adds the golden-ratio increment to *state and returns the mixed sum. Any
 * state works (0 too). */
uint64_t nr_splitmix64_next(uint64_t *state);

#endif

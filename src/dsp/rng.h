/* A small seedable generator: xoshiro256** state seeded through splitmix64, uniform floats in [0, 1)
 * and standard normals by the Box-Muller transform. Audio-thread safe (no allocation, no lock). */
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

#endif

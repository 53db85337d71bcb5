/* rng.h — PCG32 (64-bit state, XSH-RR output), the project's only source of randomness.
 *
 * Every random draw in plast comes from a plast_rng the caller owns; there is no global
 * generator. Streams are derived from (seed, generation, member, episode) so that any
 * piece of a campaign (one episode of one population member) can be regenerated on any
 * thread or MPI rank without replaying the others. The state is two integers: copying
 * the struct saves it exactly. */
#ifndef PLAST_RNG_H
#define PLAST_RNG_H

#include <stdint.h>

typedef struct plast_rng {
    uint64_t state; /* internal state */
    uint64_t inc;   /* stream selector, always odd */
} plast_rng;

/* The reference seeding: initstate and initseq (stream). */
void plast_rng_seed(plast_rng *r, uint64_t initstate, uint64_t initseq);

/* An independent stream for one (seed, generation, member, episode) key: the key is
 * mixed with SplitMix64 into the initial state and the stream selector. */
void plast_rng_derive(plast_rng *r, uint64_t seed, uint64_t generation, uint64_t member,
                      uint64_t episode);

uint32_t plast_rng_u32(plast_rng *r);
/* Uniform integer in [0, bound), unbiased (rejection); bound must be > 0. */
uint32_t plast_rng_below(plast_rng *r, uint32_t bound);
/* Uniform float in [0, 1) with 24 random bits. */
float plast_rng_uniform(plast_rng *r);
/* Uniform double in [0, 1) with 53 random bits (two draws). */
double plast_rng_uniform_d(plast_rng *r);
/* Standard normal, Box-Muller in double; two uniform draws per call, no cached spare,
 * so the state stays the two integers above. */
double plast_rng_normal(plast_rng *r);
/* Fisher-Yates shuffle of n ints. */
void plast_rng_shuffle(plast_rng *r, int *a, int n);

#endif

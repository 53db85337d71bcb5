/* rng.c — PCG32 (O'Neill's XSH-RR variant, 64-bit LCG state) and derived streams.
 *
 * The generator is written from the published definition: state advances by the
 * 64-bit LCG multiplier 6364136223846793005 plus an odd increment; the output is the
 * xorshifted high bits rotated by the top five bits. The known answers for seed
 * (42, 54) are checked in tests/test_rng.c. */
#include "plast/rng.h"

#include <math.h>

#define PCG_MULT 6364136223846793005ULL

uint32_t plast_rng_u32(plast_rng *r)
{
    uint64_t old = r->state;
    r->state = old * PCG_MULT + r->inc;
    uint32_t xorshifted = (uint32_t)(((old >> 18u) ^ old) >> 27u);
    uint32_t rot = (uint32_t)(old >> 59u);
    return (xorshifted >> rot) | (xorshifted << ((-rot) & 31u));
}

void plast_rng_seed(plast_rng *r, uint64_t initstate, uint64_t initseq)
{
    r->state = 0u;
    r->inc = (initseq << 1u) | 1u;
    plast_rng_u32(r);
    r->state += initstate;
    plast_rng_u32(r);
}

/* SplitMix64 finaliser: a bijective mixer so that nearby keys give unrelated streams. */
static uint64_t mix64(uint64_t z)
{
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void plast_rng_derive(plast_rng *r, uint64_t seed, uint64_t generation, uint64_t member,
                      uint64_t episode)
{
    uint64_t h = mix64(seed);
    h = mix64(h ^ generation);
    h = mix64(h ^ member);
    h = mix64(h ^ episode);
    plast_rng_seed(r, h, mix64(h ^ 0x5851f42d4c957f2dULL));
}

uint32_t plast_rng_below(plast_rng *r, uint32_t bound)
{
    /* Reject the low values that would make the modulo biased. */
    uint32_t threshold = (uint32_t)(-bound) % bound;
    for (;;) {
        uint32_t x = plast_rng_u32(r);
        if (x >= threshold) return x % bound;
    }
}

float plast_rng_uniform(plast_rng *r)
{
    return (float)(plast_rng_u32(r) >> 8) * (1.0f / 16777216.0f);
}

double plast_rng_uniform_d(plast_rng *r)
{
    uint64_t hi = plast_rng_u32(r) >> 5, lo = plast_rng_u32(r) >> 6; /* 27 + 26 bits */
    return ((double)hi * 67108864.0 + (double)lo) * (1.0 / 9007199254740992.0);
}

double plast_rng_normal(plast_rng *r)
{
    double u1 = 1.0 - plast_rng_uniform_d(r); /* in (0, 1]: log is finite */
    double u2 = plast_rng_uniform_d(r);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

void plast_rng_shuffle(plast_rng *r, int *a, int n)
{
    for (int i = n - 1; i > 0; i--) {
        int j = (int)plast_rng_below(r, (uint32_t)i + 1u);
        int t = a[i];
        a[i] = a[j];
        a[j] = t;
    }
}

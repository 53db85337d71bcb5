/* test_rng.c — PCG32 known answers (PROTOCOLS.md §8), ranges, and derived streams. */
#include <string.h>

#include "check.h"
#include "plast/rng.h"

int main(void)
{
    /* The reference sequence for initstate 42, stream 54. */
    const uint32_t want[6] = {0xa15c02b7u, 0x7b47f409u, 0xba1d3330u,
                              0x83d2f293u, 0xbfa4784bu, 0xcbed606eu};
    plast_rng r;
    plast_rng_seed(&r, 42u, 54u);
    for (int i = 0; i < 6; i++) CHECK(plast_rng_u32(&r) == want[i]);

    /* Bounded integers: in range, and every value of a small range is hit about equally. */
    int hist[7] = {0};
    for (int i = 0; i < 70000; i++) {
        uint32_t v = plast_rng_below(&r, 7);
        CHECK(v < 7);
        if (v < 7) hist[v]++;
    }
    for (int k = 0; k < 7; k++) CHECK(hist[k] > 9500 && hist[k] < 10500);

    /* Floats in [0, 1) with mean 1/2; normals with mean 0 and variance 1. */
    double s = 0.0, s2 = 0.0, n1 = 0.0, n2 = 0.0;
    int out_of_range = 0;
    for (int i = 0; i < 100000; i++) {
        float u = plast_rng_uniform(&r);
        double d = plast_rng_uniform_d(&r);
        out_of_range += !(u >= 0.0f && u < 1.0f) + !(d >= 0.0 && d < 1.0);
        s += u;
        s2 += d;
        double z = plast_rng_normal(&r);
        n1 += z;
        n2 += z * z;
    }
    CHECK(out_of_range == 0);
    CHECK_NEAR(s / 100000, 0.5, 0.005);
    CHECK_NEAR(s2 / 100000, 0.5, 0.005);
    CHECK_NEAR(n1 / 100000, 0.0, 0.01);
    CHECK_NEAR(n2 / 100000, 1.0, 0.02);

    /* Derived streams: the same key gives the same stream, a different key another. */
    plast_rng a, b, c;
    plast_rng_derive(&a, 7, 1, 2, 3);
    plast_rng_derive(&b, 7, 1, 2, 3);
    plast_rng_derive(&c, 7, 1, 3, 2);
    int same = 1, diff = 0;
    for (int i = 0; i < 16; i++) {
        uint32_t x = plast_rng_u32(&a), y = plast_rng_u32(&b), z = plast_rng_u32(&c);
        same &= x == y;
        diff += x != z;
    }
    CHECK(same);
    CHECK(diff > 12);

    /* Shuffle is a permutation. */
    int p[50], seen[50] = {0};
    for (int i = 0; i < 50; i++) p[i] = i;
    plast_rng_shuffle(&r, p, 50);
    int moved = 0;
    for (int i = 0; i < 50; i++) seen[p[i]]++, moved += p[i] != i;
    for (int i = 0; i < 50; i++) CHECK(seen[i] == 1);
    CHECK(moved > 40);
    CHECK_DONE();
}

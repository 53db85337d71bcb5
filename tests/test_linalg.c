/* test_linalg.c — the BLAS path equals the plain C path within float rounding, for
 * every transpose combination and for the network's forward pass on all activations.
 * Tolerance: |blas - ref| <= 1e-5 * (1 + sum |a_ik b_kj|), a bound on float32
 * accumulation error for K up to a few hundred. */
#include <math.h>
#include <stdlib.h>

#include "check.h"
#include "plast/linalg.h"
#include "plast/net.h"

static void fill(plast_rng *r, float *x, int n)
{
    for (int i = 0; i < n; i++) x[i] = (float)plast_rng_normal(r);
}

int main(void)
{
    plast_linalg_init();
    plast_rng r;
    plast_rng_seed(&r, 1, 2);
    const int M = 37, N = 53, K = 129;
    float *A = malloc(sizeof(float) * M * K), *B = malloc(sizeof(float) * K * N);
    float *C1 = malloc(sizeof(float) * M * N), *C2 = malloc(sizeof(float) * M * N);
    fill(&r, A, M * K);
    fill(&r, B, K * N);
    for (int ta = 0; ta < 2; ta++)
        for (int tb = 0; tb < 2; tb++) {
            fill(&r, C1, M * N);
            for (int i = 0; i < M * N; i++) C2[i] = C1[i];
            int lda = ta ? M : K, ldb = tb ? K : N;
            plast_gemm(ta, tb, M, N, K, 0.7f, A, lda, B, ldb, 0.3f, C1, N);
            plast_gemm_ref(ta, tb, M, N, K, 0.7f, A, lda, B, ldb, 0.3f, C2, N);
            double worst = 0.0, size = 0.0;
            for (int i = 0; i < M * N; i++) {
                worst = fmax(worst, fabs((double)C1[i] - C2[i]));
                size = fmax(size, fabs((double)C2[i]));
            }
            CHECK(worst <= 1e-5 * (1.0 + 0.7 * K * 3.0));
            CHECK(size > 1.0); /* the product is not trivially zero */
        }

    /* Small products go through plast's own loops: same contract, same tolerance. */
    const int shapes[4][3] = {{1, 40, 40}, {40, 40, 1}, {7, 9, 33}, {1, 1, 1}};
    for (int s = 0; s < 4; s++) {
        int m = shapes[s][0], n = shapes[s][1], k = shapes[s][2];
        for (int ta = 0; ta < 2; ta++)
            for (int tb = 0; tb < 2; tb++) {
                fill(&r, C1, m * n);
                for (int i = 0; i < m * n; i++) C2[i] = C1[i];
                plast_gemm(ta, tb, m, n, k, 1.3f, A, ta ? m : k, B, tb ? k : n, 0.5f, C1, n);
                plast_gemm_ref(ta, tb, m, n, k, 1.3f, A, ta ? m : k, B, tb ? k : n, 0.5f, C2, n);
                double worst = 0.0;
                for (int i = 0; i < m * n; i++) worst = fmax(worst, fabs((double)C1[i] - C2[i]));
                CHECK(worst <= 1e-5 * (1.0 + 1.3 * k * 3.0));
            }
    }

    /* Forward pass, batch 1 to 256, every activation. */
    for (int act = PLAST_ACT_IDENTITY; act <= PLAST_ACT_SOFTPLUS; act++) {
        plast_net_spec sp = {0};
        sp.n_in = 11;
        sp.n_layers = 4;
        int widths[4] = {64, 300, 33, 3};
        for (int l = 0; l < 4; l++) sp.width[l] = widths[l], sp.act[l] = (plast_act)act, sp.plastic[l] = 1;
        sp.act[3] = PLAST_ACT_IDENTITY; /* a relu output can be all zero */
        sp.w_init = PLAST_INIT_KAIMING_UNIFORM;
        sp.w_gain = 1.4142f;
        sp.b_init = PLAST_INIT_UNIFORM;
        sp.b_value = 0.1f;
        plast_net net;
        plast_acts a1, a2;
        plast_err err;
        REQUIRE(plast_net_init(&net, &sp, &err) == PLAST_OK);
        REQUIRE(plast_acts_init(&a1, &net, 256, &err) == PLAST_OK);
        REQUIRE(plast_acts_init(&a2, &net, 256, &err) == PLAST_OK);
        plast_net_draw(&net, &r);
        float *x = malloc(sizeof(float) * 256 * 11);
        fill(&r, x, 256 * 11);
        const int batches[3] = {1, 32, 256};
        for (int bi = 0; bi < 3; bi++) {
            int nb = batches[bi];
            const float *y1 = plast_net_forward(&net, &a1, x, nb);
            const float *y2 = plast_net_forward_ref(&net, &a2, x, nb);
            double worst = 0.0, size = 0.0;
            for (int i = 0; i < nb * 3; i++) {
                worst = fmax(worst, fabs((double)y1[i] - y2[i]));
                size = fmax(size, fabs((double)y2[i]));
            }
            CHECK(worst <= 1e-4 * (1.0 + size));
            CHECK(size > 1e-3);
        }
        free(x);
        plast_acts_free(&a1);
        plast_acts_free(&a2);
        plast_net_free(&net);
    }
    free(A), free(B), free(C1), free(C2);
    CHECK_DONE();
}

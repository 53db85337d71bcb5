/* test_kernels.c — plast's own SIMD kernels (src/linalg_isa.h) on every path this machine
 * supports, forced one after another with plast_isa_select:
 *   - gemm, all four transposes, on odd sizes (widths 1, 7, 11, 16, 33, 40, 300: the
 *     straight-line kernels' one, two and several vectors, with and without an overlapping
 *     last one; batches 1, 5, 32),
 *     against the plain C reference (double accumulation) within
 *     |kernel - ref| <= 1e-5 (1 + |alpha| sum_k |a_ik b_kj|) + 1e-6 |beta c|,
 *     a bound on float32 accumulation error for K up to a few hundred;
 *   - the fused Oja update (plast_oja_rows, per synapse and per row, Oja and Hebb forms,
 *     scale 1 and not) against a double reference of W + p (u^T x - d W) within
 *     1e-5 (1 + |W| + |p| sum |u x|);
 *   - gemm on products whose B outgrows the kernels' cache panel (9 x 600 x 300, all four
 *     transposes) gives exactly the bits of the same product computed in narrow column
 *     slices (other kernels: the straight-line ones), and stays within the bound above;
 *   - outer products onto few columns (100 x 11 x 32, rows of C a vector at a time) give
 *     the bits of the same product one row at a time;
 *   - plast_rowcol_add, with and without its rank-one term, against the same float
 *     operations done one by one (exactly);
 *   - plast_ger_backward (a backward product and an outer-product update in one pass)
 *     against the two plast_gemm calls it replaces, on every shape: exactly;
 *   - plast_dgemm, all four transposes, on the same odd sizes, on a product larger than
 *     its transposition block (70 x 130 x 150) and on one wide enough to go in strips of
 *     columns (7 x 203 x 900), bit for bit against its defined order (beta c,
 *     then c += (alpha a_k) b_k for k in order) done one output at a time;
 *   - every path gives the same bits as the baseline x86-64 path (the kernels sum in an
 *     order fixed by the code, not the vector width), for the kernels and for whole
 *     episodes of FLP, SGD, DFA and Hebb steps (batch 1 and 5).
 * The baseline path always exists, so each check runs at least once. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "plast/config.h"
#include "plast/episode.h"
#include "plast/linalg.h"
#include "plast/registry.h"

static void fill(plast_rng *r, float *x, size_t n)
{
    for (size_t i = 0; i < n; i++) x[i] = (float)plast_rng_normal(r);
}

#define N_WIDTHS 7
static const int widths[N_WIDTHS] = {1, 7, 11, 16, 33, 40, 300};
static const int batches[3] = {1, 5, 32};

/* gemm of every shape and transpose on the selected path into out (concatenated), each
 * checked against the reference. Returns the floats written. */
static size_t gemm_all(const float *A, const float *B, const float *C0, float *Cr, float *out)
{
    size_t at = 0;
    for (int bi = 0; bi < 3; bi++)
        for (int ni = 0; ni < N_WIDTHS; ni++)
            for (int ki = 0; ki < N_WIDTHS; ki++)
                for (int t = 0; t < 4; t++) {
                    int M = batches[bi], N = widths[ni], K = widths[ki], ta = t & 1, tb = t >> 1;
                    float alpha = t == 3 ? -0.7f : 1.0f, beta = (float)(t % 3) * 0.5f; /* 0, 0.5, 1 */
                    int lda = ta ? M : K, ldb = tb ? K : N;
                    float *C = out + at;
                    memcpy(C, C0, sizeof(float) * M * N);
                    memcpy(Cr, C0, sizeof(float) * M * N);
                    plast_gemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, N);
                    plast_gemm_ref(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, Cr, N);
                    int bad = 0;
                    for (int i = 0; i < M; i++)
                        for (int j = 0; j < N; j++) {
                            double mag = 0.0;
                            for (int k = 0; k < K; k++)
                                mag += fabs((double)(ta ? A[k * lda + i] : A[i * lda + k]) *
                                            (tb ? B[j * ldb + k] : B[k * ldb + j]));
                            double tol = 1e-5 * (1.0 + fabs(alpha) * mag) + 1e-6 * fabs(beta * C0[i * N + j]);
                            bad += !(fabs((double)C[i * N + j] - Cr[i * N + j]) <= tol);
                        }
                    if (bad)
                        fprintf(stderr, "gemm %s ta %d tb %d M %d N %d K %d: %d outputs off\n",
                                plast_isa_name(plast_isa_current()), ta, tb, M, N, K, bad);
                    CHECK(bad == 0);
                    at += (size_t)M * N;
                }
    return at;
}

/* A product large enough to be taken in cache panels (and rows four at a time), against
 * the same product in column slices of 37, each too small for a panel: the same bits. */
static size_t gemm_panels(plast_rng *r, float *out)
{
    enum { M = 9, N = 600, K = 300, S = 37 };
    float *A = malloc(sizeof(float) * M * K), *B = malloc(sizeof(float) * K * N);
    float *C0 = malloc(sizeof(float) * M * N), *Cs = malloc(sizeof(float) * M * N);
    float *Cr = malloc(sizeof(float) * M * N);
    REQUIRE(A && B && C0 && Cs && Cr);
    fill(r, A, M * K), fill(r, B, K * N), fill(r, C0, M * N);
    size_t at = 0;
    for (int t = 0; t < 4; t++) {
        int ta = t & 1, tb = t >> 1, lda = ta ? M : K, ldb = tb ? K : N;
        float alpha = t == 3 ? -0.7f : 1.0f, beta = (float)(t % 3) * 0.5f;
        float *C = out + at;
        memcpy(C, C0, sizeof(float) * M * N);
        memcpy(Cs, C0, sizeof(float) * M * N);
        memcpy(Cr, C0, sizeof(float) * M * N);
        plast_gemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, N);
        for (int j0 = 0; j0 < N; j0 += S) {
            int n = N - j0 < S ? N - j0 : S;
            plast_gemm(ta, tb, M, n, K, alpha, A, lda, tb ? B + (size_t)j0 * ldb : B + j0, ldb, beta, Cs + j0, N);
        }
        int same = memcmp(C, Cs, sizeof(float) * M * N) == 0;
        if (!same) fprintf(stderr, "gemm panels %s ta %d tb %d: not the slices' bits\n", plast_isa_name(plast_isa_current()), ta, tb);
        CHECK(same);
        plast_gemm_ref(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, Cr, N);
        int bad = 0;
        for (int i = 0; i < M * N; i++) bad += !(fabs((double)C[i] - Cr[i]) <= 1e-4 * (1.0 + fabs((double)Cr[i])) * sqrt((double)K));
        CHECK(bad == 0);
        at += (size_t)M * N;
    }
    free(A), free(B), free(C0), free(Cs), free(Cr);
    return at;
}

/* plast_ger_backward on every shape against the backward product and the update made by
 * plast_gemm one after the other: the same bits, g and W. */
static size_t ger_backward_all(const float *W0, const float *U, const float *X, float *out)
{
    size_t at = 0;
    static float Wr[300 * 300], g[300], gr[300];
    for (int ri = 0; ri < N_WIDTHS; ri++)
        for (int ci = 0; ci < N_WIDTHS; ci++) {
            int nr = widths[ri], n = widths[ci];
            float alpha = -0.3f, *W = out + at;
            memcpy(W, W0, sizeof(float) * nr * n);
            memcpy(Wr, W0, sizeof(float) * nr * n);
            plast_ger_backward(nr, n, alpha, U, X, W, g);
            plast_gemm(0, 0, 1, n, nr, 1.0f, U, nr, Wr, n, 0.0f, gr, n);
            plast_gemm(1, 0, nr, n, 1, alpha, U, nr, X, n, 1.0f, Wr, n);
            int same = !memcmp(W, Wr, sizeof(float) * nr * n) && !memcmp(g, gr, sizeof(float) * n);
            if (!same)
                fprintf(stderr, "ger_backward %s rows %d n %d: not the two products' bits\n",
                        plast_isa_name(plast_isa_current()), nr, n);
            CHECK(same);
            at += (size_t)nr * n;
            memcpy(out + at, g, sizeof(float) * n);
            at += (size_t)n;
        }
    return at;
}

/* plast_dgemm on one shape against its defined order, output by output: exactly. */
static int dgemm_one(int ta, int tb, int M, int N, int K, double alpha, double beta, const double *A,
                     const double *B, const double *C0, double *C)
{
    int lda = ta ? M : K, ldb = tb ? K : N, bad = 0;
    memcpy(C, C0, sizeof(double) * M * N);
    plast_dgemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, N);
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            double c = beta == 0.0 ? 0.0 : beta == 1.0 ? C0[i * N + j] : beta * C0[i * N + j];
            for (int k = 0; k < K; k++)
                c += (alpha * (ta ? A[k * lda + i] : A[i * lda + k])) * (tb ? B[j * ldb + k] : B[k * ldb + j]);
            bad += memcmp(&c, &C[i * N + j], sizeof c) != 0;
        }
    if (bad)
        fprintf(stderr, "dgemm %s ta %d tb %d M %d N %d K %d: %d outputs off\n",
                plast_isa_name(plast_isa_current()), ta, tb, M, N, K, bad);
    return bad;
}

/* plast_dgemm on every shape and transpose (and one larger than its blocks) into out (as
 * floats: the paths are compared bit for bit through them too). */
static size_t dgemm_all(plast_rng *r, float *out)
{
    enum { BIG = 150 * 150 };
    double *A = malloc(sizeof(double) * BIG), *B = malloc(sizeof(double) * BIG);
    double *C0 = malloc(sizeof(double) * BIG), *C = malloc(sizeof(double) * BIG);
    REQUIRE(A && B && C0 && C);
    for (int i = 0; i < BIG; i++) A[i] = plast_rng_normal(r), B[i] = plast_rng_normal(r), C0[i] = plast_rng_normal(r);
    size_t at = 0;
    double moved = 0.0;
    for (int t = 0; t < 4; t++) {
        int ta = t & 1, tb = t >> 1;
        double alpha = t == 3 ? -0.7 : 1.0, beta = (double)(t % 3) * 0.5;
        for (int bi = 0; bi < 3; bi++)
            for (int ni = 0; ni < N_WIDTHS; ni++)
                for (int ki = 0; ki < N_WIDTHS; ki++) {
                    int M = batches[bi], N = widths[ni], K = widths[ki];
                    if (N * K > BIG) continue;
                    CHECK(dgemm_one(ta, tb, M, N, K, alpha, beta, A, B, C0, C) == 0);
                    for (int i = 0; i < M * N; i++) out[at++] = (float)C[i], moved += fabs(C[i] - C0[i]);
                }
        CHECK(dgemm_one(ta, tb, 70, 130, 150, alpha, beta, A, B, C0, C) == 0);
        for (int i = 0; i < 70 * 130; i++) out[at++] = (float)C[i];
    }
    CHECK(moved > 1.0);
    free(A), free(B), free(C0), free(C);
    /* wide enough that B goes a strip of columns at a time, and rows past the last four */
    enum { SM = 7, SN = 203, SK = 900 };
    A = malloc(sizeof(double) * SM * SK), B = malloc(sizeof(double) * SK * SN);
    C0 = malloc(sizeof(double) * SM * SN), C = malloc(sizeof(double) * SM * SN);
    REQUIRE(A && B && C0 && C);
    for (int i = 0; i < SM * SK; i++) A[i] = plast_rng_normal(r);
    for (int i = 0; i < SK * SN; i++) B[i] = plast_rng_normal(r);
    for (int i = 0; i < SM * SN; i++) C0[i] = plast_rng_normal(r);
    for (int t = 0; t < 4; t++)
        CHECK(dgemm_one(t & 1, t >> 1, SM, SN, SK, t == 3 ? 0.5 : 1.0, 1.0, A, B, C0, C) == 0);
    free(A), free(B), free(C0), free(C);
    return at;
}

/* Outer products onto few columns (an 11-input layer over a batch: rows of C a vector at a
 * time, the rows a vector does not cover one by one) against the same product one row of C
 * at a time: the same bits. */
static size_t gemm_narrow_rows(plast_rng *r, float *out)
{
    enum { M = 100, N = 11, K = 32 };
    float A[K * M], B[K * N], C0[M * N], Cs[M * N];
    fill(r, A, K * M), fill(r, B, K * N), fill(r, C0, M * N);
    float *C = out;
    for (int t = 0; t < 2; t++) {
        float beta = t ? 0.5f : 0.0f;
        memcpy(C, C0, sizeof C0);
        memcpy(Cs, C0, sizeof C0);
        plast_gemm(1, 0, M, N, K, 0.3f, A, M, B, N, beta, C, N);
        for (int i = 0; i < M; i++) plast_gemm(1, 0, 1, N, K, 0.3f, A + i, M, B, N, beta, Cs + i * N, N);
        int same = memcmp(C, Cs, sizeof Cs) == 0;
        if (!same) fprintf(stderr, "gemm narrow TN %s beta %g: not the row-by-row bits\n", plast_isa_name(plast_isa_current()), beta);
        CHECK(same);
    }
    return (size_t)M * N;
}

/* plast_oja_rows on every shape, per synapse and per row, Oja (d from u) and Hebb (d = 0),
 * into out (the updated W's), each checked against the double reference. */
static size_t oja_all(const float *W0, const float *P, const float *U,
                      const float *X, float *out)
{
    size_t at = 0;
    double moved = 0.0;
    for (int bi = 0; bi < 3; bi++)
        for (int ri = 0; ri < N_WIDTHS; ri++)
            for (int ci = 0; ci < N_WIDTHS; ci++)
                for (int v = 0; v < 8; v++) {
                    int nb = batches[bi], nr = widths[ri], n = widths[ci], syn = v & 1, oja = (v >> 1) & 1;
                    float scale = v >> 2 ? 1.0f : 0.03f, d[300];
                    for (int i = 0; i < nr; i++) {
                        d[i] = 0.0f;
                        if (oja)
                            for (int b = 0; b < nb; b++) d[i] += U[b * nr + i] * U[b * nr + i];
                    }
                    float *W = out + at;
                    memcpy(W, W0, sizeof(float) * nr * n);
                    plast_oja_rows(nr, n, nb, U, nr, X, n, d, P, syn, scale, W);
                    int bad = 0;
                    for (int i = 0; i < nr; i++)
                        for (int j = 0; j < n; j++) {
                            double g = 0.0, mag = 0.0;
                            for (int b = 0; b < nb; b++) {
                                g += (double)U[b * nr + i] * X[b * n + j];
                                mag += fabs((double)U[b * nr + i] * X[b * n + j]);
                            }
                            double p = (double)scale * (syn ? P[i * n + j] : P[i]);
                            double w0 = W0[i * n + j], want = w0 + p * (g - d[i] * w0);
                            double tol = 1e-5 * (1.0 + fabs(w0) + fabs(p) * (mag + fabs(d[i] * w0)));
                            bad += !(fabs(W[i * n + j] - want) <= tol);
                            moved += fabs(W[i * n + j] - w0);
                        }
                    if (bad)
                        fprintf(stderr, "oja %s nb %d rows %d n %d syn %d oja %d: %d weights off\n",
                                plast_isa_name(plast_isa_current()), nb, nr, n, syn, oja, bad);
                    CHECK(bad == 0);
                    at += (size_t)nr * n;
                }
    CHECK(moved > 1.0); /* the updates are not trivially zero */
    return at;
}

/* plast_rowcol_add on every shape into out, each checked against the same float operations
 * done one weight at a time (the kernels only vectorise across weights: exactly equal). */
static size_t rowcol_all(const float *W0, const float *V, const float *C, const float *U,
                         const float *X, float *out)
{
    size_t at = 0;
    for (int ri = 0; ri < N_WIDTHS; ri++)
        for (int ci = 0; ci < N_WIDTHS; ci++)
            for (int with_u = 0; with_u < 2; with_u++) {
                int nr = widths[ri], n = widths[ci], bad = 0;
                float alpha = 0.3f, *W = out + at;
                memcpy(W, W0, sizeof(float) * nr * n);
                plast_rowcol_add(nr, n, alpha, with_u ? U : NULL, X, V, C, W);
                for (int i = 0; i < nr; i++)
                    for (int j = 0; j < n; j++) {
                        float want = W0[i * n + j];
                        if (with_u) want = want + (alpha * U[i]) * X[j];
                        want = want + (V[j] + C[i]);
                        bad += memcmp(&want, &W[i * n + j], sizeof want) != 0;
                    }
                if (bad)
                    fprintf(stderr, "rowcol_add %s rows %d n %d u %d: %d weights off\n",
                            plast_isa_name(plast_isa_current()), nr, n, with_u, bad);
                CHECK(bad == 0);
                at += (size_t)nr * n;
            }
    return at;
}

/* 300 steps of rule on 11-40-40-40-1 with the sine task at batch nb; the learner state
 * after them into state (n floats). */
static size_t episode_state(const char *rule, int nb, float *state, size_t cap)
{
    char json[512];
    snprintf(json, sizeof json,
             "{\"net\": {\"hidden\": [40, 40, 40]}, \"rule\": {\"name\": \"%s\"%s},"
             " \"task\": {\"name\": \"sine\", \"batch\": %d}}", rule,
             !strcmp(rule, "flp") ? ", \"p_init\": 1e-5" : !strcmp(rule, "hebb") ? ", \"eta_init\": 1e-5" : "",
             nb);
    static plast_config cfg;
    plast_task_shape sh;
    plast_learner L;
    plast_episode ep;
    plast_stream st;
    plast_err err;
    plast_registry reg = plast_registry_builtin(0);
    REQUIRE(plast_config_parse(&cfg, json, "test", NULL, 0, &reg, &err) == PLAST_OK);
    REQUIRE(plast_learner_from_config(&L, &cfg, NULL, NULL, &sh, &err) == PLAST_OK);
    REQUIRE(plast_episode_init(&ep, &L, &sh, &err) == PLAST_OK);
    REQUIRE(plast_stream_init(&st, &sh, &err) == PLAST_OK);
    void *task = cfg.task->create(cfg.task_opts, 1, &err);
    REQUIRE(task);
    plast_rng r;
    plast_rng_seed(&r, 3, 4);
    plast_learner_draw(&L, &r);
    cfg.task->draw(task, &r, &st);
    plast_episode_reset(&ep);
    for (int t = 0; t < 300; t++) {
        int k = t % st.n_steps;
        plast_episode_step(&ep, st.x + (size_t)k * nb * sh.n_in, st.y + (size_t)k * nb * sh.n_out, nb, NULL);
    }
    size_t n = ep.work.p.n_floats;
    REQUIRE(n <= cap);
    memcpy(state, ep.work.p.data, n * sizeof(float));
    double change = 0.0;
    for (size_t i = 0; i < n; i++) change += fabs((double)state[i] - L.net.p.data[i]);
    if (!(change > 1e-3 && change < 1e6)) fprintf(stderr, "%s batch %d: the state moved by %g\n", rule, nb, change);
    CHECK(change > 1e-3 && change < 1e6); /* the rule learned something, and stayed finite */
    cfg.task->destroy(task);
    plast_stream_free(&st);
    plast_episode_free(&ep);
    plast_learner_free(&L);
    return n;
}

int main(void)
{
    plast_linalg_init();
    plast_rng r;
    plast_rng_seed(&r, 7, 8);
    size_t big = 300 * 300 + 16;
    float *A = malloc(sizeof(float) * big), *B = malloc(sizeof(float) * big);
    float *C0 = malloc(sizeof(float) * big), *Cr = malloc(sizeof(float) * big);
    float *P = malloc(sizeof(float) * big), *W0 = malloc(sizeof(float) * big);
    size_t n_out = 8 * 1000000;
    float *base = malloc(sizeof(float) * n_out), *now = malloc(sizeof(float) * n_out);
    REQUIRE(A && B && C0 && Cr && P && W0 && base && now);
    fill(&r, A, big), fill(&r, B, big), fill(&r, C0, big), fill(&r, W0, big);
    for (size_t i = 0; i < big; i++) P[i] = (float)plast_rng_uniform_d(&r);

    int paths = 0;
    plast_isa best = plast_isa_current();
    /* the baseline path first: every other path must give its bits */
    for (int i = 0; i < PLAST_ISA_N; i++) {
        if (!plast_isa_supported((plast_isa)i)) continue;
        REQUIRE(plast_isa_select((plast_isa)i) == 0);
        CHECK(plast_isa_current() == (plast_isa)i);
        paths++;
        float *out = i == PLAST_ISA_DEFAULT ? base : now;
        size_t m = gemm_all(A, B, C0, Cr, out);
        plast_rng rp;
        plast_rng_seed(&rp, 9, 10);
        m += gemm_panels(&rp, out + m);
        m += gemm_narrow_rows(&rp, out + m);
        m += dgemm_all(&rp, out + m);
        m += oja_all(W0, P, A, B, out + m);
        m += rowcol_all(W0, A, B, C0, P, out + m);
        m += ger_backward_all(W0, A, B, out + m);
        const char *rules[4] = {"flp", "sgd", "dfa", "hebb"};
        for (int k = 0; k < 4; k++)
            for (int nb = 1; nb <= 5; nb += 4) m += episode_state(rules[k], nb, out + m, n_out - m);
        REQUIRE(m <= n_out);
        if (i != PLAST_ISA_DEFAULT) {
            int same = memcmp(base, now, m * sizeof(float)) == 0;
            if (!same) fprintf(stderr, "path %s does not give the baseline's bits\n", plast_isa_name((plast_isa)i));
            CHECK(same);
        }
    }
    CHECK(paths >= 1);
    CHECK(plast_isa_select(PLAST_ISA_N) == -1); /* no such path: refused */
    plast_isa_select(best);
    printf("SIMD paths tested: %d (chosen: %s)\n", paths, plast_isa_name(best));
    free(A), free(B), free(C0), free(Cr), free(P), free(W0), free(base), free(now);
    CHECK_DONE();
}

/* test_sine.c — the incremental sine task (PROTOCOLS.md §1): ranges of amplitude, phase
 * and x; the one-hot slot; continual versus i.i.d. order; determinism per seed. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "plast/task.h"

typedef struct {
    unsigned char b[4096];
} opts_buf;

static void set(const plast_task *t, void *o, const char *key, int v)
{
    for (int i = 0; i < t->opts.n; i++)
        if (!strcmp(t->opts.opt[i].key, key)) {
            *(int *)((char *)o + t->opts.opt[i].offset) = v;
            return;
        }
    REQUIRE(0 && "unknown key");
}

/* Checksum of one minibatch (x and y), to compare the multiset of minibatches. */
static double batch_sum(const plast_stream *s, int step)
{
    const plast_task_shape *sh = &s->shape;
    double acc = 0.0;
    for (int i = 0; i < sh->batch * sh->n_in; i++)
        acc += (i + 1) * (double)s->x[(size_t)step * sh->batch * sh->n_in + i];
    for (int i = 0; i < sh->batch; i++) acc += 7.0 * (double)s->y[(size_t)step * sh->batch + i];
    return acc;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(void)
{
    const plast_task *t = plast_task_find("sine");
    REQUIRE(t);
    opts_buf ob;
    plast_opts_defaults(&t->opts, ob.b);
    plast_task_shape sh;
    plast_err err;
    REQUIRE(t->shape(ob.b, &sh, &err) == PLAST_OK);
    CHECK(sh.n_in == 11 && sh.n_out == 1 && sh.batch == 32 && sh.max_steps == 400);
    CHECK(sh.n_seg == 10 && sh.n_query == 32 && sh.objective == &plast_objective_regression);

    void *st = t->create(ob.b, 1, &err);
    REQUIRE(st);
    plast_stream a, b;
    REQUIRE(plast_stream_init(&a, &sh, &err) == PLAST_OK);
    REQUIRE(plast_stream_init(&b, &sh, &err) == PLAST_OK);
    plast_rng r;
    plast_rng_derive(&r, 5, 0, 0, 0);
    t->draw(st, &r, &a);
    CHECK(a.n_steps == 400);

    /* Continual order: 40 steps of slot 0, then slot 1, ...; x in [-5, 5]; the one-hot slot
     * matches seg; y / sin(x + phi) = A in [0.1, 5.1) with one (A, phi) per function. */
    int order_ok = 1, slot_ok = 1, x_ok = 1;
    double xmin = 1e9, xmax = -1e9;
    for (int s = 0; s < 400; s++) {
        order_ok &= a.seg[s] == s / 40;
        for (int k = 0; k < 32; k++) {
            const float *x = a.x + ((size_t)s * 32 + k) * 11;
            for (int j = 0; j < 10; j++) slot_ok &= x[j] == (j == a.seg[s] ? 1.0f : 0.0f);
            x_ok &= x[10] >= -5.0f && x[10] <= 5.0f;
            xmin = fmin(xmin, x[10]);
            xmax = fmax(xmax, x[10]);
        }
    }
    CHECK(order_ok && slot_ok && x_ok);
    CHECK(xmin < -4.9 && xmax > 4.9);
    for (int k = 0; k < 10; k++) CHECK(a.mark[k] == 40 * (k + 1));
    /* Recover (A, phi) of each function from two points and check every other point. */
    for (int f = 0; f < 10; f++) {
        double best_err = 1e9, bestA = 0, bestP = 0;
        for (int pi = 0; pi < 3142; pi++) { /* grid search over phase in [0, pi) */
            double ph = pi * 1e-3, num = 0, den = 0;
            for (int k = 0; k < 32; k++) {
                const float *x = a.x + ((size_t)(f * 40) * 32 + k) * 11;
                double sx = sin(x[10] + ph);
                num += sx * a.y[(size_t)(f * 40) * 32 + k];
                den += sx * sx;
            }
            double A = num / den, e = 0;
            for (int k = 0; k < 32; k++) {
                const float *x = a.x + ((size_t)(f * 40) * 32 + k) * 11;
                double d = A * sin(x[10] + ph) - a.y[(size_t)(f * 40) * 32 + k];
                e += d * d;
            }
            if (e < best_err) best_err = e, bestA = A, bestP = ph;
        }
        CHECK(bestA >= 0.1 - 0.01 && bestA < 5.1 + 0.01);
        CHECK(bestP >= 0.0 && bestP < 3.1416);
        CHECK(best_err < 1e-3 * (1 + bestA * bestA));
        /* the query points of that function follow the same curve */
        for (int q = 0; q < 32; q++) {
            const float *x = a.qx + ((size_t)f * 32 + q) * 11;
            CHECK_NEAR(a.qy[f * 32 + q], bestA * sin(x[10] + bestP), 0.01 * (1 + bestA));
        }
    }

    /* Same seed, same episode; another seed, another. */
    plast_rng_derive(&r, 5, 0, 0, 0);
    t->draw(st, &r, &b);
    CHECK(memcmp(a.x, b.x, sizeof(float) * 400 * 32 * 11) == 0);
    CHECK(memcmp(a.qy, b.qy, sizeof(float) * 320) == 0);
    plast_rng_derive(&r, 6, 0, 0, 0);
    t->draw(st, &r, &b);
    CHECK(memcmp(a.y, b.y, sizeof(float) * 400 * 32) != 0);

    /* i.i.d. order: the same minibatches (same seed), shuffled. */
    opts_buf iid = ob;
    set(t, iid.b, "order", 1);
    void *st2 = t->create(iid.b, 1, &err);
    REQUIRE(st2);
    plast_rng_derive(&r, 5, 0, 0, 0);
    t->draw(st2, &r, &b);
    double sa[400], sb[400];
    int moved = 0, seg_ok = 1;
    for (int s = 0; s < 400; s++) {
        sa[s] = batch_sum(&a, s), sb[s] = batch_sum(&b, s);
        moved += b.seg[s] != s / 40;
        seg_ok &= b.x[(size_t)s * 32 * 11 + b.seg[s]] == 1.0f; /* seg follows its batch */
    }
    qsort(sa, 400, sizeof(double), cmp);
    qsort(sb, 400, sizeof(double), cmp);
    CHECK(memcmp(sa, sb, sizeof sa) == 0);
    CHECK(moved > 300);
    CHECK(seg_ok);
    CHECK(memcmp(a.qx, b.qx, sizeof(float) * 320 * 11) == 0);

    /* Variable batches per function: counts within min..max, marks cumulative. */
    opts_buf var = ob;
    set(t, var.b, "min_batches", 4);
    void *st3 = t->create(var.b, 1, &err);
    plast_rng_derive(&r, 8, 0, 0, 0);
    t->draw(st3, &r, &b);
    int prev = 0, counts_ok = 1, distinct = 0;
    for (int k = 0; k < 10; k++) {
        int c = b.mark[k] - prev;
        counts_ok &= c >= 4 && c <= 40;
        distinct += c != 40;
        prev = b.mark[k];
    }
    CHECK(counts_ok && distinct > 0 && b.n_steps == prev);

    /* Bad shapes are refused with the key. */
    opts_buf bad = ob;
    set(t, bad.b, "min_batches", 50);
    CHECK(t->shape(bad.b, &sh, &err) == PLAST_E_CONFIG && !strcmp(err.where, "task.min_batches"));
    bad = ob;
    set(t, bad.b, "pool_eval", 5);
    CHECK(t->shape(bad.b, &sh, &err) == PLAST_E_CONFIG && !strcmp(err.where, "task.n_functions"));

    t->destroy(st), t->destroy(st2), t->destroy(st3);
    plast_stream_free(&a), plast_stream_free(&b);
    CHECK_DONE();
}

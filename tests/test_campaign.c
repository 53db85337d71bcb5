/* test_campaign.c — the outer loop.
 *
 * - A small campaign improves the validation meta-loss over its starting point.
 * - 1 thread and 2 threads give bit-identical generations (every fitness statistic,
 *   validation, the optimizer's mean and the best parameters).
 * - Stopping (a checkpoint after generation k, or an interrupt in the middle of a
 *   generation) and resuming in a new campaign object gives the same numbers as never
 *   stopping.
 * - A checkpoint of another config, a truncated one and a missing one are refused. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "plast/registry.h"
#include "plast/campaign.h"
#include "plast/linalg.h"
#include "plast/optim.h"

static const char *small =
    "{\"seed\": 4, \"runs\": 4, \"net\": {\"hidden\": [24], \"bias_init\": \"uniform\", \"bias_value\": 3},"
    " \"rule\": {\"name\": \"flp\", \"form\": \"hebb\", \"granularity\": \"layer\","
    "            \"feedback_relu\": false, \"p_init\": 1e-6, \"beta_init\": 1},"
    " \"task\": {\"name\": \"sine\", \"order\": \"iid\", \"n_batches\": 10},"
    " \"campaign\": {\"optimizer\": \"sep-cmaes\", \"generations\": 12, \"popsize\": 8,"
    "   \"sigma0\": 1, \"episodes\": 1, \"validate_every\": 3, \"validation_runs\": 6,"
    "   \"owns\": [\"plasticity\", \"beta\", \"feedback\"]}}";

static plast_config *load(const char *const *sets, int n)
{
    static plast_config cfgs[8];
    static int used;
    REQUIRE(used < 8);
    plast_config *c = &cfgs[used++];
    plast_err err;
    if (plast_config_parse(c, small, "small", sets, n, PLAST_TEST_REG(1), &err))
        fprintf(stderr, "%s: %s\n", err.where, err.msg);
    REQUIRE(c->has_campaign);
    return c;
}

static plast_campaign *make(const plast_config *cfg, int threads)
{
    plast_err err;
    plast_campaign *c = plast_campaign_new(cfg, threads, NULL, &err);
    if (!c) fprintf(stderr, "%s: %s\n", err.where, err.msg);
    REQUIRE(c);
    return c;
}

static void run_to(plast_campaign *c, long gen)
{
    plast_err err;
    while (plast_campaign_gen(c) < gen && !plast_campaign_done(c))
        REQUIRE(plast_campaign_step(c, NULL, NULL, &err) == PLAST_OK);
}

/* Same history (all but the timing fields) and same best parameters. */
static int same_run(const plast_campaign *a, const plast_campaign *b, const char *dir)
{
    int na, nb;
    const plast_gen_stats *ha = plast_campaign_history(a, &na), *hb = plast_campaign_history(b, &nb);
    if (na != nb) return 0;
    for (int i = 0; i < na; i++) {
        const plast_gen_stats *x = &ha[i], *y = &hb[i];
        if (x->gen != y->gen || memcmp(&x->best, &y->best, sizeof x->best) ||
            memcmp(&x->mean, &y->mean, sizeof x->mean) || memcmp(&x->std, &y->std, sizeof x->std) ||
            memcmp(&x->valid, &y->valid, sizeof x->valid) || memcmp(&x->sigma, &y->sigma, sizeof x->sigma))
            return 0;
    }
    /* best.json text of both */
    char pa[512], pb[512];
    snprintf(pa, sizeof pa, "%s/a.json", dir);
    snprintf(pb, sizeof pb, "%s/b.json", dir);
    FILE *fa = fopen(pa, "w"), *fb = fopen(pb, "w");
    plast_campaign_write_params(a, fa, 1);
    plast_campaign_write_params(b, fb, 1);
    fclose(fa), fclose(fb);
    fa = fopen(pa, "r"), fb = fopen(pb, "r");
    int same = 1, ca, cb;
    do {
        ca = fgetc(fa), cb = fgetc(fb);
        same &= ca == cb;
    } while (ca != EOF && cb != EOF);
    fclose(fa), fclose(fb);
    return same;
}

int main(void)
{
    plast_linalg_init();
    char dir[] = "/tmp/plast-campaign-XXXXXX";
    REQUIRE(mkdtemp(dir));
    char ck[600];
    snprintf(ck, sizeof ck, "%s/checkpoint.bin", dir);
    plast_err err;
    const uint64_t hash = 0x1234;

    /* Improvement over generation 0 and thread independence. */
    plast_config *cfg = load(NULL, 0);
    plast_campaign *one = make(cfg, 1), *two = make(cfg, 2);
    REQUIRE(plast_campaign_start(one, NULL, &err) == PLAST_OK);
    REQUIRE(plast_campaign_start(two, NULL, &err) == PLAST_OK);
    run_to(one, 12);
    run_to(two, 12);
    int n;
    const plast_gen_stats *h = plast_campaign_history(one, &n);
    CHECK(n == 13);
    fprintf(stderr, "validation: generation 0 %.4f, best %.4f\n", h[0].valid, h[n - 1].best_valid);
    CHECK(h[n - 1].best_valid < 0.9 * h[0].valid);
    CHECK(same_run(one, two, dir));

    /* Checkpoint after generation 5, resume in a new object, continue to 12. */
    plast_campaign *a = make(cfg, 2);
    REQUIRE(plast_campaign_start(a, NULL, &err) == PLAST_OK);
    run_to(a, 5);
    REQUIRE(plast_campaign_save(a, ck, hash, &err) == PLAST_OK);
    plast_campaign_delete(a);
    plast_campaign *b = make(cfg, 1);
    REQUIRE(plast_campaign_restore(b, ck, hash, &err) == PLAST_OK);
    CHECK(plast_campaign_gen(b) == 5);
    run_to(b, 12);
    CHECK(same_run(one, b, dir));
    plast_campaign_delete(b);

    /* An interrupt in the middle of generation 7: the generation is dropped, the state
     * is that of generation 6; saving, resuming and going on gives the same numbers. */
    plast_campaign *c = make(cfg, 2);
    REQUIRE(plast_campaign_start(c, NULL, &err) == PLAST_OK);
    run_to(c, 6);
    volatile sig_atomic_t stop = 1;
    CHECK(plast_campaign_step(c, &stop, NULL, &err) == PLAST_INTERRUPTED);
    CHECK(plast_campaign_gen(c) == 6);
    REQUIRE(plast_campaign_save(c, ck, hash, &err) == PLAST_OK);
    plast_campaign_delete(c);
    plast_campaign *d = make(cfg, 2);
    REQUIRE(plast_campaign_restore(d, ck, hash, &err) == PLAST_OK);
    run_to(d, 12);
    CHECK(same_run(one, d, dir));

    /* Refused checkpoints: another config, truncated, missing. */
    plast_campaign *e = make(cfg, 1);
    CHECK(plast_campaign_restore(e, ck, hash + 1, &err) == PLAST_E_DATA);
    CHECK(strstr(err.msg, "another config") != NULL);
    FILE *f = fopen(ck, "r+b");
    REQUIRE(f);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fclose(f);
    REQUIRE(truncate(ck, len / 2) == 0);
    CHECK(plast_campaign_restore(e, ck, hash, &err) == PLAST_E_DATA);
    CHECK(strstr(err.msg, "truncated") != NULL || strstr(err.msg, "checksum") != NULL);
    f = fopen(ck, "wb");
    fputs("not a checkpoint at all, but long enough to be read........", f);
    fclose(f);
    CHECK(plast_campaign_restore(e, ck, hash, &err) == PLAST_E_DATA);
    CHECK(strstr(err.msg, "magic") != NULL);
    remove(ck);
    CHECK(plast_campaign_restore(e, ck, hash, &err) == PLAST_E_NOINPUT);

    /* A group the network and rule do not declare (the message lists those they do), a
     * campaign that owns nothing, and a group both owned and re-drawn. */
    const char *bad[1] = {"campaign.owns=[\"plasticity\", \"terms\"]"};
    plast_config *cb = load(bad, 1);
    CHECK(plast_campaign_new(cb, 1, NULL, &err) == NULL && err.code == PLAST_E_CONFIG &&
          !strcmp(err.where, "campaign.owns[1]"));
    CHECK(strstr(err.msg, "'terms'") && strstr(err.msg, "weights, biases, feedback, plasticity, beta"));
    const char *none[1] = {"campaign.owns=[]"};
    plast_config *cn = load(none, 1);
    CHECK(plast_campaign_new(cn, 1, NULL, &err) == NULL && !strcmp(err.where, "campaign.owns"));
    const char *both[1] = {"campaign.redraw=[\"beta\"]"};
    plast_config *cc = load(both, 1);
    CHECK(plast_campaign_new(cc, 1, NULL, &err) == NULL && !strcmp(err.where, "campaign.redraw"));

    plast_campaign_delete(one), plast_campaign_delete(two), plast_campaign_delete(d),
        plast_campaign_delete(e);
    char rm[700];
    snprintf(rm, sizeof rm, "rm -rf %s", dir);
    CHECK(system(rm) == 0);
    CHECK_DONE();
}

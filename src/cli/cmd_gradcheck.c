/* cmd_gradcheck.c — plast gradcheck: the exact meta-gradient of a config's learner against
 * central differences, along random directions, on a few episodes. */
#include <math.h>
#include <stdio.h>

#include "cli.h"
#include "plast/evaluate.h"
#include "plast/metagrad.h"
#include "plast/registry.h"

int cli_gradcheck(int argc, char **argv)
{
    const char *path = NULL;
    long episodes = 2, dirs = 3, seed = -1;
    cli_set_list sets = {{0}, 0};
    const cli_flag flags[] = {
        {"--episodes", CLI_INT, &episodes, 1, 1000}, {"--directions", CLI_INT, &dirs, 1, 1000},
        {"--seed", CLI_INT, &seed, 0, 2147483647},   {"--set", CLI_SET, &sets, 0, 0},
    };
    if (cli_parse_flags(argc, argv, flags, sizeof flags / sizeof flags[0], &path)) return PLAST_E_USAGE;
    if (!path) return cli_usage_error("%s", "usage: plast gradcheck CONFIG.json [--episodes N] "
                                             "[--directions N] [--seed S] [--set key=value ...]");
    static plast_config cfg;
    plast_err err;
    plast_err_clear(&err);
    plast_registry reg = plast_registry_builtin(1);
    if (plast_config_load(&cfg, path, sets.v, sets.n, &reg, &err)) return cli_fail(&err);
    if (seed >= 0) cfg.run.seed = (int)seed;
    plast_eval_setup S;
    if (plast_eval_setup_init(&S, &cfg, &err)) return cli_fail(&err);
    plast_metagrad *g = plast_metagrad_new(&S.L, &S.shape, 0, &err);
    plast_stream st;
    int rc = g ? plast_stream_init(&st, &S.shape, &err) : err.code;
    if (rc) {
        plast_metagrad_delete(g);
        plast_eval_setup_free(&S);
        return cli_fail(&err);
    }
    printf("| episode | meta-loss | gradient norm | worst relative error over %ld directions |\n"
           "|---|---|---|---|\n", dirs);
    double worst = 0.0;
    for (long e = 0; e < episodes; e++) {
        plast_rng r;
        plast_rng_derive(&r, (uint64_t)cfg.run.seed, PLAST_KEY_INIT, 0, (uint64_t)e);
        plast_learner_draw(&S.L, &r);
        if (S.have_fixed) {
            plast_pset_overlay(&S.L.net.p, &S.fixed.net.p, S.mask_net);
            plast_pset_overlay(&S.L.meta, &S.fixed.meta, S.mask_meta);
        }
        plast_rng_derive(&r, (uint64_t)cfg.run.seed, PLAST_KEY_EVAL, 0, (uint64_t)e);
        cfg.task->draw(S.task_state, &r, &st);
        double loss, gnorm, w = plast_metagrad_check(g, &st, (int)dirs, &r, &loss, &gnorm);
        printf("| %ld | %.6g | %.6g | %.2e |\n", e, loss, gnorm, w);
        worst = w > worst || isnan(w) ? w : worst;
    }
    printf("\nworst relative error %.2e (double-precision episodes: expect <= 1e-6)\n", worst);
    int kinks = 0;
    for (int l = 0; l < S.L.net.n_layers; l++) kinks |= S.L.net.layer[l].act == PLAST_ACT_RELU;
    if (worst > 1e-6 && kinks)
        printf("note: relu units make the loss piecewise smooth; a finite difference that crosses a\n"
               "kink disagrees with the (exact) gradient. Check with a smooth activation:\n"
               "  --set net.act=tanh\n");
    plast_stream_free(&st);
    plast_metagrad_delete(g);
    plast_eval_setup_free(&S);
    return worst <= 1e-6 ? 0 : PLAST_E_DATA;
}

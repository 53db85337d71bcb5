/* cmd_help.c — `plast help [COMMAND]` (every command's usage text) and `plast list
 * rules|tasks` (the registries with their options and declared meta-parameters). */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "plast/campaign.h"
#include "plast/config.h"
#include "plast/optim.h"
#include "plast/suggest.h"

/* ---------------- help ---------------- */

static void print_table(const plast_opt_table *t);

const char *const cli_help_main =
    "plast " PLAST_VERSION " - a laboratory for local plasticity rules\n"
    "\n"
    "usage: plast COMMAND [ARGS]\n"
    "\n"
    "commands:\n"
    "  meta-train CAMPAIGN.json   meta-train a rule by evolution or exact meta-gradients\n"
    "                     (resumable run directory)\n"
    "  eval CONFIG.json   score a rule on a task over many runs (mean, 95% CI, curve)\n"
    "  bench SUITE.json   methods x tasks x seeds: tables, continual curves, heatmaps\n"
    "  analyze RUN|CONFIG how a rule's updates interfere, against online SGD\n"
    "  probe SUITE.json   linear probes of self-supervised encoders, per layer and seed\n"
    "  gradcheck CONFIG.json   a config's exact meta-gradient against central differences\n"
    "  show RUN           a run's summary and its learned meta-parameters\n"
    "  compare DIR...     evals, runs and bench outputs side by side, with differences\n"
    "  plot DIR           redraw the plots of a run, eval, bench or compare directory\n"
    "  list rules|tasks|optimizers   what a config can name, with options and defaults\n"
    "  help [COMMAND]     this text, or a command's ('COMMAND --help' too)\n"
    "  --version          version, git revision and BLAS\n"
    "\n"
    "exit codes: 0 ok, 64 usage, 65 bad data, 66 missing input, 70 internal,\n"
    "            74 I/O, 75 interrupted (continue with --resume), 78 bad config\n";

const char *const cli_commands[] = {"meta-train", "eval", "bench", "analyze", "probe", "gradcheck",
                                    "show", "compare", "plot", "list", "help", "--version", NULL};

static const char *const help_metatrain =
    "usage: plast meta-train CAMPAIGN.json [--out DIR] [--threads N] [--seed S]\n"
    "                        [--set key=value ...] [--force] [--quiet]\n"
    "       plast meta-train CAMPAIGN.json --seeds 1-5 [--out DIR] [--threads N] ...\n"
    "       plast meta-train --resume DIR [--threads N] [--quiet]\n"
    "\n"
    "Runs the campaign's outer loop: each generation the optimizer proposes candidate\n"
    "meta-parameters (the groups in campaign.owns), each is scored by its mean meta-loss\n"
    "over campaign.episodes training episodes (the same episodes for all candidates), and\n"
    "the mean is validated on held-out episodes every campaign.validate_every generations.\n"
    "At the end the best-validated rule is compared on the evaluation pool with its starting\n"
    "point and with online SGD (learning rate tuned on the training pool).\n"
    "\n"
    "  --out DIR     run directory (default results/CAMPAIGN-NAME); never overwritten\n"
    "                without --force\n"
    "  --resume DIR  continue a run from its checkpoint: same numbers as never stopping\n"
    "  --threads N   candidates evaluated on N threads (results do not depend on N)\n"
    "  --seed S      seed (overrides the config's)\n"
    "  --seeds LIST  a seed sweep: one campaign per seed (e.g. 1-5 or 1,3,7) into DIR/seed-N/\n"
    "                (default DIR results/CAMPAIGN-NAME-seeds), one after the other on all\n"
    "                threads or ranks, then pooled: seeds.md/seeds.json (each method's mean\n"
    "                over seeds with its 95% t interval over seeds, next to each seed's CI\n"
    "                over evaluation runs) and seeds.png (every seed's meta-training curve).\n"
    "                --resume DIR continues a stopped sweep (finished seeds are kept)\n"
    "  --set k=v     override a config key, e.g. --set campaign.generations=100\n"
    "  --quiet       no progress lines\n"
    "\n"
    "SIGINT or SIGTERM stops after writing a checkpoint of the last finished generation\n"
    "(exit 75); --resume remembers the thread count unless given, and run.json keeps the\n"
    "history of every session. Under mpirun -np N the candidates are spread over the ranks.\n"
    "writes: config.json run.json metrics.csv metrics.jsonl checkpoint.bin best.json\n"
    "        start.json summary.json summary.md metatrain.png curves.png (+ .gp, .csv)\n";

static const char *const help_bench =
    "usage: plast bench SUITE.json [--out DIR] [--threads N] [--runs N] [--set key=value ...]\n"
    "                   [--only LABEL ...] [--force] [--quiet]\n"
    "       plast bench --resume DIR [--threads N] [--quiet]\n"
    "\n"
    "Runs every method of the suite on every variant of its task, over the suite's runs\n"
    "(the same episodes for every method), sweeping a method's key first where it says so,\n"
    "and writes table.md/.csv/.json (final score, ACC, BWT, FWT, forgetting, learning\n"
    "accuracy with 95% bootstrap intervals), continual-learning curves, a heatmap of the\n"
    "score matrix per method and forgetting bars (PNG through gnuplot). Suites ship in\n"
    "meta/campaigns/ (bench-*.json). Default output: results/bench-NAME.\n"
    "\n"
    "  --runs N      runs per method (overrides the suite's)\n"
    "  --set k=v     override a config key for every method (after the method's own)\n"
    "  --only LABEL  only the variants or methods with this label (repeatable)\n"
    "  --resume DIR  finish a stopped suite: finished cells are read back, the rest run;\n"
    "                the tables equal those of a suite that never stopped, bit for bit\n"
    "\n"
    "Each (variant, method) cell is written to cells/ as it completes, with progress and\n"
    "an ETA on stderr; SIGINT or SIGTERM stops it with the finished cells kept (exit 75).\n"
    "Params files named in a suite are read relative to the suite file.\n"
    "Plots: curves_VARIANT.png, heatmap_VARIANT_METHOD.png, forgetting_VARIANT.png.\n";

static const char *const help_analyze =
    "usage: plast analyze RUN_OR_CONFIG [--task TASK.json] [--runs N] [--probes K]\n"
    "                     [--sgd-lr X] [--out DIR] [--force] [--quiet]\n"
    "\n"
    "For the rule of a meta-training run (its config.json and best.json) or of a config, and\n"
    "for online SGD from the same initial network on the very same streams, measures:\n"
    "update-update cosines of probe samples (same segment, across segments), the cosine of\n"
    "each update with minus the gradient, retroactive interference on earlier segments by\n"
    "their age with its first-order prediction, the angle between each feedback matrix and\n"
    "the transposed forward pathway, and the participation ratio of the updates.\n"
    "\n"
    "  --task TASK.json  take the task from another config (same input and output widths)\n"
    "  --runs N          runs (default: the config's, at most 10 unless given)\n"
    "  --probes K        probe samples per segment (default 4)\n"
    "  --sgd-lr X        learning rate of the SGD comparison (default 0.003)\n"
    "writes: analysis.json, run.json, cosines.png, interference.png, heatmap_rule.png,\n"
    "        heatmap_sgd.png, feedback_angle.png (+ .csv/.dat and .gp). Default output:\n"
    "        results/analysis-NAME.\n";

static const char *const help_show =
    "usage: plast show RUN\n"
    "\n"
    "Prints a meta-training run's summary table, its best generation (and says so when the\n"
    "best is the starting point: validation never improved) and, tensor by tensor, the\n"
    "learned meta-parameters (for the terms rule: the discovered rule as an equation).\n";

static const char *const help_plot =
    "usage: plast plot DIR\n"
    "\n"
    "Redraws every plot of a meta-training run, eval or bench directory\n"
    "from its .gp and data files (needs gnuplot).\n";

static const char *const help_compare =
    "usage: plast compare RUN_OR_BENCH... [--baseline LABEL] [--out DIR] [--quiet]\n"
    "\n"
    "Puts the results of eval directories, meta-training runs (the meta-trained rule, its\n"
    "starting point, online SGD) and bench outputs (every variant and method) side by side:\n"
    "the final score with its 95% CI over runs, and each method's difference from the\n"
    "baseline (the first, or the first whose label contains LABEL) with its bootstrap CI,\n"
    "paired run by run when both saw the same episodes (same task, seed and runs). Results\n"
    "scored on different tasks or protocols are refused (exit 65), naming the keys that differ.\n"
    "\n"
    "writes (default results/compare-TIME): compare.md, compare.json, curves.csv, curves.png\n"
    "(the continual curves overlaid).\n";

static const char *const help_eval =
    "usage: plast eval CONFIG.json [--runs N] [--seed S] [--threads T] [--out DIR]\n"
    "                  [--set key=value ...] [--force] [--quiet]\n"
    "\n"
    "Scores the config's rule on its task over N independent runs (episodes): the final\n"
    "score (MSE for regression, accuracy for classification) with its 95% bootstrap\n"
    "confidence interval, and the continual curve (score on everything seen so far after\n"
    "each function or class). Meta-parameters are the rule's defaults, or the tensors of\n"
    "the params file the config names (\"params\": \"RUN/best.json\").\n"
    "\n"
    "  --runs N        runs (overrides the config's \"runs\")\n"
    "  --seed S        seed (overrides \"seed\"); seed and config fix every number\n"
    "  --threads T     worker threads (results do not depend on T); default 1\n"
    "  --out DIR       output directory (default results/eval-NAME-TIME)\n"
    "  --set k=v       override a config key, e.g. --set task.order=iid\n"
    "                  --set net.hidden=[300,300] --set rule.name=sgd\n"
    "  --force         write into an existing, non-empty output directory\n"
    "  --quiet         no progress on stderr\n"
    "\n"
    "writes: config.json (resolved), results.json, curve.csv, loss.csv, curve.png\n";

static const char *const help_list =
    "usage: plast list rules|tasks|optimizers\n"
    "\n"
    "Lists each rule (with its options and the meta-parameters it declares), each task\n"
    "(with its options) or each outer-loop optimizer (campaign.optimizer), with defaults\n"
    "and allowed values.\n";

/* meta-train's help, then every key a campaign config may hold: the campaign section, the
 * top-level run keys and the network's (rules and tasks: `plast list`). */
static void help_metatrain_keys(void)
{
    fputs(help_metatrain, stdout);
    printf("\ncampaign keys (\"campaign\": {...}):\n");
    print_table(&plast_campaign_opts_table);
    printf("\ntop-level keys:\n");
    print_table(&plast_run_opts_table);
    printf("\nnetwork keys (\"net\": {...}):\n");
    print_table(&plast_net_opts_table);
    printf("\nrule and task keys: plast list rules, plast list tasks; optimizers: plast list optimizers\n");
}

int cli_help(int argc, char **argv)
{
    const char *what = argc > 1 ? argv[1] : "";
    if (!strcmp(what, "eval")) fputs(help_eval, stdout);
    else if (!strcmp(what, "meta-train")) help_metatrain_keys();
    else if (!strcmp(what, "show")) fputs(help_show, stdout);
    else if (!strcmp(what, "bench")) fputs(help_bench, stdout);
    else if (!strcmp(what, "analyze")) fputs(help_analyze, stdout);
    else if (!strcmp(what, "plot")) fputs(help_plot, stdout);
    else if (!strcmp(what, "compare")) fputs(help_compare, stdout);
    else if (!strcmp(what, "list")) fputs(help_list, stdout);
    else if (!*what || !strcmp(what, "help")) fputs(cli_help_main, stdout);
    else if (!strcmp(what, "--version")) fputs("usage: plast --version\n", stdout);
    else {
        const char *best = plast_suggest(what, cli_commands, -1);
        if (best) {
            fprintf(stderr, "plast: no help for '%s'; did you mean '%s'?\n", what, best);
            return PLAST_E_USAGE;
        }
        return cli_usage_error("no help for '%s'", what);
    }
    return 0;
}

/* ---------------- list ---------------- */

static void print_table(const plast_opt_table *t)
{
    for (int i = 0; i < t->n; i++) {
        const plast_opt *o = &t->opt[i];
        printf("    %-16s ", o->key);
        switch (o->type) {
        case PLAST_OPT_INT: printf("int %g..%g, default %g", o->lo, o->hi, o->def); break;
        case PLAST_OPT_FLOAT: printf("number %g..%g, default %g", o->lo, o->hi, o->def); break;
        case PLAST_OPT_BOOL: printf("bool, default %s", o->def ? "true" : "false"); break;
        case PLAST_OPT_STRING: printf("string, default \"%s\"", o->def_str ? o->def_str : ""); break;
        case PLAST_OPT_INTS: printf("list of ints, default [%s]", o->def_str ? o->def_str : ""); break;
        case PLAST_OPT_NAMES: printf("list of names, default [%s]", o->def_str ? o->def_str : ""); break;
        case PLAST_OPT_OBJS:
            printf("list of objects with keys");
            for (int k = 0; k < o->sub->n; k++) printf("%s %s", k ? "," : "", o->sub->opt[k].key);
            printf("; default []");
            break;
        case PLAST_OPT_ENUM:
            printf("one of");
            for (int k = 0; o->choices[k]; k++) printf("%s %s", k ? "," : "", o->choices[k]);
            printf("; default %s", o->choices[(int)o->def]);
            break;
        }
        printf("\n    %-16s   %s\n", "", o->help);
    }
}

/* In plast_path order (include/plast/rule.h): one name a path. */
static const char *const path_names[] = {"none", "direct: B_l s + c_l",
                                         "chain: B_l delta_{l+1} + c_l",
                                         "transpose: W_{l+1}^T delta_{l+1} (non-local)",
                                         "target: g_{l+1}(h^_{l+1}) - g_{l+1}(h_{l+1}), the layer "
                                         "above's inverse"};
_Static_assert(sizeof path_names / sizeof path_names[0] == PLAST_PATH_TARGET + 1,
               "a name for every feedback path");

/* Tensors from..n-1 of a set, one line each. */
static void print_tensors(const plast_pset *ps, int from)
{
    if (from >= ps->n) printf("    (none)\n");
    for (int k = from; k < ps->n; k++) {
        const plast_pspec *p = &ps->spec[k];
        char label[64];
        plast_pspec_label(p, label, sizeof label);
        printf("    %-10s [%d x %d]  group %-12s init %s %g  bounds [%g, %g]\n", label, p->rows,
               p->cols, p->group, plast_init_names[p->init], p->a, p->lo, p->hi);
    }
}

/* The outer-loop optimizers a campaign may name, with what each takes. */
static void list_optimizers(void)
{
    static const char *const about[PLAST_OPTIM_N_KINDS] = {
        "OpenAI-ES: antithetic Gaussian samples, rank-shaped fitness, Adam (es_adam) or SGD\n"
        "      with momentum on the mean; takes lr, es_adam, weight_decay, sigma_decay, sigma_min",
        "CMA-ES: full covariance (dimension up to 4096); takes ipop (restarts with doubled popsize)",
        "separable CMA-ES: diagonal covariance, for many parameters; takes ipop",
        "SNES: separable natural evolution strategy, one sigma per coordinate",
        "Adam on exact meta-gradients (rules flp, dfa, fa, sgd; any layer kind): one point, a\n"
        "      meta-batch of `episodes` per step; takes lr, clip, lr_decay, group_lr",
    };
    for (int k = 0; k < PLAST_OPTIM_N_KINDS; k++)
        printf("%-10s  %s\n", plast_optim_kind_name((plast_optim_kind)k), about[k]);
    printf("\nset with \"campaign\": {\"optimizer\": NAME, \"popsize\": N, \"sigma0\": S, ...};\n"
           "every campaign key: plast help meta-train\n");
}

int cli_list(int argc, char **argv)
{
    static const char *const what[] = {"rules", "tasks", "optimizers", NULL};
    if (argc != 2 || plast_choice_index(what, argv[1]) < 0) {
        const char *best = argc == 2 ? plast_suggest(argv[1], what, -1) : NULL;
        if (best) {
            fprintf(stderr, "plast: cannot list '%s'; did you mean '%s'?\n", argv[1], best);
            return PLAST_E_USAGE;
        }
        return cli_usage_error("%s", "usage: plast list rules|tasks|optimizers");
    }
    if (!strcmp(argv[1], "optimizers")) {
        list_optimizers();
        return 0;
    }
    int n;
    if (!strcmp(argv[1], "tasks")) {
        const plast_task *const *all = plast_task_all(&n);
        for (int i = 0; i < n; i++) {
            printf("%s - %s\n  options:\n", all[i]->name, all[i]->summary);
            print_table(&all[i]->opts);
        }
        return 0;
    }
    /* Meta-parameters depend on the network: show them for a small example network. */
    const plast_rule *const *all = plast_rule_all(&n);
    for (int i = 0; i < n; i++) {
        const plast_rule *r = all[i];
        printf("%s - %s%s\n  feedback: %s\n  options:\n", r->name, r->summary,
               r->nonlocal ? " [NON-LOCAL]" : "", path_names[r->path]);
        print_table(&r->opts);
        _Alignas(16) unsigned char opts[PLAST_OPTS_BYTES];
        plast_opts_defaults(&r->opts, opts);
        plast_net_spec sp;
        plast_net_opts no;
        plast_opts_defaults(&plast_net_opts_table, &no);
        plast_err err;
        plast_learner L;
        /* An example network: regression with every layer plastic, or, for a rule that
         * refuses that, classification on a frozen stack. */
        int rc = plast_net_spec_make(&no, 11, 0, 0, 0, 1, &sp, &err);
        if (!rc && plast_learner_init(&L, &sp, r, opts, &plast_objective_regression, &err)) {
            for (int l = 0; l < sp.n_layers - 1; l++) sp.plastic[l] = 0;
            sp.width[sp.n_layers - 1] = 5;
            rc = plast_learner_init(&L, &sp, r, opts, &plast_objective_classification, &err);
        }
        if (rc) {
            printf("  (no example network: %s)\n\n", err.msg);
            continue;
        }
        printf("  meta-parameters (example network %d", L.net.n_in);
        for (int l = 0; l < L.net.n_layers; l++) printf("-%d", L.net.layer[l].n_out);
        printf(", default options):\n");
        print_tensors(&L.meta, 0);
        if (L.net.p.n > L.net.n_own) {
            printf("  plastic tensors (learner state, changed in an episode; initial values "
                   "ownable):\n");
            print_tensors(&L.net.p, L.net.n_own);
        }
        if (r->reads) {
            printf("  reads broadcasts:");
            for (int k = 0; r->reads[k]; k++) printf(" %s", r->reads[k]);
            printf("\n");
        }
        plast_learner_free(&L);
        printf("\n");
    }
    return 0;
}

/* rule_trace.c — a rule that exists only in the tests, to show that adding a rule is one
 * file and one registry line: it declares a meta-parameter group no built-in rule has
 * ("trace_gain") and a plastic matrix of its own ("E", group "traces", part of the learner
 * state with a declared initialiser), and reads a broadcast by name.
 *
 * Each plastic layer keeps an eligibility trace E [n_out][n_in] of its DFA-like updates and
 * moves by it:
 *   delta = fb (.) f'(a)   (at the output: s, the error),
 *   E    <- decay E + (1 / batch) delta^T pre,
 *   W    <- W + gain_l E,
 * with gain_l a per-layer meta-parameter and decay a fixed option. E starts every episode
 * from its initial value, which a campaign may own like any meta-parameter. */
#include <math.h>
#include <stddef.h>

#include "plast/linalg.h"
#include "plast/rule.h"

typedef struct trace_opts {
    float decay;
    float gain_init;
    float e_init;
} trace_opts;

static const plast_opt trace_table[] = {
    {"decay", PLAST_OPT_FLOAT, offsetof(trace_opts, decay), 0.5, 0, 1, NULL, NULL,
     "trace decay per step"},
    {"gain_init", PLAST_OPT_FLOAT, offsetof(trace_opts, gain_init), 0, -10, 10, NULL, NULL,
     "initial gain of every layer"},
    {"e_init", PLAST_OPT_FLOAT, offsetof(trace_opts, e_init), 0.001, -10, 10, NULL, NULL,
     "initial value of every trace element"},
};

static int trace_declare(const void *opts, const plast_net *net, plast_pset *state,
                         plast_pset *meta, plast_err *err)
{
    const trace_opts *o = opts;
    int rc = PLAST_OK;
    for (int l = 0; l < net->n_layers && !rc; l++) {
        const plast_layer *ly = &net->layer[l];
        if (!ly->plastic) continue;
        rc = plast_pset_add(meta, "gain", "trace_gain", l, 1, 1, PLAST_INIT_CONSTANT, o->gain_init,
                            0, -INFINITY, INFINITY, err);
        if (!rc)
            rc = plast_pset_add(state, "E", "traces", l, ly->n_out, ly->n_in, PLAST_INIT_CONSTANT,
                                o->e_init, 0, -INFINITY, INFINITY, err);
    }
    return rc;
}

static int trace_check(const void *opts, const plast_net *net, const plast_objective *obj,
                       plast_err *err)
{
    (void)opts, (void)net, (void)obj, (void)err;
    return PLAST_OK;
}

typedef struct trace_handles {
    const float *gain;
    float *E;
    const float *error; /* the engine's broadcast, read to show the lookup (not used) */
} trace_handles;

static int trace_bind(const void *opts, const plast_binder *b, void *hv, plast_err *err)
{
    trace_handles *h = hv;
    (void)opts;
    if (!b->ly->plastic) return PLAST_OK;
    h->gain = plast_bind_meta(b, "gain", err);
    h->E = plast_bind_state(b, "E", err);
    h->error = plast_bind_broadcast(b, "error", err);
    return h->gain && h->E && h->error ? PLAST_OK : PLAST_E_INTERNAL;
}

static size_t trace_scratch(const void *opts, const plast_layer *ly, int batch_max)
{
    (void)opts;
    return (size_t)batch_max * ly->n_out + ly->n_out; /* delta, f'(a) row */
}

static void trace_update(const plast_local *x)
{
    const trace_opts *o = x->opts;
    const trace_handles *h = x->h;
    int nb = x->batch, no = x->n_out, ni = x->n_in;
    float *delta = x->scratch, *dv = delta + (size_t)nb * no;
    const float *g = x->is_output ? x->s : x->fb;
    for (int b = 0; b < nb; b++) {
        size_t at = (size_t)b * no;
        plast_act_deriv(x->act, no, x->preact + at, x->post + at, dv);
        for (int i = 0; i < no; i++) delta[at + i] = g[at + i] * dv[i];
    }
    plast_gemm(1, 0, no, ni, nb, 1.0f / (float)nb, delta, no, x->pre, ni, o->decay, h->E, ni);
    plast_axpy(no * ni, *h->gain, h->E, x->W);
}

static const char *const trace_reads[] = {"error", NULL};

const plast_rule test_rule_trace = {
    .name = "trace",
    .summary = "test rule: W += gain E, E an eligibility trace of DFA updates (tests only)",
    .nonlocal = 0,
    .path = PLAST_PATH_DIRECT,
    .sig = PLAST_SIG_ERROR,
    .opts = {trace_table, sizeof trace_table / sizeof trace_table[0], sizeof(trace_opts)},
    .reads = trace_reads,
    .declare = trace_declare,
    .check = trace_check,
    .handles_size = sizeof(trace_handles),
    .bind = trace_bind,
    .scratch_floats = trace_scratch,
    .update = trace_update,
};

/* hebb.c — the generalised Hebbian "ABCD" rule (Najarro & Risi 2020; PROTOCOLS.md §4):
 *   dw_ij = eta * ( A_ij post_i pre_j + B_ij pre_j + C_ij post_i + D_ij ),
 * summed over the minibatch, with A..D per layer (one value each) or per synapse, and eta
 * per layer. post is the layer's own forward activity h by default; with post = "teacher"
 * it is the feedback-driven activity relu(B s + c) (at the output, the objective's teacher
 * target where it has one: the one-hot class), which lets the same family learn supervised
 * tasks. Biases are not plastic. */
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "plast/layer.h"
#include "plast/linalg.h"
#include "plast/rule.h"

typedef struct hebb_opts {
    int granularity;
    int post;
    float eta_init, a_init, b_init, c_init, d_init;
} hebb_opts;

enum { HEBB_LAYER, HEBB_SYNAPSE };
enum { HEBB_FORWARD, HEBB_TEACHER };
static const char *const grans[] = {"layer", "synapse", NULL};
static const char *const posts[] = {"forward", "teacher", NULL};

static const plast_opt hebb_table[] = {
    {"granularity", PLAST_OPT_ENUM, offsetof(hebb_opts, granularity), HEBB_LAYER, 0, 0, grans,
     NULL, "A, B, C, D per layer or per synapse"},
    {"post", PLAST_OPT_ENUM, offsetof(hebb_opts, post), HEBB_FORWARD, 0, 0, posts, NULL,
     "post-synaptic term: forward activity h, or teacher relu(B s + c)"},
    {"eta_init", PLAST_OPT_FLOAT, offsetof(hebb_opts, eta_init), 1e-3, -1e3, 1e3, NULL, NULL,
     "initial learning rate eta of every layer"},
    {"a_init", PLAST_OPT_FLOAT, offsetof(hebb_opts, a_init), 1, -1e3, 1e3, NULL, NULL,
     "initial A (pre * post)"},
    {"b_init", PLAST_OPT_FLOAT, offsetof(hebb_opts, b_init), 0, -1e3, 1e3, NULL, NULL,
     "initial B (pre)"},
    {"c_init", PLAST_OPT_FLOAT, offsetof(hebb_opts, c_init), 0, -1e3, 1e3, NULL, NULL,
     "initial C (post)"},
    {"d_init", PLAST_OPT_FLOAT, offsetof(hebb_opts, d_init), 0, -1e3, 1e3, NULL, NULL,
     "initial D (constant)"},
};

static const char *const coef_names[4] = {"hebb_A", "hebb_B", "hebb_C", "hebb_D"};

static int hebb_declare(const void *opts, const plast_net *net, plast_pset *state,
                        plast_pset *meta, plast_err *err)
{
    const hebb_opts *o = opts;
    (void)state;
    int rc = PLAST_OK;
    for (int l = 0; l < net->n_layers && !rc; l++) {
        const plast_layer *ly = &net->layer[l];
        if (!ly->plastic) continue;
        int rows = o->granularity == HEBB_SYNAPSE ? ly->kind.rows : 1;
        int cols = o->granularity == HEBB_SYNAPSE ? ly->kind.cols : 1;
        const float init[4] = {o->a_init, o->b_init, o->c_init, o->d_init};
        rc = plast_pset_add(meta, "eta", "eta", l, 1, 1, PLAST_INIT_CONSTANT, o->eta_init, 0,
                            -INFINITY, INFINITY, err);
        for (int k = 0; k < 4 && !rc; k++)
            rc = plast_pset_add(meta, coef_names[k], "coefficients", l, rows, cols,
                                PLAST_INIT_CONSTANT, init[k], 0, -INFINITY, INFINITY, err);
    }
    return rc;
}

static int hebb_check(const void *opts, const plast_net *net, const plast_objective *obj,
                      plast_err *err)
{
    (void)opts, (void)net, (void)obj, (void)err;
    return PLAST_OK;
}

typedef struct hebb_handles {
    const float *eta;
    const float *coef[4]; /* A, B, C, D: one value or [n_out][n_in] */
} hebb_handles;

static int hebb_bind(const void *opts, const plast_binder *b, void *hv, plast_err *err)
{
    hebb_handles *h = hv;
    (void)opts;
    if (!b->ly->plastic) return PLAST_OK;
    if (!(h->eta = plast_bind_meta(b, "eta", err))) return PLAST_E_INTERNAL;
    for (int k = 0; k < 4; k++)
        if (!(h->coef[k] = plast_bind_meta(b, coef_names[k], err))) return PLAST_E_INTERNAL;
    return PLAST_OK;
}

static size_t hebb_scratch(const void *opts, const plast_layer *ly, int batch_max)
{
    /* post term [batch][n_out], sums of pre [cols] and of post [rows], G [rows][cols] */
    (void)opts;
    const plast_kind *k = &ly->kind;
    return (size_t)batch_max * ly->n_out + k->cols + k->rows + (size_t)k->rows * k->cols;
}

static void hebb_update(const plast_local *x)
{
    const hebb_opts *o = x->opts;
    const plast_kind *k = &x->kind;
    int nb = x->batch, no = k->rows, ni = k->cols;
    size_t n = (size_t)nb * x->n_out;
    float *post = x->scratch, *spre = post + n, *spost = spre + ni, *G = spost + no;
    float count = (float)nb * (float)k->positions; /* terms summed: batch and positions */
    const hebb_handles *h = x->h;
    float eta = *h->eta;
    const float *A = h->coef[0], *B = h->coef[1], *C = h->coef[2], *D = h->coef[3];

    if (o->post == HEBB_TEACHER && x->is_output && x->teacher)
        memcpy(post, x->s, n * sizeof *post);
    else if (o->post == HEBB_TEACHER)
        for (size_t i = 0; i < n; i++) post[i] = x->fb[i] > 0.0f ? x->fb[i] : 0.0f;
    else
        memcpy(post, x->post, n * sizeof *post);
    plast_kind_patchdot(k, x->pre, NULL, nb, spre, x->work);
    plast_kind_rowdot(k, post, NULL, nb, spost);

    if (o->granularity == HEBB_LAYER) {
        /* W += eta*A post^T pre, then W[i][j] += eta B spre[j] + (eta C spost[i] + eta D
         * count) (the two factors in place in spre and spost): one pass over W where the
         * outer product has one term (a dense layer at batch 1), else the outer product
         * first (gemm, in place) */
        float d = eta * D[0] * count, eb = eta * B[0], ec = eta * C[0];
        for (int j = 0; j < ni; j++) spre[j] = eb * spre[j];
        for (int i = 0; i < no; i++) spost[i] = ec * spost[i] + d;
        int fused = k->type == PLAST_LAYER_DENSE && nb == 1;
        if (!fused) plast_kind_outer(k, post, x->pre, nb, 0, no, eta * A[0], 1.0f, x->W, x->work);
        plast_rowcol_add(no, ni, eta * A[0], fused ? post : NULL, x->pre, spre, spost, x->W);
        return;
    }
    plast_kind_outer(k, post, x->pre, nb, 0, no, 1.0f, 0.0f, G, x->work);
    for (int i = 0; i < no; i++) {
        size_t r = (size_t)i * ni;
        float *restrict w = x->W + r; /* nothing else read here aliases W: vectorises */
        for (int j = 0; j < ni; j++)
            w[j] += eta * (A[r + j] * G[r + j] + B[r + j] * spre[j] + C[r + j] * spost[i] +
                           D[r + j] * count);
    }
}

const plast_rule plast_rule_hebb = {
    .name = "hebb",
    .summary = "generalised Hebbian ABCD rule: eta (A pre post + B pre + C post + D)",
    .nonlocal = 0,
    .path = PLAST_PATH_DIRECT,
    .sig = PLAST_SIG_TEACHER,
    .opts = {hebb_table, sizeof hebb_table / sizeof hebb_table[0], sizeof(hebb_opts)},
    .declare = hebb_declare,
    .check = hebb_check,
    .handles_size = sizeof(hebb_handles),
    .bind = hebb_bind,
    .scratch_floats = hebb_scratch,
    .signal = NULL,
    .update = hebb_update,
};

/* optim.h — ask/tell black-box optimizers for the outer loop (minimisation, double precision).
 *
 * Four methods behind one interface: OpenAI-ES (antithetic sampling, centred ranks, Adam or
 * SGD on the mean), CMA-ES (full covariance, optional IPOP restarts), separable CMA-ES
 * (diagonal covariance, for large dimensions) and SNES (separable natural ES). The caller owns
 * the optimizer (one heap allocation made by _new or _state_load, freed by _delete) and the
 * fitness function: `ask` writes candidate `member` of the current generation into a buffer
 * the caller owns, the caller evaluates every member, and `tell` takes all the fitnesses at
 * once and advances the generation. `ask` is a pure function of the optimizer state and
 * (seed, generation, member): it changes nothing, so members can be generated in any order,
 * on any thread or MPI rank, and ranks need to exchange only fitness values. The whole state
 * (and the effective configuration) saves to a flat byte buffer and loads back exactly, so a
 * resumed run continues bit for bit. Nothing here prints, exits or allocates after set-up. */
#ifndef PLAST_OPTIM_H
#define PLAST_OPTIM_H

#include <stddef.h>
#include <stdint.h>

#include "plast/error.h"

typedef enum {
    PLAST_OPTIM_OPENAI_ES, /* "openai-es" */
    PLAST_OPTIM_CMAES,     /* "cmaes" */
    PLAST_OPTIM_SEP_CMAES, /* "sep-cmaes" */
    PLAST_OPTIM_SNES,      /* "snes" */
    PLAST_OPTIM_ADAM       /* "adam": gradient descent on exact meta-gradients (tell_grad) */
} plast_optim_kind;

#define PLAST_OPTIM_N_KINDS 5
#define PLAST_OPTIM_MAX_POPSIZE (1 << 24) /* also caps popsize << max_restarts under IPOP */
#define PLAST_OPTIM_MAX_DIM_FULL 4096     /* full CMA-ES holds 3 dim x dim matrices */
#define PLAST_OPTIM_MAX_DIM (1 << 26)

typedef struct plast_optim_cfg {
    plast_optim_kind kind;
    int dim;         /* number of parameters, >= 1 */
    int popsize;     /* 0 = the method's default: 4 + floor(3 ln dim), rounded up to even for
                        OpenAI-ES (which needs an even popsize >= 2; others need >= 2) */
    double sigma0;   /* initial step size, > 0 (SNES: every coordinate's initial sigma) */
    uint64_t seed;   /* with (generation, member) the key of every sample */
    /* OpenAI-ES */
    int use_adam;    /* 1 Adam on the mean, 0 SGD with `momentum` */
    double lr;       /* learning rate on the mean, > 0 */
    double adam_beta1, adam_beta2, adam_eps;
    double momentum;     /* SGD momentum in [0, 1); 0 = plain SGD */
    double weight_decay; /* L2 decay on the mean, added to the ES gradient estimate, >= 0 */
    double sigma_decay;  /* sigma <- max(sigma_min, sigma * sigma_decay) each generation, > 0 */
    double sigma_min;    /* >= 0 */
    /* CMA-ES and sep-CMA-ES */
    int ipop;            /* IPOP: on a stop condition other than maxevals, restart from x0
                            with sigma0 and the popsize doubled, at most max_restarts times */
    int max_restarts;    /* >= 0 */
    double tolfun;       /* stop when best fitnesses of the recent generations span < tolfun
                            (0 disables); CMA kinds only */
    double tolx;         /* stop when every step (CMA: sigma*pc and sigma*sqrt(C_ii); SNES:
                            every sigma_i) is < tolx (0 disables); CMA kinds and SNES */
    long max_evals;      /* stop once this many fitnesses were told; 0 = unlimited; all kinds */
    /* Adam on gradients (also uses lr and the adam_* fields) */
    double clip;         /* the gradient's norm is clipped to this (0: no clipping), >= 0 */
    double lr_decay;     /* lr <- lr * lr_decay each step, in (0, 1] */
} plast_optim_cfg;

/* Defaults for kind and dim: popsize 0 (method default), seed 1; sigma0 0.02 for OpenAI-ES
 * (the paper's value), 0.3 otherwise; Adam with lr 0.01, betas 0.9/0.999, eps 1e-8, no
 * momentum, no weight decay, no sigma decay; ipop 0, max_restarts 9, tolfun 1e-12,
 * tolx 1e-11, max_evals 0. */
void plast_optim_cfg_default(plast_optim_cfg *c, plast_optim_kind kind, int dim);

typedef struct plast_optim plast_optim; /* opaque: one heap allocation, owned by the caller */

/* Validates cfg (PLAST_E_CONFIG, err->where = "optim.<field>", the message names the field)
 * and x0 (dim values, finite; NULL means the origin), then allocates every buffer the
 * optimizer will ever use. Returns NULL on error. */
plast_optim *plast_optim_new(const plast_optim_cfg *cfg, const double *x0, plast_err *err);
void plast_optim_delete(plast_optim *o); /* NULL is fine */

/* The effective configuration: popsize resolved to the initial population size. */
const plast_optim_cfg *plast_optim_cfg_get(const plast_optim *o);
int plast_optim_dim(const plast_optim *o);
int plast_optim_popsize(const plast_optim *o);     /* current generation (IPOP doubles it) */
long plast_optim_generation(const plast_optim *o); /* generations told since new() */
long plast_optim_evals(const plast_optim *o);      /* fitnesses told since new() */
int plast_optim_restarts(const plast_optim *o);    /* IPOP restarts made */

/* Candidate `member` (0 <= member < popsize) of the current generation, written to x[dim].
 * Pure: it depends only on the state and (seed, generation, member), changes nothing and is
 * safe to call concurrently. The noise of a member is drawn from
 * plast_rng_derive(seed, generation, member, 0); OpenAI-ES keys it by the pair k = member / 2
 * instead, and members 2k and 2k+1 are the antithetic pair mean + sigma*eps_k and
 * mean - sigma*eps_k. A member out of range fills x with NaN. */
void plast_optim_ask(const plast_optim *o, int member, double *x);

/* All fitnesses of the current generation (popsize values, lower is better; +Inf is allowed
 * and ranks last). A NaN or -Inf fitness returns PLAST_E_DATA naming the member and leaves the
 * state untouched. Otherwise updates the search distribution, the best-ever point and the
 * stop condition, performs an IPOP restart when one is due, advances the generation and
 * returns PLAST_OK. Telling after a stop is allowed: the run simply continues. */
int plast_optim_tell(plast_optim *o, const double *fitness, plast_err *err);

/* Adam: one step from the mean's fitness f and gradient grad[dim] (d fitness / d x), each
 * coordinate's learning rate multiplied by lr_scale[i] (NULL: 1). A non-finite f or gradient
 * skips the step (counted, see plast_optim_skipped) and is not an error; the gradient's norm
 * is clipped to cfg.clip first. PLAST_E_USAGE for the other kinds. */
int plast_optim_tell_grad(plast_optim *o, double f, const double *grad, const double *lr_scale,
                          plast_err *err);
long plast_optim_skipped(const plast_optim *o); /* Adam steps skipped by the guard */

/* NULL while running, else why the last tell asked to stop: "maxevals", "tolfun", "tolx",
 * "conditioncov", "noeffectaxis", "noeffectcoord", "tolupsigma", "flatfitness", "numerics"
 * (the eigensolver did not converge). With IPOP a stop is only reported once the restarts
 * are used up. */
const char *plast_optim_stop(const plast_optim *o);

const double *plast_optim_mean(const plast_optim *o); /* dim values */
/* The overall step size: sigma for ES and the CMA kinds; for SNES the geometric mean of the
 * per-coordinate sigmas. */
double plast_optim_sigma(const plast_optim *o);
/* Per-coordinate standard deviation of the search distribution, written to sd[dim]. */
void plast_optim_stdevs(const plast_optim *o, double *sd);
/* Best ever told: the point (dim values; x0 before the first tell) and its fitness
 * (+Inf before the first tell). */
const double *plast_optim_best_x(const plast_optim *o);
double plast_optim_best_f(const plast_optim *o);

/* "openai-es", "cmaes", "sep-cmaes", "snes", "adam"; NULL for an unknown value. */
const char *plast_optim_kind_name(plast_optim_kind k);
/* Accepts the names above (and "es", "cma-es", "sep-cma-es"); PLAST_OK, or PLAST_E_CONFIG for
 * anything else (then *k is unchanged). */
int plast_optim_kind_parse(const char *s, plast_optim_kind *k);

/* Exact save and restore of everything: the effective cfg, counters, sigma, mean, paths,
 * covariance and its eigen-factors, Adam moments, fitness history, restarts, best point.
 * The format is "PLASTOPT", a version, a byte-order mark and the total size, then 8-byte
 * native fields: a checkpoint is for the same kind of machine, which the mark checks. */
size_t plast_optim_state_bytes(const plast_optim *o);
void plast_optim_state_store(const plast_optim *o, void *dst); /* exactly state_bytes bytes */
/* A new optimizer equal to the one stored. A wrong magic, version, byte order or size, a
 * truncated buffer, or contents that fail validation return NULL and PLAST_E_DATA. */
plast_optim *plast_optim_state_load(const void *src, size_t n, plast_err *err);

/* ------------------------------------------------------------------------------------------
 * Machinery shared by meta/optim*.c (and the white-box tests). Not part of the interface:
 * only files that define PLAST_OPTIM_INTERNAL before including this header see it.
 * ------------------------------------------------------------------------------------------ */
#ifdef PLAST_OPTIM_INTERNAL

enum {
    PLAST_OPTIM_STOP_NONE,
    PLAST_OPTIM_STOP_MAXEVALS,
    PLAST_OPTIM_STOP_TOLFUN,
    PLAST_OPTIM_STOP_TOLX,
    PLAST_OPTIM_STOP_CONDITIONCOV,
    PLAST_OPTIM_STOP_NOEFFECTAXIS,
    PLAST_OPTIM_STOP_NOEFFECTCOORD,
    PLAST_OPTIM_STOP_TOLUPSIGMA,
    PLAST_OPTIM_STOP_FLATFITNESS,
    PLAST_OPTIM_STOP_NUMERICS,
    PLAST_OPTIM_N_STOPS
};

/* A bump allocator over the one buffer: first run with base NULL to count, then for real. */
typedef struct plast_optim_bump {
    double *base;
    size_t used; /* doubles */
} plast_optim_bump;

static inline double *plast_optim_take(plast_optim_bump *b, size_t n)
{
    double *p = b->base ? b->base + b->used : NULL;
    b->used += n;
    return p;
}

/* What a method provides; the dispatch in meta/optim.c does everything common (validation,
 * allocation, sorting, the best point, counters, maxevals, IPOP, save and load). */
typedef struct plast_optim_method {
    int (*default_popsize)(int dim);
    /* Method-specific cfg checks (PLAST_E_CONFIG naming the field), popsize already resolved. */
    int (*validate)(const plast_optim_cfg *c, plast_err *err);
    /* Takes the method's arrays: persistent state when work == 0 (saved), else scratch. */
    void (*layout)(plast_optim *o, plast_optim_bump *b, int work);
    /* (Re)initialises the distribution for a start at o->lambda; mean and sigma already set. */
    void (*start)(plast_optim *o);
    void (*ask)(const plast_optim *o, int member, double *x);
    /* Updates from fitness f[lambda] and order[lambda] (members sorted best first, stable);
     * generation counters not yet advanced. Returns a PLAST_OPTIM_STOP_* code. */
    int (*tell)(plast_optim *o, const double *f, const int *order);
    double (*sigma)(const plast_optim *o);
    void (*stdevs)(const plast_optim *o, double *sd);
    int can_restart; /* IPOP applies */
} plast_optim_method;

/* Scalar state, saved and loaded field by field in this order (8 bytes each). */
#define PLAST_OPTIM_I64_FIELDS(X)                                                         \
    X(lambda)      /* current population size */                                         \
    X(mu)          /* CMA: parents selected */                                           \
    X(gen)         /* generations told since new(): the rng key of the current one */    \
    X(gen_restart) /* generations told since the last (re)start */                       \
    X(n_evals)     /* fitnesses told since new() */                                      \
    X(restarts)    /* IPOP restarts made */                                              \
    X(eigen_gen)   /* CMA: gen_restart when B, D were last computed from C */           \
    X(stop)        /* PLAST_OPTIM_STOP_* of the last tell */                             \
    X(hist_len)    /* CMA: generations the tolfun history spans (10 + ceil(30 n/lambda)) */ \
    X(hist_n)      /* CMA: entries recorded since the last (re)start, <= hist_len */     \
    X(skipped)     /* Adam: steps skipped because the fitness or gradient was not finite */
#define PLAST_OPTIM_F64_FIELDS(X)                                                         \
    X(sigma)       /* overall step size (SNES: unused, per-coordinate in s) */           \
    X(best_f)      /* best fitness ever told */                                          \
    X(mu_eff)      /* CMA: variance-effective selection mass */                          \
    X(c_s) X(d_s)  /* CMA: step-size path rate and damping */                            \
    X(c_c)         /* CMA: covariance path rate */                                       \
    X(c_1) X(c_mu) /* CMA: rank-one and rank-mu learning rates (sep: scaled up) */        \
    X(chi_n)       /* CMA: E||N(0, I)|| */                                               \
    X(eta_mu)      /* SNES: learning rate of the mean */                                 \
    X(eta_sigma)   /* SNES: learning rate of the sigmas */                               \
    X(gen_fmin) X(gen_fmax) /* range of the last told generation's fitnesses */

struct plast_optim {
    plast_optim_cfg cfg; /* effective: popsize = initial lambda */
    const plast_optim_method *method;
    int dim;
    int lambda_max; /* the largest popsize IPOP may reach; buffers are sized for it */
    int hist_cap;   /* CMA: history capacity, 10 + ceil(30 n / lambda0) */
#define PLAST_OPTIM_X_(f) int64_t f;
    PLAST_OPTIM_I64_FIELDS(PLAST_OPTIM_X_)
#undef PLAST_OPTIM_X_
#define PLAST_OPTIM_X_(f) double f;
    PLAST_OPTIM_F64_FIELDS(PLAST_OPTIM_X_)
#undef PLAST_OPTIM_X_
    /* Views into data[]; a method leaves the ones it does not use NULL.
     * Persistent (data[0 .. n_state), saved): */
    double *mean, *x0, *best_x; /* [dim] each */
    double *ps, *pc;            /* CMA: evolution paths [dim] */
    double *C;                  /* cmaes: covariance [dim][dim] row-major; sep: diagonal [dim] */
    double *B;                  /* cmaes: eigenvectors, vector j at B[j*dim ..] */
    double *D;                  /* CMA: sqrt of C's eigenvalues (sep: of its diagonal) [dim] */
    double *w;                  /* CMA: recombination weights [lambda_max / 2] */
    double *hist;               /* CMA: ring of best fitness per generation [hist_cap] */
    double *m1, *m2;            /* ES: Adam moments / SGD velocity (m1) [dim] */
    double *s;                  /* SNES: per-coordinate sigmas [dim] */
    /* Scratch (data[n_state ..), not saved): */
    double *wz, *wa, *wb, *wc;      /* [dim] each */
    double *we;                     /* cmaes: eigensolver work, PLAST_SYMEIG_WORK(dim) */
    double *wlam;                   /* [lambda_max]: shaped fitness / utilities */
    int *idx, *idx_tmp;             /* [lambda_max]: sort order and merge buffer */
    size_t n_state, n_doubles, n_ints;
    double data[]; /* n_doubles doubles, then n_ints ints */
};

extern const plast_optim_method plast_optim_adam_method;
/* Adam's hyper-parameters (beta1, beta2, eps): PLAST_E_CONFIG naming the field. */
int plast_optim_check_adam(const plast_optim_cfg *c, plast_err *err);
/* Adam's update of the mean from a gradient (clipped here), lr_t = lr lr_decay^t lr_scale_i. */
void plast_optim_adam_step(plast_optim *o, const double *grad, const double *lr_scale);
extern const plast_optim_method plast_optim_es_method;
extern const plast_optim_method plast_optim_cmaes_method; /* full and separable */
extern const plast_optim_method plast_optim_snes_method;

/* Standard normal noise of key (seed, generation, key) into z[n]. */
void plast_optim_noise(const plast_optim *o, uint64_t key, double *z);
/* Averages v[position] over runs of equal fitness in sorted order, so tied members get equal
 * weight whatever their index. */
void plast_optim_tie_average(const double *f, const int *order, int n, double *v);

#endif /* PLAST_OPTIM_INTERNAL */

#endif

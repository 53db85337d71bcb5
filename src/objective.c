/* objective.c — regression and classification objectives (see include/plast/objective.h). */
#include "plast/objective.h"

#include <math.h>

static double reg_loss_grad(const float *out, const float *y, int n, float *g)
{
    double l = 0.0;
    for (int i = 0; i < n; i++) {
        float e = y[i] - out[i];
        g[i] = -e;
        l += (double)e * e;
    }
    return 0.5 * l;
}

static float reg_score(const float *out, const float *y, int n)
{
    float e2 = 0.0f;
    for (int i = 0; i < n; i++) e2 += (out[i] - y[i]) * (out[i] - y[i]);
    return e2 / (float)n;
}

/* Softmax in double with the maximum subtracted (no overflow for any finite logits). */
static double cls_loss_grad(const float *z, const float *t, int n, float *g)
{
    float m = z[0];
    for (int i = 1; i < n; i++) m = z[i] > m ? z[i] : m;
    double sum = 0.0, l = 0.0;
    for (int i = 0; i < n; i++) sum += exp((double)(z[i] - m));
    for (int i = 0; i < n; i++) {
        double pr = exp((double)(z[i] - m)) / sum;
        if (t[i] > 0.0f) l -= t[i] * (((double)z[i] - m) - log(sum));
        g[i] = -(t[i] - (float)pr);
    }
    return l;
}

static float cls_score(const float *z, const float *t, int n)
{
    int arg = 0, lab = 0;
    for (int i = 1; i < n; i++) {
        if (z[i] > z[arg]) arg = i;
        if (t[i] > t[lab]) lab = i;
    }
    return arg == lab ? 1.0f : 0.0f;
}

static double reg_loss_grad_d(const double *out, const float *y, int n, double *g)
{
    double l = 0.0;
    for (int i = 0; i < n; i++) {
        g[i] = out[i] - y[i];
        l += g[i] * g[i];
    }
    return 0.5 * l;
}

static void reg_hvp_d(const double *out, const float *y, int n, const double *v, double *Hv)
{
    (void)out, (void)y;
    for (int i = 0; i < n; i++) Hv[i] = v[i];
}

static double cls_loss_grad_d(const double *z, const float *t, int n, double *g)
{
    double m = z[0], sum = 0.0, l = 0.0;
    for (int i = 1; i < n; i++) m = z[i] > m ? z[i] : m;
    for (int i = 0; i < n; i++) sum += exp(z[i] - m);
    for (int i = 0; i < n; i++) {
        g[i] = exp(z[i] - m) / sum - t[i];
        if (t[i] > 0.0f) l -= t[i] * ((z[i] - m) - log(sum));
    }
    return l;
}

/* H = diag(p) - p p^T for the softmax p (the one-hot sums to 1). */
static void cls_hvp_d(const double *z, const float *t, int n, const double *v, double *Hv)
{
    (void)t;
    double m = z[0], sum = 0.0, pv = 0.0;
    for (int i = 1; i < n; i++) m = z[i] > m ? z[i] : m;
    for (int i = 0; i < n; i++) sum += exp(z[i] - m);
    for (int i = 0; i < n; i++) pv += exp(z[i] - m) / sum * v[i];
    for (int i = 0; i < n; i++) Hv[i] = exp(z[i] - m) / sum * (v[i] - pv);
}

const plast_objective plast_objective_regression = {
    .name = "regression",
    .score_name = "MSE",
    .loss_name = "1/2 squared error",
    .higher_better = 0,
    .teacher = 0,
    .loss_grad = reg_loss_grad,
    .score = reg_score,
    .loss_grad_d = reg_loss_grad_d,
    .hvp_d = reg_hvp_d,
};

const plast_objective plast_objective_classification = {
    .name = "classification",
    .score_name = "accuracy",
    .loss_name = "cross-entropy",
    .higher_better = 1,
    .teacher = 1,
    .loss_grad = cls_loss_grad,
    .score = cls_score,
    .loss_grad_d = cls_loss_grad_d,
    .hvp_d = cls_hvp_d,
};

double plast_objective_score_loss(const plast_objective *o, double score)
{
    return o->higher_better ? 1.0 - score : score;
}

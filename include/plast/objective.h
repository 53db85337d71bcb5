/* objective.h — what an episode is scored on, and what the rules are told.
 *
 * A task names its objective (plast_task_shape.objective); nothing else in the engine, the
 * rules or the outer loop asks what kind of task it is. An objective gives, per item:
 *   loss  l(out, y) with its gradient dl/dout (out [n] is the network output, y [n] the
 *         target): the broadcast error the rules see is s = -dl/dout, and the gradient is
 *         what meta-gradients start from;
 *   score the figure reported and compared (MSE, accuracy), with its direction;
 * and whether it has a teacher target (the one-hot class) that rules may use at the output
 * instead of the error. Contrastive objectives (two views, a pair label) fit the same
 * descriptor: their loss and gradient read the pair from y.
 *
 * Regression:     l = 1/2 sum_o (y_o - out_o)^2, so s = y - out; score = mean_o (y_o - out_o)^2
 *                 (the MSE, lower is better).
 * Classification: l = cross-entropy of softmax(out) against the one-hot y, so
 *                 s = y - softmax(out); score = 1 when argmax out = argmax y (accuracy,
 *                 higher is better); teacher target = y. */
#ifndef PLAST_OBJECTIVE_H
#define PLAST_OBJECTIVE_H

typedef struct plast_objective {
    const char *name;       /* "regression", "classification" */
    const char *score_name; /* "MSE", "accuracy" */
    const char *loss_name;  /* "1/2 squared error", "cross-entropy" */
    int higher_better;      /* the score's direction */
    int teacher;            /* y is a teacher target the output may be clamped to */
    /* l(out, y) for one item; writes g [n] = dl/dout. Double: sums over many items. */
    double (*loss_grad)(const float *out, const float *y, int n, float *g);
    /* The item's score (float, summed per segment by the engine). */
    float (*score)(const float *out, const float *y, int n);
    /* In double, for exact meta-gradients: l and g = dl/dout, and Hv = (d^2 l / dout^2) v. */
    double (*loss_grad_d)(const double *out, const float *y, int n, double *g);
    void (*hvp_d)(const double *out, const float *y, int n, const double *v, double *Hv);
} plast_objective;

extern const plast_objective plast_objective_regression, plast_objective_classification;

/* The score as a loss (lower is better): the score itself, or 1 - score when higher is
 * better (scores that are fractions: accuracy). */
double plast_objective_score_loss(const plast_objective *o, double score);

#endif

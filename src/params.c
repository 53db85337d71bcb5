/* params.c — named parameter sets (see include/plast/params.h). */
#include "plast/params.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const plast_init_names[] = {"zeros",          "constant",       "uniform",
                                        "normal",         "kaiming_uniform", "kaiming_normal",
                                        "xavier_uniform", "xavier_normal",  "identity",
                                        NULL};

void plast_pset_init(plast_pset *s)
{
    memset(s, 0, sizeof *s);
}

int plast_pset_add(plast_pset *s, const char *name, const char *group, int layer, int rows,
                   int cols, plast_init init, float a, float b, float lo, float hi,
                   plast_err *err)
{
    if (s->data)
        return plast_err_set(err, PLAST_E_INTERNAL, name, "parameter set already allocated");
    if (s->n >= PLAST_MAX_PSPECS)
        return plast_err_set(err, PLAST_E_CONFIG, name,
                             "too many parameter tensors (at most %d)", PLAST_MAX_PSPECS);
    if (rows < 1 || cols < 1 || (size_t)rows * (size_t)cols > ((size_t)1 << 31))
        return plast_err_set(err, PLAST_E_CONFIG, name, "tensor shape %dx%d is not allowed",
                             rows, cols);
    plast_pspec *p = &s->spec[s->n++];
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "%s", name);
    snprintf(p->group, sizeof p->group, "%s", group);
    p->layer = layer;
    p->rows = rows;
    p->cols = cols;
    p->init = init;
    p->a = a;
    p->b = b;
    p->lo = lo;
    p->hi = hi;
    p->offset = s->n_floats;
    s->n_floats += (size_t)rows * (size_t)cols;
    return PLAST_OK;
}

int plast_pset_alloc(plast_pset *s, plast_err *err)
{
    if (s->n_floats > ((size_t)1 << 32))
        return plast_err_set(err, PLAST_E_CONFIG, "", "%zu parameters is more than plast allows",
                             s->n_floats);
    s->data = calloc(s->n_floats ? s->n_floats : 1, sizeof(float));
    if (!s->data)
        return plast_err_set(err, PLAST_E_INTERNAL, "", "out of memory for %zu parameters",
                             s->n_floats);
    return PLAST_OK;
}

void plast_pset_free(plast_pset *s)
{
    free(s->data);
    s->data = NULL;
}

int plast_pset_clone(plast_pset *dst, const plast_pset *src, plast_err *err)
{
    *dst = *src;
    dst->data = NULL;
    int rc = plast_pset_alloc(dst, err);
    if (!rc) memcpy(dst->data, src->data, src->n_floats * sizeof(float));
    return rc;
}

static void draw_one(const plast_pspec *p, float *x, plast_rng *rng)
{
    size_t n = (size_t)p->rows * (size_t)p->cols;
    double fan_in = p->cols, fan_out = p->rows;
    double bound = 0.0, std = 0.0;
    switch (p->init) {
    case PLAST_INIT_ZEROS:
        for (size_t i = 0; i < n; i++) x[i] = 0.0f;
        return;
    case PLAST_INIT_CONSTANT:
        for (size_t i = 0; i < n; i++) x[i] = p->a;
        return;
    case PLAST_INIT_IDENTITY:
        for (size_t i = 0; i < n; i++)
            x[i] = ((int)(i / (size_t)p->cols) == (int)(i % (size_t)p->cols)) ? p->a : 0.0f;
        return;
    case PLAST_INIT_UNIFORM:
        for (size_t i = 0; i < n; i++)
            x[i] = (float)(p->a + (p->b - p->a) * plast_rng_uniform_d(rng));
        return;
    case PLAST_INIT_NORMAL:
        for (size_t i = 0; i < n; i++) x[i] = (float)(p->a + p->b * plast_rng_normal(rng));
        return;
    case PLAST_INIT_KAIMING_UNIFORM: bound = p->a * sqrt(3.0 / fan_in); break;
    case PLAST_INIT_XAVIER_UNIFORM: bound = p->a * sqrt(6.0 / (fan_in + fan_out)); break;
    case PLAST_INIT_KAIMING_NORMAL: std = p->a / sqrt(fan_in); break;
    case PLAST_INIT_XAVIER_NORMAL: std = p->a * sqrt(2.0 / (fan_in + fan_out)); break;
    }
    if (bound > 0.0)
        for (size_t i = 0; i < n; i++)
            x[i] = (float)(bound * (2.0 * plast_rng_uniform_d(rng) - 1.0));
    else
        for (size_t i = 0; i < n; i++) x[i] = (float)(std * plast_rng_normal(rng));
}

void plast_pset_draw(plast_pset *s, plast_rng *rng)
{
    for (int k = 0; k < s->n; k++) draw_one(&s->spec[k], s->data + s->spec[k].offset, rng);
    plast_pset_clamp(s);
}

void plast_pset_clamp(plast_pset *s)
{
    for (int k = 0; k < s->n; k++) {
        const plast_pspec *p = &s->spec[k];
        float *x = s->data + p->offset;
        size_t n = (size_t)p->rows * (size_t)p->cols;
        for (size_t i = 0; i < n; i++) {
            if (x[i] < p->lo) x[i] = p->lo;
            if (x[i] > p->hi) x[i] = p->hi;
        }
    }
}

const plast_pspec *plast_pset_find(const plast_pset *s, const char *name, int layer)
{
    for (int k = 0; k < s->n; k++)
        if (s->spec[k].layer == layer && strcmp(s->spec[k].name, name) == 0) return &s->spec[k];
    return NULL;
}

float *plast_pset_view(const plast_pset *s, const char *name, int layer)
{
    const plast_pspec *p = plast_pset_find(s, name, layer);
    return p && s->data ? s->data + p->offset : NULL;
}

void plast_pspec_label(const plast_pspec *p, char *buf, size_t n)
{
    if (p->layer < 0)
        snprintf(buf, n, "%s", p->name);
    else
        snprintf(buf, n, "%s[%d]", p->name, p->layer);
}

int plast_pset_same_layout(const plast_pset *a, const plast_pset *b)
{
    if (a->n != b->n || a->n_floats != b->n_floats) return 0;
    for (int k = 0; k < a->n; k++) {
        const plast_pspec *p = &a->spec[k], *q = &b->spec[k];
        if (strcmp(p->name, q->name) || p->layer != q->layer || p->rows != q->rows ||
            p->cols != q->cols)
            return 0;
    }
    return 1;
}

void plast_pset_overlay(plast_pset *dst, const plast_pset *src, const unsigned char *mask)
{
    for (int k = 0; mask && k < dst->n; k++)
        if (mask[k])
            memcpy(dst->data + dst->spec[k].offset, src->data + src->spec[k].offset,
                   (size_t)dst->spec[k].rows * dst->spec[k].cols * sizeof(float));
}

/* linalg.c — the products (plast's own kernels, linalg_isa.h), the one place BLAS is called
 * (LAPACK, the benchmark's comparison), and the plain C reference. */
#include "plast/linalg.h"

#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The kernels of linalg_isa.h, one table per SIMD path. */
typedef struct isa_kernels {
    plast_gemm_fn *gemm;
    void (*dgemm)(int ta, int tb, int M, int N, int K, double alpha, const double *A, int lda,
                  const double *B, int ldb, double beta, double *C, int ldc);
    void (*oja_rows)(int nr, int n, int nb, const float *u, int ldu, const float *x, int ldx,
                     const float *d, const float *P, int per_synapse, float scale, float *W);
    void (*axpy)(int n, float alpha, const float *x, float *y);
    void (*rowcol_add)(int nr, int n, float alpha, const float *u, const float *x, const float *v,
                       const float *c, float *W);
    void (*ger_backward)(int nr, int n, float alpha, const float *u, const float *x, float *W,
                         float *g);
} isa_kernels;

/* GCC vector extensions: the compiler maps each to the registers of the path it builds. */
typedef float v4sf __attribute__((vector_size(16)));
typedef float v8sf __attribute__((vector_size(32)));
typedef float v16sf __attribute__((vector_size(64)));
typedef int v8si __attribute__((vector_size(32)));
/* The default path passes v8sf between static functions in two SSE registers; no ABI
 * boundary is crossed, so GCC's note about the AVX calling convention does not apply. */
#pragma GCC diagnostic ignored "-Wpsabi"

#define ISA(name) name##_default
#define ISA_VEC v4sf
#define ISA_VEC_BYTES 16
#include "linalg_isa.h"
#undef ISA
#undef ISA_VEC
#undef ISA_VEC_BYTES
#if defined(__x86_64__) && defined(__GNUC__)
#pragma GCC push_options
#pragma GCC target("avx2")
#define ISA(name) name##_avx2
#define ISA_VEC v8sf
#define ISA_VEC_BYTES 32
#include "linalg_isa.h"
#undef ISA
#undef ISA_VEC
#undef ISA_VEC_BYTES
#pragma GCC pop_options
#pragma GCC push_options
#pragma GCC target("avx512f,avx512vl,avx2")
#define ISA(name) name##_avx512
#define ISA_VEC v16sf
#define ISA_VEC_BYTES 64
#include "linalg_isa.h"
#undef ISA
#undef ISA_VEC
#undef ISA_VEC_BYTES
#pragma GCC pop_options
static const isa_kernels *const isa_table[PLAST_ISA_N] = {&kernels_default, &kernels_avx2,
                                                          &kernels_avx512};
#else
static const isa_kernels *const isa_table[PLAST_ISA_N] = {&kernels_default, NULL, NULL};
#endif

static const char *const isa_names[PLAST_ISA_N] = {"default", "avx2", "avx512"};
static plast_isa isa_now = PLAST_ISA_DEFAULT;
static const isa_kernels *kern = &kernels_default;

const char *plast_isa_name(plast_isa isa)
{
    return isa >= 0 && isa < PLAST_ISA_N ? isa_names[isa] : "unknown";
}

int plast_isa_supported(plast_isa isa)
{
    if (isa < 0 || isa >= PLAST_ISA_N || !isa_table[isa]) return 0;
#if defined(__x86_64__) && defined(__GNUC__)
    __builtin_cpu_init();
    if (isa == PLAST_ISA_AVX2) return __builtin_cpu_supports("avx2");
    if (isa == PLAST_ISA_AVX512)
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl");
#endif
    return 1;
}

int plast_isa_select(plast_isa isa)
{
    if (!plast_isa_supported(isa)) return -1;
    isa_now = isa;
    kern = isa_table[isa];
    return 0;
}

plast_isa plast_isa_current(void)
{
    return isa_now;
}

plast_isa plast_isa_best(void)
{
    plast_isa best = PLAST_ISA_DEFAULT;
    for (int i = 0; i < PLAST_ISA_N; i++)
        if (plast_isa_supported((plast_isa)i)) best = (plast_isa)i;
    return best;
}

void plast_linalg_init(void)
{
    openblas_set_num_threads(1);
    /* The widest SIMD path the CPU has, unless PLAST_ISA names another (the benchmark
     * compares them; every path gives the same bits). */
    plast_isa isa = plast_isa_best();
    const char *want = getenv("PLAST_ISA");
    int found = !want || !want[0];
    for (int i = 0; want && i < PLAST_ISA_N; i++)
        if (!strcmp(want, isa_names[i])) {
            found = 1;
            if (plast_isa_supported((plast_isa)i)) isa = (plast_isa)i;
            else fprintf(stderr, "plast: note: PLAST_ISA=%s: this CPU lacks it; using %s\n", want, isa_names[isa]);
        }
    if (!found) /* every path gives the same bits: a note, not an error */
        fprintf(stderr, "plast: note: PLAST_ISA=%s is not one of default, avx2, avx512; using %s\n", want,
                isa_names[isa]);
    plast_isa_select(isa);
}

void plast_linalg_blas_name(char *buf, size_t n)
{
    char *cfg = openblas_get_config();
    snprintf(buf, n, "%s", cfg ? cfg : "OpenBLAS");
}

void plast_gemm_blas(int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda,
                     const float *B, int ldb, float beta, float *C, int ldc)
{
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

void plast_dgemm(int ta, int tb, int M, int N, int K, double alpha, const double *A, int lda,
                 const double *B, int ldb, double beta, double *C, int ldc)
{
    kern->dgemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

void plast_gemm(int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda,
                const float *B, int ldb, float beta, float *C, int ldc)
{
    kern->gemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

void plast_gemm_ref(int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda,
                    const float *B, int ldb, float beta, float *C, int ldc)
{
    for (int i = 0; i < M; i++) {
        for (int j = 0; j < N; j++) {
            double acc = 0.0; /* double accumulation: the reference should be the better one */
            for (int k = 0; k < K; k++) {
                float a = ta ? A[(size_t)k * lda + i] : A[(size_t)i * lda + k];
                float b = tb ? B[(size_t)j * ldb + k] : B[(size_t)k * ldb + j];
                acc += (double)a * (double)b;
            }
            float *c = &C[(size_t)i * ldc + j];
            *c = (float)(alpha * acc + (beta == 0.0f ? 0.0 : (double)beta * *c));
        }
    }
}

/* LAPACK (Fortran calling convention), provided by OpenBLAS. */
extern void dsyev_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda,
                   double *w, double *work, const int *lwork, int *info);

int plast_symeig_d(int n, double *A, double *w)
{
    int info = 0, lwork = -1;
    double query;
    dsyev_("N", "U", &n, A, &n, w, &query, &lwork, &info); /* workspace size */
    if (info) return info;
    lwork = (int)query;
    double *work = malloc((size_t)(lwork > 1 ? lwork : 1) * sizeof *work);
    if (!work) return -1;
    /* A symmetric row-major matrix is its own column-major transpose. */
    dsyev_("N", "U", &n, A, &n, w, work, &lwork, &info);
    free(work);
    return info;
}

int plast_symeig_vectors_d(int n, double *A, double *w, double *work)
{
    /* dsyev needs at least 3n - 1 doubles; more would only buy blocked reductions, which
     * matter far above the dimensions CMA-ES runs at. The caller owns it: no allocation. */
    int info = 0, lwork = n > 0 ? 3 * n : 1;
    /* Column-major output: eigenvector j is A[j*n ..], which row-major reads as row j. */
    dsyev_("V", "U", &n, A, &n, w, work, &lwork, &info);
    return info;
}

void plast_axpy(int n, float alpha, const float *x, float *y)
{
    kern->axpy(n, alpha, x, y);
}

void plast_oja_rows(int nr, int n, int nb, const float *u, int ldu, const float *x, int ldx,
                    const float *d, const float *P, int per_synapse, float scale, float *W)
{
    kern->oja_rows(nr, n, nb, u, ldu, x, ldx, d, P, per_synapse, scale, W);
}

void plast_rowcol_add(int nr, int n, float alpha, const float *u, const float *x, const float *v,
                      const float *c, float *W)
{
    kern->rowcol_add(nr, n, alpha, u, x, v, c, W);
}

void plast_ger_backward(int nr, int n, float alpha, const float *u, const float *x, float *W,
                        float *g)
{
    kern->ger_backward(nr, n, alpha, u, x, W, g);
}

void plast_colsum(int rows, int cols, const float *X, float *out)
{
    for (int j = 0; j < cols; j++) out[j] = 0.0f;
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < cols; j++) out[j] += X[(size_t)i * cols + j];
}

double plast_dot_d(size_t n, const float *x, const float *y)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++) s += (double)x[i] * (double)y[i];
    return s;
}

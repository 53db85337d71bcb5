/* linalg.c — the one place BLAS is called, and its plain C reference. */
#include "plast/linalg.h"

#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>

void plast_linalg_init(void)
{
    openblas_set_num_threads(1);
}

void plast_linalg_blas_name(char *buf, size_t n)
{
    char *cfg = openblas_get_config();
    snprintf(buf, n, "%s", cfg ? cfg : "OpenBLAS");
}

/* Below this many multiply-adds a BLAS call costs more than the work (batch-1 steps on
 * small networks); the loops below vectorise without reassociating anything except the
 * dot product, which keeps eight fixed lanes, so results stay deterministic. */
#define SMALL_GEMM 32768.0

static float dot8(int K, const float *restrict a, int sa, const float *restrict b)
{
    float lane[8] = {0};
    int k = 0;
    if (sa == 1)
        for (; k + 8 <= K; k += 8)
            for (int q = 0; q < 8; q++) lane[q] += a[k + q] * b[k + q];
    float s = 0.0f;
    for (; k < K; k++) s += a[(size_t)k * sa] * b[k];
    return ((lane[0] + lane[1]) + (lane[2] + lane[3])) + ((lane[4] + lane[5]) + (lane[6] + lane[7])) + s;
}

static void small_gemm(int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda,
                       const float *B, int ldb, float beta, float *C, int ldc)
{
    for (int i = 0; i < M; i++) {
        float *restrict c = C + (size_t)i * ldc;
        if (beta == 0.0f)
            for (int j = 0; j < N; j++) c[j] = 0.0f;
        else if (beta != 1.0f)
            for (int j = 0; j < N; j++) c[j] *= beta;
        if (!tb) {
            /* C[i][:] += alpha a(i,k) B[k][:], contiguous in j */
            for (int k = 0; k < K; k++) {
                float a = alpha * (ta ? A[(size_t)k * lda + i] : A[(size_t)i * lda + k]);
                const float *restrict b = B + (size_t)k * ldb;
                for (int j = 0; j < N; j++) c[j] += a * b[j];
            }
        } else {
            const float *a = ta ? A + i : A + (size_t)i * lda;
            for (int j = 0; j < N; j++) c[j] += alpha * dot8(K, a, ta ? lda : 1, B + (size_t)j * ldb);
        }
    }
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
    if (M < 1 || N < 1) return;
    if (K < 1) { /* BLAS leaves C alone for K = 0 only when beta = 1: be explicit */
        for (int i = 0; i < M; i++)
            for (int j = 0; j < N; j++) C[(size_t)i * ldc + j] *= beta;
        return;
    }
    cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

void plast_gemm(int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda,
                const float *B, int ldb, float beta, float *C, int ldc)
{
    if ((double)M * N * K <= SMALL_GEMM)
        small_gemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    else
        plast_gemm_blas(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
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
    for (int i = 0; i < n; i++) y[i] += alpha * x[i];
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

/* linalg.h — the dense kernels the network and the rules are built from.
 *
 * src/linalg.c is the only file that includes cblas.h. Every matrix is row-major
 * float32. plast_gemm calls OpenBLAS; plast_gemm_ref is a plain C loop with the same
 * contract, used by the tests as the reference (they agree to float rounding, see
 * tests/test_linalg.c). OpenBLAS is pinned to one thread: plast parallelises over
 * population members and runs itself, so results never depend on a thread count. */
#ifndef PLAST_LINALG_H
#define PLAST_LINALG_H

#include <stddef.h>

/* C[M][N] = alpha * op(A)[M][K] * op(B)[K][N] + beta * C, row-major; ta/tb non-zero
 * means the stored matrix is transposed (A stored [K][M], B stored [N][K]). */
typedef void plast_gemm_fn(int ta, int tb, int M, int N, int K, float alpha, const float *A,
                           int lda, const float *B, int ldb, float beta, float *C, int ldc);
plast_gemm_fn plast_gemm;
plast_gemm_fn plast_gemm_ref;
/* Always OpenBLAS sgemm, whatever the size (plast_gemm runs small products in plain
 * loops, where a BLAS call costs more than the work); for the benchmark's comparison. */
plast_gemm_fn plast_gemm_blas;

/* The same in double precision (cblas_dgemm), for exact meta-gradients. */
void plast_dgemm(int ta, int tb, int M, int N, int K, double alpha, const double *A, int lda,
                 const double *B, int ldb, double beta, double *C, int ldc);

/* Pins OpenBLAS to one thread; call once before any work (the program and tests do). */
void plast_linalg_init(void);
/* A short description of the BLAS in use into buf[n], for run metadata ("OpenBLAS 0.3.21 ..."). */
void plast_linalg_blas_name(char *buf, size_t n);

/* y += alpha * x, n floats. */
void plast_axpy(int n, float alpha, const float *x, float *y);
/* Sum over the rows of X[rows][cols] into out[cols] (out is overwritten). */
void plast_colsum(int rows, int cols, const float *X, float *out);
/* Eigenvalues (ascending) of the symmetric n x n matrix A (row-major, double; destroyed),
 * through LAPACK's dsyev from OpenBLAS. Returns 0, or LAPACK's non-zero info. */
int plast_symeig_d(int n, double *A, double *w);
/* Eigenvalues (ascending) into w[n] and eigenvectors of the symmetric n x n matrix A
 * (row-major, double): on return row j of A is the unit eigenvector of w[j]. work holds
 * PLAST_SYMEIG_WORK(n) doubles, so nothing is allocated (CMA-ES calls it every few
 * generations). Same bits on every run: OpenBLAS is single-threaded (plast_linalg_init).
 * Returns 0, or LAPACK's non-zero info (then A is garbage). */
#define PLAST_SYMEIG_WORK(n) (3 * (size_t)(n) > 1 ? 3 * (size_t)(n) : 1)
int plast_symeig_vectors_d(int n, double *A, double *w, double *work);
/* Dot product in double (for checks and metrics). */
double plast_dot_d(size_t n, const float *x, const float *y);

#endif

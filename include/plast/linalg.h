/* linalg.h — the dense kernels the network and the rules are built from.
 *
 * Every product (float, and double for meta-gradients) and the fused plasticity kernels run
 * plast's own loops (src/linalg_isa.h), compiled for several SIMD paths in one binary and
 * chosen at run time from what the CPU supports. Their sums run in an order fixed by the
 * code, not the vector width, so every path gives the same bits, whichever BLAS the machine
 * has; tests force each path (plast_isa_select) to prove it. plast_gemm_ref is a plain C
 * loop with the same contract, the tests' reference (they agree to float rounding, see
 * tests/test_linalg.c and tests/test_kernels.c). Every matrix is row-major.
 *
 * src/linalg.c is the only file that includes cblas.h: OpenBLAS serves LAPACK (CMA-ES and
 * analysis eigensolves) and the benchmark's comparison rate, pinned to one thread: plast
 * parallelises over population members and runs itself, so results never depend on a
 * thread count. */
#ifndef PLAST_LINALG_H
#define PLAST_LINALG_H

#include <stddef.h>

/* C[M][N] = alpha * op(A)[M][K] * op(B)[K][N] + beta * C, row-major; ta/tb non-zero
 * means the stored matrix is transposed (A stored [K][M], B stored [N][K]). */
typedef void plast_gemm_fn(int ta, int tb, int M, int N, int K, float alpha, const float *A,
                           int lda, const float *B, int ldb, float beta, float *C, int ldc);
/* plast's own kernels on the selected SIMD path (src/linalg_isa.h): every float product. */
plast_gemm_fn plast_gemm;
/* The plain loops, summing in double: what the kernels are tested against. */
plast_gemm_fn plast_gemm_ref;
/* OpenBLAS sgemm: the benchmark's comparison rate. */
plast_gemm_fn plast_gemm_blas;

/* Double precision, for exact meta-gradients: plast's own kernels, each output summed in one
 * fixed order (beta c, then the terms in k order) on every path. */
void plast_dgemm(int ta, int tb, int M, int N, int K, double alpha, const double *A, int lda,
                 const double *B, int ldb, double beta, double *C, int ldc);

/* The SIMD paths of plast's own kernels. */
typedef enum { PLAST_ISA_DEFAULT, PLAST_ISA_AVX2, PLAST_ISA_AVX512, PLAST_ISA_N } plast_isa;
/* "default" (baseline x86-64, or the plain build elsewhere), "avx2", "avx512". */
const char *plast_isa_name(plast_isa isa);
/* Non-zero when this binary has the path and this CPU can run it. */
int plast_isa_supported(plast_isa isa);
/* The widest supported path. */
plast_isa plast_isa_best(void);
/* Runs the kernels on isa from now on (call before any worker thread starts); -1 when it
 * is not supported (nothing changes). */
int plast_isa_select(plast_isa isa);
plast_isa plast_isa_current(void);

/* Pins OpenBLAS to one thread and selects the widest SIMD path (or the one the environment
 * variable PLAST_ISA names: default, avx2, avx512); call once before any work (the program
 * and tests do). */
void plast_linalg_init(void);
/* A short description of the BLAS in use into buf[n], for run metadata ("OpenBLAS 0.3.21 ..."). */
void plast_linalg_blas_name(char *buf, size_t n);

/* y += alpha * x, n floats. */
void plast_axpy(int n, float alpha, const float *x, float *y);
/* The fused Oja/plasticity update of rows r < nr of W [nr][n] (row stride n), for
 * u [nb][ldu] (post side, column r), x [nb][ldx] (pre side), d [nr], P [nr][n] (per_synapse)
 * or [nr]:
 *   W[r][j] += p_rj (g_rj - d_r W[r][j]),  g_rj = sum_b u[b][r] x[b][j],
 *   p_rj = scale P[r][j] (or scale P[r]).
 * g is never stored whole: each block of it is applied while in cache. The same bits as
 * forming G with plast_gemm(1, 0, ..., beta 0) and applying it row by row. */
void plast_oja_rows(int nr, int n, int nb, const float *u, int ldu, const float *x, int ldx,
                    const float *d, const float *P, int per_synapse, float scale, float *W);
/* W[r][j] = (W[r][j] + (alpha u[r]) x[j]) + (v[j] + c[r]) for W [nr][n] (row stride n),
 * u [nr], x [n], v [n], c [nr]; u NULL: W[r][j] + (v[j] + c[r]). One pass over W with the
 * bits of a batch-1 outer product (plast_gemm(1, 0, nr, n, 1, alpha, u, nr, x, n, 1, W, n))
 * followed by the u NULL form. */
void plast_rowcol_add(int nr, int n, float alpha, const float *u, const float *x, const float *v,
                      const float *c, float *W);
/* A batch-1 backward product and outer-product update in one pass over W [nr][n]:
 * g[j] = sum_r u[r] W[r][j] with W as it was, then W[r][j] += (alpha u[r]) x[j]; u [nr],
 * x [n], g [n]. The bits of plast_gemm(0, 0, 1, n, nr, 1, u, nr, W, n, 0, g, n) followed by
 * plast_gemm(1, 0, nr, n, 1, alpha, u, nr, x, n, 1, W, n). */
void plast_ger_backward(int nr, int n, float alpha, const float *u, const float *x, float *W,
                        float *g);
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

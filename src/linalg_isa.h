/* linalg_isa.h — the product and plasticity kernels, compiled once per SIMD path.
 *
 * src/linalg.c includes this file once for each path (AVX-512, AVX2, baseline x86-64),
 * under "#pragma GCC target", with ISA(name) giving each copy its own name and ISA_VEC the
 * vector type of its elementwise loops; plast_isa_select (linalg.h) chooses a copy at run
 * time. The kernels are written with GCC's vector extensions (the compiler maps a vector to
 * one register or to several narrower ones): every float product of the lab (matrix-vector
 * products of batch-1 steps on weights that sit in cache, batch products, outer products,
 * with B taken in cache panels when it is large), the fused Oja update, and the double
 * products of meta-gradients.
 * Rows of up to ISA_FIXED_M vectors (small networks: 11- and 40-wide rows) are straight-line
 * code with the other operand's vectors held in registers across the rows, and a row whose
 * width the vector does not divide ends in a vector that overlaps the one before it (each
 * computed from the values before any is stored), so no lane is left to a scalar loop.
 *
 * Every sum runs in an order fixed by the code, never by the vector width: a sum over k
 * accumulates sequentially per output (the vectors run across outputs), and a dot product
 * keeps eight fixed lanes, a fixed reduction tree and a sequential tail (dot8). The build
 * has no -ffast-math and C11 mode contracts nothing into FMAs (-ffp-contract=off), so every
 * copy gives the same bits, whatever the shape's route through the kernels (tested).
 *
 * Shapes: row-major; gemm has the contract of plast_gemm_fn, dgemm of plast_dgemm (linalg.h). */

/* ISA_VEC's lanes; ISA_WIDE: wider than v8sf, so a row's remainder may still hold one v8sf. */
#define ISA_N ((int)(sizeof(ISA_VEC) / sizeof(float)))
#define ISA_WIDE (ISA_VEC_BYTES > 32)

static inline ISA_VEC ISA(load)(const float *p)
{
    ISA_VEC v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline void ISA(store)(float *p, ISA_VEC v)
{
    memcpy(p, &v, sizeof v);
}

/* Stores the vector v (of any width) at p, through a copy (v may be an element of an array
 * the compiler keeps in registers). */
#define ISA_PUT(p, v)                                                                      \
    do {                                                                                   \
        __typeof__(v) put_ = (v);                                                          \
        memcpy((p), &put_, sizeof put_);                                                   \
    } while (0)

static inline v8sf ISA(load8)(const float *p)
{
    v8sf v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline v4sf ISA(load4)(const float *p)
{
    v4sf v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* sum_k a[k sa] b[k]: eight lanes over whole groups of eight (when sa = 1), then the rest
 * in order, then the lanes' tree plus the rest. */
static inline float ISA(dot8)(int K, const float *restrict a, int sa, const float *restrict b)
{
    v8sf lane = {0};
    int k = 0;
    if (sa == 1)
        for (; k + 8 <= K; k += 8) lane += ISA(load8)(a + k) * ISA(load8)(b + k);
    float s = 0.0f;
    for (; k < K; k++) s += a[(size_t)k * sa] * b[k];
    return ((lane[0] + lane[1]) + (lane[2] + lane[3])) + ((lane[4] + lane[5]) + (lane[6] + lane[7])) + s;
}

/* out[r] = dot8(K, a, 1, b + r ldb) for r < 4: the same lanes and tree, one load of a for
 * four rows, the four trees reduced side by side by shuffles. */
static inline v4sf ISA(dot8x4)(int K, const float *restrict a, const float *restrict b, int ldb)
{
    const float *b0 = b, *b1 = b + ldb, *b2 = b + 2 * (size_t)ldb, *b3 = b + 3 * (size_t)ldb;
    v8sf l0 = {0}, l1 = {0}, l2 = {0}, l3 = {0};
    int k = 0;
    for (; k + 8 <= K; k += 8) {
        v8sf av = ISA(load8)(a + k);
        l0 += av * ISA(load8)(b0 + k);
        l1 += av * ISA(load8)(b1 + k);
        l2 += av * ISA(load8)(b2 + k);
        l3 += av * ISA(load8)(b3 + k);
    }
    v4sf s = {0};
    for (; k < K; k++) {
        v4sf bk = {b0[k], b1[k], b2[k], b3[k]};
        s += a[k] * bk;
    }
    /* t01 = [r0 (0+1), r1 (0+1), r0 (2+3), r1 (2+3), r0 (4+5), r1 (4+5), r0 (6+7), r1 (6+7)] */
    const v8si ev = {0, 8, 2, 10, 4, 12, 6, 14}, od = {1, 9, 3, 11, 5, 13, 7, 15};
    v8sf t01 = __builtin_shuffle(l0, l1, ev) + __builtin_shuffle(l0, l1, od);
    v8sf t23 = __builtin_shuffle(l2, l3, ev) + __builtin_shuffle(l2, l3, od);
    /* u = [r0..r3 ((0+1)+(2+3)), r0..r3 ((4+5)+(6+7))] */
    const v8si lo = {0, 1, 8, 9, 4, 5, 12, 13}, hi = {2, 3, 10, 11, 6, 7, 14, 15};
    v8sf u = __builtin_shuffle(t01, t23, lo) + __builtin_shuffle(t01, t23, hi);
    v4sf u_lo = {u[0], u[1], u[2], u[3]}, u_hi = {u[4], u[5], u[6], u[7]};
    return (u_lo + u_hi) + s;
}

/* out[r] = dot8(K, a, 1, b + r ldb) for r < 8: dot8x4's lanes and tree for eight rows, the
 * eight trees reduced side by side (pairs, then quads, then halves) into one vector. */
static inline v8sf ISA(dot8x8)(int K, const float *restrict a, const float *restrict b, int ldb)
{
    v8sf l[8] = {{0}};
    int k = 0;
    for (; k + 8 <= K; k += 8) {
        v8sf av = ISA(load8)(a + k);
        for (int r = 0; r < 8; r++) l[r] += av * ISA(load8)(b + (size_t)r * ldb + k);
    }
    /* the rest of each row in order, the eight rows side by side: one column of them at
     * a time (the rows are contiguous when ldb is 1, that is K = 1) */
    v8sf s = {0};
    for (; k < K; k++) {
        v8sf bk;
        if (ldb == 1) bk = ISA(load8)(b + k);
        else bk = (v8sf){b[k], b[ldb + k], b[2 * (size_t)ldb + k], b[3 * (size_t)ldb + k],
                         b[4 * (size_t)ldb + k], b[5 * (size_t)ldb + k], b[6 * (size_t)ldb + k],
                         b[7 * (size_t)ldb + k]};
        s += a[k] * bk;
    }
    if (K < 8) return 0.0f + s; /* no whole group: every lane, and so the tree, is +0 */
    /* t[q] = [r (0+1), r' (0+1), r (2+3), r' (2+3), ...] for the rows r = 2q, r' = 2q + 1 */
    const v8si ev = {0, 8, 2, 10, 4, 12, 6, 14}, od = {1, 9, 3, 11, 5, 13, 7, 15};
    v8sf t0 = __builtin_shuffle(l[0], l[1], ev) + __builtin_shuffle(l[0], l[1], od);
    v8sf t1 = __builtin_shuffle(l[2], l[3], ev) + __builtin_shuffle(l[2], l[3], od);
    v8sf t2 = __builtin_shuffle(l[4], l[5], ev) + __builtin_shuffle(l[4], l[5], od);
    v8sf t3 = __builtin_shuffle(l[6], l[7], ev) + __builtin_shuffle(l[6], l[7], od);
    /* u = [rows 0..3 ((0+1)+(2+3)), rows 0..3 ((4+5)+(6+7))], v the same for rows 4..7 */
    const v8si lo = {0, 1, 8, 9, 4, 5, 12, 13}, hi = {2, 3, 10, 11, 6, 7, 14, 15};
    v8sf u = __builtin_shuffle(t0, t1, lo) + __builtin_shuffle(t0, t1, hi);
    v8sf v = __builtin_shuffle(t2, t3, lo) + __builtin_shuffle(t2, t3, hi);
    const v8si first = {0, 1, 2, 3, 8, 9, 10, 11}, second = {4, 5, 6, 7, 12, 13, 14, 15};
    return (__builtin_shuffle(u, v, first) + __builtin_shuffle(u, v, second)) + s;
}

/* Rows of at most ISA_FIXED_M vectors of L lanes as straight-line code: m vectors for n in
 * ((m - 1) L, m L], n >= L, vector q at ISA_AT(q, m, n, L): q L, the last at n - L, so it
 * may overlap the one before it. Every vector of a row is computed from the values as they
 * were before any is stored, so the overlapping lanes get the same bits twice and no lane
 * is left to a scalar loop. */
#define ISA_FIXED_M 6
#define ISA_AT(q, m, n, L) ((q) + 1 < (m) ? (q) * (L) : (n) - (L))

/* Non-zero when the straight-line kernels take a row of n columns whole, on every path. */
#define ISA_FIXED_FITS(n) ((n) >= 4 && (n) <= ISA_FIXED_M * ISA_N)

/* CALL(F, m) for the straight-line instance F of a kernel that fits width n
 * (ISA_FIXED_FITS(n)) with its constant m: FIX on ISA_VEC, FIX8 on v8sf for 8 <= n < ISA_N,
 * FIX4 on v4sf for 4 <= n < 8 (each named only on the paths that have it). */
#if ISA_WIDE
#define ISA_FIXED_V8(n, CALL, FIX8) else if ((n) == 8) CALL(FIX8, 1); else if ((n) > 8) CALL(FIX8, 2);
#else
#define ISA_FIXED_V8(n, CALL, FIX8)
#endif
#if ISA_VEC_BYTES > 16
#define ISA_FIXED_V4(n, CALL, FIX4) else if ((n) == 4) CALL(FIX4, 1); else CALL(FIX4, 2);
#else
#define ISA_FIXED_V4(n, CALL, FIX4)
#endif
#define ISA_FIXED_SWITCH(n, CALL, FIX, FIX8, FIX4)                                          \
    do {                                                                                   \
        if ((n) >= ISA_N) {                                                                \
            switch (((n) + ISA_N - 1) / ISA_N) {                                           \
            case 1: CALL(FIX, 1); break;                                                   \
            case 2: CALL(FIX, 2); break;                                                   \
            case 3: CALL(FIX, 3); break;                                                   \
            case 4: CALL(FIX, 4); break;                                                   \
            case 5: CALL(FIX, 5); break;                                                   \
            default: CALL(FIX, 6); break;                                                  \
            }                                                                              \
        } ISA_FIXED_V8(n, CALL, FIX8) ISA_FIXED_V4(n, CALL, FIX4)                          \
    } while (0)

/* axpy_rows (below) on n columns in m fixed vectors (V, LOAD, L lanes), each held in a
 * register while k runs. */
#define ISA_AXPY_FIXED(NAME, V, LOAD, L)                                                   \
    static inline __attribute__((always_inline)) void NAME(                                \
        int n, int m, int K, float alpha, const float *a, int sa, const float *restrict B, \
        int ldb, float *restrict c)                                                        \
    {                                                                                      \
        V acc[ISA_FIXED_M];                                                                \
        for (int q = 0; q < m; q++) acc[q] = LOAD(c + ISA_AT(q, m, n, L));                 \
        for (int k = 0; k < K; k++) {                                                      \
            float ak = alpha * a[(size_t)k * sa];                                          \
            const float *bk = B + (size_t)k * ldb;                                         \
            for (int q = 0; q < m; q++) acc[q] += ak * LOAD(bk + ISA_AT(q, m, n, L));      \
        }                                                                                  \
        for (int q = 0; q < m; q++) ISA_PUT(c + ISA_AT(q, m, n, L), acc[q]);               \
    }
ISA_AXPY_FIXED(ISA(axpy_fixed), ISA_VEC, ISA(load), ISA_N)
#if ISA_WIDE
ISA_AXPY_FIXED(ISA(axpy_fixed8), v8sf, ISA(load8), 8)
#endif
#if ISA_VEC_BYTES > 16
ISA_AXPY_FIXED(ISA(axpy_fixed4), v4sf, ISA(load4), 4)
#endif

/* c[0..n) += sum_k (alpha a[k sa]) B[k][0..n), k in order. Widths ISA_FIXED_FITS takes: in
 * fixed vectors (the widest the row holds); wider rows: blocks of four vectors held in
 * registers while k runs, then single vectors, then the last columns one by one. */
static inline void ISA(axpy_rows)(int n, int K, float alpha, const float *a, int sa,
                                  const float *restrict B, int ldb, float *restrict c)
{
    if (ISA_FIXED_FITS(n)) {
#define ISA_AXPY_CALL(F, m) F(n, m, K, alpha, a, sa, B, ldb, c)
        ISA_FIXED_SWITCH(n, ISA_AXPY_CALL, ISA(axpy_fixed), ISA(axpy_fixed8), ISA(axpy_fixed4));
#undef ISA_AXPY_CALL
        return;
    }
    int j = 0;
    for (; j + 4 * ISA_N <= n; j += 4 * ISA_N) {
        ISA_VEC c0 = ISA(load)(c + j), c1 = ISA(load)(c + j + ISA_N);
        ISA_VEC c2 = ISA(load)(c + j + 2 * ISA_N), c3 = ISA(load)(c + j + 3 * ISA_N);
        for (int k = 0; k < K; k++) {
            float ak = alpha * a[(size_t)k * sa];
            const float *bk = B + (size_t)k * ldb + j;
            c0 += ak * ISA(load)(bk);
            c1 += ak * ISA(load)(bk + ISA_N);
            c2 += ak * ISA(load)(bk + 2 * ISA_N);
            c3 += ak * ISA(load)(bk + 3 * ISA_N);
        }
        ISA(store)(c + j, c0), ISA(store)(c + j + ISA_N, c1);
        ISA(store)(c + j + 2 * ISA_N, c2), ISA(store)(c + j + 3 * ISA_N, c3);
    }
    for (; j + ISA_N <= n; j += ISA_N) {
        ISA_VEC c0 = ISA(load)(c + j);
        for (int k = 0; k < K; k++) c0 += (alpha * a[(size_t)k * sa]) * ISA(load)(B + (size_t)k * ldb + j);
        ISA(store)(c + j, c0);
    }
#if ISA_WIDE
    for (; j + 8 <= n; j += 8) {
        v8sf c0 = ISA(load8)(c + j);
        for (int k = 0; k < K; k++) c0 += (alpha * a[(size_t)k * sa]) * ISA(load8)(B + (size_t)k * ldb + j);
        ISA_PUT(c + j, c0);
    }
#endif
    for (; j < n; j++) {
        float cj = c[j];
        for (int k = 0; k < K; k++) cj += (alpha * a[(size_t)k * sa]) * B[(size_t)k * ldb + j];
        c[j] = cj;
    }
}

/* axpy_rows on four rows at once (row r: a + r ar, c + r ldc), for rows too wide for the
 * straight-line kernels: two vectors of each row held in registers while k runs, so each
 * load of B serves four rows; every output keeps axpy_rows' sequential sum over k. */
static void ISA(axpy_rows4)(int n, int K, float alpha, const float *a, int sa, int ar,
                            const float *restrict B, int ldb, float *restrict c, int ldc)
{
    int j = 0;
    for (; j + 2 * ISA_N <= n; j += 2 * ISA_N) {
        ISA_VEC acc[4][2];
        for (int r = 0; r < 4; r++)
            for (int q = 0; q < 2; q++) acc[r][q] = ISA(load)(c + (size_t)r * ldc + j + q * ISA_N);
        for (int k = 0; k < K; k++) {
            const float *bk = B + (size_t)k * ldb + j;
            ISA_VEC b0 = ISA(load)(bk), b1 = ISA(load)(bk + ISA_N);
            for (int r = 0; r < 4; r++) {
                float ak = alpha * a[(size_t)r * ar + (size_t)k * sa];
                acc[r][0] += ak * b0;
                acc[r][1] += ak * b1;
            }
        }
        for (int r = 0; r < 4; r++)
            for (int q = 0; q < 2; q++) ISA(store)(c + (size_t)r * ldc + j + q * ISA_N, acc[r][q]);
    }
    for (int r = 0; r < 4; r++)
        ISA(axpy_rows)(n - j, K, alpha, a + (size_t)r * ar, sa, B + j, ldb, c + (size_t)r * ldc + j);
}

/* C[r][0..n) += (alpha a[r]) b[0..n) for r < M: axpy_rows' bits with K = 1 (a batch-1
 * outer-product update), in m fixed vectors (V, LOAD, L lanes) with b's held in registers
 * across the rows. */
#define ISA_GER1_FIXED(NAME, V, LOAD, L)                                                   \
    static inline __attribute__((always_inline)) void NAME(                                \
        int M, int n, int m, float alpha, const float *a, const float *restrict b,         \
        float *restrict C, int ldc)                                                        \
    {                                                                                      \
        V bv[ISA_FIXED_M], acc[ISA_FIXED_M];                                               \
        for (int q = 0; q < m; q++) bv[q] = LOAD(b + ISA_AT(q, m, n, L));                  \
        for (int r = 0; r < M; r++) {                                                      \
            float *c = C + (size_t)r * ldc, ar = alpha * a[r];                             \
            for (int q = 0; q < m; q++) acc[q] = LOAD(c + ISA_AT(q, m, n, L)) + ar * bv[q]; \
            for (int q = 0; q < m; q++) ISA_PUT(c + ISA_AT(q, m, n, L), acc[q]);           \
        }                                                                                  \
    }
ISA_GER1_FIXED(ISA(ger1_fixed), ISA_VEC, ISA(load), ISA_N)
#if ISA_WIDE
ISA_GER1_FIXED(ISA(ger1_fixed8), v8sf, ISA(load8), 8)
#endif
#if ISA_VEC_BYTES > 16
ISA_GER1_FIXED(ISA(ger1_fixed4), v4sf, ISA(load4), 4)
#endif

/* C[r][0..n) += (alpha a[r]) b[0..n) for r < M, n a width ISA_FIXED_FITS takes. */
static void ISA(ger1_rows)(int M, int n, float alpha, const float *a, const float *b, float *C,
                           int ldc)
{
#define ISA_GER1_CALL(F, m) F(M, n, m, alpha, a, b, C, ldc)
    ISA_FIXED_SWITCH(n, ISA_GER1_CALL, ISA(ger1_fixed), ISA(ger1_fixed8), ISA(ger1_fixed4));
#undef ISA_GER1_CALL
}

/* W[r][0..n) += v[0..n) + c[r] for r < nr, in m fixed vectors (V, LOAD, L lanes) with v's
 * held in registers across the rows. */
#define ISA_ROWCOL_FIXED(NAME, V, LOAD, L)                                                 \
    static inline __attribute__((always_inline)) void NAME(                                \
        int nr, int n, int m, float alpha, const float *u, const float *restrict x,        \
        const float *restrict v, const float *c, float *restrict W)                        \
    {                                                                                      \
        V vv[ISA_FIXED_M], xv[ISA_FIXED_M], acc[ISA_FIXED_M];                              \
        for (int q = 0; q < m; q++) vv[q] = LOAD(v + ISA_AT(q, m, n, L));                  \
        for (int q = 0; q < m && u; q++) xv[q] = LOAD(x + ISA_AT(q, m, n, L));             \
        for (int r = 0; r < nr; r++) {                                                     \
            float *w = W + (size_t)r * n, cr = c[r];                                       \
            for (int q = 0; q < m; q++) acc[q] = LOAD(w + ISA_AT(q, m, n, L));             \
            if (u) {                                                                       \
                float ur = alpha * u[r];                                                   \
                for (int q = 0; q < m; q++) acc[q] = acc[q] + ur * xv[q];                  \
            }                                                                              \
            for (int q = 0; q < m; q++) acc[q] = acc[q] + (vv[q] + cr);                    \
            for (int q = 0; q < m; q++) ISA_PUT(w + ISA_AT(q, m, n, L), acc[q]);           \
        }                                                                                  \
    }
ISA_ROWCOL_FIXED(ISA(rowcol_fixed), ISA_VEC, ISA(load), ISA_N)
#if ISA_WIDE
ISA_ROWCOL_FIXED(ISA(rowcol_fixed8), v8sf, ISA(load8), 8)
#endif
#if ISA_VEC_BYTES > 16
ISA_ROWCOL_FIXED(ISA(rowcol_fixed4), v4sf, ISA(load4), 4)
#endif

/* W[r][j] = (W[r][j] + (alpha u[r]) x[j]) + (v[j] + c[r]) (W [nr][n]; without the first
 * term when u is NULL): widths ISA_FIXED_FITS takes in fixed vectors, others vector by
 * vector, the last columns one by one. */
static void ISA(rowcol_add)(int nr, int n, float alpha, const float *u, const float *x,
                            const float *v, const float *c, float *W)
{
    if (ISA_FIXED_FITS(n)) {
#define ISA_ROWCOL_CALL(F, m) F(nr, n, m, alpha, u, x, v, c, W)
        ISA_FIXED_SWITCH(n, ISA_ROWCOL_CALL, ISA(rowcol_fixed), ISA(rowcol_fixed8), ISA(rowcol_fixed4));
#undef ISA_ROWCOL_CALL
        return;
    }
    for (int r = 0; r < nr; r++) {
        float *restrict w = W + (size_t)r * n, cr = c[r], ur = u ? alpha * u[r] : 0.0f;
        int j = 0;
        for (; j + ISA_N <= n; j += ISA_N) {
            ISA_VEC t = ISA(load)(w + j);
            if (u) t = t + ur * ISA(load)(x + j);
            ISA(store)(w + j, t + (ISA(load)(v + j) + cr));
        }
        for (; j < n; j++) {
            float t = w[j];
            if (u) t = t + ur * x[j];
            w[j] = t + (v[j] + cr);
        }
    }
}

/* g[0..n) = sum_r u[r] W[r][0..n) (W as it was, r in order, from +0) and W[r][j] +=
 * (alpha u[r]) x[j], in one pass over W (see plast_ger_backward): m fixed vectors (V, LOAD,
 * L lanes) of g and of x held in registers across the rows. */
#define ISA_GERBACK_FIXED(NAME, V, LOAD, L)                                                \
    static inline __attribute__((always_inline)) void NAME(                                \
        int nr, int n, int m, float alpha, const float *u, const float *restrict x,        \
        float *restrict W, float *restrict g)                                              \
    {                                                                                      \
        V xv[ISA_FIXED_M], acc[ISA_FIXED_M], wv[ISA_FIXED_M];                              \
        for (int q = 0; q < m; q++) xv[q] = LOAD(x + ISA_AT(q, m, n, L)), acc[q] = (V){0}; \
        for (int r = 0; r < nr; r++) {                                                     \
            float *w = W + (size_t)r * n, ur = alpha * u[r];                               \
            for (int q = 0; q < m; q++) wv[q] = LOAD(w + ISA_AT(q, m, n, L));              \
            for (int q = 0; q < m; q++) acc[q] += u[r] * wv[q];                            \
            for (int q = 0; q < m; q++) ISA_PUT(w + ISA_AT(q, m, n, L), wv[q] + ur * xv[q]); \
        }                                                                                  \
        for (int q = 0; q < m; q++) ISA_PUT(g + ISA_AT(q, m, n, L), acc[q]);               \
    }
ISA_GERBACK_FIXED(ISA(gerback_fixed), ISA_VEC, ISA(load), ISA_N)
#if ISA_WIDE
ISA_GERBACK_FIXED(ISA(gerback_fixed8), v8sf, ISA(load8), 8)
#endif
#if ISA_VEC_BYTES > 16
ISA_GERBACK_FIXED(ISA(gerback_fixed4), v4sf, ISA(load4), 4)
#endif

/* The same for any width: vector by vector of columns, the last columns one by one. */
static void ISA(ger_backward)(int nr, int n, float alpha, const float *u, const float *x, float *W,
                              float *g)
{
    if (ISA_FIXED_FITS(n)) {
#define ISA_GERBACK_CALL(F, m) F(nr, n, m, alpha, u, x, W, g)
        ISA_FIXED_SWITCH(n, ISA_GERBACK_CALL, ISA(gerback_fixed), ISA(gerback_fixed8), ISA(gerback_fixed4));
#undef ISA_GERBACK_CALL
        return;
    }
    int j = 0;
    for (; j + ISA_N <= n; j += ISA_N) {
        ISA_VEC acc = {0}, xv = ISA(load)(x + j);
        for (int r = 0; r < nr; r++) {
            float *w = W + (size_t)r * n + j;
            ISA_VEC wv = ISA(load)(w);
            acc += u[r] * wv;
            ISA(store)(w, wv + (alpha * u[r]) * xv);
        }
        ISA(store)(g + j, acc);
    }
    for (; j < n; j++) {
        float acc = 0.0f;
        for (int r = 0; r < nr; r++) {
            float *w = W + (size_t)r * n + j, wv = *w;
            acc += u[r] * wv;
            *w = wv + (alpha * u[r]) * x[j];
        }
        g[j] = acc;
    }
}

/* Columns of B^T a thin NT product transposes at a time (ISA_TCOLS rows of B). */
#define ISA_TCOLS 64

/* C[i][j] += alpha dot8(K, A[i], B[j]) for a short K (K <= ISA_TK): B [N][ldb] is copied
 * transposed, a block of ISA_TCOLS rows at a time, and the eight lanes of dot8 become eight
 * vectors across j, so the result has dot8's bits with the work vectorised across outputs. */
#define ISA_TK 64
/* gemm_nt_short's vectors across outputs: ISA_VEC where it is at least v8sf. */
#if ISA_VEC_BYTES >= 32
#define ISA_NT_V ISA_VEC
#define ISA_NT_LOAD ISA(load)
#define ISA_NT_L ISA_N
#else
#define ISA_NT_V v8sf
#define ISA_NT_LOAD ISA(load8)
#define ISA_NT_L 8
#endif
/* gemm_nt_short's outputs j .. j + lanes of V, added to cp[0 ..): dot8's eight lanes as
 * eight vectors. */
#define ISA_NT_SHORT_COLS(V, LOAD, cp)                                                     \
    do {                                                                                   \
        V l[8] = {0}, s = {0};                                                             \
        for (int k = 0; k < full; k += 8)                                                  \
            for (int q = 0; q < 8; q++) l[q] += a[k + q] * LOAD(bt + (k + q) * ISA_TCOLS + j); \
        for (int k = full; k < K; k++) s += a[k] * LOAD(bt + k * ISA_TCOLS + j);          \
        V t = ((l[0] + l[1]) + (l[2] + l[3])) + ((l[4] + l[5]) + (l[6] + l[7])) + s;        \
        V cv = LOAD(cp);                                                                   \
        cv += alpha * t;                                                                   \
        ISA_PUT(cp, cv);                                                                   \
    } while (0)
static void ISA(gemm_nt_short)(int M, int N, int K, float alpha, const float *A, int lda,
                               const float *B, int ldb, float *C, int ldc)
{
    float bt[ISA_TK * ISA_TCOLS];
    int full = K / 8 * 8;
    for (int j0 = 0; j0 < N; j0 += ISA_TCOLS) {
        int nj = N - j0 < ISA_TCOLS ? N - j0 : ISA_TCOLS;
        int pad = (nj + ISA_NT_L - 1) / ISA_NT_L * ISA_NT_L; /* <= ISA_TCOLS */
        for (int j = 0; j < nj; j++)
            for (int k = 0; k < K; k++) bt[k * ISA_TCOLS + j] = B[(size_t)(j0 + j) * ldb + k];
        for (int k = 0; k < K; k++)
            for (int j = nj; j < pad; j++) bt[k * ISA_TCOLS + j] = 0.0f;
        for (int i = 0; i < M; i++) {
            const float *a = A + (size_t)i * lda;
            float *c = C + (size_t)i * ldc + j0;
            int j = 0;
            for (; j + ISA_NT_L <= nj; j += ISA_NT_L) ISA_NT_SHORT_COLS(ISA_NT_V, ISA_NT_LOAD, c + j);
            if (j < nj) { /* the last columns through a copy: lanes past nj read zeros */
                float ct[ISA_NT_L] = {0};
                memcpy(ct, c + j, sizeof(float) * (size_t)(nj - j));
                ISA_NT_SHORT_COLS(ISA_NT_V, ISA_NT_LOAD, ct);
                memcpy(c + j, ct, sizeof(float) * (size_t)(nj - j));
            }
        }
    }
}

/* c[j] = beta c[j] + alpha dot8(K, a, 1, B[j]) for j < N (B stored [N][ldb]; beta 0: c
 * is not read, 1: not scaled): eight rows of B at a time, then four, then one (batch-1
 * forward steps: a matrix-vector product). */
static __attribute__((noinline)) void ISA(gemv_nt)(int N, int K, float alpha, const float *a,
                                                   const float *B, int ldb, float beta,
                                                   float *restrict c)
{
    int j = 0;
    if (K == 1 && ldb == 1) {
        /* one term, B's column contiguous (direct feedback from one output): dot8 is
         * tree (+0) + (0 + a b), vectorised across j */
        for (; j + ISA_N <= N; j += ISA_N) {
            ISA_VEC cv = {0};
            if (beta != 0.0f) cv = ISA(load)(c + j);
            if (beta != 0.0f && beta != 1.0f) cv *= beta;
            cv += alpha * (0.0f + (0.0f + a[0] * ISA(load)(B + j)));
            ISA(store)(c + j, cv);
        }
        for (; j < N; j++) {
            float cj = beta == 0.0f ? 0.0f : beta == 1.0f ? c[j] : c[j] * beta;
            c[j] = cj + alpha * (0.0f + (0.0f + a[0] * B[j]));
        }
        return;
    }
    for (; j + 8 <= N; j += 8) {
        v8sf cv = {0};
        if (beta != 0.0f) cv = ISA(load8)(c + j);
        if (beta != 0.0f && beta != 1.0f) cv *= beta;
        cv += alpha * ISA(dot8x8)(K, a, B + (size_t)j * ldb, ldb);
        ISA_PUT(c + j, cv);
    }
    for (int i = j; i < N; i++) c[i] = beta == 0.0f ? 0.0f : beta == 1.0f ? c[i] : c[i] * beta;
    for (; j + 4 <= N; j += 4) {
        v4sf t = ISA(dot8x4)(K, a, B + (size_t)j * ldb, ldb);
        for (int r = 0; r < 4; r++) c[j + r] += alpha * t[r];
    }
    for (; j < N; j++) c[j] += alpha * ISA(dot8)(K, a, 1, B + (size_t)j * ldb);
}

/* TN products with few columns (N <= ISA_TN_NARROW: an input layer's outer-product update
 * over a batch), rows i of C a vector at a time: A[k][i ..] is contiguous, so each column j
 * is one vector across rows, held in a register while k runs; every output keeps
 * axpy_rows' sequential sum over k. Returns the rows done (whole vectors). */
#define ISA_TN_NARROW 16
static int ISA(gemm_tn_narrow)(int M, int N, int K, float alpha, const float *A, int lda,
                               const float *B, int ldb, float *C, int ldc)
{
    int i = 0;
    for (; i + ISA_N <= M; i += ISA_N) {
        ISA_VEC acc[ISA_TN_NARROW] = {{0}};
        float t[ISA_N];
#pragma GCC unroll 16
        for (int j = 0; j < ISA_TN_NARROW; j++)
            if (j < N) {
                for (int r = 0; r < ISA_N; r++) t[r] = C[(size_t)(i + r) * ldc + j];
                acc[j] = ISA(load)(t);
            }
        for (int k = 0; k < K; k++) {
            ISA_VEC ak = alpha * ISA(load)(A + (size_t)k * lda + i);
            const float *bk = B + (size_t)k * ldb;
#pragma GCC unroll 16
            for (int j = 0; j < ISA_TN_NARROW; j++)
                if (j < N) acc[j] += ak * bk[j];
        }
#pragma GCC unroll 16
        for (int j = 0; j < ISA_TN_NARROW; j++)
            if (j < N) {
                ISA(store)(t, acc[j]);
                for (int r = 0; r < ISA_N; r++) C[(size_t)(i + r) * ldc + j] = t[r];
            }
    }
    return i;
}

/* The rest of gemm (below): C = beta C, then the product by shape. */
static __attribute__((noinline)) void ISA(gemm_rest)(int ta, int tb, int M, int N, int K,
                                                     float alpha, const float *A, int lda,
                                                     const float *B, int ldb, float beta,
                                                     float *C, int ldc)
{
    for (int i = 0; i < M && beta != 1.0f; i++) {
        float *restrict c = C + (size_t)i * ldc;
        if (beta == 0.0f)
            for (int j = 0; j < N; j++) c[j] = 0.0f;
        else
            for (int j = 0; j < N; j++) c[j] *= beta;
    }
    if (tb && !ta) { /* K <= ISA_TK, N >= 8, M >= 8 (gemm): the copy pays off over 8 rows */
        ISA(gemm_nt_short)(M, N, K, alpha, A, lda, B, ldb, C, ldc);
        return;
    }
    if (ta && !tb) {
        /* C[i][:] += alpha A[k][i] B[k][:]: a few columns, a vector of rows at a time
         * (gemm_tn_narrow); whole rows where axpy_rows takes them whole, else whole vectors
         * of columns four rows, then one row, at a time, and the last few columns eight rows
         * at a time, across i (A[k][i..i+7] is contiguous) */
        if (K == 1 && ISA_FIXED_FITS(N)) { /* a batch-1 outer product */
            ISA(ger1_rows)(M, N, alpha, A, B, C, ldc);
            return;
        }
        int r = N <= ISA_TN_NARROW ? ISA(gemm_tn_narrow)(M, N, K, alpha, A, lda, B, ldb, C, ldc) : 0;
        int nv = ISA_FIXED_FITS(N) ? N : N / 8 * 8, i = r;
        for (; !ISA_FIXED_FITS(N) && r + 4 <= M; r += 4)
            ISA(axpy_rows4)(nv, K, alpha, A + r, lda, 1, B, ldb, C + (size_t)r * ldc, ldc);
        for (; r < M; r++) ISA(axpy_rows)(nv, K, alpha, A + r, lda, B, ldb, C + (size_t)r * ldc);
        for (; nv < N && i + 8 <= M; i += 8)
            for (int j = nv; j < N; j++) {
                v8sf acc;
                for (int r = 0; r < 8; r++) acc[r] = C[(size_t)(i + r) * ldc + j];
                for (int k = 0; k < K; k++)
                    acc += (alpha * ISA(load8)(A + (size_t)k * lda + i)) * B[(size_t)k * ldb + j];
                for (int r = 0; r < 8; r++) C[(size_t)(i + r) * ldc + j] = acc[r];
            }
        for (; nv < N && i < M; i++)
            for (int j = nv; j < N; j++) {
                float cj = C[(size_t)i * ldc + j];
                for (int k = 0; k < K; k++) cj += (alpha * A[(size_t)k * lda + i]) * B[(size_t)k * ldb + j];
                C[(size_t)i * ldc + j] = cj;
            }
        return;
    }
    int i0 = 0;
    for (; !tb && !ISA_FIXED_FITS(N) && i0 + 4 <= M; i0 += 4)
        ISA(axpy_rows4)(N, K, alpha, A + (size_t)i0 * lda, 1, lda, B, ldb, C + (size_t)i0 * ldc, ldc);
    for (int i = i0; i < M; i++) {
        float *restrict c = C + (size_t)i * ldc;
        if (!tb) /* C[i][:] += alpha a(i,k) B[k][:], contiguous in j */
            ISA(axpy_rows)(N, K, alpha, A + (size_t)i * lda, 1, B, ldb, c);
        else
            for (int j = 0; j < N; j++) c[j] += alpha * ISA(dot8)(K, A + i, lda, B + (size_t)j * ldb);
    }
}

/* C[i][0] = beta C[i][0] + alpha dot8(K, A[i], 1, b) for i < M (one output per row of A:
 * a one-unit layer's forward over a batch): dot8x8 on eight rows of A at a time (a b and
 * b a are the same products), the last rows one by one through gemv_nt. */
static __attribute__((noinline)) void ISA(gemv_nt_one)(int M, int K, float alpha, const float *A,
                                                       int lda, const float *b, float beta,
                                                       float *C, int ldc)
{
    int i = 0;
    for (; i + 8 <= M; i += 8) {
        v8sf t = ISA(dot8x8)(K, b, A + (size_t)i * lda, lda);
        for (int r = 0; r < 8; r++) {
            float *c = C + (size_t)(i + r) * ldc;
            float cv = beta == 0.0f ? 0.0f : beta == 1.0f ? *c : *c * beta;
            *c = cv + alpha * t[r];
        }
    }
    for (; i < M; i++) ISA(gemv_nt)(1, K, alpha, A + (size_t)i * lda, b, K, beta, C + (size_t)i * ldc);
}

/* NT products with one output column go to gemv_nt_one; those too small to pay for
 * gemm_nt_short's copy (batch-1 forward steps) and one-term ones with a contiguous column
 * (direct feedback from one output, any batch) straight to gemv_nt, row by row; the rest
 * to gemm_rest. */
static void ISA(gemm_panel)(int ta, int tb, int M, int N, int K, float alpha, const float *A,
                            int lda, const float *B, int ldb, float beta, float *C, int ldc)
{
    if (tb && !ta && N == 1 && M >= 8) {
        ISA(gemv_nt_one)(M, K, alpha, A, lda, B, beta, C, ldc);
        return;
    }
    if (tb && !ta && ((K == 1 && ldb == 1) || !(K <= ISA_TK && N >= 8 && M >= 8))) {
        for (int i = 0; i < M; i++)
            ISA(gemv_nt)(N, K, alpha, A + (size_t)i * lda, B, ldb, beta, C + (size_t)i * ldc);
        return;
    }
    ISA(gemm_rest)(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

/* One vector (V: ISA_VEC or v8sf, LOAD its load) of a row of the Oja update below at
 * column j: g from the nb rows of x, then w += p (g - d w). */
#define ISA_OJA_STEP(V, LOAD)                                                              \
    do {                                                                                   \
        V g = {0};                                                                         \
        for (int b = 0; b < nb; b++) g += ur[(size_t)b * ldu] * LOAD(x + (size_t)b * ldx + j); \
        V wv = LOAD(w + j);                                                                \
        if (syn) wv += scale * LOAD(p + j) * (g - dr * wv);                                \
        else wv += p_row * (g - dr * wv);                                                  \
        memcpy(w + j, &wv, sizeof wv);                                                     \
    } while (0)

/* One row of the Oja update; syn (per synapse) is a constant where it is inlined, so each
 * of the two loops is compiled without tests inside. */
static inline __attribute__((always_inline)) void
ISA(oja_row)(int n, int nb, const float *ur, int ldu, const float *x, int ldx, float dr,
             const float *restrict p, float p_row, float scale, float *restrict w, int syn)
{
    int j = 0;
    for (; j + ISA_N <= n; j += ISA_N) ISA_OJA_STEP(ISA_VEC, ISA(load));
#if ISA_WIDE
    for (; j + 8 <= n; j += 8) ISA_OJA_STEP(v8sf, ISA(load8));
#endif
    for (; j < n; j++) {
        float g = 0.0f;
        for (int b = 0; b < nb; b++) g += ur[(size_t)b * ldu] * x[(size_t)b * ldx + j];
        if (syn) w[j] += scale * p[j] * (g - dr * w[j]);
        else w[j] += p_row * (g - dr * w[j]);
    }
}

/* The batch-1 Oja update of one vector (V, LOAD) of a row, at w (and p) with x's vector
 * xv, returned, not stored: w + p ((0 + u x) - d w), the general sum's bits with its one
 * term. unit: scale is 1, so scale p is p (the same bits) and is not formed. */
#define ISA_OJA1_VEC(NAME, V, LOAD)                                                         \
    static inline __attribute__((always_inline)) V NAME(                                   \
        V xv, const float *w, const float *p, float u, float dr, float p_row, float scale, \
        int syn, int unit)                                                                 \
    {                                                                                      \
        V g = 0.0f + u * xv, wv = LOAD(w);                                                 \
        if (!syn) return wv + p_row * (g - dr * wv);                                       \
        if (unit) return wv + LOAD(p) * (g - dr * wv);                                     \
        return wv + scale * LOAD(p) * (g - dr * wv);                                       \
    }

/* Rows of m vectors of L lanes (V, LOAD, FN: ISA_OJA1_VEC's update), m <= ISA_FIXED_M
 * and n in ((m - 1) L, m L], n >= L: vector q starts at q L, the last at n - L, so it may
 * overlap the one before it; every vector of a row is computed before any is stored (the
 * overlapping lanes get the same bits twice) and no lane is left to a scalar loop. m,
 * syn and unit are constants where it is inlined: x's vectors stay in registers across
 * the rows and a row is straight-line code. */
#define ISA_OJA1_FIXED(NAME, V, LOAD, L, FN)                                        \
    static inline __attribute__((always_inline)) void NAME(                                \
        int nr, int n, int m, const float *u, const float *x, const float *d,              \
        const float *P, float scale, float *W, int syn, int unit)                          \
    {                                                                                      \
        V xv[ISA_FIXED_M], res[ISA_FIXED_M];                                                 \
        for (int q = 0; q < m; q++) xv[q] = LOAD(x + ISA_AT(q, m, n, L));             \
        for (int r = 0; r < nr; r++) {                                                     \
            float *w = W + (size_t)r * n;                                                  \
            const float *p = syn ? P + (size_t)r * n : NULL;                               \
            float p_row = syn ? 0.0f : scale * P[r];                                       \
            for (int q = 0; q < m; q++) {                                                  \
                int j = ISA_AT(q, m, n, L);                                           \
                res[q] = FN(xv[q], w + j, syn ? p + j : NULL, u[r], d[r], p_row, scale, syn, unit); \
            }                                                                              \
            for (int q = 0; q < m; q++) ISA_PUT(w + ISA_AT(q, m, n, L), res[q]);       \
        }                                                                                  \
    }

ISA_OJA1_VEC(ISA(oja1_vec), ISA_VEC, ISA(load))
ISA_OJA1_FIXED(ISA(oja1_fixed), ISA_VEC, ISA(load), ISA_N, ISA(oja1_vec))
#if ISA_WIDE
ISA_OJA1_VEC(ISA(oja1_vec8), v8sf, ISA(load8))
ISA_OJA1_FIXED(ISA(oja1_fixed8), v8sf, ISA(load8), 8, ISA(oja1_vec8))
#endif
#if ISA_VEC_BYTES > 16
ISA_OJA1_VEC(ISA(oja1_vec4), v4sf, ISA(load4))
ISA_OJA1_FIXED(ISA(oja1_fixed4), v4sf, ISA(load4), 4, ISA(oja1_vec4))
#endif

/* FIXED (an ISA_OJA1_FIXED function) with the constant m and the flags of the call. */
#define ISA_OJA1_CALL(FIXED, m)                                                            \
    do {                                                                                   \
        if (!syn) FIXED(nr, n, m, u, x, d, P, scale, W, 0, 0);                             \
        else if (unit) FIXED(nr, n, m, u, x, d, P, scale, W, 1, 1);                        \
        else FIXED(nr, n, m, u, x, d, P, scale, W, 1, 0);                                  \
    } while (0)

/* The batch-1 Oja update of rows r < nr of W [nr][n] (see oja_rows): rows of at most
 * ISA_FIXED_M vectors as straight-line code (the widest vector the row holds), wider rows
 * vector by vector (x reloaded from L1; the last vector overlapping as above), rows
 * narrower than four lanes one weight at a time. */
static void ISA(oja1_rows)(int nr, int n, const float *u, const float *x, const float *d,
                           const float *P, int syn, float scale, float *W)
{
    int unit = scale == 1.0f;
    if (ISA_FIXED_FITS(n)) {
        ISA_FIXED_SWITCH(n, ISA_OJA1_CALL, ISA(oja1_fixed), ISA(oja1_fixed8), ISA(oja1_fixed4));
        return;
    }
    if (n >= ISA_N) {
        for (int r = 0; r < nr; r++) {
            float *w = W + (size_t)r * n;
            const float *p = syn ? P + (size_t)r * n : NULL;
            float p_row = syn ? 0.0f : scale * P[r];
            int last = n - ISA_N;
            ISA_VEC t = ISA(oja1_vec)(ISA(load)(x + last), w + last, syn ? p + last : NULL, u[r],
                                      d[r], p_row, scale, syn, unit);
            for (int j = 0; j < last; j += ISA_N)
                ISA(store)(w + j, ISA(oja1_vec)(ISA(load)(x + j), w + j, syn ? p + j : NULL, u[r],
                                                d[r], p_row, scale, syn, unit));
            ISA(store)(w + last, t);
        }
        return;
    }
    for (int r = 0; r < nr; r++)
        for (int j = 0; j < n; j++) {
            float *w = W + (size_t)r * n, g = 0.0f + u[r] * x[j];
            if (!syn) w[j] += scale * P[r] * (g - d[r] * w[j]);
            else if (unit) w[j] += P[(size_t)r * n + j] * (g - d[r] * w[j]);
            else w[j] += scale * P[(size_t)r * n + j] * (g - d[r] * w[j]);
        }
}

/* Rows r < nr of W [nr][n]: W[r][j] += p_rj (g_rj - d[r] W[r][j]), where
 * g_rj = sum_b u[b ldu + r] x[b ldx + j] (from 0, b in order) and p_rj = scale P[r n + j]
 * (per_synapse) or scale P[r]. G is never stored: each vector of g is formed in a register
 * and applied at once; the rows of x it comes from stay in L1 across the rows of W. */
static void ISA(oja_rows)(int nr, int n, int nb, const float *u, int ldu, const float *x, int ldx,
                          const float *d, const float *P, int per_synapse, float scale, float *W)
{
    if (nb == 1) {
        ISA(oja1_rows)(nr, n, u, x, d, P, per_synapse, scale, W);
        return;
    }
    for (int r = 0; r < nr; r++) {
        float *w = W + (size_t)r * n;
        if (per_synapse)
            ISA(oja_row)(n, nb, u + r, ldu, x, ldx, d[r], P + (size_t)r * n, 0.0f, scale, w, 1);
        else
            ISA(oja_row)(n, nb, u + r, ldu, x, ldx, d[r], NULL, scale * P[r], scale, w, 0);
    }
}

static void ISA(axpy)(int n, float alpha, const float *restrict x, float *restrict y)
{
    int i = 0;
    for (; i + ISA_N <= n; i += ISA_N) ISA(store)(y + i, ISA(load)(y + i) + alpha * ISA(load)(x + i));
    for (; i < n; i++) y[i] += alpha * x[i];
}

/* B operands above this many bytes are taken in panels of output columns (rows of B in an
 * NT product) that stay in the core's cache while every row of A passes over them. */
#define ISA_PANEL_BYTES (512 * 1024)

/* gemm_panel on column panels of C when B outgrows ISA_PANEL_BYTES: each output's sum runs
 * in the order it has unsplit (a panel only chooses which outputs are computed together),
 * so the bits do not depend on the panel width. */
static __attribute__((noinline)) void ISA(gemm_panels)(int ta, int tb, int M, int N, int K, float alpha,
                                                       const float *A, int lda, const float *B, int ldb,
                                                       float beta, float *C, int ldc)
{
    int nb = (int)(ISA_PANEL_BYTES / ((size_t)K * sizeof(float))) / 64 * 64;
    if (nb < 64) nb = 64;
    for (int j0 = 0; j0 < N; j0 += nb) {
        int n = N - j0 < nb ? N - j0 : nb;
        ISA(gemm_panel)(ta, tb, M, n, K, alpha, A, lda, tb ? B + (size_t)j0 * ldb : B + j0, ldb, beta,
                        C + j0, ldc);
    }
}

static void ISA(gemm)(int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda,
                      const float *B, int ldb, float beta, float *C, int ldc)
{
    if (M > 1 && (size_t)K * N * sizeof(float) > ISA_PANEL_BYTES)
        ISA(gemm_panels)(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    else
        ISA(gemm_panel)(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

/* ---- double products (exact meta-gradients) ----
 * C = beta C + alpha op(A) op(B) with every output's sum in one order, whatever the path or
 * the shape: c = beta c (0 when beta is 0), then c += (alpha a_k) b_k for k = 0, 1, ...
 * Vectorised across outputs, so the order does not depend on the vector width; four rows of
 * C share each vector of B loaded, and B is taken a strip of columns at a time that stays in
 * cache (daxpy_block); neither changes what an output sums or in what order. An NT product
 * transposes B a block at a time (ISA_DB x ISA_DB) and runs as NN on it. */
typedef double ISA(dvec) __attribute__((vector_size(ISA_VEC_BYTES)));
#define ISA_DN ((int)(sizeof(ISA(dvec)) / sizeof(double)))
#define ISA_DB 64

static inline ISA(dvec) ISA(dload)(const double *p)
{
    ISA(dvec) v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* alpha a_k, read as a_k when alpha is 1 (the same value: 1 x is exactly x), so that a_k
 * goes from memory straight into a broadcast */
#define ISA_DA(v) (one ? (v) : alpha * (v))

/* R rows of C at once (R a constant, at most 4; row r: a + r ai, c + r ldc):
 * c_r[0..n) += sum_k (alpha a_r[k sa]) B[k][0..n), k in order, each vector of B loaded once
 * for the R rows. Two vectors of each row are held in registers while k runs, then one; a
 * width the vector does not divide ends in a vector that overlaps the one before it,
 * computed first from c as it was and stored last (its shared lanes get the same bits
 * twice); rows narrower than a vector go one output at a time. one: alpha is 1. */
static inline __attribute__((always_inline)) void
ISA(daxpy_rows_)(int R, int n, int K, double alpha, const double *a, size_t ai, int sa,
                 const double *restrict B, int ldb, double *restrict c, int ldc, int one)
{
    if (n < ISA_DN) {
        for (int r = 0; r < R; r++)
            for (int j = 0; j < n; j++) {
                double cj = c[(size_t)r * ldc + j];
                for (int k = 0; k < K; k++) cj += ISA_DA(a[r * ai + (size_t)k * sa]) * B[(size_t)k * ldb + j];
                c[(size_t)r * ldc + j] = cj;
            }
        return;
    }
    int j = 0, last = n % ISA_DN ? n - ISA_DN : -1;
    ISA(dvec) l[4] = {{0}};
    if (last >= 0) {
#pragma GCC unroll 4
        for (int r = 0; r < R; r++) l[r] = ISA(dload)(c + (size_t)r * ldc + last);
        for (int k = 0; k < K; k++) {
            ISA(dvec) b = ISA(dload)(B + (size_t)k * ldb + last);
#pragma GCC unroll 4
            for (int r = 0; r < R; r++) l[r] += ISA_DA(a[r * ai + (size_t)k * sa]) * b;
        }
        n = n / ISA_DN * ISA_DN;
    }
    for (; j + 2 * ISA_DN <= n; j += 2 * ISA_DN) {
        ISA(dvec) s0[4], s1[4];
#pragma GCC unroll 4
        for (int r = 0; r < R; r++) {
            s0[r] = ISA(dload)(c + (size_t)r * ldc + j);
            s1[r] = ISA(dload)(c + (size_t)r * ldc + j + ISA_DN);
        }
        for (int k = 0; k < K; k++) {
            const double *bk = B + (size_t)k * ldb + j;
            ISA(dvec) b0 = ISA(dload)(bk), b1 = ISA(dload)(bk + ISA_DN);
#pragma GCC unroll 4
            for (int r = 0; r < R; r++) {
                double x = ISA_DA(a[r * ai + (size_t)k * sa]);
                s0[r] += x * b0;
                s1[r] += x * b1;
            }
        }
#pragma GCC unroll 4
        for (int r = 0; r < R; r++) {
            ISA_PUT(c + (size_t)r * ldc + j, s0[r]);
            ISA_PUT(c + (size_t)r * ldc + j + ISA_DN, s1[r]);
        }
    }
    for (; j + ISA_DN <= n; j += ISA_DN) {
        ISA(dvec) s0[4];
#pragma GCC unroll 4
        for (int r = 0; r < R; r++) s0[r] = ISA(dload)(c + (size_t)r * ldc + j);
        for (int k = 0; k < K; k++) {
            ISA(dvec) b = ISA(dload)(B + (size_t)k * ldb + j);
#pragma GCC unroll 4
            for (int r = 0; r < R; r++) s0[r] += ISA_DA(a[r * ai + (size_t)k * sa]) * b;
        }
#pragma GCC unroll 4
        for (int r = 0; r < R; r++) ISA_PUT(c + (size_t)r * ldc + j, s0[r]);
    }
    if (last >= 0)
#pragma GCC unroll 4
        for (int r = 0; r < R; r++) ISA_PUT(c + (size_t)r * ldc + last, l[r]);
}

/* daxpy_rows_ for four rows and for one, alpha 1 or not */
static void ISA(daxpy_rows4)(int n, int K, double alpha, const double *a, size_t ai, int sa,
                             const double *B, int ldb, double *c, int ldc)
{
    if (alpha == 1.0)
        ISA(daxpy_rows_)(4, n, K, alpha, a, ai, sa, B, ldb, c, ldc, 1);
    else
        ISA(daxpy_rows_)(4, n, K, alpha, a, ai, sa, B, ldb, c, ldc, 0);
}

static void ISA(daxpy_rows1)(int n, int K, double alpha, const double *a, int sa, const double *B,
                             int ldb, double *c)
{
    if (alpha == 1.0)
        ISA(daxpy_rows_)(1, n, K, alpha, a, 0, sa, B, ldb, c, 0, 1);
    else
        ISA(daxpy_rows_)(1, n, K, alpha, a, 0, sa, B, ldb, c, 0, 0);
}

/* C [M][n] += alpha op(A) B: a strip of columns at a time, narrow enough that its K rows of B
 * stay in cache while every row of C passes over it (ISA_DSTRIP bytes of B, at least two
 * vectors wide; the last strip takes what is left), the rows of C four at a time, then one
 * by one. Every output is summed as in daxpy_rows_, so the strips do not change a bit. */
#define ISA_DSTRIP (128 * 1024)
static void ISA(daxpy_block)(int M, int n, int K, double alpha, const double *a, size_t ai, int sa,
                             const double *B, int ldb, double *c, int ldc)
{
    int w = K > 0 ? ISA_DSTRIP / (int)sizeof(double) / K / (2 * ISA_DN) * (2 * ISA_DN) : n;
    if (w < 2 * ISA_DN) w = 2 * ISA_DN;
    for (int j0 = 0; j0 < n;) {
        int nj = n - j0 < 2 * w ? n - j0 : w, i = 0;
        for (; i + 4 <= M; i += 4)
            ISA(daxpy_rows4)(nj, K, alpha, a + i * ai, ai, sa, B + j0, ldb, c + (size_t)i * ldc + j0, ldc);
        for (; i < M; i++)
            ISA(daxpy_rows1)(nj, K, alpha, a + i * ai, sa, B + j0, ldb, c + (size_t)i * ldc + j0);
        j0 += nj;
    }
}

static void ISA(dgemm)(int ta, int tb, int M, int N, int K, double alpha, const double *A, int lda,
                       const double *B, int ldb, double beta, double *C, int ldc)
{
    for (int i = 0; i < M && beta != 1.0; i++) {
        double *restrict c = C + (size_t)i * ldc;
        if (beta == 0.0)
            for (int j = 0; j < N; j++) c[j] = 0.0;
        else
            for (int j = 0; j < N; j++) c[j] *= beta;
    }
    /* row i of op(A): A + i lda, step 1; transposed: A + i, step lda */
    size_t ai = ta ? 1 : (size_t)lda;
    int sa = ta ? lda : 1;
    if (!tb) {
        ISA(daxpy_block)(M, N, K, alpha, A, ai, sa, B, ldb, C, ldc);
        return;
    }
    double bt[ISA_DB * ISA_DB];
    for (int k0 = 0; k0 < K; k0 += ISA_DB) {
        int nk = K - k0 < ISA_DB ? K - k0 : ISA_DB;
        for (int j0 = 0; j0 < N; j0 += ISA_DB) {
            int nj = N - j0 < ISA_DB ? N - j0 : ISA_DB;
            for (int j = 0; j < nj; j++)
                for (int k = 0; k < nk; k++) bt[k * ISA_DB + j] = B[(size_t)(j0 + j) * ldb + k0 + k];
            ISA(daxpy_block)(M, nj, nk, alpha, A + (size_t)k0 * sa, ai, sa, bt, ISA_DB, C + j0, ldc);
        }
    }
}

static const isa_kernels ISA(kernels) = {ISA(gemm), ISA(dgemm), ISA(oja_rows), ISA(axpy), ISA(rowcol_add),
                                         ISA(ger_backward)};

#undef ISA_N
#undef ISA_WIDE
#undef ISA_OJA_STEP
#undef ISA_OJA1_VEC
#undef ISA_OJA1_FIXED
#undef ISA_OJA1_CALL
#undef ISA_PUT
#undef ISA_FIXED_FITS
#undef ISA_AXPY_FIXED
#undef ISA_GER1_FIXED
#undef ISA_ROWCOL_FIXED
#undef ISA_GERBACK_FIXED
#undef ISA_FIXED_V8
#undef ISA_FIXED_V4
#undef ISA_FIXED_SWITCH
#undef ISA_FIXED_M
#undef ISA_AT
#undef ISA_TCOLS
#undef ISA_TK
#undef ISA_NT_V
#undef ISA_NT_LOAD
#undef ISA_NT_L
#undef ISA_NT_SHORT_COLS
#undef ISA_TN_NARROW
#undef ISA_PANEL_BYTES
#undef ISA_DN
#undef ISA_DB
#undef ISA_DSTRIP
#undef ISA_DA

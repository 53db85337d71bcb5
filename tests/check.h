/* check.h — the tests' assertions: a failed check prints where and why, and the test
 * program exits non-zero at the end (CHECK_DONE), so CTest reports it as failed. */
#ifndef PLAST_TEST_CHECK_H
#define PLAST_TEST_CHECK_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static int check_failures_;
static int check_count_;

#define CHECK(cond)                                                                    \
    do {                                                                               \
        check_count_++;                                                                \
        if (!(cond)) {                                                                 \
            check_failures_++;                                                         \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);   \
        }                                                                              \
    } while (0)

/* |a - b| <= tol, with both values printed on failure. */
#define CHECK_NEAR(a, b, tol)                                                          \
    do {                                                                               \
        double ca_ = (double)(a), cb_ = (double)(b), ct_ = (double)(tol);              \
        check_count_++;                                                                \
        if (!(fabs(ca_ - cb_) <= ct_)) {                                               \
            check_failures_++;                                                         \
            fprintf(stderr, "%s:%d: CHECK_NEAR failed: %s = %.9g, %s = %.9g, tol %.3g\n", \
                    __FILE__, __LINE__, #a, ca_, #b, cb_, ct_);                        \
        }                                                                              \
    } while (0)

/* Stops the test at once: for a set-up step the rest depends on. */
#define REQUIRE(cond)                                                                  \
    do {                                                                               \
        if (!(cond)) {                                                                 \
            fprintf(stderr, "%s:%d: REQUIRE failed: %s\n", __FILE__, __LINE__, #cond); \
            exit(1);                                                                   \
        }                                                                              \
    } while (0)

/* The built-in registry as an argument (with or without the "campaign" section). */
#define PLAST_TEST_REG(with_campaign) ((const plast_registry[]){plast_registry_builtin(with_campaign)})

#define CHECK_DONE()                                                                   \
    do {                                                                               \
        fprintf(stderr, "%d checks, %d failed\n", check_count_, check_failures_);      \
        return check_failures_ ? 1 : 0;                                                \
    } while (0)

#endif

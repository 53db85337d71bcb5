/* bench_clock.h — the two clocks of the benchmark programs (scripts/bench_*.c). */
#ifndef PLAST_BENCH_CLOCK_H
#define PLAST_BENCH_CLOCK_H

#include <time.h>

static inline double bench_clock_s(clockid_t id)
{
    struct timespec t;
    clock_gettime(id, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Seconds of this thread's CPU time: blind to other processes on a shared machine. */
static inline double cpu_s(void) { return bench_clock_s(CLOCK_THREAD_CPUTIME_ID); }
/* Seconds of wall time (rates of several threads). */
static inline double wall_s(void) { return bench_clock_s(CLOCK_MONOTONIC); }

#endif

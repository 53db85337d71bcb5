/* run_record.h — run.json: how the results in a directory were made.
 *
 * One record, one writer, for every command that keeps one (meta-train, probe): the command
 * line, version and git revision, compiler, BLAS, threads, ranks, host, whether this session
 * resumed (and how the one before it ended), every session of the directory (the earlier ones
 * read back from its run.json), the start and end of this one, its status ("running",
 * "finished", "failed", "interrupted") and exit code. A command writes it with status
 * "running" once its directory is made and again when it stops, so a killed session leaves
 * "running" behind (a resume records it as "killed"). scripts/reproduce reruns "command". */
#ifndef PLAST_RUN_RECORD_H
#define PLAST_RUN_RECORD_H

#include <stdio.h>

#include "plast/config.h" /* plast_json */
#include "plast/error.h"

typedef struct plast_run_record {
    const char *command, *version, *git; /* the caller's strings, kept until the last write */
    int threads, ranks, resumed;
    char prev_status[32], prev_start[32]; /* the session a resume continues; "" when fresh */
    char *history;                        /* earlier sessions, JSON array elements (heap) or NULL */
    char start[32], end[32];              /* ISO 8601, UTC */
    const char *status;
    int exit_code;
} plast_run_record;

/* A session starting now, status "running". */
void plast_run_record_init(plast_run_record *r, const char *command, const char *version,
                           const char *git, int threads, int ranks);
/* A resumed session of dir: reads dir/run.json for the earlier sessions (a run.json without
 * a session list counts as one), how the last one ended ("killed" when it never wrote its
 * end, or wrote no run.json) and, when threads is not NULL, the thread count it recorded
 * (left alone when there is none). */
void plast_run_record_resume(plast_run_record *r, const char *dir, int *threads);
/* The session stops: its status, exit code and end (now). */
void plast_run_record_end(plast_run_record *r, const char *status, int exit_code);
/* The record as JSON: a plast_writer (include/plast/run.h) whose ctx is the record. */
int plast_run_record_json(FILE *f, const void *record);
/* Appends each element of the JSON array sessions (none when it is not an array) to out (a
 * heap string, "" or elements already) as ",\n    element"; returns the string, perhaps
 * moved (on a failed allocation what was appended so far). For run.json and bench.json. */
char *plast_run_record_sessions(char *out, const plast_json *sessions);
/* Writes dir/run.json atomically. */
int plast_run_record_write(const plast_run_record *r, const char *dir, plast_err *err);
void plast_run_record_free(plast_run_record *r);

#endif

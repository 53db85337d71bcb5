/* error.h — the error record every library call fills, and the exit codes.
 *
 * Library code never prints and never exits: it returns one of the codes below
 * and, when the caller passes a record, says what went wrong and where (a config
 * key path such as "net.hidden[2]", or "file:line"). Only the program (src/cli/)
 * turns a record into a message and an exit code. The codes are the BSD sysexits
 * values, so a shell script can tell bad usage from bad data from a failed disk. */
#ifndef PLAST_ERROR_H
#define PLAST_ERROR_H

enum {
    PLAST_OK = 0,
    PLAST_E_USAGE = 64,    /* bad command line */
    PLAST_E_DATA = 65,     /* bad data file or checkpoint contents */
    PLAST_E_NOINPUT = 66,  /* missing input file */
    PLAST_E_INTERNAL = 70, /* a bug or an impossible state */
    PLAST_E_IO = 74,       /* a read or write failed */
    PLAST_E_CONFIG = 78,   /* bad configuration */
    PLAST_INTERRUPTED = 75 /* stopped by a signal; --resume continues (EX_TEMPFAIL) */
};

typedef struct plast_err {
    int code;        /* one of the PLAST_E_* values, PLAST_OK when nothing failed */
    char where[256]; /* key path or file:line the message concerns; may be empty */
    char msg[512];   /* one sentence, no trailing newline */
} plast_err;

/* Fills *e (when e is not NULL) and returns code, so callers can write
 * `return plast_err_set(e, PLAST_E_CONFIG, "task.order", "unknown order '%s'", s);` */
int plast_err_set(plast_err *e, int code, const char *where, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

void plast_err_clear(plast_err *e);

#endif

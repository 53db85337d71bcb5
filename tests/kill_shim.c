/* kill_shim.c — preloaded into plast by tests/kill.sh (LD_PRELOAD) to kill it with SIGKILL at
 * an exact point of an atomic write, which a timer cannot hit reliably.
 *
 * PLAST_KILL_MATCH=TEXT and PLAST_KILL_AT=N: at the Nth rename() whose source path contains
 * TEXT the process kills itself before renaming, i.e. after the temporary file was written
 * (and synced) but before it took the place of the old file: "during a checkpoint write" for
 * TEXT = "checkpoint.bin.tmp". PLAST_KILL_HALF=1 instead truncates that temporary file to
 * half its size first, like a kill in the middle of writing it. PLAST_KILL_SIGNAL=TERM sends
 * SIGTERM instead (the program's handler runs) and lets the rename go on. Not part of
 * libplast. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int rename(const char *from, const char *to)
{
    static int seen;
    static int (*real)(const char *, const char *);
    if (!real) real = (int (*)(const char *, const char *))dlsym(RTLD_NEXT, "rename");
    const char *match = getenv("PLAST_KILL_MATCH"), *at = getenv("PLAST_KILL_AT");
    if (match && at && strstr(from, match) && ++seen == strtol(at, NULL, 10)) {
        struct stat st;
        if (getenv("PLAST_KILL_HALF") && stat(from, &st) == 0) {
            if (truncate(from, st.st_size / 2)) _exit(99);
        }
        const char *sig = getenv("PLAST_KILL_SIGNAL");
        kill(getpid(), sig && !strcmp(sig, "TERM") ? SIGTERM : SIGKILL);
    }
    return real(from, to);
}

/* run_record.c — run.json, the record of how a directory's results were made (see
 * include/plast/run_record.h). */
#include "plast/run_record.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "plast/config.h"
#include "plast/linalg.h"
#include "plast/run.h"

static void iso_now(char *buf, size_t n)
{
    time_t t = time(NULL);
    struct tm tmv;
    gmtime_r(&t, &tmv);
    strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tmv);
}

void plast_run_record_init(plast_run_record *r, const char *command, const char *version,
                           const char *git, int threads, int ranks)
{
    memset(r, 0, sizeof *r);
    r->command = command ? command : "";
    r->version = version ? version : "";
    r->git = git ? git : "";
    r->threads = threads < 1 ? 1 : threads;
    r->ranks = ranks < 1 ? 1 : ranks;
    r->status = "running";
    iso_now(r->start, sizeof r->start);
}

void plast_run_record_end(plast_run_record *r, const char *status, int exit_code)
{
    r->status = status;
    r->exit_code = exit_code;
    iso_now(r->end, sizeof r->end);
}

/* The value of "key": "..." in a run.json this file wrote (one key per line, no escapes in
 * these values), or "" when it is not there. */
static void field(const char *text, const char *key, char *out, size_t n)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\": \"", key);
    out[0] = '\0';
    const char *p = strstr(text, pat);
    if (!p) return;
    p += strlen(pat);
    size_t k = 0;
    while (p[k] && p[k] != '"' && p[k] != '\n' && k + 1 < n) k++;
    memcpy(out, p, k);
    out[k] = '\0';
}

/* How the session a resume continues ended. "running" in its run.json means it never
 * reached its own end (killed, or the machine stopped), and so does a run.json it never
 * wrote: both are recorded as "killed". */
static void previous_session(plast_run_record *r, const char *path)
{
    char text[8192] = "";
    FILE *f = fopen(path, "rb");
    if (f) {
        size_t got = fread(text, 1, sizeof text - 1, f);
        fclose(f);
        text[got] = '\0';
    }
    field(text, "status", r->prev_status, sizeof r->prev_status);
    field(text, "start", r->prev_start, sizeof r->prev_start);
    if (!strcmp(r->prev_status, "running") || !r->prev_status[0])
        snprintf(r->prev_status, sizeof r->prev_status, "killed");
}

char *plast_run_record_sessions(char *out, const plast_json *sessions)
{
    const plast_json *x = plast_json_is_array(sessions) ? plast_json_first(sessions) : NULL;
    for (; x; x = plast_json_next(x)) {
        char *t = plast_json_print(x);
        size_t n = t ? strlen(out) + strlen(t) + 8 : 0;
        char *grown = t ? realloc(out, n) : NULL;
        if (!grown) {
            free(t);
            break;
        }
        out = grown;
        snprintf(out + strlen(out), n - strlen(out), "%s\n    %s", out[0] ? "," : "", t);
        free(t);
    }
    return out;
}

/* The sessions of a run.json as JSON array elements joined by commas (heap); a run.json
 * older than the session list gives its own session. The thread count into *threads. */
static char *history(const char *path, int *threads)
{
    plast_json *root;
    plast_err e;
    char *out = calloc(1, 1);
    if (!out || plast_json_load(path, &root, &e)) return out;
    double th;
    if (threads && plast_json_number(plast_json_get(root, "threads"), &th) && th >= 1 && th <= 256)
        *threads = (int)th;
    const plast_json *l = plast_json_get(root, "sessions");
    out = plast_run_record_sessions(out, l);
    if (!plast_json_is_array(l)) { /* one session, described at the top level */
        const char *cmd = plast_json_string(plast_json_get(root, "command"));
        const char *st = plast_json_string(plast_json_get(root, "start"));
        const char *en = plast_json_string(plast_json_get(root, "end"));
        const char *ss = plast_json_string(plast_json_get(root, "status"));
        size_t n = 256 + (cmd ? 2 * strlen(cmd) : 0);
        char *grown = realloc(out, n);
        if (grown) {
            out = grown;
            FILE *m = fmemopen(out, n, "w");
            if (m) {
                fputs("\n    {\"command\": ", m);
                plast_json_write_string(m, cmd ? cmd : "");
                fprintf(m, ", \"start\": \"%.31s\", \"end\": \"%.31s\", \"status\": \"%.31s\"}", st ? st : "",
                        en ? en : "", ss ? ss : "");
                fclose(m);
            }
        }
    }
    plast_json_delete(root);
    return out;
}

void plast_run_record_resume(plast_run_record *r, const char *dir, int *threads)
{
    char path[4200];
    r->resumed = 1;
    if (plast_path_join(path, sizeof path, dir, "run.json", NULL)) path[0] = '\0';
    previous_session(r, path);
    free(r->history);
    r->history = history(path, threads);
}

int plast_run_record_json(FILE *f, const void *record)
{
    const plast_run_record *r = record;
    char host[256] = "";
    gethostname(host, sizeof host - 1);
    fprintf(f, "{\n  \"command\": ");
    plast_json_write_string(f, r->command);
    fprintf(f, ",\n  \"version\": \"%s\",\n  \"git\": \"%s\",\n", r->version, r->git);
#ifdef __VERSION__
    fprintf(f, "  \"compiler\": \"%s\",\n", __VERSION__);
#endif
    char blas[160];
    plast_linalg_blas_name(blas, sizeof blas);
    fprintf(f, "  \"blas\": ");
    plast_json_write_string(f, blas);
    fprintf(f, ",\n  \"threads\": %d,\n  \"ranks\": %d,\n  \"host\": ", r->threads, r->ranks);
    plast_json_write_string(f, host);
    fprintf(f, ",\n  \"resumed\": %s,\n", r->resumed ? "true" : "false");
    if (r->prev_status[0]) {
        fprintf(f, "  \"previous_session\": {\"status\": ");
        plast_json_write_string(f, r->prev_status);
        fprintf(f, ", \"start\": ");
        plast_json_write_string(f, r->prev_start);
        fprintf(f, "},\n");
    }
    fprintf(f, "  \"sessions\": [%s%s\n    {\"command\": ", r->history ? r->history : "",
            r->history && r->history[0] ? "," : "");
    plast_json_write_string(f, r->command);
    fprintf(f, ", \"threads\": %d, \"start\": \"%s\", \"end\": \"%s\", \"status\": \"%s\"}],\n", r->threads,
            r->start, r->end, r->status);
    fprintf(f, "  \"start\": \"%s\",\n  \"end\": \"%s\",\n", r->start, r->end);
    fprintf(f, "  \"status\": \"%s\",\n  \"exit_code\": %d\n}\n", r->status, r->exit_code);
    return ferror(f) ? PLAST_E_IO : PLAST_OK;
}

int plast_run_record_write(const plast_run_record *r, const char *dir, plast_err *err)
{
    char path[4200];
    int rc = plast_path_join(path, sizeof path, dir, "run.json", err);
    return rc ? rc : plast_write_atomic(path, plast_run_record_json, r, err);
}

void plast_run_record_free(plast_run_record *r)
{
    free(r->history);
    r->history = NULL;
}

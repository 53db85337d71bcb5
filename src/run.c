/* run.c — run directories, atomic writes, gnuplot (see include/plast/run.h). */
#include "plast/run.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static int mkdirs(char *path)
{
    for (char *p = path + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        int rc = mkdir(path, 0777);
        *p = '/';
        if (rc && errno != EEXIST) return -1;
    }
    return mkdir(path, 0777) && errno != EEXIST ? -1 : 0;
}

int plast_dir_prepare(const char *dir, int force, plast_err *err)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path)
        return plast_err_set(err, PLAST_E_USAGE, dir, "path too long");
    struct stat st;
    if (stat(path, &st) == 0) {
        if (!S_ISDIR(st.st_mode))
            return plast_err_set(err, PLAST_E_USAGE, dir, "exists and is not a directory");
        DIR *d = opendir(path);
        if (!d) return plast_err_set(err, PLAST_E_IO, dir, "cannot open: %s", strerror(errno));
        int files = 0;
        struct dirent *e;
        while ((e = readdir(d)))
            if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) files++;
        closedir(d);
        if (files && !force)
            return plast_err_set(err, PLAST_E_USAGE, dir,
                                 "output directory exists and is not empty (use --force to write into it)");
        return PLAST_OK;
    }
    if (mkdirs(path))
        return plast_err_set(err, PLAST_E_IO, dir, "cannot create: %s", strerror(errno));
    return PLAST_OK;
}

int plast_path_join(char *buf, size_t n, const char *dir, const char *name, plast_err *err)
{
    if (snprintf(buf, n, "%s/%s", dir, name) >= (int)n)
        return plast_err_set(err, PLAST_E_USAGE, dir, "path too long");
    return PLAST_OK;
}

int plast_write_atomic(const char *path, plast_writer w, const void *ctx, plast_err *err)
{
    char tmp[4200];
    if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof tmp)
        return plast_err_set(err, PLAST_E_USAGE, path, "path too long");
    FILE *f = fopen(tmp, "wb");
    if (!f) return plast_err_set(err, PLAST_E_IO, path, "cannot create: %s", strerror(errno));
    int rc = w(f, ctx);
    if (!rc && fflush(f)) rc = PLAST_E_IO;
    if (!rc && fsync(fileno(f))) rc = PLAST_E_IO;
    if (fclose(f) && !rc) rc = PLAST_E_IO;
    if (!rc && rename(tmp, path)) rc = PLAST_E_IO;
    if (rc) {
        int e = errno;
        remove(tmp);
        return plast_err_set(err, rc, path, "write failed: %s", rc == PLAST_E_IO ? strerror(e) : "bad content");
    }
    return PLAST_OK;
}

int plast_plot_render(const char *dir, const char *name, int *rendered, plast_err *err)
{
    *rendered = 0;
    char script[512];
    if (snprintf(script, sizeof script, "%s.gp", name) >= (int)sizeof script)
        return plast_err_set(err, PLAST_E_USAGE, name, "name too long");
    pid_t pid = fork();
    if (pid < 0) return plast_err_set(err, PLAST_E_IO, dir, "cannot start gnuplot: %s", strerror(errno));
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        if (null >= 0) dup2(null, 1), dup2(null, 2);
        if (chdir(dir)) _exit(126);
        execlp("gnuplot", "gnuplot", script, (char *)NULL);
        _exit(127); /* not installed */
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127) return PLAST_OK;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return plast_err_set(err, PLAST_E_IO, dir, "gnuplot failed on %s", script);
    *rendered = 1;
    return PLAST_OK;
}

/* plot.c — gnuplot scripts from figure descriptions, and running gnuplot (see
 * include/plast/plot.h). The only file that writes gnuplot's language. */
#include "plast/plot.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "plast/run.h"

/* Okabe & Ito's colour-blind-safe palette (Color Universal Design, 2008), in an order that
 * keeps the first few far apart for every kind of colour vision: blue, vermillion, bluish
 * green, reddish purple, orange, sky blue, black, and a grey in place of the yellow, which
 * is unreadable on white. Past eight series the colours repeat with another dash pattern
 * (plast_plot_dash), so no two series look alike. */
static const char *const colours[] = {"#0072b2", "#d55e00", "#009e73", "#cc79a7",
                                      "#e69f00", "#56b4e9", "#000000", "#999999"};
#define N_COLOURS (int)(sizeof colours / sizeof colours[0])

const char *plast_plot_colour(int i)
{
    return colours[(i < 0 ? -i : i) % N_COLOURS];
}

int plast_plot_dash(int i)
{
    return (i < 0 ? -i : i) / N_COLOURS;
}

int plast_plot_n_colours(void)
{
    return N_COLOURS;
}

/* s as a gnuplot single-quoted string: a quote inside is written twice. */
static void quoted(FILE *f, const char *s)
{
    fputc('\'', f);
    for (; s && *s; s++) {
        if (*s == '\'') fputc('\'', f);
        fputc(*s, f);
    }
    fputc('\'', f);
}

/* `set KEY 'text'` when text is given. */
static void set_text(FILE *f, const char *key, const char *text)
{
    if (!text) return;
    fprintf(f, "set %s ", key);
    quoted(f, text);
    fputc('\n', f);
}

/* The opening every script shares: what it shows, a PNG terminal of w x h pixels, and an
 * output file a caller may override (gnuplot -e "outfile='...'"), which is how
 * plast_plot_render draws into a temporary file. */
static void preamble(FILE *f, const char *name, const char *about, int w, int h)
{
    fputs("# ", f);
    for (const char *c = about ? about : ""; *c; c++) {
        fputc(*c, f);
        if (*c == '\n' && c[1]) fputs("# ", f);
    }
    fprintf(f, "\nset terminal pngcairo size %d,%d noenhanced\n"
               "if (!exists('outfile')) outfile = '%s.png'\nset output outfile\n"
               "set datafile separator ','\nset datafile missing 'nan'\nset grid\n",
            w, h, name);
}

static int done(FILE *f)
{
    return ferror(f) ? PLAST_E_IO : PLAST_OK;
}

static void series(FILE *f, const char *data, const plast_plot_series *s)
{
    quoted(f, data);
    fprintf(f, " skip %d using ", 1 + s->skip);
    switch (s->style) {
    case PLAST_PLOT_LINE: fprintf(f, "1:%d with lines lw 2", s->y); break;
    case PLAST_PLOT_POINTS:
        fprintf(f, "1:%d with linespoints lw 2 pt %d ps 0.8", s->y, s->dash ? 4 + 2 * s->dash : 7);
        break;
    case PLAST_PLOT_DASHED: fprintf(f, "1:%d with lines dt 2", s->y); break;
    case PLAST_PLOT_BAND:
        fprintf(f, "1:%d:%d with filledcurves fs transparent solid 0.25", s->lo, s->hi);
        break;
    case PLAST_PLOT_SD_BAND: /* a non-positive lower edge would vanish on a log axis */
        fprintf(f, "1:(($%d-$%d)>0?$%d-$%d:$%d/10):($%d+$%d) with filledcurves fs transparent solid 0.25",
                s->y, s->lo, s->y, s->lo, s->y, s->y, s->lo);
        break;
    case PLAST_PLOT_ERRORBARS: fprintf(f, "1:%d:%d:%d with yerrorlines lw 2", s->y, s->lo, s->hi); break;
    case PLAST_PLOT_BOXES: fprintf(f, "1:%d with boxes", s->y); break;
    }
    if (s->colour) fprintf(f, " lc rgb '%s'", s->colour);
    if (s->dash && s->style != PLAST_PLOT_BAND && s->style != PLAST_PLOT_SD_BAND && s->style != PLAST_PLOT_BOXES)
        fprintf(f, " dt %d", 1 + s->dash);
    if (s->title) {
        fputs(" title ", f);
        quoted(f, s->title);
    } else {
        fputs(" notitle", f);
    }
}

static int w_lines(FILE *f, const void *ctx)
{
    const plast_plot_lines *p = ctx;
    int titled = 0, boxes = 0;
    size_t longest = 0;
    for (int i = 0; i < p->n_series; i++) {
        titled += p->series[i].title != NULL;
        boxes |= p->series[i].style == PLAST_PLOT_BOXES;
        if (p->series[i].title && strlen(p->series[i].title) > longest) longest = strlen(p->series[i].title);
    }
    /* A legend outside on the right takes the width of its longest entry from the plot:
     * past LEGEND_RIGHT_MAX characters it goes below instead, where it costs height. Below,
     * short entries share a line (up to 3 a line), long ones get a line each. */
    enum { LEGEND_RIGHT_MAX = 24 };
    plast_plot_key key = p->key;
    if (key == PLAST_PLOT_KEY_RIGHT && longest > LEGEND_RIGHT_MAX) key = PLAST_PLOT_KEY_BELOW;
    int below = key == PLAST_PLOT_KEY_BELOW;
    int cols = !below ? 1 : longest <= 28 ? 3 : longest <= 45 ? 2 : 1;
    int lines = (titled + cols - 1) / cols;
    preamble(f, p->name, p->about, p->width, p->height + (below ? 20 * lines : 0));
    set_text(f, "title", p->title);
    set_text(f, "xlabel", p->xlabel);
    set_text(f, "ylabel", p->ylabel);
    static const char *const keys[] = {"top left", "top right", "outside right",
                                       "outside below left Left reverse samplen 3"};
    fprintf(f, "set key %s", keys[key]);
    if (below) fprintf(f, " maxcols %d maxrows %d", cols, lines);
    fprintf(f, " font ',9'\n");
    if (below) fprintf(f, "set bmargin %d\n", 5 + lines); /* room for the legend's lines */
    if (p->mark_label) {
        fprintf(f, "set arrow from %.17g, graph 0 to %.17g, graph 1 nohead dt 2 lw 1.5 lc rgb '#000000'\n",
                p->mark_x, p->mark_x);
        fprintf(f, "set label ");
        quoted(f, p->mark_label);
        fprintf(f, " at %.17g, graph 0.96 left offset 0.5,0 font ',9'\n", p->mark_x);
    }
    if (p->log_y) fputs("set logscale y\n", f);
    if (p->integer_x) fputs("set xtics 1\n", f);
    if (p->y_min != p->y_max) fprintf(f, "set yrange [%g:%g]\n", p->y_min, p->y_max);
    if (p->x_min != p->x_max) fprintf(f, "set xrange [%g:%g]\n", p->x_min, p->x_max);
    if (boxes) fputs("set style fill transparent solid 0.35\n", f);
    fputs("plot ", f);
    for (int i = 0; i < p->n_series; i++) {
        if (i) fputs(", \\\n     ", f);
        series(f, p->data, &p->series[i]);
    }
    if (!p->n_series) fputs("0 notitle", f);
    fputc('\n', f);
    return done(f);
}

static int w_hbars(FILE *f, const void *ctx)
{
    const plast_plot_hbars *p = ctx;
    size_t longest = 0; /* the labels take their room on the left; the bars keep ~500 px */
    for (int i = 0; i < p->n; i++)
        if (strlen(p->labels[i]) > longest) longest = strlen(p->labels[i]);
    preamble(f, p->name, p->about, 560 + 8 * (int)longest, 140 + 36 * p->n);
    set_text(f, "title", p->title);
    set_text(f, "xlabel", p->xlabel);
    fprintf(f, "set style fill solid 0.6\nset yrange [%g:-0.6]\nunset key\nset grid noytics\n", p->n - 0.4);
    fputs("set ytics (", f);
    for (int i = 0; i < p->n; i++) {
        if (i) fputs(", ", f);
        quoted(f, p->labels[i]);
        fprintf(f, " %d", i);
    }
    fputs(")\nplot ", f);
    quoted(f, p->data);
    fprintf(f, " skip 1 using (0):1:($2 < 0 ? $2 : 0):($2 < 0 ? 0 : $2):($1 - 0.3):($1 + 0.3) "
               "with boxxyerror lc rgb '%s', \\\n     ", colours[5]);
    quoted(f, p->data);
    fprintf(f, " skip 1 using 2:1:3:4 with xerrorbars lc rgb '%s' pt 0\n", colours[0]);
    return done(f);
}

static int w_heatmap(FILE *f, const void *ctx)
{
    const plast_plot_heatmap *p = ctx;
    /* Wide enough for the title (about 8 px a character at the default font). */
    int w = p->title && 9 * (int)strlen(p->title) + 60 > 700 ? 9 * (int)strlen(p->title) + 60 : 700;
    preamble(f, p->name, p->about, w, 620);
    set_text(f, "cblabel", p->cblabel);
    fputs("set datafile separator whitespace\nunset grid\n", f);
    set_text(f, "title", p->title);
    set_text(f, "xlabel", p->xlabel);
    set_text(f, "ylabel", p->ylabel);
    fprintf(f, "set xrange [-0.5:%g]\nset yrange [%g:-0.5]\n", p->n - 0.5, p->n - 0.5);
    fprintf(f, "set palette defined %s\n",
            p->diverging ? "(-1 '#b2182b', 0 '#f7f7f7', 1 '#2166ac')"
            : p->dark_low ? "(0 '#08306b', 1 '#f7fbff')" : "(0 '#f7fbff', 1 '#08306b')");
    if (p->lo != p->hi) fprintf(f, "set cbrange [%g:%g]\n", p->lo, p->hi);
    else fputs("set cbrange [*:*]\n", f);
    fputs("plot ", f);
    quoted(f, p->data);
    fputs(" matrix with image notitle\n", f);
    return done(f);
}

static int save(const char *dir, const char *name, plast_writer w, const void *p, plast_err *err)
{
    char file[512], path[4400];
    if (snprintf(file, sizeof file, "%s.gp", name) >= (int)sizeof file)
        return plast_err_set(err, PLAST_E_USAGE, name, "plot name too long");
    int rc = plast_path_join(path, sizeof path, dir, file, err);
    return rc ? rc : plast_write_atomic(path, w, p, err);
}

int plast_plot_save_lines(const char *dir, const plast_plot_lines *p, plast_err *err)
{
    return save(dir, p->name, w_lines, p, err);
}

int plast_plot_save_hbars(const char *dir, const plast_plot_hbars *p, plast_err *err)
{
    return save(dir, p->name, w_hbars, p, err);
}

int plast_plot_save_heatmap(const char *dir, const plast_plot_heatmap *p, plast_err *err)
{
    return save(dir, p->name, w_heatmap, p, err);
}

int plast_plot_render(const char *dir, const char *name, int *rendered, plast_err *err)
{
    *rendered = 0;
    char script[512], tmp[600], set[700], tmp_path[4800], png_path[4800];
    if (snprintf(script, sizeof script, "%s.gp", name) >= (int)sizeof script)
        return plast_err_set(err, PLAST_E_USAGE, name, "name too long");
    snprintf(tmp, sizeof tmp, "%s.png.tmp.%ld", name, (long)getpid());
    snprintf(set, sizeof set, "outfile='%s'", tmp);
    if (snprintf(tmp_path, sizeof tmp_path, "%s/%s", dir, tmp) >= (int)sizeof tmp_path ||
        snprintf(png_path, sizeof png_path, "%s/%s.png", dir, name) >= (int)sizeof png_path)
        return plast_err_set(err, PLAST_E_USAGE, dir, "path too long");
    pid_t parent = getpid(), pid = fork();
    if (pid < 0) return plast_err_set(err, PLAST_E_IO, dir, "cannot start gnuplot: %s", strerror(errno));
    if (pid == 0) {
        /* gnuplot dies with plast: a killed run must not go on writing into its directory
         * (a resumed run removes what was left, and would race an orphan). */
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent) _exit(126);
        int null = open("/dev/null", O_WRONLY);
        if (null >= 0) dup2(null, 1), dup2(null, 2);
        if (chdir(dir)) _exit(126);
        execlp("gnuplot", "gnuplot", "-e", set, script, (char *)NULL);
        _exit(127); /* not installed */
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    if (code != 0) {
        remove(tmp_path); /* whatever gnuplot left of it; an earlier NAME.png stays */
        if (code == 127) return PLAST_OK;
        return plast_err_set(err, PLAST_E_IO, dir, "gnuplot failed on %s", script);
    }
    /* A script written before outfile existed draws NAME.png itself: nothing to move. */
    if (access(tmp_path, F_OK) == 0 && rename(tmp_path, png_path)) {
        int e = errno;
        remove(tmp_path);
        return plast_err_set(err, PLAST_E_IO, png_path, "cannot rename into place: %s", strerror(e));
    }
    *rendered = 1;
    return PLAST_OK;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int plast_plot_render_all(const char *dir, int *n_rendered, int *n_scripts, plast_err *err)
{
    *n_rendered = *n_scripts = 0;
    DIR *d = opendir(dir);
    if (!d)
        return plast_err_set(err, errno == ENOENT ? PLAST_E_NOINPUT : PLAST_E_IO, dir, "cannot open: %s",
                             strerror(errno));
    enum { MAX_SCRIPTS = 4096 };
    char **names = calloc(MAX_SCRIPTS, sizeof *names);
    int n = 0, rc = names ? PLAST_OK : plast_err_set(err, PLAST_E_INTERNAL, dir, "out of memory");
    struct dirent *e;
    while (!rc && (e = readdir(d)) && n < MAX_SCRIPTS) {
        size_t len = strlen(e->d_name);
        if (len < 4 || strcmp(e->d_name + len - 3, ".gp")) continue;
        if (!(names[n] = strndup(e->d_name, len - 3))) rc = plast_err_set(err, PLAST_E_INTERNAL, dir, "out of memory");
        else n++;
    }
    closedir(d);
    if (!rc) qsort(names, (size_t)n, sizeof *names, by_name); /* a stable order of work */
    for (int i = 0; i < n && !rc; i++) {
        int r = 0;
        rc = plast_plot_render(dir, names[i], &r, err);
        *n_rendered += r;
    }
    *n_scripts = n;
    for (int i = 0; names && i < n; i++) free(names[i]);
    free(names);
    return rc;
}

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

void plast_plot_robust_range(const double *v, int n, double *work, double *lo, double *hi)
{
    int m = 0;
    for (int i = 0; i < n; i++)
        if (isfinite(v[i])) work[m++] = v[i];
    if (!m) {
        *lo = 0.0, *hi = 1.0;
        return;
    }
    qsort(work, (size_t)m, sizeof *work, cmp_dbl);
    double q1 = work[m / 4], q3 = work[(3 * m) / 4 < m ? (3 * m) / 4 : m - 1], iqr = q3 - q1;
    *lo = work[0] > q1 - 3.0 * iqr ? work[0] : q1 - 3.0 * iqr;
    *hi = work[m - 1] < q3 + 3.0 * iqr ? work[m - 1] : q3 + 3.0 * iqr;
    double pad = 0.05 * (*hi - *lo);
    if (pad <= 0.0) pad = 0.5 * fabs(*hi) + 0.5;
    *lo -= pad, *hi += pad;
}

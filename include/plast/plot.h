/* plot.h — every figure plast draws: gnuplot scripts and their rendering.
 *
 * A figure is a data file the caller writes (CSV with a header line, or a whitespace
 * matrix) and a script NAME.gp that this module writes from a description: the kind of
 * figure (lines and bands, horizontal bars, heatmap), titles, and which columns to draw.
 * No gnuplot text exists outside src/plot.c, so every figure shares one look: one PNG
 * terminal, one colour list, plain (not "enhanced") text so names with underscores stay as
 * they are. A script draws NAME.png when run by hand (`gnuplot NAME.gp` in its directory);
 * plast_plot_render runs gnuplot when it is installed, into a temporary file renamed into
 * place only when gnuplot succeeded, so a failure (a full disk) leaves no truncated PNG. */
#ifndef PLAST_PLOT_H
#define PLAST_PLOT_H

#include "plast/error.h"

/* The lab's colours, for series and methods: i-th, cycling (i >= 0): Okabe and Ito's
 * colour-blind-safe palette of plast_plot_n_colours() colours. plast_plot_dash(i) is the
 * dash pattern that keeps series i apart from the one of the same colour a cycle earlier
 * (0 for the first cycle: solid); give it as the series' dash. */
const char *plast_plot_colour(int i);
int plast_plot_dash(int i);
int plast_plot_n_colours(void);

typedef enum {
    PLAST_PLOT_LINE,       /* column y as a line */
    PLAST_PLOT_POINTS,     /* column y as a line with points */
    PLAST_PLOT_DASHED,     /* column y as a thin dashed line */
    PLAST_PLOT_BAND,       /* columns lo..hi as a translucent band */
    PLAST_PLOT_SD_BAND,    /* y +- column lo (a standard deviation), kept above zero for log axes */
    PLAST_PLOT_ERRORBARS,  /* column y with error bars lo..hi, joined by a line */
    PLAST_PLOT_BOXES,      /* column y as translucent histogram boxes */
} plast_plot_style;

typedef struct plast_plot_series {
    plast_plot_style style;
    int y, lo, hi;         /* 1-based columns of the data file; x is column 1 */
    const char *colour;    /* "#rrggbb"; NULL: gnuplot's own */
    const char *title;     /* legend entry; NULL: none */
    int skip;              /* data lines skipped after the header line */
    int dash;              /* 0: solid; k > 0: gnuplot dash type k + 1 (and another point type) */
} plast_plot_series;

typedef enum {
    PLAST_PLOT_KEY_TOP_LEFT,
    PLAST_PLOT_KEY_TOP_RIGHT,
    PLAST_PLOT_KEY_RIGHT,  /* outside, right of the plot; below when an entry is long */
    PLAST_PLOT_KEY_BELOW,  /* under the plot, one entry a line: for long labels */
} plast_plot_key;

/* Curves over column 1 of one CSV file. */
typedef struct plast_plot_lines {
    const char *name;      /* NAME.gp draws NAME.png */
    const char *about;     /* the script's opening comment: what the figure shows */
    const char *data;      /* the data file, relative to the script's directory */
    const char *title, *xlabel, *ylabel;
    int width, height;     /* pixels; a legend below adds 20 a titled series */
    plast_plot_key key;
    int log_y;
    int integer_x;         /* a tic at every integer of x */
    double y_min, y_max;   /* equal: automatic */
    double x_min, x_max;   /* equal: automatic (give them when every value may be missing) */
    const char *mark_label;/* non-NULL: a dashed vertical line at x = mark_x with this label */
    double mark_x;
    const plast_plot_series *series;
    int n_series;          /* 0: an empty frame */
} plast_plot_lines;

/* Horizontal bars with error bars, one a row, the labels on the left, the first on top. */
typedef struct plast_plot_hbars {
    const char *name, *about;
    const char *data;      /* CSV: row index (0 first), value, lo, hi; a header line */
    const char *title, *xlabel;
    const char *const *labels;
    int n;
} plast_plot_hbars;

/* An n x n matrix as an image, row 0 on top. */
typedef struct plast_plot_heatmap {
    const char *name, *about;
    const char *data;      /* n lines of n numbers separated by spaces */
    const char *title, *xlabel, *ylabel; /* labels may be NULL */
    int n;
    int diverging;         /* red, white at 0, blue; else white to dark blue */
    int dark_low;          /* the sequential palette reversed: dark at low values (for a
                              score where lower is better, so that dark = better) */
    const char *cblabel;   /* the colour bar's label (score and direction); NULL: none */
    double lo, hi;         /* colour range; equal: automatic */
} plast_plot_heatmap;

/* A y range that outliers (a run about to diverge: 5e8 next to 3) do not stretch: the
 * finite values' range, cut to the quartiles +- 3 interquartile ranges, padded by 5%;
 * [0, 1] when no value is finite (an empty frame rather than a gnuplot failure). work
 * holds n doubles. */
void plast_plot_robust_range(const double *v, int n, double *work, double *lo, double *hi);

/* Each writes dir/NAME.gp atomically (plast_write_atomic). */
int plast_plot_save_lines(const char *dir, const plast_plot_lines *p, plast_err *err);
int plast_plot_save_hbars(const char *dir, const plast_plot_hbars *p, plast_err *err);
int plast_plot_save_heatmap(const char *dir, const plast_plot_heatmap *p, plast_err *err);

/* Runs gnuplot on NAME.gp inside dir. *rendered is 1 when NAME.png was made, 0 when
 * gnuplot is not installed (not an error). A gnuplot failure is PLAST_E_IO and leaves any
 * earlier NAME.png as it was. */
int plast_plot_render(const char *dir, const char *name, int *rendered, plast_err *err);

/* Renders every NAME.gp in dir (any kind of output directory: a run, an eval, a bench, a
 * ...), in name order. *n_scripts counts the scripts found, *n_rendered
 * the PNGs made (0 when gnuplot is not installed). A missing dir is PLAST_E_NOINPUT. */
int plast_plot_render_all(const char *dir, int *n_rendered, int *n_scripts, plast_err *err);

#endif

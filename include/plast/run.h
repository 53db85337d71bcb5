/* run.h — run directories, atomic file writes and gnuplot plots.
 *
 * Every result file is written to a temporary name in its directory, flushed, synced
 * and renamed into place, so a reader (or a crash) never sees half a file. A run
 * directory that already holds files is never reused unless the caller says force.
 * Plots are a .dat file plus a .gp script that makes NAME.png; gnuplot is run when it is
 * installed, and otherwise the two files stay for the user to render. */
#ifndef PLAST_RUN_H
#define PLAST_RUN_H

#include <stddef.h>
#include <stdio.h>

#include "plast/error.h"

/* Creates dir (and its parents). An existing non-empty dir is an error unless force. */
int plast_dir_prepare(const char *dir, int force, plast_err *err);
/* dir/name into buf; PLAST_E_USAGE when it does not fit. */
int plast_path_join(char *buf, size_t n, const char *dir, const char *name, plast_err *err);

typedef int (*plast_writer)(FILE *f, const void *ctx);
/* Writes path through w (which returns PLAST_OK or an error code) atomically. */
int plast_write_atomic(const char *path, plast_writer w, const void *ctx, plast_err *err);

/* Runs `gnuplot NAME.gp` inside dir. *rendered is 1 when NAME.png was made, 0 when
 * gnuplot is not installed (not an error). A gnuplot failure is PLAST_E_IO. */
int plast_plot_render(const char *dir, const char *name, int *rendered, plast_err *err);

#endif

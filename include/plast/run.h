/* run.h — run directories, atomic file writes and checkpoints.
 *
 * Every result file is written to a temporary name in its directory, flushed, synced
 * and renamed into place, so a reader (or a crash) never sees half a file. A run
 * directory that already holds files is never reused unless the caller says force.
 * Plots and gnuplot are include/plast/plot.h's. */
#ifndef PLAST_RUN_H
#define PLAST_RUN_H

#include <stddef.h>
#include <stdio.h>

#include "plast/error.h"

/* Creates dir (and its parents). An existing non-empty dir is an error unless force. */
int plast_dir_prepare(const char *dir, int force, plast_err *err);
/* The same checks without creating anything: for a command that computes first and makes
 * its directory only when it has results to put in it. */
int plast_dir_check(const char *dir, int force, plast_err *err);
/* Removes the temporary files (NAME.tmp.PID) a killed writer left in dir; *n_removed
 * counts them. Only that pattern is touched. */
int plast_dir_clean_tmp(const char *dir, int *n_removed, plast_err *err);
/* dir/name into buf; PLAST_E_USAGE when it does not fit. */
int plast_path_join(char *buf, size_t n, const char *dir, const char *name, plast_err *err);
/* The path of the existing directory `to` relative to the existing directory `from` (both
 * resolved, symbolic links followed), e.g. "../../meta/campaigns", into buf ("." when the
 * same): what a result directory records of another so that it stays valid wherever the
 * tree is checked out. PLAST_E_IO naming the path that cannot be resolved. */
int plast_path_relative(char *buf, size_t n, const char *from, const char *to, plast_err *err);

typedef int (*plast_writer)(FILE *f, const void *ctx);
/* Writes path through w (which returns PLAST_OK or an error code) atomically, synced to
 * disk before the rename and the directory synced after it. A failed write (a full disk,
 * a file-size limit) is PLAST_E_IO naming path, and the temporary file is removed. */
int plast_write_atomic(const char *path, plast_writer w, const void *ctx, plast_err *err);
/* Same without the sync: readers still never see half a file, but a crash may lose the
 * newest version. For files rewritten often and recoverable (a run's metrics are rebuilt
 * from its checkpoint). */
int plast_write_replace(const char *path, plast_writer w, const void *ctx, plast_err *err);


/* ---- checkpoints ----
 * A checkpoint is one binary file: the magic "PLASTCKP", a format version (2), a byte-order
 * mark, the hash of the resolved config it belongs to, tagged sections (8-character tag,
 * length, bytes, zero padding to a multiple of 8) and zlib's crc32 of everything before it.
 * It is written atomically; reading checks every one of those, so a truncated, corrupt or
 * foreign file is refused with a message saying which check failed (PLAST_E_DATA). Section
 * data starts 8-byte aligned in the buffer plast_ckpt_get points into. A matching checksum
 * says only that the file is the one written: whoever restores from it still checks what
 * every field means. */
#include <stdint.h>

typedef struct plast_ckpt_section {
    char tag[9];      /* up to 8 characters */
    const void *data;
    size_t n;
} plast_ckpt_section;

typedef struct plast_ckpt {
    unsigned char *buf;
    size_t n;
    uint64_t config_hash;
} plast_ckpt;

uint64_t plast_hash64(const void *data, size_t n);
int plast_ckpt_write(const char *path, uint64_t config_hash, const plast_ckpt_section *s, int n,
                     plast_err *err);
int plast_ckpt_read(const char *path, plast_ckpt *c, plast_err *err);
/* The section called tag, or NULL; *n receives its length. */
const void *plast_ckpt_get(const plast_ckpt *c, const char *tag, size_t *n);
void plast_ckpt_free(plast_ckpt *c);

#endif

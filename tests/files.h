/* files.h — file helpers the tests share: write bytes to a file, read a file back
 * (NUL-terminated, so text can be searched), a path in a directory, and a big-endian 32-bit
 * store for headers. */
#ifndef PLAST_TEST_FILES_H
#define PLAST_TEST_FILES_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "check.h"

static inline void file_put(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    REQUIRE(f);
    REQUIRE(n == 0 || fwrite(p, 1, n, f) == n);
    REQUIRE(fclose(f) == 0);
}

/* The file's bytes plus a NUL; *n receives the size. */
static inline unsigned char *file_get(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    REQUIRE(f);
    REQUIRE(fseek(f, 0, SEEK_END) == 0);
    long len = ftell(f);
    REQUIRE(len >= 0);
    rewind(f);
    unsigned char *p = malloc((size_t)len + 1);
    REQUIRE(p);
    REQUIRE(fread(p, 1, (size_t)len, f) == (size_t)len);
    fclose(f);
    p[len] = 0;
    *n = (size_t)len;
    return p;
}

/* dir/name in one of 8 rotating buffers (so a few may be used in one call). */
static inline const char *path_in(const char *dir, const char *name)
{
    static char buf[8][512];
    static int k;
    k = (k + 1) % 8;
    snprintf(buf[k], sizeof buf[k], "%s/%s", dir, name);
    return buf[k];
}

static inline void be32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24), p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8), p[3] = (unsigned char)v;
}

#endif

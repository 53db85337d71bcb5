/* png_write.h — writing small PNG images for the tests' generated Omniglot trees. */
#ifndef PLAST_TEST_PNG_WRITE_H
#define PLAST_TEST_PNG_WRITE_H

#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include "check.h"

/* Writes a grey PNG. depth 1: grey >= 128 is white; depth 8: grey as is; depth 16: grey*257;
 * color_type RGB or GRAY_ALPHA take rgb / alpha from the optional arrays. */
static inline void write_png_ex(const char *path, int w, int h, int depth, int color_type,
                         const unsigned char *grey, const unsigned char *alpha)
{
    FILE *f = fopen(path, "wb");
    REQUIRE(f);
    png_structp p = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    REQUIRE(p);
    png_infop info = png_create_info_struct(p);
    REQUIRE(info);
    if (setjmp(png_jmpbuf(p))) REQUIRE(0 && "libpng write failed");
    png_init_io(p, f);
    png_set_IHDR(p, info, (png_uint_32)w, (png_uint_32)h, depth, color_type, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(p, info);
    unsigned char row[4096 * 6];
    for (int y = 0; y < h; y++) {
        const unsigned char *g = grey + (size_t)y * w;
        memset(row, 0, sizeof row);
        for (int x = 0; x < w; x++) {
            if (color_type == PNG_COLOR_TYPE_GRAY && depth == 1) {
                if (g[x] >= 128) row[x / 8] |= (unsigned char)(0x80 >> (x % 8));
            } else if (color_type == PNG_COLOR_TYPE_GRAY && depth == 8) {
                row[x] = g[x];
            } else if (color_type == PNG_COLOR_TYPE_GRAY && depth == 16) {
                row[2 * x] = row[2 * x + 1] = g[x];
            } else if (color_type == PNG_COLOR_TYPE_RGB) {
                row[3 * x] = row[3 * x + 1] = row[3 * x + 2] = g[x];
            } else { /* grey + alpha */
                row[2 * x] = g[x];
                row[2 * x + 1] = alpha[(size_t)y * w + x];
            }
        }
        png_write_row(p, row);
    }
    png_write_end(p, NULL);
    png_destroy_write_struct(&p, &info);
    REQUIRE(fclose(f) == 0);
}

static inline void write_png(const char *path, int w, int h, int depth, const unsigned char *grey)
{
    write_png_ex(path, w, h, depth, PNG_COLOR_TYPE_GRAY, grey, NULL);
}

#endif

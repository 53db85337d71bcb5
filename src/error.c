/* error.c — filling the error record (see include/plast/error.h). */
#include "plast/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int plast_err_set(plast_err *e, int code, const char *where, const char *fmt, ...)
{
    if (e) {
        e->code = code;
        snprintf(e->where, sizeof e->where, "%s", where ? where : "");
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(e->msg, sizeof e->msg, fmt, ap);
        va_end(ap);
    }
    return code;
}

void plast_err_clear(plast_err *e)
{
    if (e) memset(e, 0, sizeof *e);
}

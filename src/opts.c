/* opts.c — defaults from option tables (the parsing is in config.c). */
#include "plast/opts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void plast_opts_defaults(const plast_opt_table *t, void *dst)
{
    memset(dst, 0, t->size);
    for (int i = 0; i < t->n; i++) {
        const plast_opt *o = &t->opt[i];
        char *p = (char *)dst + o->offset;
        switch (o->type) {
        case PLAST_OPT_INT:
        case PLAST_OPT_BOOL:
        case PLAST_OPT_ENUM: *(int *)p = (int)o->def; break;
        case PLAST_OPT_FLOAT: *(float *)p = (float)o->def; break;
        case PLAST_OPT_STRING:
            snprintf(p, PLAST_OPT_STRLEN, "%s", o->def_str ? o->def_str : "");
            break;
        case PLAST_OPT_OBJS: break; /* empty (zeroed above) */
        case PLAST_OPT_NAMES: {
            plast_names *v = (plast_names *)p;
            const char *s = o->def_str ? o->def_str : "";
            while (*s && v->n < PLAST_OPT_MAXNAMES) {
                const char *end = strchr(s, ',');
                size_t len = end ? (size_t)(end - s) : strlen(s);
                if (len && len < PLAST_NAME_LEN) memcpy(v->v[v->n++], s, len); /* zeroed above */
                s += len + (end ? 1 : 0);
            }
            break;
        }
        case PLAST_OPT_INTS: {
            plast_ints *v = (plast_ints *)p;
            const char *s = o->def_str ? o->def_str : "";
            while (*s && v->n < PLAST_OPT_MAXINTS) {
                char *end;
                long x = strtol(s, &end, 10);
                if (end == s) break; /* defaults are ours: a bad one is caught by the tests */
                v->v[v->n++] = (int)x;
                s = (*end == ',') ? end + 1 : end;
            }
            break;
        }
        }
    }
}

int plast_choice_index(const char *const *choices, const char *name)
{
    for (int i = 0; choices && choices[i]; i++)
        if (strcmp(choices[i], name) == 0) return i;
    return -1;
}

int plast_names_has(const plast_names *l, const char *name)
{
    for (int i = 0; i < l->n; i++)
        if (strcmp(l->v[i], name) == 0) return 1;
    return 0;
}

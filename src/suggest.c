/* suggest.c — "did you mean" (see include/plast/suggest.h). */
#include "plast/suggest.h"

#include <string.h>

enum { MAXLEN = 64 };

int plast_edit_distance(const char *a, const char *b)
{
    int n = (int)strnlen(a, MAXLEN - 1), m = (int)strnlen(b, MAXLEN - 1);
    int d[MAXLEN][MAXLEN]; /* d[i][j]: distance between a[0..i) and b[0..j) */
    for (int i = 0; i <= n; i++) d[i][0] = i;
    for (int j = 0; j <= m; j++) d[0][j] = j;
    for (int i = 1; i <= n; i++)
        for (int j = 1; j <= m; j++) {
            int best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            if (d[i - 1][j] + 1 < best) best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best) best = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    return d[n][m];
}

const char *plast_suggest(const char *word, const char *const *cands, int n)
{
    if (!word || !cands) return NULL;
    int len = (int)strlen(word);
    int limit = (len / 3 > 1 ? len / 3 : 1) + 1;
    const char *best = NULL;
    int best_d = limit + 1;
    for (int i = 0; n < 0 ? cands[i] != NULL : i < n; i++) {
        if (!cands[i]) continue;
        int dd = plast_edit_distance(word, cands[i]);
        if (dd < best_d) best_d = dd, best = cands[i];
    }
    return best_d <= limit ? best : NULL;
}

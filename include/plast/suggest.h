/* suggest.h — "did you mean": the nearest of a list of names to a mistyped one.
 *
 * Used by the config reader (unknown keys, rule and task names) and the program (commands,
 * subcommands). The distance is the optimal-string-alignment edit distance (insertions,
 * deletions, substitutions and swaps of two neighbouring characters each cost 1); a name is
 * suggested only when it is close for its length, so that an unrelated word gets none. */
#ifndef PLAST_SUGGEST_H
#define PLAST_SUGGEST_H

/* Edit distance between a and b (each at most 63 characters are compared). */
int plast_edit_distance(const char *a, const char *b);

/* The candidate closest to word (the first of equals), or NULL when none is within
 * max(1, strlen(word) / 3) + 1 edits. cands[0..n): n < 0 means NULL-terminated. */
const char *plast_suggest(const char *word, const char *const *cands, int n);

#endif

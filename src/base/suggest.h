/*
 * suggest: "did you mean" for a word that names nothing — a recipe key, a
 * command, an option, a target, a profile.  One edit distance for all of
 * them, so every unknown name is answered the same way.
 */
#ifndef MVBUILD_SUGGEST_H
#define MVBUILD_SUGGEST_H

#include <stddef.h>

/* the candidate closest to word by edit distance when close enough, else NULL */
const char *suggest_closest(const char *word, const char *const *candidates, size_t n);
/* " (did you mean 'x'?)" for the closest candidate, or "" (newly allocated) */
char *suggest_did_you_mean(const char *word, const char *const *candidates, size_t n);
/*
 * " (did you mean 'x'?)" when a candidate is close, else " (WHAT: a, b, c)"
 * listing them (at most a screenful), or "" when there are none; newly allocated
 */
char *suggest_hint(const char *word, const char *const *candidates, size_t n, const char *what);

#endif

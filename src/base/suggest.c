/*
 * suggest: the closest name by optimal string alignment distance (an edit
 * is an insertion, a deletion, a substitution or a swap of neighbours),
 * within a limit that grows with the word so short words are not matched
 * to anything.
 */
#include "base/suggest.h"

#include <string.h>

#include "base/util.h"

#define SUGGEST_MAX_LEN 64  /* longer words are never compared (bounded time) */
#define HINT_MAX_NAMES 20   /* a longer list is cut with "..." */

static int min3(int a, int b, int c)
{
	int m = a < b ? a : b;
	return m < c ? m : c;
}

static int edit_distance(const char *a, const char *b)
{
	int la = (int)strlen(a), lb = (int)strlen(b);
	int d[SUGGEST_MAX_LEN + 1][SUGGEST_MAX_LEN + 1];
	for (int i = 0; i <= la; i++)
		d[i][0] = i;
	for (int j = 0; j <= lb; j++)
		d[0][j] = j;
	for (int i = 1; i <= la; i++) {
		for (int j = 1; j <= lb; j++) {
			int cost = a[i - 1] != b[j - 1];
			d[i][j] = min3(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < d[i][j])
				d[i][j] = d[i - 2][j - 2] + 1;
		}
	}
	return d[la][lb];
}

const char *suggest_closest(const char *word, const char *const *candidates, size_t n)
{
	size_t len = strlen(word);
	if (len == 0 || len > SUGGEST_MAX_LEN)
		return NULL;
	int limit = len <= 3 ? 1 : 2, best_d = limit + 1;
	const char *best = NULL;
	for (size_t i = 0; i < n; i++) {
		if (strlen(candidates[i]) > SUGGEST_MAX_LEN)
			continue;
		int d = edit_distance(word, candidates[i]);
		if (d < best_d) {
			best_d = d;
			best = candidates[i];
		}
	}
	return best;
}

char *suggest_did_you_mean(const char *word, const char *const *candidates, size_t n)
{
	const char *s = suggest_closest(word, candidates, n);
	return s ? xasprintf(" (did you mean '%s'?)", s) : xstrdup("");
}

char *suggest_hint(const char *word, const char *const *candidates, size_t n, const char *what)
{
	if (suggest_closest(word, candidates, n) || n == 0)
		return suggest_did_you_mean(word, candidates, n);
	struct buf b = BUF_INIT;
	buf_addf(&b, " (%s: ", what);
	for (size_t i = 0; i < n && i < HINT_MAX_NAMES; i++)
		buf_addf(&b, "%s%s", i ? ", " : "", candidates[i]);
	buf_adds(&b, n > HINT_MAX_NAMES ? ", ...)" : ")");
	return buf_detach(&b);
}

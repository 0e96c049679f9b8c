/*
 * suggest.c - the nearest known name to a mistyped one (DESIGN.md §9,
 * §10): one edit distance for the command line and the exit module's keys.
 */
#include <ctype.h>
#include <string.h>

#include "base/suggest.h"

static int fold(const char *s, size_t i)
{
	return tolower((unsigned char)s[i]);
}

size_t ck_edit_distance(const char *a, const char *b)
{
	/* Three rows of the table: cur[j] is the distance between the first i
	 * bytes of a and the first j of b, last and before the rows for i - 1
	 * and i - 2 (a transposition looks two back). */
	size_t rows[3][CK_NEAREST_MAX_LEN + 1];
	size_t la = strlen(a), lb = strlen(b), i, j;
	size_t *before = rows[0], *last = rows[1], *cur = rows[2], *t;

	if (la > CK_NEAREST_MAX_LEN)
		la = CK_NEAREST_MAX_LEN;
	if (lb > CK_NEAREST_MAX_LEN)
		lb = CK_NEAREST_MAX_LEN;
	for (j = 0; j <= lb; j++)
		cur[j] = j;
	for (i = 1; i <= la; i++) {
		t = before;
		before = last;
		last = cur;
		cur = t;
		cur[0] = i;
		for (j = 1; j <= lb; j++) {
			size_t best = last[j - 1] + (fold(a, i - 1) != fold(b, j - 1));

			if (last[j] + 1 < best)
				best = last[j] + 1; /* a deletion */
			if (cur[j - 1] + 1 < best)
				best = cur[j - 1] + 1; /* an insertion */
			if (i > 1 && j > 1 && fold(a, i - 1) == fold(b, j - 2) &&
			    fold(a, i - 2) == fold(b, j - 1) && before[j - 2] + 1 < best)
				best = before[j - 2] + 1; /* two neighbours swapped */
			cur[j] = best;
		}
	}
	return cur[lb];
}

void ck_nearest_init(struct ck_nearest *n, const char *in)
{
	n->in = in;
	n->name = NULL;
	n->distance = (size_t)-1;
}

bool ck_nearest_consider(struct ck_nearest *n, const char *cand)
{
	size_t d = ck_edit_distance(n->in, cand);

	if (n->name != NULL && d >= n->distance)
		return false;
	n->name = cand;
	n->distance = d;
	return true;
}

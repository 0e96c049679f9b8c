/*
 * suggest.h - the nearest known name to a mistyped one, for "did you mean
 * ...?" (DESIGN.md §9, §10): a command or sub-command of the command line,
 * an exit module key.
 *
 * Names are measured by edit distance: one insertion, deletion,
 * substitution or swap of two neighbours each (the optimal string
 * alignment distance: "lsit" is one from "list"), ASCII letters in any case
 * alike. The
 * candidates are the caller's: it hands each to ck_nearest_consider.
 */
#ifndef CK_SUGGEST_H
#define CK_SUGGEST_H

#include <stdbool.h>
#include <stddef.h>

/* Longer names are measured on their first CK_NEAREST_MAX_LEN bytes: a
 * suggestion is for a slip of the keyboard, not for a page of text. */
#define CK_NEAREST_MAX_LEN 127

/* The edit distance between a and b, case-insensitive (ASCII). */
size_t ck_edit_distance(const char *a, const char *b);

struct ck_nearest {
	const char *in;   /* the name given */
	const char *name; /* the nearest candidate so far, NULL before any */
	size_t distance;  /* its distance to in */
};

void ck_nearest_init(struct ck_nearest *n, const char *in);
/* Measures cand against the name given; true when it is nearer than every
 * candidate before it (the first that near wins a tie), and n->name is
 * then cand: borrowed, so a caller whose candidate lives in a buffer it
 * reuses copies it. */
bool ck_nearest_consider(struct ck_nearest *n, const char *cand);

#endif

/*
 * strlist.h - a growable list of owned strings (domains, key ids).
 */
#ifndef CK_STRLIST_H
#define CK_STRLIST_H

#include <stddef.h>

#include "base/err.h"

/* Appends a copy of s to *list (of *n entries; grown as array.h says). */
enum ck_err ck_strlist_push(char ***list, size_t *n, const char *s);

/* Frees every string and the list. */
void ck_strlist_free(char **list, size_t n);

#endif

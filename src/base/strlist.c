/*
 * strlist.c - a growable list of owned strings.
 */
#include "base/strlist.h"

#include "base/array.h"

#include <stdlib.h>
#include <string.h>

enum ck_err ck_strlist_push(char ***list, size_t *n, const char *s)
{
	char **grown = ck_array_grow(*list, *n, sizeof(**list));

	if (grown == NULL)
		return CK_ENOMEM;
	*list = grown;
	grown[*n] = strdup(s);
	if (grown[*n] == NULL)
		return ck_fail(CK_ENOMEM, "out of memory");
	(*n)++;
	return CK_OK;
}

void ck_strlist_free(char **list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

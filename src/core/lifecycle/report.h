/*
 * report.h - a pass's report (monitor, renewals), handed on an entry at a
 * time: a pass over many due certificates holds a page of entries, never
 * all of them (DESIGN.md §6).
 */
#ifndef CK_REPORT_H
#define CK_REPORT_H

#include <jansson.h>

#include "base/err.h"

/* Receives one entry, once what it says is durable; a failure (a closed
 * output, say) stops the pass with it. The entry is the caller's. */
typedef enum ck_err (*ck_report_fn)(const json_t *entry, void *arg);

struct ck_report {
	ck_report_fn fn;
	void *arg;
};

/* Hands every entry of an array to r, then empties the array. */
static inline enum ck_err ck_report_flush(const struct ck_report *r, json_t *entries)
{
	enum ck_err rc = CK_OK;
	size_t i;

	for (i = 0; rc == CK_OK && i < json_array_size(entries); i++)
		rc = r->fn(json_array_get(entries, i), r->arg);
	json_array_clear(entries);
	return rc;
}

#endif

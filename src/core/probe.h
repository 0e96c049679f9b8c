/*
 * probe.h - what a live TLS endpoint serves, compared with what certkeep
 * would select for it (DESIGN.md §4, §10: probe).
 */
#ifndef CK_PROBE_H
#define CK_PROBE_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "../store/store.h"
#include "err.h"

/*
 * Connects to url ("smtp://HOST[:PORT]" with STARTTLS, or
 * "https://HOST[:PORT]"), fetches the certificate served for name (EHLO
 * name for SMTP is the host's FQDN; SNI is name) and reports it: its
 * properties and Status, whether it holds name, whether it is in the store,
 * and whether it is the one `select` chooses for name (SMTP or IIS).
 * *as_expected is true when it holds name and is the selected one.
 * CK_ETEMP when the server cannot be reached; CK_EINVAL for a bad URL.
 */
enum ck_err ck_probe(struct store *st, const char *url, const char *name, int timeout_ms,
		     int64_t now, json_t **out, bool *as_expected);

#endif

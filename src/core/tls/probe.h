/*
 * probe.h - what a live TLS endpoint serves, compared with what certkeep
 * would select for it (DESIGN.md §4, §10: probe).
 */
#ifndef CK_PROBE_H
#define CK_PROBE_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "pki/probe.h"
#include "store/store.h"
#include "base/err.h"

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

/* Splits url, "scheme://HOST[:PORT]" (HOST may be "[v6]"), into what the
 * TLS probe takes: smtp or https, host (hn bytes) and port (pn bytes); the
 * port defaults to 25 for smtp and 443 for https. Nothing may follow the
 * port. CK_EUSAGE for another scheme, CK_EINVAL for a malformed URL. */
enum ck_err ck_probe_url_parse(const char *url, enum pki_probe_kind *kind, char *host, size_t hn,
			       char *port, size_t pn);

#endif

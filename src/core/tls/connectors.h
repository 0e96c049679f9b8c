/*
 * connectors.h - TLS endpoints and their diagnosis: connector add, list,
 * remove, and diagnose with events 12014 and 12016 (DESIGN.md §4, §6).
 */
#ifndef CK_CONNECTORS_H
#define CK_CONNECTORS_H

#include <stdbool.h>

#include <jansson.h>

#include "store/store.h"
#include "base/err.h"

struct ck_connector_opts {
	const char *name;            /* letters, digits, '.', '_', '-'; 1-64 */
	const char *type;            /* "receive" or "send" */
	const char *fqdn;            /* NULL: the host's FQDN */
	bool tls;
	const char *service_account; /* NULL: none (the key is then not checked) */
};
/* Adds a connector (event 1030); CK_EEXIST if the name is taken. */
enum ck_err ck_connector_add(struct store *st, const struct ck_connector_opts *o);
/* Removes one (event 1031); CK_ENOTFOUND if there is none. */
enum ck_err ck_connector_remove(struct store *st, const char *name);
/* Every connector as JSON, FQDN resolved ("Fqdn" and "FqdnFromHost"). */
enum ck_err ck_connector_list(struct store *st, json_t **out);

/* The host's FQDN: the one init recorded, else the system's. */
enum ck_err ck_host_fqdn(struct store *st, char *buf, size_t n);

/*
 * Runs the STARTTLS selection (SMTP) for every connector with TLS on and
 * records, in one transaction, event 12014 for each connector without a
 * certificate (naming its FQDN, the connector and both fixes) and 12016
 * for each whose certificate has expired. *report gets a JSON array with
 * one entry per connector; *problems counts the events. CK_OK even when
 * problems were found (the caller maps them to exit status 3). Without
 * record (a what-if at another time), nothing is written.
 */
enum ck_err ck_diagnose(struct store *st, int64_t now, bool record, json_t **report,
			int *problems);

#endif

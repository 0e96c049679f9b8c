/*
 * select.h - which certificate a TLS endpoint uses, and why every other
 * one lost (DESIGN.md §4; Exchange's inbound STARTTLS selection).
 *
 * The rules, in order:
 *  1. candidates: certificates whose CertificateDomains cover the name
 *     (exact, or a wildcard as the whole left-most label covering exactly
 *     one label), checked with pki_cert_check_host;
 *  2. eligible: has a private key, enabled for the service, key readable
 *     by the service account (when one is given), already valid, not
 *     revoked by the store's own CA;
 *  3. eligible ones by NotBefore, newest first: the first Valid CA-issued
 *     certificate; else the first self-signed one; else the first
 *     CA-issued one that is not Valid (an expired certificate is still
 *     used, with event 12016);
 *  4. none eligible: no certificate (event 12014).
 */
#ifndef CK_SELECT_H
#define CK_SELECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "store/store.h"
#include "core/certs/certs.h"
#include "base/err.h"

enum ck_sel_reason {
	CK_SEL_CHOSEN,
	CK_SEL_NAME_MISMATCH,
	CK_SEL_NO_KEY,
	CK_SEL_SERVICE_OFF,
	CK_SEL_KEY_UNREADABLE,
	CK_SEL_NOT_YET_VALID,
	CK_SEL_REVOKED,         /* revoked by the store's own CA */
	CK_SEL_OUTRANKED_BY_CA, /* self-signed, and a Valid CA-issued one exists */
	CK_SEL_NOT_VALID_CA,    /* CA-issued but not Valid, a better one exists */
	CK_SEL_OLDER,           /* an equally ranked one has a newer NotBefore */
};

struct ck_candidate {
	char thumbprint[41];
	char *subject;
	int64_t not_before, not_after;
	bool self_signed;
	bool has_key;
	unsigned services;
	enum ck_status status;
	enum ck_sel_reason reason;
	char detail[512]; /* why, in words, with the fix when there is one */
};

struct ck_selection {
	char fqdn[254];
	unsigned service;
	char account[33];    /* "" when no account was given */
	struct ck_candidate *cands; /* newest NotBefore first */
	size_t n;
	int chosen;          /* index into cands, or -1 */
	bool expired;        /* the chosen one is past its NotAfter */
};

/* Runs the selection for fqdn and one service bit at time now; account may
 * be NULL or "". */
enum ck_err ck_select(struct store *st, const char *fqdn, unsigned service,
		      const char *account, int64_t now, struct ck_selection *out);
void ck_selection_clear(struct ck_selection *s);

/* A name for each reason ("chosen", "name-mismatch", ...). */
const char *ck_sel_reason_name(enum ck_sel_reason r);

/* The selection as JSON (new reference). */
json_t *ck_selection_json(const struct ck_selection *s);

#endif

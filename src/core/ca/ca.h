/*
 * ca.h - the certificate authority service: init, install, policy,
 * submit, approve, deny, list, get, revoke, unrevoke, CRLs, renewal of
 * host certificates it issued (DESIGN.md §8). The daemon's CA service is
 * in ca_service.h.
 *
 * As every service: never prints, never exits; each change is made in one
 * transaction with its event (1101-1110), so on failure nothing changed.
 * Events carry the request's properties under the names the exit module
 * reads: RequestID, RequesterName, RequesterEmail, SubmittedWhen,
 * ResolvedWhen, DistinguishedName, Disposition, DispositionMessage,
 * SerialNumber (hex), NotBefore, NotAfter, CertificateHash (SHA-1 hex),
 * RawCertificate (PEM), RevokedWhen, RevokedReason; times RFC 3339 UTC.
 * JSON objects handed out are new references owned by the caller.
 *
 * The CA key is the file <store>/ca/ca.key (0600); only ca.c reads it.
 *
 * A request's states (ca_requests.status), each a row, so a restart
 * resumes exactly where it was:
 *
 *   submit --policy: issue----> issued --revoke R--> revoked(R)
 *     \                           ^                    |
 *      \--policy: pending--> pending --approve--/      | R = certificateHold:
 *                               \--deny--> denied      |   unrevoke -> issued
 *                                                      |   revoke R' -> revoked(R')
 * A request the policy refuses is not recorded. denied and revoked (other
 * than certificateHold) are final.
 */
#ifndef CK_CA_H
#define CK_CA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "pki/pki.h"
#include "store/store_ca.h"
#include "base/err.h"

#define CK_CA_DEFAULT_CA_DAYS 3650 /* the CA certificate: ten years */
#define CK_CA_DEFAULT_DAYS 365     /* an issued certificate, unless --days */
#define CK_CA_BATCH 2500            /* requests per transaction in bulk */
#define CK_CA_BULK_MAX 100000       /* request files per submit */

/* Its settings are config keys (core/events/config.def): ca.policy.*,
 * ca.crl_url, ca.crl_path, ca.crl_hours (a week by default, as AD CS's
 * base CRL), read with the config getters. */

struct ck_ca_init_opts {
	const char *name;        /* the CA's CN */
	int days;                /* 0: CK_CA_DEFAULT_CA_DAYS */
	const char *key_type;    /* NULL: ec:P-256 */
	const char *request_out; /* make a request for a parent CA instead */
};
/* Makes the CA key and its self-signed certificate (or the request, then
 * 'install' completes it). Event 1110. */
enum ck_err ck_ca_init(struct store *st, const struct ck_ca_init_opts *o, json_t **out);
/* Installs the parent CA's certificate for a CA made with request_out:
 * it must be a CA certificate for the CA key. Event 1108. */
enum ck_err ck_ca_install(struct store *st, const uint8_t *cert, size_t len, json_t **out);
/* The CA's certificate; CK_ENOTFOUND with no CA, or while its request
 * waits for the parent CA. */
enum ck_err ck_ca_cert_get(struct store *st, struct pki_cert **out);
/* The CA's name, certificate properties, CRL state and policy. */
enum ck_err ck_ca_show(struct store *st, json_t **out);

/* ---- policy ---- */

struct ck_ca_policy {
	char **suffixes; /* normalised; none: any name */
	size_t n_suffixes;
	char **key_types;
	size_t n_key_types;
	int max_days;
	bool pending; /* default disposition: pending (else issue) */
};
enum ck_err ck_ca_policy_load(struct store *st, struct ck_ca_policy *p);
void ck_ca_policy_clear(struct ck_ca_policy *p);

/* Changes to the policy and CRL settings; NULL / 0 fields stay. */
struct ck_ca_policy_opts {
	const char *suffixes;    /* comma list, "" for any */
	const char *key_types;   /* comma list */
	const char *disposition; /* issue | pending */
	int max_days;
	const char *crl_url, *crl_path; /* "" clears */
	int crl_hours;
};
enum ck_err ck_ca_policy_set(struct store *st, const struct ck_ca_policy_opts *o);
enum ck_err ck_ca_policy_json(struct store *st, json_t **out);

/* What the policy makes of one request (unit-testable without a store). */
struct ck_ca_decision {
	char cn[254];
	char **dns; /* CN first, lower case, no duplicates */
	size_t n_dns;
	int days;
	bool pending;
	char message[256]; /* the disposition message */
};
struct pki_csr_info;
/* CK_OK with the decision, or CK_EINVAL with the reason the request is
 * refused (malformed names, weak or unsupported key, names outside the
 * allowed suffixes, non-DNS names). days 0: the default. */
enum ck_err ck_ca_policy_decide(const struct ck_ca_policy *p, const struct pki_csr_info *info,
				int days, struct ck_ca_decision *d);
void ck_ca_decision_clear(struct ck_ca_decision *d);

/* ---- requests ---- */

struct ck_ca_input {
	const char *name;   /* file name, for messages */
	const uint8_t *buf; /* NULL: read the file name (at most CK_INPUT_MAX) */
	size_t len;
};
struct ck_ca_submit_opts {
	const char *requester; /* no control characters */
	const char *email;     /* NULL or an address */
	int days;              /* 0: default */
};
/* Submits n requests. Every one is parsed, verified and checked against
 * the policy first: input that is not a valid request refuses all, and
 * nothing is recorded. Then they are issued, left pending or (refused by
 * the policy) recorded as denied with event 1103, in transactions of
 * CK_CA_BATCH; a denial makes the result CK_EINVAL once all are written;
 * fn
 * receives each result (the event's properties, RawCertificate when
 * issued) only after its transaction is durable, then NULL once the
 * batch's results are all given. All requests share one submission time. */
enum ck_err ck_ca_submit(struct store *st, const struct ck_ca_input *in, size_t n,
			 const struct ck_ca_submit_opts *o, int (*fn)(json_t *result, void *arg),
			 void *arg);
/* A pending request issued (1101) or denied (1103). */
enum ck_err ck_ca_approve(struct store *st, int64_t id, json_t **out);
enum ck_err ck_ca_deny(struct store *st, int64_t id, const char *reason, json_t **out);

/* Streams requests (status NULL: all; "issued", "pending", "denied",
 * "revoked"), oldest first, at most limit (0: all). */
enum ck_err ck_ca_list(struct store *st, const char *status, int64_t limit,
		       int (*fn)(const struct store_ca_request *r, void *arg), void *arg);
/* A request's properties (RawCertificate if pem). New reference. */
json_t *ck_ca_request_json(const struct store_ca_request *r, const char *pem);
/* One request by id, or certificate by serial; with RawCertificate. */
enum ck_err ck_ca_get(struct store *st, const char *id_or_serial, json_t **out);

/* ---- revocation ---- */

/* RFC 5280 reason names (unspecified, keyCompromise, ...) and codes. */
int ck_ca_reason_parse(const char *name); /* -1 if unknown */
const char *ck_ca_reason_name(int code);
/* Revokes (1104); a certificateHold may be made permanent, any other
 * revoked certificate is refused. */
enum ck_err ck_ca_revoke(struct store *st, const char *serial, const char *reason, json_t **out);
/* True if this CA issued the certificate thumb (SHA-1 hex) and it is
 * revoked now (a certificateHold that was taken off is not); serial (may
 * be NULL, else 41 bytes) receives its serial. */
bool ck_ca_revoked(struct store *st, const char *thumb, char serial[41]);
/* Takes a certificateHold off (1109); refused for any other state. */
enum ck_err ck_ca_unrevoke(struct store *st, const char *serial, json_t **out);

struct ck_ca_crl_opts {
	const char *out; /* NULL: ca.crl_path; neither: *pem receives it */
	int hours;       /* nextUpdate; 0: ca.crl_hours or the default */
};
/* Makes and signs the next CRL (number one higher), streaming the revoked
 * certificates from the index, and publishes it atomically (DER when the
 * file name ends in .crl or .der, else PEM). Event 1105. */
enum ck_err ck_ca_crl(struct store *st, const struct ck_ca_crl_opts *o, json_t **out,
		      char **pem);
/* True when a CRL should be made now: none yet, or nextUpdate is within
 * a tenth of the CRL's period (at least an hour). False without a CA. */
enum ck_err ck_ca_crl_due(struct store *st, bool *due);

/* ---- host certificates ---- */

/* True if the host store's certificate thumb (40 hex digits) was issued
 * by this CA. */
bool ck_ca_issued(struct store *st, const char *thumb);
/* Inside the caller's open transaction: signs the renewal of a
 * certificate this CA issued (old_der) for the caller's new key: the same
 * names, for days (1..36500) capped by policy, recorded as an issued
 * request with event 1101. The host store is the caller's (certs.h); *out
 * receives the new certificate. */
enum ck_err ck_ca_sign_renewal(struct store *st, const uint8_t *old_der, size_t old_len,
			       int days, const struct pki_key *key, struct pki_cert **out);

#endif

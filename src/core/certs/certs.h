/*
 * certs.h - the certificate services: init, new, import, export, enable,
 * disable, clone, remove, and the properties shown by list and show
 * (DESIGN.md §3).
 *
 * Each service that changes the store does so in one transaction together
 * with its event (DESIGN.md §1): on any failure nothing is changed. Services
 * never print; inputs are bytes and parsed values, outputs are thumbprints
 * and JSON objects (the caller owns them).
 */
#ifndef CK_CERTS_H
#define CK_CERTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "store/store.h"
#include "base/err.h"

#define CK_DEFAULT_DAYS 1826 /* five years, as Exchange 2007 SP2 and later */
#define CK_DEFAULT_KEY "ec:P-256"
#define CK_MAX_DAYS 36500

enum ck_status {
	CK_STATUS_VALID,
	CK_STATUS_DATE_INVALID,
	CK_STATUS_REVOKED,
	CK_STATUS_UNTRUSTED,
	CK_STATUS_INVALID,
	CK_STATUS_PENDING_REQUEST,
	CK_STATUS_REVOCATION_CHECK_FAILURE,
	CK_STATUS_UNKNOWN,
};
const char *ck_status_name(enum ck_status s);

/* Status at time now, computed from the certificate itself (never cached)
 * against the store's trust anchors: the system's, the store's own CA and
 * those added with ck_anchor_add. Revoked when the store's CA revoked it. */
enum ck_status ck_cert_status(struct store *st, const struct store_cert *c, int64_t now);

/* Trust anchors added to the store: buf holds one or more CA certificates
 * (a PEM bundle, or one DER); a certificate that is not a CA refuses the
 * whole file (CK_EINVAL). *out: the anchors added (JSON array). */
enum ck_err ck_anchor_add(struct store *st, const uint8_t *buf, size_t len, json_t **out);
/* By whole thumbprint; CK_ENOTFOUND when there is no such anchor. */
enum ck_err ck_anchor_remove(struct store *st, const char *thumb);
enum ck_err ck_anchor_list(struct store *st, json_t **out);

/* Every property of a certificate (PascalCase keys as Exchange shows them),
 * or of a pending request. New reference. */
json_t *ck_cert_json(struct store *st, const struct store_cert *c, int64_t now);
json_t *ck_request_json(const struct store_request *r);

struct ck_init_opts {
	const char *hostname; /* NULL: the system's */
	const char *fqdn;     /* NULL: the system's */
	int days;             /* 0: CK_DEFAULT_DAYS */
	const char *key_type; /* NULL: CK_DEFAULT_KEY */
	unsigned services;
	bool services_set;    /* else IMAP, POP, IIS, SMTP */
	bool force;           /* make another even if init ran before */
};
enum ck_err ck_init(struct store *st, const struct ck_init_opts *o, char thumb[41]);

struct ck_new_opts {
	const char *const *domains; /* validated here; the first is the CN */
	size_t n_domains;
	unsigned services;
	bool services_set;          /* else IMAP, POP, SMTP */
	int days;
	const char *key_type;
	const char *friendly_name;
	const char *request_out;    /* write a PKCS#10 request here instead */
};
/* Makes a self-signed certificate, or with request_out a request whose key
 * stays in the store; thumb receives the certificate's or the request's. */
enum ck_err ck_new(struct store *st, const struct ck_new_opts *o, char thumb[41]);

struct ck_import_opts {
	const uint8_t *cert; size_t cert_len;   /* PEM or DER */
	const uint8_t *key; size_t key_len;     /* optional */
	const uint8_t *chain; size_t chain_len; /* optional PEM bundle */
	const uint8_t *p12; size_t p12_len;     /* instead of cert/key/chain */
	const char *password;                   /* for p12 */
	unsigned services;
	bool services_set;
	const char *friendly_name;
};
/* Imports a certificate; without a key, the key of a pending request (or a
 * key already stored) is joined to it. *joined tells which happened. */
enum ck_err ck_import(struct store *st, const struct ck_import_opts *o, char thumb[41],
		      bool *joined_request);

struct ck_export_opts {
	bool with_key;
	bool pkcs12;
	const char *password; /* pkcs12 */
	const char *out;      /* file to write; NULL: hand the PEM to sink */
	/* Without out: receives the PEM (never a key) before the event is
	 * committed, so output that cannot be written records no export. */
	enum ck_err (*sink)(const char *pem, size_t len, void *arg);
	void *sink_arg;
};
/* Exports; with out, writes the file atomically (0600 when it holds a key,
 * else 0644). Event 1007 with the absolute path. */
enum ck_err ck_export(struct store *st, const char *thumb, const struct ck_export_opts *o);

/* Adds (enable) or removes (disable) services; *before and *after report. */
enum ck_err ck_services_change(struct store *st, const char *thumb, unsigned services,
			       bool enable, char thumb_out[41], unsigned *before,
			       unsigned *after);

/* Renews a self-signed certificate: same subject, SANs, services and key
 * type, a new key, a validity of days (0: the old one's length) from now.
 * The old certificate stays, marked replaced. Events 1006 and 1001. A
 * certificate the built-in CA issued is renewed through it (ck_ca_sign_renewal). */
enum ck_err ck_clone(struct store *st, const char *thumb, int days, char new_thumb[41],
		     char old_thumb[41]);

/* Removes a certificate (or a pending request) and its key if no one else
 * uses it. Event 1004. */
enum ck_err ck_remove(struct store *st, const char *thumb, char removed[41]);
/* The same, asking allow first, inside the removal's transaction, with the
 * certificate's full thumbprint: anything but CK_OK from it is returned
 * and nothing is removed. allow is not asked about a pending request. For
 * a caller above this layer that knows what uses a certificate. */
enum ck_err ck_remove_if(struct store *st, const char *thumb,
			 enum ck_err (*allow)(struct store *st, const char *thumbprint, void *arg),
			 void *arg, char removed[41]);

struct ck_list_opts {
	const char *domain;   /* validated here */
	const char *thumbprint;
	unsigned services;
};
/* Calls fn with each matching certificate's JSON (borrowed), newest first,
 * then each pending request when no domain or service filter is set. */
enum ck_err ck_list(struct store *st, const struct ck_list_opts *o, int64_t now,
		    int (*fn)(json_t *item, void *arg), void *arg);

/* The JSON of one certificate or pending request by thumbprint (prefix).
 * New reference in *out. */
enum ck_err ck_show(struct store *st, const char *thumb, int64_t now, json_t **out);

#endif

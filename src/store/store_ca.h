/*
 * store_ca.h - the certificate authority's tables: its state (certificate,
 * CRL number), the requests submitted to it and the certificates it issued
 * (DESIGN.md §2, §8).
 *
 * The CA's private key is a file, <store>/ca/ca.key (0600, directory 0700);
 * this module only names and creates its directory, the CA code reads and
 * writes it. Strings and buffers in the structs below are owned by the
 * struct and freed by its *_clear. Call the writers inside a transaction.
 */
#ifndef CK_STORE_CA_H
#define CK_STORE_CA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

struct store_ca_state {
	char name[65];
	char key_type[16];
	uint8_t *cert; /* DER; NULL while the parent CA has the request */
	size_t cert_len;
	int64_t created;
	int64_t crl_number; /* of the last CRL; 0: none yet */
	int64_t crl_this_update, crl_next_update;
};
void store_ca_state_clear(struct store_ca_state *s);

/* CK_ENOTFOUND when no CA was initialised. */
enum ck_err store_ca_state_get(struct store *st, struct store_ca_state *out);
/* CK_EEXIST when a CA exists already. */
enum ck_err store_ca_state_insert(struct store *st, const char *name, const char *key_type,
				  const uint8_t *cert, size_t cert_len, int64_t created);
enum ck_err store_ca_state_set_cert(struct store *st, const uint8_t *der, size_t len);
/* Records a new CRL and hands out its number: one more than the last. */
enum ck_err store_ca_crl_record(struct store *st, int64_t this_update, int64_t next_update,
				int64_t *number);

/* Path of the CA key file; store_ca_dir_make creates ca/ (0700) and
 * refuses one that others can reach. */
void store_ca_key_path(const struct store *st, char *buf, size_t n);
enum ck_err store_ca_dir_make(struct store *st);

/* A request and, once issued, its certificate (serial[0] != '\0'). */
struct store_ca_request {
	int64_t id;
	char status[8]; /* pending, issued, denied, revoked */
	char *requester, *email, *subject, *message;
	int64_t submitted, resolved; /* resolved 0: not yet */
	int days;
	uint8_t *csr; /* DER; filled by the get functions only */
	size_t csr_len;
	char serial[41]; /* upper-case hex */
	int64_t not_before, not_after;
	char sha1[41];
	uint8_t *der; /* filled by the get functions only */
	size_t der_len;
	int64_t revoked_when; /* 0: not revoked */
	int reason;           /* CRL reason code, -1 when not revoked */
};
void store_ca_request_clear(struct store_ca_request *r);

/* Inserts a request (id set on return). */
enum ck_err store_ca_request_insert(struct store *st, struct store_ca_request *r);
/* Sets a request's status, resolution time and disposition message. */
enum ck_err store_ca_request_resolve(struct store *st, int64_t id, const char *status,
				     int64_t resolved, const char *message);
/* Records an issued certificate; CK_EEXIST when the serial is taken. */
enum ck_err store_ca_cert_insert(struct store *st, int64_t request_id, const char *serial,
				 int64_t not_before, int64_t not_after, const char *sha1,
				 const uint8_t *der, size_t der_len);

/* One request with its CSR and certificate: by request id, by serial
 * (upper-case hex) or by certificate SHA-1. CK_ENOTFOUND otherwise. */
enum ck_err store_ca_get_by_id(struct store *st, int64_t id, struct store_ca_request *out);
enum ck_err store_ca_get_by_serial(struct store *st, const char *serial,
				   struct store_ca_request *out);
enum ck_err store_ca_get_by_sha1(struct store *st, const char *sha1, struct store_ca_request *out);

/* Revocation state of a certificate and its request's status together. */
enum ck_err store_ca_set_revoked(struct store *st, const char *serial, int64_t when, int reason);
enum ck_err store_ca_clear_revoked(struct store *st, const char *serial);

/* Each request (status NULL: all), by id, without CSR or DER; at most limit
 * (0: no limit); streams, one row in memory at a time. fn returning
 * non-zero stops and is returned. */
enum ck_err store_ca_each(struct store *st, const char *status, int64_t limit,
			  int (*fn)(const struct store_ca_request *r, void *arg), void *arg);

/* Each revoked certificate in serial order, from the partial index only. */
enum ck_err store_ca_each_revoked(struct store *st,
				  int (*fn)(const char *serial, int64_t when, int reason, void *arg),
				  void *arg);

/* Counts (for status output and tests). */
enum ck_err store_ca_count(struct store *st, const char *status, int64_t *n);

#endif

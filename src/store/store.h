/*
 * store.h - the host's certificate store: SQLite database plus private key
 * files (DESIGN.md §2).
 *
 * Only the store module speaks SQL. Layout of a store directory (0700):
 *   certkeep.db      SQLite, WAL, foreign keys, schema in user_version
 *   keys/<id>.pem    private keys, 0600, created with O_EXCL; <id> is the
 *                    SHA-256 of the public key (pki_key_id)
 * Every state change is made inside store_begin/store_commit together with
 * the event that records it, so a crash loses both or neither. Strings in
 * the structs below are owned by the struct and freed by its *_clear.
 *
 * Every store_*_each (and store_mail_claim) gives rows to a callback
 * fn(row, arg) that returns:
 *   0           go on with the next row;
 *   STORE_STOP  stop here, no error: the call returns CK_OK;
 *   other       stop with that enum ck_err, which the call returns as is.
 * A row (and the strings in it) lives only during its callback.
 */
#ifndef CK_STORE_H
#define CK_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

struct store;

/* A callback's "stop, no error": distinct from every enum ck_err. */
#define STORE_STOP (-1)

#define STORE_DB_NAME "certkeep.db"
#define STORE_SCHEMA_VERSION 13

/* Resolves the store directory (DESIGN.md §2): explicit dir, else
 * $CERTKEEP_STORE, else /var/lib/certkeep for root, else
 * $XDG_STATE_HOME/certkeep or ~/.local/state/certkeep. */
enum ck_err store_default_dir(const char *explicit_dir, char *out, size_t n);

/* Opens the store in dir; with create, makes the directory (0700) and the
 * database first. Migrates the schema forward. Refuses a directory or key
 * folder that others can read or write. */
enum ck_err store_open(const char *dir, bool create, struct store **out);
void store_close(struct store *st);
/* Copies the log back into the database once it holds STORE_LOG_FRAMES
 * pages, without waiting for readers: what store_close does, for a
 * connection that stays open (the daemon's) between its requests. */
void store_log_trim(struct store *st);
const char *store_dir(const struct store *st);

/* One object a higher layer derives from the store and keeps for the
 * life of the handle (the trust anchors, built once per process); freed
 * with free_fn when replaced (NULL drops it) or when the store closes. */
void *store_cache(const struct store *st);
void store_cache_set(struct store *st, void *p, void (*free_fn)(void *));

/* ---- trust anchors added to the store ---- */

struct store_anchor {
	char thumbprint[41];
	char subject[512];
	int64_t not_after, added;
	const uint8_t *der; /* borrowed, valid during the callback */
	size_t der_len;
};
/* CK_EEXIST when the thumbprint is there already. */
enum ck_err store_anchor_insert(struct store *st, const struct store_anchor *a);
/* CK_ENOTFOUND when no anchor has that thumbprint. */
enum ck_err store_anchor_delete(struct store *st, const char *thumb);
/* Each anchor by thumbprint; fn returning non-zero stops (STORE_STOP:
 * no error). */
enum ck_err store_anchor_each(struct store *st, int (*fn)(const struct store_anchor *a, void *arg),
			      void *arg);

/* A write transaction (BEGIN IMMEDIATE). store_rollback is safe to call
 * when no transaction is open. */
enum ck_err store_begin(struct store *st);
enum ck_err store_commit(struct store *st);
void store_rollback(struct store *st);

/* ---- certificates ---- */

struct store_cert {
	int64_t id;
	char thumbprint[41];
	char sha256[65];
	char key_id[65];
	char serial[81];
	char key_type[16];
	char *subject;
	char *issuer;
	int64_t not_before, not_after;
	int version;
	bool self_signed;
	unsigned services;
	char replaced_by[41]; /* "" if not replaced */
	char *friendly_name;  /* may be NULL */
	int64_t added;
	uint8_t *der;
	size_t der_len;
	char *chain_pem; /* intermediates given at import, or NULL */
	char **domains;
	size_t n_domains;
	bool has_key; /* filled by reads */
};
void store_cert_clear(struct store_cert *c);

/* Inserts a certificate and its domains; CK_EEXIST if its thumbprint is
 * already there. Sets c->id. */
enum ck_err store_cert_insert(struct store *st, struct store_cert *c);

/* Finds one certificate by thumbprint or unique prefix (>= 8 hex digits,
 * any case). CK_ENOTFOUND, CK_EAMBIGUOUS or CK_EINVAL otherwise. */
enum ck_err store_cert_find(struct store *st, const char *thumb, struct store_cert *out);

#define STORE_FILTER_DOMAINS 16

struct store_cert_filter {
	/* Certificates having any of these CertificateDomains (exact, already
	 * normalised; at most STORE_FILTER_DOMAINS), or all if n_domains is 0. */
	const char *const *domains;
	size_t n_domains;
	const char *thumb_prefix; /* upper-case hex prefix, or NULL */
	unsigned services;        /* all of these bits, or 0 */
	const char *key_id;       /* certificates of this key, or NULL */
};

/* Calls fn for each matching certificate, newest NotBefore first; stops
 * as fn says (STORE_STOP, or an error returned as is). Streams: nothing is
 * loaded beyond the current row. */
enum ck_err store_cert_each(struct store *st, const struct store_cert_filter *f,
			    int (*fn)(const struct store_cert *c, void *arg), void *arg);

enum ck_err store_cert_set_services(struct store *st, int64_t id, unsigned services);
enum ck_err store_cert_set_replaced_by(struct store *st, int64_t id, const char *thumbprint);
enum ck_err store_cert_delete(struct store *st, int64_t id);
/* Every certificate replaced by `from` is now replaced by `to` (NULL: by
 * nothing), so a replacement chain survives the removal of a link. */
enum ck_err store_cert_repoint_replaced(struct store *st, const char *from, const char *to);

/* ---- private keys ---- */

/* Saves a key file (0600, O_EXCL) and its row. Succeeds quietly if the key
 * is already stored. Call inside a transaction; the file is written at once
 * and removed again by store_rollback if the transaction fails. */
enum ck_err store_key_save(struct store *st, const char *key_id, const char *key_type,
			   const char *pem, size_t len);
/* Loads a key's PEM (free with ck_free_secret); CK_ENOTFOUND if absent. */
enum ck_err store_key_load(struct store *st, const char *key_id, char **pem, size_t *len);
bool store_key_exists(struct store *st, const char *key_id);
/* Path of the key file into buf. */
void store_key_path(const struct store *st, const char *key_id, char *buf, size_t n);
/* Forgets a key that no certificate or request uses any more; its file is
 * removed after store_commit. */
enum ck_err store_key_release(struct store *st, const char *key_id);

/* ---- pending requests (new --request-out) ---- */

struct store_request {
	int64_t id;
	char thumbprint[41]; /* SHA-1 of the request DER */
	char key_id[65];
	char key_type[16];
	char *subject;
	char **domains;
	size_t n_domains;
	unsigned services;
	int64_t created;
	uint8_t *der;
	size_t der_len;
};
void store_request_clear(struct store_request *r);
enum ck_err store_request_insert(struct store *st, struct store_request *r);
enum ck_err store_request_find(struct store *st, const char *thumb, struct store_request *out);
enum ck_err store_request_find_by_key(struct store *st, const char *key_id,
				      struct store_request *out);
enum ck_err store_request_delete(struct store *st, int64_t id);
enum ck_err store_request_each(struct store *st,
			       int (*fn)(const struct store_request *r, void *arg), void *arg);

/* ---- events (DESIGN.md §6) ---- */

struct store_event {
	int64_t seq;
	int64_t time;
	int id;
	const char *level;   /* "info", "warning", "error" */
	const char *source;  /* "certkeep", "certkeep-ca" ... */
	const char *message;
	const char *fields;  /* a JSON object, text */
	/* Written: the serial of a CA certificate (ca_certs) the event is
	 * about, stored instead of its PEM. Read: that certificate's DER. */
	const char *cert_serial;
	const uint8_t *cert_der;
	size_t cert_der_len;
};

enum ck_err store_event_append(struct store *st, const struct store_event *ev, int64_t *seq);

struct store_event_filter {
	int id;           /* 0: any */
	int64_t since;    /* only events at or after this time; 0: any */
	int64_t after_seq;/* only events with seq > this */
	int64_t limit;    /* 0: no limit */
	bool newest;      /* with limit: the newest limit events (still oldest first) */
};
enum ck_err store_event_each(struct store *st, const struct store_event_filter *f,
			     int (*fn)(const struct store_event *ev, void *arg), void *arg);

/* The sequence number of the newest event (0 when there is none). */
enum ck_err store_event_last_seq(struct store *st, int64_t *seq);

/* Per-consumer cursors: the last sequence number a reaction has handled. */
enum ck_err store_cursor_get(struct store *st, const char *consumer, int64_t *seq);
enum ck_err store_cursor_set(struct store *st, const char *consumer, int64_t seq);

/* ---- connectors (DESIGN.md §4) ---- */

struct store_connector {
	char name[65];
	char type[8];          /* "receive" or "send" */
	char fqdn[254];        /* "" : the host's FQDN */
	bool tls;
	char service_account[33]; /* "" : none given */
	int64_t created;
};
/* CK_EEXIST if the name is taken. */
enum ck_err store_connector_insert(struct store *st, const struct store_connector *c);
/* CK_ENOTFOUND if there is none of that name. */
enum ck_err store_connector_delete(struct store *st, const char *name);
enum ck_err store_connector_each(struct store *st,
				 int (*fn)(const struct store_connector *c, void *arg), void *arg);

/* ---- directory: published transport certificates (DESIGN.md §5) ---- */

/* Publishes (or replaces) the certificate for a server name. */
enum ck_err store_directory_put(struct store *st, const char *server, const char *thumbprint,
				const uint8_t *der, size_t der_len, int64_t when);
/* The thumbprint published for server; CK_ENOTFOUND if none. */
enum ck_err store_directory_get(struct store *st, const char *server, char thumbprint[41]);

/* ---- bindings: a site's endpoint and the files its server reads (§7) ---- */

struct store_binding {
	char site[65];
	char endpoint[262];   /* HOST:PORT */
	unsigned service;     /* one service bit */
	char thumbprint[41];
	char cert_file[4096];
	char chain_file[4096];    /* "" : none (the chain goes into cert_file) */
	char key_file[4096];      /* "" : none */
	char combined_file[4096]; /* "" : none (cert, chain and key in one file) */
	char owner[33], group[33]; /* "" : the current user's */
	unsigned mode;            /* of key and combined files; others are 0644 */
	char reload[1024];        /* "" : none; run through /bin/sh -c */
	char check[1024];         /* "" : none; run after writing, before reload */
	bool reload_pending;      /* files changed, reload not yet done */
	int64_t created;
};
/* CK_EEXIST (with a message) if the site is bound already, else CK_OK. */
enum ck_err store_binding_exists(struct store *st, const char *site);
/* CK_EEXIST if the site is bound already. */
enum ck_err store_binding_insert(struct store *st, const struct store_binding *b);
enum ck_err store_binding_delete(struct store *st, const char *site);
/* Moves a binding to thumb; its reload (if any) is owed from now on. */
enum ck_err store_binding_set_thumbprint(struct store *st, const char *site, const char *thumb);
/* Marks the reload of every binding using command `reload` owed or done. */
enum ck_err store_binding_set_reload_pending(struct store *st, const char *reload, bool pending);
/* Each binding (ordered by site); with thumb, only those on that certificate. */
enum ck_err store_binding_each(struct store *st, const char *thumb,
			       int (*fn)(const struct store_binding *b, void *arg), void *arg);
/* The thumbprints of every certificate whose replacement chain ends in (or
 * passes through) thumb's predecessors: those replaced, directly or not,
 * by thumb. fn is called once per thumbprint. */
enum ck_err store_cert_each_predecessor(struct store *st, const char *thumb,
					int (*fn)(const char *thumb, void *arg), void *arg);

/* ---- expiry notices: each raised once per certificate and kind ---- */

/*
 * A position in a scan of due certificates, read a page at a time so that
 * memory stays flat however many are due. Start with the struct zeroed and
 * limit set; each call gives at most limit rows after the last one given
 * (n says how many) and moves the position on. Fewer than limit: the end.
 * Rows written between pages do not disturb the order: it is by key, then
 * id, and the position is the last (key, id) given.
 */
struct store_page {
	size_t limit; /* rows per call */
	size_t n;     /* rows the last call gave */
	bool started;
	int64_t key, id; /* the last row given */
};

/* The certificates not replaced by another whose NotAfter is at or before
 * `until`, by NotAfter (indexed: nothing else is read). */
enum ck_err store_cert_each_expiring(struct store *st, int64_t until, struct store_page *page,
				     int (*fn)(const struct store_cert *c, void *arg), void *arg);
/* The certificates not replaced by another that are in the last third of
 * their life at `now`, by the start of that third (indexed, as
 * store_cert_each_expiring). */
enum ck_err store_cert_each_in_last_third(struct store *st, int64_t now,
					  struct store_page *page,
					  int (*fn)(const struct store_cert *c, void *arg),
					  void *arg);

/* ---- automatic renewal: failures and back-off per certificate ---- */

struct store_renewal {
	int failures;
	int64_t last_attempt, next_attempt;
	char last_error[512];
};
/* CK_ENOTFOUND (quietly) if the certificate never failed to renew. */
enum ck_err store_renewal_get(struct store *st, const char *thumb, struct store_renewal *out);
enum ck_err store_renewal_put(struct store *st, const char *thumb, const struct store_renewal *r);
enum ck_err store_renewal_clear(struct store *st, const char *thumb);

/* Records that notice `kind` ("expired", "expiring-30", ...) was raised
 * for thumb; *was_new tells whether it is the first time. */
enum ck_err store_notice_add(struct store *st, const char *thumb, const char *kind, int64_t when,
			     bool *was_new);
bool store_notice_exists(struct store *st, const char *thumb, const char *kind);

/* ---- tasks: commands run on events (DESIGN.md §7) ---- */

struct store_task {
	int64_t id;
	int event_id;
	char command[2048];
	int timeout; /* seconds */
	int64_t created;
};
/* Inserts a task; sets t->id. */
enum ck_err store_task_insert(struct store *st, struct store_task *t);
enum ck_err store_task_delete(struct store *st, int64_t id);
enum ck_err store_task_each(struct store *st, int (*fn)(const struct store_task *t, void *arg),
			    void *arg);

struct store_task_run {
	int64_t id, task_id, event_seq, started, ended; /* ended 0: did not finish */
	int status;                                     /* exit status, or 128+signal */
	char output[4096];                              /* the last lines */
};
/* Records a run as started; sets r->id. */
enum ck_err store_task_run_start(struct store *st, struct store_task_run *r);
enum ck_err store_task_run_finish(struct store *st, const struct store_task_run *r);
enum ck_err store_task_run_each(struct store *st, int64_t limit,
				int (*fn)(const struct store_task_run *r, void *arg), void *arg);

/* ---- config (registry-like keys) ---- */

/* *value is malloc'ed, or NULL with CK_ENOTFOUND. */
enum ck_err store_config_get(struct store *st, const char *key, char **value);
enum ck_err store_config_set(struct store *st, const char *key, const char *value);
/* An integer key in [min, max]; fallback if it is unset or anything else. */
int store_config_int(struct store *st, const char *key, long min, long max, int fallback);

#endif

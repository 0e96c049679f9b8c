/*
 * pki_anchors.c - trust anchors and chain verification: the system's trust
 * store, plus the anchors a caller adds (a store's own CA, the anchors
 * added to it), and the chain a verified certificate was found through
 * (DESIGN.md §3, §4).
 *
 * pki never reads the store: the caller builds a pki_anchors once, from
 * what it read, and passes it to every verification.
 */
#include "pki/pki-int.h"

#include <stdlib.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

struct pki_anchors {
	X509_STORE *store;
};

/* Only the hashed directory (SSL_CERT_DIR, else /etc/ssl/certs) is used
 * unless SSL_CERT_FILE is set: it is read lazily, one issuer at a time,
 * where the bundle file would be parsed whole (about 18 ms) by every
 * command that shows a Status. */
static X509_STORE *system_store_new(void)
{
	X509_STORE *store = X509_STORE_new();
	const char *file = getenv(X509_get_default_cert_file_env());
	const char *dir = getenv(X509_get_default_cert_dir_env());

	if (store == NULL)
		return NULL;
	if (!X509_STORE_load_path(store, dir ? dir : X509_get_default_cert_dir()) ||
	    (file != NULL && !X509_STORE_load_file(store, file)))
		ERR_clear_error(); /* no anchors: every chain is Untrusted */
	/* An added anchor may be an intermediate (a subordinate CA): the
	 * chain ends at the first trusted certificate. */
	X509_STORE_set_flags(store, X509_V_FLAG_PARTIAL_CHAIN);
	return store;
}

enum ck_err pki_anchors_new(struct pki_anchors **out)
{
	struct pki_anchors *a = calloc(1, sizeof(*a));

	if (a == NULL || (a->store = system_store_new()) == NULL) {
		free(a);
		return ck_fail(CK_ENOMEM, "out of memory");
	}
	*out = a;
	return CK_OK;
}

enum ck_err pki_anchors_add(struct pki_anchors *a, const struct pki_cert *ca)
{
	if (!X509_STORE_add_cert(a->store, ca->x509)) {
		unsigned long e = ERR_peek_last_error();

		/* the same anchor twice (the CA also added by hand) is fine */
		if (ERR_GET_REASON(e) != X509_R_CERT_ALREADY_IN_HASH_TABLE)
			return pki_fail_ssl(CK_ECRYPTO, "cannot add a trust anchor");
		ERR_clear_error();
	}
	return CK_OK;
}

void pki_anchors_free(struct pki_anchors *a)
{
	if (a == NULL)
		return;
	X509_STORE_free(a->store);
	free(a);
}

/* The path OpenSSL built, without the leaf and without a self-signed root
 * (clients hold the root; servers need not send it, RFC 8446 §4.4.2).
 * NULL when nothing is left. */
static struct pki_chain *path_of(X509_STORE_CTX *ctx)
{
	STACK_OF(X509) *all = X509_STORE_CTX_get1_chain(ctx);
	struct pki_chain *ch = NULL;
	X509 *last;
	int n;

	if (all == NULL)
		return NULL;
	X509_free(sk_X509_shift(all)); /* the leaf */
	n = sk_X509_num(all);
	last = n > 0 ? sk_X509_value(all, n - 1) : NULL;
	if (last && (X509_get_extension_flags(last) & EXFLAG_SS))
		X509_free(sk_X509_pop(all));
	if (sk_X509_num(all) > 0 && (ch = calloc(1, sizeof(*ch))) != NULL) {
		ch->certs = all;
		return ch;
	}
	sk_X509_pop_free(all, X509_free);
	return NULL;
}

enum pki_trust pki_cert_verify_in(const struct pki_anchors *a, const struct pki_cert *cert,
				  const struct pki_chain *chain, int64_t t,
				  struct pki_chain **path)
{
	static X509_STORE *system; /* pki_cert_verify's, once per process */
	X509_STORE *store = a ? a->store : system ? system : (system = system_store_new());
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	enum pki_trust result = PKI_TRUST_INVALID;
	time_t tt = (time_t)t;
	int err;

	if (path)
		*path = NULL;
	/* Dates first: OpenSSL stops at the first error, and for a self-signed
	 * certificate that is "untrusted" before any date is looked at. */
	if (X509_cmp_time(X509_get0_notBefore(cert->x509), &tt) > 0 ||
	    X509_cmp_time(X509_get0_notAfter(cert->x509), &tt) < 0) {
		result = PKI_TRUST_DATE;
		goto out;
	}
	if (store == NULL || ctx == NULL ||
	    !X509_STORE_CTX_init(ctx, store, cert->x509, chain ? chain->certs : NULL))
		goto out;
	X509_STORE_CTX_set_time(ctx, 0, tt);
	X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_ANY);
	if (X509_verify_cert(ctx) == 1) {
		result = PKI_TRUST_OK;
		if (path)
			*path = path_of(ctx);
		goto out;
	}
	err = X509_STORE_CTX_get_error(ctx);
	switch (err) {
	case X509_V_ERR_CERT_HAS_EXPIRED:
	case X509_V_ERR_CERT_NOT_YET_VALID:
		result = PKI_TRUST_DATE;
		break;
	case X509_V_ERR_CERT_SIGNATURE_FAILURE:
	case X509_V_ERR_UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY:
	case X509_V_ERR_ERROR_IN_CERT_NOT_BEFORE_FIELD:
	case X509_V_ERR_ERROR_IN_CERT_NOT_AFTER_FIELD:
		result = PKI_TRUST_INVALID;
		break;
	default:
		result = PKI_TRUST_UNTRUSTED;
		break;
	}
out:
	ERR_clear_error();
	X509_STORE_CTX_free(ctx);
	return result;
}

enum pki_trust pki_cert_verify(const struct pki_cert *cert, const struct pki_chain *chain,
			       int64_t t)
{
	return pki_cert_verify_in(NULL, cert, chain, t, NULL);
}

enum ck_err pki_chain_get(const struct pki_chain *chain, size_t i, struct pki_cert **out)
{
	X509 *x = i < pki_chain_count(chain) ? sk_X509_value(chain->certs, (int)i) : NULL;

	if (x == NULL || !X509_up_ref(x))
		return ck_fail(CK_EINVAL, "no certificate %zu in the chain", i);
	return pki_cert_wrap(x, out);
}

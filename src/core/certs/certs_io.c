/*
 * certs_io.c - importing certificates (PEM, DER, PKCS#12; joining a pending
 * request's key) and exporting them (PEM, PKCS#12) (DESIGN.md §3).
 *
 * Every input is checked in full before the store is touched: a malformed
 * file, a wrong password or a key that does not match its certificate
 * changes nothing.
 */
#include "core/certs/certs-int.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/clock.h"
#include "core/events/events.h"
#include "base/names.h"

enum ck_err ck_import(struct store *st, const struct ck_import_opts *o, char thumb[41],
		      bool *joined_request)
{
	struct pki_cert *cert = NULL;
	struct pki_key *key = NULL;
	struct pki_chain *chain = NULL;
	struct store_request req;
	struct store_cert row;
	char *chain_pem = NULL;
	unsigned services = o->services;
	bool have_request = false;
	enum ck_err rc;

	memset(&req, 0, sizeof(req));
	memset(&row, 0, sizeof(row));
	*joined_request = false;
	if (o->p12) {
		rc = pki_p12_parse(o->p12, o->p12_len, o->password ? o->password : "", &cert, &key,
				   &chain);
		if (rc != CK_OK)
			goto out;
		if (pki_chain_count(chain) == 0) {
			pki_chain_free(chain);
			chain = NULL;
		}
	} else {
		rc = pki_cert_parse(o->cert, o->cert_len, &cert);
		if (rc != CK_OK) {
			ck_errmsg_prefix("--cert");
			goto out;
		}
		if (o->key) {
			rc = pki_key_parse(o->key, o->key_len, &key);
			if (rc != CK_OK) {
				ck_errmsg_prefix("--key");
				goto out;
			}
		}
		if (o->chain) {
			rc = pki_chain_parse(o->chain, o->chain_len, &chain);
			if (rc == CK_OK)
				rc = pki_chain_check(cert, chain);
			if (rc != CK_OK) {
				ck_errmsg_prefix("--chain");
				goto out;
			}
		}
	}
	if (key && !pki_cert_matches_key(cert, key)) {
		rc = ck_fail(CK_EINVAL, "the private key does not match the certificate");
		goto out;
	}
	/* No chain given: the one found through the store's trust anchors
	 * (intermediates, the root left out), so bindings deploy it. */
	if (chain == NULL)
		certs_verify(st, cert, NULL, ck_now(), &chain);
	if (chain) {
		rc = pki_chain_to_pem(chain, &chain_pem, NULL);
		if (rc != CK_OK)
			goto out;
	}
	rc = certs_row_from_pki(cert, services, chain_pem, o->friendly_name, &row);
	if (rc != CK_OK)
		goto out;

	rc = store_begin(st);
	if (rc != CK_OK)
		goto out;
	if (key == NULL) {
		/* The answer to our own request: its key is waiting in the store. */
		rc = store_request_find_by_key(st, row.key_id, &req);
		if (rc == CK_OK) {
			have_request = true;
			if (!o->services_set)
				row.services = req.services;
			rc = store_request_delete(st, req.id);
		} else if (rc == CK_ENOTFOUND) {
			ck_errmsg_clear();
			rc = CK_OK;
		}
		row.has_key = store_key_exists(st, row.key_id);
	}
	if (rc == CK_OK && row.services && !key && !row.has_key)
		rc = ck_fail(CK_EINVAL,
			     "no private key for this certificate (give --key FILE or a PKCS#12 "
			     "file): services cannot be enabled on it");
	if (rc == CK_OK)
		rc = certs_install(st, &row, key, have_request ? "import-request" : "import");
	if (rc != CK_OK) {
		ck_rollback(st);
		goto out;
	}
	rc = ck_commit(st);
	if (rc == CK_OK) {
		snprintf(thumb, 41, "%s", row.thumbprint);
		*joined_request = have_request;
	}
out:
	free(chain_pem);
	store_cert_clear(&row);
	store_request_clear(&req);
	pki_chain_free(chain);
	pki_key_free(key);
	pki_cert_free(cert);
	return rc;
}

/* Appends b to a (both PEM text) into a new buffer. */
static enum ck_err concat(const char *a, size_t alen, const char *b, size_t blen, char **out,
			  size_t *len)
{
	char *buf = malloc(alen + blen + 1);

	if (buf == NULL)
		return ck_fail(CK_ENOMEM, "out of memory");
	memcpy(buf, a, alen);
	memcpy(buf + alen, b, blen);
	buf[alen + blen] = '\0';
	*out = buf;
	*len = alen + blen;
	return CK_OK;
}

/* The absolute form of a path, for the event (the relative one means
 * nothing once the shell that typed it is gone). */
static void absolute_path(const char *path, char *buf, size_t n)
{
	char cwd[PATH_MAX];

	if (path[0] == '/' || getcwd(cwd, sizeof(cwd)) == NULL)
		snprintf(buf, n, "%s", path);
	else
		snprintf(buf, n, "%s/%s", cwd, path);
}

enum ck_err ck_export(struct store *st, const char *thumb, const struct ck_export_opts *o)
{
	char path[2 * PATH_MAX];
	struct store_cert c;
	struct pki_cert *cert = NULL;
	struct pki_key *key = NULL;
	struct pki_chain *chain = NULL;
	char *key_pem = NULL, *cert_pem = NULL, *data = NULL;
	size_t key_len = 0, cert_len = 0, data_len = 0;
	const char *format;
	enum ck_err rc;

	memset(&c, 0, sizeof(c));
	if ((o->with_key || o->pkcs12) && o->out == NULL)
		return ck_fail(CK_EUSAGE, "a private key is never printed: give --out FILE");
	if (o->out == NULL && o->sink == NULL)
		return ck_fail(CK_ERROR, "export: nowhere to write");
	if (o->out)
		absolute_path(o->out, path, sizeof(path));
	rc = store_begin(st);
	if (rc != CK_OK)
		return rc;
	rc = store_cert_find(st, thumb, &c);
	if (rc == CK_OK)
		rc = pki_cert_parse(c.der, c.der_len, &cert);
	if (rc == CK_OK && c.chain_pem)
		rc = pki_chain_parse((const uint8_t *)c.chain_pem, strlen(c.chain_pem), &chain);
	if (rc == CK_OK && (o->with_key || o->pkcs12)) {
		rc = store_key_load(st, c.key_id, &key_pem, &key_len);
		if (rc == CK_OK)
			rc = pki_key_parse((const uint8_t *)key_pem, key_len, &key);
		if (rc == CK_OK && !pki_cert_matches_key(cert, key))
			rc = ck_fail(CK_ERROR, "the stored key does not match certificate %s",
				     c.thumbprint);
	}
	if (rc != CK_OK)
		goto out;
	if (o->pkcs12) {
		format = "PKCS12";
		rc = pki_p12_make(cert, key, chain, o->password ? o->password : "",
				  c.friendly_name ? c.friendly_name : c.thumbprint,
				  (uint8_t **)&data, &data_len);
	} else {
		char *chain_text = c.chain_pem ? c.chain_pem : "";

		format = o->with_key ? "PEM+KEY" : "PEM";
		rc = pki_cert_to_pem(cert, &cert_pem, &cert_len);
		if (rc == CK_OK && o->with_key) {
			char *both = NULL;
			size_t both_len = 0;

			rc = concat(cert_pem, cert_len, chain_text, strlen(chain_text), &both,
				    &both_len);
			if (rc == CK_OK)
				rc = concat(both, both_len, key_pem, key_len, &data, &data_len);
			free(both);
		} else if (rc == CK_OK) {
			rc = concat(cert_pem, cert_len, chain_text, strlen(chain_text), &data,
				    &data_len);
		}
	}
	if (rc != CK_OK)
		goto out;
	rc = ck_event_emit(st, CK_EV_CERT_EXPORTED,
			   json_pack("{s:s, s:s, s:b, s:s?}", "Thumbprint", c.thumbprint, "Format",
				     format, "WithPrivateKey", o->with_key || o->pkcs12, "Path",
				     o->out ? path : NULL),
			   "A certificate has been exported: %s (%s%s%s).", c.thumbprint, format,
			   o->out ? " to " : "", o->out ? path : "");
	/* Written while the transaction is open: if the output cannot be
	 * written, the event is rolled back with it. */
	if (rc == CK_OK)
		rc = o->out ? ck_write_output(o->out, data, data_len,
					      (o->with_key || o->pkcs12) ? 0600 : 0644)
			    : o->sink(data, data_len, o->sink_arg);
	if (rc == CK_OK)
		rc = ck_commit(st);
out:
	if (rc != CK_OK)
		ck_rollback(st);
	ck_free_secret(data, data_len);
	ck_free_secret(key_pem, key_len);
	free(cert_pem);
	pki_key_free(key);
	pki_cert_free(cert);
	pki_chain_free(chain);
	store_cert_clear(&c);
	return rc;
}

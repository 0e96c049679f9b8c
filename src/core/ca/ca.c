/*
 * ca.c - the certificate authority: its key and certificate (init,
 * install, show), reading requests back (list, get) and the properties
 * events carry (DESIGN.md §8).
 *
 * Key custody: the CA key is born in ca_init (0600, O_EXCL, in the 0700
 * directory ca/) and read only by ca_load, which hands it to the pki
 * module's one signing function and wipes the file's bytes from memory.
 */
#include "core/ca/ca-int.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/clock.h"
#include "core/events/events.h"
#include "base/fileio.h"

/* Properties of the CA certificate for events and show. */
static json_t *cert_props(const struct pki_cert *cert, const char *name)
{
	struct pki_cert_info info;
	char *pem = NULL;
	json_t *o = NULL;

	if (pki_cert_info_get(cert, &info) != CK_OK)
		return NULL;
	if (pki_cert_to_pem(cert, &pem, NULL) == CK_OK) {
		o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:b}", "CAName", name, "DistinguishedName",
			      info.subject, "IssuerName", info.issuer, "SerialNumber", info.serial,
			      "CertificateHash", info.thumbprint, "SelfSigned", info.self_signed);
		if (o) {
			ca_put_time(o, "NotBefore", info.not_before);
			ca_put_time(o, "NotAfter", info.not_after);
			json_object_set_new(o, "RawCertificate", json_string(pem));
		}
	}
	free(pem);
	pki_cert_info_clear(&info);
	return o;
}

enum ck_err ck_ca_init(struct store *st, const struct ck_ca_init_opts *o, json_t **out)
{
	struct pki_key *key = NULL;
	struct pki_cert *cert = NULL;
	struct pki_req *req = NULL;
	char *key_pem = NULL, *req_pem = NULL, key_type[PKI_KEYTYPE_MAX], path[PATH_MAX];
	size_t key_len = 0, req_len = 0;
	const uint8_t *der = NULL;
	size_t der_len = 0;
	int days = o->days ? o->days : CK_CA_DEFAULT_CA_DAYS;
	bool key_written = false;
	json_t *props = NULL;
	enum ck_err rc;

	if (o->name == NULL || !ca_text_ok(o->name, 64))
		return ck_fail(CK_EINVAL, "the CA name (--name) must be 1 to 64 characters without "
					  "control characters");
	if (days < 1 || days > 36500)
		return ck_fail(CK_EINVAL, "--days must be between 1 and 36500");
	rc = pki_key_generate(o->key_type ? o->key_type : "ec:P-256", &key);
	if (rc != CK_OK)
		return rc;
	pki_key_type(key, key_type, sizeof(key_type));
	if (o->request_out) {
		rc = pki_ca_make_request(key, o->name, &req);
		if (rc == CK_OK)
			rc = pki_req_to_pem(req, &req_pem, &req_len);
	} else {
		rc = pki_ca_make_root(key, o->name, ck_now(), ck_now() + (int64_t)days * 86400, &cert);
		if (rc == CK_OK)
			pki_cert_der(cert, &der, &der_len);
	}
	if (rc == CK_OK)
		rc = pki_key_to_pem(key, &key_pem, &key_len);
	if (rc != CK_OK)
		goto out;

	rc = store_begin(st);
	if (rc != CK_OK)
		goto out;
	rc = store_ca_state_insert(st, o->name, key_type, der, der_len, ck_now());
	if (rc == CK_OK)
		rc = store_ca_dir_make(st);
	if (rc == CK_OK) {
		store_ca_key_path(st, path, sizeof(path));
		rc = ck_write_new(path, key_pem, key_len, 0600);
		if (rc == CK_EEXIST)
			rc = ck_fail(CK_EEXIST,
				     "%s exists without a CA in the store (left by an interrupted "
				     "'ca init'?): move it away first",
				     path);
		key_written = rc == CK_OK;
	}
	if (rc == CK_OK) {
		props = cert ? cert_props(cert, o->name)
			     : json_pack("{s:s, s:s, s:s}", "CAName", o->name, "RequestFile",
					 o->request_out, "KeyType", key_type);
		if (props == NULL)
			rc = ck_fail(CK_ENOMEM, "out of memory");
	}
	if (rc == CK_OK)
		rc = ck_event_emit(st, CK_EV_CA_INITIALIZED, json_incref(props),
				   cert ? "The certificate authority %s has been initialised (%s)."
					: "The certificate authority %s has been initialised (%s); its "
					  "request for a parent CA is waiting.",
				   o->name, key_type);
	/* The request file last: if it cannot be written, nothing stays. */
	if (rc == CK_OK && o->request_out)
		rc = ck_write_output(o->request_out, req_pem, req_len, 0644);
	if (rc == CK_OK)
		rc = ck_commit(st);
	else
		ck_rollback(st);
	store_cache_set(st, NULL, NULL); /* a new trust anchor */
	if (rc != CK_OK && key_written)
		unlink(path);
	if (rc == CK_OK) {
		*out = props;
		props = NULL;
	}
out:
	json_decref(props);
	ck_free_secret(key_pem, key_len);
	free(req_pem);
	pki_req_free(req);
	pki_cert_free(cert);
	pki_key_free(key);
	return rc;
}

enum ck_err ck_ca_install(struct store *st, const uint8_t *buf, size_t len, json_t **out)
{
	struct store_ca_state s;
	struct pki_cert *cert = NULL;
	struct pki_key *key = NULL;
	char path[PATH_MAX];
	uint8_t *key_pem = NULL;
	size_t key_len = 0, der_len;
	const uint8_t *der;
	json_t *props = NULL;
	enum ck_err rc;

	memset(&s, 0, sizeof(s));
	rc = pki_cert_parse(buf, len, &cert);
	if (rc != CK_OK)
		return rc;
	rc = store_begin(st);
	if (rc != CK_OK)
		goto out;
	rc = store_ca_state_get(st, &s);
	if (rc == CK_OK && s.cert != NULL)
		rc = ck_fail(CK_EEXIST, "the CA has its certificate already");
	if (rc == CK_OK && !pki_cert_is_ca(cert))
		rc = ck_fail(CK_EINVAL, "not a CA certificate (basicConstraints CA:TRUE missing)");
	if (rc == CK_OK) {
		store_ca_key_path(st, path, sizeof(path));
		rc = ck_read_file(path, 64 * 1024, &key_pem, &key_len);
	}
	if (rc == CK_OK)
		rc = pki_key_parse(key_pem, key_len, &key);
	if (rc == CK_OK && !pki_cert_matches_key(cert, key))
		rc = ck_fail(CK_EINVAL, "the certificate's public key is not the CA key's");
	if (rc == CK_OK) {
		pki_cert_der(cert, &der, &der_len);
		rc = store_ca_state_set_cert(st, der, der_len);
	}
	if (rc == CK_OK) {
		props = cert_props(cert, s.name);
		rc = props ? ck_event_emit(st, CK_EV_CA_CERT_IMPORTED, json_incref(props),
					   "The certificate of the certificate authority %s has been "
					   "installed.",
					   s.name)
			   : ck_fail(CK_ENOMEM, "out of memory");
	}
	if (rc == CK_OK)
		rc = ck_commit(st);
	else
		ck_rollback(st);
	store_cache_set(st, NULL, NULL); /* a new trust anchor */
	if (rc == CK_OK) {
		*out = props;
		props = NULL;
	}
out:
	json_decref(props);
	if (key_pem)
		ck_free_secret(key_pem, key_len);
	pki_key_free(key);
	pki_cert_free(cert);
	store_ca_state_clear(&s);
	return rc;
}

enum ck_err ck_ca_show(struct store *st, json_t **out)
{
	struct store_ca_state s;
	struct pki_cert *cert = NULL;
	json_t *o = NULL, *policy = NULL;
	enum ck_err rc = store_ca_state_get(st, &s);

	if (rc != CK_OK)
		return rc;
	if (s.cert) {
		rc = pki_cert_parse(s.cert, s.cert_len, &cert);
		if (rc == CK_OK)
			o = cert_props(cert, s.name);
	} else {
		o = json_pack("{s:s, s:b}", "CAName", s.name, "AwaitingCertificate", 1);
	}
	if (rc == CK_OK && o == NULL)
		rc = ck_fail(CK_ENOMEM, "out of memory");
	if (rc == CK_OK)
		rc = ck_ca_policy_json(st, &policy);
	if (rc == CK_OK) {
		json_object_set_new(o, "KeyType", json_string(s.key_type));
		json_object_set_new(o, "CRLNumber", json_integer(s.crl_number));
		ca_put_time(o, "CRLThisUpdate", s.crl_this_update);
		ca_put_time(o, "CRLNextUpdate", s.crl_next_update);
		json_object_set_new(o, "Policy", policy);
		*out = o;
		o = NULL;
	}
	json_decref(o);
	pki_cert_free(cert);
	store_ca_state_clear(&s);
	return rc;
}

enum ck_err ck_ca_list(struct store *st, const char *status, int64_t limit,
		       int (*fn)(const struct store_ca_request *r, void *arg), void *arg)
{
	return store_ca_each(st, status, limit, fn, arg);
}

enum ck_err ck_ca_get(struct store *st, const char *id_or_serial, json_t **out)
{
	struct store_ca_request r;
	char serial[41], *pem = NULL;
	enum ck_err rc;
	size_t n = strlen(id_or_serial);

	/* Request ids are decimal and short; serials are 32 hex digits. */
	if (n > 0 && n <= 15 && strspn(id_or_serial, "0123456789") == n) {
		rc = store_ca_get_by_id(st, strtoll(id_or_serial, NULL, 10), &r);
	} else {
		rc = ca_serial_normalize(id_or_serial, serial);
		if (rc == CK_OK)
			rc = store_ca_get_by_serial(st, serial, &r);
	}
	if (rc != CK_OK)
		return rc;
	if (r.der)
		rc = ca_der_pem(r.der, r.der_len, &pem);
	if (rc == CK_OK) {
		*out = ck_ca_request_json(&r, pem);
		if (*out == NULL)
			rc = ck_fail(CK_ENOMEM, "out of memory");
	}
	free(pem);
	store_ca_request_clear(&r);
	return rc;
}

enum ck_err ck_ca_cert_get(struct store *st, struct pki_cert **out)
{
	struct store_ca_state s;
	enum ck_err rc = store_ca_state_get(st, &s);

	if (rc == CK_OK && s.cert == NULL)
		rc = ck_fail(CK_ENOTFOUND, "the CA has no certificate yet: its request waits for "
					   "the parent CA ('certkeep ca install')");
	if (rc == CK_OK)
		rc = pki_cert_parse(s.cert, s.cert_len, out);
	store_ca_state_clear(&s);
	return rc;
}

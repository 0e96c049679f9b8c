/*
 * ca_policy.c - the CA's policy: which requests it issues, leaves pending
 * or refuses (DESIGN.md §8). The policy lives in the config table
 * (ca.policy.*), so it is changed with its own command and read once per
 * submission.
 *
 * Rules that are not settings: names must be valid DNS names (the names
 * module's rules: no CR, LF, NUL, no partial wildcards, A-labels valid
 * IDNA2008), only DNS names are certified, RSA keys have at least 2048
 * bits and the public exponent 65537, EC keys are P-256 or P-384 (weaker
 * keys are refused whatever the policy says). The request's own
 * signature must use SHA-256, SHA-384 or SHA-512; pki_csr_parse refuses
 * the others before the policy sees the request.
 */
#include "core/ca/ca-int.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/names.h"
#include "base/strlist.h"
#include "base/text.h"

/* Splits a comma list into lst (empty items dropped). */
static enum ck_err split(const char *s, char ***lst, size_t *n)
{
	const char *p = s;

	while (p && *p) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		char item[CK_DOMAIN_MAX + 2];

		while (len > 0 && *p == ' ')
			p++, len--;
		while (len > 0 && p[len - 1] == ' ')
			len--;
		if (len >= sizeof(item))
			return ck_fail(CK_EINVAL, "list item too long: '%.40s...'", p);
		memcpy(item, p, len);
		item[len] = '\0';
		if (len > 0 && ck_strlist_push(lst, n, item) != CK_OK)
			return ck_fail(CK_ENOMEM, "out of memory");
		p = end ? end + 1 : NULL;
	}
	return CK_OK;
}

enum ck_err ck_ca_policy_load(struct store *st, struct ck_ca_policy *p)
{
	char *v = NULL;
	enum ck_err rc = CK_OK;

	memset(p, 0, sizeof(*p));
	if (ck_config_stored(st, CK_CFG_CA_POLICY_ALLOWED_SUFFIXES, &v) == CK_OK)
		rc = split(v, &p->suffixes, &p->n_suffixes);
	free(v);
	v = NULL;
	if (rc == CK_OK)
		rc = split(ck_config_string(st, CK_CFG_CA_POLICY_KEY_TYPES, &v) == CK_OK
				   ? v
				   : ck_config_keys[CK_CFG_CA_POLICY_KEY_TYPES].def,
			   &p->key_types, &p->n_key_types);
	free(v);
	v = NULL;
	p->max_days = (int)ck_config_int(st, CK_CFG_CA_POLICY_MAX_DAYS);
	if (ck_config_stored(st, CK_CFG_CA_POLICY_DEFAULT_DISPOSITION, &v) == CK_OK)
		p->pending = strcmp(v, "pending") == 0;
	free(v);
	ck_errmsg_clear();
	if (rc != CK_OK)
		ck_ca_policy_clear(p);
	return rc;
}

void ck_ca_policy_clear(struct ck_ca_policy *p)
{
	ck_strlist_free(p->suffixes, p->n_suffixes);
	ck_strlist_free(p->key_types, p->n_key_types);
	memset(p, 0, sizeof(*p));
}

void ck_ca_decision_clear(struct ck_ca_decision *d)
{
	ck_strlist_free(d->dns, d->n_dns);
	d->dns = NULL;
	d->n_dns = 0;
}

/* name is under suffix: equal, or ends in "." suffix; a wildcard's base
 * ("*.a.example" -> "a.example") must be. */
static bool under(const char *name, const char *suffix)
{
	size_t n, s = strlen(suffix);

	if (strncmp(name, "*.", 2) == 0)
		name += 2;
	n = strlen(name);
	if (n == s)
		return strcmp(name, suffix) == 0;
	return n > s && name[n - s - 1] == '.' && strcmp(name + n - s, suffix) == 0;
}

static enum ck_err check_key(const struct ck_ca_policy *p, const struct pki_csr_info *info)
{
	size_t i;

	if (info->key_rsa && info->key_bits < 2048)
		return ck_fail(CK_EINVAL, "weak key: RSA with %d bits (at least 2048 are needed)",
			       info->key_bits);
	/* 65537 only, as Let's Encrypt does: the Baseline Requirements
	 * (6.1.6) advise at least 2^16 + 1, e = 3 let lax PKCS#1 v1.5
	 * verifiers accept forged signatures (Bleichenbacher, 2006), and
	 * every key generator's default is 65537. */
	if (info->key_rsa && info->rsa_e != 65537) {
		if (info->rsa_e == UINT64_MAX)
			return ck_fail(CK_EINVAL, "weak key: RSA public exponent of 64 bits or more "
						  "(only 65537 is accepted)");
		return ck_fail(CK_EINVAL,
			       "weak key: RSA public exponent %llu (only 65537 is accepted)",
			       (unsigned long long)info->rsa_e);
	}
	if (!info->key_rsa && strcmp(info->key_type, "ec:P-256") != 0 &&
	    strcmp(info->key_type, "ec:P-384") != 0)
		return ck_fail(CK_EINVAL,
			       "unsupported key type %s: use ec:P-256, ec:P-384 or RSA of 2048 bits "
			       "or more",
			       info->key_type);
	for (i = 0; i < p->n_key_types; i++) {
		const char *t = p->key_types[i];

		if (info->key_rsa && strncmp(t, "rsa", 3) == 0) {
			long min = t[3] == ':' ? strtol(t + 4, NULL, 10) : 2048;

			if (info->key_bits >= min)
				return CK_OK;
		} else if (!info->key_rsa && strcmp(t, info->key_type) == 0) {
			return CK_OK;
		}
	}
	return ck_fail(CK_EINVAL, "denied by policy: key type %s is not allowed (%s)",
		       info->key_type, ck_config_name(CK_CFG_CA_POLICY_KEY_TYPES));
}

enum ck_err ck_ca_policy_decide(const struct ck_ca_policy *p, const struct pki_csr_info *info,
				int days, struct ck_ca_decision *d)
{
	char norm[CK_DOMAIN_MAX + 1];
	enum ck_err rc;
	size_t i, j;

	memset(d, 0, sizeof(*d));
	if (info->bad_string)
		return ck_fail(CK_EINVAL, "the request's names hold a NUL byte or several CNs");
	if (info->other_names)
		return ck_fail(CK_EINVAL, "the request asks for names other than DNS names "
					  "(IP addresses, e-mail, URIs): only DNS names are certified");
	rc = check_key(p, info);
	if (rc != CK_OK)
		return rc;
	if (info->n_dns + 1 > CK_MAX_DOMAINS)
		return ck_fail(CK_EINVAL, "too many names (at most %d)", CK_MAX_DOMAINS);
	/* The CN first, then the SANs; each a valid DNS name. */
	for (i = 0; i <= info->n_dns; i++) {
		const char *name = i == 0 ? info->cn : info->dns[i - 1];
		bool dup = false;

		if (name == NULL)
			continue;
		rc = ck_domain_normalize(name, true, norm, sizeof(norm));
		if (rc != CK_OK) {
			ck_errmsg_prefix("%s", i == 0 ? "the request's CN" : "a name in the request");
			goto fail;
		}
		for (j = 0; j < d->n_dns; j++)
			dup = dup || strcmp(d->dns[j], norm) == 0;
		if (!dup && ck_strlist_push(&d->dns, &d->n_dns, norm) != CK_OK) {
			rc = ck_fail(CK_ENOMEM, "out of memory");
			goto fail;
		}
	}
	if (d->n_dns == 0) {
		rc = ck_fail(CK_EINVAL, "the request names no DNS name (no CN, no subjectAltName)");
		goto fail;
	}
	if (strlen(d->dns[0]) > 64) {
		rc = ck_fail(CK_EINVAL, "the CN '%.40s...' is longer than 64 characters", d->dns[0]);
		goto fail;
	}
	snprintf(d->cn, sizeof(d->cn), "%s", d->dns[0]);
	for (i = 0; p->n_suffixes > 0 && i < d->n_dns; i++) {
		bool ok = false;

		for (j = 0; j < p->n_suffixes && !ok; j++)
			ok = under(d->dns[i], p->suffixes[j]);
		if (!ok) {
			rc = ck_fail(CK_EINVAL,
				     "denied by policy: %s is not under an allowed suffix (%s)",
				     d->dns[i], ck_config_name(CK_CFG_CA_POLICY_ALLOWED_SUFFIXES));
			goto fail;
		}
	}
	d->days = days > 0 ? days : CK_CA_DEFAULT_DAYS;
	if (d->days > p->max_days) {
		snprintf(d->message, sizeof(d->message), "validity capped at %d days by policy",
			 p->max_days);
		d->days = p->max_days;
	}
	d->pending = p->pending;
	if (d->message[0] == '\0')
		snprintf(d->message, sizeof(d->message), "%s",
			 d->pending ? "Taken under submission" : "Issued");
	return CK_OK;
fail:
	ck_ca_decision_clear(d);
	return rc;
}

/* o's value for key id checked by the config table (messages name the
 * option), in *out; NULL when o does not set it. */
static enum ck_err checked(enum ck_config_id id, const char *option, const char *value,
			   char **out)
{
	*out = NULL;
	return value ? ck_config_parse(&ck_config_keys[id], option, value, out) : CK_OK;
}

enum ck_err ck_ca_policy_set(struct store *st, const struct ck_ca_policy_opts *o)
{
	char *suffixes = NULL, *key_types = NULL, *crl_url = NULL;
	enum ck_err rc;

	rc = checked(CK_CFG_CA_POLICY_ALLOWED_SUFFIXES, "--allow-suffix", o->suffixes, &suffixes);
	/* An empty list would be the default for config set; here it is a mistake. */
	if (rc == CK_OK && o->key_types && o->key_types[0] == '\0')
		rc = ck_fail(CK_EINVAL, "give at least one key type");
	if (rc == CK_OK)
		rc = checked(CK_CFG_CA_POLICY_KEY_TYPES, "--key-types", o->key_types, &key_types);
	if (rc == CK_OK && o->disposition && strcmp(o->disposition, "issue") != 0 &&
	    strcmp(o->disposition, "pending") != 0)
		rc = ck_fail(CK_EUSAGE, "--default takes issue or pending");
	if (rc == CK_OK)
		rc = checked(CK_CFG_CA_CRL_URL, "--crl-url", o->crl_url, &crl_url);
	if (rc == CK_OK && o->crl_path && *o->crl_path && o->crl_path[0] != '/')
		rc = ck_fail(CK_EINVAL, "--crl-path must be an absolute path");
	if (rc == CK_OK && o->crl_path && !ck_utf8_valid(o->crl_path))
		rc = ck_fail(CK_EINVAL, "--crl-path must be UTF-8 text");
	if (rc == CK_OK)
		rc = store_begin(st);
	if (rc != CK_OK)
		goto out;
	if (suffixes)
		rc = ck_config_put(st, CK_CFG_CA_POLICY_ALLOWED_SUFFIXES, suffixes);
	if (rc == CK_OK && key_types)
		rc = ck_config_put(st, CK_CFG_CA_POLICY_KEY_TYPES, key_types);
	if (rc == CK_OK && o->disposition)
		rc = ck_config_put(st, CK_CFG_CA_POLICY_DEFAULT_DISPOSITION, o->disposition);
	if (rc == CK_OK && o->max_days)
		rc = ck_config_put_int(st, CK_CFG_CA_POLICY_MAX_DAYS, o->max_days);
	if (rc == CK_OK && o->crl_hours)
		rc = ck_config_put_int(st, CK_CFG_CA_CRL_HOURS, o->crl_hours);
	if (rc == CK_OK && crl_url)
		rc = ck_config_put(st, CK_CFG_CA_CRL_URL, crl_url);
	if (rc == CK_OK && o->crl_path)
		rc = ck_config_put(st, CK_CFG_CA_CRL_PATH, o->crl_path);
	if (rc == CK_OK)
		rc = store_commit(st);
	else
		store_rollback(st);
out:
	free(suffixes);
	free(key_types);
	free(crl_url);
	return rc;
}

enum ck_err ck_ca_policy_json(struct store *st, json_t **out)
{
	static const enum ck_config_id keys[] = {
		CK_CFG_CA_POLICY_ALLOWED_SUFFIXES, CK_CFG_CA_POLICY_KEY_TYPES,
		CK_CFG_CA_POLICY_MAX_DAYS,	   CK_CFG_CA_POLICY_DEFAULT_DISPOSITION,
		CK_CFG_CA_CRL_URL,		   CK_CFG_CA_CRL_PATH,
		CK_CFG_CA_CRL_HOURS,
	};
	struct ck_ca_policy p;
	json_t *o = json_object();
	char num[32];
	size_t i;
	enum ck_err rc = ck_ca_policy_load(st, &p);

	if (rc != CK_OK || o == NULL) {
		json_decref(o);
		return rc != CK_OK ? rc : ck_fail(CK_ENOMEM, "out of memory");
	}
	/* Effective values, defaults included; the CRL's URL and path only
	 * when set. */
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		char *v = NULL;

		if (ck_config_stored(st, keys[i], &v) == CK_OK)
			json_object_set_new(o, ck_config_name(keys[i]), json_string(v));
		free(v);
	}
	ck_errmsg_clear();
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const struct ck_config_key *k = &ck_config_keys[keys[i]];

		if (keys[i] != CK_CFG_CA_CRL_URL && keys[i] != CK_CFG_CA_CRL_PATH &&
		    json_object_get(o, k->name) == NULL)
			json_object_set_new(o, k->name, json_string(k->def));
	}
	snprintf(num, sizeof(num), "%d", p.max_days);
	json_object_set_new(o, ck_config_name(CK_CFG_CA_POLICY_MAX_DAYS), json_string(num));
	json_object_set_new(o, ck_config_name(CK_CFG_CA_POLICY_DEFAULT_DISPOSITION),
			    json_string(p.pending ? "pending" : "issue"));
	ck_ca_policy_clear(&p);
	*out = o;
	return CK_OK;
}

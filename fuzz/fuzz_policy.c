/*
 * fuzz_policy.c - libFuzzer harness for the values of `certkeep ca policy`
 * (src/core/ca_policy.c, through ck_ca_policy_set, _load, _json and
 * _decide; DESIGN.md §8). The input is one value a line, in the order
 * --allow-suffix, --key-types, --default, --max-days, --crl-url,
 * --crl-path, --crl-hours (a missing line: the option not given), then the
 * CN and DNS names of a request to decide on (an EC P-256 key).
 * Before each input the policy is put back to its defaults.
 * Invariants checked: no crash or leak; a refused change changes nothing;
 * an accepted one reads back as given: suffixes normalised DNS names
 * without a leading dot, key types of the allowed forms, the disposition,
 * the day cap and the CRL URL; a request the policy takes has only names
 * under an allowed suffix and at most the day cap.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/ca/ca.h"
#include "core/events/config.h"
#include "base/names.h"
#include "pki/pki_ca.h"
#include "fuzz_store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FIELDS 7
#define NAMES_MAX 8

/* name is suffix or ends in "." suffix (a wildcard's base counts). */
static bool under(const char *name, const char *suffix)
{
	size_t n, s = strlen(suffix);

	if (strncmp(name, "*.", 2) == 0)
		name += 2;
	n = strlen(name);
	return strcmp(name, suffix) == 0 ||
	       (n > s && name[n - s - 1] == '.' && strcmp(name + n - s, suffix) == 0);
}

/* As the CLI's cli_int: a decimal number within [lo, hi], else 0 (unset). */
static int cli_number(const char *s, long lo, long hi)
{
	char *end = NULL;
	long v;

	if (s == NULL || *s == '\0')
		return 0;
	v = strtol(s, &end, 10);
	return *end == '\0' && v >= lo && v <= hi ? (int)v : 0;
}

static void check_loaded(struct store *st, const struct ck_ca_policy_opts *o, bool changed)
{
	struct ck_ca_policy p;
	json_t *js = NULL;
	size_t i;

	if (ck_ca_policy_load(st, &p) != CK_OK || ck_ca_policy_json(st, &js) != CK_OK)
		abort();
	if (!changed && (p.n_suffixes != 0 || p.pending || p.max_days != CK_CFG_DEF_CA_POLICY_MAX_DAYS ||
			 p.n_key_types != 3))
		abort();
	for (i = 0; i < p.n_suffixes; i++) {
		char norm[CK_DOMAIN_MAX + 1];

		if (ck_domain_normalize(p.suffixes[i], false, norm, sizeof(norm)) != CK_OK ||
		    strcmp(norm, p.suffixes[i]) != 0 || p.suffixes[i][0] == '.')
			abort();
	}
	for (i = 0; i < p.n_key_types; i++) {
		const char *t = p.key_types[i];

		if (strcmp(t, "ec:P-256") != 0 && strcmp(t, "ec:P-384") != 0 && strcmp(t, "rsa") != 0 &&
		    !(strncmp(t, "rsa:", 4) == 0 && cli_number(t + 4, 2048, 16384) != 0))
			abort();
	}
	if (changed && o->disposition && p.pending != (strcmp(o->disposition, "pending") == 0))
		abort();
	if (changed && o->max_days && p.max_days != o->max_days)
		abort();
	if (changed && o->crl_url &&
	    strcmp(json_string_value(json_object_get(js, ck_config_name(CK_CFG_CA_CRL_URL))), o->crl_url) != 0)
		abort();
	json_decref(js);
	ck_ca_policy_clear(&p);
}

static void check_decision(struct store *st, char **names, size_t n)
{
	struct pki_csr_info info = { .key_ec = true, .key_bits = 256 };
	struct ck_ca_decision d;
	struct ck_ca_policy p;
	size_t i, j;

	if (n == 0 || ck_ca_policy_load(st, &p) != CK_OK)
		return;
	snprintf(info.key_type, sizeof(info.key_type), "ec:P-256");
	info.cn = names[0][0] ? names[0] : NULL;
	info.dns = names + 1;
	info.n_dns = n - 1;
	if (ck_ca_policy_decide(&p, &info, 0, &d) == CK_OK) {
		if (d.n_dns == 0 || d.days < 1 || d.days > p.max_days)
			abort();
		for (i = 0; i < d.n_dns; i++) {
			bool ok = p.n_suffixes == 0;

			for (j = 0; j < p.n_suffixes && !ok; j++)
				ok = under(d.dns[i], p.suffixes[j]);
			if (!ok)
				abort();
		}
		ck_ca_decision_clear(&d);
	}
	ck_ca_policy_clear(&p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct ck_ca_policy_opts defaults = {
		.suffixes = "", .key_types = "ec:P-256,ec:P-384,rsa", .disposition = "issue",
		.max_days = CK_CFG_DEF_CA_POLICY_MAX_DAYS, .crl_url = "", .crl_path = "",
		.crl_hours = CK_CFG_DEF_CA_CRL_HOURS
	};
	struct store *st = fuzz_store();
	char *s = malloc(size + 1), *line[FIELDS + NAMES_MAX] = { NULL }, *p;
	struct ck_ca_policy_opts o;
	size_t n = 0;

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	for (p = s; p != NULL && n < FIELDS + NAMES_MAX; n++) {
		line[n] = p;
		p = strchr(p, '\n');
		if (p != NULL)
			*p++ = '\0';
	}
	if (ck_ca_policy_set(st, &defaults) != CK_OK)
		abort();
	o = (struct ck_ca_policy_opts){ .suffixes = line[0], .key_types = line[1],
					.disposition = line[2],
					.max_days = cli_number(line[3], 1, 36500),
					.crl_url = line[4], .crl_path = line[5],
					.crl_hours = cli_number(line[6], 1, 24 * 3660) };
	check_loaded(st, &o, ck_ca_policy_set(st, &o) == CK_OK);
	if (n > FIELDS)
		check_decision(st, line + FIELDS, n - FIELDS);
	free(s);
	return 0;
}

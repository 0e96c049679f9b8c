/*
 * config.c - the configuration keys from config.def, their typed getters
 * and the checks of their values (DESIGN.md §2, §10; config.h).
 *
 * A getter never fails on a bad stored value: the config table can hold
 * anything (an older certkeep, sqlite3), so a value that does not parse
 * reads as the key's default, as it always has. Only setting a value
 * checks it.
 */
#include "core/events/config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/names.h"
#include "base/strlist.h"
#include "base/text.h"
#include "mail/addr.h"

#define VALUE_MAX 16384

const struct ck_config_key ck_config_keys[] = {
#define CK_CONFIG_INT(e, name, min, max, def, set_by, help)                                    \
	[CK_CFG_##e] = { name, CK_CFG_INT, min, max, NULL, #def, false, false, set_by, help },
#define CK_CONFIG(e, name, type, min, max, choices, def, secret, set_by, help)                \
	[CK_CFG_##e] = { name, type, min, max, choices, def, false, secret, set_by, help },
#define CK_EXIT_KEY(e, name, type, min, max, def, per_group, secret, help)
#include "core/events/config.def"
#undef CK_CONFIG_INT
#undef CK_CONFIG
#undef CK_EXIT_KEY
};
const size_t ck_config_n_keys = sizeof(ck_config_keys) / sizeof(ck_config_keys[0]);

const struct ck_config_key ck_reg_keys[] = {
#define CK_CONFIG_INT(e, name, min, max, def, set_by, help)
#define CK_CONFIG(e, name, type, min, max, choices, def, secret, set_by, help)
#define CK_EXIT_KEY(e, name, type, min, max, def, per_group, secret, help)                     \
	[CK_REG_##e] = { name, type, min, max, NULL, def, per_group, secret, NULL, help },
#include "core/events/config.def"
#undef CK_CONFIG_INT
#undef CK_CONFIG
#undef CK_EXIT_KEY
};
const size_t ck_reg_n_keys = sizeof(ck_reg_keys) / sizeof(ck_reg_keys[0]);

const char *ck_config_name(enum ck_config_id id)
{
	return ck_config_keys[id].name;
}

const struct ck_config_key *ck_config_find(const char *name)
{
	size_t i;

	for (i = 0; i < ck_config_n_keys; i++)
		if (strcasecmp(name, ck_config_keys[i].name) == 0)
			return &ck_config_keys[i];
	return NULL;
}

const char *ck_config_type_name(enum ck_config_type t)
{
	static const char *const names[] = {
		[CK_CFG_STRING] = "string",	    [CK_CFG_HOST] = "host",
		[CK_CFG_PATH] = "path",		    [CK_CFG_INT] = "int",
		[CK_CFG_BOOL] = "bool",		    [CK_CFG_TLS] = "tls",
		[CK_CFG_FILTER] = "filter",	    [CK_CFG_LIST] = "list",
		[CK_CFG_ADDRS] = "addresses",	    [CK_CFG_FORMAT] = "format",
		[CK_CFG_LINES] = "lines",	    [CK_CFG_SECRET] = "secret",
		[CK_CFG_DAYS] = "days",		    [CK_CFG_NAME] = "name",
		[CK_CFG_THUMBPRINT] = "thumbprint", [CK_CFG_SUFFIXES] = "suffixes",
		[CK_CFG_KEY_TYPES] = "key-types",   [CK_CFG_CHOICE] = "choice",
		[CK_CFG_URL] = "url",
	};

	return names[t];
}

/* ---- reading ---- */

enum ck_err ck_config_stored(struct store *st, enum ck_config_id id, char **out)
{
	enum ck_err rc = store_config_get(st, ck_config_keys[id].name, out);

	if (rc == CK_ENOTFOUND)
		ck_errmsg_clear();
	return rc;
}

enum ck_err ck_config_string(struct store *st, enum ck_config_id id, char **out)
{
	enum ck_err rc = ck_config_stored(st, id, out);

	if (rc == CK_OK && (*out)[0] != '\0')
		return CK_OK;
	if (rc != CK_OK && rc != CK_ENOTFOUND)
		return rc;
	free(*out);
	*out = strdup(ck_config_keys[id].def);
	return *out ? CK_OK : ck_fail(CK_ENOMEM, "out of memory");
}

long ck_config_int(struct store *st, enum ck_config_id id)
{
	const struct ck_config_key *k = &ck_config_keys[id];

	return store_config_int(st, k->name, k->min, k->max, (int)strtol(k->def, NULL, 10));
}

static int truth(const char *s)
{
	static const char *const yes[] = { "1", "on", "true", "yes" };
	static const char *const no[] = { "0", "off", "false", "no" };
	size_t i;

	for (i = 0; i < 4; i++) {
		if (strcasecmp(s, yes[i]) == 0)
			return 1;
		if (strcasecmp(s, no[i]) == 0)
			return 0;
	}
	return -1;
}

bool ck_config_bool(struct store *st, enum ck_config_id id)
{
	char *v = NULL;
	int t = -1;

	if (ck_config_stored(st, id, &v) == CK_OK)
		t = truth(v);
	free(v);
	ck_errmsg_clear();
	return t < 0 ? truth(ck_config_keys[id].def) == 1 : t == 1;
}

size_t ck_config_days(struct store *st, enum ck_config_id id, int *out, size_t max)
{
	const struct ck_config_key *k = &ck_config_keys[id];
	char *v = NULL, *p, *end;
	size_t n = 0;

	if (ck_config_string(st, id, &v) != CK_OK) {
		ck_errmsg_clear();
		v = strdup(k->def);
	}
	for (p = v; p && *p && n < max; p = *end ? end + 1 : end) {
		long d = strtol(p, &end, 10);

		if (end == p)
			break;
		if (d >= k->min && d <= k->max)
			out[n++] = (int)d;
	}
	free(v);
	return n;
}

/* ---- writing ---- */

enum ck_err ck_config_put(struct store *st, enum ck_config_id id, const char *value)
{
	return store_config_set(st, ck_config_keys[id].name, value);
}

enum ck_err ck_config_put_int(struct store *st, enum ck_config_id id, long value)
{
	const struct ck_config_key *k = &ck_config_keys[id];
	char num[32];

	if (value < k->min || value > k->max)
		return ck_fail(CK_EINVAL, "%s must be from %ld to %ld", k->name, k->min, k->max);
	snprintf(num, sizeof(num), "%ld", value);
	return ck_config_put(st, id, num);
}

/* A boolean is stored as its default is spelt: on/off, or 1/0. */
static const char *bool_form(const struct ck_config_key *k, bool on)
{
	bool words = k->def && isalpha((unsigned char)k->def[0]);

	return words ? (on ? "on" : "off") : (on ? "1" : "0");
}

enum ck_err ck_config_put_bool(struct store *st, enum ck_config_id id, bool on)
{
	return ck_config_put(st, id, bool_form(&ck_config_keys[id], on));
}

/* ---- checking ---- */

/* Splits a comma list into *items, spaces around items trimmed, empty
 * items dropped. */
static enum ck_err split_commas(const char *s, size_t item_max, char ***items, size_t *n)
{
	const char *p = s;
	char *item = malloc(item_max + 1);
	enum ck_err rc = CK_OK;

	if (item == NULL)
		return ck_fail(CK_ENOMEM, "out of memory");
	while (rc == CK_OK && p && *p) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		while (len > 0 && *p == ' ')
			p++, len--;
		while (len > 0 && p[len - 1] == ' ')
			len--;
		if (len > item_max) {
			rc = ck_fail(CK_EINVAL, "list item too long: '%.40s...'", p);
			break;
		}
		memcpy(item, p, len);
		item[len] = '\0';
		if (len > 0)
			rc = ck_strlist_push(items, n, item);
		p = end ? end + 1 : NULL;
	}
	free(item);
	return rc;
}

static enum ck_err parse_int(const struct ck_config_key *k, const char *label, const char *in,
			     char **out)
{
	char *end, buf[32];
	long v;

	errno = 0;
	v = strtol(in, &end, 0);
	if (errno || *end || end == in)
		return ck_fail(CK_EINVAL, "%s: '%.32s' is not a number", label, in);
	if (v < k->min || v > k->max)
		return ck_fail(CK_EINVAL, "%s must be from %ld to %ld", label, k->min, k->max);
	snprintf(buf, sizeof(buf), "%ld", v);
	*out = strdup(buf);
	return *out ? CK_OK : ck_fail(CK_ENOMEM, "out of memory");
}

static enum ck_err parse_bool(const struct ck_config_key *k, const char *in, char **out)
{
	int t = truth(in);

	if (t < 0)
		return ck_fail(CK_EINVAL, "'%.32s' is not on or off", in);
	*out = strdup(bool_form(k, t == 1));
	return *out ? CK_OK : ck_fail(CK_ENOMEM, "out of memory");
}

/* Numbers of days, each in [min, max], kept in their order. */
static enum ck_err parse_days(const struct ck_config_key *k, const char *label, const char *in,
			      char **out)
{
	char **items = NULL, buf[CK_CONFIG_DAYS_MAX * 12];
	size_t n = 0, i, off = 0;
	enum ck_err rc = split_commas(in, 32, &items, &n);

	if (rc == CK_OK && n == 0)
		rc = ck_fail(CK_EINVAL, "%s: give at least one number of days", label);
	if (rc == CK_OK && n > CK_CONFIG_DAYS_MAX)
		rc = ck_fail(CK_EINVAL, "%s takes at most %d numbers of days", label,
			     CK_CONFIG_DAYS_MAX);
	for (i = 0; rc == CK_OK && i < n; i++) {
		char *end;
		long d;

		errno = 0;
		d = strtol(items[i], &end, 10);
		if (errno || *end || end == items[i])
			rc = ck_fail(CK_EINVAL, "%s: '%.32s' is not a number of days", label, items[i]);
		else if (d < k->min || d > k->max)
			rc = ck_fail(CK_EINVAL, "%s: each number of days must be from %ld to %ld", label,
				     k->min, k->max);
		else
			off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s%ld", i ? "," : "", d);
	}
	ck_strlist_free(items, n);
	if (rc == CK_OK)
		rc = (*out = strdup(buf)) ? CK_OK : ck_fail(CK_ENOMEM, "out of memory");
	return rc;
}

/* Domain suffixes, a leading dot dropped, normalised, joined by commas. */
static enum ck_err parse_suffixes(const char *label, const char *in, char **out)
{
	char **lst = NULL, buf[4096];
	size_t count = 0, i, off = 0;
	enum ck_err rc = split_commas(in, CK_DOMAIN_MAX + 1, &lst, &count);

	buf[0] = '\0';
	for (i = 0; rc == CK_OK && i < count; i++) {
		char norm[CK_DOMAIN_MAX + 1];
		const char *s = lst[i][0] == '.' ? lst[i] + 1 : lst[i];

		rc = ck_domain_normalize(s, false, norm, sizeof(norm));
		if (rc != CK_OK)
			ck_errmsg_prefix("%s", label);
		if (rc == CK_OK && off + strlen(norm) + 2 >= sizeof(buf))
			rc = ck_fail(CK_EINVAL, "suffix list too long");
		if (rc == CK_OK)
			off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s%s", off ? "," : "",
						norm);
	}
	ck_strlist_free(lst, count);
	if (rc == CK_OK)
		rc = (*out = strdup(buf)) ? CK_OK : ck_fail(CK_ENOMEM, "out of memory");
	return rc;
}

/* Key types the CA may certify; kept as given (the policy reads it back
 * with the same split). */
static enum ck_err parse_key_types(const char *label, const char *in, char **out)
{
	char **lst = NULL;
	size_t count = 0, i;
	enum ck_err rc = split_commas(in, CK_DOMAIN_MAX + 1, &lst, &count);

	if (rc == CK_OK && count == 0)
		rc = ck_fail(CK_EINVAL, "%s: give at least one key type", label);
	for (i = 0; rc == CK_OK && i < count; i++) {
		const char *t = lst[i];
		char *end = NULL;

		if (strcmp(t, "ec:P-256") == 0 || strcmp(t, "ec:P-384") == 0 || strcmp(t, "rsa") == 0)
			continue;
		if (strncmp(t, "rsa:", 4) == 0) {
			long bits = strtol(t + 4, &end, 10);

			if (*end == '\0' && bits >= 2048 && bits <= 16384)
				continue;
		}
		rc = ck_fail(CK_EINVAL,
			     "%s: unknown key type '%.40s': use ec:P-256, ec:P-384, rsa or rsa:BITS "
			     "(2048 or more)",
			     label, t);
	}
	ck_strlist_free(lst, count);
	if (rc == CK_OK)
		rc = (*out = strdup(in)) ? CK_OK : ck_fail(CK_ENOMEM, "out of memory");
	return rc;
}

static enum ck_err parse_choice(const struct ck_config_key *k, const char *label,
				const char *in, char **out)
{
	const char *p = k->choices;
	size_t n = strlen(in);
	char list[256] = "";

	while (p && *p) {
		size_t l = strcspn(p, "|");

		if (l == n && strncmp(p, in, n) == 0)
			return (*out = strdup(in)) ? CK_OK : ck_fail(CK_ENOMEM, "out of memory");
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%.*s",
			 list[0] == '\0' ? "" : p[l] ? ", " : " or ", (int)l, p);
		p += l;
		if (*p)
			p++;
	}
	return ck_fail(CK_EINVAL, "%s takes %s", label, list);
}

/* The URL goes into certificates as an IA5String: ASCII only. */
static enum ck_err parse_url(const char *label, const char *in, char **out)
{
	size_t n = strlen(in), i;
	bool ok = n <= 1024 && (strncmp(in, "http://", 7) == 0 || strncmp(in, "https://", 8) == 0 ||
				strncmp(in, "ldap://", 7) == 0);

	for (i = 0; ok && i < n; i++)
		ok = (unsigned char)in[i] > 0x20 && (unsigned char)in[i] < 0x7f;
	if (!ok)
		return ck_fail(CK_EINVAL, "%s must be an http://, https:// or ldap:// URL", label);
	*out = strdup(in);
	return *out ? CK_OK : ck_fail(CK_ENOMEM, "out of memory");
}

static enum ck_err parse_thumbprint(const char *label, const char *in, char **out)
{
	if (strlen(in) != 40 || strspn(in, "0123456789abcdefABCDEF") != 40)
		return ck_fail(CK_EINVAL, "%s: a thumbprint is 40 hexadecimal digits", label);
	*out = strdup(in);
	return *out ? CK_OK : ck_fail(CK_ENOMEM, "out of memory");
}

enum ck_err ck_config_parse(const struct ck_config_key *k, const char *label, const char *input,
			    char **out)
{
	size_t len = strlen(input);
	char norm[CK_DOMAIN_MAX + 1];
	enum ck_err rc;

	*out = NULL;
	if (len > VALUE_MAX)
		return ck_fail(CK_EINVAL, "%s: value longer than %d bytes", label, VALUE_MAX);
	if (!ck_header_safe(input, len))
		return ck_fail(CK_EINVAL, "%s: control characters (CR, LF, NUL) are not allowed",
			       label);
	if (!ck_utf8_valid(input))
		return ck_fail(CK_EINVAL, "%s must be UTF-8 text", label);
	if (len == 0)
		return (*out = strdup("")) ? CK_OK : ck_fail(CK_ENOMEM, "out of memory");
	switch (k->type) {
	case CK_CFG_STRING:
		break;
	case CK_CFG_HOST:
		if (len > 253 || strspn(input, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
					       "0123456789.-:") != len || input[0] == '-')
			return ck_fail(CK_EINVAL, "%s: '%.64s' is not a host name or IP address",
				       label, input);
		break;
	case CK_CFG_PATH:
		if (input[0] != '/')
			return ck_fail(CK_EINVAL, "%s: give an absolute file name", label);
		break;
	case CK_CFG_INT:
		return parse_int(k, label, input, out);
	case CK_CFG_BOOL:
		return parse_bool(k, input, out);
	case CK_CFG_DAYS:
		return parse_days(k, label, input, out);
	case CK_CFG_NAME:
		rc = ck_domain_normalize(input, false, norm, sizeof(norm));
		if (rc != CK_OK) {
			ck_errmsg_prefix("%s", label);
			return rc;
		}
		return (*out = strdup(norm)) ? CK_OK : ck_fail(CK_ENOMEM, "out of memory");
	case CK_CFG_THUMBPRINT:
		return parse_thumbprint(label, input, out);
	case CK_CFG_SUFFIXES:
		return parse_suffixes(label, input, out);
	case CK_CFG_KEY_TYPES:
		return parse_key_types(label, input, out);
	case CK_CFG_CHOICE:
		return parse_choice(k, label, input, out);
	case CK_CFG_URL:
		return parse_url(label, input, out);
	case CK_CFG_TLS:
	case CK_CFG_FILTER:
	case CK_CFG_LIST:
	case CK_CFG_ADDRS:
	case CK_CFG_FORMAT:
	case CK_CFG_LINES:
	case CK_CFG_SECRET:
		return ck_fail(CK_EINVAL, "%s: an exit module key (ca setreg)", label);
	}
	*out = strdup(input);
	return *out ? CK_OK : ck_fail(CK_ENOMEM, "out of memory");
}

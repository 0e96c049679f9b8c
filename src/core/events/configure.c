/*
 * configure.c - 'config get | set' over every key of config.def
 * (DESIGN.md §10; configure.h).
 *
 * The config table's own keys are checked here with ck_config_parse; the
 * exit module's go through ck_reg_set, so 'config set exit.smtp.issued.to'
 * and 'ca setreg exit\smtp\Issued\To' are one operation with one set of
 * checks. A failed check is a usage error (exit status 2): the value, not
 * the store, was wrong, and nothing is written.
 */
#include "core/events/configure.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/suggest.h"
#include "core/events/config.h"
#include "core/events/exitreg.h"
#include "mail/addr.h"

#define NAME_MAX_LEN 128

/* "exit.smtp.smtpport", "exit.smtp.issued.to": an exit key as stored. */
static void exit_name(const struct ck_exit_group *g, const struct ck_config_key *k, char *out,
		      size_t n)
{
	size_t i;

	if (g)
		snprintf(out, n, "exit.smtp.%s.%s", g->name, k->name);
	else
		snprintf(out, n, "exit.smtp.%s", k->name);
	for (i = 0; out[i]; i++)
		out[i] = (char)tolower((unsigned char)out[i]);
}

static bool is_exit_name(const char *s)
{
	return strncasecmp(s, "exit", 4) == 0 && strchr(".\\/", s[4]) != NULL;
}

/* An exit key's config name in setreg's spelling: exit\smtp\issued\to. */
static void reg_spelling(const char *in, char *out, size_t n)
{
	size_t i;

	snprintf(out, n, "%s", in);
	for (i = 0; out[i]; i++)
		if (out[i] == '.' || out[i] == '/')
			out[i] = '\\';
}

/* The candidate nearer than any before it, copied to out. */
static void consider(struct ck_nearest *near, const char *cand, char *out, size_t n)
{
	if (ck_nearest_consider(near, cand))
		snprintf(out, n, "%s", cand);
}

void ck_configure_suggest(const char *in, char *out, size_t n)
{
	char cand[NAME_MAX_LEN];
	struct ck_nearest near;
	size_t i, g;

	ck_nearest_init(&near, in);
	for (i = 0; i < ck_config_n_keys; i++)
		consider(&near, ck_config_keys[i].name, out, n);
	for (i = 0; i < ck_reg_n_keys; i++) {
		if (ck_reg_keys[i].per_group)
			continue;
		exit_name(NULL, &ck_reg_keys[i], cand, sizeof(cand));
		consider(&near, cand, out, n);
	}
	for (g = 0; g < ck_exit_n_groups; g++)
		for (i = 0; i < ck_reg_n_keys; i++) {
			if (!ck_reg_keys[i].per_group)
				continue;
			exit_name(&ck_exit_groups[g], &ck_reg_keys[i], cand, sizeof(cand));
			consider(&near, cand, out, n);
		}
}

static enum ck_err unknown_key(const char *in)
{
	char near[NAME_MAX_LEN] = "";

	ck_configure_suggest(in, near, sizeof(near));
	if (!ck_header_safe(in, strlen(in)))
		return ck_fail(CK_EUSAGE, "unknown key (with control characters): did you mean %s?",
			       near);
	return ck_fail(CK_EUSAGE, "unknown key '%.100s': did you mean %s?", in, near);
}

/* ---- get ---- */

static enum ck_err add_bounds(json_t *o, const struct ck_config_key *k)
{
	if (k->type != CK_CFG_INT && k->type != CK_CFG_DAYS)
		return CK_OK;
	if (json_object_set_new(o, "Min", json_integer(k->min)) != 0 ||
	    json_object_set_new(o, "Max", json_integer(k->max)) != 0)
		return ck_fail(CK_ENOMEM, "out of memory");
	return CK_OK;
}

/* The value in effect of a config table key, as config set stores it. */
static enum ck_err effective(struct store *st, enum ck_config_id id, char **out)
{
	const struct ck_config_key *k = &ck_config_keys[id];
	char buf[CK_CONFIG_DAYS_MAX * 12] = "";
	int days[CK_CONFIG_DAYS_MAX];
	size_t n, i, off = 0;
	bool words = isalpha((unsigned char)k->def[0]);

	switch (k->type) {
	case CK_CFG_INT:
		snprintf(buf, sizeof(buf), "%ld", ck_config_int(st, id));
		break;
	case CK_CFG_BOOL:
		snprintf(buf, sizeof(buf), "%s",
			 ck_config_bool(st, id) ? (words ? "on" : "1") : (words ? "off" : "0"));
		break;
	case CK_CFG_DAYS:
		n = ck_config_days(st, id, days, CK_CONFIG_DAYS_MAX);
		for (i = 0; i < n; i++)
			off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s%d", i ? "," : "",
						days[i]);
		break;
	default:
		return ck_config_string(st, id, out);
	}
	*out = strdup(buf);
	return *out ? CK_OK : ck_fail(CK_ENOMEM, "out of memory");
}

static enum ck_err add_config_key(struct store *st, enum ck_config_id id, json_t *arr)
{
	const struct ck_config_key *k = &ck_config_keys[id];
	char *val = NULL, *raw = NULL;
	bool set = ck_config_stored(st, id, &raw) == CK_OK && raw[0] != '\0';
	enum ck_err rc = CK_OK;
	json_t *o;

	free(raw);
	ck_errmsg_clear();
	if (!k->secret)
		rc = effective(st, id, &val);
	if (rc != CK_OK)
		return rc;
	o = json_pack("{s:s, s:s, s:s, s:b, s:s, s:b}", "Key", k->name, "Value",
		      k->secret ? (set ? "set" : "unset") : val, "Default",
		      k->secret ? "unset" : k->def, "Set", set, "Type", ck_config_type_name(k->type),
		      "Secret", k->secret);
	free(val);
	if (o == NULL)
		return ck_fail(CK_ENOMEM, "out of memory");
	rc = add_bounds(o, k);
	if (rc == CK_OK && k->set_by &&
	    json_object_set_new(o, "SetBy", json_string(k->set_by)) != 0)
		rc = ck_fail(CK_ENOMEM, "out of memory");
	if (rc == CK_OK && json_array_append_new(arr, o) != 0)
		return ck_fail(CK_ENOMEM, "out of memory");
	if (rc != CK_OK)
		json_decref(o);
	return rc;
}

static enum ck_err add_exit_key(struct store *st, const struct ck_exit_group *g,
				const struct ck_config_key *k, json_t *arr)
{
	struct ck_reg_ref ref = { k, g, "" };
	char name[NAME_MAX_LEN];
	json_t *v = NULL, *def = NULL, *o;
	bool set = false;
	enum ck_err rc;

	if (g)
		snprintf(ref.name, sizeof(ref.name), "exit\\smtp\\%s\\%s", g->name, k->name);
	else
		snprintf(ref.name, sizeof(ref.name), "exit\\smtp\\%s", k->name);
	rc = ck_reg_entry(st, &ref, &v, &def, &set);
	if (rc != CK_OK)
		return rc;
	exit_name(g, k, name, sizeof(name));
	o = json_pack("{s:s, s:o, s:o, s:b, s:s, s:b}", "Key", name, "Value", v, "Default", def,
		      "Set", set, "Type", ck_config_type_name(k->type), "Secret", k->secret);
	if (o == NULL)
		return ck_fail(CK_ENOMEM, "out of memory");
	rc = add_bounds(o, k);
	if (rc == CK_OK && json_array_append_new(arr, o) != 0)
		return ck_fail(CK_ENOMEM, "out of memory");
	if (rc != CK_OK)
		json_decref(o);
	return rc;
}

static enum ck_err add_exit_group(struct store *st, const struct ck_exit_group *g, json_t *arr)
{
	enum ck_err rc = CK_OK;
	size_t i;

	for (i = 0; rc == CK_OK && i < ck_reg_n_keys; i++)
		if (ck_reg_keys[i].per_group)
			rc = add_exit_key(st, g, &ck_reg_keys[i], arr);
	return rc;
}

static enum ck_err add_all(struct store *st, json_t *arr)
{
	enum ck_err rc = CK_OK;
	size_t i;

	for (i = 0; rc == CK_OK && i < ck_config_n_keys; i++)
		rc = add_config_key(st, (enum ck_config_id)i, arr);
	for (i = 0; rc == CK_OK && i < ck_reg_n_keys; i++)
		if (!ck_reg_keys[i].per_group)
			rc = add_exit_key(st, NULL, &ck_reg_keys[i], arr);
	for (i = 0; rc == CK_OK && i < ck_exit_n_groups; i++)
		rc = add_exit_group(st, &ck_exit_groups[i], arr);
	return rc;
}

enum ck_err ck_configure_get(struct store *st, const char *key, json_t **out)
{
	const struct ck_config_key *k = key ? ck_config_find(key) : NULL;
	json_t *arr = json_array();
	struct ck_reg_ref ref;
	char reg[NAME_MAX_LEN];
	enum ck_err rc;

	if (arr == NULL)
		return ck_fail(CK_ENOMEM, "out of memory");
	if (key == NULL) {
		rc = add_all(st, arr);
	} else if (k) {
		rc = add_config_key(st, (enum ck_config_id)(k - ck_config_keys), arr);
	} else if (is_exit_name(key) && strlen(key) < sizeof(reg)) {
		reg_spelling(key, reg, sizeof(reg));
		if (ck_reg_lookup(reg, true, &ref) != CK_OK)
			rc = unknown_key(key);
		else if (ref.key)
			rc = add_exit_key(st, ref.group, ref.key, arr);
		else
			rc = add_exit_group(st, ref.group, arr);
	} else {
		rc = unknown_key(key);
	}
	if (rc != CK_OK) {
		json_decref(arr);
		return rc;
	}
	*out = arr;
	return CK_OK;
}

/* ---- set ---- */

static enum ck_err set_config_key(struct store *st, const struct ck_config_key *k,
				  const char *value)
{
	char *stored = NULL;
	enum ck_err rc;

	if (k->set_by)
		return ck_fail(CK_EUSAGE, "%s is set with 'certkeep %s' (it changes more than the key)",
			       k->name, k->set_by);
	rc = ck_config_parse(k, k->name, value, &stored);
	if (rc == CK_EINVAL)
		rc = CK_EUSAGE;
	if (rc == CK_OK)
		rc = store_begin(st);
	if (rc == CK_OK) {
		rc = ck_config_put(st, (enum ck_config_id)(k - ck_config_keys), stored);
		if (rc == CK_OK)
			rc = store_commit(st);
		else
			store_rollback(st);
	}
	free(stored);
	return rc;
}

enum ck_err ck_configure_set(struct store *st, const char *key, const char *value)
{
	const struct ck_config_key *k = ck_config_find(key);
	struct ck_reg_ref ref;
	char reg[NAME_MAX_LEN];
	enum ck_err rc;

	if (k)
		return set_config_key(st, k, value);
	if (!is_exit_name(key) || strlen(key) >= sizeof(reg))
		return unknown_key(key);
	reg_spelling(key, reg, sizeof(reg));
	if (ck_reg_lookup(reg, false, &ref) != CK_OK)
		return unknown_key(key);
	rc = ck_reg_set(st, ref.name, value);
	return rc == CK_EINVAL ? CK_EUSAGE : rc;
}

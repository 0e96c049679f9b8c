/*
 * test_config.c - unit tests for the table of configuration keys
 * (src/core/events/config.def, config.h, configure.h; DESIGN.md §10).
 *
 * Covers: every key has a name, help and a default that its own type
 * accepts (integers inside their bounds), names are unique; the getters
 * read a bad or empty stored value as the default and booleans keep the
 * spelling of their default; each type's checks and normal forms; config
 * set: bounds, unknown keys with the nearest name, keys other commands
 * own, the exit module's keys as ca setreg sets them, nothing changed on
 * a refusal.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/events/config.h"
#include "core/events/configure.h"
#include "core/events/exitreg.h"
#include "unit_util.h"

static int setup(void **state)
{
	*state = fx_new("config", 0);
	return 0;
}

static int teardown(void **state)
{
	fx_free(*state);
	return 0;
}

static void put_raw(struct store *st, const char *key, const char *value)
{
	assert_int_equal(store_begin(st), CK_OK);
	assert_int_equal(store_config_set(st, key, value), CK_OK);
	assert_int_equal(store_commit(st), CK_OK);
}

static void test_every_key_is_described(void **state)
{
	size_t i, j;

	(void)state;
	assert_int_equal(ck_config_n_keys, CK_CFG_N_KEYS);
	for (i = 0; i < ck_config_n_keys + ck_reg_n_keys; i++) {
		const struct ck_config_key *k =
			i < ck_config_n_keys ? &ck_config_keys[i] : &ck_reg_keys[i - ck_config_n_keys];
		char *out = NULL;

		assert_non_null(k->name);
		assert_non_null(k->help);
		if (strlen(k->help) < 10)
			fail_msg("%s: no help", k->name);
		if (i < ck_config_n_keys) {
			assert_non_null(k->def);
			/* The default is a value the key itself accepts. */
			if (ck_config_parse(k, k->name, k->def, &out) != CK_OK)
				fail_msg("%s: default '%s' refused: %s", k->name, k->def, ck_errmsg());
			assert_string_equal(out, k->def);
			free(out);
			assert_ptr_equal(ck_config_find(k->name), k);
			assert_string_equal(ck_config_name((enum ck_config_id)i), k->name);
		}
		if (k->type == CK_CFG_INT && k->def) {
			long d = strtol(k->def, NULL, 10);

			if (d < k->min || d > k->max)
				fail_msg("%s: default %ld outside [%ld, %ld]", k->name, d, k->min, k->max);
		}
		if (k->type == CK_CFG_CHOICE)
			assert_non_null(k->choices);
		for (j = 0; j < i && j < ck_config_n_keys; j++)
			if (strcmp(ck_config_keys[j].name, k->name) == 0)
				fail_msg("key %s twice", k->name);
	}
	assert_int_equal(CK_CFG_DEF_RENEW_MAX_PER_PASS, 50);
	assert_int_equal(CK_CFG_DEF_CA_POLICY_MAX_DAYS, 825);
	assert_int_equal(CK_CFG_DEF_CA_CRL_HOURS, 168);
	assert_string_equal(ck_config_name(CK_CFG_RENEW_MAX_PER_PASS), "renew.max_per_pass");
	assert_non_null(ck_config_find("Renew.Max_Per_Pass"));
	assert_null(ck_config_find("renew.max"));
}

static void test_getters_fall_back(void **state)
{
	struct fx *fx = *state;
	int days[CK_CONFIG_DAYS_MAX];
	char *v = NULL;

	/* Unset: the defaults. */
	assert_int_equal(ck_config_int(fx->st, CK_CFG_RENEW_MAX_PER_PASS), 50);
	assert_false(ck_config_bool(fx->st, CK_CFG_AUTORENEW));
	assert_int_equal(ck_config_days(fx->st, CK_CFG_MONITOR_THRESHOLDS, days, 8), 3);
	assert_int_equal(days[0], 30);
	assert_int_equal(ck_config_stored(fx->st, CK_CFG_CA_CRL_URL, &v), CK_ENOTFOUND);
	assert_string_equal(ck_errmsg(), "");
	assert_int_equal(ck_config_string(fx->st, CK_CFG_CA_POLICY_KEY_TYPES, &v), CK_OK);
	assert_string_equal(v, "ec:P-256,ec:P-384,rsa");
	free(v);
	/* What sqlite3 or an older version may have left: read as the default. */
	put_raw(fx->st, "renew.max_per_pass", "lots");
	assert_int_equal(ck_config_int(fx->st, CK_CFG_RENEW_MAX_PER_PASS), 50);
	put_raw(fx->st, "renew.max_per_pass", "100001");
	assert_int_equal(ck_config_int(fx->st, CK_CFG_RENEW_MAX_PER_PASS), 50);
	put_raw(fx->st, "renew.max_per_pass", "7");
	assert_int_equal(ck_config_int(fx->st, CK_CFG_RENEW_MAX_PER_PASS), 7);
	put_raw(fx->st, "monitor.thresholds", "14,0,9999,3,x,5");
	assert_int_equal(ck_config_days(fx->st, CK_CFG_MONITOR_THRESHOLDS, days, 8), 2);
	assert_int_equal(days[0], 14);
	assert_int_equal(days[1], 3);
	put_raw(fx->st, "ca.policy.key_types", "");
	assert_int_equal(ck_config_string(fx->st, CK_CFG_CA_POLICY_KEY_TYPES, &v), CK_OK);
	assert_string_equal(v, "ec:P-256,ec:P-384,rsa");
	free(v);
	/* An empty host name is stored as it is: it means "none". */
	put_raw(fx->st, "host.cluster_fqdn", "");
	assert_int_equal(ck_config_stored(fx->st, CK_CFG_HOST_CLUSTER_FQDN, &v), CK_OK);
	assert_string_equal(v, "");
	free(v);
	/* Booleans are stored as their default is spelt. */
	assert_int_equal(store_begin(fx->st), CK_OK);
	assert_int_equal(ck_config_put_bool(fx->st, CK_CFG_AUTORENEW, true), CK_OK);
	assert_int_equal(ck_config_put_int(fx->st, CK_CFG_RENEW_DAYS, 100001), CK_EINVAL);
	assert_int_equal(store_commit(fx->st), CK_OK);
	assert_int_equal(ck_config_stored(fx->st, CK_CFG_AUTORENEW, &v), CK_OK);
	assert_string_equal(v, "on");
	free(v);
	assert_true(ck_config_bool(fx->st, CK_CFG_AUTORENEW));
}

static void parses(enum ck_config_id id, const char *in, const char *want)
{
	char *out = NULL;

	if (ck_config_parse(&ck_config_keys[id], ck_config_name(id), in, &out) != CK_OK)
		fail_msg("%s '%s' refused: %s", ck_config_name(id), in, ck_errmsg());
	assert_string_equal(out, want);
	free(out);
}

static void refused(enum ck_config_id id, const char *in, const char *msg)
{
	char *out = NULL;

	if (ck_config_parse(&ck_config_keys[id], ck_config_name(id), in, &out) == CK_OK)
		fail_msg("%s '%s' accepted as '%s'", ck_config_name(id), in, out);
	assert_null(out);
	if (strstr(ck_errmsg(), msg) == NULL)
		fail_msg("expected \"%s\" in \"%s\"", msg, ck_errmsg());
}

static void test_types(void **state)
{
	(void)state;
	parses(CK_CFG_RENEW_MAX_PER_PASS, "0", "0");
	parses(CK_CFG_RENEW_MAX_PER_PASS, "100000", "100000");
	parses(CK_CFG_RENEW_MAX_PER_PASS, "", "");
	refused(CK_CFG_RENEW_MAX_PER_PASS, "100001", "must be from 0 to 100000");
	refused(CK_CFG_RENEW_MAX_PER_PASS, "-1", "must be from 0 to 100000");
	refused(CK_CFG_RENEW_MAX_PER_PASS, "5 ", "is not a number");
	parses(CK_CFG_AUTORENEW, "YES", "on");
	parses(CK_CFG_AUTORENEW, "0", "off");
	refused(CK_CFG_AUTORENEW, "maybe", "not on or off");
	parses(CK_CFG_MONITOR_THRESHOLDS, " 60, 14 ,2", "60,14,2");
	refused(CK_CFG_MONITOR_THRESHOLDS, "7,0", "from 1 to 3650");
	refused(CK_CFG_MONITOR_THRESHOLDS, "7,x", "not a number of days");
	refused(CK_CFG_MONITOR_THRESHOLDS, "1,2,3,4,5,6,7,8,9", "at most 8");
	refused(CK_CFG_MONITOR_THRESHOLDS, ",", "at least one");
	parses(CK_CFG_CA_POLICY_ALLOWED_SUFFIXES, ".Example.ORG, b.test", "example.org,b.test");
	refused(CK_CFG_CA_POLICY_ALLOWED_SUFFIXES, "a..b", "ca.policy.allowed_suffixes");
	parses(CK_CFG_CA_POLICY_KEY_TYPES, "ec:P-256, rsa:3072", "ec:P-256, rsa:3072");
	refused(CK_CFG_CA_POLICY_KEY_TYPES, "ec:P-521", "unknown key type");
	refused(CK_CFG_CA_POLICY_KEY_TYPES, "rsa:1024", "unknown key type");
	parses(CK_CFG_CA_POLICY_DEFAULT_DISPOSITION, "pending", "pending");
	refused(CK_CFG_CA_POLICY_DEFAULT_DISPOSITION, "Pending", "takes issue or pending");
	parses(CK_CFG_CA_CRL_URL, "http://crl.test.example/ca.crl", "http://crl.test.example/ca.crl");
	refused(CK_CFG_CA_CRL_URL, "ftp://crl.test.example/", "ldap:// URL");
	refused(CK_CFG_CA_CRL_URL, "http://a b", "ldap:// URL");
	refused(CK_CFG_CA_CRL_URL, "http://\xc3\xa9.test", "ldap:// URL");
	parses(CK_CFG_CA_CRL_PATH, "/srv/ca.crl", "/srv/ca.crl");
	refused(CK_CFG_CA_CRL_PATH, "ca.crl", "absolute");
	refused(CK_CFG_CA_CRL_PATH, "/srv/\xff.crl", "UTF-8");
	refused(CK_CFG_CA_CRL_PATH, "/srv/a\r\nb", "control characters");
	parses(CK_CFG_HOST_FQDN, "MX.Test.Example", "mx.test.example");
	refused(CK_CFG_HOST_FQDN, "a..b", "host.fqdn");
	refused(CK_CFG_HOST_CERTIFICATE, "abc", "40 hexadecimal digits");
}

static void test_configure(void **state)
{
	struct fx *fx = *state;
	json_t *list = NULL, *before = NULL, *after = NULL;
	char near[128] = "", *v = NULL;
	size_t i, n_exit = 0;

	assert_int_equal(ck_configure_get(fx->st, NULL, &before), CK_OK);
	for (i = 0; i < json_array_size(before); i++)
		if (strncmp(json_string_value(json_object_get(json_array_get(before, i), "Key")),
			    "exit.smtp.", 10) == 0)
			n_exit++;
	assert_int_equal(json_array_size(before), ck_config_n_keys + n_exit);
	assert_true(n_exit > 12 + 7 * 14);
	/* Refusals are usage errors and change nothing. */
	assert_int_equal(ck_configure_set(fx->st, "renew.max_per_pass", "100001"), CK_EUSAGE);
	assert_int_equal(ck_configure_set(fx->st, "renew.max_per_pas", "1"), CK_EUSAGE);
	assert_non_null(strstr(ck_errmsg(), "did you mean renew.max_per_pass?"));
	assert_int_equal(ck_configure_set(fx->st, "exit.smtp.smtpsever", "x"), CK_EUSAGE);
	assert_non_null(strstr(ck_errmsg(), "did you mean exit.smtp.smtpserver?"));
	assert_int_equal(ck_configure_set(fx->st, "host.fqdn", "x.test.example"), CK_EUSAGE);
	assert_non_null(strstr(ck_errmsg(), "trust names --fqdn"));
	assert_int_equal(ck_configure_set(fx->st, "exit.smtp.smtpport", "0"), CK_EUSAGE);
	assert_int_equal(ck_configure_set(fx->st, "exit.smtp.smtppassword", "pw"), CK_EUSAGE);
	assert_int_equal(ck_configure_get(fx->st, "nope.nope", &list), CK_EUSAGE);
	assert_int_equal(ck_configure_get(fx->st, NULL, &after), CK_OK);
	assert_true(json_equal(before, after));
	json_decref(after);
	ck_configure_suggest("exit.smtp.issued.tp", near, sizeof(near));
	assert_string_equal(near, "exit.smtp.issued.to");
	/* Set, then reset with an empty value. */
	assert_int_equal(ck_configure_set(fx->st, "Renew.Max_Per_Pass", "10"), CK_OK);
	assert_int_equal(ck_config_int(fx->st, CK_CFG_RENEW_MAX_PER_PASS), 10);
	assert_int_equal(ck_configure_get(fx->st, "renew.max_per_pass", &list), CK_OK);
	assert_string_equal(json_string_value(json_object_get(json_array_get(list, 0), "Value")),
			    "10");
	assert_true(json_is_true(json_object_get(json_array_get(list, 0), "Set")));
	assert_int_equal(json_integer_value(json_object_get(json_array_get(list, 0), "Max")), 100000);
	json_decref(list);
	assert_int_equal(ck_configure_set(fx->st, "renew.max_per_pass", ""), CK_OK);
	assert_int_equal(ck_config_int(fx->st, CK_CFG_RENEW_MAX_PER_PASS), 50);
	/* The exit module's keys: the same key as setreg's. */
	assert_int_equal(ck_configure_set(fx->st, "exit.smtp.smtpport", "2525"), CK_OK);
	assert_int_equal(ck_reg_value_of(fx->st, NULL, "SMTPPort", &v), CK_OK);
	assert_string_equal(v, "2525");
	free(v);
	assert_int_equal(ck_reg_set(fx->st, "exit\\smtp\\Issued\\To", "a@test.example"), CK_OK);
	assert_int_equal(ck_configure_get(fx->st, "exit.smtp.issued.to", &list), CK_OK);
	assert_string_equal(
		json_string_value(json_array_get(json_object_get(json_array_get(list, 0), "Value"), 0)),
		"a@test.example");
	json_decref(list);
	assert_int_equal(ck_configure_get(fx->st, "exit.smtp.issued", &list), CK_OK);
	assert_int_equal(json_array_size(list), 7);
	json_decref(list);
	json_decref(before);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_key_is_described),
		cmocka_unit_test_setup_teardown(test_getters_fall_back, setup, teardown),
		cmocka_unit_test(test_types),
		cmocka_unit_test_setup_teardown(test_configure, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

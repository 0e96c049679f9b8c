/*
 * test_events.c - unit tests for the event catalogue (events.def,
 * src/core/events/catalogue.h; DESIGN.md §6).
 *
 * Covers: every event has a name, a source, a level of info, warning or
 * error and its man-page text; ids and names are unique and the enum
 * constants are the published ids; each of the exit module's groups mails
 * exactly one event and each event's group is one of them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/events/catalogue.h"
#include "core/events/exitreg.h"

static void test_every_event_is_described(void **state)
{
	size_t i, j;

	(void)state;
	assert_true(ck_event_n_kinds > 30);
	for (i = 0; i < ck_event_n_kinds; i++) {
		const struct ck_event_kind *k = &ck_event_catalogue[i];

		assert_true(k->id > 0);
		assert_non_null(k->name);
		assert_true(strlen(k->name) > 0);
		assert_non_null(k->source);
		assert_true(strlen(k->source) > 0);
		assert_non_null(k->level);
		if (strcmp(k->level, "info") != 0 && strcmp(k->level, "warning") != 0 &&
		    strcmp(k->level, "error") != 0)
			fail_msg("event %d: level '%s'", k->id, k->level);
		assert_non_null(k->man);
		if (strlen(k->man) < 10)
			fail_msg("event %d: no man text", k->id);
		/* Plain text: the generator escapes it, and it is one paragraph. */
		assert_null(strchr(k->man, '\n'));
		for (j = 0; j < i; j++) {
			if (ck_event_catalogue[j].id == k->id)
				fail_msg("event id %d twice", k->id);
			if (strcmp(ck_event_catalogue[j].name, k->name) == 0)
				fail_msg("event name %s twice", k->name);
		}
		assert_ptr_equal(ck_event_kind(k->id), k);
	}
	assert_null(ck_event_kind(0));
	assert_null(ck_event_kind(1005));
}

static void test_published_ids(void **state)
{
	(void)state;
	/* Users, tasks and filters name these numbers: they never move. */
	assert_int_equal(CK_EV_EXIT_SEND_FAILED, 46);
	assert_int_equal(CK_EV_CERT_REPLACED, 1001);
	assert_int_equal(CK_EV_CERT_EXPIRING, 1003);
	assert_int_equal(CK_EV_DIRECT_TRUST_OUTBOUND, 2019);
	assert_int_equal(CK_EV_RENEWAL_FAILED, 1070);
	assert_int_equal(CK_EV_CA_CERT_ISSUED, 1101);
	assert_int_equal(CK_EV_CA_INITIALIZED, 1110);
	assert_int_equal(CK_EV_STARTTLS_CERT_EXPIRED, 12016);
	assert_string_equal(ck_event_kind(1003)->name, "CertificateAboutToExpire");
	assert_string_equal(ck_event_kind(1003)->level, "warning");
	assert_string_equal(ck_event_kind(12014)->level, "error");
	assert_string_equal(ck_event_kind(1101)->source, "certkeep");
}

static void test_exit_groups_and_events(void **state)
{
	size_t g, i;

	(void)state;
	for (g = 0; g < ck_exit_n_groups; g++) {
		const struct ck_exit_group *grp = &ck_exit_groups[g];
		int n = 0;

		for (i = 0; i < ck_event_n_kinds; i++)
			if (ck_event_catalogue[i].exit_group &&
			    strcmp(ck_event_catalogue[i].exit_group, grp->name) == 0)
				n++;
		if (n != 1)
			fail_msg("exit group %s mails %d events", grp->name, n);
		assert_ptr_equal(ck_exit_group_by_event(ck_exit_group_event(grp)->id), grp);
	}
	for (i = 0; i < ck_event_n_kinds; i++) {
		const struct ck_event_kind *k = &ck_event_catalogue[i];

		if (k->exit_group && ck_exit_group_by_event(k->id) == NULL)
			fail_msg("event %d: no exit group %s", k->id, k->exit_group);
		if (!k->exit_group)
			assert_null(ck_exit_group_by_event(k->id));
	}
	assert_string_equal(ck_exit_group_by_event(1101)->name, "Issued");
	assert_string_equal(ck_exit_group_event(ck_exit_group_match("Expiring"))->name,
			    "CertificateAboutToExpire");
	assert_null(ck_exit_group_by_event(46));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_event_is_described),
		cmocka_unit_test(test_published_ids),
		cmocka_unit_test(test_exit_groups_and_events),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

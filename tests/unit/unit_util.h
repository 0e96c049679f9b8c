/*
 * unit_util.h - what several unit tests share: a throwaway store or
 * directory under /tmp, removing a test's temporary tree, reading the
 * event log, and assertions on text. Include it after cmocka.h.
 */
#ifndef CK_UNIT_UTIL_H
#define CK_UNIT_UTIL_H

#include <dirent.h>
#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/err.h"
#include "store/store.h"

/* Removes path and everything under it (made searchable first, for tests
 * that took permissions away); quietly ignores what is not there. */
static inline void rm_rf(const char *path)
{
	struct stat st;
	struct dirent *e;
	DIR *d;

	if (lstat(path, &st) != 0)
		return;
	if (!S_ISDIR(st.st_mode)) {
		unlink(path);
		return;
	}
	chmod(path, 0700);
	d = opendir(path);
	if (d != NULL) {
		while ((e = readdir(d)) != NULL) {
			char sub[PATH_MAX];

			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
				continue;
			if (snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name) <
			    (int)sizeof(sub))
				rm_rf(sub);
		}
		closedir(d);
	}
	rmdir(path);
}

/* One test's fixture: base is its mkdtemp directory (the store and any
 * test files), dir the store in it (base/store). */
struct fx {
	char base[64];
	char dir[PATH_MAX];
	struct store *st;
};

/* Makes /tmp/ck-test-NAME-XXXXXX and a new store in it; fixes the clock
 * at now unless now is 0. */
static inline struct fx *fx_new(const char *name, int64_t now)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	assert_non_null(fx);
	snprintf(fx->base, sizeof(fx->base), "/tmp/ck-test-%s-XXXXXX", name);
	assert_non_null(mkdtemp(fx->base));
	snprintf(fx->dir, sizeof(fx->dir), "%s/store", fx->base);
	if (now != 0)
		ck_clock_set(now);
	if (store_open(fx->dir, true, &fx->st) != CK_OK)
		fail_msg("store_open: %s", ck_errmsg());
	return fx;
}

static inline void fx_free(struct fx *fx)
{
	ck_clock_reset();
	store_close(fx->st);
	rm_rf(fx->base);
	free(fx);
}

/* A test's own mkdtemp directory, /tmp/ck-test-NAME.XXXXXX with mode,
 * for cmocka's setup and teardown (the state is a struct tmpdir). */
struct tmpdir {
	char dir[64];
};

static inline int tmpdir_setup(void **state, const char *name, mode_t mode)
{
	struct tmpdir *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return -1;
	snprintf(t->dir, sizeof(t->dir), "/tmp/ck-test-%s.XXXXXX", name);
	if (mkdtemp(t->dir) == NULL || chmod(t->dir, mode) != 0) {
		free(t);
		return -1;
	}
	*state = t;
	return 0;
}

static inline int tmpdir_teardown(void **state)
{
	struct tmpdir *t = *state;

	rm_rf(t->dir);
	free(t);
	return 0;
}

static inline bool exists(const char *path)
{
	struct stat sb;

	return lstat(path, &sb) == 0;
}

/* Number of entries in the store's keys/ directory. */
static inline int key_files(const struct fx *fx)
{
	char path[PATH_MAX + 8];
	struct dirent *e;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof(path), "%s/keys", fx->dir);
	d = opendir(path);
	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static inline int count_one_event(const struct store_event *ev, void *arg)
{
	(void)ev;
	(*(int *)arg)++;
	return 0;
}

/* Events with this id (0: all). */
static inline int count_events(struct store *st, int id)
{
	struct store_event_filter f = { .id = id };
	int n = 0;

	assert_int_equal(store_event_each(st, &f, count_one_event, &n), CK_OK);
	return n;
}

static inline int keep_fields(const struct store_event *ev, void *arg)
{
	char **fields = arg;

	free(*fields);
	*fields = strdup(ev->fields);
	return 0;
}

/* The fields of the last event with this id, parsed; the test fails if
 * there is none. New reference. */
static inline json_t *last_event_fields(struct store *st, int id)
{
	struct store_event_filter f = { .id = id };
	char *text = NULL;
	json_t *o;

	assert_int_equal(store_event_each(st, &f, keep_fields, &text), CK_OK);
	if (text == NULL)
		fail_msg("no event %d", id);
	o = json_loads(text, 0, NULL);
	free(text);
	assert_non_null(o);
	assert_true(json_is_object(o));
	return o;
}

static inline void assert_field(const json_t *o, const char *key, const char *value)
{
	const char *got = json_string_value(json_object_get(o, key));

	if (got == NULL || strcmp(got, value) != 0)
		fail_msg("field %s: expected \"%s\", got \"%s\"", key, value, got ? got : "(none)");
}

static inline void assert_contains(const char *hay, const char *needle)
{
	if (hay == NULL || strstr(hay, needle) == NULL)
		fail_msg("expected \"%s\" in \"%s\"", needle, hay ? hay : "(null)");
}

/* The last error message contains needle. */
static inline void assert_msg_contains(const char *needle)
{
	assert_contains(ck_errmsg(), needle);
}

#endif

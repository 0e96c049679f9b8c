/*
 * unit_util.h - what several unit tests share: a throwaway store under
 * /tmp, and removing a test's temporary directory tree. Include it after
 * cmocka.h.
 */
#ifndef CK_UNIT_UTIL_H
#define CK_UNIT_UTIL_H

#include <dirent.h>
#include <limits.h>
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

#endif

/*
 * unit_util.h - what several unit tests share: removing a test's
 * temporary directory tree.
 */
#ifndef CK_UNIT_UTIL_H
#define CK_UNIT_UTIL_H

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

#endif

/*
 * account.c - file readability for a service account, from owner, group,
 * mode and group membership (DESIGN.md §4, §5).
 */
#include "base/account.h"

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_GROUPS 256

struct who {
	uid_t uid;
	gid_t groups[MAX_GROUPS];
	int n_groups;
};

static bool in_groups(const struct who *w, gid_t gid)
{
	int i;

	for (i = 0; i < w->n_groups; i++)
		if (w->groups[i] == gid)
			return true;
	return false;
}

/* The permission bits (of r=4, x=1) that apply to w for this inode. */
static bool allowed(const struct who *w, const struct stat *sb, unsigned want)
{
	unsigned bits;

	if (w->uid == 0)
		return true;
	if (sb->st_uid == w->uid)
		bits = (sb->st_mode >> 6) & 7;
	else if (in_groups(w, sb->st_gid))
		bits = (sb->st_mode >> 3) & 7;
	else
		bits = sb->st_mode & 7;
	return (bits & want) == want;
}

/* Walks path from "/" to its last component: search permission on each
 * directory, read permission on the file. *ok false with why on the first
 * obstacle. */
static enum ck_err walk(const struct who *w, const char *account, const char *path, bool *ok,
			char *why, size_t n)
{
	char prefix[PATH_MAX];
	struct stat sb;
	size_t i, len = strlen(path);

	*ok = false;
	if (path[0] != '/' || len >= sizeof(prefix))
		return ck_fail(CK_EINVAL, "'%s' is not an absolute path", path);
	if (stat("/", &sb) != 0 || !allowed(w, &sb, 1)) {
		if (why)
			snprintf(why, n, "%s cannot enter /", account);
		return CK_OK;
	}
	for (i = 1; i <= len; i++) {
		if (path[i] != '/' && path[i] != '\0')
			continue;
		memcpy(prefix, path, i);
		prefix[i] = '\0';
		if (stat(prefix, &sb) != 0)
			return ck_fail_errno(CK_EIO, "cannot stat '%s'", prefix);
		if (path[i] == '\0')
			break;
		if (!allowed(w, &sb, 1)) {
			if (why)
				snprintf(why, n, "%s cannot enter %s (owner %ld, group %ld, mode %04o)",
					 account, prefix, (long)sb.st_uid, (long)sb.st_gid,
					 (unsigned)(sb.st_mode & 07777));
			return CK_OK;
		}
	}
	if (!allowed(w, &sb, 4)) {
		if (why)
			snprintf(why, n, "%s cannot read %s (owner %ld, group %ld, mode %04o)", account,
				 path, (long)sb.st_uid, (long)sb.st_gid,
				 (unsigned)(sb.st_mode & 07777));
		return CK_OK;
	}
	*ok = true;
	return CK_OK;
}

enum ck_err ck_account_can_read(const char *account, const char *path, bool *ok, char *why,
				size_t n)
{
	char resolved[PATH_MAX];
	struct passwd *pw;
	struct who w;
	enum ck_err rc;

	*ok = false;
	if (why && n)
		why[0] = '\0';
	errno = 0;
	pw = getpwnam(account);
	if (pw == NULL)
		return ck_fail(CK_ENOTFOUND, "no such account '%.32s'", account);
	w.uid = pw->pw_uid;
	w.n_groups = MAX_GROUPS;
	if (getgrouplist(account, pw->pw_gid, w.groups, &w.n_groups) < 0)
		w.n_groups = MAX_GROUPS; /* more groups than we track: the first ones */
	rc = walk(&w, account, path, ok, why, n);
	if (rc != CK_OK || !*ok)
		return rc;
	if (realpath(path, resolved) == NULL)
		return ck_fail_errno(CK_EIO, "cannot resolve '%s'", path);
	return strcmp(resolved, path) == 0 ? CK_OK : walk(&w, account, resolved, ok, why, n);
}

bool ck_account_name_valid(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-' || (c == '$' && s[i + 1] == '\0')))
			return false;
	}
	return i >= 1 && i <= 32 && s[0] != '-';
}

/*
 * securepath.c - the walk that opens a binding's directory only through
 * directories no untrusted account can change (see securepath.h).
 *
 * Why a walk and not stat() on the path: a check by name and a later use by
 * name leave a window in which a component can be swapped for a link. Here
 * every check is fstat on the descriptor that is then used to open the next
 * component, so what was checked is what is used.
 */
#define _GNU_SOURCE
#include "base/securepath.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_LINKS 8 /* links followed in one walk (as root made them) */

static bool trusted(uid_t uid, uid_t owner)
{
	return uid == 0 || uid == geteuid() || (owner != (uid_t)-1 && uid == owner);
}

/* Whether the directory at fd, shown as path, is safe to walk through
 * (last: to create names in). */
static enum ck_err check_dir(int fd, const char *path, bool last, uid_t owner)
{
	struct stat st;
	mode_t w;

	if (fstat(fd, &st) != 0)
		return ck_fail_errno(CK_EIO, "cannot check '%s'", path);
	if (!trusted(st.st_uid, owner))
		return ck_fail(CK_EINVAL,
			       "'%s' is owned by uid %u: make it owned by root or the binding's "
			       "owner (chown root '%s')",
			       path, (unsigned)st.st_uid, path);
	w = st.st_mode & (S_IWGRP | S_IWOTH);
	/* Others may add names to a sticky directory, not replace ours. */
	if (w == 0 || (!last && (st.st_mode & S_ISVTX)))
		return CK_OK;
	if (w == S_IWGRP)
		return ck_fail(CK_EINVAL,
			       "'%s' is writable by group %u: make it writable only by root or the "
			       "binding's owner (chmod g-w '%s')",
			       path, (unsigned)st.st_gid, path);
	return ck_fail(CK_EINVAL,
		       "'%s' is writable by %s: make it writable only by root or the binding's "
		       "owner (chmod %s '%s')",
		       path, w == S_IWOTH ? "every account" : "its group and every account",
		       w == S_IWOTH ? "o-w" : "go-w", path);
}

/* The kernel's own file systems: a binding's files never go there. */
static enum ck_err check_not_special(int fd, const char *path)
{
	static const char *const special[] = { "/dev", "/proc", "/sys" };
	struct stat st, sp;
	size_t i;

	if (fstat(fd, &st) != 0)
		return ck_fail_errno(CK_EIO, "cannot check '%s'", path);
	for (i = 0; i < sizeof(special) / sizeof(special[0]); i++)
		if (stat(special[i], &sp) == 0 && sp.st_dev == st.st_dev)
			return ck_fail(CK_EINVAL, "'%s' is on the file system of %s: bind files "
						  "in an ordinary directory", path, special[i]);
	return CK_OK;
}

/* Appends component c to the shown path. */
static int shown_add(char *shown, size_t n, const char *c)
{
	size_t len = strlen(shown);
	int r = snprintf(shown + len, n - len, "%s%s", len > 1 ? "/" : "", c);

	return r < 0 || (size_t)r >= n - len ? -1 : 0;
}

enum ck_err ck_secure_dir_open(const char *path, uid_t owner, int *out)
{
	char todo[PATH_MAX], shown[PATH_MAX] = "/", comp[NAME_MAX + 1];
	enum ck_err rc = CK_OK;
	unsigned links = 0;
	size_t pos = 0;
	int fd;

	*out = -1;
	if (path[0] != '/' || snprintf(todo, sizeof(todo), "%s", path) >= (int)sizeof(todo))
		return ck_fail(CK_EINVAL, "'%.200s' is not an absolute directory path", path);
	fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return ck_fail_errno(CK_EIO, "cannot open '/'");
	for (;;) {
		struct stat st;
		size_t len;
		int next, err;

		while (todo[pos] == '/')
			pos++;
		len = strcspn(todo + pos, "/");
		/* The directory reached is checked on the way to the next one,
		 * and as the last one when nothing follows. */
		rc = check_dir(fd, shown, len == 0, owner);
		if (rc != CK_OK)
			break;
		if (len == 0) {
			rc = check_not_special(fd, shown);
			break;
		}
		if (len > NAME_MAX) {
			rc = ck_fail(CK_EINVAL, "'%.200s': a name is too long", path);
			break;
		}
		memcpy(comp, todo + pos, len);
		comp[len] = '\0';
		pos += len;
		if (strcmp(comp, ".") == 0)
			continue;
		if (strcmp(comp, "..") == 0) {
			rc = ck_fail(CK_EINVAL, "'%.200s': '..' is not allowed in a binding's path",
				     path);
			break;
		}
		next = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		err = errno;
		if (next >= 0) {
			close(fd);
			fd = next;
			if (shown_add(shown, sizeof(shown), comp) != 0) {
				rc = ck_fail(CK_EINVAL, "'%.200s' is too long", path);
				break;
			}
			continue;
		}
		if (fstatat(fd, comp, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)) {
			char target[PATH_MAX], rest[PATH_MAX];
			struct stat dst;
			ssize_t n;

			/* Only a link nobody but root could have made or changed. */
			if (st.st_uid != 0 || fstat(fd, &dst) != 0 || dst.st_uid != 0 ||
			    ((dst.st_mode & (S_IWGRP | S_IWOTH)) && !(dst.st_mode & S_ISVTX)) ||
			    ++links > MAX_LINKS) {
				shown_add(shown, sizeof(shown), comp);
				rc = ck_fail(CK_EINVAL,
					     "'%s' is a symbolic link: give the directory it "
					     "points to",
					     shown);
				break;
			}
			n = readlinkat(fd, comp, target, sizeof(target) - 1);
			if (n <= 0) {
				rc = ck_fail_errno(CK_EIO, "cannot read the link '%s/%s'", shown, comp);
				break;
			}
			target[n] = '\0';
			snprintf(rest, sizeof(rest), "%s", todo + pos);
			if ((size_t)snprintf(todo, sizeof(todo), "%s%s", target, rest) >=
			    sizeof(todo)) {
				rc = ck_fail(CK_EINVAL, "'%.200s' is too long", path);
				break;
			}
			pos = 0;
			if (target[0] == '/') {
				close(fd);
				fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
				snprintf(shown, sizeof(shown), "/");
				if (fd < 0) {
					rc = ck_fail_errno(CK_EIO, "cannot open '/'");
					break;
				}
			}
			continue;
		}
		shown_add(shown, sizeof(shown), comp);
		errno = err;
		rc = ck_fail_errno(CK_EIO, "cannot open the directory '%s'", shown);
		break;
	}
	if (rc != CK_OK) {
		if (fd >= 0)
			close(fd);
		return rc;
	}
	*out = fd;
	return CK_OK;
}

/*
 * fileio.c - bounded reads and durable, atomic writes (DESIGN.md §2, §7).
 */
#define _GNU_SOURCE
#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum ck_err ck_read_file(const char *path, size_t max, uint8_t **buf, size_t *len)
{
	enum ck_err rc = CK_ERROR;
	uint8_t *data = NULL;
	size_t used = 0, cap = 0;
	int fd = -1;

	if (max > SIZE_MAX - 2)
		max = SIZE_MAX - 2;
	if (strcmp(path, "-") == 0) {
		fd = STDIN_FILENO;
	} else {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			rc = ck_fail_errno(CK_EIO, "cannot open '%s'", path);
			goto out;
		}
	}
	for (;;) {
		ssize_t n;

		if (used + 1 >= cap) {
			size_t ncap = cap ? cap * 2 : 8192;
			uint8_t *p;

			if (ncap > max + 2)
				ncap = max + 2;
			if (used + 1 >= ncap) {
				rc = ck_fail(CK_EINVAL, "'%s' is larger than %zu bytes", path, max);
				goto out;
			}
			p = realloc(data, ncap);
			if (p == NULL) {
				rc = ck_fail(CK_ENOMEM, "out of memory reading '%s'", path);
				goto out;
			}
			data = p;
			cap = ncap;
		}
		n = read(fd, data + used, cap - used - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = ck_fail_errno(CK_EIO, "cannot read '%s'", path);
			goto out;
		}
		if (n == 0)
			break;
		used += (size_t)n;
		if (used > max) {
			rc = ck_fail(CK_EINVAL, "'%s' is larger than %zu bytes", path, max);
			goto out;
		}
	}
	if (data == NULL) {
		data = malloc(1);
		if (data == NULL) {
			rc = ck_fail(CK_ENOMEM, "out of memory");
			goto out;
		}
	}
	data[used] = 0;
	*buf = data;
	*len = used;
	data = NULL;
	rc = CK_OK;
out:
	if (fd >= 0 && fd != STDIN_FILENO)
		close(fd);
	free(data);
	return rc;
}

enum ck_err ck_write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return ck_fail_errno(CK_EIO, "write");
		p += n;
		len -= (size_t)n;
	}
	return CK_OK;
}

enum ck_err ck_fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return ck_fail_errno(CK_EIO, "open directory '%s'", dir);
	if (fsync(fd) != 0 && errno != EINVAL) {
		int saved = errno;

		close(fd);
		errno = saved;
		return ck_fail_errno(CK_EIO, "fsync directory '%s'", dir);
	}
	close(fd);
	return CK_OK;
}

static void dir_of(const char *path, char *out, size_t n)
{
	char tmp[PATH_MAX];

	snprintf(tmp, sizeof(tmp), "%s", path);
	snprintf(out, n, "%s", dirname(tmp));
}

enum ck_err ck_write_new(const char *path, const void *buf, size_t len, mode_t mode)
{
	char dir[PATH_MAX];
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return ck_fail_errno(errno == EEXIST ? CK_EEXIST : CK_EIO, "cannot create '%s'",
				     path);
	/* The mode asked for, not the umask's idea of it (as ck_write_atomic). */
	if (fchmod(fd, mode) != 0 || ck_write_all(fd, buf, len) != CK_OK || fsync(fd) != 0) {
		enum ck_err rc = ck_fail_errno(CK_EIO, "cannot write '%s'", path);

		close(fd);
		unlink(path);
		return rc;
	}
	if (close(fd) != 0) {
		enum ck_err rc = ck_fail_errno(CK_EIO, "cannot close '%s'", path);

		unlink(path);
		return rc;
	}
	dir_of(path, dir, sizeof(dir));
	return ck_fsync_dir(dir);
}

enum ck_err ck_write_atomic(const char *path, const void *buf, size_t len, mode_t mode)
{
	return ck_write_atomic_owned(path, buf, len, mode, (uid_t)-1, (gid_t)-1);
}

enum ck_err ck_write_atomic_owned(const char *path, const void *buf, size_t len, mode_t mode,
				  uid_t uid, gid_t gid)
{
	char dir[PATH_MAX], tmp[PATH_MAX];
	enum ck_err rc;
	int fd = -1, n;
	unsigned attempt;

	dir_of(path, dir, sizeof(dir));
	for (attempt = 0; attempt < 100; attempt++) {
		n = snprintf(tmp, sizeof(tmp), "%s.ck-tmp.%ld.%u", path, (long)getpid(), attempt);
		if (n < 0 || (size_t)n >= sizeof(tmp))
			return ck_fail(CK_EINVAL, "path too long: '%s'", path);
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
		if (fd >= 0 || errno != EEXIST)
			break;
	}
	if (fd < 0)
		return ck_fail_errno(CK_EIO, "cannot create a temporary file beside '%s'", path);
	if ((uid != (uid_t)-1 || gid != (gid_t)-1) && fchown(fd, uid, gid) != 0) {
		rc = ck_fail_errno(CK_EIO, "fchown '%s'", tmp);
		goto fail;
	}
	/* O_CREAT's mode is filtered by the umask; the final mode must not be. */
	if (fchmod(fd, mode) != 0) {
		rc = ck_fail_errno(CK_EIO, "fchmod '%s'", tmp);
		goto fail;
	}
	rc = ck_write_all(fd, buf, len);
	if (rc != CK_OK) {
		ck_errmsg_prefix("cannot write '%s'", tmp);
		goto fail;
	}
	if (fsync(fd) != 0) {
		rc = ck_fail_errno(CK_EIO, "fsync '%s'", tmp);
		goto fail;
	}
	n = close(fd);
	fd = -1;
	if (n != 0) {
		rc = ck_fail_errno(CK_EIO, "close '%s'", tmp);
		goto fail;
	}
	if (rename(tmp, path) != 0) {
		rc = ck_fail_errno(CK_EIO, "rename '%s' to '%s'", tmp, path);
		goto fail;
	}
	return ck_fsync_dir(dir);
fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return rc;
}

void ck_free_secret(void *buf, size_t len)
{
	if (buf == NULL)
		return;
	explicit_bzero(buf, len);
	free(buf);
}

enum ck_err ck_symlink_atomic(const char *target, const char *path)
{
	char dir[PATH_MAX], tmp[PATH_MAX];
	unsigned attempt;
	int n, r = -1;

	dir_of(path, dir, sizeof(dir));
	for (attempt = 0; attempt < 100; attempt++) {
		n = snprintf(tmp, sizeof(tmp), "%s.ck-tmp.%ld.%u", path, (long)getpid(), attempt);
		if (n < 0 || (size_t)n >= sizeof(tmp))
			return ck_fail(CK_EINVAL, "path too long: '%s'", path);
		r = symlink(target, tmp);
		if (r == 0 || errno != EEXIST)
			break;
	}
	if (r != 0)
		return ck_fail_errno(CK_EIO, "cannot create a link beside '%s'", path);
	if (rename(tmp, path) != 0) {
		enum ck_err rc = ck_fail_errno(CK_EIO, "rename '%s' to '%s'", tmp, path);

		unlink(tmp);
		return rc;
	}
	return ck_fsync_dir(dir);
}

enum ck_err ck_write_new_at(int dirfd, const char *name, const void *buf, size_t len,
			    mode_t mode, uid_t uid, gid_t gid)
{
	enum ck_err rc;
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);

	if (fd < 0)
		return ck_fail_errno(errno == EEXIST ? CK_EEXIST : CK_EIO, "cannot create '%s'",
				     name);
	if ((uid != (uid_t)-1 || gid != (gid_t)-1) && fchown(fd, uid, gid) != 0) {
		rc = ck_fail_errno(CK_EIO, "fchown '%s'", name);
		goto fail;
	}
	/* O_CREAT's mode is filtered by the umask; the final mode must not be. */
	if (fchmod(fd, mode) != 0) {
		rc = ck_fail_errno(CK_EIO, "fchmod '%s'", name);
		goto fail;
	}
	rc = ck_write_all(fd, buf, len);
	if (rc != CK_OK) {
		ck_errmsg_prefix("cannot write '%s'", name);
		goto fail;
	}
	if (fsync(fd) != 0) {
		rc = ck_fail_errno(CK_EIO, "fsync '%s'", name);
		goto fail;
	}
	if (close(fd) != 0) {
		fd = -1;
		rc = ck_fail_errno(CK_EIO, "close '%s'", name);
		goto fail;
	}
	return CK_OK;
fail:
	if (fd >= 0)
		close(fd);
	unlinkat(dirfd, name, 0);
	return rc;
}

enum ck_err ck_fsync_dirfd(int dirfd, const char *what)
{
	if (fsync(dirfd) != 0 && errno != EINVAL)
		return ck_fail_errno(CK_EIO, "fsync directory '%s'", what);
	return CK_OK;
}

enum ck_err ck_symlink_atomic_at(int dirfd, const char *target, const char *name)
{
	char tmp[NAME_MAX + 1];
	unsigned attempt;
	int n, r = -1;

	for (attempt = 0; attempt < 100; attempt++) {
		n = snprintf(tmp, sizeof(tmp), "%s.ck-tmp.%ld.%u", name, (long)getpid(), attempt);
		if (n < 0 || (size_t)n >= sizeof(tmp))
			return ck_fail(CK_EINVAL, "name too long: '%s'", name);
		r = symlinkat(target, dirfd, tmp);
		if (r == 0 || errno != EEXIST)
			break;
	}
	if (r != 0)
		return ck_fail_errno(CK_EIO, "cannot create a link beside '%s'", name);
	if (renameat(dirfd, tmp, dirfd, name) != 0) {
		enum ck_err rc = ck_fail_errno(CK_EIO, "rename '%s' to '%s'", tmp, name);

		unlinkat(dirfd, tmp, 0);
		return rc;
	}
	if (fsync(dirfd) != 0 && errno != EINVAL)
		return ck_fail_errno(CK_EIO, "fsync after renaming '%s'", name);
	return CK_OK;
}

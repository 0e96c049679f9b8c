/*
 * fileio.c - bounded reads and durable, atomic writes (DESIGN.md §2, §7).
 */
#define _GNU_SOURCE
#include "base/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"

/* Opens path for ck_read_file (regular: only a regular file, opened
 * without waiting for a FIFO's writer or a device). */
static int open_input(const char *path, bool regular)
{
	struct stat st;
	int fd;

	if (!regular)
		return strcmp(path, "-") == 0 ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd >= 0 && (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	return fd;
}

static enum ck_err read_input(const char *path, bool regular, size_t max, uint8_t **buf,
			      size_t *len)
{
	enum ck_err rc = CK_ERROR;
	struct ck_buf data;
	int fd;

	ck_buf_init(&data, max);
	fd = open_input(path, regular);
	if (fd < 0) {
		rc = errno == EINVAL && regular
			     ? ck_fail(CK_EINVAL, "'%s' is not a regular file", path)
			     : ck_fail_errno(CK_EIO, "cannot open '%s'", path);
		goto out;
	}
	for (;;) {
		char chunk[16384];
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = ck_fail_errno(CK_EIO, "cannot read '%s'", path);
			goto out;
		}
		if (n == 0)
			break;
		rc = ck_buf_add(&data, chunk, (size_t)n);
		if (rc == CK_EINVAL) {
			rc = ck_fail(CK_EINVAL, "'%s' is larger than %zu bytes", path, max);
			goto out;
		}
		if (rc != CK_OK) {
			rc = ck_fail(CK_ENOMEM, "out of memory reading '%s'", path);
			goto out;
		}
	}
	*buf = (uint8_t *)ck_buf_detach(&data, len);
	rc = *buf ? CK_OK : CK_ENOMEM;
out:
	if (fd >= 0 && fd != STDIN_FILENO)
		close(fd);
	ck_buf_free(&data);
	return rc;
}

enum ck_err ck_read_file(const char *path, size_t max, uint8_t **buf, size_t *len)
{
	return read_input(path, false, max, buf, len);
}

enum ck_err ck_read_regular_file(const char *path, size_t max, uint8_t **buf, size_t *len)
{
	return read_input(path, true, max, buf, len);
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

/*
 * Gives a file just created (O_EXCL) its owner (uid, gid: -1 unchanged)
 * and mode before its first byte, writes buf in full, fsyncs and closes it
 * (the descriptor is closed in every case). shown names it in messages.
 */
static enum ck_err fill_new(int fd, const char *shown, const void *buf, size_t len, mode_t mode,
			    uid_t uid, gid_t gid)
{
	enum ck_err rc = CK_OK;

	if ((uid != (uid_t)-1 || gid != (gid_t)-1) && fchown(fd, uid, gid) != 0)
		rc = ck_fail_errno(CK_EIO, "fchown '%s'", shown);
	/* O_CREAT's mode is filtered by the umask; the final mode must not be. */
	else if (fchmod(fd, mode) != 0)
		rc = ck_fail_errno(CK_EIO, "fchmod '%s'", shown);
	else if ((rc = ck_write_all(fd, buf, len)) != CK_OK)
		ck_errmsg_prefix("cannot write '%s'", shown);
	else if (fsync(fd) != 0)
		rc = ck_fail_errno(CK_EIO, "fsync '%s'", shown);
	if (rc != CK_OK) {
		close(fd);
		return rc;
	}
	if (close(fd) != 0)
		return ck_fail_errno(CK_EIO, "close '%s'", shown);
	return CK_OK;
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
	rc = fill_new(fd, tmp, buf, len, mode, uid, gid);
	if (rc == CK_OK && rename(tmp, path) != 0)
		rc = ck_fail_errno(CK_EIO, "rename '%s' to '%s'", tmp, path);
	if (rc != CK_OK) {
		unlink(tmp);
		return rc;
	}
	return ck_fsync_dir(dir);
}

/* The descriptor a name such as /dev/stdout or /proc/self/fd/3 stands
 * for, or -1: such a name is our own open file, not a place to create one. */
static int own_fd_of(const char *name)
{
	static const char *const dirs[] = { "/dev/fd/", "/proc/self/fd/", "/proc/thread-self/fd/" };
	size_t i;

	if (strcmp(name, "/dev/stdin") == 0)
		return STDIN_FILENO;
	if (strcmp(name, "/dev/stdout") == 0)
		return STDOUT_FILENO;
	if (strcmp(name, "/dev/stderr") == 0)
		return STDERR_FILENO;
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		size_t n = strlen(dirs[i]);
		const char *p = name + n;
		char *end;
		long fd;

		if (strncmp(name, dirs[i], n) != 0 || *p < '0' || *p > '9')
			continue;
		errno = 0;
		fd = strtol(p, &end, 10);
		if (errno == 0 && *end == '\0' && fd <= INT_MAX)
			return (int)fd;
	}
	return -1;
}

static const char *file_kind(mode_t m)
{
	return S_ISDIR(m) ? "a directory" : S_ISBLK(m) ? "a block device" :
	       S_ISSOCK(m) ? "a socket" : S_ISLNK(m) ? "a symbolic link" : "not a regular file";
}

/* A private file's bytes (mode for no one but the owner, a key) are never
 * shown on a terminal, whatever name leads there. */
static enum ck_err refuse_terminal(int fd, const char *path, mode_t mode)
{
	if ((mode & 077) == 0 && isatty(fd))
		return ck_fail(CK_EINVAL, "'%s' is a terminal: a private key is never printed",
			       path);
	return CK_OK;
}

/* Our own descriptor: written where it stands (a shell's "> file" or
 * ">> file" keeps its meaning), never closed. */
static enum ck_err write_own_fd(int fd, const char *path, const void *buf, size_t len,
				mode_t mode)
{
	struct stat st;
	enum ck_err rc;

	if (fstat(fd, &st) != 0)
		return ck_fail_errno(CK_EIO, "cannot write '%s' (descriptor %d)", path, fd);
	rc = refuse_terminal(fd, path, mode);
	if (rc == CK_OK)
		rc = ck_write_all(fd, buf, len);
	if (rc != CK_OK)
		ck_errmsg_prefix("cannot write '%s'", path);
	return rc;
}

/* A character device or FIFO, written in place: no O_CREAT, no O_TRUNC.
 * O_NONBLOCK makes opening a FIFO without a reader fail (ENXIO) instead of
 * waiting forever; a reader gets two seconds to appear. The descriptor must
 * be the very file *want describes, not one swapped in since. */
static enum ck_err write_special(const char *path, const struct stat *want, bool follow,
				 const void *buf, size_t len, mode_t mode)
{
	const struct timespec pause = { 0, 20 * 1000 * 1000 };
	struct stat st;
	enum ck_err rc = CK_ERROR;
	int fd = -1, flags, tries;

	for (tries = 0; tries < 100; tries++) {
		fd = open(path, O_WRONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC |
					(follow ? 0 : O_NOFOLLOW));
		if (fd >= 0 || errno != ENXIO || !S_ISFIFO(want->st_mode))
			break;
		nanosleep(&pause, NULL);
	}
	if (fd < 0) {
		if (errno == ENXIO && S_ISFIFO(want->st_mode))
			return ck_fail(CK_EIO, "no process reads the FIFO '%s'", path);
		return ck_fail_errno(CK_EIO, "cannot open '%s'", path);
	}
	if (fstat(fd, &st) != 0) {
		rc = ck_fail_errno(CK_EIO, "fstat '%s'", path);
		goto out;
	}
	if ((st.st_mode & S_IFMT) != (want->st_mode & S_IFMT) || st.st_dev != want->st_dev ||
	    st.st_ino != want->st_ino) {
		rc = ck_fail(CK_EIO, "'%s' changed while it was opened; nothing written", path);
		goto out;
	}
	rc = refuse_terminal(fd, path, mode);
	if (rc != CK_OK)
		goto out;
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0) {
		rc = ck_fail_errno(CK_EIO, "fcntl '%s'", path);
		goto out;
	}
	rc = ck_write_all(fd, buf, len);
	if (rc != CK_OK) {
		ck_errmsg_prefix("cannot write '%s'", path);
		goto out;
	}
	flags = close(fd);
	fd = -1;
	if (flags != 0)
		rc = ck_fail_errno(CK_EIO, "close '%s'", path);
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

/* A symbolic link that is no device, FIFO or descriptor of ours: as root,
 * following a link someone else made would let them aim our write at any
 * file. So the link and the file it resolves to must be ours, and the
 * file's directory writable by nobody else (where the rename happens). */
static enum ck_err write_via_link(const char *path, const struct stat *link, const void *buf,
				  size_t len, mode_t mode)
{
	char target[PATH_MAX], real[PATH_MAX], dir[PATH_MAX];
	struct stat st, rst, dst;
	ssize_t n;
	int fd;

	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return ck_fail_errno(CK_EIO, "readlink '%s'", path);
	target[n] = '\0';
	fd = own_fd_of(target);
	if (fd >= 0)
		return write_own_fd(fd, path, buf, len, mode);
	if (stat(path, &st) != 0)
		return ck_fail_errno(CK_EINVAL, "cannot follow the symbolic link '%s'", path);
	if (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode))
		return write_special(path, &st, true, buf, len, mode);
	if (!S_ISREG(st.st_mode))
		return ck_fail(CK_EINVAL, "'%s' leads to %s; nothing written", path,
			       file_kind(st.st_mode));
	if (link->st_uid != geteuid())
		return ck_fail(CK_EINVAL,
			       "'%s' is a symbolic link owned by another account (uid %lu): "
			       "not followed; give the file itself",
			       path, (unsigned long)link->st_uid);
	if (realpath(path, real) == NULL)
		return ck_fail_errno(CK_EINVAL, "cannot follow the symbolic link '%s'", path);
	dir_of(real, dir, sizeof(dir));
	if (stat(real, &rst) != 0 || stat(dir, &dst) != 0)
		return ck_fail_errno(CK_EINVAL, "cannot follow the symbolic link '%s'", path);
	if (rst.st_dev != st.st_dev || rst.st_ino != st.st_ino || rst.st_uid != geteuid())
		return ck_fail(CK_EINVAL,
			       "'%s' leads to '%s', owned by another account: not followed", path,
			       real);
	if ((dst.st_uid != geteuid() && dst.st_uid != 0) || (dst.st_mode & (S_IWGRP | S_IWOTH)))
		return ck_fail(CK_EINVAL,
			       "'%s' leads to '%s', in a directory other accounts can write: "
			       "not followed",
			       path, real);
	return ck_write_atomic(real, buf, len, mode);
}

enum ck_err ck_write_output(const char *path, const void *buf, size_t len, mode_t mode)
{
	struct stat st;
	int fd = own_fd_of(path);

	if (fd >= 0)
		return write_own_fd(fd, path, buf, len, mode);
	if (lstat(path, &st) != 0) {
		if (errno == ENOENT)
			return ck_write_atomic(path, buf, len, mode);
		return ck_fail_errno(CK_EIO, "cannot write '%s'", path);
	}
	if (S_ISREG(st.st_mode))
		return ck_write_atomic(path, buf, len, mode);
	if (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode))
		return write_special(path, &st, false, buf, len, mode);
	if (S_ISLNK(st.st_mode))
		return write_via_link(path, &st, buf, len, mode);
	return ck_fail(CK_EINVAL, "'%s' is %s; nothing written", path, file_kind(st.st_mode));
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
	rc = fill_new(fd, name, buf, len, mode, uid, gid);
	if (rc != CK_OK)
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

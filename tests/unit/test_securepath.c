/*
 * test_securepath.c - unit tests for src/base/securepath.h and the
 * descriptor-relative writes of src/base/fileio.h (DESIGN.md §7).
 *
 * Each test works in its own mkdtemp directory under /tmp (a sticky parent,
 * root's), removed after; run as root, as make check does, so that other
 * owners can be given with chown. ck_secure_dir_open: a safe directory
 * opens and is the one named; refusals (with the directory and the fix in
 * the message) of a group- or world-writable directory, a sticky final
 * directory, a group-writable parent, a directory or parent another
 * account owns (accepted when that account is the binding's owner), a
 * link another account made, '..', a relative path, /proc and /dev; a
 * root-made link in root's directory is followed; the descriptor stays on
 * the directory it checked when that is renamed and replaced by a link.
 * ck_write_new_at and ck_symlink_atomic_at never follow a planted link.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fileio.h"
#include "base/securepath.h"
#include "unit_util.h"

#define OTHER_UID 65534 /* nobody */


static int setup(void **state)
{
	return tmpdir_setup(state, "securepath", 0755);
}

static int teardown(void **state)
{
	return tmpdir_teardown(state);
}

/* f->dir/name, made as a directory with mode if mode is not 0. */
static void sub(const struct tmpdir *f, const char *name, mode_t mode, char *out, size_t n)
{
	int len = snprintf(out, n, "%s/%s", f->dir, name);

	assert_true(len > 0 && (size_t)len < n);
	if (mode != 0) {
		assert_int_equal(mkdir(out, 0700), 0);
		assert_int_equal(chmod(out, mode), 0);
	}
}

/* ck_secure_dir_open refuses path, with every one of the texts. */
static void assert_refused(const char *path, uid_t owner, const char *text1, const char *text2)
{
	int fd = 42;

	assert_int_equal(ck_secure_dir_open(path, owner, &fd), CK_EINVAL);
	assert_int_equal(fd, -1);
	if (strstr(ck_errmsg(), text1) == NULL || (text2 && strstr(ck_errmsg(), text2) == NULL))
		fail_msg("message '%s' lacks '%s' / '%s'", ck_errmsg(), text1, text2 ? text2 : "");
}

static void test_safe_directory_opens(void **state)
{
	struct tmpdir *f = *state;
	char d[PATH_MAX];
	struct stat a, b;
	int fd = -1;

	sub(f, "tls", 0755, d, sizeof(d));
	assert_int_equal(ck_secure_dir_open(d, (uid_t)-1, &fd), CK_OK);
	assert_int_equal(fstat(fd, &a), 0);
	assert_int_equal(stat(d, &b), 0);
	assert_true(a.st_ino == b.st_ino && a.st_dev == b.st_dev);
	close(fd);
}

static void test_writable_directories_refused(void **state)
{
	struct tmpdir *f = *state;
	char d[PATH_MAX], msg[PATH_MAX + 64];

	sub(f, "tls", 0775, d, sizeof(d));
	snprintf(msg, sizeof(msg), "'%s' is writable by group 0", d);
	assert_refused(d, (uid_t)-1, msg, "chmod g-w");
	assert_int_equal(chmod(d, 0757), 0);
	assert_refused(d, (uid_t)-1, "writable by every account", "chmod o-w");
	/* Sticky is no excuse for the directory certkeep creates names in. */
	assert_int_equal(chmod(d, 01777), 0);
	assert_refused(d, (uid_t)-1, "its group and every account", "chmod go-w");
}

static void test_parents(void **state)
{
	struct tmpdir *f = *state;
	char p[PATH_MAX], d[PATH_MAX];
	int fd = -1;

	sub(f, "p", 0775, p, sizeof(p));
	sub(f, "p/tls", 0755, d, sizeof(d));
	assert_refused(d, (uid_t)-1, p, "writable by group");
	assert_int_equal(chmod(p, 01777), 0);
	assert_int_equal(ck_secure_dir_open(d, (uid_t)-1, &fd), CK_OK);
	close(fd);
	assert_int_equal(chmod(p, 0755), 0);
	assert_int_equal(chown(p, OTHER_UID, 0), 0);
	assert_refused(d, (uid_t)-1, "is owned by uid 65534", p);
	/* The binding's owner is trusted, for parents and its own directory. */
	assert_int_equal(chown(d, OTHER_UID, 0), 0);
	assert_int_equal(ck_secure_dir_open(d, OTHER_UID, &fd), CK_OK);
	close(fd);
}

static void test_links(void **state)
{
	struct tmpdir *f = *state;
	char d[PATH_MAX], l[PATH_MAX], via[PATH_MAX];
	struct stat a, b;
	int fd = -1;

	sub(f, "real", 0755, d, sizeof(d));
	sub(f, "link", 0, l, sizeof(l));
	assert_int_equal(symlink("real", l), 0);
	/* root made it in root's directory: followed. */
	assert_int_equal(ck_secure_dir_open(l, (uid_t)-1, &fd), CK_OK);
	assert_int_equal(fstat(fd, &a), 0);
	assert_int_equal(stat(d, &b), 0);
	assert_true(a.st_ino == b.st_ino);
	close(fd);
	snprintf(via, sizeof(via), "%s/link/.", f->dir);
	assert_int_equal(ck_secure_dir_open(via, (uid_t)-1, &fd), CK_OK);
	close(fd);
	/* Another account's link is not, even to a safe directory. */
	assert_int_equal(lchown(l, OTHER_UID, 0), 0);
	assert_refused(l, (uid_t)-1, "is a symbolic link", l);
	assert_refused(l, OTHER_UID, "is a symbolic link", NULL);
}

static void test_bad_paths(void **state)
{
	struct tmpdir *f = *state;
	char d[PATH_MAX];

	sub(f, "tls", 0755, d, sizeof(d));
	sub(f, "tls/../tls", 0, d, sizeof(d));
	assert_refused(d, (uid_t)-1, "'..'", NULL);
	assert_refused("tmp", (uid_t)-1, "not an absolute", NULL);
	assert_refused("/proc", (uid_t)-1, "file system of /proc", NULL);
	assert_refused("/dev", (uid_t)-1, "file system of /dev", NULL);
	assert_int_equal(ck_secure_dir_open("/no/such/dir", (uid_t)-1, &(int){ 0 }), CK_EIO);
}

/* What was checked is what is used: renaming the directory and putting a
 * link to another in its place moves nothing written through the fd. */
static void test_fd_survives_swap(void **state)
{
	struct tmpdir *f = *state;
	char d[PATH_MAX], moved[PATH_MAX], victim[PATH_MAX], path[PATH_MAX + 16];
	int fd = -1;

	sub(f, "tls", 0755, d, sizeof(d));
	sub(f, "victim", 0755, victim, sizeof(victim));
	sub(f, "moved", 0, moved, sizeof(moved));
	assert_int_equal(ck_secure_dir_open(d, (uid_t)-1, &fd), CK_OK);
	assert_int_equal(rename(d, moved), 0);
	assert_int_equal(symlink(victim, d), 0);
	assert_int_equal(ck_write_new_at(fd, "key.pem", "k", 1, 0600, (uid_t)-1, (gid_t)-1), CK_OK);
	close(fd);
	snprintf(path, sizeof(path), "%s/key.pem", moved);
	assert_int_equal(access(path, F_OK), 0);
	snprintf(path, sizeof(path), "%s/key.pem", victim);
	assert_int_equal(access(path, F_OK), -1);
}

static void test_at_writes_never_follow(void **state)
{
	struct tmpdir *f = *state;
	char d[PATH_MAX], victim[PATH_MAX], path[PATH_MAX + 16], text[64];
	struct stat st;
	ssize_t n;
	int fd = -1, vfd;

	sub(f, "tls", 0755, d, sizeof(d));
	sub(f, "victim", 0, victim, sizeof(victim));
	vfd = open(victim, O_WRONLY | O_CREAT, 0644);
	assert_true(vfd >= 0);
	assert_int_equal(write(vfd, "root", 4), 4);
	close(vfd);
	snprintf(path, sizeof(path), "%s/key.pem", d);
	assert_int_equal(symlink(victim, path), 0);
	assert_int_equal(ck_secure_dir_open(d, (uid_t)-1, &fd), CK_OK);
	/* A planted name is not written through... */
	assert_int_equal(ck_write_new_at(fd, "key.pem", "k", 1, 0600, (uid_t)-1, (gid_t)-1),
			 CK_EEXIST);
	/* ...and replacing it replaces the name, not what it names. */
	assert_int_equal(ck_symlink_atomic_at(fd, ".certkeep+s/key.pem", "key.pem"), CK_OK);
	n = readlink(path, text, sizeof(text) - 1);
	assert_true(n > 0);
	text[n] = '\0';
	assert_string_equal(text, ".certkeep+s/key.pem");
	assert_int_equal(stat(victim, &st), 0);
	assert_int_equal(st.st_size, 4);
	/* A new file gets the mode asked for, whatever the umask. */
	assert_int_equal(ck_write_new_at(fd, "new.pem", "secret", 6, 0640, (uid_t)-1, OTHER_UID),
			 CK_OK);
	snprintf(path, sizeof(path), "%s/new.pem", d);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	assert_int_equal(st.st_gid, OTHER_UID);
	close(fd);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_safe_directory_opens),
		T(test_writable_directories_refused),
		T(test_parents),
		T(test_links),
		T(test_bad_paths),
		T(test_fd_survives_swap),
		T(test_at_writes_never_follow),
	};
#undef T

	umask(077);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

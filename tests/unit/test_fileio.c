/*
 * test_fileio.c - unit tests for src/base/fileio.h (DESIGN.md §2, §7).
 *
 * Each test works in its own mkdtemp directory under /tmp, removed after.
 * ck_write_atomic: the exact final mode whatever the umask, replacement by
 * rename (a new inode; a hard link to the old file keeps the old bytes), no
 * temporary file left behind on success or failure, and CK_EIO with the
 * old file intact when the directory is missing, is a file, is not writable
 * (an unprivileged child when run as root), when the target is a directory,
 * or when write() fails part-way (RLIMIT_FSIZE, injected EFBIG).
 * ck_write_new: mode 0600, CK_EEXIST without touching an existing file and
 * without following a planted symlink. ck_read_file: contents, NUL
 * termination, empty files, the size limit at its edges, missing files,
 * directories and "-" for standard input. ck_write_all: /dev/full fails.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/fileio.h"
#include "unit_util.h"


/* ---- helpers ---- */

static int setup(void **state)
{
	return tmpdir_setup(state, "fileio", 0700);
}

static int teardown(void **state)
{
	return tmpdir_teardown(state);
}

static void path_in(const struct tmpdir *f, const char *name, char *out, size_t n)
{
	int len = snprintf(out, n, "%s/%s", f->dir, name);

	assert_true(len > 0 && (size_t)len < n);
}

/* Writes a file directly (not through the code under test). */
static void put_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	size_t len = strlen(text);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	assert_int_equal(close(fd), 0);
}

static void assert_file_is(const char *path, const char *text)
{
	uint8_t *buf = NULL;
	size_t len = 0;

	if (ck_read_file(path, CK_INPUT_MAX, &buf, &len) != CK_OK)
		fail_msg("cannot read back '%s': %s", path, ck_errmsg());
	assert_int_equal(len, strlen(text));
	assert_memory_equal(buf, text, len);
	free(buf);
}

static mode_t mode_of(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_mode & 07777;
}

/* The names in dir, other than . and .., must be exactly `want` in number
 * and none of them a leftover temporary file. */
static void assert_dir_entries(const char *dir, size_t want)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (strstr(e->d_name, "tmp") != NULL)
			fail_msg("temporary file left behind: %s/%s", dir, e->d_name);
		n++;
	}
	closedir(d);
	assert_int_equal(n, want);
}

/* ---- ck_write_atomic ---- */

static void test_atomic_creates_with_exact_mode(void **state)
{
	static const struct {
		mode_t umask;
		mode_t mode;
	} cases[] = {
		{ 022, 0600 }, { 022, 0644 }, { 077, 0644 }, { 077, 0640 }, { 0, 0600 }, { 0277, 0600 },
	};
	struct tmpdir *f = *state;
	char path[PATH_MAX];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		mode_t old;
		enum ck_err rc;

		snprintf(path, sizeof(path), "%s/file%zu.pem", f->dir, i);
		old = umask(cases[i].umask);
		rc = ck_write_atomic(path, "hello\n", 6, cases[i].mode);
		umask(old);
		if (rc != CK_OK)
			fail_msg("case %zu: %s", i, ck_errmsg());
		if (mode_of(path) != cases[i].mode)
			fail_msg("case %zu: umask %03o, mode %04o: got %04o", i,
				 (unsigned)cases[i].umask, (unsigned)cases[i].mode,
				 (unsigned)mode_of(path));
		assert_file_is(path, "hello\n");
	}
	assert_dir_entries(f->dir, sizeof(cases) / sizeof(cases[0]));
}

static void test_atomic_replaces_by_rename(void **state)
{
	struct tmpdir *f = *state;
	char path[PATH_MAX], link_path[PATH_MAX];
	struct stat before, after;

	path_in(f, "cert.pem", path, sizeof(path));
	path_in(f, "old-link", link_path, sizeof(link_path));
	put_file(path, "old contents, rather longer than the new ones\n", 0644);
	assert_int_equal(link(path, link_path), 0);
	assert_int_equal(stat(path, &before), 0);

	assert_int_equal(ck_write_atomic(path, "new\n", 4, 0600), CK_OK);
	assert_file_is(path, "new\n");
	assert_int_equal(mode_of(path), 0600);
	/* A new inode was renamed into place: whoever held the old file still
	 * sees all of it, never a truncated mix. */
	assert_int_equal(stat(path, &after), 0);
	assert_true(after.st_ino != before.st_ino);
	assert_file_is(link_path, "old contents, rather longer than the new ones\n");
	assert_dir_entries(f->dir, 2);

	/* Again over the file it wrote, and with an empty buffer. */
	assert_int_equal(ck_write_atomic(path, "", 0, 0600), CK_OK);
	assert_file_is(path, "");
	assert_dir_entries(f->dir, 2);
}

static void test_atomic_large_buffer(void **state)
{
	struct tmpdir *f = *state;
	char path[PATH_MAX];
	size_t len = 3 * 1024 * 1024 + 7, i;
	uint8_t *data = malloc(len), *back = NULL;
	size_t back_len = 0;

	assert_non_null(data);
	for (i = 0; i < len; i++)
		data[i] = (uint8_t)(i * 131 + 7);
	path_in(f, "big", path, sizeof(path));
	assert_int_equal(ck_write_atomic(path, data, len, 0600), CK_OK);
	assert_int_equal(ck_read_file(path, len, &back, &back_len), CK_OK);
	assert_int_equal(back_len, len);
	assert_memory_equal(back, data, len);
	free(back);
	free(data);
	assert_dir_entries(f->dir, 1);
}

static void test_atomic_missing_directory(void **state)
{
	struct tmpdir *f = *state;
	char path[PATH_MAX];

	path_in(f, "no-such-dir/cert.pem", path, sizeof(path));
	assert_int_equal(ck_write_atomic(path, "x", 1, 0600), CK_EIO);
	assert_msg_contains("temporary");
	assert_msg_contains("No such file or directory");
	assert_dir_entries(f->dir, 0);
}

static void test_atomic_file_where_directory_should_be(void **state)
{
	struct tmpdir *f = *state;
	char blocker[PATH_MAX], path[PATH_MAX];

	path_in(f, "blocker", blocker, sizeof(blocker));
	path_in(f, "blocker/cert.pem", path, sizeof(path));
	put_file(blocker, "I am a file\n", 0644);
	assert_int_equal(ck_write_atomic(path, "x", 1, 0600), CK_EIO);
	assert_msg_contains("Not a directory");
	assert_file_is(blocker, "I am a file\n");
	assert_dir_entries(f->dir, 1);
}

/* rename() over a non-empty directory fails: the temporary file must be
 * removed and the directory left as it was. */
static void test_atomic_target_is_directory(void **state)
{
	struct tmpdir *f = *state;
	char target[PATH_MAX], inside[PATH_MAX];

	path_in(f, "target", target, sizeof(target));
	path_in(f, "target/keep", inside, sizeof(inside));
	assert_int_equal(mkdir(target, 0755), 0);
	put_file(inside, "kept\n", 0644);
	assert_int_equal(ck_write_atomic(target, "x", 1, 0600), CK_EIO);
	assert_msg_contains("rename");
	assert_file_is(inside, "kept\n");
	assert_dir_entries(f->dir, 1);
	assert_dir_entries(target, 1);
}

/* The directory is not writable for the caller. Tests run as root, for
 * whom permission bits do not apply, so then the write runs in a child
 * that has dropped to nobody (65534) in a 0755 root-owned directory. */
static void test_atomic_unwritable_directory(void **state)
{
	struct tmpdir *f = *state;
	char path[PATH_MAX];
	pid_t pid;
	int status = 0;

	path_in(f, "cert.pem", path, sizeof(path));
	put_file(path, "old\n", 0644);
	assert_int_equal(chmod(f->dir, 0755), 0);
	if (geteuid() != 0) {
		assert_int_equal(chmod(f->dir, 0555), 0);
		assert_int_equal(ck_write_atomic(path, "new\n", 4, 0600), CK_EIO);
		assert_msg_contains("Permission denied");
		assert_int_equal(chmod(f->dir, 0700), 0);
	} else {
		fflush(NULL);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			if (setgroups(0, NULL) != 0 || setgid(65534) != 0 || setuid(65534) != 0)
				_exit(100);
			if (access(path, R_OK) == 0 && access(f->dir, W_OK) == 0)
				_exit(101); /* still privileged: the test would prove nothing */
			_exit(ck_write_atomic(path, "new\n", 4, 0600) == CK_EIO &&
					      strstr(ck_errmsg(), "Permission denied") != NULL
				      ? 0
				      : 102);
		}
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	assert_file_is(path, "old\n");
	assert_int_equal(mode_of(path), 0644);
	assert_dir_entries(f->dir, 1);
}

/* Fault injection: write() fails part-way with EFBIG (a file size limit,
 * SIGXFSZ ignored). The old file must be intact and no temporary left. */
static void test_atomic_write_failure_keeps_old_file(void **state)
{
	struct tmpdir *f = *state;
	char path[PATH_MAX];
	struct rlimit old_lim, lim;
	struct sigaction ign, old_sa;
	size_t len = 256 * 1024;
	char *data = malloc(len);
	enum ck_err rc;

	assert_non_null(data);
	memset(data, 'N', len);
	path_in(f, "cert.pem", path, sizeof(path));
	put_file(path, "old\n", 0644);

	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	assert_int_equal(sigaction(SIGXFSZ, &ign, &old_sa), 0);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old_lim), 0);
	lim = old_lim;
	lim.rlim_cur = 4096;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	rc = ck_write_atomic(path, data, len, 0600);
	setrlimit(RLIMIT_FSIZE, &old_lim);
	sigaction(SIGXFSZ, &old_sa, NULL);
	free(data);

	assert_int_equal(rc, CK_EIO);
	assert_msg_contains("cannot write");
	assert_msg_contains("File too large");
	assert_file_is(path, "old\n");
	assert_int_equal(mode_of(path), 0644);
	assert_dir_entries(f->dir, 1);
}

/* ---- ck_write_new ---- */

static void test_write_new_creates_private_file(void **state)
{
	struct tmpdir *f = *state;
	char path[PATH_MAX];
	mode_t old;
	enum ck_err rc;

	path_in(f, "key.pem", path, sizeof(path));
	old = umask(022);
	rc = ck_write_new(path, "secret\n", 7, 0600);
	umask(old);
	assert_int_equal(rc, CK_OK);
	assert_int_equal(mode_of(path), 0600);
	assert_file_is(path, "secret\n");
	assert_dir_entries(f->dir, 1);
}

static void test_write_new_refuses_existing(void **state)
{
	struct tmpdir *f = *state;
	char path[PATH_MAX], link_path[PATH_MAX], victim[PATH_MAX];

	path_in(f, "key.pem", path, sizeof(path));
	put_file(path, "first\n", 0600);
	assert_int_equal(ck_write_new(path, "second\n", 7, 0600), CK_EEXIST);
	assert_msg_contains("File exists");
	assert_file_is(path, "first\n");

	/* A planted symlink is not followed, even to a file that does not
	 * exist yet: nothing is created at its target. */
	path_in(f, "link.pem", link_path, sizeof(link_path));
	path_in(f, "victim", victim, sizeof(victim));
	assert_int_equal(symlink(victim, link_path), 0);
	assert_int_equal(ck_write_new(link_path, "secret\n", 7, 0600), CK_EEXIST);
	assert_int_equal(access(victim, F_OK), -1);
	assert_dir_entries(f->dir, 2);
}

static void test_write_new_missing_directory(void **state)
{
	struct tmpdir *f = *state;
	char path[PATH_MAX];

	path_in(f, "nope/key.pem", path, sizeof(path));
	assert_int_equal(ck_write_new(path, "x", 1, 0600), CK_EIO);
	assert_msg_contains("cannot create");
	assert_dir_entries(f->dir, 0);
}

/* ---- ck_read_file ---- */

static void test_read_contents_nul_terminated(void **state)
{
	struct tmpdir *f = *state;
	char path[PATH_MAX];
	uint8_t *buf = NULL;
	size_t len = 0;

	path_in(f, "in.pem", path, sizeof(path));
	put_file(path, "-----BEGIN X-----\nabc\n", 0644);
	assert_int_equal(ck_read_file(path, CK_INPUT_MAX, &buf, &len), CK_OK);
	assert_int_equal(len, 22);
	assert_memory_equal(buf, "-----BEGIN X-----\nabc\n", 22);
	assert_int_equal(buf[len], '\0');
	assert_string_equal((char *)buf, "-----BEGIN X-----\nabc\n");
	free(buf);
}

static void test_read_empty_file(void **state)
{
	struct tmpdir *f = *state;
	char path[PATH_MAX];
	uint8_t *buf = NULL;
	size_t len = 99;

	path_in(f, "empty", path, sizeof(path));
	put_file(path, "", 0644);
	assert_int_equal(ck_read_file(path, CK_INPUT_MAX, &buf, &len), CK_OK);
	assert_int_equal(len, 0);
	assert_non_null(buf);
	assert_int_equal(buf[0], '\0');
	free(buf);
	/* An empty file is within even a limit of 0. */
	buf = NULL;
	assert_int_equal(ck_read_file(path, 0, &buf, &len), CK_OK);
	assert_int_equal(len, 0);
	free(buf);
}

/* The limit is inclusive; one byte more is refused with CK_EINVAL. Checked
 * below, at and above the first buffer size (8192) of the reader. */
static void test_read_size_limit(void **state)
{
	static const size_t sizes[] = { 1, 100, 8191, 8192, 8193, 20000 };
	struct tmpdir *f = *state;
	char path[PATH_MAX];
	size_t i;

	path_in(f, "sized", path, sizeof(path));
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t n = sizes[i];
		char *text = malloc(n + 1);
		uint8_t *buf = NULL;
		size_t len = 0;

		assert_non_null(text);
		memset(text, 'k', n);
		text[n] = '\0';
		put_file(path, text, 0644);

		if (ck_read_file(path, n, &buf, &len) != CK_OK)
			fail_msg("size %zu at limit %zu: %s", n, n, ck_errmsg());
		assert_int_equal(len, n);
		assert_memory_equal(buf, text, n);
		assert_int_equal(buf[n], '\0');
		free(buf);
		buf = NULL;

		if (ck_read_file(path, n - 1, &buf, &len) != CK_EINVAL)
			fail_msg("size %zu at limit %zu was not refused", n, n - 1);
		assert_msg_contains("larger than");
		assert_null(buf);
		free(text);
	}
}

static void test_read_missing_file(void **state)
{
	struct tmpdir *f = *state;
	char path[PATH_MAX];
	uint8_t *buf = NULL;
	size_t len = 0;

	path_in(f, "absent.pem", path, sizeof(path));
	assert_int_equal(ck_read_file(path, CK_INPUT_MAX, &buf, &len), CK_EIO);
	assert_msg_contains("absent.pem");
	assert_msg_contains("No such file or directory");
	assert_null(buf);
}

static void test_read_directory(void **state)
{
	struct tmpdir *f = *state;
	uint8_t *buf = NULL;
	size_t len = 0;

	assert_int_equal(ck_read_file(f->dir, CK_INPUT_MAX, &buf, &len), CK_EIO);
	assert_msg_contains("Is a directory");
	assert_null(buf);
}

/* "-" reads standard input (here a file dup'ed onto fd 0), which stays
 * open afterwards. */
static void test_read_stdin(void **state)
{
	struct tmpdir *f = *state;
	char path[PATH_MAX];
	uint8_t *buf = NULL;
	size_t len = 0;
	int saved, fd;
	enum ck_err rc;

	path_in(f, "stdin", path, sizeof(path));
	put_file(path, "from stdin\n", 0644);
	saved = dup(STDIN_FILENO);
	fd = open(path, O_RDONLY);
	assert_true(saved >= 0 && fd >= 0);
	assert_int_equal(dup2(fd, STDIN_FILENO), STDIN_FILENO);
	close(fd);
	rc = ck_read_file("-", CK_INPUT_MAX, &buf, &len);
	assert_int_equal(fcntl(STDIN_FILENO, F_GETFD), 0); /* not closed */
	assert_int_equal(dup2(saved, STDIN_FILENO), STDIN_FILENO);
	close(saved);
	assert_int_equal(rc, CK_OK);
	assert_int_equal(len, 11);
	assert_string_equal((char *)buf, "from stdin\n");
	free(buf);
}

/* ---- ck_write_all ---- */

static void test_write_all_reports_enospc(void **state)
{
	int fd = open("/dev/full", O_WRONLY);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(ck_write_all(fd, "x", 1), CK_EIO);
	assert_msg_contains("No space left on device");
	close(fd);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_atomic_creates_with_exact_mode),
		T(test_atomic_replaces_by_rename),
		T(test_atomic_large_buffer),
		T(test_atomic_missing_directory),
		T(test_atomic_file_where_directory_should_be),
		T(test_atomic_target_is_directory),
		T(test_atomic_unwritable_directory),
		T(test_atomic_write_failure_keeps_old_file),
		T(test_write_new_creates_private_file),
		T(test_write_new_refuses_existing),
		T(test_write_new_missing_directory),
		T(test_read_contents_nul_terminated),
		T(test_read_empty_file),
		T(test_read_size_limit),
		T(test_read_missing_file),
		T(test_read_directory),
		T(test_read_stdin),
		T(test_write_all_reports_enospc),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}

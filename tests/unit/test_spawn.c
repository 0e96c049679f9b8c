/*
 * test_spawn.c - unit tests for src/base/spawn.h: exit status and signal;
 * a program that cannot run exits 127; stdin is /dev/null; the output's
 * tail is bounded (its last bytes kept) and copied to echo_fd; the
 * environment is exactly envp; at the time limit the whole process group
 * is killed, a background grandchild that ignores SIGTERM included
 * (SIGKILL after the grace); a run that does not wait for its output ends
 * when the command exits, one that does waits for a background writer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/spawn.h"
#include "unit_util.h"

static char *const no_env[] = { NULL };

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Runs cmd with /bin/sh, the output's end in out[size]. */
static enum ck_err run_sh(const char *cmd, char *const *envp, long timeout_ms, bool wait_output,
			  char *out, size_t size, struct ck_spawn_result *res)
{
	char *argv[4];
	struct ck_tail tail = { out, size, 0 };
	struct ck_spawn sp = { .path = CK_SPAWN_SHELL, .argv = argv, .envp = envp,
			       .timeout_ms = timeout_ms, .umask = 022, .wait_output = wait_output,
			       .echo_fd = -1, .tail = &tail };

	out[0] = '\0';
	ck_spawn_shell_argv(cmd, argv);
	return ck_spawn_run(&sp, res);
}

static void test_exit_status(void **state)
{
	struct ck_spawn_result res;
	char out[256];

	(void)state;
	assert_int_equal(run_sh("exit 0", no_env, 5000, true, out, sizeof(out), &res), CK_OK);
	assert_int_equal(res.status, 0);
	assert_int_equal(res.signal, 0);
	assert_false(res.timed_out);
	assert_int_equal(run_sh("exit 7", no_env, 5000, true, out, sizeof(out), &res), CK_OK);
	assert_int_equal(res.status, 7);
	assert_int_equal(run_sh("kill -TERM $$", no_env, 5000, true, out, sizeof(out), &res),
			 CK_OK);
	assert_int_equal(res.signal, SIGTERM);
	assert_int_equal(res.status, 128 + SIGTERM);
	/* stdout and stderr both arrive; stdin is empty. */
	assert_int_equal(run_sh("echo out; echo err >&2; cat; echo end", no_env, 5000, true, out,
				sizeof(out), &res),
			 CK_OK);
	assert_string_equal(out, "out\nerr\nend\n");
	/* The umask asked for. */
	assert_int_equal(run_sh("umask", no_env, 5000, true, out, sizeof(out), &res), CK_OK);
	assert_string_equal(out, "0022\n");
}

static void test_cannot_execute(void **state)
{
	char *argv[] = { (char *)"nothing", NULL };
	struct ck_spawn sp = { .path = "/nonexistent/program", .argv = argv, .envp = no_env,
			       .timeout_ms = 5000, .echo_fd = -1 };
	struct ck_spawn_result res;

	(void)state;
	assert_int_equal(ck_spawn_run(&sp, &res), CK_OK);
	assert_int_equal(res.status, 127);
}

static void test_tail_bounded(void **state)
{
	struct ck_spawn_result res;
	char out[64];
	char tmpl[] = "/tmp/ck-test-spawn-XXXXXX";
	int fd = mkstemp(tmpl);
	char *argv[4];
	struct ck_tail tail = { out, sizeof(out), 0 };
	struct ck_spawn sp = { .path = CK_SPAWN_SHELL, .argv = argv, .envp = no_env,
			       .timeout_ms = 10000, .umask = 022, .echo_fd = fd, .tail = &tail };
	struct stat sb;

	(void)state;
	assert_true(fd >= 0);
	/* 200,000 bytes, then a recognisable end. */
	ck_spawn_shell_argv("i=0; while [ $i -lt 2000 ]; do "
			    "printf '%0100d' $i; i=$((i + 1)); done; printf 'THE END'",
			    argv);
	assert_int_equal(ck_spawn_run(&sp, &res), CK_OK);
	assert_int_equal(res.status, 0);
	assert_int_equal(strlen(out), sizeof(out) - 1);
	assert_non_null(strstr(out, "THE END"));
	assert_string_equal(out + sizeof(out) - 1 - 7, "THE END");
	/* The copy got all of it. */
	assert_int_equal(fstat(fd, &sb), 0);
	assert_int_equal(sb.st_size, 2000 * 100 + 7);
	close(fd);
	unlink(tmpl);

	/* The tail helper alone: one big piece, then small ones. */
	{
		char b[5];
		struct ck_tail t = { b, sizeof(b), 0 };

		b[0] = '\0';
		ck_tail_add(&t, "abcdefgh", 8);
		assert_string_equal(b, "efgh");
		ck_tail_add(&t, "ij", 2);
		assert_string_equal(b, "ghij");
		ck_tail_add(&t, "", 0);
		assert_string_equal(b, "ghij");
	}
}

static void test_env_exact(void **state)
{
	struct ck_spawn_result res;
	struct ck_env env = { 0 };
	char out[512];

	(void)state;
	assert_int_equal(ck_env_set(&env, "CK_ONE", "1"), CK_OK);
	assert_int_equal(ck_env_set(&env, "CK_TWO", "a b=c $(x)"), CK_OK);
	assert_int_equal(ck_env_set(&env, "CK_ONE", "first replaced"), CK_OK);
	assert_int_equal(ck_env_set(&env, "BAD=NAME", "x"), CK_EINVAL);
	assert_int_equal(ck_env_set(&env, "", "x"), CK_EINVAL);
	assert_int_equal(env.n, 2);
	assert_string_equal(ck_env_get(&env, "CK_TWO"), "a b=c $(x)");
	assert_null(ck_env_get(&env, "CK_THREE"));
	/* env itself, not through a shell (which adds PWD and the like). */
	{
		char *argv[] = { (char *)"env", NULL };
		struct ck_tail tail = { out, sizeof(out), 0 };
		struct ck_spawn sp = { .path = "/usr/bin/env", .argv = argv, .envp = env.vars,
				       .timeout_ms = 5000, .echo_fd = -1, .tail = &tail };

		out[0] = '\0';
		assert_int_equal(ck_spawn_run(&sp, &res), CK_OK);
	}
	assert_int_equal(res.status, 0);
	assert_string_equal(out, "CK_ONE=first replaced\nCK_TWO=a b=c $(x)\n");
	ck_env_free(&env);

	/* A copy of the current environment, with one more. */
	assert_int_equal(setenv("CK_TEST_INHERITED", "yes", 1), 0);
	assert_int_equal(ck_env_from_current(&env), CK_OK);
	assert_string_equal(ck_env_get(&env, "CK_TEST_INHERITED"), "yes");
	assert_int_equal(ck_env_set(&env, "CK_ADDED", "2"), CK_OK);
	assert_int_equal(run_sh("printf '%s %s' \"$CK_TEST_INHERITED\" \"$CK_ADDED\"", env.vars,
				5000, true, out, sizeof(out), &res),
			 CK_OK);
	assert_string_equal(out, "yes 2");
	ck_env_free(&env);
	unsetenv("CK_TEST_INHERITED");
}

/* The state letter of /proc/PID/stat, 0 when the process is gone. */
static char proc_state(pid_t pid)
{
	char path[64], line[512], *p;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (f == NULL)
		return 0;
	p = fgets(line, sizeof(line), f);
	fclose(f);
	if (p == NULL || (p = strrchr(line, ')')) == NULL)
		return 0;
	return p[2];
}

static bool dead(pid_t pid)
{
	int i;

	for (i = 0; i < 100; i++) {
		char s = proc_state(pid);

		if (s == 0 || s == 'Z' || s == 'X')
			return true;
		usleep(20000);
	}
	return false;
}

static void test_timeout_kills_group(void **state)
{
	struct ck_spawn_result res;
	char out[256];
	int64_t start;
	long pid;
	char *end;

	(void)state;
	/* A grandchild in the background that ignores SIGTERM, and the shell
	 * waiting for it: both must end, the grandchild by SIGKILL. */
	start = now_ms();
	assert_int_equal(run_sh("sh -c 'trap \"\" TERM; exec sleep 60' & echo $!; wait", no_env,
				300, false, out, sizeof(out), &res),
			 CK_OK);
	assert_true(res.timed_out);
	assert_true(res.status == 128 + SIGTERM || res.status == 128 + SIGKILL);
	assert_true(now_ms() - start < 300 + CK_SPAWN_GRACE_MS + 2000);
	pid = strtol(out, &end, 10);
	assert_true(pid > 1 && *end == '\n');
	assert_true(dead((pid_t)pid));

	/* A group that ends on SIGTERM does not wait for the grace. (One
	 * process: one left behind would be a zombie until init reaps it, and
	 * counts as in the group until then.) */
	start = now_ms();
	assert_int_equal(run_sh("exec sleep 60", no_env, 200, false, out, sizeof(out), &res),
			 CK_OK);
	assert_true(res.timed_out);
	assert_int_equal(res.signal, SIGTERM);
	assert_true(now_ms() - start < CK_SPAWN_GRACE_MS);
}

static void test_background_output(void **state)
{
	struct ck_spawn_result res;
	char out[256];
	int64_t start;

	(void)state;
	/* Not waiting for output: the run ends with the command, even though
	 * a background process still holds the pipe. */
	start = now_ms();
	assert_int_equal(run_sh("echo now; sleep 3 &", no_env, 10000, false, out, sizeof(out),
				&res),
			 CK_OK);
	assert_false(res.timed_out);
	assert_string_equal(out, "now\n");
	assert_true(now_ms() - start < 2000);
	/* Waiting for output: what the background wrote is there. */
	assert_int_equal(run_sh("(sleep 0.3; echo later) & echo now", no_env, 10000, true, out,
				sizeof(out), &res),
			 CK_OK);
	assert_false(res.timed_out);
	assert_int_equal(res.status, 0);
	assert_string_equal(out, "now\nlater\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exit_status),
		cmocka_unit_test(test_cannot_execute),
		cmocka_unit_test(test_tail_bounded),
		cmocka_unit_test(test_env_exact),
		cmocka_unit_test(test_timeout_kills_group),
		cmocka_unit_test(test_background_output),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

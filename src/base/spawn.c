/*
 * spawn.c - the command runner of spawn.h (DESIGN.md §7; base: spawn).
 *
 * The parent watches three things at once, with poll and a short tick:
 * the output pipe (kept in the tail, copied to echo_fd), the child's exit
 * (waitpid WNOHANG) and the time limit. At the limit the child's process
 * group gets SIGTERM; once the command has exited and nothing is left in
 * its group the run ends early, otherwise the group gets SIGKILL after the
 * grace. The child does nothing between fork and execve that could
 * allocate or take a lock.
 */
#include "base/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/array.h"

extern char **environ;

/* How often the child's exit is looked at while its output is quiet. */
#define TICK_MS 20
/* What is read after the command exited, at most: a background writer
 * must not keep a run that does not wait for its output going. */
#define DRAIN_MAX (1024 * 1024)

/* ---- the output's end ---- */

void ck_tail_add(struct ck_tail *t, const void *p, size_t n)
{
	const char *data = p;
	size_t keep;

	if (t->size < 2)
		return;
	keep = t->size - 1;
	if (n >= keep) {
		memcpy(t->buf, data + n - keep, keep);
		t->len = keep;
	} else {
		if (t->len + n > keep) {
			size_t drop = t->len + n - keep;

			memmove(t->buf, t->buf + drop, t->len - drop);
			t->len -= drop;
		}
		memcpy(t->buf + t->len, data, n);
		t->len += n;
	}
	t->buf[t->len] = '\0';
}

/* ---- the environment ---- */

/* Appends s (taken over) to e, keeping vars NULL-terminated. */
static enum ck_err env_append(struct ck_env *e, char *s)
{
	/* n strings and the NULL are in use: make room for one more. */
	char **grown = ck_array_grow(e->vars, e->n + 1, sizeof(*grown));

	if (grown == NULL) {
		free(s);
		return CK_ENOMEM;
	}
	e->vars = grown;
	e->vars[e->n++] = s;
	e->vars[e->n] = NULL;
	return CK_OK;
}

static enum ck_err env_start(struct ck_env *e)
{
	e->n = 0;
	e->vars = ck_array_grow(NULL, 0, sizeof(*e->vars));
	if (e->vars == NULL)
		return CK_ENOMEM;
	e->vars[0] = NULL;
	return CK_OK;
}

enum ck_err ck_env_from_current(struct ck_env *e)
{
	enum ck_err rc = env_start(e);
	size_t i;

	for (i = 0; rc == CK_OK && environ != NULL && environ[i] != NULL; i++) {
		char *s = strdup(environ[i]);

		rc = s ? env_append(e, s) : ck_fail(CK_ENOMEM, "out of memory");
	}
	if (rc != CK_OK)
		ck_env_free(e);
	return rc;
}

/* The index of name's entry in e, or e->n. */
static size_t env_find(const struct ck_env *e, const char *name)
{
	size_t len = strlen(name), i;

	for (i = 0; i < e->n; i++)
		if (strncmp(e->vars[i], name, len) == 0 && e->vars[i][len] == '=')
			return i;
	return e->n;
}

enum ck_err ck_env_set(struct ck_env *e, const char *name, const char *value)
{
	size_t nl = strlen(name), vl = strlen(value), i;
	char *s;

	if (nl == 0 || strchr(name, '=') != NULL)
		return ck_fail(CK_EINVAL, "invalid environment variable name '%.64s'", name);
	if (e->vars == NULL && env_start(e) != CK_OK)
		return CK_ENOMEM;
	s = malloc(nl + vl + 2);
	if (s == NULL)
		return ck_fail(CK_ENOMEM, "out of memory");
	memcpy(s, name, nl);
	s[nl] = '=';
	memcpy(s + nl + 1, value, vl + 1);
	i = env_find(e, name);
	if (i < e->n) {
		free(e->vars[i]);
		e->vars[i] = s;
		return CK_OK;
	}
	return env_append(e, s);
}

const char *ck_env_get(const struct ck_env *e, const char *name)
{
	size_t i = env_find(e, name);

	return i < e->n ? e->vars[i] + strlen(name) + 1 : NULL;
}

void ck_env_free(struct ck_env *e)
{
	size_t i;

	for (i = 0; i < e->n; i++)
		free(e->vars[i]);
	free(e->vars);
	e->vars = NULL;
	e->n = 0;
}

/* ---- running ---- */

void ck_spawn_shell_argv(const char *cmd, char *argv[4])
{
	argv[0] = (char *)"sh";
	argv[1] = (char *)"-c";
	argv[2] = (char *)cmd;
	argv[3] = NULL;
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A descriptor above the standard ones, so that dup2 onto 0-2 always
 * makes a new one without close-on-exec. */
static int above_std(int fd)
{
	return fd >= 0 && fd <= STDERR_FILENO ? fcntl(fd, F_DUPFD_CLOEXEC, STDERR_FILENO + 1) : fd;
}

/* In the child: only async-signal-safe calls, then execve. */
static void __attribute__((noreturn)) child(const struct ck_spawn *sp, int out, int in)
{
	sigset_t none;

	setsid(); /* its own group: the time limit reaches all it starts */
	out = above_std(out);
	in = above_std(in);
	if (in >= 0)
		dup2(in, STDIN_FILENO);
	dup2(out, STDOUT_FILENO);
	dup2(out, STDERR_FILENO);
	umask(sp->umask);
	/* Signals the daemon's CA service thread blocks are the command's
	 * to receive (a mask survives exec). */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execve(sp->path, sp->argv, sp->envp);
	_exit(127);
}

/* Signals the child's group; the child alone while it has not yet made
 * its group (only before it is reaped: its pid is not ours after that). */
static void signal_group(pid_t pid, int sig, bool reaped)
{
	if (kill(-pid, sig) != 0 && errno == ESRCH && !reaped)
		kill(pid, sig);
}

/* No process left in the group. A member that died but is not yet reaped
 * (a zombie handed to init) still counts: then the run waits out the
 * grace, which is harmless. */
static bool group_gone(pid_t pid)
{
	return kill(-pid, 0) != 0 && errno == ESRCH;
}

static void take_output(const struct ck_spawn *sp, const char *data, size_t n)
{
	size_t off = 0;

	if (sp->tail)
		ck_tail_add(sp->tail, data, n);
	while (sp->echo_fd >= 0 && off < n) {
		ssize_t w = write(sp->echo_fd, data + off, n - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break; /* the copy is a courtesy: the run goes on */
		off += (size_t)w;
	}
}

/* Reads what the pipe has; false at its end (or on an error). */
static bool read_some(const struct ck_spawn *sp, int fd)
{
	char buf[4096];
	ssize_t n = read(fd, buf, sizeof(buf));

	if (n < 0)
		return errno == EINTR || errno == EAGAIN;
	if (n == 0)
		return false;
	take_output(sp, buf, (size_t)n);
	return true;
}

/* What is already in the pipe, without waiting for more. */
static void drain(const struct ck_spawn *sp, int fd)
{
	size_t total = 0;

	for (;;) {
		char buf[4096];
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		take_output(sp, buf, (size_t)n);
		total += (size_t)n;
		if (total >= DRAIN_MAX)
			return;
	}
}

static void set_result(int status, struct ck_spawn_result *res)
{
	if (WIFEXITED(status)) {
		res->status = WEXITSTATUS(status);
	} else if (WIFSIGNALED(status)) {
		res->signal = WTERMSIG(status);
		res->status = 128 + res->signal;
	}
}

/* Follows the running child until the run ends (see the file's comment). */
static enum ck_err watch(const struct ck_spawn *sp, pid_t pid, int fd,
			 struct ck_spawn_result *res)
{
	int64_t deadline = mono_ms() + sp->timeout_ms, kill_at = 0;
	bool reaped = false, open = true, termed = false;
	enum ck_err rc = CK_OK;
	int status = 0;

	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	for (;;) {
		struct pollfd p = { fd, POLLIN, 0 };
		int64_t now, wait;

		if (!reaped) {
			pid_t r = waitpid(pid, &status, WNOHANG);

			if (r == pid) {
				reaped = true;
			} else if (r < 0 && errno != EINTR) {
				rc = ck_fail_errno(CK_EIO, "waitpid");
				signal_group(pid, SIGKILL, false);
				break;
			}
		}
		if (reaped && !termed && (!open || !sp->wait_output))
			break;
		now = mono_ms();
		if (termed && reaped && group_gone(pid))
			break;
		if (termed && now >= kill_at) {
			signal_group(pid, SIGKILL, reaped);
			break;
		}
		if (!termed && now >= deadline) {
			signal_group(pid, SIGTERM, reaped);
			termed = true;
			res->timed_out = true;
			kill_at = now + CK_SPAWN_GRACE_MS;
			continue;
		}
		wait = (termed ? kill_at : deadline) - now;
		if (wait > TICK_MS)
			wait = TICK_MS;
		if (!open) {
			poll(NULL, 0, (int)wait);
			continue;
		}
		if (poll(&p, 1, (int)wait) > 0)
			open = read_some(sp, fd);
	}
	if (open)
		drain(sp, fd);
	while (!reaped) {
		pid_t r = waitpid(pid, &status, 0);

		if (r == pid)
			reaped = true;
		else if (r < 0 && errno != EINTR)
			break;
	}
	if (reaped)
		set_result(status, res);
	return rc;
}

enum ck_err ck_spawn_run(const struct ck_spawn *sp, struct ck_spawn_result *res)
{
	int fds[2], devnull;
	enum ck_err rc = CK_OK;
	pid_t pid;

	memset(res, 0, sizeof(*res));
	if (pipe(fds) != 0)
		return ck_fail_errno(CK_EIO, "pipe");
	/* Other commands started meanwhile must not hold this pipe open. */
	fcntl(fds[0], F_SETFD, FD_CLOEXEC);
	fcntl(fds[1], F_SETFD, FD_CLOEXEC);
	devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	pid = fork();
	if (pid == 0)
		child(sp, fds[1], devnull);
	if (pid < 0)
		rc = ck_fail_errno(CK_EIO, "fork");
	close(fds[1]);
	if (devnull >= 0)
		close(devnull);
	if (pid > 0)
		rc = watch(sp, pid, fds[0], res);
	close(fds[0]);
	return rc;
}

/*
 * spawn.h - running a command: a task's on an event, a binding's check and
 * reload (DESIGN.md §7; base: spawn).
 *
 * One way for every command certkeep starts, so that each gets the same
 * guarantees:
 * - Its argv and environment are built before fork: the child only
 *   rearranges descriptors and calls execve, nothing that allocates or
 *   locks (certkeep may have threads: the daemon's CA service).
 * - It runs in a session and process group of its own (setsid), so that at
 *   its time limit the whole group - the shell and anything it started,
 *   in the background too - gets SIGTERM, then SIGKILL if some of it is
 *   still there CK_SPAWN_GRACE_MS later.
 * - Standard input is /dev/null; standard output and error share one pipe
 *   whose last bytes are kept (struct ck_tail) for a message or a record,
 *   and may also be copied as they come to a descriptor of certkeep's.
 * - Signals certkeep blocks are unblocked for it (a mask survives exec);
 *   its umask is the one given.
 *
 * Ownership: everything passed in stays the caller's; a ck_env owns its
 * strings until ck_env_free.
 */
#ifndef CK_SPAWN_H
#define CK_SPAWN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "base/err.h"

/* Between SIGTERM and SIGKILL at the time limit. */
#define CK_SPAWN_GRACE_MS 2000

/* A text that keeps only its last size - 1 bytes, NUL-terminated, in the
 * caller's buf[size] (size >= 2). Start it as { buf, size, 0 } with buf[0]
 * = '\0'. */
struct ck_tail {
	char *buf;
	size_t size;
	size_t len;
};

/* Appends n bytes, dropping the oldest ones past the size. */
void ck_tail_add(struct ck_tail *t, const void *p, size_t n);

/* An environment for execve: "NAME=value" strings, NULL-terminated. */
struct ck_env {
	char **vars; /* vars[n] == NULL */
	size_t n;
};

/* A copy of this process's environment. */
enum ck_err ck_env_from_current(struct ck_env *e);

/* Sets name (non-empty, without '=') to value, replacing an earlier one. */
enum ck_err ck_env_set(struct ck_env *e, const char *name, const char *value);

/* The value of name in e, or NULL. */
const char *ck_env_get(const struct ck_env *e, const char *name);

void ck_env_free(struct ck_env *e);

struct ck_spawn {
	const char *path;    /* the program, run by execve (no PATH search) */
	char *const *argv;   /* argv[0] ... NULL */
	char *const *envp;   /* the whole environment ... NULL */
	long timeout_ms;     /* > 0: the time limit of the whole run */
	mode_t umask;        /* the child's */
	/* True: the run lasts until the output closes as well as the command
	 * has exited (what it left in the background may still write);
	 * false: it ends when the command exits, with the output it wrote. */
	bool wait_output;
	int echo_fd;         /* -1, or where the output is also copied to */
	struct ck_tail *tail;/* NULL, or where the output's end is kept */
};

struct ck_spawn_result {
	int status;     /* the exit code, or 128 + the signal that ended it */
	int signal;     /* that signal, 0 when it exited */
	bool timed_out; /* the time limit was reached: the group was killed */
};

/* The shell command cmd as argv for ck_spawn: { "sh", "-c", cmd, NULL }
 * (path: CK_SPAWN_SHELL). */
#define CK_SPAWN_SHELL "/bin/sh"
void ck_spawn_shell_argv(const char *cmd, char *argv[4]);

/*
 * Runs the command and waits for it (at most its time limit plus the grace
 * between SIGTERM and SIGKILL). CK_OK when it ran, whatever it exited with
 * (a program that cannot be executed exits 127); CK_EIO (message "pipe: ...",
 * "fork: ...") when it could not be started or waited for.
 */
enum ck_err ck_spawn_run(const struct ck_spawn *sp, struct ck_spawn_result *res);

#endif

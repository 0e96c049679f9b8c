/*
 * main.c - certkeep's entry point: global options, dispatch through the
 * command table, exit status (DESIGN.md §10).
 *
 * Exit status: 0 success, 1 error, 2 usage, 3 a check found problems,
 * 4 temporary failure, 5 done but a reaction to it failed. A failed write
 * to stdout is an error too.
 */
#include <errno.h>
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/help.h"
#include "core/lifecycle/bindings.h"
#include "base/strlist.h"
#include "pki/pki.h"

#define CERTKEEP_VERSION "0.1.0"

static int finish_output(int status);

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "certkeep: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see 'certkeep --help')\n");
	return 2;
}

/* A usage error of a known command: named, with where its help is. */
static int cmd_usage_error(const struct cmd_spec *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int cmd_usage_error(const struct cmd_spec *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "certkeep %s: ", cmd->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see 'certkeep %s --help')\n", cmd->name);
	return 2;
}

/* Stores an option value; OPT_VALUE and OPT_FLAG may appear once. */
static int record(struct cli *c, const struct opt_spec *spec, const char *value)
{
	int i;

	if (spec->kind != OPT_MULTI)
		for (i = 0; i < c->nvals; i++)
			if (c->vals[i].spec == spec)
				return cmd_usage_error(c->cmd, "option %s given twice", spec->name);
	if (c->nvals >= CLI_MAX_VALUES)
		return cmd_usage_error(c->cmd, "too many options");
	c->vals[c->nvals].spec = spec;
	c->vals[c->nvals].value = value;
	c->nvals++;
	return 0;
}

/* A group's sub-commands, as its synopsis: "ca init | install | ...". */
static void print_subcommands(const struct cmd_spec *group)
{
	const char *sep = "";
	size_t i;

	fprintf(stderr, "%s ", group->name);
	for (i = 0; i < cli_table.n; i++) {
		if (!cli_cmd_in_group(&cli_table.rows[i], group))
			continue;
		fprintf(stderr, "%s%s", sep, cli_cmd_word(&cli_table.rows[i]));
		sep = " | ";
	}
}

/*
 * A word that is no option: the command, then (for a group) its
 * sub-command, then the command's arguments. An unknown name is refused
 * with the nearest known one.
 */
static int take_word(struct cli *c, char *word, char **positional, int max)
{
	const struct cmd_spec *group = c->cmd, *near;

	if (group && !cli_cmd_is_group(group)) {
		if (c->nargs >= max)
			return cmd_usage_error(group, "too many arguments");
		positional[c->nargs++] = word;
		return 0;
	}
	c->cmd = cli_cmd_find(&cli_table, group, word);
	if (c->cmd != NULL)
		return 0;
	near = cli_cmd_nearest(&cli_table, group, word);
	fprintf(stderr, "certkeep: unknown command '%s%s%.40s'", group ? group->name : "",
		group ? " " : "", ck_text_safe(word));
	if (near)
		fprintf(stderr, ": did you mean '%s'?", near->name);
	if (group) {
		fprintf(stderr, " (");
		print_subcommands(group);
		fprintf(stderr, "; see 'certkeep %s --help')\n", group->name);
	} else {
		fprintf(stderr, " (see 'certkeep --help')\n");
	}
	return 2;
}

/*
 * Parses argv into c: the command (first words that are no option: a
 * command, or a group and its sub-command), the options of that row,
 * global options anywhere, positional arguments. Returns 0 or an exit
 * status. help is set for --help/-h.
 */
static int parse(int argc, char **argv, struct cli *c, bool *help)
{
	/* As many as argv holds: ca submit takes thousands of request files. */
	char **positional = calloc((size_t)argc + 1, sizeof(*positional));
	bool only_args = false;
	int i;

	if (positional == NULL)
		return usage_error("out of memory");
	c->args = positional;
	for (i = 1; i < argc; i++) {
		char *a = argv[i];
		const struct opt_spec *spec = NULL;
		const char *eq;
		size_t len;

		if (only_args || a[0] != '-' || a[1] == '\0') {
			if (take_word(c, a, positional, argc))
				return 2;
			continue;
		}
		if (strcmp(a, "--") == 0) {
			only_args = true;
			continue;
		}
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			*help = true;
			continue;
		}
		if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
			c->verbose++;
			continue;
		}
		if (strcmp(a, "--json") == 0) {
			c->json = true;
			continue;
		}
		if (strcmp(a, "--version") == 0) {
			printf("certkeep %s\n", CERTKEEP_VERSION);
			exit(finish_output(0));
		}
		eq = strchr(a, '=');
		len = eq ? (size_t)(eq - a) : strlen(a);
		if (len == 7 && strncmp(a, "--store", 7) == 0) {
			if (eq)
				c->store_dir = eq + 1;
			else if (i + 1 < argc)
				c->store_dir = argv[++i];
			else
				return usage_error("option %s needs a value", "--store");
			continue;
		}
		if (c->cmd == NULL)
			return usage_error("unknown option '%.40s' before the command", ck_text_safe(a));
		spec = cli_opt_find(c->cmd, a, len);
		/* setreg's "-EXITEVENT_X" removes a value, as in certutil. */
		if (spec == NULL && (c->cmd->flags & CMD_DASH_ARGS) && a[1] != '-' &&
		    c->nargs < c->cmd->max_args) {
			positional[c->nargs++] = a;
			continue;
		}
		/* Only the row's own options: one of a sibling sub-command
		 * would otherwise be accepted and do nothing. */
		if (spec == NULL) {
			char name[64];

			snprintf(name, sizeof(name), "%.*s", len < 40 ? (int)len : 40, a);
			return cmd_usage_error(c->cmd, "%s is not an option of '%s'", ck_text_safe(name),
					       c->cmd->name);
		}
		if (spec->kind == OPT_FLAG) {
			if (eq)
				return cmd_usage_error(c->cmd, "option %s takes no value", spec->name);
			if (record(c, spec, NULL))
				return 2;
			continue;
		}
		if (eq) {
			if (record(c, spec, eq + 1))
				return 2;
		} else if (i + 1 < argc) {
			if (record(c, spec, argv[++i]))
				return 2;
		} else {
			return cmd_usage_error(c->cmd, "option %s needs a value", spec->name);
		}
	}
	return 0;
}

/* The checks of the row the command line named: a sub-command for a
 * group, the argument count, text arguments. 0 or an exit status. */
static int check_row(const struct cli *c)
{
	const struct cmd_spec *cmd = c->cmd;
	int i;

	if (cli_cmd_is_group(cmd)) {
		fprintf(stderr, "certkeep %s: give a sub-command: ", cmd->name);
		print_subcommands(cmd);
		fprintf(stderr, " (see 'certkeep %s --help')\n", cmd->name);
		return 2;
	}
	if (c->nargs < cmd->min_args || c->nargs > cmd->max_args)
		return cmd_usage_error(cmd, "expected %s",
				       cmd->max_args && cmd->args ? cmd->args : "no arguments");
	/* Stored, mailed and printed: text only (a template may span lines,
	 * so control characters are the templates' business). */
	for (i = 0; (cmd->flags & CMD_TEXT_ARGS) && i < c->nargs; i++)
		if (!ck_utf8_valid(c->args[i]))
			return cmd_usage_error(cmd, "argument %d is not valid UTF-8 text", i + 1);
	return 0;
}

/* Reports the failure on stderr, one line, and maps it to the exit status. */
static int report(const struct cli *c, enum ck_err rc)
{
	/* A message may quote what came from outside (a file's name, a
	 * server's reply): control characters are shown escaped. */
	const char *msg = ck_text_safe(ck_errmsg());

	if (rc == CK_OK)
		return 0;
	if (rc == CK_EUSAGE)
		fprintf(stderr, "certkeep %s: %s (see 'certkeep %s --help')\n", c->cmd->name,
			*msg ? msg : "usage", c->cmd->name);
	else if (rc != CK_EPROBLEM || *msg)
		fprintf(stderr, "certkeep %s: %s\n", c->cmd->name, *msg ? msg : "failed");
	return ck_exit_status(rc);
}

/* What the command did, in the words of the last event it wrote. */
static int note_event(const struct store_event *ev, void *arg)
{
	char *last = arg;

	if (snprintf(last, 200, "event %d: %s", ev->id, ev->message) >= 200)
		memcpy(last + 200 - 4, "...", 4);
	return STORE_STOP;
}

/*
 * Reactions belong to the command that caused them: they run only when
 * the command wrote events (the log's end moved). A read-only command
 * leaves reactions still owed (after a crash) to the next writing command,
 * the monitor and the daemon, and never fails on them. The change is
 * committed whatever the reactions do: a failure says what was done and
 * what failed (exit 5); the status of a command that failed after it
 * wrote events (a check's 3, a submission with denials) stays, and the
 * reactions' failure is told.
 */
static enum ck_err run_reactions(struct cli *c, int64_t before, enum ck_err rc)
{
	struct store_event_filter f = { .limit = 1 };
	char last[200] = "its change is recorded";
	int64_t after = before;
	enum ck_err react;
	char why[1024], said[1024];

	snprintf(said, sizeof(said), "%s", ck_errmsg()); /* a check's finding, a refusal */
	if (store_event_last_seq(c->st, &after) != CK_OK || after <= before) {
		ck_fail(rc, "%s", said);
		return rc;
	}
	react = ck_reactions_run(c->st);
	if (react == CK_OK) {
		ck_fail(rc, "%s", said);
		return rc;
	}
	snprintf(why, sizeof(why), "%s", ck_errmsg());
	/* The log's end before the reactions is the command's last event. */
	f.after_seq = after - 1;
	store_event_each(c->st, &f, note_event, last);
	ck_fail(CK_EREACTION, "done (%s), but automatic rebinding failed: %s", last, why);
	if (rc != CK_OK) {
		fprintf(stderr, "certkeep %s: %s\n", c->cmd->name, ck_text_safe(ck_errmsg()));
		return ck_fail(rc, "%s", said);
	}
	return CK_EREACTION;
}

/* Output that did not reach its destination is a failure (jq): checked
 * once, at the end, and reported unless a failure was reported already. */
static int finish_output(int status)
{
	if (fflush(stdout) != 0 || ferror(stdout) || fclose(stdout) != 0) {
		if (status == 0) {
			fprintf(stderr, "certkeep: cannot write output: %s\n", strerror(errno));
			status = 1;
		}
	}
	return status;
}

/* The command parse found, from its checks to its reactions. */
static int run_command(struct cli *c, bool help)
{
	enum ck_err rc = CK_OK;
	char dir[4096];
	int64_t seq = 0;
	int status;

	if (c->cmd == NULL) {
		cli_usage(help ? stdout : stderr, &cli_table);
		return help ? finish_output(0) : 2;
	}
	if (help) {
		cli_command_help(stdout, &cli_table, c->cmd);
		return finish_output(0);
	}
	status = check_row(c);
	if (status != 0)
		return status;
	if (c->cmd->flags & (CMD_STORE | CMD_CREATE)) {
		rc = store_default_dir(c->store_dir, dir, sizeof(dir));
		if (rc == CK_OK && c->verbose)
			fprintf(stderr, "certkeep: store %s\n", dir);
		/* A command a service does for it (ca submit, handed to the
		 * daemon's CA service) needs neither the store nor OpenSSL
		 * in this process. */
		if (rc == CK_OK && c->cmd->before_store && c->cmd->before_store(c, dir, &rc))
			return finish_output(report(c, rc));
	}
	pki_init();
	if (rc == CK_OK && (c->cmd->flags & (CMD_STORE | CMD_CREATE)))
		rc = store_open(dir, (c->cmd->flags & CMD_CREATE) != 0, &c->st);
	if (rc == CK_OK && c->st)
		rc = store_event_last_seq(c->st, &seq);
	if (rc == CK_OK)
		rc = c->cmd->run(c);
	/* Reactions to the events just written (autorebind, tasks); a failed
	 * rebinding is an event, and the monitor moves what it left. */
	if (c->st)
		rc = run_reactions(c, seq, rc);
	store_close(c->st);
	c->st = NULL;
	return finish_output(report(c, rc));
}

int main(int argc, char **argv)
{
	struct cli c;
	bool help = false;
	int status;

	memset(&c, 0, sizeof(c));
	setlocale(LC_ALL, "C");
	umask(077);
	openlog("certkeep", LOG_PID, LOG_DAEMON);
	status = parse(argc, argv, &c, &help);
	if (status == 0)
		status = run_command(&c, help);
	free(c.args);
	return status;
}

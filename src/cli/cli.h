/*
 * cli.h - the command line: one table of commands, their options and help
 * (DESIGN.md §10).
 *
 * The dispatcher parses global options (--store, --json, -v, --help)
 * wherever they stand, checks each command's options and argument counts
 * against the table, opens the store when the command needs it, and turns
 * the handler's enum ck_err into the exit status. Handlers only call
 * services and print.
 */
#ifndef CK_CLI_H
#define CK_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

#include "base/err.h"
#include "store/store.h"
#include "base/text.h"

enum opt_kind {
	OPT_FLAG,  /* --name */
	OPT_VALUE, /* --name VALUE, once */
	OPT_MULTI, /* --name VALUE, repeatable; values may be comma lists */
};

struct opt_spec {
	const char *name; /* "--days" */
	enum opt_kind kind;
	const char *metavar; /* "N" */
	const char *help;
};

enum cmd_flags {
	CMD_STORE = 1 << 0,  /* opens an existing store */
	CMD_CREATE = 1 << 1, /* creates the store if missing (implies CMD_STORE) */
	CMD_DASH_ARGS = 1 << 2, /* a word like -NAME that is no option is an argument */
};

struct cli;

struct cmd_spec {
	const char *name;  /* "init", "list" */
	enum ck_err (*run)(struct cli *c);
	int min_args, max_args; /* positional arguments */
	unsigned flags;
	const char *args;    /* positional synopsis, "THUMBPRINT" */
	const char *summary; /* one line */
	const char *details; /* paragraph for --help and the man page */
	const struct opt_spec *opts;
};

#define CLI_MAX_VALUES 128

struct cli {
	const struct cmd_spec *cmd;
	bool json;
	int verbose;
	const char *store_dir;
	char **args;
	int nargs;
	struct {
		const struct opt_spec *spec;
		const char *value; /* NULL for flags */
	} vals[CLI_MAX_VALUES];
	int nvals;
	struct store *st;
};

extern const struct cmd_spec cli_commands[];
extern const size_t cli_n_commands;

/* Parsed option access. */
bool cli_flag(const struct cli *c, const char *name);
const char *cli_value(const struct cli *c, const char *name);
/* The i-th value of a repeatable option, comma lists split; the returned
 * list is malloc'ed (free with ck_strlist_free). */
enum ck_err cli_values(const struct cli *c, const char *name, char ***out, size_t *n);
/* Integer option in [min, max]; *out untouched if absent. */
enum ck_err cli_int(const struct cli *c, const char *name, long min, long max, int *out);

/* A free-text option that is stored (--requester, --reason, ...): NULL
 * when absent; CK_EUSAGE naming the option unless it is UTF-8 text, and,
 * when one_line, CK_EINVAL if it holds control characters (C0 including
 * tab, CR and LF, DEL, C1; the core refused CR and LF so before): such a
 * field goes into events, JSON and mail headers. */
enum ck_err cli_text(const struct cli *c, const char *name, bool one_line, const char **out);


/* Prints a JSON value to stdout (sorted keys, indented) and a newline. */
enum ck_err cli_print_json(const json_t *v);
/* The same for a new reference, which it releases (NULL: out of memory). */
enum ck_err cli_print_json_new(json_t *v);
/* Prints one element of a streamed JSON array: "[" is printed by the
 * caller, then each item with its index, then "]" (cli_json_array_end). */
int cli_json_array_item(const json_t *item, size_t index);
void cli_json_array_end(size_t count);

/* Reads a password: the first line of stdin with --password-stdin, else
 * from the terminal without echo (asked twice when confirm). Never from
 * argv. */
enum ck_err cli_read_password(const struct cli *c, const char *prompt, bool confirm,
			      char **out);

/* Help output from the table. */
void cli_usage(FILE *f);
void cli_command_help(FILE *f, const struct cmd_spec *cmd);
/* The COMMANDS section of certkeep(1), in roff. */
void cli_man_commands(FILE *f);
/* The exit module's keys and event groups for certkeep(1), from their
 * tables. */
void cli_man_exitreg(FILE *f);
/* The EVENTS section of certkeep(1), from the event catalogue. */
void cli_man_events(FILE *f);
/* The configuration keys for certkeep(1), from their table. */
void cli_man_config(FILE *f);
/* Escapes roff's special characters in a line of help text. */
void cli_roff_text(FILE *f, const char *s);

/* Command handlers. */
enum ck_err cmd_init(struct cli *c);
enum ck_err cmd_list(struct cli *c);
enum ck_err cmd_show(struct cli *c);
enum ck_err cmd_new(struct cli *c);
enum ck_err cmd_import(struct cli *c);
enum ck_err cmd_export(struct cli *c);
enum ck_err cmd_enable(struct cli *c);
enum ck_err cmd_disable(struct cli *c);
enum ck_err cmd_clone(struct cli *c);
enum ck_err cmd_remove(struct cli *c);
enum ck_err cmd_events(struct cli *c);
enum ck_err cmd_connector(struct cli *c);
enum ck_err cmd_select(struct cli *c);
enum ck_err cmd_diagnose(struct cli *c);
enum ck_err cmd_trust(struct cli *c);
enum ck_err cmd_probe(struct cli *c);
enum ck_err cmd_bind(struct cli *c);
enum ck_err cmd_rebind(struct cli *c);
enum ck_err cmd_autorebind(struct cli *c);
enum ck_err cmd_monitor(struct cli *c);
enum ck_err cmd_autorenew(struct cli *c);
enum ck_err cmd_daemon(struct cli *c);
enum ck_err cmd_task(struct cli *c);
enum ck_err cmd_ca(struct cli *c);
/* 'ca submit' handed to the daemon's CA service when one answers on the
 * store's socket (true, *rc its outcome); false: run it in-process. */
bool cmd_ca_submit_to_service(struct cli *c, const char *store_dir, enum ck_err *rc);
enum ck_err cmd_help(struct cli *c);
enum ck_err cmd_mail(struct cli *c);
enum ck_err cmd_config(struct cli *c);
/* ca setreg | getreg | setsmtpinfo (the exit module's configuration). */
enum ck_err cmd_ca_registry(struct cli *c);

#endif

/*
 * table.h - the shape of the command table, and the lookups in it
 * (DESIGN.md §10).
 *
 * Every command and every sub-command is one row: its name, handler,
 * argument counts, flags, options and help. A command with sub-commands
 * ("ca") is a group: a row without a handler, whose sub-commands are the
 * rows named after it ("ca submit"). The lookups take the table as an
 * argument, so that the help printer can use them without naming the
 * table (whose help row names the printer). Rows and names are static:
 * every pointer returned is borrowed from the table.
 */
#ifndef CK_CLI_TABLE_H
#define CK_CLI_TABLE_H

#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"

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
	CMD_TEXT_ARGS = 1 << 3, /* every argument must be UTF-8 text (it is stored) */
};

/* As many arguments as the command line holds (ca submit CSR...). */
#define CMD_ANY_ARGS 1000000000

struct cli;

struct cmd_spec {
	const char *name; /* "init", "ca submit"; a group: "ca" */
	enum ck_err (*run)(struct cli *c); /* NULL for a group */
	int min_args, max_args; /* positional arguments */
	unsigned flags;
	const char *args;    /* positional synopsis, "THUMBPRINT" */
	const char *summary; /* one line */
	const char *details; /* paragraph for --help and the man page */
	const struct opt_spec *opts;
	/* Optional: runs once the store's directory is known, before the
	 * store is opened (and before OpenSSL starts); true when it did the
	 * command's work, *rc its outcome; false to run the command as usual.
	 * For a command handed to a service that holds the store. */
	bool (*before_store)(struct cli *c, const char *store_dir, enum ck_err *rc);
};

struct cmd_table {
	const struct cmd_spec *rows;
	size_t n;
};

/* Whether cmd is a group of sub-commands. */
bool cli_cmd_is_group(const struct cmd_spec *cmd);
/* Whether cmd is a sub-command of group, or with group NULL a command of
 * the top level (a group included). */
bool cli_cmd_in_group(const struct cmd_spec *cmd, const struct cmd_spec *group);
/* The command named word (group NULL) or the sub-command word of group;
 * NULL if there is none. */
const struct cmd_spec *cli_cmd_find(const struct cmd_table *t, const struct cmd_spec *group,
				    const char *word);
/* The command (group NULL) or sub-command of group nearest to word, by
 * edit distance: for "did you mean ...?". NULL when there is none. */
const struct cmd_spec *cli_cmd_nearest(const struct cmd_table *t,
				       const struct cmd_spec *group, const char *word);
/* The option of cmd named by the first len bytes of name, or NULL. */
const struct opt_spec *cli_opt_find(const struct cmd_spec *cmd, const char *name, size_t len);
/* The word of cmd after its group's name: "submit" for "ca submit". */
const char *cli_cmd_word(const struct cmd_spec *cmd);

#endif

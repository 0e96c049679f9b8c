/*
 * help.h - --help and the man page's COMMANDS section, printed from the
 * command table (DESIGN.md §10).
 *
 * Each takes the table to print: the table's help row names cmd_help,
 * which calls these, so they read the table they are given.
 */
#ifndef CK_CLI_HELP_H
#define CK_CLI_HELP_H

#include <stdio.h>

#include "cli/table.h"

/* certkeep --help: the commands of the top level, one line each. */
void cli_usage(FILE *f, const struct cmd_table *t);
/* certkeep CMD --help: a command's synopsis, details and options only; for
 * a group, its sub-commands with one line each. */
void cli_command_help(FILE *f, const struct cmd_table *t, const struct cmd_spec *cmd);
/* The COMMANDS section of certkeep(1), in roff: every command and every
 * sub-command with its options. */
void cli_man_commands(FILE *f, const struct cmd_table *t);
/* Escapes roff's special characters in a line of help text. */
void cli_roff_text(FILE *f, const char *s);

#endif

/*
 * help.c - --help and the COMMANDS section of certkeep(1), printed from
 * the command table (DESIGN.md §10): a command's help shows its own
 * synopsis and options only, a group's help its sub-commands.
 */
#include <stdio.h>
#include <string.h>

#include "cli/help.h"

static const char global_usage[] =
	"\nGlobal options (before or after the command):\n"
	"  --store DIR  the store (default: $CERTKEEP_STORE, /var/lib/certkeep for root,\n"
	"               ~/.local/state/certkeep otherwise)\n"
	"  --json       JSON on stdout\n"
	"  -v           more detail on stderr\n";

void cli_usage(FILE *f, const struct cmd_table *t)
{
	size_t i;

	fprintf(f, "usage: certkeep [--store DIR] [--json] [-v] COMMAND [ARGS...]\n\n"
		   "Keeps the TLS certificates of mail and web servers.\n\nCommands:\n");
	for (i = 0; i < t->n; i++)
		if (cli_cmd_in_group(&t->rows[i], NULL))
			fprintf(f, "  %-9s %s\n", t->rows[i].name, t->rows[i].summary);
	fprintf(f, "%s"
		   "\n'certkeep COMMAND --help' shows a command's options; man certkeep for more.\n"
		   "Exit status: 0 ok, 1 error, 2 usage, 3 problems found, 4 try again later.\n",
		global_usage);
}

/* A row's positional synopsis; "" when it takes none. */
static const char *args_of(const struct cmd_spec *cmd)
{
	return cmd->args ? cmd->args : "";
}

/* "--days N" */
static void opt_synopsis(char *buf, size_t n, const struct opt_spec *o)
{
	snprintf(buf, n, "%s%s%s", o->name, o->metavar ? " " : "", o->metavar ? o->metavar : "");
}

static void print_globals(FILE *f)
{
	fprintf(f, "  %-22s %s\n  %-22s %s\n  %-22s %s\n", "--json", "JSON on stdout",
		"--store DIR", "the store directory", "-v, --verbose", "more detail on stderr");
}

static void group_help(FILE *f, const struct cmd_table *t, const struct cmd_spec *group)
{
	size_t i;

	fprintf(f, "usage: certkeep %s SUBCOMMAND [ARGS...] [OPTIONS]\n\n%s\n\nSub-commands:\n",
		group->name, group->details);
	for (i = 0; i < t->n; i++) {
		const struct cmd_spec *sub = &t->rows[i];
		char buf[64];

		if (!cli_cmd_in_group(sub, group))
			continue;
		snprintf(buf, sizeof(buf), "%s%s%s", cli_cmd_word(sub), *args_of(sub) ? " " : "",
			 args_of(sub));
		if (strlen(buf) > 22)
			fprintf(f, "  %s\n  %-22s %s\n", buf, "", sub->summary);
		else
			fprintf(f, "  %-22s %s\n", buf, sub->summary);
	}
	fprintf(f, "\n'certkeep %s SUBCOMMAND --help' shows a sub-command's options.\n\nOptions:\n",
		group->name);
	print_globals(f);
}

void cli_command_help(FILE *f, const struct cmd_table *t, const struct cmd_spec *cmd)
{
	const struct opt_spec *o;
	char buf[64];

	if (cli_cmd_is_group(cmd)) {
		group_help(f, t, cmd);
		return;
	}
	fprintf(f, "usage: certkeep %s", cmd->name);
	if (*args_of(cmd))
		fprintf(f, " %s", args_of(cmd));
	for (o = cmd->opts; o && o->name; o++) {
		opt_synopsis(buf, sizeof(buf), o);
		fprintf(f, " [%s]%s", buf, o->kind == OPT_MULTI ? "..." : "");
	}
	fprintf(f, "\n\n%s\n\nOptions:\n", cmd->details);
	for (o = cmd->opts; o && o->name; o++) {
		opt_synopsis(buf, sizeof(buf), o);
		fprintf(f, "  %-22s %s\n", buf, o->help);
	}
	print_globals(f);
}

void cli_roff_text(FILE *f, const char *s)
{
	if (*s == '.' || *s == '\'')
		fputs("\\&", f);
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\e", f);
		else if (*s == '-')
			fputs("\\-", f);
		else
			fputc(*s, f);
	}
}

void cli_man_commands(FILE *f, const struct cmd_table *t)
{
	const struct opt_spec *o;
	size_t i;

	/* In the table's order, each group's sub-commands after it. */
	for (i = 0; i < t->n; i++) {
		const struct cmd_spec *cmd = &t->rows[i];
		const char *args = cli_cmd_is_group(cmd) ? "SUBCOMMAND ..." : args_of(cmd);

		fprintf(f, ".TP\n.B certkeep %s", cmd->name);
		if (*args) {
			fputs(" ", f);
			cli_roff_text(f, args);
		}
		fputs("\n", f);
		cli_roff_text(f, cmd->details);
		fputs("\n", f);
		for (o = cmd->opts; o && o->name; o++) {
			fputs(".RS\n.TP\n.B ", f);
			cli_roff_text(f, o->name);
			if (o->metavar) {
				fputs(" \\fI", f);
				cli_roff_text(f, o->metavar);
				fputs("\\fR", f);
			}
			fputs("\n", f);
			cli_roff_text(f, o->help);
			fputs("\n.RE\n", f);
		}
	}
}

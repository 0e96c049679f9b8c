/*
 * table.c - lookups in the command table (DESIGN.md §10): a command by
 * its name, a sub-command by its group and word, the nearest name to a
 * mistyped one, an option of a row.
 */
#include <string.h>

#include "cli/table.h"
#include "base/suggest.h"

bool cli_cmd_is_group(const struct cmd_spec *cmd)
{
	return cmd->run == NULL;
}

bool cli_cmd_in_group(const struct cmd_spec *cmd, const struct cmd_spec *group)
{
	size_t len;

	if (group == NULL)
		return strchr(cmd->name, ' ') == NULL;
	len = strlen(group->name);
	return strncmp(cmd->name, group->name, len) == 0 && cmd->name[len] == ' ' &&
	       strchr(cmd->name + len + 1, ' ') == NULL;
}

const char *cli_cmd_word(const struct cmd_spec *cmd)
{
	const char *space = strrchr(cmd->name, ' ');

	return space ? space + 1 : cmd->name;
}

const struct cmd_spec *cli_cmd_find(const struct cmd_table *t, const struct cmd_spec *group,
				    const char *word)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (cli_cmd_in_group(&t->rows[i], group) &&
		    strcmp(cli_cmd_word(&t->rows[i]), word) == 0)
			return &t->rows[i];
	return NULL;
}

const struct cmd_spec *cli_cmd_nearest(const struct cmd_table *t,
				       const struct cmd_spec *group, const char *word)
{
	const struct cmd_spec *best = NULL;
	struct ck_nearest near;
	size_t i;

	ck_nearest_init(&near, word);
	for (i = 0; i < t->n; i++)
		if (cli_cmd_in_group(&t->rows[i], group) &&
		    ck_nearest_consider(&near, cli_cmd_word(&t->rows[i])))
			best = &t->rows[i];
	return best;
}

const struct opt_spec *cli_opt_find(const struct cmd_spec *cmd, const char *name, size_t len)
{
	const struct opt_spec *o;

	for (o = cmd->opts; o && o->name; o++)
		if (strlen(o->name) == len && strncmp(o->name, name, len) == 0)
			return o;
	return NULL;
}

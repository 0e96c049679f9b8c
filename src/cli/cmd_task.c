/*
 * cmd_task.c - task add|list|remove|runs (DESIGN.md §7).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/lifecycle/tasks.h"

static enum ck_err print_list(struct cli *c, json_t *list, bool runs)
{
	size_t i;

	if (c->json)
		return cli_print_json_new(list);
	for (i = 0; i < json_array_size(list); i++) {
		json_t *o = json_array_get(list, i);

		if (runs)
			printf("run %lld  task %lld  event #%lld  %s  exit %s\n",
			       (long long)json_integer_value(json_object_get(o, "Run")),
			       (long long)json_integer_value(json_object_get(o, "Task")),
			       (long long)json_integer_value(json_object_get(o, "EventSeq")),
			       json_string_value(json_object_get(o, "Started")),
			       json_is_integer(json_object_get(o, "ExitStatus"))
				       ? (json_integer_value(json_object_get(o, "ExitStatus")) ? "non-zero"
											 : "0")
				       : "(unfinished)");
		else
			printf("%lld  on %d  %s\n", (long long)json_integer_value(json_object_get(o, "Id")),
			       (int)json_integer_value(json_object_get(o, "On")),
			       ck_text_safe(json_string_value(json_object_get(o, "Run"))));
	}
	if (json_array_size(list) == 0)
		fprintf(stderr, "no %s\n", runs ? "task runs" : "tasks");
	json_decref(list);
	return CK_OK;
}

enum ck_err cmd_task_add(struct cli *c)
{
	const char *cmd = NULL;
	int on = 0, timeout = 0;
	int64_t id = 0;
	/* A script may hold tabs and newlines, but must be text. */
	enum ck_err rc = cli_text(c, "--run", false, &cmd);

	if (rc != CK_OK)
		return rc;
	if (cli_value(c, "--on") == NULL || cmd == NULL)
		return ck_fail(CK_EUSAGE, "task add --on EVENT_ID --run CMD");
	rc = cli_int(c, "--on", 1, 1000000, &on);
	if (rc == CK_OK)
		rc = cli_int(c, "--timeout", 1, 86400, &timeout);
	if (rc == CK_OK)
		rc = ck_task_add(c->st, on, cmd, timeout, &id);
	if (rc != CK_OK)
		return rc;
	if (c->json)
		return cli_print_json_new(json_pack("{s:I}", "Id", (json_int_t)id));
	printf("Task %lld added\n", (long long)id);
	return CK_OK;
}

enum ck_err cmd_task_remove(struct cli *c)
{
	char *end;
	long long id = strtoll(c->args[0], &end, 10);
	enum ck_err rc;

	if (*c->args[0] == '\0' || *end != '\0' || id < 1)
		return ck_fail(CK_EUSAGE, "task remove takes a task number");
	rc = ck_task_remove(c->st, id);
	if (rc == CK_OK && !c->json)
		printf("Task %lld removed\n", id);
	return rc;
}

enum ck_err cmd_task_list(struct cli *c)
{
	json_t *list = NULL;
	enum ck_err rc = ck_task_list(c->st, &list);

	return rc == CK_OK ? print_list(c, list, false) : rc;
}

enum ck_err cmd_task_runs(struct cli *c)
{
	json_t *list = NULL;
	enum ck_err rc = ck_task_runs(c->st, 100, &list);

	return rc == CK_OK ? print_list(c, list, true) : rc;
}

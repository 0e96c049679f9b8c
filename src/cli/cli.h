/*
 * cli.h - the command line: one table of commands, their options and help
 * (DESIGN.md §10).
 *
 * The dispatcher parses global options (--store, --json, -v, --help)
 * wherever they stand, finds the command's row (a sub-command's own:
 * "ca submit"), checks its options and argument counts against that row,
 * opens the store when the command needs it, and turns the handler's enum
 * ck_err into the exit status. Handlers only call services and print; the
 * helpers below (util.c) are theirs and know nothing of the table. The
 * shape of the table is in cli/table.h, its printing in cli/help.h.
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
#include "cli/table.h"

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

/* Every command and sub-command of certkeep (commands.c). */
extern const struct cmd_table cli_table;

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

/* What a parser of an option's value returned: CK_EINVAL (the value does
 * not parse) becomes CK_EUSAGE with the option named, as a malformed value
 * is a usage error (exit 2); any other code passes through unchanged. */
enum ck_err cli_value_error(enum ck_err rc, const char *name);
/* A key type option (--key TYPE) the key generator would refuse: CK_EUSAGE
 * naming it; CK_OK when absent. */
enum ck_err cli_key_type(const struct cli *c, const char *name);


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

/* The exit module's keys and event groups for certkeep(1), from their
 * tables. */
void cli_man_exitreg(FILE *f);
/* The EVENTS section of certkeep(1), from the event catalogue. */
void cli_man_events(FILE *f);
/* The configuration keys for certkeep(1), from their table. */
void cli_man_config(FILE *f);

/* Command handlers, one per row of the table. */
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
enum ck_err cmd_connector_add(struct cli *c);
enum ck_err cmd_connector_list(struct cli *c);
enum ck_err cmd_connector_remove(struct cli *c);
enum ck_err cmd_select(struct cli *c);
enum ck_err cmd_diagnose(struct cli *c);
enum ck_err cmd_trust_names(struct cli *c);
enum ck_err cmd_trust_publish(struct cli *c);
enum ck_err cmd_trust_verify(struct cli *c);
enum ck_err cmd_trust_check(struct cli *c);
enum ck_err cmd_trust_anchor_add(struct cli *c);
enum ck_err cmd_trust_anchor_remove(struct cli *c);
enum ck_err cmd_trust_anchor_list(struct cli *c);
enum ck_err cmd_probe(struct cli *c);
enum ck_err cmd_bind_add(struct cli *c);
enum ck_err cmd_bind_list(struct cli *c);
enum ck_err cmd_bind_remove(struct cli *c);
enum ck_err cmd_rebind(struct cli *c);
enum ck_err cmd_autorebind(struct cli *c);
enum ck_err cmd_monitor(struct cli *c);
enum ck_err cmd_autorenew(struct cli *c);
enum ck_err cmd_daemon(struct cli *c);
enum ck_err cmd_task_add(struct cli *c);
enum ck_err cmd_task_list(struct cli *c);
enum ck_err cmd_task_remove(struct cli *c);
enum ck_err cmd_task_runs(struct cli *c);
enum ck_err cmd_ca_init(struct cli *c);
enum ck_err cmd_ca_install(struct cli *c);
enum ck_err cmd_ca_show(struct cli *c);
enum ck_err cmd_ca_policy(struct cli *c);
enum ck_err cmd_ca_submit(struct cli *c);
/* ca submit's before_store: hands the submission to the daemon's CA
 * service when one answers on the store's socket (true, *rc its outcome);
 * false: run it in-process. */
bool cmd_ca_submit_to_service(struct cli *c, const char *store_dir, enum ck_err *rc);
enum ck_err cmd_ca_pending(struct cli *c);
enum ck_err cmd_ca_approve(struct cli *c);
enum ck_err cmd_ca_deny(struct cli *c);
enum ck_err cmd_ca_list(struct cli *c);
enum ck_err cmd_ca_get(struct cli *c);
enum ck_err cmd_ca_cert(struct cli *c);
enum ck_err cmd_ca_revoke(struct cli *c);
enum ck_err cmd_ca_unrevoke(struct cli *c);
enum ck_err cmd_ca_crl(struct cli *c);
/* The exit module's configuration (cmd_exitreg.c). */
enum ck_err cmd_ca_setreg(struct cli *c);
enum ck_err cmd_ca_getreg(struct cli *c);
enum ck_err cmd_ca_setsmtpinfo(struct cli *c);
enum ck_err cmd_mail_list(struct cli *c);
enum ck_err cmd_mail_flush(struct cli *c);
enum ck_err cmd_mail_retry(struct cli *c);
enum ck_err cmd_config_get(struct cli *c);
enum ck_err cmd_config_set(struct cli *c);
/* help [COMMAND [SUBCOMMAND]] (commands.c, beside the table it shows). */
enum ck_err cmd_help(struct cli *c);

#endif

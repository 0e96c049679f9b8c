/*
 * exitreg.h - the exit module's configuration: AD CS's exit\smtp registry
 * values, set with "ca setreg" and read with "ca getreg" (DESIGN.md §9).
 *
 * The keys (name, type, bounds, default, secret flag) are rows of
 * config.def, with every other configuration key; one table of mailed
 * event groups (AD CS's Issued, Pending, ... and our lifecycle groups)
 * here. Together they drive parsing, validation, defaults, getreg and the
 * man page. Key names are case-insensitive, with '\' or '/' between parts:
 * exit\smtp\SMTPServer, exit/smtp/issued/to. Values live in the config
 * table under "exit.smtp." plus the lower-case path with dots; lists are
 * stored one item a line. An empty value resets a key to its default.
 * The SMTP password (exit\smtp\SMTPPassword, the one secret key) is never
 * in the config table: it lives in a 0600 file in the store directory (ca
 * setsmtpinfo), setreg refuses it and getreg shows it as set or unset.
 * Returned strings are malloc'ed and owned by the caller.
 */
#ifndef CK_EXITREG_H
#define CK_EXITREG_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "core/events/catalogue.h"
#include "core/events/config.h"
#include "store/store.h"
#include "base/err.h"

/* A mailed event group (a subkey of exit\smtp). Its event is the one the
 * catalogue (events.def) names the group for: ck_exit_group_event. */
struct ck_exit_group {
	const char *name;       /* "Issued" */
	unsigned adcs_bit;      /* EXITEVENT_* bit of AD CS's EventFilter, or 0 */
	bool request;           /* also mailed to the requester (RequesterEmail) */
	const char *title, *title_args; /* defaults; args one name a line */
	const char *body, *body_args;   /* body lines joined by '\n' */
};

/* The keys themselves are rows of config.def: ck_reg_keys (config.h). */
extern const struct ck_exit_group ck_exit_groups[];
extern const size_t ck_exit_n_groups;

/* The group mailed for event id, or NULL. */
const struct ck_exit_group *ck_exit_group_by_event(int id);
/* The event a group mails (never NULL for a group of ck_exit_groups: a
 * unit test holds the two tables together). */
const struct ck_event_kind *ck_exit_group_event(const struct ck_exit_group *g);
/* The group an EventFilter name means: EXITEVENT_CERTISSUED,
 * ExitEvent_CertIssued, CertIssued or Issued (any case); NULL if none. */
const struct ck_exit_group *ck_exit_group_match(const char *name);

/* A resolved key: its table entry, its group (NULL at the SMTP level, or
 * when the name is a group itself, as getreg exit\smtp\Issued allows) and
 * its canonical name, "exit\smtp\Issued\From". */
struct ck_reg_ref {
	const struct ck_config_key *key; /* NULL when the name is a group */
	const struct ck_exit_group *group;
	char name[96];
};

/* Resolves a key name, case-insensitive, '\' or '/' separators. Unknown
 * names fail with CK_EINVAL and a message with the nearest known name
 * ("did you mean ..."). With allow_group, exit\smtp\<Group> is accepted. */
enum ck_err ck_reg_lookup(const char *in, bool allow_group, struct ck_reg_ref *ref);

/* The known key name nearest to in (edit distance, case-insensitive). */
void ck_reg_suggest(const char *in, char *out, size_t n);

/* The value stored for input given the current stored value (NULL: the
 * default), checked against the key's type and bounds; "" for a reset.
 * Pure: checks that involve other keys are ck_reg_set's. */
enum ck_err ck_reg_parse(const struct ck_reg_ref *ref, const char *current, const char *input,
			 char **out);

/* The largest %n in a template ("%%" is a literal '%'); -1 with a message
 * for "%0" or a number above 99. */
int ck_template_max_arg(const char *fmt);

/* setreg: parses value, checks it against the other keys (placeholders
 * against the argument count, a To for the groups that need one before
 * EventFilter enables them, addresses, CR/LF), and stores it. */
enum ck_err ck_reg_set(struct store *st, const char *key, const char *value);

/* getreg: an array of {Key, Value, Default, Type} (Value an array for lists),
 * for one key, one group's keys, or (key NULL) the SMTP-level keys and
 * every group key set. The password shows as "set" or "unset". */
enum ck_err ck_reg_get(struct store *st, const char *key, json_t **out);

/* The value in effect (*value), the default (*def), both as getreg shows
 * them (a string, or an array for lists), and whether a value is stored
 * (*set), for ref; the password shows "set" or "unset". New references. */
enum ck_err ck_reg_entry(struct store *st, const struct ck_reg_ref *ref, json_t **value,
			 json_t **def, bool *set);

/* The value in effect for ref (stored, else default), stored form. */
enum ck_err ck_reg_value(struct store *st, const struct ck_reg_ref *ref, char **out);
/* The same by names: group NULL for the SMTP level. */
enum ck_err ck_reg_value_of(struct store *st, const char *group, const char *name, char **out);
/* The same by key: group is a group's name for a per-group key, else NULL. */
enum ck_err ck_reg_string(struct store *st, const char *group, enum ck_reg_id id, char **out);
/* An integer or boolean key's value in effect. */
long ck_reg_int(struct store *st, enum ck_reg_id id);

/* Stores the SMTP login: the user as exit\smtp\SMTPUser, the password in
 * the store directory's smtp-password file (0600, written atomically). An
 * empty user removes both. */
enum ck_err ck_reg_set_smtp_info(struct store *st, const char *user, const char *password);
/* The stored password (free with ck_free_secret); CK_ENOTFOUND if none. */
enum ck_err ck_reg_smtp_password(struct store *st, char **out);

/* This host's FQDN for EHLO, Message-IDs and the default From. */
void ck_exit_fqdn(struct store *st, char *out, size_t n);

#endif

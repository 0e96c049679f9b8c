/*
 * config.h - the configuration keys and their typed getters (DESIGN.md §2,
 * §10), made from the rows of config.def.
 *
 * Every key certkeep reads from the config table is a row there: code
 * names a key by its CK_CFG_* id and reads it through these getters, never
 * by a string, so a key's name, type, bounds and default live in one
 * place. The exit module's keys (exit\smtp\..., exitreg.h) are rows of the
 * same file, in ck_reg_keys; configure.h lists and sets every key.
 * Returned strings are malloc'ed and owned by the caller.
 */
#ifndef CK_CONFIG_H
#define CK_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "store/store.h"
#include "base/err.h"

enum ck_config_type {
	CK_CFG_STRING,     /* one line of text */
	CK_CFG_HOST,       /* a host name or IP address */
	CK_CFG_PATH,       /* an absolute file name, UTF-8 */
	CK_CFG_INT,        /* a number in [min, max] */
	CK_CFG_BOOL,       /* on/off, 1/0, true/false, yes/no; stored as the default is spelt */
	CK_CFG_TLS,        /* starttls-if-offered | starttls-required | smtps | none */
	CK_CFG_FILTER,     /* EventFilter: +NAME adds, -NAME removes, a list replaces */
	CK_CFG_LIST,       /* names: +NAME adds, -NAME removes, a ;/, list replaces */
	CK_CFG_ADDRS,      /* e-mail addresses, a ;/, list; +ADDR, -ADDR */
	CK_CFG_FORMAT,     /* TitleFormat: one header line with %1.. placeholders */
	CK_CFG_LINES,      /* BodyFormat: +LINE appends a line, a value replaces */
	CK_CFG_SECRET,     /* never stored in the config table, shown as set/unset */
	CK_CFG_DAYS,       /* comma-separated numbers of days, each in [min, max] */
	CK_CFG_NAME,       /* a DNS name, normalised */
	CK_CFG_THUMBPRINT, /* a certificate's thumbprint */
	CK_CFG_SUFFIXES,   /* comma-separated domain suffixes, normalised */
	CK_CFG_KEY_TYPES,  /* comma-separated ec:P-256, ec:P-384, rsa, rsa:BITS */
	CK_CFG_CHOICE,     /* one of choices ("issue|pending") */
	CK_CFG_URL,        /* an http://, https:// or ldap:// URL, ASCII */
};

/* Numbers of days a CK_CFG_DAYS key holds at most. */
#define CK_CONFIG_DAYS_MAX 8

struct ck_config_key {
	const char *name; /* "renew.max_per_pass"; exit keys: "SMTPServer", "From" */
	enum ck_config_type type;
	long min, max;       /* CK_CFG_INT, CK_CFG_DAYS; CK_CFG_ADDRS: max addresses */
	const char *choices; /* CK_CFG_CHOICE: "issue|pending" */
	const char *def;     /* default, stored form; NULL: from the exit group */
	bool per_group;      /* exit\smtp\<Group>\<name> */
	bool secret;         /* its value is never shown, only whether it is set */
	const char *set_by;  /* NULL: config set may change it; else the owning command */
	const char *help;
};

enum ck_config_id {
#define CK_CONFIG_INT(e, name, min, max, def, set_by, help) CK_CFG_##e,
#define CK_CONFIG(e, name, type, min, max, choices, def, secret, set_by, help) CK_CFG_##e,
#define CK_EXIT_KEY(e, name, type, min, max, def, per_group, secret, help)
#include "core/events/config.def"
#undef CK_CONFIG_INT
#undef CK_CONFIG
#undef CK_EXIT_KEY
	CK_CFG_N_KEYS
};

/* The integer keys' defaults, as constants. */
enum ck_config_int_default {
#define CK_CONFIG_INT(e, name, min, max, def, set_by, help) CK_CFG_DEF_##e = def,
#define CK_CONFIG(e, name, type, min, max, choices, def, secret, set_by, help)
#define CK_EXIT_KEY(e, name, type, min, max, def, per_group, secret, help)
#include "core/events/config.def"
#undef CK_CONFIG_INT
#undef CK_CONFIG
#undef CK_EXIT_KEY
};

/* The exit module's keys, by their place in ck_reg_keys. */
enum ck_reg_id {
#define CK_CONFIG_INT(e, name, min, max, def, set_by, help)
#define CK_CONFIG(e, name, type, min, max, choices, def, secret, set_by, help)
#define CK_EXIT_KEY(e, name, type, min, max, def, per_group, secret, help) CK_REG_##e,
#include "core/events/config.def"
#undef CK_CONFIG_INT
#undef CK_CONFIG
#undef CK_EXIT_KEY
	CK_REG_N_KEYS
};

/* The keys of the config table under their own names, by enum ck_config_id. */
extern const struct ck_config_key ck_config_keys[];
extern const size_t ck_config_n_keys;
/* The exit module's keys (exitreg.h), in getreg's order, by enum ck_reg_id. */
extern const struct ck_config_key ck_reg_keys[];
extern const size_t ck_reg_n_keys;

/* "renew.max_per_pass" */
const char *ck_config_name(enum ck_config_id id);
/* The key named name (case-insensitive), or NULL. */
const struct ck_config_key *ck_config_find(const char *name);
/* A type's name as config get and getreg show it ("int", "addresses"). */
const char *ck_config_type_name(enum ck_config_type t);

/* The stored value as it is, "" included; CK_ENOTFOUND (no message) when
 * the key was never set. For keys where an empty value means something
 * (a host name set to none). */
enum ck_err ck_config_stored(struct store *st, enum ck_config_id id, char **out);
/* The value in effect: the stored one, or the default when it is unset
 * or empty. */
enum ck_err ck_config_string(struct store *st, enum ck_config_id id, char **out);
/* An integer key in effect: the default when it is unset or not a number
 * in [min, max]. */
long ck_config_int(struct store *st, enum ck_config_id id);
/* A boolean key in effect. */
bool ck_config_bool(struct store *st, enum ck_config_id id);
/* A CK_CFG_DAYS key in effect: its numbers in [min, max] in their order,
 * at most max of them; an item that is not a number ends the list. */
size_t ck_config_days(struct store *st, enum ck_config_id id, int *out, size_t max);

/* Stores value for id inside the caller's transaction. value is in the
 * stored form (checked by ck_config_parse, or made by the caller). */
enum ck_err ck_config_put(struct store *st, enum ck_config_id id, const char *value);
enum ck_err ck_config_put_int(struct store *st, enum ck_config_id id, long value);
enum ck_err ck_config_put_bool(struct store *st, enum ck_config_id id, bool on);

/* The stored form of input for key k, checked against its type and
 * bounds; messages start with label (the key's name, or the option that
 * gave it). "" stays "" (a reset). Types of the exit module that need its
 * groups or the current value (filter, lists, addresses, templates) are
 * exitreg.c's: CK_EINVAL for those here. */
enum ck_err ck_config_parse(const struct ck_config_key *k, const char *label, const char *input,
			    char **out);

#endif

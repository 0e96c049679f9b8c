/*
 * configure.h - every configuration key by its config name: listing and
 * setting them, as 'certkeep config get | set' does (DESIGN.md §10).
 *
 * The keys are config.def's: the config table's own (renew.max_per_pass,
 * ca.policy.max_days, ...) and the exit module's, named here as they are
 * stored (exit.smtp.smtpport, exit.smtp.issued.to) and set through the
 * same checks as 'ca setreg' (exitreg.h). Names are case-insensitive; the
 * exit module's may also be written as AD CS does (exit\smtp\SMTPPort).
 * JSON handed out is a new reference owned by the caller.
 */
#ifndef CK_CONFIGURE_H
#define CK_CONFIGURE_H

#include <jansson.h>

#include "store/store.h"
#include "base/err.h"

/*
 * An array of one object per key: Key, Value and Default (strings; lists
 * of the exit module as arrays), Set (a value is stored), Type, Secret,
 * Min and Max (numbers, for integers and numbers of days) and SetBy (the
 * command that owns a key config set does not change). A secret's Value
 * is only "set" or "unset". key NULL: every key; an exit module group
 * (exit.smtp.issued): its keys. An unknown key is CK_EUSAGE with the
 * nearest name.
 */
enum ck_err ck_configure_get(struct store *st, const char *key, json_t **out);

/*
 * Sets key to value after checking it against the key's type and bounds
 * (and, for the exit module's keys, against the other keys, as setreg
 * does); an empty value resets the key to its default. A value that does
 * not fit, an unknown key (with the nearest name) and a key another
 * command owns are CK_EUSAGE with a message, and nothing is changed.
 */
enum ck_err ck_configure_set(struct store *st, const char *key, const char *value);

/* The known config name nearest to in. */
void ck_configure_suggest(const char *in, char *out, size_t n);

#endif

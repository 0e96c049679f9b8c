/*
 * inuse.h - what uses a certificate, so that removing it is refused while
 * a site or an endpoint still depends on it (DESIGN.md §3, §4, §7).
 */
#ifndef CK_INUSE_H
#define CK_INUSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"
#include "base/err.h"

struct ck_cert_users {
	char **bindings;   /* sites whose binding is on the certificate */
	size_t n_bindings;
	char **connectors; /* connectors (TLS on) whose SMTP selection chooses it */
	size_t n_connectors;
};

/* Who uses the certificate of this full thumbprint at time now. */
enum ck_err ck_cert_users_find(struct store *st, const char *thumbprint, int64_t now,
			       struct ck_cert_users *u);
void ck_cert_users_clear(struct ck_cert_users *u);
/* "binding 'web' and connector 'Internet'", "bindings 'a', 'b'"; "" if none. */
void ck_cert_users_text(const struct ck_cert_users *u, char *buf, size_t n);

/* Removes a certificate (or a pending request) as ck_remove does, unless
 * something uses it: then CK_EINVAL naming the users and the way out, and
 * nothing changed. With force it is removed anyway and *left holds what
 * used it (empty otherwise; clear it either way). The check and the
 * removal are one transaction. */
enum ck_err ck_remove_unused(struct store *st, const char *thumb, bool force,
			     char removed[41], struct ck_cert_users *left);

#endif

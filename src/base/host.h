/*
 * host.h - this host's names as certificates need them (DESIGN.md §3, §5).
 */
#ifndef CK_HOST_H
#define CK_HOST_H

#include <stddef.h>

#include "base/err.h"

/* The short host name (first label, lower case) and the FQDN: the host
 * name if it has a dot, else the canonical name from the resolver
 * (/etc/hosts first), else the short name itself, for a host without a
 * domain. Both are validated DNS names. */
enum ck_err ck_host_names(char *short_name, size_t sn, char *fqdn, size_t fn);

#endif

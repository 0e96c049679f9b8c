/*
 * trust.h - direct trust of the internal transport certificate
 * (DESIGN.md §5; Exchange 2007 events 1037 and 2019).
 *
 * Direct trust accepts a peer's certificate because it is the one
 * published for that server in the directory, self-signed or not. The
 * host's own transport certificate is the designated one (trust publish
 * THUMBPRINT) or else the newest valid self-signed certificate enabled for
 * SMTP that holds the host's FQDN.
 */
#ifndef CK_TRUST_H
#define CK_TRUST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "store/store.h"
#include "base/err.h"

/* The host's names as Exchange looks them up. Dns* come from init (or
 * trust names), DnsPhysical* from the system; the cluster FQDN only from
 * configuration. Empty strings where a name is not known. */
struct ck_trust_names {
	char host[254];          /* DnsHostName */
	char fqdn[254];          /* DnsFullyQualifiedDomainName */
	char physical_host[254]; /* DnsPhysicalHostName */
	char physical_fqdn[254]; /* DnsPhysicalFullyQualifiedDomainName */
	char cluster_fqdn[254];  /* a load-balanced name; must not be in the certificate */
};
enum ck_err ck_trust_names_get(struct store *st, struct ck_trust_names *out);

/* Sets the names given (NULL: unchanged; "": back to the default). Event
 * 1041. */
enum ck_err ck_trust_names_set(struct store *st, const char *host, const char *fqdn,
			       const char *cluster_fqdn);

/* Publishes this host's transport certificate under its FQDN: thumb if
 * given (it becomes the designated one), else the automatic choice (and
 * any designation is dropped). Event 1040. */
enum ck_err ck_trust_publish(struct store *st, const char *thumb, int64_t now,
			     char published[41]);

/* Accepts cert (PEM or DER) exactly when it is the one published for
 * server. *why says why not. */
enum ck_err ck_trust_verify(struct store *st, const char *server, const uint8_t *cert,
			    size_t len, bool *trusted, char *why, size_t n);

/*
 * Checks the transport certificate and records one event 1037 per cause
 * (and 2019 too when a send connector exists): SMTP not enabled, key not
 * readable by account, one of the host's names missing, the cluster FQDN
 * in the certificate, several self-signed candidates, a published
 * certificate that is not the one in use, or none at all. *report gets the
 * causes, *trace the steps per component (Common\Certificate,
 * Transport\Certificate); *problems counts causes.
 */
enum ck_err ck_trust_check(struct store *st, int64_t now, const char *account, json_t **report,
			   json_t **trace, int *problems);

#endif

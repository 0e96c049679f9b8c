/*
 * host.c - the host's short name and FQDN (DESIGN.md §3 init, §5).
 */
#include "base/host.h"

#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/names.h"

enum ck_err ck_host_names(char *short_name, size_t sn, char *fqdn, size_t fn)
{
	char host[256], canon[256];
	struct addrinfo hints, *res = NULL;
	enum ck_err rc;
	char *dot;

	if (gethostname(host, sizeof(host)) != 0)
		return ck_fail_errno(CK_EIO, "gethostname");
	host[sizeof(host) - 1] = '\0';
	snprintf(canon, sizeof(canon), "%s", host);
	if (strchr(host, '.') == NULL) {
		memset(&hints, 0, sizeof(hints));
		hints.ai_flags = AI_CANONNAME;
		hints.ai_family = AF_UNSPEC;
		if (getaddrinfo(host, NULL, &hints, &res) == 0 && res && res->ai_canonname &&
		    strchr(res->ai_canonname, '.'))
			snprintf(canon, sizeof(canon), "%s", res->ai_canonname);
		if (res)
			freeaddrinfo(res);
	}
	rc = ck_domain_normalize(canon, false, fqdn, fn);
	if (rc != CK_OK) {
		ck_errmsg_prefix("this host's name is not usable (give --hostname and --fqdn)");
		return rc;
	}
	dot = strchr(host, '.');
	if (dot)
		*dot = '\0';
	rc = ck_domain_normalize(host, false, short_name, sn);
	if (rc != CK_OK)
		ck_errmsg_prefix("this host's name is not usable (give --hostname)");
	return rc;
}

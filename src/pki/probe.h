/*
 * probe.h - fetch the certificate a live TLS server presents, over SMTP
 * STARTTLS or direct TLS (HTTPS), for `certkeep probe` and `diagnose`
 * (DESIGN.md §4: "which certificate does STARTTLS use for this FQDN";
 * §10: the probe command and exit code 4).
 *
 * The probe does not verify the peer: it reports whatever the server serves,
 * self-signed, expired or for another name, and the caller judges it.
 * Everything the server sends is hostile and bounded (see pki_probe).
 * Ownership: pki_probe fills a caller-owned result whose cert and chain the
 * caller releases with pki_probe_result_clear.
 *
 * SIGPIPE: the probe never raises it. Plain-text writes use
 * send(MSG_NOSIGNAL), and TLS runs over memory BIOs whose bytes are moved
 * to and from the socket with the same calls, so no caller needs to ignore
 * or block the signal.
 */
#ifndef CK_PKI_PROBE_H
#define CK_PKI_PROBE_H

#include <stdbool.h>

#include "pki/pki.h"

/* Largest reply line we accept, CRLF included (RFC 5321 4.5.3.1.5). */
#define PKI_PROBE_LINE_MAX 512
/* Most lines we accept in one SMTP reply. */
#define PKI_PROBE_REPLY_LINES 100
/* Most octets we read in the plain-text SMTP dialogue. */
#define PKI_PROBE_SMTP_BUDGET (64 * 1024)
/* Most octets we read during the TLS part (handshake, QUIT reply). */
#define PKI_PROBE_TLS_BUDGET (256 * 1024)
/* Default and largest per-step timeout. */
#define PKI_PROBE_TIMEOUT_DEFAULT 10000
#define PKI_PROBE_TIMEOUT_MAX 600000

enum pki_probe_kind { PKI_PROBE_SMTP, PKI_PROBE_HTTPS };

struct pki_probe_opts {
	enum pki_probe_kind kind;
	const char *host;      /* "127.0.0.1" or a name (getaddrinfo) */
	const char *port;      /* "25", "8443" */
	const char *sni;       /* SNI server name for TLS, may be NULL */
	const char *ehlo_name; /* our name for EHLO (SMTP), e.g. the host FQDN */
	int timeout_ms;        /* per step; 0 = PKI_PROBE_TIMEOUT_DEFAULT */
};

struct pki_probe_result {
	struct pki_cert *cert;   /* the leaf the server presented (owned) */
	struct pki_chain *chain; /* the rest of what it sent, may be empty (owned) */
	char protocol[16];       /* "TLSv1.3" */
	char cipher[64];         /* "TLS_AES_256_GCM_SHA384" */
	char banner[256];        /* SMTP greeting line, escaped; "" for HTTPS */
	bool starttls_offered;   /* SMTP: STARTTLS in the EHLO reply */
};

/*
 * Connects to o->host:o->port and fetches the server's certificate.
 *
 * SMTP: reads the 220 greeting, sends EHLO o->ehlo_name, looks for the
 * STARTTLS keyword, sends STARTTLS, expects 220, then does the TLS
 * handshake on the same connection and says QUIT. HTTPS: TLS at once.
 * The peer is not verified; SNI is sent when o->sni is set.
 *
 * Each step (connect, each reply, the handshake) has o->timeout_ms. Limits:
 * PKI_PROBE_LINE_MAX octets per reply line, PKI_PROBE_REPLY_LINES lines per
 * reply, PKI_PROBE_SMTP_BUDGET octets of plain text and PKI_PROBE_TLS_BUDGET
 * octets of TLS in all; exceeding one, or a malformed reply, is CK_EINVAL.
 *
 * Returns CK_OK with r->cert, r->chain (possibly empty), protocol and
 * cipher set. Failures: CK_ETEMP when the server cannot be reached or
 * resolved, refuses the connection, times out, closes the connection, or
 * answers with a 4xx reply (SMTP's "try again later"); CK_ERROR for a 5xx
 * or unexpected reply, for no STARTTLS in the EHLO reply (message "server
 * did not offer STARTTLS"), or a failed handshake; CK_EINVAL for bad
 * options or a server breaking the limits above. On every failure r
 * holds no certificate, but banner and starttls_offered keep what was seen,
 * so the caller can report them. r is overwritten on entry.
 */
enum ck_err pki_probe(const struct pki_probe_opts *o, struct pki_probe_result *r);

/* Frees what r holds and zeroes it; safe on a zeroed or cleared result. */
void pki_probe_result_clear(struct pki_probe_result *r);

#endif

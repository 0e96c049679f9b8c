/*
 * smtp.h - delivering messages to one SMTP relay through libcurl
 * (DESIGN.md §1, §9). The only code that includes curl headers.
 *
 * A session is one libcurl easy handle: messages sent through the same
 * session reuse its connection (no new EHLO, STARTTLS or AUTH), which is
 * what makes a batch cheap. The session copies what it is given and wipes
 * the password when freed.
 */
#ifndef CK_SMTP_H
#define CK_SMTP_H

#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"

enum smtp_tls {
	SMTP_TLS_REQUIRED, /* STARTTLS or fail (CURLUSESSL_ALL) */
	SMTP_TLS_TRY,      /* STARTTLS if the server offers it (CURLUSESSL_TRY) */
	SMTP_TLS_IMPLICIT, /* smtps://: TLS from the first byte */
	SMTP_TLS_NONE,
};

struct smtp_conf {
	const char *server; /* host name or IP address */
	int port;
	enum smtp_tls tls;
	const char *cafile;   /* NULL or "": the system's trust anchors */
	bool verify;          /* verify the server's certificate and name */
	const char *user;     /* NULL: no AUTH */
	const char *password;
	const char *helo;     /* our FQDN, sent as EHLO (the URL's path) */
	long timeout;         /* seconds, to connect and for each message */
};

struct smtp_session;

/* Checks conf (CR/LF in any part is refused; AUTH only over TLS) and
 * makes a session; nothing is connected yet. */
enum ck_err smtp_session_new(const struct smtp_conf *conf, struct smtp_session **out);

/*
 * Sends one message (RFC 5322 text with CRLF line ends) from the envelope
 * sender to the recipients. CK_OK means the server accepted it (250 after
 * DATA). On failure the message says why, with a hint for the usual
 * causes, and *fatal tells whether the connection, TLS or login failed, so
 * that every other message of the batch would fail the same way.
 */
enum ck_err smtp_send(struct smtp_session *s, const char *from, char *const *rcpt, size_t nrcpt,
		      const char *msg, size_t len, bool *fatal);

void smtp_session_free(struct smtp_session *s);

#endif

/*
 * smtp.c - SMTP delivery through libcurl (DESIGN.md §9; smtp.h).
 *
 * libcurl facts this relies on (REFERENCE.md Part B §2.1): "STARTTLS
 * required" is CURLUSESSL_ALL, because CURLUSESSL_TRY silently sends in
 * clear text to a server without STARTTLS; the EHLO name is the URL's path;
 * a connection is reused only by reusing the easy handle. A password is
 * therefore only ever sent with CURLUSESSL_ALL or smtps.
 */
#include "mail/smtp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dlfcn.h>

/* Plain prototypes: the calls go through the table below. */
#define CURL_DISABLE_TYPECHECK
#include <curl/curl.h>

#include "base/fileio.h"
#include "mail/addr.h"

/*
 * libcurl is loaded when the first mail is sent, not when certkeep starts:
 * linked at start-up, it and the 28 libraries it needs cost every command
 * about 9 ms of dynamic loading, mail or not. The calls below keep their
 * libcurl names and go through this table once it is filled (the same
 * form as libssl's in pki/libssl.h).
 */
#define CURL_FUNCS(X)                                                                     \
	X(curl_global_init) X(curl_easy_init) X(curl_easy_setopt) X(curl_easy_perform)     \
	X(curl_easy_getinfo) X(curl_easy_cleanup) X(curl_easy_strerror)                    \
	X(curl_slist_append) X(curl_slist_free_all)

#undef curl_easy_setopt
#undef curl_easy_getinfo
#define CURL_MEMBER(f) __typeof__(&f) f;
static struct {
	CURL_FUNCS(CURL_MEMBER)
} curl_api;
#undef CURL_MEMBER

static enum ck_err load_curl(void)
{
	void *lib, *sym;

	if (curl_api.curl_global_init)
		return CK_OK;
	lib = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
	if (lib == NULL)
		return ck_fail(CK_ERROR, "cannot load libcurl (libcurl.so.4): %s", dlerror());
	/* Object to function pointers: POSIX guarantees dlsym's result
	 * converts. All or nothing: a missing one leaves the table empty. */
#define CURL_LOAD(f)                                                                      \
	if ((sym = dlsym(lib, #f)) == NULL) {                                             \
		memset(&curl_api, 0, sizeof(curl_api));                                   \
		return ck_fail(CK_ERROR, "libcurl.so.4 has no %s", #f);                   \
	}                                                                                 \
	memcpy(&curl_api.f, &sym, sizeof(sym));
	CURL_FUNCS(CURL_LOAD)
#undef CURL_LOAD
	return CK_OK;
}

#define curl_global_init (*curl_api.curl_global_init)
#define curl_easy_init (*curl_api.curl_easy_init)
#define curl_easy_setopt (*curl_api.curl_easy_setopt)
#define curl_easy_perform (*curl_api.curl_easy_perform)
#define curl_easy_getinfo (*curl_api.curl_easy_getinfo)
#define curl_easy_cleanup (*curl_api.curl_easy_cleanup)
#define curl_easy_strerror (*curl_api.curl_easy_strerror)
#define curl_slist_append (*curl_api.curl_slist_append)
#define curl_slist_free_all (*curl_api.curl_slist_free_all)

struct smtp_session {
	CURL *curl;
	char *password;
	char errbuf[CURL_ERROR_SIZE];
	char where[300]; /* "host:port" for messages */
};

struct upload {
	const char *p;
	size_t left;
};

static size_t read_cb(char *dst, size_t size, size_t nmemb, void *arg)
{
	struct upload *u = arg;
	size_t n = size * nmemb;

	if (n > u->left)
		n = u->left;
	memcpy(dst, u->p, n);
	u->p += n;
	u->left -= n;
	return n;
}

static bool safe(const char *s)
{
	return s == NULL || ck_header_safe(s, strlen(s));
}

static bool global_ready;

enum ck_err smtp_session_new(const struct smtp_conf *conf, struct smtp_session **out)
{
	struct smtp_session *s = NULL;
	char url[600];
	const char *host = conf->server;
	bool v6 = strchr(host, ':') != NULL;
	long use_ssl = CURLUSESSL_NONE;
	enum ck_err rc = CK_ERROR;

	*out = NULL;
	if (!safe(conf->server) || !safe(conf->helo) || !safe(conf->user) ||
	    !safe(conf->password) || !safe(conf->cafile))
		return ck_fail(CK_EINVAL, "control characters (CR, LF, NUL) in the SMTP settings");
	if (host[0] == '\0' || strcspn(host, "/?#@ ") != strlen(host) ||
	    strcspn(conf->helo, "/?#@ ") != strlen(conf->helo))
		return ck_fail(CK_EINVAL, "bad SMTP server or EHLO name");
	if (conf->user && conf->tls == SMTP_TLS_NONE)
		return ck_fail(CK_EINVAL, "SMTPAuthenticate 1 with SMTPUseTLS none would send the "
					  "password in clear text: use starttls-required or smtps");
	if (!global_ready) {
		rc = load_curl();
		if (rc != CK_OK)
			return rc;
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			return ck_fail(CK_ERROR, "libcurl could not start");
		global_ready = true;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return ck_fail(CK_ENOMEM, "out of memory");
	s->curl = curl_easy_init();
	if (s->curl == NULL) {
		rc = ck_fail(CK_ENOMEM, "libcurl could not make a handle");
		goto out;
	}
	snprintf(s->where, sizeof(s->where), "%s%s%s:%d", v6 ? "[" : "", host, v6 ? "]" : "",
		 conf->port);
	snprintf(url, sizeof(url), "%s://%s/%s",
		 conf->tls == SMTP_TLS_IMPLICIT ? "smtps" : "smtp", s->where, conf->helo);
	if (conf->tls == SMTP_TLS_REQUIRED)
		use_ssl = CURLUSESSL_ALL;
	else if (conf->tls == SMTP_TLS_TRY)
		use_ssl = conf->user ? CURLUSESSL_ALL : CURLUSESSL_TRY;
	curl_easy_setopt(s->curl, CURLOPT_URL, url);
	curl_easy_setopt(s->curl, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(s->curl, CURLOPT_USE_SSL, use_ssl);
	curl_easy_setopt(s->curl, CURLOPT_SSL_VERIFYPEER, conf->verify ? 1L : 0L);
	curl_easy_setopt(s->curl, CURLOPT_SSL_VERIFYHOST, conf->verify ? 2L : 0L);
	if (conf->cafile && conf->cafile[0])
		curl_easy_setopt(s->curl, CURLOPT_CAINFO, conf->cafile);
	curl_easy_setopt(s->curl, CURLOPT_CONNECTTIMEOUT, conf->timeout);
	curl_easy_setopt(s->curl, CURLOPT_TIMEOUT, conf->timeout);
	curl_easy_setopt(s->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(s->curl, CURLOPT_ERRORBUFFER, s->errbuf);
	curl_easy_setopt(s->curl, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(s->curl, CURLOPT_READFUNCTION, read_cb);
	if (conf->user) {
		s->password = strdup(conf->password ? conf->password : "");
		if (s->password == NULL) {
			rc = ck_fail(CK_ENOMEM, "out of memory");
			goto out;
		}
		curl_easy_setopt(s->curl, CURLOPT_USERNAME, conf->user);
		curl_easy_setopt(s->curl, CURLOPT_PASSWORD, s->password);
	}
	*out = s;
	s = NULL;
	rc = CK_OK;
out:
	smtp_session_free(s);
	return rc;
}

/* Whether every other message would fail the same way (connection, TLS,
 * login), so a batch stops at the first of these. */
static bool batch_fatal(CURLcode code)
{
	switch (code) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_LOGIN_DENIED:
	case CURLE_USE_SSL_FAILED:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_AUTH_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
		return true;
	default:
		return false;
	}
}

static const char *hint(CURLcode code)
{
	switch (code) {
	case CURLE_COULDNT_RESOLVE_HOST:
		return "cannot resolve the SMTP server (SMTPServer)";
	case CURLE_COULDNT_CONNECT:
		return "cannot connect to the SMTP server";
	case CURLE_OPERATION_TIMEDOUT:
		return "the SMTP server did not answer in time (SMTPTimeout)";
	case CURLE_LOGIN_DENIED:
		return "the SMTP server refused the login (check ca setsmtpinfo)";
	case CURLE_USE_SSL_FAILED:
		return "the SMTP server does not offer STARTTLS, which SMTPUseTLS requires";
	case CURLE_PEER_FAILED_VERIFICATION:
		return "the SMTP server's certificate is not trusted or does not match its name "
		       "(SMTPCAFile, SMTPServer)";
	case CURLE_SSL_CACERT_BADFILE:
		return "cannot read SMTPCAFile";
	case CURLE_SSL_CONNECT_ERROR:
		return "TLS with the SMTP server failed";
	default:
		return "the SMTP server did not accept the mail";
	}
}

enum ck_err smtp_send(struct smtp_session *s, const char *from, char *const *rcpt, size_t nrcpt,
		      const char *msg, size_t len, bool *fatal)
{
	struct curl_slist *list = NULL, *tmp;
	struct upload up = { msg, len };
	char addr[CK_ADDR_MAX + 3];
	enum ck_err rc = CK_OK;
	CURLcode code;
	long reply = 0;
	size_t i;

	*fatal = false;
	if (!safe(from) || strlen(from) > CK_ADDR_MAX || nrcpt == 0)
		return ck_fail(CK_EINVAL, "no valid sender or recipient");
	for (i = 0; i < nrcpt; i++) {
		/* Each one becomes an RCPT TO argument: no CR or LF. */
		if (!safe(rcpt[i]) || strlen(rcpt[i]) > CK_ADDR_MAX) {
			rc = ck_fail(CK_EINVAL, "a recipient holds control characters");
			goto out;
		}
		snprintf(addr, sizeof(addr), "<%s>", rcpt[i]);
		tmp = curl_slist_append(list, addr);
		if (tmp == NULL) {
			rc = ck_fail(CK_ENOMEM, "out of memory");
			goto out;
		}
		list = tmp;
	}
	snprintf(addr, sizeof(addr), "<%s>", from);
	s->errbuf[0] = '\0';
	curl_easy_setopt(s->curl, CURLOPT_MAIL_FROM, addr);
	curl_easy_setopt(s->curl, CURLOPT_MAIL_RCPT, list);
	curl_easy_setopt(s->curl, CURLOPT_READDATA, &up);
	curl_easy_setopt(s->curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
	code = curl_easy_perform(s->curl);
	/* The list must not outlive its use by the handle. */
	curl_easy_setopt(s->curl, CURLOPT_MAIL_RCPT, NULL);
	if (code != CURLE_OK) {
		curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &reply);
		*fatal = batch_fatal(code);
		rc = ck_fail(code == CURLE_OPERATION_TIMEDOUT || code == CURLE_COULDNT_CONNECT
				     ? CK_ETEMP
				     : CK_ERROR,
			     "%s: %s (%s, curl error %d, last reply %ld)", hint(code),
			     s->errbuf[0] ? s->errbuf : curl_easy_strerror(code), s->where, (int)code,
			     reply);
	}
out:
	curl_slist_free_all(list);
	return rc;
}

void smtp_session_free(struct smtp_session *s)
{
	if (s == NULL)
		return;
	if (s->curl)
		curl_easy_cleanup(s->curl);
	if (s->password)
		ck_free_secret(s->password, strlen(s->password) + 1);
	free(s);
}

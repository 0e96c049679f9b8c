/*
 * libssl.h - libssl, loaded when a TLS probe first needs it (dlopen).
 *
 * Only the probe speaks TLS. Linking libssl would make every command pay
 * for loading and relocating it at start-up, about 0.6 ms of a 15 ms
 * `ca submit`; loaded on demand, only `probe` and `diagnose` pay. Include
 * this instead of <openssl/ssl.h>: the calls below then go through
 * pointers that libssl_load() fills, and OpenSSL's macros over them
 * (SSL_set_tlsext_host_name, ...) follow.
 */
#ifndef CERTKEEP_PKI_LIBSSL_H
#define CERTKEEP_PKI_LIBSSL_H

#include <openssl/ssl.h>

#include "base/err.h"

#define LIBSSL_FUNCS(X)                                                                   \
	X(TLS_client_method) X(SSL_CTX_new) X(SSL_CTX_free) X(SSL_CTX_ctrl)               \
	X(SSL_CTX_set_verify) X(SSL_CTX_set_security_level) X(SSL_new) X(SSL_free)        \
	X(SSL_ctrl) X(SSL_set_bio) X(SSL_set_connect_state) X(SSL_connect) X(SSL_read)    \
	X(SSL_write) X(SSL_get_error) X(SSL_shutdown) X(SSL_get_peer_cert_chain)          \
	X(SSL_get1_peer_certificate) X(SSL_get_current_cipher) X(SSL_CIPHER_get_name)     \
	X(SSL_get_version)

#define LIBSSL_MEMBER(f) __typeof__(&f) f;
struct libssl_api {
	LIBSSL_FUNCS(LIBSSL_MEMBER)
};
#undef LIBSSL_MEMBER

extern struct libssl_api libssl;

/* Loads libssl.so.3 once; CK_OK when every function above was found. */
enum ck_err libssl_load(void);

#ifndef LIBSSL_LOADER
#define TLS_client_method (*libssl.TLS_client_method)
#define SSL_CTX_new (*libssl.SSL_CTX_new)
#define SSL_CTX_free (*libssl.SSL_CTX_free)
#define SSL_CTX_ctrl (*libssl.SSL_CTX_ctrl)
#define SSL_CTX_set_verify (*libssl.SSL_CTX_set_verify)
#define SSL_CTX_set_security_level (*libssl.SSL_CTX_set_security_level)
#define SSL_new (*libssl.SSL_new)
#define SSL_free (*libssl.SSL_free)
#define SSL_ctrl (*libssl.SSL_ctrl)
#define SSL_set_bio (*libssl.SSL_set_bio)
#define SSL_set_connect_state (*libssl.SSL_set_connect_state)
#define SSL_connect (*libssl.SSL_connect)
#define SSL_read (*libssl.SSL_read)
#define SSL_write (*libssl.SSL_write)
#define SSL_get_error (*libssl.SSL_get_error)
#define SSL_shutdown (*libssl.SSL_shutdown)
#define SSL_get_peer_cert_chain (*libssl.SSL_get_peer_cert_chain)
#define SSL_get1_peer_certificate (*libssl.SSL_get1_peer_certificate)
#define SSL_get_current_cipher (*libssl.SSL_get_current_cipher)
#define SSL_CIPHER_get_name (*libssl.SSL_CIPHER_get_name)
#define SSL_get_version (*libssl.SSL_get_version)
#endif

#endif

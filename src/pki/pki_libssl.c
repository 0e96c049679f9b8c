/*
 * pki_libssl.c - loads libssl for the TLS probe (see libssl.h).
 */
#define LIBSSL_LOADER
#include "pki/libssl.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

struct libssl_api libssl;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static bool loaded;
static char why[256];

static void load(void)
{
	void *lib = dlopen("libssl.so.3", RTLD_NOW | RTLD_LOCAL), *sym;

	if (lib == NULL) {
		snprintf(why, sizeof(why), "cannot load libssl (libssl.so.3): %s", dlerror());
		return;
	}
	/* Object to function pointers: POSIX guarantees dlsym's result converts. */
#define LIBSSL_LOAD(f)                                                                    \
	if ((sym = dlsym(lib, #f)) == NULL) {                                             \
		snprintf(why, sizeof(why), "libssl.so.3 has no %s", #f);                  \
		return;                                                                   \
	}                                                                                 \
	memcpy(&libssl.f, &sym, sizeof(sym));
	LIBSSL_FUNCS(LIBSSL_LOAD)
#undef LIBSSL_LOAD
	loaded = true;
}

enum ck_err libssl_load(void)
{
	pthread_once(&once, load);
	if (!loaded)
		return ck_fail(CK_ERROR, "%s", why);
	return CK_OK;
}

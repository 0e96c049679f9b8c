/*
 * account.h - what a service account may read (DESIGN.md §4, §5): the
 * "key not readable by the service's account" rule of certificate
 * selection and direct trust.
 */
#ifndef CK_ACCOUNT_H
#define CK_ACCOUNT_H

#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"

/*
 * Sets *ok to whether account could open path for reading: every directory
 * on the way needs search permission and the file read permission, judged
 * from owner, group and mode against the account's uid, primary group and
 * supplementary groups (getgrouplist), never by trying as root. root reads
 * everything. Both the path as given and its resolved form (symbolic links
 * followed) are walked, so a closed directory behind a link is seen. On *ok == false, why names the first obstacle. CK_ENOTFOUND
 * if there is no such account.
 */
enum ck_err ck_account_can_read(const char *account, const char *path, bool *ok, char *why,
				size_t n);

/* True for a plausible POSIX account name: 1-32 of letters, digits, '.',
 * '_', '-' (not first), and an optional final '$'. */
bool ck_account_name_valid(const char *name);

#endif

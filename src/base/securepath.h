/*
 * securepath.h - opening a directory that certkeep writes into as root so
 * that no account it does not trust can redirect it (DESIGN.md §7, the
 * binding's files; OpenSMTPD's secure_file and sudo's path checks).
 *
 * Trusted accounts: root, the account running certkeep, and the binding's
 * --owner (the server account whose files they are). A directory is safe
 * when only trusted accounts can change it: owned by a trusted account and
 * writable neither by its group nor by every account. A parent directory
 * may instead be sticky (like /tmp): others can add entries to it but not
 * rename or remove the entries certkeep walks through. The binding's own
 * directory gets no sticky exception, as certkeep creates names in it.
 */
#ifndef CK_SECUREPATH_H
#define CK_SECUREPATH_H

#include <sys/types.h>

#include "base/err.h"

/* Opens the absolute directory path one component at a time from "/",
 * never following a symbolic link unless root made it in a directory only
 * root can change (as /var/run -> /run), checking each directory on the
 * way with fstat on what was opened, and the last one without the sticky
 * exception; refuses a directory on the file systems of /dev, /proc and
 * /sys. On success *fd is an O_DIRECTORY descriptor of what was checked:
 * renaming or replacing a component afterwards cannot change where it
 * points. owner is the binding's owner, (uid_t)-1 if none. */
enum ck_err ck_secure_dir_open(const char *path, uid_t owner, int *fd);

#endif

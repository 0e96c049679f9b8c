/*
 * fileio.h - reading bounded input files and writing files durably
 * (DESIGN.md §2, §7).
 *
 * Every file certkeep writes that something else reads (exported keys,
 * deployed certificates) goes through ck_write_atomic: a crash leaves either
 * the old file or the new one, never a truncated mix.
 */
#ifndef CK_FILEIO_H
#define CK_FILEIO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/err.h"

/* Largest input file certkeep reads (certificates, keys, PKCS#12, CSRs). */
#define CK_INPUT_MAX (1024 * 1024)

/* Reads a whole file ("-" is standard input) of at most max bytes into a
 * new buffer, NUL-terminated (the NUL is not counted in *len). */
enum ck_err ck_read_file(const char *path, size_t max, uint8_t **buf, size_t *len);

/* As ck_read_file, for a file someone else may have put there (a binding's
 * deployed file): only a regular file is read, and a FIFO or device there
 * is refused at once instead of waited on ("-" is a file name here). */
enum ck_err ck_read_regular_file(const char *path, size_t max, uint8_t **buf, size_t *len);

/*
 * Writes buf to path atomically: a temporary file in the same directory,
 * created with O_EXCL and the final mode (so a key is never readable by
 * others, not even for a moment), written in full, fsync'ed, closed, renamed
 * over path, and the directory fsync'ed. On failure the temporary file is
 * removed, path is untouched, and the message names the failing call.
 */
enum ck_err ck_write_atomic(const char *path, const void *buf, size_t len, mode_t mode);

/* As ck_write_atomic, the temporary file also given owner uid and group gid
 * (-1: unchanged) before any byte is written, so the file that appears has
 * its final owner, group and mode from the start. */
enum ck_err ck_write_atomic_owned(const char *path, const void *buf, size_t len, mode_t mode,
				  uid_t uid, gid_t gid);

/*
 * Writes buf to a file the user named (--out, --request-out, the CRL's
 * publish path). A regular file or a new one is written as ck_write_atomic
 * does (mode: a key's 0600 from the first byte). A character device or a
 * FIFO is written in place, never replaced: opened without O_CREAT or
 * O_TRUNC, and checked (fstat) to be the very file looked at. /dev/stdout,
 * /dev/stderr, /dev/fd/N and /proc/self/fd/N (or a link to one of them) are
 * our own descriptor N, written where it stands, as a shell redirection
 * expects. Any other symbolic link is followed only when it and the regular
 * file it resolves to are ours (owned by the effective uid) and the resolved
 * file's directory is writable by nobody else: then that file is replaced
 * atomically and the link stays. Anything else (a directory, a socket, a
 * block device, a link another account could have planted) is refused and
 * left alone. A private output (mode 0600 or narrower: a key) is never
 * written to a terminal.
 */
enum ck_err ck_write_output(const char *path, const void *buf, size_t len, mode_t mode);

/* Creates a new file with O_EXCL and mode, writes it in full and fsyncs it;
 * fails with CK_EEXIST if it exists. Used for key files, born private. */
enum ck_err ck_write_new(const char *path, const void *buf, size_t len, mode_t mode);

/* Makes path a symbolic link to target atomically: a new link beside it,
 * renamed over path (which may be a file or another link), the directory
 * fsync'ed. */
enum ck_err ck_symlink_atomic(const char *target, const char *path);

/* fsync of a directory, so entries made or renamed in it survive a crash. */
enum ck_err ck_fsync_dir(const char *dir);

/* Writes all of buf to fd, retrying on EINTR and short writes. */
enum ck_err ck_write_all(int fd, const void *buf, size_t len);

/* Overwrites then frees a buffer that held secret material. */
void ck_free_secret(void *buf, size_t len);

/* ---- relative to a directory held open (deployment, DESIGN.md §7) ----
 * name is one entry of dirfd (no '/'); nothing here follows a symbolic
 * link, so an account that can write the directory cannot redirect them. */

/* Creates name in dirfd with O_EXCL|O_NOFOLLOW and its final mode, gives it
 * owner uid and group gid (-1: unchanged) before any byte is written,
 * writes it in full and fsyncs it. On failure the file is removed. */
enum ck_err ck_write_new_at(int dirfd, const char *name, const void *buf, size_t len,
			    mode_t mode, uid_t uid, gid_t gid);

/* Makes name in dirfd a symbolic link to target atomically: a new link
 * beside it renamed over it (whatever it was, never followed), then the
 * directory fsync'ed. */
enum ck_err ck_symlink_atomic_at(int dirfd, const char *target, const char *name);

/* fsync of the directory dirfd (shown as what in a message). */
enum ck_err ck_fsync_dirfd(int dirfd, const char *what);

#endif

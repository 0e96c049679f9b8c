/*
 * deploy.h - writing a binding's files so that its server switches from
 * one certificate and key to the next in a single atomic step (DESIGN.md
 * §7), and running its check and reload commands.
 *
 * Layout, in the directory D of the binding's certificate file:
 *   D/.certkeep+SITE+<16 hex>/   one generation: cert.pem, chain.pem,
 *                                key.pem, combined.pem (as the binding asks)
 *   D/.certkeep+SITE             symbolic link naming the current generation
 * and each file the binding names (--cert-file, --key-file, ...) is a
 * symbolic link to .certkeep+SITE/<file>. Renaming one new link over
 * .certkeep+SITE switches every file at once, so a server reading at any
 * moment, or after a crash at any point, finds the old pair or the new
 * pair, and the key always matches its certificate. '+' cannot appear in a
 * site name, so one site's generations are never taken for another's.
 *
 * D and the directory of each path must be safe (securepath.h): changeable
 * by no account but root, the one running certkeep and the binding's
 * --owner. A deployment holds them open from ck_deploy until
 * ck_deploy_finish or ck_deploy_revert, and never follows a link in them
 * that it did not make (deploy.c).
 */
#ifndef CK_DEPLOY_H
#define CK_DEPLOY_H

#include <limits.h>
#include <stdbool.h>

#include "store/store.h"
#include "base/err.h"

#define CK_DEPLOY_FILES 4 /* cert, chain, key, combined */

struct ck_deployment {
	char dir[PATH_MAX];    /* D */
	char gen[NAME_MAX + 1];  /* the new generation's name */
	char prev[NAME_MAX + 1]; /* the one it replaced, "" if none */
	unsigned linked;       /* files made links by this deployment (bits) */
	unsigned backed_up;    /* of those, files that existed (kept as PATH.certkeep-old) */
	int dir_fd;            /* D, held open until finish or revert */
	int path_fd[CK_DEPLOY_FILES]; /* the directory of each path, likewise */
};

/* Writes certificate thumb's files for binding b as a new generation (the
 * key checked against the certificate first) and switches to it. On
 * failure nothing changed and the new generation is gone. A directory that
 * is not safe is refused with a message naming it and the fix. On success
 * *d holds descriptors that ck_deploy_finish or ck_deploy_revert releases:
 * call exactly one of them. */
enum ck_err ck_deploy(struct store *st, const struct store_binding *b, const char *thumb,
		      struct ck_deployment *d);

/* Puts back what the binding's files were before ck_deploy (a failed check
 * command), and removes the new generation. */
enum ck_err ck_deploy_revert(const struct store_binding *b, struct ck_deployment *d);

/* The new files are accepted: older generations and kept files go. */
void ck_deploy_finish(const struct store_binding *b, struct ck_deployment *d);

/* Removes the generations of b's site other than the current one: those
 * left by a crash between the switch and ck_deploy_finish, when no later
 * deployment of the site comes to remove them. Call under the deployment
 * lock, so that a generation being written is never taken for stale. A
 * directory that is no longer safe is left untouched. */
void ck_deploy_sweep(const struct store_binding *b);

/* Serialises deployments between processes (a daemon and a command both
 * reacting to one renewal): an exclusive lock on DIR/deploy.lock in the
 * store, between threads too. Nests within a thread; every ck_deploy_lock
 * needs its unlock. */
enum ck_err ck_deploy_lock(struct store *st);
void ck_deploy_unlock(void);

/* Runs a binding's check or reload command ("check", "reload") through
 * /bin/sh -c with CERTKEEP_SITE and CERTKEEP_THUMBPRINT in the environment,
 * never in the command text, its output on certkeep's stderr, within a
 * time limit (60 s) after which its whole process group is killed
 * (base/spawn.h). Ends when the command exits: what it leaves in the
 * background (a server it starts) is not waited for. */
enum ck_err ck_run_hook(const char *what, const char *cmd, const char *site, const char *thumb);

#endif

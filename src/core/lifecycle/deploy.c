/*
 * deploy.c - a binding's files as generations switched by one rename
 * (see deploy.h), and its check and reload commands.
 *
 * certkeep deploys as root into directories that the binding's --owner (a
 * server account) may own and write. The invariants that keep that safe:
 * - A directory is written only through a descriptor opened by
 *   ck_secure_dir_open: one component at a time from "/", each checked with
 *   fstat to be changeable by no account but root, the account running
 *   certkeep and the binding's owner (securepath.h). Renaming the directory
 *   or swapping a parent for a link after that moves or hides what is held
 *   open; it cannot make a write land anywhere else.
 * - No entry of such a directory is ever followed: each is reached with an
 *   *at() call on its name (O_NOFOLLOW, AT_SYMLINK_NOFOLLOW, renameat,
 *   unlinkat, linkat without AT_SYMLINK_FOLLOW, readlinkat). What the owner
 *   plants in its own directory (a link named like a generation,
 *   .certkeep+SITE pointed elsewhere, a path swapped for a link) is left
 *   alone or replaced by name, never written through, read, or emptied.
 *   The owner can already change what its own server reads; it gains
 *   nothing beyond that.
 * - Only a generation directory certkeep made is emptied: opened with
 *   O_NOFOLLOW, owned by the account running certkeep, and only of the
 *   names certkeep writes in one; anything else in it stays.
 * - Files are born in a new generation with O_EXCL|O_NOFOLLOW, their final
 *   owner and mode before their first byte, fsync'ed with the directories;
 *   the switch is one renameat of a link certkeep made.
 */
#include "core/lifecycle/deploy.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "pki/pki.h"
#include "base/fileio.h"
#include "base/securepath.h"
#include "base/spawn.h"

#define HOOK_TIMEOUT_MS 60000
#define GEN_HEX 16

static const char *const file_names[CK_DEPLOY_FILES] = { "cert.pem", "chain.pem", "key.pem",
							 "combined.pem" };

static const char *binding_path(const struct store_binding *b, int i)
{
	const char *p[CK_DEPLOY_FILES] = { b->cert_file, b->chain_file, b->key_file,
					   b->combined_file };

	return p[i];
}

/* The PEM texts of a certificate: cert, chain ("" if none) and key. */
struct material {
	char *cert, *chain, *key;
	size_t cert_len, chain_len, key_len;
};

static void material_clear(struct material *m)
{
	free(m->cert);
	free(m->chain);
	ck_free_secret(m->key, m->key_len);
	memset(m, 0, sizeof(*m));
}

static enum ck_err load_material(struct store *st, const char *thumb, bool need_key,
				 struct material *m)
{
	struct store_cert c;
	struct pki_cert *cert = NULL;
	struct pki_key *key = NULL;
	enum ck_err rc;

	memset(m, 0, sizeof(*m));
	rc = store_cert_find(st, thumb, &c);
	if (rc != CK_OK)
		return rc;
	rc = pki_cert_parse(c.der, c.der_len, &cert);
	if (rc == CK_OK)
		rc = pki_cert_to_pem(cert, &m->cert, &m->cert_len);
	if (rc == CK_OK) {
		m->chain = strdup(c.chain_pem ? c.chain_pem : "");
		m->chain_len = c.chain_pem ? strlen(c.chain_pem) : 0;
		if (m->chain == NULL)
			rc = ck_fail(CK_ENOMEM, "out of memory");
	}
	if (rc == CK_OK && need_key) {
		rc = store_key_load(st, c.key_id, &m->key, &m->key_len);
		if (rc == CK_OK)
			rc = pki_key_parse((const uint8_t *)m->key, m->key_len, &key);
		/* Never deploy a pair that does not match (DESIGN.md §7). */
		if (rc == CK_OK && !pki_cert_matches_key(cert, key))
			rc = ck_fail(CK_ERROR, "the stored key does not match certificate %s",
				     c.thumbprint);
	}
	pki_key_free(key);
	pki_cert_free(cert);
	store_cert_clear(&c);
	if (rc != CK_OK)
		material_clear(m);
	return rc;
}

static enum ck_err owner_ids(const struct store_binding *b, uid_t *uid, gid_t *gid)
{
	*uid = (uid_t)-1;
	*gid = (gid_t)-1;
	if (b->owner[0]) {
		struct passwd *pw = getpwnam(b->owner);

		if (pw == NULL)
			return ck_fail(CK_EINVAL, "no such user '%s'", b->owner);
		*uid = pw->pw_uid;
	}
	if (b->group[0]) {
		struct group *gr = getgrnam(b->group);

		if (gr == NULL)
			return ck_fail(CK_EINVAL, "no such group '%s'", b->group);
		*gid = gr->gr_gid;
	}
	return CK_OK;
}

/* Writes the concatenation of up to three texts as the new file name in
 * the generation held open at gen_fd. */
static enum ck_err write_joined(int gen_fd, const char *name, const char *a, size_t al,
				const char *b, size_t bl, const char *c, size_t cl, mode_t mode,
				uid_t uid, gid_t gid)
{
	char *buf = malloc(al + bl + cl + 1);
	enum ck_err rc;

	if (buf == NULL)
		return ck_fail(CK_ENOMEM, "out of memory");
	memcpy(buf, a, al);
	memcpy(buf + al, b, bl);
	memcpy(buf + al + bl, c, cl);
	rc = ck_write_new_at(gen_fd, name, buf, al + bl + cl, mode, uid, gid);
	ck_free_secret(buf, al + bl + cl);
	return rc;
}

static int join(char *out, size_t n, const char *a, const char *b)
{
	int len = snprintf(out, n, "%s/%s", a, b);

	return len < 0 || (size_t)len >= n ? -1 : 0;
}

static void dir_of(const char *path, char *out, size_t n)
{
	char tmp[PATH_MAX];

	snprintf(tmp, sizeof(tmp), "%s", path);
	snprintf(out, n, "%s", dirname(tmp));
}

static const char *base_of(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* .certkeep+SITE, the link in D naming the current generation. */
static int site_link(char *out, size_t n, const char *site)
{
	int len = snprintf(out, n, ".certkeep+%s", site);

	return len < 0 || (size_t)len >= n ? -1 : 0;
}

/* PATH.certkeep-old's name in its directory. */
static int backup_name(char *out, size_t n, const char *path)
{
	int len = snprintf(out, n, "%s.certkeep-old", base_of(path));

	return len < 0 || (size_t)len >= n ? -1 : 0;
}

static void deployment_init(struct ck_deployment *d)
{
	int i;

	memset(d, 0, sizeof(*d));
	d->dir_fd = -1;
	for (i = 0; i < CK_DEPLOY_FILES; i++)
		d->path_fd[i] = -1;
}

static void deployment_close(struct ck_deployment *d)
{
	int i;

	if (d->dir_fd >= 0)
		close(d->dir_fd);
	d->dir_fd = -1;
	for (i = 0; i < CK_DEPLOY_FILES; i++) {
		if (d->path_fd[i] >= 0)
			close(d->path_fd[i]);
		d->path_fd[i] = -1;
	}
}

/* Opens D and the directory of each of the binding's paths, each checked
 * to be safe from every account but the trusted ones (securepath.h). */
static enum ck_err open_dirs(const struct store_binding *b, uid_t owner, struct ck_deployment *d)
{
	char pd[PATH_MAX];
	enum ck_err rc = ck_secure_dir_open(d->dir, owner, &d->dir_fd);
	int i;

	for (i = 0; rc == CK_OK && i < CK_DEPLOY_FILES; i++) {
		const char *p = binding_path(b, i);

		if (p[0] == '\0')
			continue;
		dir_of(p, pd, sizeof(pd));
		if (strcmp(pd, d->dir) != 0) {
			rc = ck_secure_dir_open(pd, owner, &d->path_fd[i]);
			continue;
		}
		d->path_fd[i] = fcntl(d->dir_fd, F_DUPFD_CLOEXEC, 0);
		if (d->path_fd[i] < 0)
			rc = ck_fail_errno(CK_EIO, "dup");
	}
	return rc;
}

/* Whether name is one certkeep writes in a generation: its files, and the
 * temporary files older versions wrote beside them. */
static bool generation_file(const char *name)
{
	size_t i, n;

	for (i = 0; i < CK_DEPLOY_FILES; i++) {
		n = strlen(file_names[i]);
		if (strncmp(name, file_names[i], n) == 0 &&
		    (name[n] == '\0' || strncmp(name + n, ".ck-tmp.", 8) == 0))
			return true;
	}
	return false;
}

/* Removes generation gen of the directory held at dfd, if certkeep made
 * it: opened without following a link, owned by the account running
 * certkeep; only the names certkeep writes in a generation are unlinked
 * (relative to the generation's descriptor), so a directory that was moved
 * in under such a name loses nothing else, and then it goes if empty. */
static void remove_generation(int dfd, const char *gen)
{
	struct dirent *e;
	struct stat st;
	DIR *dp;
	int fd;

	fd = openat(dfd, gen, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return;
	if (fstat(fd, &st) != 0 || st.st_uid != geteuid()) {
		close(fd);
		return;
	}
	dp = fdopendir(fd);
	if (dp == NULL) {
		close(fd);
		return;
	}
	while ((e = readdir(dp)) != NULL)
		if (generation_file(e->d_name))
			unlinkat(dirfd(dp), e->d_name, 0);
	closedir(dp);
	unlinkat(dfd, gen, AT_REMOVEDIR);
}

static bool is_generation_of(const char *name, const char *site)
{
	size_t n = strlen(site);

	return strncmp(name, ".certkeep+", 10) == 0 && strncmp(name + 10, site, n) == 0 &&
	       name[10 + n] == '+' && strlen(name + 11 + n) == GEN_HEX &&
	       strspn(name + 11 + n, "0123456789abcdef") == GEN_HEX;
}

/* What the link at a binding's path i must say: relative in D, absolute
 * elsewhere. */
static int link_target(const struct store_binding *b, const struct ck_deployment *d, int i,
		       char *out, size_t n)
{
	char pd[PATH_MAX];
	int len;

	dir_of(binding_path(b, i), pd, sizeof(pd));
	if (strcmp(pd, d->dir) == 0)
		len = snprintf(out, n, ".certkeep+%s/%s", b->site, file_names[i]);
	else
		len = snprintf(out, n, "%s/.certkeep+%s/%s", d->dir, b->site, file_names[i]);
	return len < 0 || (size_t)len >= n ? -1 : 0;
}

/* Writes the new generation's files into the generation held at gen_fd. */
static enum ck_err write_generation(const struct store_binding *b, int gen_fd,
				    const struct material *m, uid_t uid, gid_t gid)
{
	enum ck_err rc = CK_OK;

	if (b->key_file[0])
		rc = ck_write_new_at(gen_fd, "key.pem", m->key, m->key_len, b->mode, uid, gid);
	if (rc == CK_OK && b->chain_file[0])
		rc = ck_write_new_at(gen_fd, "chain.pem", m->chain, m->chain_len, 0644, uid, gid);
	/* Without a chain file, the chain follows the certificate. */
	if (rc == CK_OK)
		rc = write_joined(gen_fd, "cert.pem", m->cert, m->cert_len,
				  b->chain_file[0] ? "" : m->chain, b->chain_file[0] ? 0 : m->chain_len,
				  "", 0, 0644, uid, gid);
	if (rc == CK_OK && b->combined_file[0])
		rc = write_joined(gen_fd, "combined.pem", m->cert, m->cert_len, m->chain,
				  m->chain_len, m->key, m->key_len, b->mode, uid, gid);
	return rc;
}

/* Makes each of the binding's paths a link into .certkeep+SITE; a file that
 * was there is kept as PATH.certkeep-old until ck_deploy_finish. Whatever
 * stands at a path is handled by name (linkat keeps a link as the link). */
static enum ck_err link_paths(const struct store_binding *b, struct ck_deployment *d)
{
	char target[PATH_MAX], have[PATH_MAX], backup[NAME_MAX + 1];
	int i;

	for (i = 0; i < CK_DEPLOY_FILES; i++) {
		const char *p = binding_path(b, i), *name = base_of(p);
		int fd = d->path_fd[i];
		struct stat sb;
		ssize_t n;

		if (p[0] == '\0')
			continue;
		if (link_target(b, d, i, target, sizeof(target)) != 0 ||
		    backup_name(backup, sizeof(backup), p) != 0)
			return ck_fail(CK_EINVAL, "path too long: '%s'", p);
		n = readlinkat(fd, name, have, sizeof(have) - 1);
		if (n >= 0 && (have[n] = '\0', strcmp(have, target) == 0))
			continue;
		if (fstatat(fd, name, &sb, AT_SYMLINK_NOFOLLOW) == 0) {
			if (S_ISDIR(sb.st_mode))
				return ck_fail(CK_EINVAL, "'%s' is a directory", p);
			unlinkat(fd, backup, 0);
			if (linkat(fd, name, fd, backup, 0) != 0)
				return ck_fail_errno(CK_EIO, "cannot keep '%s' as '%s.certkeep-old'", p,
						     p);
			d->backed_up |= 1u << i;
		}
		if (ck_symlink_atomic_at(fd, target, name) != CK_OK) {
			ck_errmsg_prefix("'%s'", p);
			return CK_EIO;
		}
		d->linked |= 1u << i;
	}
	return CK_OK;
}

enum ck_err ck_deploy(struct store *st, const struct store_binding *b, const char *thumb,
		      struct ck_deployment *d)
{
	bool need_key = b->key_file[0] || b->combined_file[0];
	char link_name[NAME_MAX + 1];
	unsigned char rnd[GEN_HEX / 2];
	struct material m;
	struct stat gst;
	int gen_fd = -1;
	uid_t uid;
	gid_t gid;
	enum ck_err rc;
	ssize_t n;
	size_t i;

	deployment_init(d);
	memset(&m, 0, sizeof(m));
	dir_of(b->cert_file, d->dir, sizeof(d->dir));
	rc = owner_ids(b, &uid, &gid);
	if (rc == CK_OK)
		rc = open_dirs(b, uid, d);
	if (rc == CK_OK)
		rc = load_material(st, thumb, need_key, &m);
	if (rc != CK_OK)
		goto out;
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
		rc = ck_fail_errno(CK_EIO, "getrandom");
		goto out;
	}
	n = snprintf(d->gen, sizeof(d->gen), ".certkeep+%s+", b->site);
	for (i = 0; i < sizeof(rnd); i++)
		n += snprintf(d->gen + n, sizeof(d->gen) - (size_t)n, "%02x", rnd[i]);
	if (site_link(link_name, sizeof(link_name), b->site) != 0) {
		rc = ck_fail(CK_EINVAL, "site name too long: '%s'", b->site);
		goto out;
	}
	n = readlinkat(d->dir_fd, link_name, d->prev, sizeof(d->prev) - 1);
	d->prev[n > 0 ? n : 0] = '\0';
	/* Messages name the directory, not the generation's random name: the
	 * same failure retried reads the same (one event, not one per try). */
	if (mkdirat(d->dir_fd, d->gen, 0755) != 0) {
		rc = ck_fail_errno(CK_EIO, "cannot create the new files in '%s'", d->dir);
		goto out;
	}
	/* The owner can write D: what is opened must be what was made. */
	gen_fd = openat(d->dir_fd, d->gen, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (gen_fd < 0 || fstat(gen_fd, &gst) != 0 || gst.st_uid != geteuid())
		rc = ck_fail_errno(CK_EIO, "cannot open the new files' directory in '%s'", d->dir);
	else if (fchmod(gen_fd, 0755) != 0) /* not the umask's 0700: the server reads it */
		rc = ck_fail_errno(CK_EIO, "cannot make the new files in '%s' readable", d->dir);
	if (rc == CK_OK) {
		rc = write_generation(b, gen_fd, &m, uid, gid);
		if (rc != CK_OK)
			ck_errmsg_prefix("cannot write the new files in '%s'", d->dir);
	}
	material_clear(&m);
	if (rc == CK_OK)
		rc = ck_fsync_dirfd(gen_fd, d->dir);
	/* The switch: every file the server reads changes here, at once. */
	if (rc == CK_OK) {
		rc = ck_symlink_atomic_at(d->dir_fd, d->gen, link_name);
		if (rc != CK_OK)
			ck_errmsg_prefix("in '%s'", d->dir);
	}
	if (rc != CK_OK) {
		remove_generation(d->dir_fd, d->gen);
		goto out;
	}
	rc = link_paths(b, d);
	if (rc != CK_OK) {
		char why[512];

		snprintf(why, sizeof(why), "%s", ck_errmsg());
		ck_deploy_revert(b, d);
		rc = ck_fail(rc, "%s", why);
	}
out:
	if (gen_fd >= 0)
		close(gen_fd);
	material_clear(&m);
	if (rc != CK_OK) {
		deployment_close(d);
		ck_errmsg_prefix("site %s", b->site);
	}
	return rc;
}

enum ck_err ck_deploy_revert(const struct store_binding *b, struct ck_deployment *d)
{
	char link_name[NAME_MAX + 1], backup[NAME_MAX + 1];
	enum ck_err rc = CK_OK;
	int i;

	if (d->dir_fd < 0)
		return ck_fail(CK_ERROR, "site %s: no deployment to put back", b->site);
	for (i = 0; i < CK_DEPLOY_FILES; i++) {
		const char *p = binding_path(b, i);
		int fd = d->path_fd[i];

		if (!(d->linked & (1u << i)))
			continue;
		if (backup_name(backup, sizeof(backup), p) != 0 ||
		    (d->backed_up & (1u << i) ? renameat(fd, backup, fd, base_of(p))
					      : unlinkat(fd, base_of(p), 0)) != 0)
			rc = ck_fail_errno(CK_EIO, "cannot put '%s' back", p);
		else if (ck_fsync_dirfd(fd, p) != CK_OK)
			rc = CK_EIO;
	}
	if (site_link(link_name, sizeof(link_name), b->site) != 0)
		rc = ck_fail(CK_EINVAL, "site name too long: '%s'", b->site);
	else if (d->prev[0] ? ck_symlink_atomic_at(d->dir_fd, d->prev, link_name) != CK_OK
			    : unlinkat(d->dir_fd, link_name, 0) != 0)
		rc = ck_fail_errno(CK_EIO, "cannot put '%s/%s' back", d->dir, link_name);
	remove_generation(d->dir_fd, d->gen);
	if (ck_fsync_dirfd(d->dir_fd, d->dir) != CK_OK)
		rc = CK_EIO;
	deployment_close(d);
	return rc;
}

/* Removes every generation of site in the directory held at dfd except
 * keep. */
static void remove_generations_but(int dfd, const char *site, const char *keep)
{
	struct dirent *e;
	int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *dp = fd >= 0 ? fdopendir(fd) : NULL;

	if (dp == NULL) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((e = readdir(dp)) != NULL)
		if (is_generation_of(e->d_name, site) && strcmp(e->d_name, keep) != 0)
			remove_generation(dfd, e->d_name);
	closedir(dp);
}

void ck_deploy_finish(const struct store_binding *b, struct ck_deployment *d)
{
	char backup[NAME_MAX + 1];
	int i;

	if (d->dir_fd < 0)
		return;
	for (i = 0; i < CK_DEPLOY_FILES; i++)
		if ((d->backed_up & (1u << i)) &&
		    backup_name(backup, sizeof(backup), binding_path(b, i)) == 0)
			unlinkat(d->path_fd[i], backup, 0);
	/* Older generations, including those a crash left behind. */
	remove_generations_but(d->dir_fd, b->site, d->gen);
	deployment_close(d);
}

void ck_deploy_sweep(const struct store_binding *b)
{
	char dir[PATH_MAX], link_name[NAME_MAX + 1], current[NAME_MAX + 1];
	uid_t uid;
	gid_t gid;
	ssize_t n;
	int fd;

	dir_of(b->cert_file, dir, sizeof(dir));
	/* A directory that is no longer safe is left alone; deploying to it
	 * is refused with the reason. */
	if (site_link(link_name, sizeof(link_name), b->site) != 0 ||
	    owner_ids(b, &uid, &gid) != CK_OK || ck_secure_dir_open(dir, uid, &fd) != CK_OK) {
		ck_errmsg_clear();
		return;
	}
	n = readlinkat(fd, link_name, current, sizeof(current) - 1);
	if (n > 0) { /* no current generation: none is known to be stale */
		current[n] = '\0';
		remove_generations_but(fd, b->site, current);
	}
	close(fd);
}

/* Per thread: a flock on a descriptor of its own excludes the daemon's
 * other thread as it excludes other processes. */
static _Thread_local int lock_fd = -1;
static _Thread_local int lock_depth;

enum ck_err ck_deploy_lock(struct store *st)
{
	char path[PATH_MAX];

	if (lock_depth++ > 0)
		return CK_OK;
	if (join(path, sizeof(path), store_dir(st), "deploy.lock") != 0) {
		lock_depth = 0;
		return ck_fail(CK_EINVAL, "store path too long");
	}
	lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (lock_fd < 0 || flock(lock_fd, LOCK_EX) != 0) {
		enum ck_err rc = ck_fail_errno(CK_EIO, "cannot lock '%s'", path);

		if (lock_fd >= 0)
			close(lock_fd);
		lock_fd = -1;
		lock_depth = 0;
		return rc;
	}
	return CK_OK;
}

void ck_deploy_unlock(void)
{
	if (lock_depth == 0 || --lock_depth > 0)
		return;
	close(lock_fd); /* releases the lock */
	lock_fd = -1;
}

enum ck_err ck_run_hook(const char *what, const char *cmd, const char *site, const char *thumb)
{
	struct ck_env env = { 0 };
	struct ck_spawn_result res;
	char *argv[4];
	/* The command's output is for the one who runs certkeep, as it comes:
	 * a failed check says why there. */
	struct ck_spawn sp = { .path = CK_SPAWN_SHELL,
			       .argv = argv,
			       .timeout_ms = HOOK_TIMEOUT_MS,
			       .umask = 022, /* certkeep's own 077 is for its store, not the server's files */
			       .wait_output = false,
			       .echo_fd = STDERR_FILENO,
			       .tail = NULL };
	enum ck_err rc = ck_env_from_current(&env);

	if (rc == CK_OK)
		rc = ck_env_set(&env, "CERTKEEP_SITE", site);
	if (rc == CK_OK)
		rc = ck_env_set(&env, "CERTKEEP_THUMBPRINT", thumb);
	ck_spawn_shell_argv(cmd, argv);
	sp.envp = env.vars;
	if (rc == CK_OK)
		rc = ck_spawn_run(&sp, &res);
	ck_env_free(&env);
	if (rc != CK_OK)
		return rc;
	if (res.timed_out)
		return ck_fail(CK_ERROR, "%s command timed out: %.200s", what, cmd);
	if (res.status != 0)
		return ck_fail(CK_ERROR, "%s command failed (status %d): %.200s", what, res.status,
			       cmd);
	return CK_OK;
}

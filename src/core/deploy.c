/*
 * deploy.c - a binding's files as generations switched by one rename
 * (see deploy.h), and its check and reload commands.
 */
#include "deploy.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../pki/pki.h"
#include "fileio.h"

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

/* Writes the concatenation of up to three texts as one file. */
static enum ck_err write_joined(const char *path, const char *a, size_t al, const char *b,
				size_t bl, const char *c, size_t cl, mode_t mode, uid_t uid,
				gid_t gid)
{
	char *buf = malloc(al + bl + cl + 1);
	enum ck_err rc;

	if (buf == NULL)
		return ck_fail(CK_ENOMEM, "out of memory");
	memcpy(buf, a, al);
	memcpy(buf + al, b, bl);
	memcpy(buf + al + bl, c, cl);
	rc = ck_write_atomic_owned(path, buf, al + bl + cl, mode, uid, gid);
	ck_free_secret(buf, al + bl + cl);
	return rc;
}

static int join(char *out, size_t n, const char *a, const char *b)
{
	int len = snprintf(out, n, "%s/%s", a, b);

	return len < 0 || (size_t)len >= n ? -1 : 0;
}

/* D/.certkeep+SITE, the link naming the current generation. */
static int site_link(char *out, size_t n, const char *dir, const char *site)
{
	int len = snprintf(out, n, "%s/.certkeep+%s", dir, site);

	return len < 0 || (size_t)len >= n ? -1 : 0;
}

/* Removes a generation directory and everything in it: its files and the
 * temporary file a crash while writing one left. */
static void remove_generation(const char *dir, const char *gen)
{
	char path[PATH_MAX];
	struct dirent *e;
	DIR *d;

	if (join(path, sizeof(path), dir, gen) != 0)
		return;
	d = opendir(path);
	if (d != NULL) {
		while ((e = readdir(d)) != NULL)
			if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
				unlinkat(dirfd(d), e->d_name, 0);
		closedir(d);
	}
	rmdir(path);
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
	char tmp[PATH_MAX];
	int len;

	snprintf(tmp, sizeof(tmp), "%s", binding_path(b, i));
	if (strcmp(dirname(tmp), d->dir) == 0)
		len = snprintf(out, n, ".certkeep+%s/%s", b->site, file_names[i]);
	else
		len = snprintf(out, n, "%s/.certkeep+%s/%s", d->dir, b->site, file_names[i]);
	return len < 0 || (size_t)len >= n ? -1 : 0;
}

/* Writes the new generation's files. */
static enum ck_err write_generation(const struct store_binding *b, const char *gen_path,
				    const struct material *m, uid_t uid, gid_t gid)
{
	char path[PATH_MAX];
	enum ck_err rc = CK_OK;

	if (b->key_file[0] && join(path, sizeof(path), gen_path, "key.pem") == 0)
		rc = ck_write_atomic_owned(path, m->key, m->key_len, b->mode, uid, gid);
	if (rc == CK_OK && b->chain_file[0] && join(path, sizeof(path), gen_path, "chain.pem") == 0)
		rc = ck_write_atomic_owned(path, m->chain, m->chain_len, 0644, uid, gid);
	/* Without a chain file, the chain follows the certificate. */
	if (rc == CK_OK && join(path, sizeof(path), gen_path, "cert.pem") == 0)
		rc = write_joined(path, m->cert, m->cert_len, b->chain_file[0] ? "" : m->chain,
				  b->chain_file[0] ? 0 : m->chain_len, "", 0, 0644, uid, gid);
	if (rc == CK_OK && b->combined_file[0] &&
	    join(path, sizeof(path), gen_path, "combined.pem") == 0)
		rc = write_joined(path, m->cert, m->cert_len, m->chain, m->chain_len, m->key,
				  m->key_len, b->mode, uid, gid);
	return rc;
}

/* Makes each of the binding's paths a link into .certkeep+SITE; a file that
 * was there is kept as PATH.certkeep-old until ck_deploy_finish. */
static enum ck_err link_paths(const struct store_binding *b, struct ck_deployment *d)
{
	char target[PATH_MAX], have[PATH_MAX], backup[PATH_MAX];
	int i;

	for (i = 0; i < CK_DEPLOY_FILES; i++) {
		const char *p = binding_path(b, i);
		struct stat sb;
		ssize_t n;

		if (p[0] == '\0')
			continue;
		if (link_target(b, d, i, target, sizeof(target)) != 0)
			return ck_fail(CK_EINVAL, "path too long: '%s'", p);
		n = readlink(p, have, sizeof(have) - 1);
		if (n >= 0 && (have[n] = '\0', strcmp(have, target) == 0))
			continue;
		if (lstat(p, &sb) == 0) {
			if (S_ISDIR(sb.st_mode))
				return ck_fail(CK_EINVAL, "'%s' is a directory", p);
			snprintf(backup, sizeof(backup), "%s.certkeep-old", p);
			unlink(backup);
			if (link(p, backup) != 0)
				return ck_fail_errno(CK_EIO, "cannot keep '%s' as '%s'", p, backup);
			d->backed_up |= 1u << i;
		}
		if (ck_symlink_atomic(target, p) != CK_OK)
			return CK_EIO;
		d->linked |= 1u << i;
	}
	return CK_OK;
}

enum ck_err ck_deploy(struct store *st, const struct store_binding *b, const char *thumb,
		      struct ck_deployment *d)
{
	bool need_key = b->key_file[0] || b->combined_file[0];
	char tmp[PATH_MAX], link_path[PATH_MAX], gen_path[PATH_MAX];
	unsigned char rnd[GEN_HEX / 2];
	struct material m;
	uid_t uid;
	gid_t gid;
	enum ck_err rc;
	ssize_t n;
	size_t i;

	memset(d, 0, sizeof(*d));
	snprintf(tmp, sizeof(tmp), "%s", b->cert_file);
	snprintf(d->dir, sizeof(d->dir), "%s", dirname(tmp));
	rc = owner_ids(b, &uid, &gid);
	if (rc == CK_OK)
		rc = load_material(st, thumb, need_key, &m);
	if (rc != CK_OK)
		goto out;
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
		material_clear(&m);
		rc = ck_fail_errno(CK_EIO, "getrandom");
		goto out;
	}
	n = snprintf(d->gen, sizeof(d->gen), ".certkeep+%s+", b->site);
	for (i = 0; i < sizeof(rnd); i++)
		n += snprintf(d->gen + n, sizeof(d->gen) - (size_t)n, "%02x", rnd[i]);
	if (site_link(link_path, sizeof(link_path), d->dir, b->site) != 0 ||
	    join(gen_path, sizeof(gen_path), d->dir, d->gen) != 0) {
		material_clear(&m);
		rc = ck_fail(CK_EINVAL, "path too long: '%s'", b->cert_file);
		goto out;
	}
	n = readlink(link_path, d->prev, sizeof(d->prev) - 1);
	d->prev[n > 0 ? n : 0] = '\0';
	/* Messages name the directory, not the generation's random name: the
	 * same failure retried reads the same (one event, not one per try). */
	if (mkdir(gen_path, 0755) != 0) {
		material_clear(&m);
		rc = ck_fail_errno(CK_EIO, "cannot create the new files in '%s'", d->dir);
		goto out;
	}
	if (chmod(gen_path, 0755) != 0) /* not the umask's 0700: the server reads it */
		rc = ck_fail_errno(CK_EIO, "cannot make the new files in '%s' readable", d->dir);
	if (rc == CK_OK)
		rc = write_generation(b, gen_path, &m, uid, gid);
	material_clear(&m);
	if (rc == CK_OK)
		rc = ck_fsync_dir(gen_path);
	/* The switch: every file the server reads changes here, at once. */
	if (rc == CK_OK)
		rc = ck_symlink_atomic(d->gen, link_path);
	if (rc != CK_OK) {
		remove_generation(d->dir, d->gen);
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
	if (rc != CK_OK)
		ck_errmsg_prefix("site %s", b->site);
	return rc;
}

enum ck_err ck_deploy_revert(const struct store_binding *b, const struct ck_deployment *d)
{
	char link_path[PATH_MAX], backup[PATH_MAX];
	enum ck_err rc = CK_OK;
	int i;

	for (i = 0; i < CK_DEPLOY_FILES; i++) {
		const char *p = binding_path(b, i);

		if (!(d->linked & (1u << i)))
			continue;
		snprintf(backup, sizeof(backup), "%s.certkeep-old", p);
		if (d->backed_up & (1u << i) ? rename(backup, p) : unlink(p))
			rc = ck_fail_errno(CK_EIO, "cannot put '%s' back", p);
	}
	if (site_link(link_path, sizeof(link_path), d->dir, b->site) != 0)
		return ck_fail(CK_EINVAL, "path too long: '%s'", d->dir);
	if (d->prev[0] ? ck_symlink_atomic(d->prev, link_path) != CK_OK : unlink(link_path) != 0)
		rc = ck_fail_errno(CK_EIO, "cannot put '%s' back", link_path);
	remove_generation(d->dir, d->gen);
	if (ck_fsync_dir(d->dir) != CK_OK)
		rc = CK_EIO;
	return rc;
}

/* Removes every generation of site in dir except keep. */
static void remove_generations_but(const char *dir, const char *site, const char *keep)
{
	struct dirent *e;
	DIR *d = opendir(dir);

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL)
		if (is_generation_of(e->d_name, site) && strcmp(e->d_name, keep) != 0)
			remove_generation(dir, e->d_name);
	closedir(d);
}

void ck_deploy_finish(const struct store_binding *b, const struct ck_deployment *d)
{
	char backup[PATH_MAX];
	int i;

	for (i = 0; i < CK_DEPLOY_FILES; i++)
		if (d->backed_up & (1u << i)) {
			snprintf(backup, sizeof(backup), "%s.certkeep-old", binding_path(b, i));
			unlink(backup);
		}
	/* Older generations, including those a crash left behind. */
	remove_generations_but(d->dir, b->site, d->gen);
}

void ck_deploy_sweep(const struct store_binding *b)
{
	char tmp[PATH_MAX], dir[PATH_MAX], link_path[PATH_MAX], current[NAME_MAX + 1];
	ssize_t n;

	snprintf(tmp, sizeof(tmp), "%s", b->cert_file);
	snprintf(dir, sizeof(dir), "%s", dirname(tmp));
	if (site_link(link_path, sizeof(link_path), dir, b->site) != 0)
		return;
	n = readlink(link_path, current, sizeof(current) - 1);
	if (n <= 0)
		return; /* no current generation: none is known to be stale */
	current[n] = '\0';
	remove_generations_but(dir, b->site, current);
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
	struct timespec start, now;
	pid_t pid;
	int status;

	pid = fork();
	if (pid < 0)
		return ck_fail_errno(CK_EIO, "fork");
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDONLY);
		sigset_t unblocked;

		if (devnull >= 0)
			dup2(devnull, STDIN_FILENO);
		dup2(STDERR_FILENO, STDOUT_FILENO);
		umask(022); /* certkeep's own 077 is for its store, not the server's files */
		/* Signals the daemon's CA service thread blocks are the
		 * command's to receive (a mask survives exec). */
		sigemptyset(&unblocked);
		sigprocmask(SIG_SETMASK, &unblocked, NULL);
		setenv("CERTKEEP_SITE", site, 1);
		setenv("CERTKEEP_THUMBPRINT", thumb, 1);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			break;
		if (r < 0 && errno != EINTR)
			return ck_fail_errno(CK_EIO, "waitpid");
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000 >
		    HOOK_TIMEOUT_MS) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return ck_fail(CK_ERROR, "%s command timed out: %.200s", what, cmd);
		}
		poll(NULL, 0, 20);
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return ck_fail(CK_ERROR, "%s command failed (status %d): %.200s", what,
			       WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status),
			       cmd);
	return CK_OK;
}

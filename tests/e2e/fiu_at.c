/*
 * fiu_at.c - libfiu's POSIX failure points for the calls relative to a
 * directory descriptor that its preload library does not wrap: renameat
 * fails where "posix/io/dir/rename" is enabled, as rename does. Built and
 * preloaded by t_faults.sh after fiu-run's own libraries (whose libfiu
 * provides fiu_fail and fiu_failinfo).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>

int fiu_fail(const char *name);
void *fiu_failinfo(void);

int renameat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath)
{
	static int (*real)(int, const char *, int, const char *);

	if (fiu_fail("posix/io/dir/rename")) {
		errno = (int)(long)fiu_failinfo();
		if (errno == 0)
			errno = EIO;
		return -1;
	}
	if (real == NULL)
		real = (int (*)(int, const char *, int, const char *))dlsym(RTLD_NEXT, "renameat");
	return real(olddirfd, oldpath, newdirfd, newpath);
}

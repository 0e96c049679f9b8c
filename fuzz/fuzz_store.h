/*
 * fuzz_store.h - a throwaway store for harnesses whose parser is reached
 * only through an API that takes one: made once per process in /dev/shm
 * (tmpfs, so that commits cost no disk flush), removed at exit.
 */
#ifndef CK_FUZZ_STORE_H
#define CK_FUZZ_STORE_H

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"

static char fuzz_store_path[] = "/dev/shm/certkeep-fuzz-XXXXXX";
static struct store *fuzz_store_st;

/* Removes the tree at path (files and directories only: a store). */
static void fuzz_store_rm(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;

	while (d != NULL && (e = readdir(d)) != NULL) {
		char sub[PATH_MAX];

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
		if (e->d_type == DT_DIR)
			fuzz_store_rm(sub);
		else
			unlink(sub);
	}
	if (d != NULL)
		closedir(d);
	rmdir(path);
}

static void fuzz_store_done(void)
{
	store_close(fuzz_store_st);
	fuzz_store_rm(fuzz_store_path);
}

/* The process's store; aborts when it cannot be made (no test without it). */
static struct store *fuzz_store(void)
{
	if (fuzz_store_st != NULL)
		return fuzz_store_st;
	if (mkdtemp(fuzz_store_path) == NULL ||
	    store_open(fuzz_store_path, true, &fuzz_store_st) != CK_OK) {
		fprintf(stderr, "fuzz: cannot make a store in %s\n", fuzz_store_path);
		abort();
	}
	atexit(fuzz_store_done);
	return fuzz_store_st;
}

#endif

/*
 * cmd_daemon.c - daemon [--interval SECONDS]: runs the daemon
 * (daemon/daemon.h) on the open store.
 */
#include "cli/cli.h"
#include "daemon/daemon.h"

enum ck_err cmd_daemon(struct cli *c)
{
	int interval = 3600;
	enum ck_err rc = cli_int(c, "--interval", 1, 86400 * 7, &interval);

	if (rc != CK_OK)
		return rc;
	return ck_daemon_run(c->st, interval);
}

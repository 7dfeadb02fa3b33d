/* SPDX-License-Identifier: MIT */
/*
 * stat.c - `nexit stat SOCKET`: the live counters of a running nexit, as JSON.
 */
#include <string.h>
#include "cli/cli.h"

int nx_cli_stat(int argc, char **argv)
{
	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf("usage: nexit stat SOCKET\n\nPrints the live counters (exits, interrupt lines) "
		       "of the nexit started with --control SOCKET, as JSON.\n");
		return 0;
	}
	if (argc != 2) {
		nx_error("usage: nexit stat SOCKET (the path given to nexit run --control)");
		return NX_EXIT_ERROR;
	}
	return nx_ctl_call(argv[1], "stat\n", NULL, 0) < 0 ? NX_EXIT_ERROR : 0;
}

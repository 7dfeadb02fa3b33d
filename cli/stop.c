/* SPDX-License-Identifier: MIT */
/*
 * stop.c - `nexit stop SOCKET [--wait S]`: stop a running nexit as SIGTERM does.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include "cli/cli.h"
#include "core/control.h"

int nx_cli_stop(int argc, char **argv)
{
	char last[128] = "";
	int wait_s = 0;

	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf("usage: nexit stop SOCKET [--wait SECONDS]\n\n"
		       "Stops the nexit started with --control SOCKET as SIGTERM does: it presses the\n"
		       "guest's power button and forces the stop after [vm] stop_grace seconds (at once\n"
		       "if the guest does not listen for the button). --wait: return only once that\n"
		       "nexit has exited (exit status 1 if it has not within SECONDS).\n");
		return 0;
	}
	if ((argc != 2 && argc != 4) || (argc == 4 && (strcmp(argv[2], "--wait") ||
						       (wait_s = atoi(argv[3])) <= 0))) {
		nx_error("usage: nexit stop SOCKET [--wait SECONDS]");
		return 2;
	}
	if (nx_ctl_call(argv[1], "stop\n", last, sizeof(last)) < 0 || strncmp(last, "ok", 2))
		return 1;
	/* Gone once nobody accepts on the socket any more. */
	for (int i = 0; i < wait_s * 10; i++) {
		int p = nx_unix_connect(argv[1], SOCK_STREAM, 0);

		if (p < 0)
			return 0;
		close(p);
		usleep(100 * 1000);
	}
	if (wait_s)
		return nx_error("nexit at %s still runs after %d s", argv[1], wait_s), 1;
	return 0;
}

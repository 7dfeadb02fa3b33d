/* SPDX-License-Identifier: MIT */
/*
 * devd_main.c - `nexit-devd`: the out-of-process irqdev backend.
 *   nexit-devd --socket PATH   listen on PATH, serve one nexit, exit
 *   nexit-devd --fd N          serve the connected socket N (nexit starts
 *                              us like this when a device has no backend=)
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include "passthrough/passthrough.h"
#include "core/control.h"
#include "core/sandbox.h"

static void usage(FILE *o)
{
	fprintf(o,
"usage: nexit-devd (--socket PATH | --fd N) [--wait block|poll|adaptive] [--spin-us N]\n"
"                  [--sandbox on|log|off] [-v]\n"
"\n"
"The out-of-process backend of nexit's irqdev device. It receives the device's\n"
"eventfds (MSI irqfd, INTx trigger, doorbell ioeventfds) over a unix socket\n"
"and raises the device's interrupts straight into KVM.\n"
"  --socket PATH   listen on PATH and serve one nexit ([device] backend = PATH)\n"
"  --fd N          serve an already connected socket (how nexit starts us)\n"
"  --wait MODE     how to wait for work, overriding the device's wait= option\n"
"  --spin-us N     adaptive: spin N microseconds after each event (default 200)\n"
"  --sandbox MODE  on (default): after its set-up the backend may only use the\n"
"                  few system calls its work needs (seccomp); log: report the\n"
"                  others and go on; off\n"
"  -v              say what happens\n");
}

/* Serves the first peer that runs as our user or root: the socket is
 * 0600, and a peer let in by a widened mode is refused (SO_PEERCRED). */
static int listen_once(const char *path)
{
	struct stat st;
	int s, c;

	/* A stale socket file from an earlier run is ours to replace. */
	if (stat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return nx_error("%s exists and is not a socket", path);
		unlink(path);
	}
	s = nx_unix_listen(path, SOCK_SEQPACKET, 1);
	if (s < 0)
		return -1;
	for (;;) {
		char who[64];

		c = accept4(s, NULL, NULL, SOCK_CLOEXEC);
		if (c < 0 && errno == EINTR)
			continue;
		if (c < 0 || nx_unix_peer_ok(c, who, sizeof(who)))
			break;
		nx_warn("nexit-devd: refused %s on %s (not our user or root)", who, path);
		close(c);
	}
	close(s);
	unlink(path);
	if (c < 0)
		return nx_error("accept on %s: %s", path, strerror(errno));
	return c;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, 0, 's' }, { "fd", required_argument, 0, 'f' },
		{ "wait", required_argument, 0, 'w' }, { "spin-us", required_argument, 0, 'u' },
		{ "verbose", no_argument, 0, 'v' }, { "help", no_argument, 0, 'h' },
		{ "sandbox", required_argument, 0, 'S' }, { 0 }
	};
	struct nx_devd_opts o = { .wait = NX_WAIT_BLOCK };
	enum nx_sandbox_mode sandbox = NX_SANDBOX_ON;
	const char *path = NULL;
	int fd = -1, opt;
	char *end;

	static char errbuf[BUFSIZ];

	setvbuf(stderr, errbuf, _IOLBF, sizeof(errbuf));	/* allocated before the sandbox */
	while ((opt = getopt_long(argc, argv, "v", opts, NULL)) != -1) {
		switch (opt) {
		case 's': path = optarg; break;
		case 'f':
			fd = (int)strtol(optarg, &end, 10);
			if (*end || fd < 0)
				return nx_error("--fd: '%s' is not a file descriptor number", optarg), NX_EXIT_ERROR;
			break;
		case 'w': {
			char buf[64];
			snprintf(buf, sizeof(buf), "wait=%s", optarg);
			if (nx_devd_parse_wait(buf, &o.wait) < 0 || !strstr(buf, "="))
				return nx_error("--wait: '%s' is not block, poll or adaptive", optarg), NX_EXIT_ERROR;
			o.wait_forced = true;
			break;
		}
		case 'u':
			o.spin_us = (unsigned)strtoul(optarg, &end, 10);
			if (*end || !o.spin_us || o.spin_us > 1000000)
				return nx_error("--spin-us: '%s' is not 1..1000000", optarg), NX_EXIT_ERROR;
			break;
		case 'v': o.verbose = true; break;
		case 'S':
			if (!strcmp(optarg, "on"))
				sandbox = NX_SANDBOX_ON;
			else if (!strcmp(optarg, "log"))
				sandbox = NX_SANDBOX_LOG;
			else if (!strcmp(optarg, "off"))
				sandbox = NX_SANDBOX_OFF;
			else
				return nx_error("--sandbox: '%s' is not on, log or off", optarg), NX_EXIT_ERROR;
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return NX_EXIT_ERROR;
		}
	}
	if ((path != NULL) == (fd >= 0) || optind < argc) {
		nx_error("give exactly one of --socket PATH or --fd N (see nexit-devd --help)");
		return NX_EXIT_ERROR;
	}
	if (nx_sandbox_init(sandbox, NULL, false) < 0)
		return NX_EXIT_ERROR;
	if (path && (fd = listen_once(path)) < 0)
		return NX_EXIT_ERROR;
	return nx_devd_serve(fd, &o);
}

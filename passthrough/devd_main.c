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
#include <sys/un.h>
#include "passthrough/passthrough.h"

static void usage(FILE *o)
{
	fprintf(o,
"usage: nexit-devd (--socket PATH | --fd N) [--wait block|poll|adaptive] [--spin-us N] [-v]\n"
"\n"
"The out-of-process backend of nexit's irqdev device. It receives the device's\n"
"eventfds (MSI irqfd, INTx trigger, doorbell ioeventfds) over a unix socket\n"
"and raises the device's interrupts straight into KVM.\n"
"  --socket PATH   listen on PATH and serve one nexit ([device] backend = PATH)\n"
"  --fd N          serve an already connected socket (how nexit starts us)\n"
"  --wait MODE     how to wait for work, overriding the device's wait= option\n"
"  --spin-us N     adaptive: spin N microseconds after each event (default 200)\n"
"  -v              say what happens\n");
}

static int listen_once(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct stat st;
	int s, c;

	if (strlen(path) >= sizeof(a.sun_path))
		return nx_error("socket path too long: %s", path);
	strcpy(a.sun_path, path);
	/* A stale socket file from an earlier run is ours to replace. */
	if (stat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return nx_error("%s exists and is not a socket", path);
		unlink(path);
	}
	s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(s, 1) < 0)
		return nx_error("cannot listen on %s: %s", path, strerror(errno));
	do
		c = accept4(s, NULL, NULL, SOCK_CLOEXEC);
	while (c < 0 && errno == EINTR);
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
		{ "verbose", no_argument, 0, 'v' }, { "help", no_argument, 0, 'h' }, { 0 }
	};
	struct nx_devd_opts o = { .wait = NX_WAIT_BLOCK };
	const char *path = NULL;
	int fd = -1, opt;
	char *end;

	setvbuf(stderr, NULL, _IOLBF, 0);
	while ((opt = getopt_long(argc, argv, "v", opts, NULL)) != -1) {
		switch (opt) {
		case 's': path = optarg; break;
		case 'f':
			fd = (int)strtol(optarg, &end, 10);
			if (*end || fd < 0)
				return nx_error("--fd: '%s' is not a file descriptor number", optarg), 2;
			break;
		case 'w': {
			char buf[64];
			snprintf(buf, sizeof(buf), "wait=%s", optarg);
			if (nx_devd_parse_wait(buf, &o.wait) < 0 || !strstr(buf, "="))
				return nx_error("--wait: '%s' is not block, poll or adaptive", optarg), 2;
			o.wait_forced = true;
			break;
		}
		case 'u':
			o.spin_us = (unsigned)strtoul(optarg, &end, 10);
			if (*end || !o.spin_us || o.spin_us > 1000000)
				return nx_error("--spin-us: '%s' is not 1..1000000", optarg), 2;
			break;
		case 'v': o.verbose = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if ((path != NULL) == (fd >= 0) || optind < argc) {
		nx_error("give exactly one of --socket PATH or --fd N (see nexit-devd --help)");
		return 2;
	}
	if (path && (fd = listen_once(path)) < 0)
		return 1;
	return nx_devd_serve(fd, &o);
}

/* SPDX-License-Identifier: MIT */
/*
 * main.c - `nexit <command>`: the table of subcommands, their one-line
 * summaries (the usage text is built from it) and the dispatch.
 */
#include <string.h>
#include "cli/cli.h"
#include "core/arch.h"

#define NEXIT_VERSION "0.1"

struct nx_cli_cmd {
	const char *name;
	const char *summary;
	int (*fn)(int argc, char **argv);
};

static const struct nx_cli_cmd commands[] = {
	{ "run", "boot a guest (nexit run --help)", nx_cli_run },
#ifdef HAVE_TUNE
	{ "check", "audit this host's interrupt paths (nexit check --help)", nx_cmd_check },
	{ "tune", "apply or undo a tuning profile (nexit tune --help)", nx_cmd_tune },
#endif
#ifdef HAVE_BENCH
	{ "bench", "benchmark nexit against QEMU/KVM (nexit bench --help)", nx_cmd_bench },
#endif
#ifdef HAVE_IMAGE
	{ "image", "build an appliance's initramfs and root image (nexit image --help)", nx_cmd_image },
#endif
	{ "stat", "print a running VM's live counters: nexit stat SOCKET", nx_cli_stat },
	{ "stop", "stop a running VM (power button, then forced): nexit stop SOCKET", nx_cli_stop },
};

static void usage(FILE *o)
{
	const char *b = nx_arch_info.build;

	fprintf(o,
"usage: nexit <command> [options]%s%s%s\n"
"\n"
"A low-latency KVM hypervisor for appliances: exitless MSI delivery for assigned\n"
"and out-of-process devices, EOI-gated fallback for legacy level lines.\n"
"\n"
"commands:\n", b[0] ? "     (" : "", b, b[0] ? " build)" : "");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(o, "  %-7s %s\n", commands[i].name, commands[i].summary);
	fprintf(o, "  version print the version\n");
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;
	static char errbuf[BUFSIZ];

	/* Line-buffered with its buffer now: stdio would allocate it at the
	 * first message, maybe in a sandboxed thread (fstat, a tty ioctl). */
	setvbuf(stderr, errbuf, _IOLBF, sizeof(errbuf));
	if (!cmd || !strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
		usage(cmd ? stdout : stderr);
		return cmd ? 0 : 2;
	}
	if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
		printf("nexit %s%s%s%s\n", NEXIT_VERSION, nx_arch_info.build[0] ? " (" : "",
		       nx_arch_info.build, nx_arch_info.build[0] ? ")" : "");
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(cmd, commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	nx_error("unknown command '%s' (see nexit --help)", cmd);
	return 2;
}

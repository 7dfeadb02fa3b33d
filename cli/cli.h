/* SPDX-License-Identifier: MIT */
/*
 * cli.h - the nexit command line (kvmtool style: one file per subcommand).
 * cli/ is the composition root: the only folder that knows every
 * subsystem; core/ knows none of them. A build leaves a subsystem out with
 * -DNX_WITHOUT_<NAME> (arm64 has no tune/, bench/ or image/ yet).
 */
#ifndef NX_CLI_H
#define NX_CLI_H

#include "core/vm.h"
#if __has_include("tune/tune.h") && !defined(NX_WITHOUT_TUNE)
#include "tune/tune.h"
#define HAVE_TUNE 1
#endif
#if __has_include("fallback/fallback.h")
#include "fallback/fallback.h"
#define HAVE_FALLBACK 1
#endif
#if __has_include("passthrough/passthrough.h")
#include "passthrough/passthrough.h"
#define HAVE_PASSTHROUGH 1
#endif
#if __has_include("image/image.h") && !defined(NX_WITHOUT_IMAGE)
#include "image/image.h"
#define HAVE_IMAGE 1
#endif
#if __has_include("bench/bench.h") && !defined(NX_WITHOUT_BENCH)
#include "bench/bench.h"
#define HAVE_BENCH 1
#endif

/* Each returns the command's exit status. */
int nx_cli_run(int argc, char **argv);		/* cli/run.c: boot a guest */
int nx_cli_stat(int argc, char **argv);		/* cli/stat.c: a running VM's counters */
int nx_cli_stop(int argc, char **argv);		/* cli/stop.c: stop a running VM */

/* cli/control_client.c: one request line on a --control socket, its answer
 * copied to stdout (its last read into last, if not NULL); 0 if one came. */
int nx_ctl_call(const char *path, const char *req, char *last, size_t lsz);

#endif

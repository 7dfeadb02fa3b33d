/* SPDX-License-Identifier: MIT */
/*
 * run.c - `nexit run`: its options (flags override the config file) and
 * the composition root of both architectures: the only code that wires
 * every subsystem into one VM; where x86 and arm64 differ it calls the
 * nx_arch_* hooks (core/arch.h).
 */
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli/cli.h"
#include "core/control.h"
#include "core/sandbox.h"
#include "core/arch.h"
#include "core/serial.h"

/* nexit run's flags: each sets one config key to its argument (or to
 * value, for a flag without one), but the first four. */
static const struct run_flag {
	const char *name, *section, *key, *value;
} run_flags[] = {
	{ "config" }, { "help" }, { "device" }, { "assign" },
	{ "kernel", "kernel", "path" },
	{ "initrd", "kernel", "initrd" },
	{ "cmdline", "kernel", "cmdline" },
	{ "mem", "vm", "memory" },
	{ "memory", "vm", "memory" },
	{ "cpus", "vm", "cpus" },
	{ "irqchip", "vm", "irqchip" },
	{ "hugepages", "vm", "hugepages", "on" },
	{ "serial", "serial", "output" },
	{ "stats-json", "stats", "json" },
	{ "control", "control", "socket" },
	{ "profile", "vm", "profile" },
	{ "cpuid-hide", "cpuid", "hide" },
	{ "timeout", "vm", "timeout" },
	{ "no-defaults", "vm", "defaults", "off" },
	{ "sandbox", "vm", "sandbox" },
	{ "user", "vm", "user" },
};
/* getopt_long's value of run_flags[i] is OPT + i (below it: its errors). */
enum { OPT = 256, OPT_CONFIG = OPT, OPT_HELP, OPT_DEVICE, OPT_ASSIGN };
#define NFLAGS (sizeof(run_flags) / sizeof(run_flags[0]))

/* --device irqdev,backend=/run/x.sock,wait=poll -> [device "irqdevN"] keys. */
static int cli_device(struct nx_config *c, const char *arg, int *ndev)
{
	char buf[512], section[64], *save = NULL, *tok;

	if (strlen(arg) >= sizeof(buf))
		return nx_error("--device: argument too long");
	strcpy(buf, arg);
	tok = strtok_r(buf, ",", &save);
	if (!tok)
		return nx_error("--device: expected TYPE[,key=value...]");
	snprintf(section, sizeof(section), "device \"cli%d\"", (*ndev)++);
	if (nx_config_set(c, section, "type", tok, "--device") < 0)
		return -1;
	while ((tok = strtok_r(NULL, ",", &save))) {
		char *eq = strchr(tok, '=');

		if (!eq)
			return nx_error("--device: '%s' is not key=value", tok);
		*eq = 0;
		if (nx_config_set(c, section, tok, eq + 1, "--device") < 0)
			return -1;
	}
	return 0;
}

/* run_flags less those this arch has not: getopt then treats those as unknown. */
static void arch_run_opts(struct option *out)
{
	int n = 0;

	for (unsigned i = 0; i < NFLAGS; i++)
		for (const char *const *f = nx_arch_info.run_flags; *f; f++)
			if (!strcmp(*f, run_flags[i].name)) {
				bool arg = i != OPT_HELP - OPT && !run_flags[i].value;

				out[n++] = (struct option){ run_flags[i].name, arg ? required_argument :
							    no_argument, 0, OPT + (int)i };
				break;
			}
	out[n] = (struct option){ 0 };
}

static int parse_run_args(struct nx_config *c, int argc, char **argv)
{
	struct option opts[NFLAGS + 1];
	int opt, ndev = 0;
	char section[64];

	arch_run_opts(opts);

	/* Pass 1: the config file, so that every flag can override it. */
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt == OPT_HELP) {
			nx_arch_info.usage_run(stdout);
			exit(0);
		}
		if (opt == OPT_CONFIG && nx_config_load(c, optarg) < 0)
			return -1;
	}
	/* Pass 2: the flags. */
	optind = 1;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		const struct run_flag *f = opt >= OPT ? &run_flags[opt - OPT] : NULL;
		char where[32];
		int r = 0;

		if (opt == ':')
			return nx_error("option %s needs a value (see nexit run --help)", argv[optind - 1]);
		if (!f)
			return nx_error("unknown option %s (see nexit run --help)", argv[optind - 1]);
		snprintf(where, sizeof(where), "--%s", f->name);
		if (f->section) {
			r = nx_config_set(c, f->section, f->key, f->value ? f->value : optarg, where);
		} else if (opt == OPT_DEVICE) {
			r = cli_device(c, optarg, &ndev);
		} else if (opt == OPT_ASSIGN) {
			snprintf(section, sizeof(section), "device \"assign%d\"", ndev++);
			r = nx_config_set(c, section, "assign", optarg, where);
		}
		if (r < 0)
			return -1;
	}
	if (optind < argc)
		return nx_error("unexpected argument '%s' (see nexit run --help)", argv[optind]);
	if (!c->kernel[0])
		return nx_error("no kernel given: use --kernel FILE or [kernel] path in the config");
	/* The default machine (x86: one irqdev), unless devices were asked for. */
	if (c->defaults && c->ndevices == 0 && nx_arch_info.default_device) {
		snprintf(section, sizeof(section), "device \"%s0\"", nx_arch_info.default_device);
		if (nx_config_set(c, section, "type", nx_arch_info.default_device, "defaults") < 0)
			return -1;
	}
	return nx_arch_config(c);
}

static bool has_device(const struct nx_config *c, const char *type)
{
	for (int i = 0; i < c->ndevices; i++)
		if (!strcmp(c->devices[i].type, type))
			return true;
	return false;
}

/* NEXIT_DEBUG_HANG=1, test-only (tests/selftest/hang_nexit.sh): nexit run
 * never ends and blocks every signal it can, as a VMM stuck in an
 * uninterruptible wait would: the failure the test harness's watchdogs must
 * catch, report with task states and end with SIGKILL. It gives up on its
 * own after NX_DEBUG_HANG_MAX_S, longer than any watchdog's limit. */
#define NX_DEBUG_HANG_MAX_S 600

static void debug_hang(void)
{
	sigset_t all;

	if (!getenv("NEXIT_DEBUG_HANG"))
		return;
	nx_warn("NEXIT_DEBUG_HANG is set: hanging on purpose, deaf to SIGTERM (harness self-test)");
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, NULL);
	/* Bounded even so: a hang whose harness died with it (an orphan that
	 * inherited the harness's lock and pipe fds) ends by itself. */
	for (int i = 0; i < NX_DEBUG_HANG_MAX_S; i++)
		sleep(1);
	_exit(3);
}

int nx_cli_run(int argc, char **argv)
{
	struct nx_config *cfg = calloc(1, sizeof(*cfg));
	struct nx_vm *vm = calloc(1, sizeof(*vm));
	int status = NX_EXIT_ERROR, stats_fd = -1;

	if (!cfg || !vm) {
		nx_error("out of memory");
		goto bad_args;
	}
	nx_lives_until_exit(vm);	/* never torn down (see the end) */
	nx_config_defaults(cfg);
	if (parse_run_args(cfg, argc, argv) < 0)
		goto bad_args;
	debug_hang();
#ifdef HAVE_TUNE
	/* A profile's memory settings (hugepages) must be known before RAM exists. */
	if (cfg->profile[0] && nx_profile_apply_config(cfg, cfg->profile) < 0)
		goto bad_args;
#endif
	/* Filters compiled and NO_NEW_PRIVS set before the first thread; each
	 * thread loads its own after its set-up (core/sandbox.c). */
	if (nx_sandbox_init(cfg->sandbox, cfg->user, has_device(cfg, "virtio-blk")) < 0)
		goto bad_args;
	/* Order (KVM): the interrupt controller's KVM_CREATE_IRQCHIP / split
	 * mode before the vCPUs (in nx_vm_create); arm64's vGIC CTRL_INIT after
	 * every vCPU (nx_arch_irqchip_init); the controllers' routes and lines
	 * (fallback/) before the devices that use them (passthrough/). */
	if (nx_vm_create(vm, cfg) < 0 || nx_arch_platform_init(vm) < 0 ||
	    nx_vcpus_create(vm) < 0 || nx_arch_irqchip_init(vm) < 0)
		goto out;
#ifdef HAVE_FALLBACK
	if (nx_fallback_init(vm) < 0)
		goto out;
#endif
#ifdef HAVE_PASSTHROUGH
	if (nx_passthrough_init(vm) < 0)
		goto out;
#endif
	if (cfg->control[0] && nx_control_start(vm, cfg->control) < 0)
		goto out;
#ifdef HAVE_TUNE
	if (cfg->profile[0] && nx_profile_apply_vm(vm, cfg->profile) < 0)
		goto out;
#endif
	if (nx_arch_boot(vm) < 0)
		goto out;
	/* Everything nexit opens is open (the stats file too: the main
	 * thread's allow-list has no open for writing): drop the user. */
	if (cfg->stats_json[0] && (stats_fd = nx_stats_open_json(cfg->stats_json)) < 0)
		goto out;
	if (nx_sandbox_drop() < 0)
		goto out;
	status = nx_vm_run(vm);
	if (status != 0 && status != NX_EXIT_ERROR && !(status & 1))
		nx_info("guest stopped: %s (exit status %d)", vm->stop_reason, status);
	if (stats_fd >= 0 && nx_stats_write_json(vm, stats_fd, cfg->stats_json) < 0 && status == 0)
		status = NX_EXIT_ERROR;
	nx_vm_stop_hooks(vm);		/* backends end and are reaped before nexit */
out:
	if (vm->serial)
		nx_serial_destroy(vm->serial);
	fflush(stdout);
	/* Exit without tearing down: vCPU fds and guest RAM go with the process. */
	return status;
bad_args:
	/* Nothing was created yet: a refused command line leaks nothing. */
	free(cfg);
	free(vm);
	return NX_EXIT_ERROR;
}

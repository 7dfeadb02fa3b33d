/* SPDX-License-Identifier: MIT */
/*
 * main.c - the nexit command: `nexit run`, plus the subcommands of the
 * other subsystems. This is the composition root: the only file that
 * knows every subsystem and wires them into one VM.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "core/core.h"
#include "tune/tune.h"
#if __has_include("fallback/fallback.h")
#include "fallback/fallback.h"
#define HAVE_FALLBACK 1
#endif
#if __has_include("passthrough/passthrough.h")
#include "passthrough/passthrough.h"
#define HAVE_PASSTHROUGH 1
#endif
#if __has_include("bench/bench.h")
#include "bench/bench.h"
#define HAVE_BENCH 1
#endif

#define NEXIT_VERSION "0.1"

static void usage_main(FILE *o)
{
	fprintf(o,
"usage: nexit <command> [options]\n"
"\n"
"A low-latency KVM hypervisor for appliances: exitless MSI delivery for assigned\n"
"and out-of-process devices, EOI-gated fallback for legacy level lines.\n"
"\n"
"commands:\n"
"  run     boot a guest (nexit run --help)\n"
"  check   audit this host's interrupt paths (nexit check --help)\n"
"  tune    apply or undo a tuning profile (nexit tune --help)\n"
"  bench   benchmark nexit against QEMU/KVM (nexit bench --help)\n"
"  stat    print a running VM's live counters: nexit stat SOCKET\n"
"  version print the version\n");
}

static void usage_run(FILE *o)
{
	fprintf(o,
"usage: nexit run [--config FILE] [options]\n"
"\n"
"Boots a guest from one INI config file; every flag overrides the file.\n"
"  --config FILE       INI file: [vm] [kernel] [serial] [stats] [control] [cpuid] [device \"name\"]\n"
"  --kernel FILE       bzImage, multiboot ELF, or ELF64            ([kernel] path)\n"
"  --initrd FILE       initrd / multiboot module(s), comma list     ([kernel] initrd)\n"
"  --cmdline STR       kernel command line                          ([kernel] cmdline)\n"
"  --mem SIZE          guest RAM, e.g. 256M, 2G (default 256M)      ([vm] memory)\n"
"  --cpus N            vCPUs (default 1)                            ([vm] cpus)\n"
"  --irqchip MODE      split (default) or kernel                    ([vm] irqchip)\n"
"  --hugepages         back guest RAM with 2 MiB hugepages          ([vm] hugepages)\n"
"  --serial OUT        stdio (default) or a file path               ([serial] output)\n"
"  --stats-json FILE   write exit and interrupt counters on exit    ([stats] json)\n"
"  --control SOCKET    serve live counters for `nexit stat`         ([control] socket)\n"
"  --profile NAME      apply a tuning profile's VM settings         ([vm] profile)\n"
"  --cpuid-hide LIST   hide CPUID features, e.g. cx16,xsave         ([cpuid] hide)\n"
"  --device TYPE[,k=v] add a device: irqdev, virtio-net             ([device \"name\"])\n"
"  --assign BDF        assign a host PCI device bound to vfio-pci   ([device \"name\"] assign)\n"
"  --timeout SECONDS   stop the guest after this long, exit 124     ([vm] timeout)\n"
"  --no-defaults       no default device                            ([vm] defaults = off)\n"
"\n"
"Default devices: a VM with no [device] and no --device/--assign gets one irqdev\n"
"(nexit's interrupt test device, QEMU edu layout, PCI 00:01.0), as QEMU adds a\n"
"default NIC; --no-defaults or [vm] defaults = off leaves it out.\n"
"\n"
"Exit status: 0 when the guest powers off; (v<<1)|1 when it writes v to port\n"
"0xf4 (isa-debug-exit); 1 on a fatal guest error or bad input; 124 on timeout.\n");
}

enum { OPT_CONFIG = 256, OPT_KERNEL, OPT_INITRD, OPT_CMDLINE, OPT_MEM, OPT_CPUS, OPT_IRQCHIP,
       OPT_HUGE, OPT_SERIAL, OPT_STATS, OPT_CONTROL, OPT_PROFILE, OPT_CPUID, OPT_DEVICE,
       OPT_ASSIGN, OPT_TIMEOUT, OPT_NODEFAULTS, OPT_HELP };

static const struct option run_opts[] = {
	{ "config", required_argument, 0, OPT_CONFIG },
	{ "kernel", required_argument, 0, OPT_KERNEL },
	{ "initrd", required_argument, 0, OPT_INITRD },
	{ "cmdline", required_argument, 0, OPT_CMDLINE },
	{ "mem", required_argument, 0, OPT_MEM },
	{ "memory", required_argument, 0, OPT_MEM },
	{ "cpus", required_argument, 0, OPT_CPUS },
	{ "irqchip", required_argument, 0, OPT_IRQCHIP },
	{ "hugepages", no_argument, 0, OPT_HUGE },
	{ "serial", required_argument, 0, OPT_SERIAL },
	{ "stats-json", required_argument, 0, OPT_STATS },
	{ "control", required_argument, 0, OPT_CONTROL },
	{ "profile", required_argument, 0, OPT_PROFILE },
	{ "cpuid-hide", required_argument, 0, OPT_CPUID },
	{ "device", required_argument, 0, OPT_DEVICE },
	{ "assign", required_argument, 0, OPT_ASSIGN },
	{ "timeout", required_argument, 0, OPT_TIMEOUT },
	{ "no-defaults", no_argument, 0, OPT_NODEFAULTS },
	{ "help", no_argument, 0, OPT_HELP },
	{ 0 }
};

/* --device irqdev,backend=/run/x.sock,wait=poll -> [device "irqdevN"] keys. */
static int cli_device(struct nx_config *c, const char *arg, int *ndev)
{
	char buf[512], name[32], *save = NULL, *tok;

	if (strlen(arg) >= sizeof(buf))
		return nx_error("--device: argument too long");
	strcpy(buf, arg);
	tok = strtok_r(buf, ",", &save);
	if (!tok)
		return nx_error("--device: expected TYPE[,key=value...]");
	snprintf(name, sizeof(name), "cli%d", (*ndev)++);
	{
		char section[64];
		snprintf(section, sizeof(section), "device \"%s\"", name);
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
	}
	return 0;
}

static int parse_run_args(struct nx_config *c, int argc, char **argv)
{
	int opt, ndev = 0;
	char section[64];

	/* Pass 1: the config file, so that every flag can override it. */
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "", run_opts, NULL)) != -1) {
		if (opt == OPT_HELP) {
			usage_run(stdout);
			exit(0);
		}
		if (opt == OPT_CONFIG && nx_config_load(c, optarg) < 0)
			return -1;
	}
	/* Pass 2: the flags. */
	optind = 1;
	while ((opt = getopt_long(argc, argv, "", run_opts, NULL)) != -1) {
		int r = 0;

		switch (opt) {
		case OPT_CONFIG: break;
		case OPT_KERNEL: r = nx_config_set(c, "kernel", "path", optarg, "--kernel"); break;
		case OPT_INITRD: r = nx_config_set(c, "kernel", "initrd", optarg, "--initrd"); break;
		case OPT_CMDLINE: r = nx_config_set(c, "kernel", "cmdline", optarg, "--cmdline"); break;
		case OPT_MEM: r = nx_config_set(c, "vm", "memory", optarg, "--mem"); break;
		case OPT_CPUS: r = nx_config_set(c, "vm", "cpus", optarg, "--cpus"); break;
		case OPT_IRQCHIP: r = nx_config_set(c, "vm", "irqchip", optarg, "--irqchip"); break;
		case OPT_HUGE: r = nx_config_set(c, "vm", "hugepages", "on", "--hugepages"); break;
		case OPT_SERIAL: r = nx_config_set(c, "serial", "output", optarg, "--serial"); break;
		case OPT_STATS: r = nx_config_set(c, "stats", "json", optarg, "--stats-json"); break;
		case OPT_CONTROL: r = nx_config_set(c, "control", "socket", optarg, "--control"); break;
		case OPT_PROFILE: r = nx_config_set(c, "vm", "profile", optarg, "--profile"); break;
		case OPT_CPUID: r = nx_config_set(c, "cpuid", "hide", optarg, "--cpuid-hide"); break;
		case OPT_TIMEOUT: r = nx_config_set(c, "vm", "timeout", optarg, "--timeout"); break;
		case OPT_NODEFAULTS: r = nx_config_set(c, "vm", "defaults", "off", "--no-defaults"); break;
		case OPT_DEVICE: r = cli_device(c, optarg, &ndev); break;
		case OPT_ASSIGN:
			snprintf(section, sizeof(section), "device \"assign%d\"", ndev++);
			r = nx_config_set(c, section, "assign", optarg, "--assign");
			break;
		case ':':
			return nx_error("option %s needs a value (see nexit run --help)", argv[optind - 1]);
		default:
			return nx_error("unknown option %s (see nexit run --help)", argv[optind - 1]);
		}
		if (r < 0)
			return -1;
	}
	if (optind < argc)
		return nx_error("unexpected argument '%s' (see nexit run --help)", argv[optind]);
	if (!c->kernel[0])
		return nx_error("no kernel given: use --kernel FILE or [kernel] path in the config");
	/* The default machine: one irqdev, unless devices were asked for. */
	if (c->defaults && c->ndevices == 0 &&
	    nx_config_set(c, "device \"irqdev0\"", "type", "irqdev", "defaults") < 0)
		return -1;
	return 0;
}

static int cmd_run(int argc, char **argv)
{
	struct nx_config *cfg = malloc(sizeof(*cfg));
	struct nx_vm *vm = malloc(sizeof(*vm));
	struct nx_boot boot;
	int status = 1;

	if (!cfg || !vm)
		return nx_error("out of memory"), 1;
	nx_config_defaults(cfg);
	if (parse_run_args(cfg, argc, argv) < 0)
		return 1;
	/* A profile's memory settings (hugepages) must be known before RAM exists. */
	if (cfg->profile[0] && nx_profile_apply_config(cfg, cfg->profile) < 0)
		return 1;
	if (nx_vm_create(vm, cfg) < 0)
		goto out;
	if (nx_platform_init(vm) < 0)
		goto out;
#ifdef HAVE_FALLBACK
	if (nx_fallback_init(vm) < 0)
		goto out;
#endif
	vm->serial = nx_serial_create(vm, NX_COM1_PORT, NX_COM1_IRQ, cfg->serial_out);
	if (!vm->serial)
		goto out;
#ifdef HAVE_PASSTHROUGH
	if (nx_passthrough_init(vm) < 0)
		goto out;
#endif
	if (cfg->profile[0] && nx_profile_apply_vm(vm, cfg->profile) < 0)
		goto out;
	if (nx_vcpus_create(vm) < 0 || nx_boot_load(vm, &boot) < 0 ||
	    nx_mptable_build(vm) < 0 || nx_acpi_build(vm) < 0 ||
	    nx_boot_setup_vcpu(&vm->vcpus[0], &boot) < 0)
		goto out;
	status = nx_vm_run(vm);
	if (status != 0 && status != 1 && !(status & 1))
		nx_info("guest stopped: %s (exit status %d)", vm->stop_reason, status);
	if (cfg->stats_json[0] && nx_stats_write_json(vm, cfg->stats_json) < 0 && status == 0)
		status = 1;
out:
	if (vm->serial)
		nx_serial_destroy(vm->serial);
	fflush(stdout);
	/* Exit without tearing down: vCPU fds and guest RAM go with the process. */
	return status;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;

	setvbuf(stderr, NULL, _IOLBF, 0);
	if (!cmd || !strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
		usage_main(cmd ? stdout : stderr);
		return cmd ? 0 : 2;
	}
	if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
		printf("nexit %s\n", NEXIT_VERSION);
		return 0;
	}
	if (!strcmp(cmd, "run"))
		return cmd_run(argc - 1, argv + 1);
	if (!strcmp(cmd, "check"))
		return nx_cmd_check(argc - 1, argv + 1);
	if (!strcmp(cmd, "tune"))
		return nx_cmd_tune(argc - 1, argv + 1);
#ifdef HAVE_BENCH
	if (!strcmp(cmd, "bench"))
		return nx_cmd_bench(argc - 1, argv + 1);
#endif
#ifdef HAVE_PASSTHROUGH
	if (!strcmp(cmd, "stat"))
		return nx_cmd_stat(argc - 1, argv + 1);
#endif
	nx_error("unknown command '%s' (see nexit --help)", cmd);
	return 2;
}

/* SPDX-License-Identifier: MIT */
/*
 * main.c - the nexit command on arm64 (make ARCH=arm64): `nexit run` wires
 * KVM/arm64, the vGICv3 + ITS, the MMIO UART, the ECAM PCI host with the
 * VFIO-assigned devices, the device tree and the boot protocol into one VM.
 * The x86 composition root is core/main.c; flags and config keys are the
 * same where they mean the same.
 */
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include "core/arm64/arm64.h"
#include "passthrough/arm64/pci.h"
#include "fallback/arm64/arm64_fb.h"

#define NEXIT_VERSION "0.1"

static void usage(FILE *o)
{
	fprintf(o,
"usage: nexit run [--config FILE] [options]     (arm64 build)\n"
"  --config FILE       INI file: [vm] [kernel] [serial] [stats] [device \"name\"]\n"
"  --kernel FILE       arm64 Image or AArch64 ELF                   ([kernel] path)\n"
"  --initrd FILE       initrd                                       ([kernel] initrd)\n"
"  --cmdline STR       kernel command line (DT /chosen/bootargs)    ([kernel] cmdline)\n"
"  --mem SIZE          guest RAM at 0x40000000 (default 256M)       ([vm] memory)\n"
"  --cpus N            vCPUs (default 1)                            ([vm] cpus)\n"
"  --serial OUT        stdio (default) or a file path               ([serial] output)\n"
"  --stats-json FILE   write exit and interrupt counters on exit    ([stats] json)\n"
"  --control SOCKET    serve live counters for `nexit stat`         ([control] socket)\n"
"  --assign BDF        assign a host PCI device bound to vfio-pci   ([device \"name\"] assign)\n"
"  --timeout SECONDS   stop the guest after this long, exit 124     ([vm] timeout)\n"
"Exit status: 0 on PSCI SYSTEM_OFF; (v<<1)|1 when the guest writes v to the\n"
"counter page's debug-exit register; 1 on a fatal error; 124 on timeout.\n");
}

enum { O_CONFIG = 256, O_KERNEL, O_INITRD, O_CMDLINE, O_MEM, O_CPUS, O_SERIAL, O_STATS,
       O_ASSIGN, O_TIMEOUT, O_CONTROL, O_HELP };
static const struct option opts[] = {
	{ "config", required_argument, 0, O_CONFIG }, { "kernel", required_argument, 0, O_KERNEL },
	{ "initrd", required_argument, 0, O_INITRD }, { "cmdline", required_argument, 0, O_CMDLINE },
	{ "mem", required_argument, 0, O_MEM }, { "memory", required_argument, 0, O_MEM },
	{ "cpus", required_argument, 0, O_CPUS }, { "serial", required_argument, 0, O_SERIAL },
	{ "stats-json", required_argument, 0, O_STATS }, { "assign", required_argument, 0, O_ASSIGN },
	{ "timeout", required_argument, 0, O_TIMEOUT }, { "control", required_argument, 0, O_CONTROL },
	{ "help", no_argument, 0, O_HELP },
	{ 0 }
};

static int parse(struct nx_config *c, int argc, char **argv)
{
	int opt, nassign = 0;
	char sec[64];

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt == O_HELP) {
			usage(stdout);
			exit(0);
		}
		if (opt == O_CONFIG && nx_config_load(c, optarg) < 0)
			return -1;
	}
	optind = 1;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		int r = 0;

		switch (opt) {
		case O_CONFIG: break;
		case O_KERNEL: r = nx_config_set(c, "kernel", "path", optarg, "--kernel"); break;
		case O_INITRD: r = nx_config_set(c, "kernel", "initrd", optarg, "--initrd"); break;
		case O_CMDLINE: r = nx_config_set(c, "kernel", "cmdline", optarg, "--cmdline"); break;
		case O_MEM: r = nx_config_set(c, "vm", "memory", optarg, "--mem"); break;
		case O_CPUS: r = nx_config_set(c, "vm", "cpus", optarg, "--cpus"); break;
		case O_SERIAL: r = nx_config_set(c, "serial", "output", optarg, "--serial"); break;
		case O_STATS: r = nx_config_set(c, "stats", "json", optarg, "--stats-json"); break;
		case O_TIMEOUT: r = nx_config_set(c, "vm", "timeout", optarg, "--timeout"); break;
		case O_CONTROL: r = nx_config_set(c, "control", "socket", optarg, "--control"); break;
		case O_ASSIGN:
			snprintf(sec, sizeof(sec), "device \"assign%d\"", nassign++);
			r = nx_config_set(c, sec, "assign", optarg, "--assign");
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
	return 0;
}

/* nx_vm_stop wakes the main thread with SIGUSR2; if it is still pending when
 * nx_vm_run restores the signal mask, the default action would kill us. */
static void wake_handler(int sig) { (void)sig; }

static int cmd_run(int argc, char **argv)
{
	struct nx_config *cfg = calloc(1, sizeof(*cfg));
	struct nx_vm *vm = calloc(1, sizeof(*vm));
	struct nx_a64 *a = calloc(1, sizeof(*a));
	struct nx_a64_pci *pci = calloc(1, sizeof(*pci));
	struct nx_a64_fb *fb = calloc(1, sizeof(*fb));
	int status;

	if (!cfg || !vm || !a || !pci || !fb)
		return nx_error("out of memory"), 1;
	a->its_fd = a->gic_fd = -1;
	nx_config_defaults(cfg);
	if (parse(cfg, argc, argv) < 0)
		return 1;
	/* The vGIC is in the kernel: stats say "kernel", not x86's default "split". */
	cfg->irqchip = NX_IRQCHIP_KERNEL;
	/* Order: vCPUs before the vGIC's CTRL_INIT; routes after it (CTRL_INIT
	 * installs the default table); devices after the routes. */
	if (nx_vm_create(vm, cfg) < 0 || nx_a64_platform_init(vm, a) < 0 ||
	    nx_vcpus_create(vm) < 0 || nx_a64_gic_create(vm, a) < 0)
		return 1;
	nx_a64_irq_ops(vm, a);
	if (nx_a64_fb_init(vm, a, fb) < 0 || nx_a64_routes_init(vm) < 0 || nx_a64_pci_init(vm, a, pci) < 0 ||
	    nx_a64_boot_load(vm, a) < 0 || nx_a64_fdt_build(vm, a) < 0 ||
	    nx_a64_vcpu_boot(&vm->vcpus[0], a) < 0)
		return 1;
	if (cfg->control[0] && nx_a64_control_start(vm, cfg->control) < 0)
		return 1;
	signal(SIGUSR2, wake_handler);
	status = nx_vm_run(vm);
	if (status != 0 && !(status & 1))
		nx_info("guest stopped: %s (exit status %d)", vm->stop_reason, status);
	if (cfg->stats_json[0] && nx_stats_write_json(vm, cfg->stats_json) < 0 && status == 0)
		status = 1;
	nx_serial_destroy(vm->serial);
	fflush(stdout);
	return status;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;

	setvbuf(stderr, NULL, _IOLBF, 0);
	if (!cmd || !strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
		fprintf(cmd ? stdout : stderr, "usage: nexit run|stat|version (arm64 build)\n");
		usage(cmd ? stdout : stderr);
		return cmd ? 0 : 2;
	}
	if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
		printf("nexit %s (arm64)\n", NEXIT_VERSION);
		return 0;
	}
	if (!strcmp(cmd, "run"))
		return cmd_run(argc - 1, argv + 1);
	if (!strcmp(cmd, "stat"))
		return nx_a64_cmd_stat(argc - 1, argv + 1);
	nx_error("unknown command '%s' (see nexit --help)", cmd);
	return 2;
}

/* SPDX-License-Identifier: MIT */
/*
 * main.c - the arm64 probe's C entry: the command line from the DT's
 * /chosen/bootargs, the GIC, then the scenario named by scenario=NAME
 * (default hello, the table of common/scenario.c). Its PROBE line decides
 * the exit: PSCI SYSTEM_OFF on pass, nexit's debug exit on fail.
 */
#include "probe.h"

/* The one platform instance; every scenario gets it passed explicitly. */
static struct platform platform;

void probe_exit(int status)
{
	if (status == 0) {
		/* PSCI 0.2 SYSTEM_OFF (function ID 0x84000008) through HVC. */
		register u64 x0 __asm__("x0") = 0x84000008;
		__asm__ volatile("hvc #0" : "+r"(x0) :: "memory");
	}
	wr64(ARCH_COUNTER_PAGE + NX_CP_DEBUG_EXIT, (u64)status);
	for (;;)
		__asm__ volatile("wfi");
}

void panic(const char *fmt, ...)
{
	const char *s = cmdline_get(&platform.cmd, "scenario");
	struct json j;
	char buf[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	irq_off();
	json_begin_a64(&j, s ? s : "hello");
	json_str(&j, NX_PROBE_KEY_ERROR, buf);
	probe_result(&j, false);
	probe_exit(1);
}

void probe_main(const void *fdt);
void probe_main(const void *fdt)
{
	struct platform *p = &platform;
	const struct scenario *s;
	const char *name, *bootargs = fdt_bootargs(fdt);
	bool pass;

	cmdline_init(&p->cmd, bootargs);
	p->hz = ticks_hz();
	printk("probe-arm64: cmdline \"%s\"\n", bootargs);
	name = cmdline_get(&p->cmd, "scenario");
	if (!name)
		name = "hello";
	gic_init();
	s = scenario_find(name);
	if (s) {
		pass = s->run(p);
	} else {
		struct json j;

		json_begin_a64(&j, name);
		json_str(&j, NX_PROBE_KEY_ERROR, "unknown scenario");
		pass = probe_result(&j, false);
	}
	irq_off();
	probe_exit(pass ? 0 : 1);
}

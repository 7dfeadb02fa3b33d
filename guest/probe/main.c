/* SPDX-License-Identifier: MIT */
/*
 * main.c - the probe guest's C entry: platform bring-up, then the scenario
 * named by "scenario=NAME" on the command line (default: hello), whose
 * PROBE line decides the exit through isa-debug-exit.
 */
#include "lib/probe.h"

extern const struct scenario __scenarios_start[], __scenarios_end[];

/* The one platform instance; every scenario gets it passed explicitly. */
static struct platform platform;

void panic(const char *fmt, ...)
{
	char buf[200];
	struct json j;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	printk("probe: panic: %s\n", buf);
	json_begin(&j, cmdline_get(&platform.cmd, "scenario") ? "" : "hello");
	json_str(&j, "error", buf);
	probe_result(&j, false);
	probe_exit(&platform, false);
}

static u64 k_exit(u64 pass, u64 arg)
{
	const struct platform *p = (const struct platform *)arg;

	/* isa-debug-exit (QEMU, nexit): the VMM exits with (v << 1) | 1. */
	outb(0xf4, pass ? 0 : 1);
	/* No such port: ACPI S5 through PM1a_CNT (SLP_TYP | SLP_EN, ACPI 4.8.3.2.1). */
	if (p->fw.pm1a_cnt && p->fw.have_s5)
		outw(p->fw.pm1a_cnt, (p->fw.slp_typ_s5 << 10) | (1u << 13));
	for (;;)
		__asm__ volatile("cli; hlt");
	return 0;
}

void probe_exit(struct platform *p, bool pass)
{
	kcall(k_exit, pass, (u64)p);
	for (;;)
		;
}

static const struct scenario *find_scenario(const char *name)
{
	size_t n = 0;
	while (name[n] && name[n] != ' ')
		n++;
	for (const struct scenario *s = __scenarios_start; s < __scenarios_end; s++)
		if (strlen(s->name) == n && !strncmp(s->name, name, n))
			return s;
	return NULL;
}

void probe_main(u32 magic, u32 info);
void probe_main(u32 magic, u32 info)
{
	struct platform *p = &platform;
	const struct scenario *s;
	const char *name;
	char sname[40];
	const char *apic;

	idt_init();
	cpu_init(0);
	multiboot_parse(magic, info, &p->boot);	/* before low memory is reused */
	cmdline_init(&p->cmd, p->boot.cmdline);
	if (magic != MULTIBOOT_MAGIC)
		printk("probe: not booted by a multiboot loader (eax=%#x)\n", magic);

	/* The 8259 pair stays fully masked (OCW1): interrupts come through the
	 * IOAPIC and MSI only, and LINT0 is masked in apic_init_cpu(). */
	outb(0x21, 0xff);
	outb(0xa1, 0xff);

	apic = cmdline_get(&p->cmd, "apic");
	p->x2apic = apic && !strncmp(apic, "x2apic", 6) && apic_x2_supported();
	apic_x2 = p->x2apic;
	apic_init_cpu(p->x2apic);

	firmware_scan(&p->fw);
	tsc_init(&p->tsc, &p->cmd, p);
	p->ncpus = cmdline_u64(&p->cmd, "smp", 1) ? smp_start(p) : 1;

	name = cmdline_get(&p->cmd, "scenario");
	if (!name)
		name = "hello";
	s = find_scenario(name);
	if (!s) {
		struct json j;
		size_t n = 0;
		while (name[n] && name[n] != ' ' && n < sizeof(sname) - 1) {
			sname[n] = name[n];
			n++;
		}
		sname[n] = 0;
		json_begin(&j, sname);
		json_str(&j, "error", "unknown scenario");
		probe_result(&j, false);
		probe_exit(p, false);
	}
	probe_exit(p, s->run(p));
}

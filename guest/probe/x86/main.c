/* SPDX-License-Identifier: MIT */
/*
 * main.c - the probe guest's C entry: platform bring-up, then the scenario
 * named by "scenario=NAME" on the command line (default: hello), whose
 * PROBE line decides the exit: power-off on pass, isa-debug-exit 1 on fail.
 */
#include "probe.h"

/* The one platform instance; every scenario gets it passed explicitly. */
static struct platform platform;

void panic(const char *fmt, ...)
{
	const char *s = cmdline_get(&platform.cmd, "scenario");
	char buf[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	printk("probe: panic: %s\n", buf);
	probe_fail(s ? s : "hello", buf);
	probe_exit(&platform, false);
}

/*
 * Pass: ACPI S5 power-off through the FADT's PM1a_CNT (SLP_TYP from \_S5 |
 * SLP_EN, ACPI 4.8.3.2.1), so the VMM exits 0 (nexit and QEMU alike); with
 * exit=debug, or without ACPI, isa-debug-exit with 0 instead (status 1).
 * Fail: isa-debug-exit with 1 (status 3 under nexit and QEMU).
 */
static u64 k_s5(u64 port, u64 typ)
{
	outw(port, (typ << 10) | (1u << 13));
	return 0;
}

static u64 k_debug_exit(u64 v, u64 unused)
{
	outb(0xf4, v);
	for (;;)
		__asm__ volatile("cli; hlt");
	return 0;
}

void probe_exit(struct platform *p, bool pass)
{
	const char *how = cmdline_get(&p->cmd, "exit");
	bool s5 = p->fw.pm1a_cnt && p->fw.have_s5 && !(how && !strncmp(how, "debug", 5));

	if (pass && s5) {
		kcall(k_s5, p->fw.pm1a_cnt, p->fw.slp_typ_s5);
		user_sleep(p, 500);	/* QEMU powers off asynchronously */
	}
	kcall(k_debug_exit, pass ? 0 : 1, 0);
	for (;;)
		;
}

void probe_main(u32 magic, u32 info);
void probe_main(u32 magic, u32 info)
{
	struct platform *p = &platform;
	const struct scenario *s;
	const char *name;
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
	s = scenario_find(name);
	if (!s) {
		probe_fail(name, "unknown scenario");
		probe_exit(p, false);
	}
	probe_exit(p, s->run(p));
}

/* SPDX-License-Identifier: MIT */
/*
 * power-button wait_ms=N - the ACPI fixed-feature power button as an OSPM
 * handles it (ACPI 6.4 4.8.2.2.1, 4.8.3.1): clear PWRBTN_STS, set
 * PWRBTN_EN in PM1a_EVT_BLK (from the FADT), route the SCI (FADT SCI_INT,
 * through the MADT's interrupt source override: trigger and polarity) to a
 * vector on the IOAPIC, print "probe: power-button: waiting", and wait for
 * the VMM to press the button (nexit: SIGTERM or `nexit stop`). The SCI
 * must arrive once; the handler's side then reads PWRBTN_STS, clears it,
 * EOIs, and the line must stay quiet (a level SCI drops with the status).
 * Then the probe powers off (S5) like an OSPM would: nexit exits 0.
 * Where the LAPIC does not keep interrupts in service (kvm_pvm auto-EOIs,
 * docs/machine.md) a level line re-fires until its status is cleared, so
 * "exactly once" is not observable: the PROBE line says
 * "lapic_in_service":false, the handler masks the pin (mask-ack) and only
 * "at least once" is checked.
 * ignore=1: a guest that enables the event and never acts on it (the VMM's
 * grace period must end it).
 * PROBE: lapic_in_service, sci_gsi, level, active_low, sci_irqs, pwrbtn_sts,
 * sts_after_clear, waited_ms.
 */
#include "../probe.h"

#define VEC_SCI		0x61
#define PWRBTN		(1u << 8)

struct wait { u64 deadline; u64 got; };

static u64 wait_sci(void *a)
{
	struct wait *w = a;

	while (!READ_ONCE(irq_rec[VEC_SCI].count) && rdtsc() < w->deadline)
		cpu_relax();
	w->got = READ_ONCE(irq_rec[VEC_SCI].count);
	return 0;
}

static u64 k_out16(u64 port, u64 v)
{
	outw((u16)port, (u16)v);
	return 0;
}

static u64 k_in16(u64 port, u64 unused)
{
	return inw((u16)port);
}

static bool power_button(struct platform *p)
{
	struct firmware *fw = &p->fw;
	u64 wait_ms = cmdline_u64(&p->cmd, "wait_ms", 20000), t0, sts, after;
	unsigned gsi, pin;
	u16 flags;
	bool level, low, held, once;
	struct wait w;
	struct json j;
	u32 base, rte;

	json_begin(&j, "power-button");
	held = lapic_holds_in_service(p);
	json_bool(&j, "lapic_in_service", held);
	if (!fw->pm1a_evt || !fw->sci_int) {
		json_str(&j, "error", "no FADT PM1a_EVT_BLK or SCI_INT");
		return probe_result(&j, false);
	}
	/* The SCI is level, active low unless the MADT overrides it (5.2.12.5). */
	gsi = fw->sci_int < 16 && fw->iso_gsi[fw->sci_int] ? fw->iso_gsi[fw->sci_int] : fw->sci_int;
	flags = fw->sci_int < 16 ? fw->iso_flags[fw->sci_int] : 0;
	low = (flags & 3) != 1;
	level = ((flags >> 2) & 3) != 1;
	json_u64(&j, "sci_gsi", gsi);
	json_bool(&j, "level", level);
	json_bool(&j, "active_low", low);

	kcall(k_out16, fw->pm1a_evt, PWRBTN);		/* clear a stale press */
	kcall(k_out16, fw->pm1a_evt + 2, PWRBTN);	/* enable the event */
	base = ioapic_base_for(p, gsi, &pin);
	rte = VEC_SCI | (level ? RTE_LEVEL : 0) | (low ? RTE_ACTIVE_LOW : 0);
	/* The handler leaves the EOI to us: the level line is still high
	 * until PWRBTN_STS is cleared. Where the LAPIC does not hold it in
	 * service (auto-EOI), the handler masks the pin instead, as an OS
	 * masks a level line it cannot quiet in the handler (Linux's
	 * mask-ack): one write to IOWIN, which ioapic_set_rte leaves selecting
	 * this pin's low RTE. Otherwise the re-fires would starve ring 3. */
	irq_setup(VEC_SCI, IRQ_NO_EOI, held ? 0 : base + IOAPIC_IOWIN, rte | RTE_MASKED);
	ioapic_set_rte(base, pin, rte, cpus[0].apic_id);
	printk("probe: power-button: waiting\n");
	if (cmdline_u64(&p->cmd, "ignore", 0)) {
		user_sleep(p, wait_ms);
		json_str(&j, "error", "ignore=1: the power button was not handled");
		return probe_result(&j, false);
	}
	t0 = rdtsc();
	w.deadline = t0 + tsc_ms_cycles(&p->tsc, wait_ms);
	user_call(wait_sci, &w);
	json_u64(&j, "waited_ms", p->tsc.khz ? (rdtsc() - t0) / p->tsc.khz : 0);
	sts = kcall(k_in16, fw->pm1a_evt, 0);
	kcall(k_out16, fw->pm1a_evt, PWRBTN);		/* write 1 to clear */
	after = kcall(k_in16, fw->pm1a_evt, 0);
	ioapic_set_rte(base, pin, rte, cpus[0].apic_id);	/* unmask if masked */
	u_eoi();
	user_sleep(p, 50);				/* a stuck level would re-fire */
	json_u64(&j, "sci_irqs", irq_rec[VEC_SCI].count);
	json_bool(&j, "pwrbtn_sts", sts & PWRBTN);
	json_bool(&j, "sts_after_clear", after & PWRBTN);
	ioapic_set_rte(base, pin, RTE_MASKED, 0);
	once = w.got == 1 && irq_rec[VEC_SCI].count == 1;
	return probe_result(&j, (held ? once : w.got >= 1) && (sts & PWRBTN) && !(after & PWRBTN));
}
SCENARIO("power-button", power_button);

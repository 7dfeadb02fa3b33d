/* SPDX-License-Identifier: MIT */
/*
 * msi-rate / intx-rate ms=M - sustained interrupts per second into one vCPU:
 * for M ms (default 1000) ring 3 rings the device's raise doorbell, waits
 * for the ISR to count the delivery and rings again (closed loop, one
 * interrupt in flight, as a driver that handles each completion before
 * issuing the next). Prints irqs_per_s and the VMM exits per interrupt.
 */
#include "../probe.h"

#define VEC 0x43

struct rate_run {
	const struct pci_dev *d;
	u64 cycles, count, timeouts, exits;
	bool ack_in_loop, have_exits;
};

static u64 rate_loop(void *a)
{
	struct rate_run *r = a;
	struct irq_rec *rec = &irq_rec[VEC];
	u64 bar = r->d->bar0, start = rdtsc(), e0 = 0;

	if (r->have_exits)
		e0 = counters_exits();
	while (rdtsc() - start < r->cycles) {
		u64 c0 = READ_ONCE(rec->count), t0 = rdtsc();

		mmio_write32(bar + NX_IRQDEV_REG_RAISE, 1);
		while (READ_ONCE(rec->count) == c0) {
			if (rdtsc() - t0 > r->cycles) {
				r->timeouts++;
				goto out;
			}
			cpu_relax();
		}
		if (r->ack_in_loop)
			mmio_write32(bar + NX_IRQDEV_REG_ACK, 1);
		r->count++;
	}
out:
	if (r->have_exits)
		r->exits = counters_exits() - e0 - 1;
	return 0;
}

static bool rate(struct platform *p, bool intx)
{
	const char *name = intx ? "intx-rate" : "msi-rate";
	struct pci_dev d[4];
	struct rate_run r = { .ack_in_loop = !intx };
	u64 ms = cmdline_u64(&p->cmd, "ms", 1000);
	struct intx x;
	struct json j;

	edu_need(p, name, d, 4, 1);
	r.d = &d[0];
	r.cycles = tsc_ms_cycles(&p->tsc, ms);
	r.have_exits = counters_present();
	if (intx) {
		/* The ISR acknowledges the device (the line drops) before its EOI. */
		irq_setup(VEC, 0, d[0].bar0 + NX_IRQDEV_REG_ACK, 1);
		if (!intx_setup(p, &d[0], VEC, cpus[0].apic_id, false, &x))
			panic("no INTx routing for the device (give intx_gsi=)");
	} else {
		if (!d[0].msi_cap)
			panic("device has no MSI capability");
		irq_setup(VEC, 0, 0, 0);
		pci_msi_enable(&d[0], cpus[0].apic_id, VEC);
	}
	user_call(rate_loop, &r);
	if (intx)
		intx_mask(&x, true);
	else
		pci_msi_disable(&d[0]);

	json_begin(&j, name);
	json_dev(&j, "device", &d[0]);
	json_u64(&j, "ms", ms);
	json_u64(&j, "interrupts", r.count);
	json_u64(&j, "irqs_per_s", r.count * 1000 / (ms ? ms : 1));
	/* The raw count: a rounded ratio hides a few exits in many interrupts. */
	if (r.have_exits)
		json_u64(&j, "vmm_exits", r.exits);
	else
		json_null(&j, "vmm_exits");
	if (r.have_exits && r.count)
		json_milli(&j, "vmm_exits_per_irq", r.exits * 1000 / r.count);
	else
		json_null(&j, "vmm_exits_per_irq");
	return probe_result(&j, r.count > 0 && !r.timeouts);
}

static bool msi_rate(struct platform *p) { return rate(p, false); }
static bool intx_rate(struct platform *p) { return rate(p, true); }
SCENARIO("msi-rate", msi_rate);
SCENARIO("intx-rate", intx_rate);

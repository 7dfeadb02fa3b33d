/* SPDX-License-Identifier: MIT */
/*
 * intx-latency n=N - doorbell write (edu 0x60, MSI off) -> INTx level line ->
 * IOAPIC RTE (level, active high) -> ISR entry. The ISR acknowledges the
 * device (edu 0x64: the line drops) before its EOI, as a level-triggered
 * driver must, so the EOI finds the line idle. Keys as msi-latency, plus
 * intx_gsi= to override the routing found in the MP table / interrupt line.
 */
#include "../probe.h"

#define VEC 0x42
#define MAX_N 100000
static u64 lat[MAX_N];

static bool intx_latency(struct platform *p)
{
	struct pci_dev d[4];
	struct lat_run r = { .vec = VEC, .lat = lat };
	struct intx x;
	struct json j;
	bool pass;

	edu_need(p, "intx-latency", d, 4, 1);
	r.d = &d[0];
	r.n = cmdline_u64(&p->cmd, "n", 1000);
	r.warmup = cmdline_u64(&p->cmd, "warmup", 10);
	if (r.n > MAX_N)
		r.n = MAX_N;
	irq_setup(VEC, 0, d[0].bar0 + NX_IRQDEV_REG_ACK, 1);
	if (!intx_setup(p, &d[0], VEC, cpus[0].apic_id, false, &x))
		panic("no INTx routing for the device (give intx_gsi=)");
	lat_measure(p, &r);
	intx_mask(&x, true);

	pass = r.received == r.n && lat_exits_ok(&p->cmd, &r);
	json_begin(&j, "intx-latency");
	json_dev(&j, "device", &d[0]);
	json_intx(&j, &x);
	json_u64(&j, "tsc_khz", p->tsc.khz);
	json_lat_run(&j, p, &r, "");
	return probe_result(&j, pass);
}
SCENARIO("intx-latency", intx_latency);

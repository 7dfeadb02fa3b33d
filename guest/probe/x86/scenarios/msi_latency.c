/* SPDX-License-Identifier: MIT */
/*
 * msi-latency n=N - doorbell write (edu 0x60) -> MSI -> ISR entry, in TSC
 * cycles and ns, measured from ring 3; plus the VMM exits per interrupt from
 * nexit's counter page (the exitless path: irqfd + ioeventfd -> 0).
 * Keys: n (1000), warmup (10), cpu (0: MSI to that CPU's APIC id), dev (0:
 * which of the edu devices found, in bus order),
 * max_exits_per_irq (fail above it), timeout_ms (per interrupt, 1000),
 * trigger=raise|fact (fact: the device's completion raises the MSI: edu's
 * factorial with "raise interrupt when done", work done by the backend).
 */
#include "../probe.h"

#define VEC 0x41
#define MAX_N 100000
static u64 lat[MAX_N];

static bool msi_latency(struct platform *p)
{
	struct pci_dev d[4];
	struct lat_run r = { .vec = VEC, .lat = lat, .ack_in_loop = true };
	unsigned cpu = cmdline_u64(&p->cmd, "cpu", 0), di = cmdline_u64(&p->cmd, "dev", 0);
	struct json j;
	bool pass;

	edu_need(p, "msi-latency", d, 4, di + 1);
	r.d = &d[di];
	r.n = cmdline_u64(&p->cmd, "n", 1000);
	r.warmup = cmdline_u64(&p->cmd, "warmup", 10);
	if (r.n > MAX_N)
		r.n = MAX_N;
	if (cpu >= p->ncpus)
		cpu = 0;
	r.fact = cmdline_get(&p->cmd, "trigger") && !strcmp(cmdline_get(&p->cmd, "trigger"), "fact");
	if (!r.d->msi_cap)
		panic("device has no MSI capability");
	irq_setup(VEC, 0, 0, 0);
	pci_msi_enable(r.d, cpus[cpu].apic_id, VEC);
	lat_measure(p, &r);
	pci_msi_disable(r.d);

	pass = r.received == r.n && lat_exits_ok(&p->cmd, &r);
	json_begin(&j, "msi-latency");
	json_dev(&j, "device", r.d);
	json_str(&j, "trigger", r.fact ? "fact" : "raise");
	json_u64(&j, "vector", VEC);
	json_u64(&j, "dest_apic", cpus[cpu].apic_id);
	json_u64(&j, "tsc_khz", p->tsc.khz);
	json_lat_run(&j, p, &r, "");
	return probe_result(&j, pass);
}
SCENARIO("msi-latency", msi_latency);

/* SPDX-License-Identifier: MIT */
/*
 * msi-latency n=N, intx-latency n=N - the edu's doorbell (raise register:
 * an ioeventfd under nexit) -> its MSI or its INTx -> ISR entry, N times,
 * measured by common/latency.c; percentiles in ticks and ns, the VMM exits
 * per interrupt from nexit's counter page (the exitless MSI path: 0).
 *  msi-latency   x86: MSI to a vector (cpu=K: to that CPU's APIC id);
 *                arm64: MSI -> ITS -> LPI 8192 (a vLPI with GICv4)
 *  intx-latency  x86: IOAPIC RTE, level, active high (intx_gsi= overrides
 *                the routing); arm64: its SPI, level. The ISR acks the
 *                device before its EOI, as a level-triggered driver must.
 * Keys: n (1000; intx on arm64 200), warmup (10, x86), trigger=raise|fact
 * (msi: edu's factorial with "raise interrupt when done": the device's
 * completion raises the MSI), timeout_ms (per interrupt), max_exits_per_irq
 * (fail above it).
 */
#include "../common.h"
#include "arch.h"

static u64 lat[ARCH_LAT_MAX_N];

static bool latency(struct platform *p, const char *name, enum lat_line line, u64 n_default)
{
	const struct cmdline *c = platform_cmdline(p);
	const char *trigger = cmdline_get(c, "trigger");
	struct lat_run r = { .lat = lat };
	struct pci_dev dev;
	struct json j;
	bool ok;

	r.n = cmdline_u64(c, "n", n_default);
	if (r.n > ARCH_LAT_MAX_N)
		r.n = ARCH_LAT_MAX_N;
	r.warmup = cmdline_u64(c, "warmup", 10);
	r.fact = line == LAT_MSI && trigger && !strcmp(trigger, "fact");
	json_begin(&j, name);
	if (!lat_arch_setup(p, name, line, &dev, &r, &j))
		return false;
	lat_arch_measure(p, line, &r);
	ok = lat_arch_result(p, &r, &j);
	return probe_result(&j, ok && r.received == r.n && lat_exits_ok(c, &r));
}

static bool msi_latency(struct platform *p)
{
	return latency(p, "msi-latency", LAT_MSI, 1000);
}
SCENARIO("msi-latency", msi_latency);

static bool intx_latency(struct platform *p)
{
	return latency(p, "intx-latency", LAT_INTX, ARCH_INTX_N);
}
SCENARIO("intx-latency", intx_latency);

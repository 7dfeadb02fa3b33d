/* SPDX-License-Identifier: MIT */
/*
 * demo - what `make run` boots on a host whose KVM cannot run Linux
 * (tools/run-default.sh): a short tour that runs hello, msi-latency,
 * intx-latency, affinity (2+ CPUs) and priority one after another, each
 * printing its own PROBE line after a one-line explanation, then a summary
 * PROBE line. Keys of the parts apply (n=, window_ms=, ...).
 */
#include "../probe.h"

static const struct { const char *name, *what; } parts[] = {
	{ "hello", "CPUs from the MADT started with INIT-SIPI-SIPI, RAM from the multiboot map" },
	{ "msi-latency", "MSI: doorbell write (ioeventfd) -> irqfd -> vCPU, no VMM on the path" },
	{ "intx-latency", "INTx: level line through the IOAPIC, EOI-gated by the fallback path" },
	{ "affinity", "MSI routed by the guest to vCPU1, then vCPU0" },
	{ "priority", "two MSIs pending: higher vector class first; TPR holds the lower back" },
};

static bool demo(struct platform *p)
{
	char ran[160] = "[";
	size_t len = 1;
	u32 passed = 0, total = 0;
	struct json j;

	for (unsigned i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		const struct scenario *s = scenario_find(parts[i].name);
		if (!s || (!strcmp(parts[i].name, "affinity") && p->ncpus < 2))
			continue;
		printk("demo: %s - %s\n", parts[i].name, parts[i].what);
		total++;
		if (s->run(p))
			passed++;
		len += snprintf(ran + len, sizeof(ran) - len, "%s\"%s\"", total > 1 ? "," : "",
				parts[i].name);
	}
	snprintf(ran + len, sizeof(ran) - len, "]");
	json_begin(&j, "demo");
	json_raw(&j, "parts", ran);
	json_u64(&j, "passed", passed);
	json_u64(&j, "total", total);
	return probe_result(&j, passed == total);
}
SCENARIO("demo", demo);

/* SPDX-License-Identifier: MIT */
/*
 * hello - the platform as the probe found it: CPUs listed by the MADT (or MP
 * table) and actually started (each AP counts itself in from long mode),
 * and RAM from the multiboot memory map. Passes when every listed CPU runs.
 */
#include "../probe.h"

static bool hello(struct platform *p)
{
	struct json j;
	bool pass = p->fw.ncpus >= 1 && p->ncpus == p->fw.ncpus && !p->fw.cpus_beyond_max &&
		    p->boot.mem_bytes > 0;

	json_begin(&j, "hello");
	json_u64(&j, "cpus", p->ncpus);
	json_u64(&j, "mem_mb", (p->boot.mem_bytes + (1 << 20) - 1) >> 20);
	json_u64(&j, "cpus_listed", p->fw.ncpus);
	json_str(&j, "cpu_source", p->fw.cpu_source);
	if (p->fw.cpus_beyond_max)
		json_u64(&j, "cpus_not_supported", p->fw.cpus_beyond_max);
	json_str(&j, "apic", p->x2apic ? "x2apic" : "xapic");
	json_u64(&j, "tsc_khz", p->tsc.khz);
	json_str(&j, "tsc_source", p->tsc.source);
	return probe_result(&j, pass);
}
SCENARIO("hello", hello);

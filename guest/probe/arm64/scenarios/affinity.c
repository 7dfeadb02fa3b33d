/* SPDX-License-Identifier: MIT */
/*
 * affinity - the guest moves its LPI between vCPUs (ITS MAPC of collection
 * 1 to vCPU 1, MOVI there and back): the ISR must run on the vCPU the guest
 * routed it to, 0, 1, 0 (KVM re-targets the vLPI with GICv4). Needs nexit
 * --cpus 2 (PSCI CPU_ON).
 */
#include "../probe.h"

static bool affinity(struct platform *p)
{
	static const u32 want[3] = { 0, 1, 0 };
	u32 got[3] = { 9, 9, 9 };
	struct json j;

	if (!msi_setup(p, "affinity", 0xa0))
		return false;
	if (cpu_on(1) < 0)
		panic("PSCI CPU_ON of vCPU 1 failed (run nexit with --cpus 2)");
	if (its_mapc(1, 1) < 0)
		panic("ITS MAPC of collection 1 stalled");
	irq_on();
	for (int k = 0; k < 3; k++) {
		u64 before = irqs.total;

		if (k && its_movi(pci_rid(&p->edu), 0, want[k]) < 0)
			panic("ITS MOVI stalled");
		edu_raise(p);
		if (!wait_total(before + 1, p->hz * 2))
			break;
		got[k] = irqs.last_cpu;
		edu_ack(p);
	}
	json_begin_a64(&j, "affinity");
	json_u64(&j, "cpu_routed0", got[0]);
	json_u64(&j, "cpu_routed1", got[1]);
	json_u64(&j, "cpu_routed0_again", got[2]);
	return probe_result(&j, got[0] == 0 && got[1] == 1 && got[2] == 0);
}
SCENARIO("affinity", affinity);

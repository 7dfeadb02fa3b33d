/* SPDX-License-Identifier: MIT */
/*
 * pmtimer - the ACPI PM timer the FADT describes (PM_TMR_BLK, ACPI 6.4
 * 4.8.3.3): a free-running counter at 3.579545 MHz, 24 bits unless the
 * FADT sets TMR_VAL_EXT. Over ms milliseconds of TSC time (default 200) it
 * must advance at that rate within 2%, never run backwards between reads,
 * and stay inside its width.
 */
#include "../probe.h"

#define PM_TMR_HZ	3579545ull

static bool pmtimer(struct platform *p)
{
	u64 ms = cmdline_u64(&p->cmd, "ms", 200);
	u32 mask = p->fw.pm_tmr_32 ? 0xffffffffu : 0xffffffu, v0, v1, prev, beyond = 0;
	u64 t0, t1, ns, ticks = 0, hz = 0, backwards = 0;
	struct json j;
	bool pass;

	json_begin(&j, "pmtimer");
	if (!p->fw.pm_tmr) {
		json_str(&j, "error", "the FADT has no PM timer");
		return probe_result(&j, false);
	}
	/* Consecutive reads: monotonic modulo the width, never past it. */
	prev = inl(p->fw.pm_tmr);
	for (int i = 0; i < 100; i++) {
		u32 v = inl(p->fw.pm_tmr);

		beyond += (v & ~mask) != 0;
		backwards += ((v - prev) & mask) > mask / 2;
		prev = v;
	}
	t0 = rdtsc();
	v0 = inl(p->fw.pm_tmr) & mask;
	user_sleep(p, ms);
	v1 = inl(p->fw.pm_tmr) & mask;
	t1 = rdtsc();
	ns = tsc_ns(&p->tsc, t1 - t0);
	ticks = (v1 - v0) & mask;	/* one wrap at most: 24 bits last 4.7 s */
	if (ns)
		hz = ticks * 1000000000ull / ns;
	pass = ns && hz * 100 >= PM_TMR_HZ * 98 && hz * 100 <= PM_TMR_HZ * 102 &&
	       !backwards && !beyond;
	json_u64(&j, "port", p->fw.pm_tmr);
	json_u64(&j, "bits", p->fw.pm_tmr_32 ? 32 : 24);
	json_u64(&j, "ms", ms);
	json_u64(&j, "ticks", ticks);
	json_u64(&j, "hz", hz);
	json_u64(&j, "expected_hz", PM_TMR_HZ);
	json_u64(&j, "backwards", backwards);
	json_u64(&j, "beyond_width", beyond);
	return probe_result(&j, pass);
}
SCENARIO("pmtimer", pmtimer);

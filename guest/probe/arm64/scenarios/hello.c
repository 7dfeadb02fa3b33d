/* SPDX-License-Identifier: MIT */
/* hello - the console, nexit's counter page, the timer frequency. */
#include "../probe.h"

static bool hello(struct platform *p)
{
	bool ok = counters_present();
	struct json j;

	json_begin_a64(&j, "hello");
	json_u64(&j, "cntfrq", p->hz);
	json_u64(&j, "counter_page", ok);
	json_u64(&j, "vmm_exits_so_far", counters_exits());
	return probe_result(&j, ok);
}
SCENARIO("hello", hello);

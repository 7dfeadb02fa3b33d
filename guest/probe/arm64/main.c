/* SPDX-License-Identifier: MIT */
/*
 * main.c - the arm64 probe's scenarios, chosen by scenario=NAME on the
 * kernel command line (DT /chosen/bootargs). Each prints one line
 *   PROBE {"scenario":...,"result":"pass"|"fail",...}
 * and leaves through PSCI SYSTEM_OFF (pass) or nexit's debug exit (fail).
 *
 *  hello         the console, the counter page, the timer frequency
 *  msi-latency   edu doorbell (raise-interrupt register) -> MSI -> ITS LPI
 *                -> ISR, n times; latency percentiles and the VMM/KVM exits
 *                per interrupt in the window (0 VMM exits when the MSI is
 *                an irqfd; with GICv4 the LPI is a vLPI: no KVM exit either)
 *  intx-latency  the same on the edu's INTx: SPI, level; the ISR acks the
 *                device before the EOI
 *  eoi-gating    INTx held asserted with the EOI deferred: no second
 *                delivery while the EOI is pending, exactly one after it
 *  affinity      the guest moves its LPI to vCPU 1 and back (ITS MOVI); the
 *                ISR runs where routed (nexit --cpus 2)
 *  priority      LPI at 0x80 and the UART's SPI at 0xc0 raised while masked:
 *                the LPI is taken first; ICC_PMR_EL1 0xa0 holds the SPI back
 *  mask-until-ready  INTx asserted while the guest has INTx Disable set: nothing
 *                delivered (host counter) until it clears it, then exactly once
 *  storm         INTx never acked (re-asserted after each EOI) while another
 *                line (the UART's SPI) is raised n times: it is always served
 *  shutdown-mask power off with INTx in service; the host checks nexit's
 *                stats JSON for the line masked at the host
 */
#include "probe.h"

#define COUNTERS_OVERHEAD 4	/* counter-page reads inside a window (counters.c) */
#define MAX_N 4096

static u64 lat[MAX_N];
static struct pci_dev edu;
static const char *cmdline;

static u64 ticks_to_ns(u64 t) { return t * 1000000000ull / ticks_hz(); }

static void put_ratio(u64 a, u64 b)
{
	u64 x;

	if (!b || !a) {
		put_u64(0);
		return;
	}
	x = a * 100 / b;
	put_u64(x / 100);
	putc_('.');
	putc_('0' + (x / 10) % 10);
	putc_('0' + x % 10);
}

static void sort(u64 *v, u64 n)
{
	for (u64 i = 1; i < n; i++) {
		u64 x = v[i], j = i;
		while (j && v[j - 1] > x) {
			v[j] = v[j - 1];
			j--;
		}
		v[j] = x;
	}
}

static void kv(const char *k, u64 v)
{
	puts_(",\"");
	puts_(k);
	puts_("\":");
	put_u64(v);
}

static void begin(const char *name)
{
	puts_("PROBE {\"scenario\":\"");
	puts_(name);
	puts_("\",\"arch\":\"arm64\"");
}

static int end(bool pass)
{
	puts_(",\"result\":\"");
	puts_(pass ? "pass" : "fail");
	puts_("\"}\n");
	return pass ? 0 : 1;
}

static int fail(const char *name, const char *why)
{
	begin(name);
	puts_(",\"error\":\"");
	puts_(why);
	puts_("\"");
	return end(false);
}

static void edu_ack(u32 intid)
{
	(void)intid;
	wr32(edu.bar0 + NX_IRQDEV_REG_ACK, rd32(edu.bar0 + NX_IRQDEV_REG_IRQ_STATUS));
}

static bool wait_total(u64 want, u64 timeout_ticks)
{
	u64 t0 = now_ticks();

	while (irqs.total < want)
		if (now_ticks() - t0 > timeout_ticks)
			return false;
	return true;
}

static int setup_edu(const char *name)
{
	if (!pci_find(NX_IRQDEV_VENDOR, NX_IRQDEV_DEVICE, &edu))
		return fail(name, "no edu device (1234:11e8) on ECAM bus 0");
	if ((rd32(edu.bar0 + NX_IRQDEV_REG_ID) & 0xffff) != 0x00ed)
		return fail(name, "edu BAR0 does not read the edu ID");
	wr32(edu.bar0 + NX_IRQDEV_REG_LIVE, 0x12345678);
	if (rd32(edu.bar0 + NX_IRQDEV_REG_LIVE) != ~0x12345678u)
		return fail(name, "edu liveness check failed");
	return 0;
}

/* The measured loop: doorbell -> wait for the ISR -> next. */
static int latency(const char *name, u64 n, u32 intid, bool msi)
{
	struct counters c0, c1;
	u64 hz = ticks_hz(), got = 0, tmo = hz / 2, vmm, kvm;

	if (n > MAX_N)
		n = MAX_N;
	/* One warm-up interrupt outside the window (first-touch effects). */
	wr32(edu.bar0 + NX_IRQDEV_REG_RAISE, 1);
	if (!wait_total(1, hz * 5))
		return fail(name, msi ? "no MSI arrived (LPI never taken)" : "no INTx arrived (SPI never taken)");
	if (msi)
		edu_ack(0);
	counters_read(&c0);
	for (u64 i = 0; i < n; i++) {
		u64 before = irqs.total, t0 = now_ticks();

		wr32(edu.bar0 + NX_IRQDEV_REG_RAISE, 1);
		if (!wait_total(before + 1, tmo))
			break;
		lat[got++] = irqs.last_ticks - t0;
		if (msi)
			edu_ack(0);	/* INTx: the ISR acked before its EOI */
	}
	counters_read(&c1);
	/* hold_ms=N: stay alive (interrupt still mapped) so the host can read
	 * KVM's state of it, e.g. debugfs kvm/<vm>/vgic-state. */
	for (u64 t0 = now_ticks(), h = arg_u64(cmdline, "hold_ms", 0) * hz / 1000; now_ticks() - t0 < h;)
		;
	sort(lat, got);
	vmm = c1.exits - c0.exits - COUNTERS_OVERHEAD;
	kvm = c1.kvm_exits - c0.kvm_exits - COUNTERS_OVERHEAD;
	begin(name);
	kv("n", n);
	kv("received", got);		/* the x86 probe's key (guest/probe/lib/latency.c) */
	kv("delivered", got);
	kv("intid", intid);
	if (got) {
		/* Same keys as the x86 probe; "cycles" are counter-timer ticks. */
		static const char *names[5] = { "min", "p50", "p99", "p999", "max" };
		u64 v[5] = { lat[0], lat[got / 2], lat[got * 99 / 100], lat[got * 999 / 1000], lat[got - 1] };
		char key[16];

		for (int i = 0; i < 5; i++) {
			size_t l = strlen(names[i]);
			memcpy(key, names[i], l);
			memcpy(key + l, "_cycles", 8);
			kv(key, v[i]);
			memcpy(key + l, "_ns", 4);
			kv(key, ticks_to_ns(v[i]));
		}
	}
	kv("cntfrq", hz);
	kv("vmm_exits", vmm);
	puts_(",\"vmm_exits_per_irq\":");
	put_ratio(vmm, got);
	if (c0.kvm_exits != ~0ull) {
		kv("kvm_exits", kvm);
		puts_(",\"kvm_exits_per_irq\":");
		put_ratio(kvm, got);
	}
	kv("fallback_delivered", c1.fallback - c0.fallback);
	return end(got == n && c0.ok);
}

/* edu MSI -> ITS: event 0 of the edu's device ID -> LPI 8192 on collection 0. */
static int msi_setup(const char *name, u8 prio)
{
	int r;

	if ((r = setup_edu(name)))
		return r;
	if (!edu.msi_cap)
		return fail(name, "edu has no MSI capability");
	if (its_init() < 0)
		return fail(name, "ITS command queue stalled (MAPC)");
	/* Translation first (MAPD/MAPTI), then the device's MSI: the host can
	 * only forward an LPI the guest's ITS already translates. */
	if (its_map(edu.devid, 0, LPI_BASE, prio) < 0)
		return fail(name, "ITS command queue stalled (MAPD/MAPTI)");
	pci_msi_enable(&edu, GITS_TRANSLATER, 0);
	return 0;
}

static int msi_latency(const char *name)
{
	int r;

	if ((r = msi_setup(name, 0xa0)))
		return r;
	irq_on();
	return latency(name, arg_u64(cmdline, "n", 1000), LPI_BASE, true);
}

/* The guest moves its LPI between vCPUs (ITS MOVI): the ISR must run on the
 * vCPU the guest routed it to. Needs nexit --cpus 2. */
static int affinity(const char *name)
{
	static const u32 want[3] = { 0, 1, 0 };
	u32 got[3] = { 9, 9, 9 };
	u64 hz = ticks_hz();
	int r;

	if ((r = msi_setup(name, 0xa0)))
		return r;
	if (cpu_on(1) < 0)
		return fail(name, "PSCI CPU_ON of vCPU 1 failed (run nexit with --cpus 2)");
	if (its_mapc(1, 1) < 0)
		return fail(name, "ITS MAPC of collection 1 stalled");
	irq_on();
	for (int k = 0; k < 3; k++) {
		u64 before = irqs.total;

		if (k && its_movi(edu.devid, 0, want[k]) < 0)
			return fail(name, "ITS MOVI stalled");
		wr32(edu.bar0 + NX_IRQDEV_REG_RAISE, 1);
		if (!wait_total(before + 1, hz * 2))
			break;
		got[k] = irqs.last_cpu;
		edu_ack(0);
	}
	begin(name);
	kv("cpu_routed0", got[0]);
	kv("cpu_routed1", got[1]);
	kv("cpu_routed0_again", got[2]);
	return end(got[0] == 0 && got[1] == 1 && got[2] == 0);
}

#define UART_IER	(UART_BASE + 1)
#define UART_MCR	(UART_BASE + 4)
#define UART_INTID	33		/* SPI 1, nexit's 16550A (emulated: the fallback) */

static void quiet_uart(u32 intid)
{
	if (intid == UART_INTID)
		wr8(UART_IER, 0);	/* THRI off: the level line drops before EOI */
}

static void spin_ms(u64 ms)
{
	for (u64 t0 = now_ticks(), h = ms * ticks_hz() / 1000; now_ticks() - t0 < h;)
		;
}

/*
 * Two lines raised while the guest has interrupts off: the edu's LPI at
 * priority 0x80 and the UART's SPI at 0xc0 (lower). Unmasked, the higher
 * priority is taken first. Then with the priority mask at 0xa0 (ICC_PMR_EL1)
 * only the LPI gets through; the SPI waits until the mask is lowered.
 */
static int priority(const char *name)
{
	u32 o1[2], o2_held, o2[2];
	u64 n_held;
	int r;

	if ((r = msi_setup(name, 0x80)))
		return r;
	gic_spi_enable(UART_INTID, 0xc0, true);
	irqs.before_eoi = quiet_uart;
	wr8(UART_MCR, 0x08);			/* OUT2 gates the UART's line */

	irq_off();
	wr32(edu.bar0 + NX_IRQDEV_REG_RAISE, 1);
	wr8(UART_IER, 0x02);			/* THR empty: asserted at once */
	spin_ms(100);				/* let the MSI arrive (pending) */
	irqs.norder = 0;
	irq_on();
	wait_total(2, ticks_hz());
	irq_off();
	o1[0] = irqs.order[0];
	o1[1] = irqs.order[1];
	edu_ack(0);

	sysreg_write(icc_pmr_el1, 0xa0);	/* only priorities < 0xa0 */
	isb();
	irqs.norder = 0;
	wr32(edu.bar0 + NX_IRQDEV_REG_RAISE, 1);
	wr8(UART_IER, 0x02);
	irq_on();
	spin_ms(100);
	n_held = irqs.norder;
	o2_held = irqs.order[0];
	sysreg_write(icc_pmr_el1, 0xff);
	isb();
	spin_ms(100);
	irq_off();
	o2[0] = irqs.order[0];
	o2[1] = irqs.order[1];
	edu_ack(0);
	wr8(UART_IER, 0);

	begin(name);
	kv("first", o1[0]);
	kv("second", o1[1]);
	kv("pmr_a0_taken", n_held);
	kv("pmr_a0_first", o2_held);
	kv("pmr_ff_then", o2[1]);
	return end(o1[0] == LPI_BASE && o1[1] == UART_INTID && n_held == 1 &&
		   o2_held == LPI_BASE && o2[0] == LPI_BASE && o2[1] == UART_INTID);
}

static int intx_setup(const char *name, u32 *intid)
{
	int r;

	if ((r = setup_edu(name)))
		return r;
	if (!edu.pin)
		return fail(name, "edu has no INTx pin");
	/* nexit writes the SPI's INTID into the interrupt line register. */
	*intid = rd8(edu.cfg + 0x3c);
	if (*intid < 32 || *intid >= 1020)
		return fail(name, "no INTx SPI in the interrupt line register");
	gic_spi_enable(*intid, 0xa0, true);
	return 0;
}

static int intx_latency(const char *name)
{
	u32 intid;
	int r;

	if ((r = intx_setup(name, &intid)))
		return r;
	irqs.before_eoi = edu_ack;	/* lower the level line before the EOI */
	irq_on();
	return latency(name, arg_u64(cmdline, "n", 200), intid, false);
}

static int eoi_gating(const char *name)
{
	u64 hz = ticks_hz(), hold = hz / 20;	/* 50 ms */
	u64 c_held, c_after, c_final;
	u32 intid;
	int r;

	if ((r = intx_setup(name, &intid)))
		return r;
	irqs.defer_eoi = true;			/* the ISR leaves the EOI to us */
	irq_on();
	wr32(edu.bar0 + NX_IRQDEV_REG_RAISE, 1);	/* asserted until acked */
	if (!wait_total(1, hz * 5))
		return fail(name, "no INTx arrived");
	wait_total(2, hold);			/* EOI pending: must not come again */
	c_held = irqs.total;
	gic_eoi(irqs.deferred);			/* EOI while still asserted */
	wait_total(c_held + 1, hz);		/* exactly one more delivery */
	wait_total(c_held + 2, hold);
	c_after = irqs.total;
	irqs.defer_eoi = false;
	edu_ack(0);				/* deassert, then EOI the re-delivery */
	gic_eoi(irqs.deferred);
	wait_total(c_after + 1, hold);
	c_final = irqs.total;
	begin(name);
	kv("intid", intid);
	kv("while_eoi_pending", c_held);
	kv("after_eoi_asserted", c_after);
	kv("after_ack", c_final);
	return end(c_held == 1 && c_after == 2 && c_final == 2);
}

/* The guest's INTx readiness: the device's INTx Disable (Command bit 10). */
static void intx_ready(bool ready)
{
	u16 cmd = rd16(edu.cfg + 4);

	wr16(edu.cfg + 4, ready ? cmd & ~0x400 : cmd | 0x400);
}

/*
 * mask-until-ready: the edu asserts INTx while the guest's driver is not
 * ready (INTx Disable set, as nexit presents the device); the line stays
 * masked at the host and nothing is delivered (counter page: fallback
 * deliveries) until the guest clears the bit, then exactly one interrupt.
 */
static int mask_until_ready(const char *name)
{
	struct counters c0, c1, c2;
	u64 hz = ticks_hz(), before_enable;
	u32 intid;
	int r;

	if ((r = intx_setup(name, &intid)))
		return r;
	intx_ready(false);
	irqs.before_eoi = edu_ack;
	irq_on();
	counters_read(&c0);
	wr32(edu.bar0 + NX_IRQDEV_REG_RAISE, 1);		/* asserted, guest not ready */
	spin_ms(200);
	counters_read(&c1);
	before_enable = irqs.total;
	intx_ready(true);
	wait_total(1, hz * 2);
	spin_ms(100);
	counters_read(&c2);
	begin(name);
	kv("intid", intid);
	kv("taken_before_ready", before_enable);
	kv("host_delivered_before_ready", c1.fallback - c0.fallback);
	kv("taken_after_ready", irqs.total);
	kv("host_delivered_after_ready", c2.fallback - c1.fallback);
	return end(before_enable == 0 && c1.fallback == c0.fallback && irqs.total == 1 &&
		   c2.fallback - c1.fallback == 1);
}

/*
 * storm: the edu's INTx is never acknowledged, so it is asserted again
 * after every EOI; nexit's storm budget ([device] storm_budget...) holds it
 * masked for back-offs. Meanwhile the UART's SPI (another line) is raised
 * n times and must be served every time.
 */
static u32 uart_pending;
static void storm_isr(u32 intid)
{
	if (intid == UART_INTID) {
		wr8(UART_IER, 0);
		uart_pending = 0;
	}
}

static int storm(const char *name)
{
	u64 hz = ticks_hz(), n = arg_u64(cmdline, "n", 20), served = 0;
	u64 win_ms = arg_u64(cmdline, "window_ms", 600), t0, storm_irqs, c_end;
	struct counters c0, c1;
	u32 intid;
	int r;

	if ((r = intx_setup(name, &intid)))
		return r;
	gic_spi_enable(UART_INTID, 0xa0, true);
	wr8(UART_MCR, 0x08);
	irqs.before_eoi = storm_isr;		/* the edu is never acked */
	irq_on();
	counters_read(&c0);
	wr32(edu.bar0 + NX_IRQDEV_REG_RAISE, 1);
	t0 = now_ticks();
	for (u64 i = 0; i < n; i++) {
		u64 t1;

		uart_pending = 1;
		wr8(UART_IER, 0x02);		/* raise the other line */
		for (t1 = now_ticks(); uart_pending && now_ticks() - t1 < hz / 2;)
			;
		if (!uart_pending)
			served++;
		spin_ms(win_ms / n);
	}
	storm_irqs = irqs.count[irq_slot(intid)];
	c_end = now_ticks() - t0;
	edu_ack(0);				/* end of the storm */
	spin_ms(50);
	counters_read(&c1);
	begin(name);
	kv("intid", intid);
	kv("storm_irqs", storm_irqs);
	kv("window_ms", ticks_to_ns(c_end) / 1000000);
	kv("other_line_raised", n);
	kv("other_line_served", served);
	kv("host_delivered", c1.fallback - c0.fallback);
	return end(served == n && storm_irqs > 0);
}

/*
 * shutdown-mask: the guest powers off while the edu's INTx is asserted and
 * in service (never EOIed); nexit must mask it at the host on the way out.
 * The host side checks that in nexit's stats JSON ("host_masked": true).
 */
static int shutdown_mask(const char *name)
{
	u32 intid;
	int r;

	if ((r = intx_setup(name, &intid)))
		return r;
	irqs.defer_eoi = true;
	irq_on();
	wr32(edu.bar0 + NX_IRQDEV_REG_RAISE, 1);
	wait_total(1, ticks_hz() * 2);
	irq_off();
	begin(name);
	kv("intid", intid);
	kv("taken", irqs.total);
	puts_(",\"check\":\"host: stats irq.lines[].host_masked\"");
	return end(irqs.total == 1);
}

static int hello(const char *name)
{
	struct counters c;

	counters_read(&c);
	begin(name);
	kv("cntfrq", ticks_hz());
	kv("counter_page", c.ok);
	kv("vmm_exits_so_far", c.exits);
	return end(c.ok);
}

void probe_main(const void *fdt)
{
	char sc[32] = "hello";
	int r;

	cmdline = fdt_bootargs(fdt);
	arg_str(cmdline, "scenario", sc, sizeof(sc));
	puts_("probe-arm64: cmdline \"");
	puts_(cmdline);
	puts_("\"\n");
	gic_init();
	if (!strncmp(sc, "hello", 6))
		r = hello(sc);
	else if (!strncmp(sc, "msi-latency", 12))
		r = msi_latency(sc);
	else if (!strncmp(sc, "intx-latency", 13))
		r = intx_latency(sc);
	else if (!strncmp(sc, "eoi-gating", 11))
		r = eoi_gating(sc);
	else if (!strncmp(sc, "affinity", 9))
		r = affinity(sc);
	else if (!strncmp(sc, "priority", 9))
		r = priority(sc);
	else if (!strncmp(sc, "mask-until-ready", 17))
		r = mask_until_ready(sc);
	else if (!strncmp(sc, "storm", 6))
		r = storm(sc);
	else if (!strncmp(sc, "shutdown-mask", 14))
		r = shutdown_mask(sc);
	else
		r = fail(sc, "unknown scenario");
	irq_off();
	probe_exit(r);
}

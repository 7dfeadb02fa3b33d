/* SPDX-License-Identifier: MIT */
/*
 * lat_arch.c - the arm64 hooks of common/scenarios/latency.c: the edu's
 * MSI through the ITS to LPI 8192 (GICv4: a vLPI) or its INTx on an SPI
 * (level; the ISR acks the device before its EOI). Around the window the
 * counter page also gives KVM's exits and the fallback's deliveries.
 * hold_ms=N keeps the VM alive after the window (the interrupt still
 * mapped) so the host can read KVM's state of it (debugfs vgic-state).
 */
#include "probe.h"

/* KVM's exits and the fallback's deliveries, read at the window's start
 * before the VMM exits read and at its end after it. */
static void window(struct lat_run *r, bool end)
{
	struct a64_window *w = r->arg;

	w->kvm[end] = counters_read(NX_CP_KVM_EXITS);
	w->fallback[end] = counters_read(NX_CP_FALLBACK);
}

/* Between the two KVM exit reads, 4 more exits are the probe's own: the
 * start's fallback and VMM exits reads, the end's VMM exits read and the
 * end's KVM read itself (KVM counts an exit before nexit answers it). */
#define KVM_READS_IN_WINDOW 4

static void edu_ack_isr(u32 intid, void *p)
{
	edu_ack(p);
}

const struct cmdline *platform_cmdline(struct platform *p)
{
	return &p->cmd;
}

bool lat_arch_setup(struct platform *p, const char *scenario, enum lat_line line,
		    struct pci_dev *dev, struct lat_run *r, struct json *j)
{
	u32 intid = LPI_BASE;

	json_str(j, NX_PROBE_KEY_ARCH, "arm64");
	if (line == LAT_MSI ? !msi_setup(p, scenario, 0xa0) : !intx_setup(p, scenario, &intid))
		return false;
	*dev = p->edu;
	r->d = dev;
	r->vec = intid;
	r->count = &irqs.total;
	r->entry_ticks = &irqs.last_ticks;
	r->timeout_ticks = p->hz / 2;
	r->ack_in_loop = line == LAT_MSI;
	r->window = window;
	r->arg = &p->lat_window;
	if (line == LAT_INTX) {
		irqs.before_eoi = edu_ack_isr;	/* lower the level line before the EOI */
		irqs.before_eoi_arg = p;
	}
	irq_on();
	return true;
}

void lat_arch_measure(struct platform *p, enum lat_line line, struct lat_run *r)
{
	/* One warm-up interrupt, waited for longer than the loop waits (a
	 * first delivery maps things in on the host), instead of warmup=. */
	edu_raise(p);
	if (!wait_total(1, p->hz * 5))
		panic(line == LAT_MSI ? "no MSI arrived (LPI never taken)" :
					"no INTx arrived (SPI never taken)");
	if (line == LAT_MSI)
		edu_ack(p);
	r->warmup = 0;
	lat_prepare(r, 0);
	lat_loop(r);
	spin_ms(p, cmdline_u64(&p->cmd, "hold_ms", 0));
}

bool lat_arch_result(struct platform *p, struct lat_run *r, struct json *j)
{
	struct a64_window *w = &p->lat_window;
	struct lat_summary s;
	u64 kvm;

	lat_summary_fill(r->lat, r->received, &s);
	json_lat_fields(j, r, &s, "", p->hz / 1000);
	json_u64(j, "delivered", r->received);
	json_u64(j, "intid", r->vec);
	json_u64(j, "cntfrq", p->hz);
	if (r->have_exits && w->kvm[0] != ~0ull && w->kvm[1] != ~0ull) {
		kvm = w->kvm[1] - w->kvm[0] - KVM_READS_IN_WINDOW;
		json_u64(j, NX_PROBE_KEY_KVM_EXITS, kvm);
		json_milli(j, NX_PROBE_KEY_KVM_EXITS_PER_IRQ, r->received ? kvm * 1000 / r->received : 0);
	}
	json_u64(j, "fallback_delivered", r->have_exits ? w->fallback[1] - w->fallback[0] : 0);
	return r->have_exits;
}

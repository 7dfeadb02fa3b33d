/* SPDX-License-Identifier: MIT */
/*
 * spi_gate.c - the arm64 fallback controller: gated level lines on vGIC
 * SPIs, on the shared controller core (fallback/lines.c: lock, gate,
 * trigger/resample/back-off handlers, storm config; fallback/stats.c).
 *
 *   device asserts -> source masked at the host (VFIO automask, or the
 *   gate's mask) -> trigger eventfd -> event loop -> gate -> write the SPI's
 *   irqfd (KVM asserts the SPI, level) -> guest ISR -> guest EOI -> KVM
 *   de-asserts and signals the resamplefd -> event loop -> gate: unmask the
 *   source (or, storming, hold it masked for the back-off).
 *
 * No vCPU exit is involved: the EOI is seen by KVM's vGIC (maintenance
 * interrupt) and reaches nexit as an eventfd.
 *
 * Rule 3 (mask until ready) cannot follow the SPI's enable bit: it lives in
 * KVM's distributor, and KVM_DEV_ARM_VGIC_GRP_DIST_REGS locks every vCPU
 * (EBUSY while one is in KVM_RUN). Readiness is the device's instead: a
 * VFIO line starts with the guest-visible INTx Disable bit set
 * (passthrough/vfio.c: nx_pci_arch.intx_off_until_driver), which vfio-pci
 * enforces at the host until the guest's driver clears it, and at shutdown
 * the gate masks every line.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include "fallback/fallback.h"
#include "core/arm64/arm64.h"

/* gate op: assert the SPI through its irqfd; KVM holds it until the EOI. */
static bool deliver(void *opaque, struct nx_gate_line *l)
{
	struct nx_fallback *fb = opaque;
	uint64_t one = 1;

	if (write(fb->pins[l->gsi].irqfd, &one, sizeof(one)) != sizeof(one)) {
		fb->deliver_errors++;
		return false;
	}
	atomic_fetch_add(&fb->delivered, 1);
	return true;
}

static void close_fds(struct nx_fallback *fb, unsigned spi)
{
	struct nx_fallback_pin *p = &fb->pins[spi];

	if (p->resamplefd >= 0)
		nx_loop_del(&fb->vm->loop, p->resamplefd);
	if (p->irqfd >= 0) {
		nx_irqfd_deassign(fb->vm, p->irqfd, spi);
		close(p->irqfd);
	}
	if (p->resamplefd >= 0)
		close(p->resamplefd);
	p->irqfd = p->resamplefd = -1;
}

static int attach(void *opaque, unsigned spi, struct nx_irq_source *src)
{
	struct nx_fallback *fb = opaque;
	struct nx_fallback_pin *p = &fb->pins[spi];
	int r;

	if (spi >= fb->gate.nlines)
		return nx_error("fallback: SPI %u is not a gated line (0-%u)", spi, fb->gate.nlines - 1);
	if (src->trigger_fd < 0)
		return nx_error("fallback: source %s has no trigger eventfd", src->name);
	p->irqfd = eventfd(0, EFD_CLOEXEC);
	p->resamplefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (p->irqfd < 0 || p->resamplefd < 0)
		return nx_error("fallback: eventfd: %s", strerror(errno));
	/* Level semantics in KVM: asserted until the guest's EOI, then the
	 * resamplefd (api.rst KVM_IRQFD, KVM_IRQFD_FLAG_RESAMPLE). */
	if (nx_irqfd_assign(fb->vm, p->irqfd, spi, p->resamplefd) < 0)
		return -1;
	pthread_mutex_lock(&fb->lock);
	r = nx_fallback_storm_from_config(fb, spi, src);
	fb->gate.lines[spi].level = true;	/* SPIs of PCI INTx are level */
	if (r == 0)
		r = nx_gate_attach(&fb->gate, spi, src, nx_now_ns());
	/* The guest's own enable of the SPI lives in KVM's distributor, which
	 * userspace can read only with every vCPU out of KVM_RUN (KVM locks
	 * them all for DIST_REGS): the gate treats the SPI as enabled, level,
	 * and readiness is the device's (VFIO: the guest's INTx Disable bit). */
	if (r == 0)
		nx_gate_rte(&fb->gate, spi, false, true, (uint8_t)(NX_A64_SPI_BASE + spi), nx_now_ns());
	pthread_mutex_unlock(&fb->lock);
	if (r < 0)
		return -1;
	if (nx_fallback_watch_trigger(fb, spi, src->trigger_fd) < 0 ||
	    nx_loop_add(&fb->vm->loop, p->resamplefd, EPOLLIN, nx_fallback_on_resample, fb, spi) < 0)
		return -1;
	return 0;
}

static void detach(void *opaque, unsigned spi)
{
	struct nx_fallback *fb = opaque;

	if (spi >= fb->gate.nlines)
		return;
	pthread_mutex_lock(&fb->lock);
	nx_fallback_unwatch_trigger(fb, spi);
	nx_gate_detach(&fb->gate, spi);
	pthread_mutex_unlock(&fb->lock);
	close_fds(fb, spi);
}

static void set_line(void *opaque, unsigned spi, bool level)
{
	struct nx_fallback *fb = opaque;

	nx_a64_set_spi(fb->vm, spi, level);	/* in-process devices: not gated */
}

/* The arch hook nx_fallback_init: the controller as vm->irq, after
 * nx_arch_irqchip_init made the vGIC and its routes. */
int nx_fallback_init(struct nx_vm *vm)
{
	/* GSI n routes to SPI n below NX_IOAPIC_PINS (nx_a64_routes_init). */
	struct nx_fallback *fb = nx_fallback_new(vm, "vgic", "spi", deliver);

	if (!fb)
		return -1;
	vm->irq.opaque = fb;
	vm->irq.set_line = set_line;
	vm->irq.attach_source = attach;
	vm->irq.detach_source = detach;
	vm->irq.delivered = nx_fallback_delivered;
	vm->irq.shutdown = nx_fallback_shutdown;
	return nx_stats_add_hook(vm, nx_fallback_stats_hook, fb);
}

/* SPDX-License-Identifier: MIT */
/*
 * kernel.c - irqchip=kernel glue: KVM emulates the IOAPIC and PIC
 * (KVM_CREATE_IRQCHIP), so the EOI never leaves the kernel. A gated pin gets
 * an irqfd with KVM_IRQFD_FLAG_RESAMPLE on GSI = pin only for its
 * resamplefd: on the guest's EOI of the pin's vector KVM signals it
 * (Documentation/virt/kvm/api.rst, KVM_IRQFD), and the event loop turns
 * that into the gate's EOI: unmask the source, or deliver once more if it
 * is still asserted. The same rules as split.c, zero VMM exits.
 *
 * A level delivery is a write to the pin's irqfd: KVM asserts the pin (its
 * resample source) and holds it until the guest's EOI, where it lowers it
 * inside the EOI, before its IOAPIC samples the pin again; an assertion
 * that races the EOI of the previous one is sent right after it. (Not a
 * KVM_IRQ_LINE 1/0 pulse: an EOI between its two calls makes KVM's IOAPIC
 * send the interrupt once more.) A held assertion the guest's masked RTE
 * kept back is withdrawn at the next RTE refresh (the irqfd is bound again,
 * which drops it): else KVM would send it stale at the unmask, e.g. after a
 * shutdown that quiesced the device. An edge RTE has no EOI to wait for: it
 * gets a pulse.
 *
 * A source with its own resample_fd (e.g. an unmask eventfd) gets KVM's
 * resample wired straight to it and nexit stays off the path, without the
 * gate's counters or storm control. x86 VFIO INTx does not: it is gated.
 *
 * The guest's RTEs live in KVM: they are read with KVM_GET_IRQCHIP before
 * each delivery and each resample, and every NX_KERNEL_POLL_MS while a gated
 * line exists (mask until ready, rule 3; plus a safety net for deliveries
 * refused by a masked RTE and for EOIs whose resample was lost).
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/timerfd.h>
#include <linux/kvm.h>
#include "fallback/x86/x86_fb.h"

/* KVM's redirection table now, into the fb->x86->ioapic mirror (fb->lock held). */
static bool read_rtes(struct nx_fallback *fb)
{
	struct kvm_irqchip chip = { .chip_id = KVM_IRQCHIP_IOAPIC };

	if (ioctl(fb->vm->vm_fd, KVM_GET_IRQCHIP, &chip) < 0)
		return false;
	for (unsigned pin = 0; pin < NX_IOAPIC_PINS && pin < KVM_IOAPIC_NUM_PINS; pin++)
		fb->x86->ioapic.rte[pin] = chip.chip.ioapic.redirtbl[pin].bits;
	return true;
}

/* KVM drops a held assertion when the pin's last resample irqfd goes
 * (the deassign runs a queued injection first); bound again at once for
 * the next delivery (fb->lock held). */
static void release_held(struct nx_fallback *fb, unsigned pin)
{
	struct nx_fallback_pin *p = &fb->pins[pin];

	if (!p->held)
		return;
	p->held = false;
	if (nx_irqfd_deassign(fb->vm, p->irqfd, pin) < 0 ||
	    nx_irqfd_assign(fb->vm, p->irqfd, pin, p->resamplefd) < 0)
		fb->deliver_errors++;
}

/* A held delivery behind an RTE the guest masked, Remote IRR clear: if its
 * EOI came (KVM signals the resamplefd before it clears Remote IRR), that
 * is the EOI; else KVM never sent it, and it is withdrawn (fb->lock held). */
static void settle_masked(struct nx_fallback *fb, unsigned pin)
{
	struct nx_fallback_pin *p = &fb->pins[pin];
	uint64_t n;

	if (read(p->resamplefd, &n, sizeof(n)) == sizeof(n)) {
		p->held = false;
		nx_gate_line_eoi(&fb->gate, pin, nx_now_ns());
		return;
	}
	release_held(fb, pin);
	if (nx_gate_withdraw(&fb->gate, pin)) {
		atomic_fetch_sub(&fb->delivered, 1);
		fb->withdrawn++;
	}
}

/* Mirror + the gate's view of every gated pin's RTE (fb->lock held). */
static void refresh_rtes(struct nx_fallback *fb)
{
	if (!read_rtes(fb))
		return;
	for (unsigned pin = 0; pin < NX_IOAPIC_PINS; pin++) {
		uint64_t e = fb->x86->ioapic.rte[pin];
		struct nx_gate_line *l = &fb->gate.lines[pin];

		bool unmasked;

		if (!l->src)
			continue;
		unmasked = l->guest_masked && !nx_rte_masked(e);
		if (l->guest_masked != nx_rte_masked(e) || l->level != nx_rte_level(e) ||
		    l->vector != nx_rte_vector(e))
			nx_gate_rte(&fb->gate, pin, nx_rte_masked(e), nx_rte_level(e),
				    nx_rte_vector(e), nx_now_ns());
		/* An edge pin learnt unmasked late: a source that rose since the
		 * guest's unmask was held by nexit's host mask (which followed
		 * the stale view), not by the guest. Its edge is delivered now
		 * (a level pin is re-checked by the gate itself). */
		if (unmasked && !l->level && l->src->is_asserted &&
		    l->src->is_asserted(l->src->opaque))
			nx_gate_set_line(&fb->gate, pin, true, nx_now_ns());
		if (fb->pins[pin].held && !l->in_service)
			release_held(fb, pin);		/* the gate dropped it (edge RTE) */
		else if (fb->pins[pin].held && nx_rte_masked(e) && !(e & NX_RTE_REMOTE_IRR))
			settle_masked(fb, pin);
	}
}

/* before_line_eoi: KVM lowered the pin it held (the resample). */
static void before_eoi(struct nx_fallback *fb, unsigned gsi)
{
	fb->pins[gsi].held = false;
	refresh_rtes(fb);
}

static void on_poll(void *opaque, int fd, uint32_t events, unsigned tag)
{
	struct nx_fallback *fb = opaque;
	uint64_t n;

	if (read(fd, &n, sizeof(n)) < 0)
		return;
	pthread_mutex_lock(&fb->lock);
	refresh_rtes(fb);
	for (unsigned pin = 0; pin < NX_IOAPIC_PINS; pin++) {
		struct nx_gate_line *l = &fb->gate.lines[pin];
		struct nx_fallback_pin *p = &fb->pins[pin];

		if (!l->src)
			continue;
		if (!l->in_service) {
			/* A delivery refused by an RTE the guest masked and
			 * unmasked between two polls is retried here. */
			nx_gate_resume(&fb->gate, pin, nx_now_ns());
		} else if (p->held || (fb->x86->ioapic.rte[pin] & NX_RTE_REMOTE_IRR)) {
			/* KVM holds the pin until the EOI (or sends it once
			 * its queued injection runs). */
			p->idle_polls = 0;
		} else if (++p->idle_polls >= 2) {
			/* In service for two polls with KVM's Remote IRR clear:
			 * the message never went out, or its resample was lost. */
			fb->lost_eois++;
			p->idle_polls = 0;
			nx_gate_line_eoi(&fb->gate, pin, nx_now_ns());
		}
	}
	pthread_mutex_unlock(&fb->lock);
}

static int start_poll(struct nx_fallback *fb)
{
	struct itimerspec its = {
		.it_interval = { 0, NX_KERNEL_POLL_MS * 1000000L },
		.it_value = { 0, NX_KERNEL_POLL_MS * 1000000L },
	};

	if (fb->poll_timerfd >= 0)
		return 0;
	fb->poll_timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (fb->poll_timerfd < 0 || timerfd_settime(fb->poll_timerfd, 0, &its, NULL) < 0)
		return nx_error("irqchip=kernel: RTE poll timer: %s", strerror(errno));
	return nx_loop_add(&fb->vm->loop, fb->poll_timerfd, EPOLLIN, on_poll, fb, 0);
}

/* gate op: level, held through the pin's irqfd; edge, a pulse on the pin.
 * KVM's IOAPIC delivers per the RTE. */
static bool deliver(void *opaque, struct nx_gate_line *l)
{
	struct nx_fallback *fb = opaque;
	struct nx_fallback_pin *p = &fb->pins[l->gsi];
	struct kvm_irq_level up = { .irq = l->gsi, .level = 1 }, down = { .irq = l->gsi, .level = 0 };
	uint64_t one = 1;

	/* The guest may have masked the RTE since the last poll: KVM would
	 * drop the pulse or hold the assertion, so do not wait for its EOI. */
	if (read_rtes(fb) && nx_rte_masked(fb->x86->ioapic.rte[l->gsi])) {
		fb->refused_masked++;
		return false;
	}
	if (l->level) {
		if (write(p->irqfd, &one, sizeof(one)) != sizeof(one)) {
			fb->deliver_errors++;
			return false;
		}
		p->held = true;
	} else if (ioctl(fb->vm->vm_fd, KVM_IRQ_LINE, &up) < 0 ||
		   ioctl(fb->vm->vm_fd, KVM_IRQ_LINE, &down) < 0) {
		fb->deliver_errors++;
		return false;
	}
	p->idle_polls = 0;
	atomic_fetch_add(&fb->delivered, 1);
	return true;
}

static void set_line(void *opaque, unsigned gsi, bool level)
{
	struct nx_fallback *fb = opaque;

	pthread_mutex_lock(&fb->lock);
	if (gsi < NX_IOAPIC_PINS && fb->gate.lines[gsi].src) {
		nx_gate_set_line(&fb->gate, gsi, level, nx_now_ns());
	} else {
		/* A plain in-process line (COM1...): KVM's IOAPIC does it all. */
		struct kvm_irq_level irq = { .irq = gsi, .level = level };

		fb->line_sets++;
		if (ioctl(fb->vm->vm_fd, KVM_IRQ_LINE, &irq) < 0)
			fb->deliver_errors++;
	}
	pthread_mutex_unlock(&fb->lock);
}

static int attach_direct(struct nx_fallback *fb, unsigned gsi, struct nx_irq_source *src)
{
	struct nx_gate_line *l = &fb->gate.lines[gsi];

	if (nx_irqfd_assign(fb->vm, src->trigger_fd, gsi, src->resample_fd) < 0)
		return -1;
	fb->pins[gsi].irqfd = src->trigger_fd;
	fb->pins[gsi].direct = true;
	snprintf(l->src_name, sizeof(l->src_name), "%s", src->name ? src->name : "source");
	return 0;
}

static int attach_gated(struct nx_fallback *fb, unsigned gsi, struct nx_irq_source *src)
{
	struct nx_fallback_pin *p = &fb->pins[gsi];

	if (p->irqfd < 0) {
		/* A level delivery writes the irqfd (deliver); KVM signals the
		 * resamplefd at the guest's EOI. */
		p->irqfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		p->resamplefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (p->irqfd < 0 || p->resamplefd < 0)
			return nx_error("irq line %u: eventfd: %s", gsi, strerror(errno));
		if (nx_irqfd_assign(fb->vm, p->irqfd, gsi, p->resamplefd) < 0 ||
		    nx_loop_add(&fb->vm->loop, p->resamplefd, EPOLLIN, nx_fallback_on_resample, fb, gsi) < 0)
			return -1;
	}
	if (nx_fallback_storm_from_config(fb, gsi, src) < 0 ||
	    nx_gate_attach(&fb->gate, gsi, src, nx_now_ns()) < 0)
		return -1;
	if (src->trigger_fd >= 0 && nx_fallback_watch_trigger(fb, gsi, src->trigger_fd) < 0) {
		nx_gate_detach(&fb->gate, gsi);
		return -1;
	}
	refresh_rtes(fb);
	return start_poll(fb);
}

static int attach_source(void *opaque, unsigned gsi, struct nx_irq_source *src)
{
	struct nx_fallback *fb = opaque;
	int r;

	if (gsi >= NX_IOAPIC_PINS)
		return nx_error("interrupt source '%s': no IOAPIC pin %u", src->name, gsi);
	pthread_mutex_lock(&fb->lock);
	if (fb->gate.lines[gsi].src || fb->pins[gsi].direct)
		r = nx_error("interrupt line %u: already has a source", gsi);
	else if (src->resample_fd >= 0 && src->trigger_fd >= 0)
		r = attach_direct(fb, gsi, src);
	else
		r = attach_gated(fb, gsi, src);
	pthread_mutex_unlock(&fb->lock);
	return r;
}

static void detach_source(void *opaque, unsigned gsi)
{
	struct nx_fallback *fb = opaque;
	struct nx_fallback_pin *p;

	if (gsi >= NX_IOAPIC_PINS)
		return;
	p = &fb->pins[gsi];
	pthread_mutex_lock(&fb->lock);
	if (p->direct) {
		nx_irqfd_deassign(fb->vm, p->irqfd, gsi);
		p->irqfd = -1;
		p->direct = false;
		fb->gate.lines[gsi].gone = true;
		fb->gate.ops.report(fb, &fb->gate.lines[gsi], "interrupt source gone: irqfd removed");
	} else {
		nx_fallback_unwatch_trigger(fb, gsi);
		nx_gate_detach(&fb->gate, gsi);
		release_held(fb, gsi);
	}
	pthread_mutex_unlock(&fb->lock);
}

/* vm->irq.shutdown: the shared reset, and no assertion left held in KVM. */
static void shutdown(void *opaque)
{
	struct nx_fallback *fb = opaque;

	nx_fallback_shutdown(fb);
	pthread_mutex_lock(&fb->lock);
	for (unsigned pin = 0; pin < NX_IOAPIC_PINS; pin++)
		release_held(fb, pin);
	pthread_mutex_unlock(&fb->lock);
}

int nx_fallback_kernel_init(struct nx_fallback *fb)
{
	fb->gate.ops.deliver = deliver;
	/* The guest may have masked its RTE just before an EOI (shutdown): the
	 * gate must see that at the resample, not at the next poll, or it
	 * re-asserts a pin that KVM then holds pending and replays on the next
	 * unmask. */
	fb->before_line_eoi = before_eoi;
	nx_ioapic_init(&fb->x86->ioapic, fb, NULL);		/* a read-only mirror here */
	/* KVM_SET_GSI_ROUTING replaces KVM's default table, so the pins'
	 * IOAPIC routes (and the ISA IRQs' 8259 inputs) must be in ours before
	 * anyone commits MSI routes. */
	for (unsigned pin = 0; pin < NX_IOAPIC_PINS; pin++)
		if (nx_route_set_irqchip(fb->vm, pin, KVM_IRQCHIP_IOAPIC, pin) < 0)
			return -1;
	/* An ISA IRQ also reaches the 8259 input of its number (master 0-7,
	 * slave 8-15; 2 is the cascade), as in KVM's default table: a guest
	 * in PIC mode (LINT0 ExtINT) hears COM1 through KVM's 8259. */
	for (unsigned irq = 0; irq < 16; irq++)
		if (irq != 2 && nx_route_also_irqchip(fb->vm, irq, irq < 8 ? KVM_IRQCHIP_PIC_MASTER :
						      KVM_IRQCHIP_PIC_SLAVE, irq & 7) < 0)
			return -1;
	if (nx_routes_commit(fb->vm) < 0)
		return -1;
	fb->vm->irq = (struct nx_irq_ops){ .opaque = fb, .set_line = set_line,
		.attach_source = attach_source, .detach_source = detach_source,
		.delivered = nx_fallback_delivered, .shutdown = shutdown };
	return 0;
}

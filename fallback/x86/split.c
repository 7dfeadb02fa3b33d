/* SPDX-License-Identifier: MIT */
/*
 * split.c - irqchip=split glue: KVM keeps the LAPICs (KVM_CAP_SPLIT_IRQCHIP,
 * reserved pins = NX_IOAPIC_PINS), nexit emulates the IOAPIC and the 8259
 * pair. An IOAPIC interrupt leaves as the MSI its RTE describes
 * (KVM_SIGNAL_MSI); its EOI comes back as KVM_EXIT_IOAPIC_EOI. The 8259's
 * output reaches vCPU 0's LINT0 as an ExtINT (KVM_INTERRUPT, core/vcpu.c);
 * its EOI is the guest's OCW2 write.
 *
 * KVM rule this file lives by (arch/x86/kvm/irq_comm.c kvm_scan_ioapic_routes,
 * measured on this machine): under the split irqchip a vCPU exits on the EOI
 * of a vector only if some GSI below the reserved pin count has an MSI route
 * with that vector, trigger mode level, and a destination that includes the
 * vCPU. So every level RTE keeps GSI route #pin = its own MSI (level bit
 * set), rewritten whenever the guest rewrites the RTE. The route stays while
 * the guest masks the RTE: Linux's oneshot handlers EOI with the line masked.
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/epoll.h>
#include <linux/kvm.h>
#include "fallback/x86/x86_fb.h"
#include "core/x86/layout.h"

/* Keeps GSI route #pin in step with the pin's RTE (see the rule above). */
static void sync_route(struct nx_fallback *fb, unsigned pin)
{
	struct nx_fallback_pin *p = &fb->pins[pin];
	uint64_t e = fb->x86->ioapic.rte[pin];
	bool want = nx_rte_level(e) && nx_rte_vector(e) >= 16;	/* 0-15 are invalid vectors */
	uint64_t addr;
	uint32_t data;

	nx_ioapic_msi(&fb->x86->ioapic, pin, &addr, &data);
	if (want == p->route && (!want || (addr == p->route_addr && data == p->route_data)))
		return;
	if (want)
		nx_route_set_msi(fb->vm, pin, addr, data, 0, 0);
	else
		nx_route_clear(fb->vm, pin);
	p->route = want;
	p->route_addr = addr;
	p->route_data = data;
	if (nx_routes_commit(fb->vm) < 0)
		nx_warn("irq line %u: EOI route not installed: the line may hang", pin);
}

/*
 * In-kernel delivery of a gated line (QEMU's split IOAPIC keeps the same
 * per-pin route): a source that masks itself when it fires (VFIO INTx
 * automask) on a level RTE whose EOI route exists gets its trigger eventfd
 * bound as an irqfd on GSI = pin. KVM then delivers the fire through that
 * route, which is the guest's RTE as an MSI (rule 2), from the host's
 * interrupt context, with no thread woken; the source stays masked at the
 * host (rule 1) until the EOI exit, where the gate opens it again (or holds
 * it for a storm back-off). Masked RTEs keep the source masked at the host
 * (the gate), so nothing fires into the irqfd then (rule 3). Any other line
 * has its eventfd watched by the event loop. Called under fb->lock, after
 * sync_route and before the gate may open the line.
 */
static void sync_irqfd(struct nx_fallback *fb, unsigned pin)
{
	struct nx_fallback_pin *p = &fb->pins[pin];
	const struct nx_gate_line *l = &fb->gate.lines[pin];
	bool want = p->route && p->trigger_fd >= 0 && l->src && l->src->automask;

	if (want == p->kfire)
		return;
	if (want) {
		nx_loop_del(&fb->vm->loop, p->trigger_fd);
		if (nx_irqfd_assign(fb->vm, p->trigger_fd, pin, -1) < 0) {
			nx_warn("irq line %u: delivered by nexit's event loop instead", pin);
			if (nx_loop_add(&fb->vm->loop, p->trigger_fd, EPOLLIN, nx_fallback_on_trigger, fb, pin) < 0)
				nx_warn("irq line %u: trigger not watched: the line may hang", pin);
			return;
		}
		p->kfire = true;
		nx_gate_set_kfire(&fb->gate, pin, true, nx_now_ns());
		return;
	}
	nx_irqfd_deassign(fb->vm, p->trigger_fd, pin);
	p->kfire = false;
	if (nx_loop_add(&fb->vm->loop, p->trigger_fd, EPOLLIN, nx_fallback_on_trigger, fb, pin) < 0)
		nx_warn("irq line %u: trigger not watched: the line may hang", pin);
	nx_gate_set_kfire(&fb->gate, pin, false, nx_now_ns());
}

/* ioapic op: the guest rewrote an RTE (called under fb->lock). */
static void rte_changed(void *opaque, unsigned pin, uint64_t old, uint64_t e)
{
	struct nx_fallback *fb = opaque;

	/* The route first: the gate may deliver right away (a line asserted
	 * while masked), and that interrupt's EOI must exit. */
	sync_route(fb, pin);
	sync_irqfd(fb, pin);
	nx_gate_rte(&fb->gate, pin, nx_rte_masked(e), nx_rte_level(e), nx_rte_vector(e),
		    nx_now_ns());
}

/* gate op: send pin's interrupt as the guest's RTE says (rule 2). */
static bool deliver(void *opaque, struct nx_gate_line *l)
{
	struct nx_fallback *fb = opaque;
	uint64_t addr;
	uint32_t data;
	int r = nx_ioapic_accept(&fb->x86->ioapic, l->gsi);

	if (r == -2) {
		/* Remote IRR left set with the gate idle (e.g. an EOI for an old
		 * vector): the gate's state is the truth. */
		nx_ioapic_clear_remote_irr(&fb->x86->ioapic, l->gsi);
		r = nx_ioapic_accept(&fb->x86->ioapic, l->gsi);
	}
	if (r < 0)
		return false;
	nx_ioapic_msi(&fb->x86->ioapic, l->gsi, &addr, &data);
	/* KVM_SIGNAL_MSI returns 0 when the interrupt was coalesced or found no
	 * destination: still sent; the guest's EOI (if any) ends it. */
	if (nx_signal_msi(fb->vm, addr, data, 0) < 0) {
		nx_ioapic_clear_remote_irr(&fb->x86->ioapic, l->gsi);
		fb->deliver_errors++;
		return false;
	}
	atomic_fetch_add(&fb->delivered, 1);
	return true;
}

/* The 8259 pair's INT output goes to vCPU 0's LINT0: when it is raised,
 * vCPU 0 leaves KVM_RUN and injects (before_run). Called
 * with fb->lock held after every change of the PIC's state; vCPU 0 reads
 * the copy without the lock before each KVM_RUN. */
static void pic_update(struct nx_fallback *fb)
{
	bool out = nx_pic_output(&fb->x86->pic);

	atomic_store(&fb->x86->pic_out, out);
	if (out)
		nx_vcpu_kick(&fb->vm->vcpus[0]);
}

/*
 * vm->irq.before_run: the 8259's interrupt into vCPU 0 (the PIC is nexit's,
 * the LAPICs KVM's). KVM takes an external interrupt through KVM_INTERRUPT
 * when kvm_run's ready_for_interrupt_injection says the vCPU can accept one
 * (IF set, LINT0 in ExtINT mode and unmasked, none pending); otherwise
 * request_interrupt_window makes KVM exit as soon as it can
 * (KVM_EXIT_IRQ_WINDOW_OPEN; KVM asks for no window while LINT0 refuses
 * ExtINT). The INTA, which moves the request into the 8259's in-service
 * register, happens only when KVM takes the vector.
 */
static void before_run(void *opaque, struct nx_vcpu *vcpu)
{
	struct nx_fallback *fb = opaque;
	struct kvm_run *run = vcpu->run;
	struct kvm_interrupt irq;
	int v;

	if (vcpu->id != 0)
		return;
	if (!atomic_load(&fb->x86->pic_out)) {
		run->request_interrupt_window = 0;
		return;
	}
	if (!run->ready_for_interrupt_injection) {
		run->request_interrupt_window = 1;
		return;
	}
	pthread_mutex_lock(&fb->lock);
	v = nx_pic_ack(&fb->x86->pic);		/* the INTA cycle */
	fb->pic_injected++;
	pic_update(fb);
	pthread_mutex_unlock(&fb->lock);
	irq.irq = (uint32_t)v;
	if (ioctl(vcpu->fd, KVM_INTERRUPT, &irq) < 0)
		nx_warn("vCPU 0: KVM_INTERRUPT (8259 vector 0x%x): %s", v, strerror(errno));
	/* Another request may be waiting behind this one: ask for the next window. */
	run->request_interrupt_window = atomic_load(&fb->x86->pic_out);
}

static void set_line(void *opaque, unsigned gsi, bool level)
{
	struct nx_fallback *fb = opaque;

	pthread_mutex_lock(&fb->lock);
	if (gsi < 16) {
		nx_pic_set_irq(&fb->x86->pic, gsi, level);
		pic_update(fb);
	}
	nx_gate_set_line(&fb->gate, gsi, level, nx_now_ns());
	pthread_mutex_unlock(&fb->lock);
}

static int attach_source(void *opaque, unsigned gsi, struct nx_irq_source *src)
{
	struct nx_fallback *fb = opaque;
	int r;

	if (gsi >= NX_IOAPIC_PINS)
		return nx_error("interrupt source '%s': no IOAPIC pin %u", src->name, gsi);
	pthread_mutex_lock(&fb->lock);
	r = nx_fallback_storm_from_config(fb, gsi, src);
	if (r == 0)
		r = nx_gate_attach(&fb->gate, gsi, src, nx_now_ns());
	if (r == 0 && src->trigger_fd >= 0) {
		r = nx_fallback_watch_trigger(fb, gsi, src->trigger_fd);
		if (r == 0)
			sync_irqfd(fb, gsi);
		else
			nx_gate_detach(&fb->gate, gsi);
	}
	pthread_mutex_unlock(&fb->lock);
	return r;
}

static void detach_source(void *opaque, unsigned gsi)
{
	struct nx_fallback *fb = opaque;

	if (gsi >= NX_IOAPIC_PINS)
		return;
	pthread_mutex_lock(&fb->lock);
	if (fb->pins[gsi].kfire)
		nx_irqfd_deassign(fb->vm, fb->pins[gsi].trigger_fd, gsi);
	fb->pins[gsi].kfire = false;
	nx_fallback_unwatch_trigger(fb, gsi);
	nx_gate_detach(&fb->gate, gsi);
	pthread_mutex_unlock(&fb->lock);
}

/* KVM_EXIT_IOAPIC_EOI on a vCPU thread: the LAPIC's EOI broadcast. */
static void eoi(void *opaque, unsigned vector)
{
	struct nx_fallback *fb = opaque;
	int n = 0, kfired = 0;

	pthread_mutex_lock(&fb->lock);
	fb->eoi_exits++;
	for (unsigned i = 0; i < fb->gate.nlines; i++) {
		struct nx_gate_line *l = &fb->gate.lines[i];

		if (nx_gate_eoi_matches(l, vector)) {
			l->vmm_exits++;		/* this exit is on the line's path */
			n++;
			kfired += !l->in_service;	/* KVM delivered it */
		}
	}
	if (!n)
		fb->eoi_unmatched++;
	atomic_fetch_add(&fb->delivered, (uint64_t)kfired);
	nx_ioapic_eoi(&fb->x86->ioapic, vector);
	nx_gate_eoi(&fb->gate, vector, nx_now_ns());
	pthread_mutex_unlock(&fb->lock);
}

/* Power-off or reset: every line masked at the host, pending dropped,
 * the IOAPIC back to its reset state (all RTEs masked), EOI routes gone. */
static void shutdown(void *opaque)
{
	struct nx_fallback *fb = opaque;

	pthread_mutex_lock(&fb->lock);
	nx_gate_reset(&fb->gate);
	nx_ioapic_reset(&fb->x86->ioapic);
	nx_pic_reset(&fb->x86->pic);
	pic_update(fb);
	for (unsigned i = 0; i < NX_IOAPIC_PINS; i++) {
		sync_route(fb, i);
		sync_irqfd(fb, i);
	}
	pthread_mutex_unlock(&fb->lock);
}

static void ioapic_mmio(void *opaque, uint64_t off, uint8_t *data, uint32_t len,
			bool is_write, struct nx_vcpu *vcpu)
{
	struct nx_fallback *fb = opaque;
	uint32_t sel;

	pthread_mutex_lock(&fb->lock);
	fb->mmio_exits++;
	sel = fb->x86->ioapic.ioregsel;
	if (off == NX_IOAPIC_IOWIN && sel >= NX_IOAPIC_REG_RTE &&
	    sel < NX_IOAPIC_REG_RTE + 2 * NX_IOAPIC_PINS)
		fb->pins[(sel - NX_IOAPIC_REG_RTE) / 2].setup_exits++;
	nx_ioapic_mmio(&fb->x86->ioapic, off, data, len, is_write);
	if (off == NX_IOAPIC_EOIR && is_write)
		nx_gate_eoi(&fb->gate, data[0], nx_now_ns());	/* directed EOI */
	pthread_mutex_unlock(&fb->lock);
}

static void pic_io(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool is_write,
		   struct nx_vcpu *vcpu, uint16_t base)
{
	struct nx_fallback *fb = opaque;

	pthread_mutex_lock(&fb->lock);
	fb->pic_exits++;
	/* A word access to 0x20 touches 0x20 and 0x21, byte by byte. */
	for (uint32_t i = 0; i < len && off + i < 2; i++)
		nx_pic_io(&fb->x86->pic, base + off + i, data + i, is_write);
	pic_update(fb);		/* an unmask or EOI may release a request */
	pthread_mutex_unlock(&fb->lock);
}

static void pic_master(void *o, uint64_t off, uint8_t *d, uint32_t len, bool w, struct nx_vcpu *v)
{
	pic_io(o, off, d, len, w, v, NX_PIC_MASTER_CMD);
}

static void pic_slave(void *o, uint64_t off, uint8_t *d, uint32_t len, bool w, struct nx_vcpu *v)
{
	pic_io(o, off, d, len, w, v, NX_PIC_SLAVE_CMD);
}

static void pic_elcr(void *o, uint64_t off, uint8_t *d, uint32_t len, bool w, struct nx_vcpu *v)
{
	pic_io(o, off, d, len, w, v, NX_PIC_ELCR_MASTER);
}

int nx_fallback_split_init(struct nx_fallback *fb)
{
	struct nx_vm *vm = fb->vm;

	fb->gate.ops.deliver = deliver;
	nx_ioapic_init(&fb->x86->ioapic, fb, rte_changed);
	nx_pic_reset(&fb->x86->pic);
	if (nx_bus_register(&vm->mmio, NX_IOAPIC_BASE, NX_IOAPIC_MMIO_SIZE, ioapic_mmio, fb, "ioapic") < 0 ||
	    nx_bus_register(&vm->pio, NX_PIC_MASTER_CMD, 2, pic_master, fb, "pic-master") < 0 ||
	    nx_bus_register(&vm->pio, NX_PIC_SLAVE_CMD, 2, pic_slave, fb, "pic-slave") < 0 ||
	    nx_bus_register(&vm->pio, NX_PIC_ELCR_MASTER, 2, pic_elcr, fb, "elcr") < 0)
		return -1;
	vm->irq = (struct nx_irq_ops){ .opaque = fb, .set_line = set_line,
		.attach_source = attach_source, .detach_source = detach_source,
		.delivered = nx_fallback_delivered, .eoi = eoi, .shutdown = shutdown,
		.before_run = before_run };
	return 0;
}

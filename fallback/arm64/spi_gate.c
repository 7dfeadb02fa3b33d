/* SPDX-License-Identifier: MIT */
/*
 * spi_gate.c - the arm64 fallback controller: gated level lines on vGIC SPIs.
 *
 *   device asserts -> source masked at the host (VFIO automask, or the
 *   gate's mask) -> trigger eventfd -> irq thread -> gate -> write the SPI's
 *   irqfd (KVM asserts the SPI, level) -> guest ISR -> guest EOI -> KVM
 *   de-asserts and signals the resamplefd -> irq thread -> gate: unmask the
 *   source (or, storming, hold it masked for the back-off).
 *
 * No vCPU exit is involved: the EOI is seen by KVM's vGIC (maintenance
 * interrupt) and reaches nexit as an eventfd.
 *
 * Rule 3 (mask until ready) cannot follow the SPI's enable bit: it lives in
 * KVM's distributor, and KVM_DEV_ARM_VGIC_GRP_DIST_REGS locks every vCPU
 * (EBUSY while one is in KVM_RUN). Readiness is the device's instead: a
 * VFIO line starts with the guest-visible INTx Disable bit set
 * (passthrough/arm64/pci.c), which vfio-pci enforces at the host until the
 * guest's driver clears it, and at shutdown the gate masks every line.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/timerfd.h>
#include <linux/kvm.h>
#include <json-c/json.h>
#include "fallback/arm64/arm64_fb.h"

static bool deliver(void *opaque, struct nx_gate_line *l)
{
	struct nx_a64_fb *fb = opaque;
	uint64_t one = 1;

	if (write(fb->line[l->gsi].irqfd, &one, sizeof(one)) != sizeof(one))
		return false;
	atomic_fetch_add(&fb->a->fallback_delivered, 1);
	return true;
}

static void arm_backoff(void *opaque, struct nx_gate_line *l, uint64_t deadline_ns)
{
	struct nx_a64_fb *fb = opaque;
	uint64_t now = nx_now_ns(), d = deadline_ns > now ? deadline_ns - now : 1;
	struct itimerspec its = { .it_value = { d / 1000000000ull, d % 1000000000ull } };

	timerfd_settime(fb->line[l->gsi].timerfd, 0, &its, NULL);
}

static void report(void *opaque, struct nx_gate_line *l, const char *what)
{
	nx_warn("SPI %u (%s): %s", l->gsi, l->src_name, what);
}

static void on_trigger(void *opaque, int fd, unsigned spi)
{
	struct nx_a64_fb *fb = opaque;
	uint64_t n;

	if (read(fd, &n, sizeof(n)) < 0)
		return;
	pthread_mutex_lock(&fb->lock);
	nx_gate_set_line(&fb->gate, spi, true, nx_now_ns());
	pthread_mutex_unlock(&fb->lock);
}

static void on_resample(void *opaque, int fd, unsigned spi)
{
	struct nx_a64_fb *fb = opaque;
	uint64_t n;

	if (read(fd, &n, sizeof(n)) < 0)
		return;
	pthread_mutex_lock(&fb->lock);
	nx_gate_line_eoi(&fb->gate, spi, nx_now_ns());
	pthread_mutex_unlock(&fb->lock);
}

static void on_backoff(void *opaque, int fd, unsigned spi)
{
	struct nx_a64_fb *fb = opaque;
	uint64_t n;

	if (read(fd, &n, sizeof(n)) < 0)
		return;
	pthread_mutex_lock(&fb->lock);
	nx_gate_backoff_expired(&fb->gate, spi, nx_now_ns());
	pthread_mutex_unlock(&fb->lock);
}

/* "irq":{"lines":[...]} in the stats JSON, as on x86. */
static void stats_hook(void *opaque, void *obj)
{
	struct nx_a64_fb *fb = opaque;
	json_object *irq = json_object_new_object(), *lines = json_object_new_array();

	pthread_mutex_lock(&fb->lock);
	for (unsigned i = 0; i < fb->gate.nlines; i++) {
		struct nx_gate_line *l = &fb->gate.lines[i];
		json_object *o, *h;

		if (!nx_gate_line_used(l))
			continue;
		o = json_object_new_object();
		h = json_object_new_array();
		json_object_object_add(o, "id", json_object_new_string(l->src_name));
		json_object_object_add(o, "spi", json_object_new_int(i));
		json_object_object_add(o, "intid", json_object_new_int(NX_A64_SPI_BASE + i));
		json_object_object_add(o, "path", json_object_new_string("fallback"));
		json_object_object_add(o, "delivered", json_object_new_int64(l->delivered));
		json_object_object_add(o, "eois", json_object_new_int64(l->eois));
		json_object_object_add(o, "masked_at_host", json_object_new_int64(l->masked_at_host));
		json_object_object_add(o, "host_masked", json_object_new_boolean(l->host_masked));
		json_object_object_add(o, "guest_masked", json_object_new_boolean(l->guest_masked));
		json_object_object_add(o, "storms", json_object_new_int64(l->storms));
		json_object_object_add(o, "dropped", json_object_new_int64(l->dropped));
		/* Not counted: the vGIC takes the guest's EOIs in the kernel. */
		json_object_object_add(o, "vmm_exits", NULL);
		for (int b = 0; b < NX_EOI_HIST_BUCKETS; b++)
			json_object_array_add(h, json_object_new_int64(l->eoi_hist[b]));
		json_object_object_add(o, "eoi_wait_hist_log2_ns", h);
		json_object_array_add(lines, o);
	}
	pthread_mutex_unlock(&fb->lock);
	json_object_object_add(irq, "lines", lines);
	json_object_object_add((json_object *)obj, "irq", irq);
}

static int start(struct nx_a64_fb *fb)
{
	if (fb->started)
		return 0;
	if (nx_irqthread_start(&fb->thr) < 0)
		return -1;
	fb->started = true;
	return 0;
}

static const char *device_opts(struct nx_vm *vm, const char *name)
{
	for (int i = 0; name && i < vm->cfg->ndevices; i++)
		if (!strcmp(vm->cfg->devices[i].name, name))
			return vm->cfg->devices[i].opts;
	return NULL;
}

static int attach(void *opaque, unsigned spi, struct nx_irq_source *src)
{
	struct nx_a64_fb *fb = opaque;
	const char *opts = device_opts(fb->vm, src->name);
	struct nx_storm_cfg storm;
	typeof(fb->line[0]) *ln;
	int r;

	if (spi >= fb->gate.nlines)
		return nx_error("fallback: SPI %u is not a gated line (0-%u)", spi, fb->gate.nlines - 1);
	if (src->trigger_fd < 0)
		return nx_error("fallback: source %s has no trigger eventfd", src->name);
	if (start(fb) < 0)
		return -1;
	ln = &fb->line[spi];
	ln->irqfd = eventfd(0, EFD_CLOEXEC);
	ln->resamplefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ln->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (ln->irqfd < 0 || ln->resamplefd < 0 || ln->timerfd < 0)
		return nx_error("fallback: eventfd/timerfd: %s", strerror(errno));
	/* Level semantics in KVM: asserted until the guest's EOI, then the
	 * resamplefd (api.rst KVM_IRQFD, KVM_IRQFD_FLAG_RESAMPLE). */
	if (nx_irqfd_assign(fb->vm, ln->irqfd, spi, ln->resamplefd) < 0)
		return -1;
	nx_storm_defaults(&storm);
	if (opts && nx_storm_parse(&storm, opts, src->name) < 0)
		return -1;
	pthread_mutex_lock(&fb->lock);
	nx_gate_set_storm(&fb->gate, spi, &storm);
	fb->gate.lines[spi].level = true;	/* SPIs of PCI INTx are level */
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
	if (nx_irqthread_add(&fb->thr, src->trigger_fd, on_trigger, fb, spi) < 0 ||
	    nx_irqthread_add(&fb->thr, ln->resamplefd, on_resample, fb, spi) < 0 ||
	    nx_irqthread_add(&fb->thr, ln->timerfd, on_backoff, fb, spi) < 0)
		return -1;
	return 0;
}

static void detach(void *opaque, unsigned spi)
{
	struct nx_a64_fb *fb = opaque;
	typeof(fb->line[0]) *ln;

	if (spi >= fb->gate.nlines || !fb->started)
		return;
	ln = &fb->line[spi];
	pthread_mutex_lock(&fb->lock);
	if (fb->gate.lines[spi].src)
		nx_irqthread_del(&fb->thr, fb->gate.lines[spi].src->trigger_fd);
	nx_gate_detach(&fb->gate, spi);
	pthread_mutex_unlock(&fb->lock);
	if (ln->irqfd >= 0) {
		nx_irqthread_del(&fb->thr, ln->resamplefd);
		nx_irqthread_del(&fb->thr, ln->timerfd);
		nx_irqfd_deassign(fb->vm, ln->irqfd, spi);
		close(ln->irqfd);
		close(ln->resamplefd);
		close(ln->timerfd);
		ln->irqfd = ln->resamplefd = ln->timerfd = -1;
	}
}

static void set_line(void *opaque, unsigned spi, bool level)
{
	struct nx_a64_fb *fb = opaque;

	nx_a64_set_spi(fb->vm, spi, level);	/* in-process devices: not gated */
}

static uint64_t delivered(void *opaque)
{
	struct nx_a64_fb *fb = opaque;

	return atomic_load(&fb->a->fallback_delivered);
}

static void shutdown_lines(void *opaque)
{
	struct nx_a64_fb *fb = opaque;

	pthread_mutex_lock(&fb->lock);
	nx_gate_reset(&fb->gate);
	pthread_mutex_unlock(&fb->lock);
}

int nx_a64_fb_init(struct nx_vm *vm, struct nx_a64 *a, struct nx_a64_fb *fb)
{
	struct nx_gate_ops ops = { .opaque = fb, .deliver = deliver, .arm_backoff = arm_backoff,
				   .report = report };

	memset(fb, 0, sizeof(*fb));
	fb->vm = vm;
	fb->a = a;
	pthread_mutex_init(&fb->lock, NULL);
	/* GSI n routes to SPI n below NX_IOAPIC_PINS (nx_a64_routes_init). */
	nx_gate_init(&fb->gate, NX_IOAPIC_PINS, &ops);
	for (int i = 0; i < NX_GATE_MAX_LINES; i++)
		fb->line[i].irqfd = fb->line[i].resamplefd = fb->line[i].timerfd = -1;
	vm->irq.opaque = fb;
	vm->irq.set_line = set_line;
	vm->irq.attach_source = attach;
	vm->irq.detach_source = detach;
	vm->irq.delivered = delivered;
	vm->irq.shutdown = shutdown_lines;
	return nx_stats_add_hook(vm, stats_hook, fb);
}


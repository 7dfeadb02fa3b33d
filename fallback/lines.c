/* SPDX-License-Identifier: MIT */
/*
 * lines.c - what every fallback controller shares, whatever its lines are
 * (x86: IOAPIC pins, split.c / kernel.c; arm64: vGIC SPIs, arm64/spi_gate.c):
 * the controller object and its lock, the gate's back-off and report ops,
 * the event-loop handlers of a line's host fds (the source's trigger
 * eventfd, KVM's resamplefd, the storm back-off timer) and the per-line
 * storm budget from the config.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include "fallback/fallback.h"

/* Interrupts the controller delivered (nexit's counter page, 0x10). */
uint64_t nx_fallback_delivered(void *opaque)
{
	return atomic_load(&((struct nx_fallback *)opaque)->delivered);
}

static void report(void *opaque, struct nx_gate_line *l, const char *what)
{
	nx_warn("irq line %u (%s): %s", l->gsi, l->src_name[0] ? l->src_name : "no source", what);
}

static void on_backoff_timer(void *opaque, int fd, uint32_t events, unsigned gsi)
{
	struct nx_fallback *fb = opaque;
	uint64_t n;

	if (read(fd, &n, sizeof(n)) < 0 && errno == EAGAIN)
		return;
	pthread_mutex_lock(&fb->lock);
	nx_gate_backoff_expired(&fb->gate, gsi, nx_now_ns());
	pthread_mutex_unlock(&fb->lock);
}

/* gate op: one timerfd per line, created at its first storm. */
static void arm_backoff(void *opaque, struct nx_gate_line *l, uint64_t deadline_ns)
{
	struct nx_fallback *fb = opaque;
	struct nx_fallback_pin *p = &fb->pins[l->gsi];
	struct itimerspec its = { .it_value = { .tv_sec = deadline_ns / 1000000000ULL,
						.tv_nsec = deadline_ns % 1000000000ULL } };

	if (p->timerfd < 0) {
		/* CLOCK_MONOTONIC: the clock of nx_now_ns(), so ABSTIME matches. */
		p->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
		if (p->timerfd < 0 ||
		    nx_loop_add(&fb->vm->loop, p->timerfd, EPOLLIN, on_backoff_timer, fb, l->gsi) < 0) {
			nx_warn("irq line %u: no back-off timer (%s): line stays masked",
				l->gsi, strerror(errno));
			return;
		}
	}
	if (timerfd_settime(p->timerfd, TFD_TIMER_ABSTIME, &its, NULL) < 0)
		nx_warn("irq line %u: timerfd_settime: %s", l->gsi, strerror(errno));
}

struct nx_fallback *nx_fallback_new(struct nx_vm *vm, const char *irqchip, const char *pin_name,
			      bool (*deliver)(void *opaque, struct nx_gate_line *l))
{
	struct nx_fallback *fb = calloc(1, sizeof(*fb));	/* lives as long as the VM */

	if (!fb)
		return nx_error_null("out of memory for the interrupt controller");
	fb->vm = vm;
	fb->irqchip = irqchip;
	fb->pin_name = pin_name;
	fb->poll_timerfd = -1;
	for (unsigned i = 0; i < NX_IOAPIC_PINS; i++) {
		fb->pins[i].timerfd = fb->pins[i].trigger_fd = -1;
		fb->pins[i].irqfd = fb->pins[i].resamplefd = -1;
	}
	pthread_mutex_init(&fb->lock, NULL);
	nx_gate_init(&fb->gate, NX_IOAPIC_PINS, &(struct nx_gate_ops){ .opaque = fb,
		     .deliver = deliver, .arm_backoff = arm_backoff, .report = report });
	return fb;
}

/* vm->irq.shutdown (power-off, reset, end of run): every line masked at
 * the host, pending state dropped (rule 3). */
void nx_fallback_shutdown(void *opaque)
{
	struct nx_fallback *fb = opaque;

	pthread_mutex_lock(&fb->lock);
	nx_gate_reset(&fb->gate);
	pthread_mutex_unlock(&fb->lock);
}

/* A source's trigger eventfd fired: the line is asserted. */
void nx_fallback_on_trigger(void *opaque, int fd, uint32_t events, unsigned gsi)
{
	struct nx_fallback *fb = opaque;
	struct nx_gate_line *l = &fb->gate.lines[gsi];
	uint64_t n;

	pthread_mutex_lock(&fb->lock);
	/* The source may have been detached (and its fd closed) since
	 * epoll_wait returned: only read the fd it still owns. */
	if (l->src && l->src->trigger_fd == fd && read(fd, &n, sizeof(n)) == sizeof(n))
		nx_gate_set_line(&fb->gate, gsi, true, nx_now_ns());
	pthread_mutex_unlock(&fb->lock);
}

/* KVM saw the guest's EOI for the line and de-asserted it (resamplefd). */
void nx_fallback_on_resample(void *opaque, int fd, uint32_t events, unsigned gsi)
{
	struct nx_fallback *fb = opaque;
	uint64_t n;

	if (read(fd, &n, sizeof(n)) < 0)
		return;
	pthread_mutex_lock(&fb->lock);
	if (fb->before_line_eoi)
		fb->before_line_eoi(fb, gsi);
	nx_gate_line_eoi(&fb->gate, gsi, nx_now_ns());
	pthread_mutex_unlock(&fb->lock);
}

int nx_fallback_watch_trigger(struct nx_fallback *fb, unsigned gsi, int fd)
{
	if (nx_loop_add(&fb->vm->loop, fd, EPOLLIN, nx_fallback_on_trigger, fb, gsi) < 0)
		return -1;
	fb->pins[gsi].trigger_fd = fd;
	return 0;
}

void nx_fallback_unwatch_trigger(struct nx_fallback *fb, unsigned gsi)
{
	if (fb->pins[gsi].trigger_fd >= 0)
		nx_loop_del(&fb->vm->loop, fb->pins[gsi].trigger_fd);
	fb->pins[gsi].trigger_fd = -1;
}

/* A [device "name"] whose name is the source's ("name" or "<type>-name")
 * may carry storm_* keys in its opts: how a line gets its own budget from
 * the config. */
int nx_fallback_storm_from_config(struct nx_fallback *fb, unsigned gsi, const struct nx_irq_source *src)
{
	const struct nx_config *c = fb->vm->cfg;
	struct nx_storm_cfg sc = fb->gate.lines[gsi].storm.cfg;

	for (int i = 0; src->name && i < c->ndevices; i++) {
		const char *n = c->devices[i].name;
		size_t ln = strlen(n), ls = strlen(src->name);

		/* "NAME" itself, or "<type>-NAME" (irqdev names its source so). */
		if (!ln || (strcmp(n, src->name) &&
			    !(ls > ln && src->name[ls - ln - 1] == '-' && !strcmp(src->name + ls - ln, n))))
			continue;
		char who[48];

		snprintf(who, sizeof(who), "device %s", n);
		if (nx_storm_parse(&sc, c->devices[i].opts, who) < 0)
			return -1;
		nx_gate_set_storm(&fb->gate, gsi, &sc);
	}
	return 0;
}

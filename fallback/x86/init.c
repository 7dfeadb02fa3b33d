/* SPDX-License-Identifier: MIT */
/*
 * init.c - nx_fallback_init on x86 (the arch hook): picks the controller
 * for vm->cfg->irqchip (split: nexit's IOAPIC + 8259 models, kernel: KVM's
 * IOAPIC with irqfd+resamplefd), starts the irq thread, and holds what both
 * share: storm back-off timers, trigger eventfds, reports, per-line storm
 * config.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/timerfd.h>
#include "fallback/fallback.h"

static struct nx_fallback *fb_of(struct nx_vm *vm)
{
	struct nx_fallback *fb = vm->irq.opaque;

	return fb && fb->magic == NX_FALLBACK_MAGIC ? fb : NULL;
}

/* Interrupts either controller delivered (nexit's counter page, 0x10). */
uint64_t nx_fb_delivered(void *opaque)
{
	return atomic_load(&((struct nx_fallback *)opaque)->delivered);
}

void nx_fb_report(void *opaque, struct nx_gate_line *l, const char *what)
{
	nx_warn("irq line %u (%s): %s", l->gsi, l->src_name[0] ? l->src_name : "no source", what);
}

static void on_backoff_timer(void *opaque, int fd, unsigned gsi)
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
void nx_fb_arm_backoff(void *opaque, struct nx_gate_line *l, uint64_t deadline_ns)
{
	struct nx_fallback *fb = opaque;
	struct nx_fb_pin *p = &fb->pins[l->gsi];
	struct itimerspec its = { .it_value = { .tv_sec = deadline_ns / 1000000000ULL,
						.tv_nsec = deadline_ns % 1000000000ULL } };

	if (p->timerfd < 0) {
		/* CLOCK_MONOTONIC: the clock of nx_now_ns(), so ABSTIME matches. */
		p->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
		if (p->timerfd < 0 ||
		    nx_irqthread_add(&fb->thr, p->timerfd, on_backoff_timer, fb, l->gsi) < 0) {
			nx_warn("irq line %u: no back-off timer (%s): line stays masked",
				l->gsi, strerror(errno));
			return;
		}
	}
	if (timerfd_settime(p->timerfd, TFD_TIMER_ABSTIME, &its, NULL) < 0)
		nx_warn("irq line %u: timerfd_settime: %s", l->gsi, strerror(errno));
}

/* irq thread: a source's trigger eventfd fired = the line is asserted. */
void nx_fb_on_trigger(void *opaque, int fd, unsigned gsi)
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

/* A [device "name"] whose name is the source's ("name" or "<type>-name")
 * may carry storm_* keys in its opts: how a line gets its own budget from
 * the config. */
int nx_fb_storm_from_config(struct nx_fallback *fb, unsigned gsi, const struct nx_irq_source *src)
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

int nx_fallback_init(struct nx_vm *vm)
{
	struct nx_fallback *fb = calloc(1, sizeof(*fb));

	if (!fb)
		return nx_error("out of memory for the interrupt controller");
	fb->magic = NX_FALLBACK_MAGIC;
	fb->vm = vm;
	fb->kernel = vm->cfg->irqchip == NX_IRQCHIP_KERNEL;
	fb->poll_timerfd = -1;
	for (unsigned i = 0; i < NX_IOAPIC_PINS; i++) {
		fb->pins[i].timerfd = fb->pins[i].trigger_fd = -1;
		fb->pins[i].irqfd = fb->pins[i].resamplefd = -1;
	}
	pthread_mutex_init(&fb->lock, NULL);
	if (nx_irqthread_start(&fb->thr) < 0)
		return -1;
	if ((fb->kernel ? nx_fb_kernel_init(fb) : nx_fb_split_init(fb)) < 0)
		return -1;
	return nx_stats_add_hook(vm, nx_fb_stats_hook, fb);
}

void nx_fallback_destroy(struct nx_vm *vm)
{
	struct nx_fallback *fb = fb_of(vm);

	if (!fb)
		return;
	nx_irqthread_stop(&fb->thr);
	for (unsigned i = 0; i < NX_IOAPIC_PINS; i++) {
		struct nx_fb_pin *p = &fb->pins[i];

		if (p->timerfd >= 0)
			close(p->timerfd);
		if (p->irqfd >= 0 && !p->direct) {
			nx_irqfd_deassign(vm, p->irqfd, i);
			close(p->irqfd);
			close(p->resamplefd);
		}
	}
	if (fb->poll_timerfd >= 0)
		close(fb->poll_timerfd);
	memset(&vm->irq, 0, sizeof(vm->irq));
	free(fb);
}

int nx_fallback_set_storm(struct nx_vm *vm, unsigned gsi, const struct nx_storm_cfg *cfg)
{
	struct nx_fallback *fb = fb_of(vm);

	if (!fb)
		return nx_error("no fallback interrupt controller");
	if (gsi >= NX_IOAPIC_PINS)
		return nx_error("storm budget: no IOAPIC pin %u", gsi);
	if (cfg->budget && (!cfg->window_ms || !cfg->backoff_ms))
		return nx_error("storm budget: window and back-off must be > 0");
	pthread_mutex_lock(&fb->lock);
	nx_gate_set_storm(&fb->gate, gsi, cfg);
	pthread_mutex_unlock(&fb->lock);
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * guard.c - storm containment for exitless MSI vectors (passthrough.h has
 * the rules, docs/passthrough.md the picture). Without posted interrupts
 * every MSI of an assigned device or a backend costs the host a wake-up and
 * a kick of the vCPU, and nexit is not on the path to throttle it. An MSI
 * is an edge: signals that arrive while the relay is held coalesce in the
 * eventfd's counter and become one interrupt, as a masked vector's pending
 * bit does (PCI 6.8.1.7). Back on the exitless path the irqfd is assigned
 * again and KVM injects anything still pending at once.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <json-c/json.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include "passthrough/passthrough.h"

struct nx_msi_guard {
	struct nx_msi_vec *v;
	struct nx_loop *loop;
	struct nx_guard_cfg cfg;
	struct nx_guard_state st;
	char id[48];
	const char *source;		/* where the count comes from */
	uint64_t (*count)(void *opaque);
	void *opaque;
	int timer_fd;
	bool relaying;			/* the eventfd is in the thread's epoll */
	bool held;			/* this window's relay budget is spent */
	uint32_t window_relayed;
	uint64_t storms, returns, extended, relayed, relay_failed, held_windows, signals;
	uint64_t reports;
	/* The last NX_GUARD_HIST windows' counts, 'g' where the vector was
	 * gated at the window's end: the storm's course as the guard saw it. */
	uint32_t hist[NX_GUARD_HIST];
	char hist_gated[NX_GUARD_HIST];
	uint64_t ticks, gated_windows;
};


/* ---- the decision -------------------------------------------------------- */
enum nx_guard_action nx_guard_tick(struct nx_guard_state *s, const struct nx_guard_cfg *c,
				   uint64_t count, uint64_t now_ms)
{
	uint64_t n, windows;

	if (!s->primed || count < s->last) {	/* first look, or the source restarted */
		s->primed = true;
		s->last = count;
		s->last_ms = now_ms;
		return NX_GUARD_NONE;
	}
	/* The timer shares the VM's event loop with everything else: a tick
	 * handled late covers more than one window. The budget is a rate, so
	 * the count is taken per window of the time it covers (rounded up),
	 * else one late look at a calm source reads as a storm. */
	windows = c->window_ms ? (now_ms - s->last_ms + c->window_ms / 2) / c->window_ms : 1;
	if (!windows)
		windows = 1;
	n = (count - s->last + windows - 1) / windows;
	s->last = count;
	s->last_ms = now_ms;
	s->last_window = n;
	if (n > s->peak_window)
		s->peak_window = n;
	if (!c->budget)
		return NX_GUARD_NONE;
	if (!s->gated) {
		if (n <= c->budget)
			return NX_GUARD_NONE;
		s->gated = true;
		s->gated_at_ms = now_ms;
		s->backoff_peak = 0;
		return NX_GUARD_GATE;
	}
	if (n > s->backoff_peak)
		s->backoff_peak = n;
	if (now_ms - s->gated_at_ms < c->backoff_ms)
		return NX_GUARD_NONE;
	/* Hysteresis: back only when the whole back-off stayed at half the
	 * budget or less, else another back-off. */
	if (s->backoff_peak * 2 <= c->budget) {
		s->gated = false;
		return NX_GUARD_UNGATE;
	}
	s->gated_at_ms = now_ms;
	s->backoff_peak = 0;
	return NX_GUARD_EXTEND;
}

static int opt_u32(const char *opts, const char *key, uint32_t *v, uint32_t min, const char *dev)
{
	char b[32], *end;
	const char *p = nx_dev_opt(opts, key, b, sizeof(b));
	unsigned long x;

	if (!p)
		return 0;
	errno = 0;
	x = strtoul(p, &end, 10);
	if (end == p || *end || errno || x > 10000000 || x < min || *p == '-')
		return nx_error("device %s: %s must be a number from %u to 10000000", dev, key, min);
	*v = (uint32_t)x;
	return 0;
}

int nx_guard_parse(const char *opts, struct nx_guard_cfg *c, const char *dev)
{
	*c = (struct nx_guard_cfg){ NX_GUARD_BUDGET, NX_GUARD_WINDOW_MS, NX_GUARD_BACKOFF_MS };
	if (opt_u32(opts, "msi_budget", &c->budget, 0, dev) < 0 ||
	    opt_u32(opts, "msi_window_ms", &c->window_ms, 1, dev) < 0 ||
	    opt_u32(opts, "msi_backoff_ms", &c->backoff_ms, 1, dev) < 0)
		return -1;
	return 0;
}

/* ---- the relay (bus lock held) ------------------------------------------ */
void nx_guard_sync(struct nx_msi_guard *g)
{
	bool on = g && g->v->gated && g->v->state == NX_MSI_VEC_ACTIVE && !g->held;

	if (!g || g->relaying == on)
		return;
	if (nx_loop_pause(g->loop, g->v->efd, !on) < 0)
		nx_warn("msi %s: cannot %s the storm relay: %s", g->id, on ? "start" : "stop",
			strerror(errno));
	g->relaying = on;
}

/* pt thread: the gated vector's eventfd counts. One interrupt for what came
 * since the last read, while this window's relay budget lasts; then the
 * eventfd is left alone (its count is the pending bit) until the next tick. */
static void on_relay(void *op, int fd, uint32_t events, unsigned tag)
{
	struct nx_msi_guard *g = op;
	struct nx_msi_vec *v = g->v;
	uint64_t n;

	nx_pci_lock(v->vm);
	if (!v->gated || v->state != NX_MSI_VEC_ACTIVE) {
		nx_guard_sync(g);
		nx_pci_unlock(v->vm);
		return;
	}
	if (g->window_relayed >= NX_GUARD_RELAY(g->cfg.budget)) {
		g->held = true;
		g->held_windows++;
		nx_guard_sync(g);
		nx_pci_unlock(v->vm);
		return;
	}
	if (read(fd, &n, sizeof(n)) == sizeof(n)) {
		g->signals += n;
		/* The route's own message: the guest's destination and vector.
		 * KVM_SIGNAL_MSI: > 0 delivered, 0 blocked by the guest's LAPIC. */
		int r = nx_signal_msi(v->vm, v->msg.addr, v->msg.data, v->devid);

		g->window_relayed++;
		if (r > 0) {
			g->relayed++;
			atomic_fetch_add(&v->vm->stats.msi_relayed, 1);
		} else {
			g->relay_failed++;
		}
	}
	nx_pci_unlock(v->vm);
}

/* ---- gating ---------------------------------------------------------------- */
static void gate(struct nx_msi_guard *g)
{
	struct nx_msi_vec *v = g->v;

	if (v->irqfd_on) {
		nx_irqfd_deassign(v->vm, v->efd, (unsigned)v->gsi);
		v->irqfd_on = false;
	}
	v->gated = true;
	g->storms++;
	g->held = false;
	g->window_relayed = 0;
	nx_guard_sync(g);
}

static void ungate(struct nx_msi_guard *g)
{
	struct nx_msi_vec *v = g->v;

	v->gated = false;
	g->held = false;
	nx_guard_sync(g);
	g->returns++;
	/* KVM_IRQFD injects at once if the eventfd still counts. */
	if (v->state == NX_MSI_VEC_ACTIVE &&
	    nx_irqfd_assign(v->vm, v->efd, (unsigned)v->gsi, -1) == 0)
		v->irqfd_on = true;
}

/* Reports are bounded: a vector that storms again and again is counted. */
static void report(struct nx_msi_guard *g, const char *fmt, uint64_t a)
{
	if (++g->reports <= 10)
		nx_warn(fmt, g->id, a, g->cfg.budget, g->cfg.window_ms, NX_GUARD_RELAY(g->cfg.budget),
			g->cfg.backoff_ms);
}

/* pt thread, once per window. */
static void on_tick(void *op, int fd, uint32_t events, unsigned tag)
{
	struct nx_msi_guard *g = op;
	struct nx_msi_vec *v = g->v;
	/* The count and its time together: the lock may make us wait. */
	uint64_t ticks, count = g->count(g->opaque), now_ms = nx_now_ns() / 1000000;
	enum nx_guard_action a;

	if (read(fd, &ticks, sizeof(ticks)) != sizeof(ticks))
		return;
	nx_pci_lock(v->vm);
	a = nx_guard_tick(&g->st, &g->cfg, count, now_ms);
	g->window_relayed = 0;
	g->held = false;
	if (v->state == NX_MSI_VEC_GONE) {
		v->gated = false;
		nx_guard_sync(g);
		nx_pci_unlock(v->vm);
		return;
	}
	if (a == NX_GUARD_GATE) {
		gate(g);
		report(g, "msi %s: interrupt storm (%" PRIu64 " in a window, budget %u per %u ms): "
		       "off the exitless path, at most %u per window relayed by nexit, back-off %u ms",
		       g->st.last_window);
	} else if (a == NX_GUARD_UNGATE) {
		ungate(g);
		if (g->reports <= 10)
			nx_info("msi %s: storm over, exitless again (%" PRIu64 " interrupts relayed)",
				g->id, g->relayed);
	} else {
		if (a == NX_GUARD_EXTEND)
			g->extended++;
		nx_guard_sync(g);	/* a held relay resumes: the pending count fires */
	}
	g->hist[g->ticks % NX_GUARD_HIST] = (uint32_t)g->st.last_window;
	g->hist_gated[g->ticks % NX_GUARD_HIST] = v->gated ? 'g' : '-';
	g->ticks++;
	g->gated_windows += v->gated;	/* a relay window starts */
	nx_pci_unlock(v->vm);
}

struct nx_msi_guard *nx_guard_create(struct nx_msi_vec *v, struct nx_loop *l,
				     const struct nx_guard_cfg *c, const char *id,
				     const char *source, uint64_t (*count)(void *opaque),
				     void *opaque)
{
	struct nx_msi_guard *g;
	struct itimerspec its = { 0 };

	if (!c->budget)
		return NULL;
	g = calloc(1, sizeof(*g));
	if (!g)
		return nx_error_null("out of memory");
	*g = (struct nx_msi_guard){ .v = v, .loop = l, .cfg = *c, .source = source,
				    .count = count, .opaque = opaque };
	snprintf(g->id, sizeof(g->id), "%s", id);
	g->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (g->timer_fd < 0) {
		nx_error("msi %s: timerfd: %s", id, strerror(errno));
		free(g);
		return NULL;
	}
	its.it_value.tv_sec = its.it_interval.tv_sec = c->window_ms / 1000;
	its.it_value.tv_nsec = its.it_interval.tv_nsec = (long)(c->window_ms % 1000) * 1000000L;
	/* The relay's watch is made now and paused: its slot is reused by
	 * every later storm. */
	if (nx_loop_add(l, v->efd, EPOLLIN, on_relay, g, 0) < 0 ||
	    nx_loop_pause(l, v->efd, true) < 0 ||
	    nx_loop_add(l, g->timer_fd, EPOLLIN, on_tick, g, 0) < 0 ||
	    timerfd_settime(g->timer_fd, 0, &its, NULL) < 0)
		return nx_error_null("msi %s: cannot start the storm guard", id);
	v->guard = g;
	return g;
}

void nx_guard_json(struct nx_msi_guard *g, struct json_object *line)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "source", json_object_new_string(g->source));
	json_object_object_add(o, "state", json_object_new_string(g->v->gated ? "gated" : "exitless"));
	nx_json_u64(o, "budget", g->cfg.budget);
	nx_json_u64(o, "window_ms", g->cfg.window_ms);
	nx_json_u64(o, "backoff_ms", g->cfg.backoff_ms);
	nx_json_u64(o, "relay_per_window", NX_GUARD_RELAY(g->cfg.budget));
	nx_json_u64(o, "source_count", g->st.last);
	nx_json_u64(o, "last_window", g->st.last_window);
	nx_json_u64(o, "peak_window", g->st.peak_window);
	nx_json_u64(o, "storms", g->storms);
	nx_json_u64(o, "returns", g->returns);
	nx_json_u64(o, "backoffs_extended", g->extended);
	nx_json_u64(o, "relayed", g->relayed);
	nx_json_u64(o, "relay_failed", g->relay_failed);
	nx_json_u64(o, "relayed_signals", g->signals);
	nx_json_u64(o, "held_windows", g->held_windows);
	struct json_object *h = json_object_new_array();
	char gated[NX_GUARD_HIST + 1];
	unsigned n = g->ticks < NX_GUARD_HIST ? (unsigned)g->ticks : NX_GUARD_HIST, k = 0;

	for (uint64_t t = g->ticks - n; t < g->ticks; t++, k++) {
		json_object_array_add(h, json_object_new_int64(g->hist[t % NX_GUARD_HIST]));
		gated[k] = g->hist_gated[t % NX_GUARD_HIST];
	}
	gated[k] = 0;
	nx_json_u64(o, "windows", g->ticks);
	nx_json_u64(o, "gated_windows", g->gated_windows);
	json_object_object_add(o, "recent_windows", h);
	json_object_object_add(o, "recent_gated", json_object_new_string(gated));
	json_object_object_add(line, "guard", o);
}

/* ---- a VFIO vector's count: the host's own ------------------------------ */
uint64_t nx_host_irq_count(const char *text, const char *name)
{
	size_t nl = strlen(name);
	uint64_t total = 0;

	/* "  45:   12   0  IR-PCI-MSIX-0000:00:03.0  0-edge  vfio-msix[0](0000:00:03.0)":
	 * the per-CPU counts follow the "N:" label; the action name ends it. */
	for (const char *line = text; line && *line;) {
		const char *end = strchr(line, '\n'), *p = strchr(line, ':');
		size_t ll = end ? (size_t)(end - line) : strlen(line);

		if (p && p < line + ll && ll > nl && !strncmp(line + ll - nl, name, nl) &&
		    line[ll - nl - 1] == ' ') {
			for (p++;;) {
				char *e;
				unsigned long long c = strtoull(p, &e, 10);

				if (e == p)
					break;
				total += c;
				p = e;
			}
		}
		line = end ? end + 1 : NULL;
	}
	return total;
}

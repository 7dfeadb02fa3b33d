/* SPDX-License-Identifier: MIT */
/*
 * test_irqdev.c - irqdev's register semantics (edu layout) and the backend
 * protocol, without KVM: the shared register page, doorbell drains, raise
 * in MSI and INTx mode, factorial, and a real nexit-devd loop (devd.c) in a
 * thread driven over a socketpair with SCM_RIGHTS, as nexit drives it.
 * With /dev/kvm (skipped without): an MSI vector's route and irqfd follow
 * the guest's enable/address/data/mask (route.c rules).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <cmocka.h>
#include <linux/kvm.h>
#include "passthrough/passthrough.h"

#define NFDS (NX_DEVD_FD_RAISE0 + 2 * NX_IRQDEV_DOORBELLS)

struct fx {
	struct nx_irqdev_page *page;
	int fds[NFDS];			/* page, kick, msi, trigger, raise[8], ack[8] */
	int *raise, *ack;
	int sv[2];
	pthread_t thr;
	int serve_rc;
};

static uint64_t take(int fd)
{
	uint64_t n = 0;
	return read(fd, &n, sizeof(n)) == sizeof(n) ? n : 0;
}

static void ring(int fd)
{
	uint64_t one = 1;
	assert_int_equal(write(fd, &one, sizeof(one)), sizeof(one));
}

static bool wait_readable(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	return poll(&p, 1, ms) == 1;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	f->fds[NX_DEVD_FD_PAGE] = memfd_create("t", MFD_CLOEXEC);
	assert_int_equal(ftruncate(f->fds[0], 4096), 0);
	f->page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, f->fds[0], 0);
	assert_int_equal(nx_irqdev_page_init(f->page), 0);
	for (int i = 1; i < NFDS; i++)
		f->fds[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	f->raise = &f->fds[NX_DEVD_FD_RAISE0];
	f->ack = &f->fds[NX_DEVD_FD_RAISE0 + NX_IRQDEV_DOORBELLS];
	f->sv[0] = f->sv[1] = -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	if (f->sv[0] >= 0) {
		close(f->sv[0]);	/* nexit hangs up: the backend returns */
		pthread_join(f->thr, NULL);
		assert_int_equal(f->serve_rc, 0);
	}
	for (int i = 0; i < NFDS; i++)
		close(f->fds[i]);
	munmap(f->page, 4096);
	free(f);
	return 0;
}

/* ---- register semantics ----------------------------------------------------- */
static void test_factorial(void **state)
{
	assert_int_equal(nx_irqdev_factorial(0), 1);
	assert_int_equal(nx_irqdev_factorial(1), 1);
	assert_int_equal(nx_irqdev_factorial(5), 120);
	assert_int_equal(nx_irqdev_factorial(12), 479001600);
	assert_int_equal(nx_irqdev_factorial(13), (uint32_t)6227020800ull);	/* wraps */
}

static void test_raise_msi_signals_every_time(void **state)
{
	struct fx *f = *state;
	int msi = f->fds[NX_DEVD_FD_MSI], trig = f->fds[NX_DEVD_FD_TRIGGER];

	f->page->mode = NX_IRQDEV_MODE_MSI;
	nx_irqdev_raise(f->page, 1, msi, trig);
	nx_irqdev_raise(f->page, 1, msi, trig);	/* edu: msi_notify per raise */
	assert_int_equal(take(msi), 2);
	assert_int_equal(take(trig), 0);
	assert_int_equal(f->page->irq_status, 1);
	assert_int_equal(f->page->msi_raised, 2);
}

static void test_raise_intx_level_edges(void **state)
{
	struct fx *f = *state;
	int msi = f->fds[NX_DEVD_FD_MSI], trig = f->fds[NX_DEVD_FD_TRIGGER];

	f->page->mode = NX_IRQDEV_MODE_INTX;
	nx_irqdev_raise(f->page, 1, msi, trig);
	assert_int_equal(take(trig), 1);		/* level rose */
	nx_irqdev_raise(f->page, 2, msi, trig);
	assert_int_equal(take(trig), 0);		/* still high: no new edge */
	assert_int_equal(f->page->irq_status, 3);
	assert_int_equal(take(msi), 0);
	/* Ack 1 and 2 through doorbells: the level falls. */
	ring(f->ack[0]);
	ring(f->ack[1]);
	assert_false(nx_irqdev_drain(f->page, f->raise, f->ack));
	assert_int_equal(f->page->irq_status, 0);
	/* Masked at the host: a new assertion does not trigger... */
	f->page->intx_masked = 1;
	nx_irqdev_raise(f->page, 4, msi, -1);
	assert_int_equal(take(trig), 0);
	assert_int_equal(f->page->irq_status, 4);	/* ...but the level is there */
	/* Mode off (INTx disabled): no level at all. */
	f->page->mode = NX_IRQDEV_MODE_NONE;
	f->page->irq_status = 0;
	f->page->intx_masked = 0;
	nx_irqdev_raise(f->page, 1, msi, trig);
	assert_int_equal(take(trig), 0);
	assert_int_equal(take(msi), 0);
}

static void test_drain_acks_before_raises(void **state)
{
	struct fx *f = *state;

	/* The guest acked bit 0 of the last interrupt, then raised it again:
	 * both doorbells are pending; the result must be "asserted". */
	f->page->mode = NX_IRQDEV_MODE_INTX;
	f->page->irq_status = 1;
	ring(f->ack[0]);
	ring(f->raise[0]);
	nx_irqdev_drain(f->page, f->raise, f->ack);
	assert_int_equal(f->page->irq_status, 1);
	/* Raise bit 3 from nothing: drain reports the rising level. */
	f->page->irq_status = 0;
	ring(f->raise[3]);
	assert_true(nx_irqdev_drain(f->page, f->raise, f->ack));
	assert_int_equal(f->page->irq_status, 8);
	/* Nothing pending: nothing changes. */
	assert_false(nx_irqdev_drain(f->page, f->raise, f->ack));
	assert_int_equal(f->page->irq_status, 8);
}

static void test_parse_wait(void **state)
{
	enum nx_devd_wait w = NX_WAIT_BLOCK;

	assert_int_equal(nx_devd_parse_wait("slot=3 wait=poll", &w), 0);
	assert_int_equal(w, NX_WAIT_POLL);
	assert_int_equal(nx_devd_parse_wait("wait=adaptive", &w), 0);
	assert_int_equal(w, NX_WAIT_ADAPTIVE);
	assert_int_equal(nx_devd_parse_wait("wait=block msi=on", &w), 0);
	assert_int_equal(w, NX_WAIT_BLOCK);
	assert_int_equal(nx_devd_parse_wait("wait=spin", &w), -1);
	assert_int_equal(nx_devd_parse_wait("wait=polling", &w), -1);
	assert_int_equal(nx_devd_parse_wait("", &w), 0);
	assert_int_equal(w, NX_WAIT_BLOCK);
}

/* ---- the backend over the protocol ------------------------------------------ */
static void *serve(void *a)
{
	struct fx *f = a;
	struct nx_devd_opts o = { .wait = NX_WAIT_BLOCK };

	f->serve_rc = nx_devd_serve(f->sv[1], &o);
	close(f->sv[1]);
	return NULL;
}

static void start_backend(struct fx *f, const char *type, unsigned nfds)
{
	struct nx_devd_setup s = { 0 };

	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, f->sv), 0);
	assert_int_equal(pthread_create(&f->thr, NULL, serve, f), 0);
	snprintf(s.type, sizeof(s.type), "%s", type);
	snprintf(s.name, sizeof(s.name), "t0");
	snprintf(s.opts, sizeof(s.opts), "wait=block");
	assert_int_equal(nx_devd_send(f->sv[0], NX_DEVD_MSG_SETUP, &s, sizeof(s), f->fds, nfds), 0);
}

static void test_backend_handshake_and_factorial(void **state)
{
	struct fx *f = *state;
	struct nx_devd_hdr h;
	struct nx_devd_ready r;
	int msi = f->fds[NX_DEVD_FD_MSI], trig = f->fds[NX_DEVD_FD_TRIGGER];

	start_backend(f, "irqdev", NFDS);
	assert_true(wait_readable(f->sv[0], 5000));
	assert_int_equal(nx_devd_recv(f->sv[0], &h, &r, sizeof(r), NULL, 0), 0);
	assert_int_equal(h.type, NX_DEVD_MSG_READY);
	assert_int_equal(r.status, 0);
	assert_int_equal(r.pid, getpid());

	/* MSI mode: factorial with "raise interrupt when done". */
	nx_irqdev_page_lock(f->page);
	f->page->mode = NX_IRQDEV_MODE_MSI;
	f->page->fact = 6;
	f->page->status = IRQDEV_ST_COMPUTING | IRQDEV_ST_IRQFACT;
	nx_irqdev_page_unlock(f->page);
	ring(f->fds[NX_DEVD_FD_KICK]);
	assert_true(wait_readable(msi, 5000));	/* the MSI irqfd eventfd */
	assert_int_equal(take(msi), 1);
	nx_irqdev_page_lock(f->page);
	assert_int_equal(f->page->fact, 720);
	assert_int_equal(f->page->status, IRQDEV_ST_IRQFACT);	/* computing cleared */
	assert_int_equal(f->page->irq_status, IRQDEV_IRQ_FACT);
	assert_int_equal(f->page->facts, 1);
	/* INTx mode: a factorial done with "raise when done" asserts the level
	 * through the trigger. (Raise doorbells are nexit's own: its event
	 * thread takes them, the backend does not wait on them.) */
	f->page->mode = NX_IRQDEV_MODE_INTX;
	f->page->irq_status = 0;
	f->page->fact = 4;
	f->page->status = IRQDEV_ST_COMPUTING | IRQDEV_ST_IRQFACT;
	nx_irqdev_page_unlock(f->page);
	ring(f->fds[NX_DEVD_FD_KICK]);
	assert_true(wait_readable(trig, 5000));
	assert_int_equal(take(trig), 1);
	nx_irqdev_page_lock(f->page);
	assert_int_equal(f->page->irq_status, IRQDEV_IRQ_FACT);
	assert_int_equal(f->page->fact, 24);
	nx_irqdev_page_unlock(f->page);
	/* Factorial without the irq bit: no interrupt. */
	nx_irqdev_page_lock(f->page);
	f->page->fact = 3;
	f->page->status = IRQDEV_ST_COMPUTING;
	nx_irqdev_page_unlock(f->page);
	ring(f->fds[NX_DEVD_FD_KICK]);
	for (int i = 0; i < 500; i++) {
		bool done;
		nx_irqdev_page_lock(f->page);
		done = !(f->page->status & IRQDEV_ST_COMPUTING);
		nx_irqdev_page_unlock(f->page);
		if (done)
			break;
		usleep(10000);
	}
	assert_int_equal(f->page->fact, 6);
	assert_false(wait_readable(msi, 50));
	assert_false(wait_readable(trig, 50));
}

static void test_backend_refuses_bad_setup(void **state)
{
	struct fx *f = *state;
	struct nx_devd_hdr h;
	struct nx_devd_ready r;

	start_backend(f, "virtio-net", NFDS);
	assert_true(wait_readable(f->sv[0], 5000));
	assert_int_equal(nx_devd_recv(f->sv[0], &h, &r, sizeof(r), NULL, 0), 0);
	assert_int_equal(h.type, NX_DEVD_MSG_READY);
	assert_int_not_equal(r.status, 0);
	assert_non_null(strstr(r.msg, "unknown device type"));
	pthread_join(f->thr, NULL);
	assert_int_equal(f->serve_rc, 1);
	close(f->sv[0]);
	f->sv[0] = -1;
}

static void test_backend_wrong_fd_count(void **state)
{
	struct fx *f = *state;
	struct nx_devd_hdr h;
	struct nx_devd_ready r;

	start_backend(f, "irqdev", 4);
	assert_true(wait_readable(f->sv[0], 5000));
	assert_int_equal(nx_devd_recv(f->sv[0], &h, &r, sizeof(r), NULL, 0), 0);
	assert_int_not_equal(r.status, 0);
	pthread_join(f->thr, NULL);
	assert_int_equal(f->serve_rc, 1);
	close(f->sv[0]);
	f->sv[0] = -1;
}

/* ---- route.c on a real KVM VM ---------------------------------------------- */
static void test_msivec_follows_guest(void **state)
{
	struct nx_config *cfg = calloc(1, sizeof(*cfg));
	struct nx_vm *vm = calloc(1, sizeof(*vm));
	struct nx_msi_vec v;
	struct nx_msi_msg m = { .addr = 0xfee00000, .data = 0x41, .masked = false };
	uint64_t one = 1;

	if (access("/dev/kvm", R_OK | W_OK) < 0) {
		free(cfg);
		free(vm);
		skip();
	}
	nx_config_defaults(cfg);
	cfg->mem_bytes = 2 << 20;
	assert_int_equal(nx_vm_create(vm, cfg), 0);
	assert_int_equal(nx_msivec_init(vm, &v, -1), 0);
	assert_true(v.gsi >= NX_IOAPIC_PINS);		/* split irqchip: above the pins */
	assert_int_equal(v.state, NX_MSIVEC_DISABLED);
	assert_int_equal(vm->routes.r[v.gsi].type, 0);

	/* Enabled, unmasked: the guest's message is the route; irqfd on. */
	assert_int_equal(nx_msivec_update(&v, true, &m), 0);
	assert_int_equal(v.state, NX_MSIVEC_ACTIVE);
	assert_int_equal(vm->routes.r[v.gsi].type, KVM_IRQ_ROUTING_MSI);
	assert_int_equal(vm->routes.r[v.gsi].addr, 0xfee00000);
	assert_int_equal(vm->routes.r[v.gsi].data, 0x41);
	assert_int_equal(v.route_updates, 1);
	/* KVM's irqfd owns the eventfd now: it consumes every signal. */
	assert_int_equal(write(v.efd, &one, sizeof(one)), sizeof(one));
	assert_int_equal(nx_eventfd_count(v.efd), 0);
	/* The same message again is no route update; a new destination is. */
	assert_int_equal(nx_msivec_update(&v, true, &m), 0);
	assert_int_equal(v.route_updates, 1);
	m.addr = 0xfee01000;				/* APIC id 1 */
	assert_int_equal(nx_msivec_update(&v, true, &m), 0);
	assert_int_equal(v.route_updates, 2);
	assert_int_equal(nx_msi_dest(vm->routes.r[v.gsi].addr), 1);

	/* Masked: irqfd off, route kept; a signal now is pending. */
	m.masked = true;
	assert_int_equal(nx_msivec_update(&v, true, &m), 0);
	assert_int_equal(v.state, NX_MSIVEC_MASKED);
	assert_int_equal(v.masks, 1);
	assert_int_equal(vm->routes.r[v.gsi].type, KVM_IRQ_ROUTING_MSI);
	assert_false(nx_msivec_pending(&v));
	assert_int_equal(write(v.efd, &one, sizeof(one)), sizeof(one));
	assert_true(nx_msivec_pending(&v));
	assert_int_equal(nx_eventfd_count(v.efd), 1);
	/* Unmasked: irqfd back (KVM injects the pending signal at assign). */
	m.masked = false;
	assert_int_equal(nx_msivec_update(&v, true, &m), 0);
	assert_int_equal(v.state, NX_MSIVEC_ACTIVE);
	assert_false(nx_msivec_pending(&v));

	/* Disabled: route cleared. */
	assert_int_equal(nx_msivec_update(&v, false, &m), 0);
	assert_int_equal(v.state, NX_MSIVEC_DISABLED);
	assert_int_equal(vm->routes.r[v.gsi].type, 0);
	/* Source gone: for good, whatever the guest does next. */
	assert_int_equal(nx_msivec_update(&v, true, &m), 0);
	nx_msivec_gone(&v);
	assert_int_equal(v.state, NX_MSIVEC_GONE);
	assert_int_equal(vm->routes.r[v.gsi].type, 0);
	assert_int_equal(nx_msivec_update(&v, true, &m), 0);
	assert_int_equal(v.state, NX_MSIVEC_GONE);
	assert_int_equal(vm->routes.r[v.gsi].type, 0);
	assert_string_equal(nx_msivec_state_name(v.state), "source-gone");
	close(v.efd);
	nx_vm_destroy(vm);
	free(vm);
	free(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_factorial),
		cmocka_unit_test_setup_teardown(test_raise_msi_signals_every_time, setup, teardown),
		cmocka_unit_test_setup_teardown(test_raise_intx_level_edges, setup, teardown),
		cmocka_unit_test_setup_teardown(test_drain_acks_before_raises, setup, teardown),
		cmocka_unit_test(test_parse_wait),
		cmocka_unit_test_setup_teardown(test_backend_handshake_and_factorial, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backend_refuses_bad_setup, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backend_wrong_fd_count, setup, teardown),
		cmocka_unit_test(test_msivec_follows_guest),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

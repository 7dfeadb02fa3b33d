/* SPDX-License-Identifier: MIT */
/*
 * irqdev.c - nexit's side of the `irqdev` test device: PCI 1234:11e8 with
 * the register layout of QEMU's edu device, whose behaviour runs in an
 * out-of-process backend (nexit-devd, devd.c).
 *
 * Wiring (docs/passthrough.md has the picture):
 *  - MSI mode: the raise register BAR0+0x60 is a KVM ioeventfd (no datamatch,
 *    4 bytes) on THE SAME eventfd that is the MSI vector's KVM irqfd: a
 *    guest doorbell becomes an MSI inside KVM, with no userspace at all.
 *    The backend raises the same eventfd when a factorial finishes.
 *  - INTx mode (MSI disabled): the raise register is re-bound to per-value
 *    doorbells (datamatch 1 << i, i < 8) that nexit's passthrough event
 *    thread waits on: it applies them to the shared page and asserts the
 *    level line straight into the fallback controller, which masks,
 *    delivers and EOI-gates it. One wake-up, no exit (the backend used to
 *    take the doorbell and signal the trigger eventfd: two cross-process
 *    wake-ups, ~20 us each here). The backend asserts INTx through the
 *    trigger eventfd only when a factorial completes.
 *  - Acknowledge (0x64) is always ioeventfd doorbells (datamatch 1 << i);
 *    they are applied under the shared page lock before the line's level is
 *    read, so an EOI never sees a stale level.
 *  - Raise/ack values without a doorbell, identity, liveness, factorial and
 *    status are MMIO exits served here from the shared register page.
 *    Because an ioeventfd does not see the value, a raise through the MSI
 *    doorbell does not set bits in 0x24 (documented deviation from edu).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <json-c/json.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include "passthrough/passthrough.h"

#define CMD_INTX_DIS	(1u << 10)

struct nx_irqdev {
	struct nx_pt *pt;
	struct nx_vm *vm;
	char name[32];			/* the [device "name"] */
	char pci_name[40];
	struct nx_pci_dev *pci;
	struct nx_irqdev_page *page;
	int page_fd, kick_fd, trigger_fd;
	int raise_fd[NX_IRQDEV_DOORBELLS], ack_fd[NX_IRQDEV_DOORBELLS];
	struct nx_msi_vec msi;
	bool has_msi, has_intx;
	struct nx_irq_source src;
	unsigned intx_gsi;
	bool intx_attached;
	struct nx_registry reg;
	uint64_t bar_gpa;
	bool bar_mapped;
	enum nx_irqdev_mode bound;	/* what the doorbells are bound for */
	int sock;
	pid_t pid;			/* backend we started, 0 if connected */
	char backend[4400];
	atomic_bool gone;
	uint32_t live;
	_Atomic uint64_t mmio_exits, msi_doorbell_exits, intx_doorbell_exits;
};

/* ---- INTx: the level line as a host-side source for the fallback ------- */
static void src_mask(void *op)
{
	struct nx_irqdev *d = op;

	nx_irqdev_page_lock(d->page);
	d->page->intx_masked = 1;
	nx_irqdev_page_unlock(d->page);
}

static void src_unmask(void *op)
{
	struct nx_irqdev *d = op;

	nx_irqdev_page_lock(d->page);
	d->page->intx_masked = 0;
	nx_irqdev_page_unlock(d->page);
}

static bool src_is_asserted(void *op)
{
	struct nx_irqdev *d = op;
	bool lvl;

	nx_irqdev_page_lock(d->page);
	/* Doorbells the guest rang before its EOI are in the eventfds now. */
	nx_irqdev_drain(d->page, d->raise_fd, d->ack_fd);
	lvl = !atomic_load(&d->gone) && d->page->mode == NX_IRQDEV_MODE_INTX &&
	      d->page->irq_status;
	nx_irqdev_page_unlock(d->page);
	nx_pci_set_intx_status(d->pci, lvl);
	return lvl;
}

static void trigger(struct nx_irqdev *d)
{
	uint64_t one = 1;

	if (write(d->trigger_fd, &one, sizeof(one)) == sizeof(one))
		d->page->intx_raised++;
}

/* Page locked: doorbells in, then a rising level goes to the controller. */
static void sync_locked(struct nx_irqdev *d)
{
	if (nx_irqdev_drain(d->page, d->raise_fd, d->ack_fd) && !d->page->intx_masked)
		trigger(d);
}

/* pt event thread: the guest rang an INTx raise doorbell. */
static void on_intx_doorbell(void *op, int fd, uint32_t events)
{
	struct nx_irqdev *d = op;
	bool rise;

	nx_irqdev_page_lock(d->page);
	rise = nx_irqdev_drain(d->page, d->raise_fd, d->ack_fd) && !d->page->intx_masked &&
	       d->intx_attached && !atomic_load(&d->gone);
	if (rise)
		d->page->intx_raised++;
	nx_irqdev_page_unlock(d->page);
	/* Outside the page lock: the controller calls back into src_mask(). */
	if (rise)
		nx_irq_set_line(d->vm, d->intx_gsi, true);
}

/* ---- doorbells: which eventfd KVM signals for 0x60 / 0x64 -------------- */
static void bind_doorbells(struct nx_irqdev *d)
{
	uint64_t raise = d->bar_gpa + IRQDEV_REG_RAISE, ack = d->bar_gpa + IRQDEV_REG_ACK;
	enum nx_irqdev_mode mode = d->page->mode;

	nx_reg_ioeventfd_drop(&d->reg, 0, 0);
	d->bound = NX_IRQDEV_MODE_NONE;
	if (!d->bar_mapped || atomic_load(&d->gone))
		return;
	for (int i = 0; i < NX_IRQDEV_DOORBELLS; i++)
		if (nx_reg_ioeventfd(&d->reg, d->ack_fd[i], ack, 4, true, 1u << i) < 0)
			goto fail;
	if (mode == NX_IRQDEV_MODE_MSI) {
		/* The MSI doorbell: ioeventfd eventfd == irqfd eventfd. */
		if (nx_reg_ioeventfd(&d->reg, d->msi.efd, raise, 4, false, 0) < 0)
			goto fail;
	} else if (mode == NX_IRQDEV_MODE_INTX) {
		for (int i = 0; i < NX_IRQDEV_DOORBELLS; i++)
			if (nx_reg_ioeventfd(&d->reg, d->raise_fd[i], raise, 4, true, 1u << i) < 0)
				goto fail;
	}
	d->bound = mode;
	return;
fail:
	/* Without doorbells every register write is an exit: still correct. */
	nx_warn("irqdev %s: doorbells not bound, register writes exit to nexit", d->name);
	nx_reg_ioeventfd_drop(&d->reg, 0, 0);
}

/* MSI enabled -> MSI; else INTx unless the command register disables it. */
static void set_mode(struct nx_irqdev *d)
{
	enum nx_irqdev_mode m = NX_IRQDEV_MODE_NONE;
	bool rise;

	if (atomic_load(&d->gone))
		m = NX_IRQDEV_MODE_NONE;
	else if (nx_pci_msi_enabled(d->pci))
		m = NX_IRQDEV_MODE_MSI;
	else if (d->has_intx && !(nx_pci_command(d->pci) & CMD_INTX_DIS))
		m = NX_IRQDEV_MODE_INTX;
	nx_irqdev_page_lock(d->page);
	sync_locked(d);
	rise = d->page->mode != NX_IRQDEV_MODE_INTX && m == NX_IRQDEV_MODE_INTX &&
	       d->page->irq_status;
	d->page->mode = m;
	if (rise && !d->page->intx_masked)
		trigger(d);
	nx_irqdev_page_unlock(d->page);
	if (d->bound != m || !d->reg.n)
		bind_doorbells(d);
}

/* ---- PCI callbacks (bus lock held) -------------------------------------- */
static void op_bar_map(struct nx_pci_dev *p, int bar, uint64_t gpa, bool on)
{
	struct nx_irqdev *d = p->priv;

	d->bar_mapped = on;
	d->bar_gpa = gpa;
	bind_doorbells(d);
}

static void op_msi(struct nx_pci_dev *p)
{
	struct nx_irqdev *d = p->priv;
	struct nx_msi_msg m;

	nx_pci_msi_msg(p, 0, &m);
	nx_msivec_update(&d->msi, nx_pci_msi_enabled(p), &m);
	set_mode(d);
}

static void op_command(struct nx_pci_dev *p, uint16_t old, uint16_t val)
{
	set_mode(p->priv);
}

static const struct nx_pci_ops irqdev_ops = {
	.bar_map = op_bar_map, .msi_update = op_msi, .command = op_command,
};

/* ---- BAR0 exits ------------------------------------------------------- */
static void irqdev_mmio(void *op, uint64_t off, uint8_t *data, uint32_t len, bool w,
			struct nx_vcpu *vcpu)
{
	struct nx_irqdev *d = op;
	struct nx_irqdev_page *p = d->page;
	uint32_t v = 0, r = 0;
	uint64_t one = 1;

	atomic_fetch_add(&d->mmio_exits, 1);
	if (atomic_load(&d->gone)) {
		/* Surprise removal: reads float high, writes go nowhere. */
		if (!w)
			memset(data, 0xff, len);
		return;
	}
	memcpy(&v, data, len < 4 ? len : 4);
	nx_irqdev_page_lock(p);
	sync_locked(d);
	switch (off) {
	case IRQDEV_REG_ID:
		r = NX_IRQDEV_ID;
		break;
	case IRQDEV_REG_LIVE:
		if (w)
			d->live = v;
		r = ~d->live;
		break;
	case IRQDEV_REG_FACT:
		/* edu ignores a new operand while computing. */
		if (w && !(p->status & IRQDEV_ST_COMPUTING)) {
			p->fact = v;
			p->status |= IRQDEV_ST_COMPUTING;
			if (write(d->kick_fd, &one, sizeof(one)) != sizeof(one))
				nx_warn("irqdev %s: cannot kick the backend", d->name);
		}
		r = p->fact;
		break;
	case IRQDEV_REG_STATUS:
		if (w)
			p->status = (p->status & IRQDEV_ST_COMPUTING) | (v & IRQDEV_ST_IRQFACT);
		r = p->status;
		break;
	case IRQDEV_REG_IRQ_STATUS:
		r = p->irq_status;
		break;
	case IRQDEV_REG_RAISE:
		if (w) {
			/* A value without a doorbell (or doorbells unbound). */
			atomic_fetch_add(p->mode == NX_IRQDEV_MODE_MSI ? &d->msi_doorbell_exits :
					 &d->intx_doorbell_exits, 1);
			nx_irqdev_raise(p, v, d->msi.efd, p->intx_masked ? -1 : d->trigger_fd);
		}
		break;
	case IRQDEV_REG_ACK:
		if (w) {
			atomic_fetch_add(p->mode == NX_IRQDEV_MODE_MSI ? &d->msi_doorbell_exits :
					 &d->intx_doorbell_exits, 1);
			p->irq_status &= ~v;	/* the level falls with the last bit */
		}
		break;
	default:
		break;		/* DMA engine (0x80-0x98) not modelled: reads 0 */
	}
	nx_irqdev_page_unlock(p);
	if (!w) {
		uint64_t q = r;
		memcpy(data, &q, len > 8 ? 8 : len);
	}
}

/* ---- the backend dies ----------------------------------------------------- */
static void on_backend_hup(void *op, int fd, uint32_t events)
{
	struct nx_irqdev *d = op;
	struct nx_vm *vm = d->vm;
	char how[64] = "";
	char buf[64];
	int st;

	if (!(events & (EPOLLHUP | EPOLLRDHUP | EPOLLERR)) && recv(fd, buf, sizeof(buf), MSG_DONTWAIT) != 0)
		return;		/* stray data after READY: ignore */
	nx_pci_lock(vm);
	if (atomic_exchange(&d->gone, true)) {
		nx_pci_unlock(vm);
		return;
	}
	/* Mask every line: MSI route cleared + irqfd deassigned, doorbells
	 * unbound (accesses exit and read all-ones), INTx source detached. */
	nx_msivec_gone(&d->msi);
	nx_reg_ioeventfd_drop(&d->reg, 0, 0);
	nx_irqdev_page_lock(d->page);
	d->page->mode = NX_IRQDEV_MODE_NONE;
	nx_irqdev_page_unlock(d->page);
	nx_pci_unlock(vm);
	if (d->intx_attached && vm->irq.detach_source)
		vm->irq.detach_source(vm->irq.opaque, d->intx_gsi);
	nx_pt_unwatch(&d->pt->loop, fd);
	if (d->pid > 0 && waitpid(d->pid, &st, WNOHANG) == d->pid) {
		if (WIFSIGNALED(st))
			snprintf(how, sizeof(how), " (pid %d killed by signal %d)", d->pid, WTERMSIG(st));
		else
			snprintf(how, sizeof(how), " (pid %d exited with %d)", d->pid, WEXITSTATUS(st));
	}
	buf[0] = 0;
	if (d->intx_attached)
		snprintf(buf, sizeof(buf), ", intx gsi %u", d->intx_gsi);
	nx_warn("irqdev %s: backend %s hung up%s: lines masked (msi gsi %d%s), guest keeps running",
		d->name, d->pid ? "nexit-devd" : d->backend, how, d->msi.gsi, buf);
}

/* ---- backend connection --------------------------------------------------- */
static int connect_backend(struct nx_irqdev *d, const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int s;

	if (strlen(path) >= sizeof(a.sun_path))
		return nx_error("irqdev %s: backend socket path too long: %s", d->name, path);
	strcpy(a.sun_path, path);
	s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (s < 0)
		return nx_error("socket: %s", strerror(errno));
	/* The backend may still be starting: retry for up to 2 s. */
	for (int i = 0; connect(s, (struct sockaddr *)&a, sizeof(a)) < 0; i++) {
		if ((errno != ENOENT && errno != ECONNREFUSED) || i == 40) {
			int e = errno;
			close(s);
			return nx_error("irqdev %s: cannot connect to backend %s: %s "
					"(start it with: nexit-devd --socket %s)", d->name, path,
					strerror(e), path);
		}
		usleep(50 * 1000);
	}
	return s;
}

static int spawn_backend(struct nx_irqdev *d)
{
	char exe[4200];
	int sv[2];

	snprintf(exe, sizeof(exe), "%s/nexit-devd", d->pt->exe_dir);
	if (access(exe, X_OK) < 0)
		return nx_error("irqdev %s: no backend given and %s is missing (build it with make, "
				"or give backend=SOCKET)", d->name, exe);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return nx_error("socketpair: %s", strerror(errno));
	d->pid = fork();
	if (d->pid < 0)
		return nx_error("fork: %s", strerror(errno));
	if (d->pid == 0) {
		sigset_t none;

		/* The backend goes with nexit (PR_SET_PDEATHSIG survives exec). */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		if (dup2(sv[1], 3) < 0)
			_exit(127);
		execl(exe, "nexit-devd", "--fd", "3", (char *)NULL);
		_exit(127);
	}
	close(sv[1]);
	snprintf(d->backend, sizeof(d->backend), "%s (pid %d)", exe, d->pid);
	return sv[0];
}

static int handshake(struct nx_irqdev *d, const char *opts)
{
	struct nx_devd_setup s = { 0 };
	struct nx_devd_ready r = { 0 };
	struct nx_devd_hdr h;
	int fds[NX_DEVD_FD_RAISE0 + 2 * NX_IRQDEV_DOORBELLS];
	struct pollfd pfd = { .fd = d->sock, .events = POLLIN };
	int n = 0, got;

	snprintf(s.type, sizeof(s.type), "irqdev");
	snprintf(s.name, sizeof(s.name), "%s", d->name);
	snprintf(s.opts, sizeof(s.opts), "%s", opts);
	fds[n++] = d->page_fd;
	fds[n++] = d->kick_fd;
	fds[n++] = d->msi.efd;
	fds[n++] = d->trigger_fd;
	for (int i = 0; i < NX_IRQDEV_DOORBELLS; i++)
		fds[n++] = d->raise_fd[i];
	for (int i = 0; i < NX_IRQDEV_DOORBELLS; i++)
		fds[n++] = d->ack_fd[i];
	if (nx_devd_send(d->sock, NX_DEVD_MSG_SETUP, &s, sizeof(s), fds, (unsigned)n) < 0)
		return nx_error("irqdev %s: cannot send SETUP to backend %s: %s", d->name,
				d->backend, strerror(errno));
	if (poll(&pfd, 1, 5000) <= 0)
		return nx_error("irqdev %s: backend %s did not answer SETUP within 5 s", d->name,
				d->backend);
	got = nx_devd_recv(d->sock, &h, &r, sizeof(r), NULL, 0);
	if (got < 0 || h.type != NX_DEVD_MSG_READY)
		return nx_error("irqdev %s: backend %s %s", d->name, d->backend,
				got == -2 ? "hung up during SETUP" : "sent no READY (protocol mismatch)");
	r.msg[sizeof(r.msg) - 1] = 0;
	if (r.status)
		return nx_error("irqdev %s: backend refused SETUP: %s", d->name, r.msg);
	if (!d->pid)
		snprintf(d->backend + strlen(d->backend), sizeof(d->backend) - strlen(d->backend),
			 " (pid %d)", r.pid);
	return 0;
}

/* ---- options ------------------------------------------------------------ */
static int opt_bool(const char *opts, const char *key, bool *v, const char *dev)
{
	char pat[32];
	const char *p;

	snprintf(pat, sizeof(pat), "%s=", key);
	for (p = strstr(opts, pat); p && p != opts && p[-1] != ' '; p = strstr(p + 1, pat))
		;
	if (!p)
		return 0;
	p += strlen(pat);
	if (!strncmp(p, "on", 2) && (!p[2] || p[2] == ' '))
		*v = true;
	else if (!strncmp(p, "off", 3) && (!p[3] || p[3] == ' '))
		*v = false;
	else
		return nx_error("device %s: %s must be on or off", dev, key);
	return 0;
}

static int opt_slot(const char *opts, int *slot, const char *dev)
{
	const char *p = strstr(opts, "slot=");
	char *end;
	long v;

	if (!p || (p != opts && p[-1] != ' '))
		return 0;
	v = strtol(p + 5, &end, 0);
	if (end == p + 5 || (*end && *end != ' ') || v < 1 || v >= NX_PCI_SLOTS)
		return nx_error("device %s: slot must be 1..%d", dev, NX_PCI_SLOTS - 1);
	*slot = (int)v;
	return 0;
}

static int new_efd(void)
{
	int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

	if (fd < 0)
		nx_error("eventfd: %s", strerror(errno));
	return fd;
}

struct nx_irqdev *nx_irqdev_create(struct nx_pt *pt, const struct nx_device_cfg *c)
{
	struct nx_vm *vm = pt->vm;
	struct nx_irqdev *d = calloc(1, sizeof(*d));
	enum nx_devd_wait wait = NX_WAIT_BLOCK;
	int slot = -1;

	if (!d) {
		nx_error("out of memory");
		return NULL;
	}
	d->pt = pt;
	d->vm = vm;
	d->reg.vm = vm;
	d->has_msi = d->has_intx = true;
	snprintf(d->name, sizeof(d->name), "%s", c->name);
	snprintf(d->pci_name, sizeof(d->pci_name), "irqdev-%s", c->name);
	if (opt_bool(c->opts, "msi", &d->has_msi, c->name) < 0 ||
	    opt_bool(c->opts, "intx", &d->has_intx, c->name) < 0 ||
	    opt_slot(c->opts, &slot, c->name) < 0)
		return NULL;
	if (nx_devd_parse_wait(c->opts, &wait) < 0) {
		nx_error("device %s: wait must be block, poll or adaptive", c->name);
		return NULL;
	}

	/* The shared register page. */
	d->page_fd = memfd_create("nexit-irqdev", MFD_CLOEXEC);
	if (d->page_fd < 0 || ftruncate(d->page_fd, 4096) < 0) {
		nx_error("irqdev %s: register page memfd: %s", c->name, strerror(errno));
		return NULL;
	}
	d->page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, d->page_fd, 0);
	if (d->page == MAP_FAILED || nx_irqdev_page_init(d->page) < 0) {
		nx_error("irqdev %s: register page: %s", c->name, strerror(errno));
		return NULL;
	}
	if ((d->kick_fd = new_efd()) < 0 || (d->trigger_fd = new_efd()) < 0)
		return NULL;
	for (int i = 0; i < NX_IRQDEV_DOORBELLS; i++)
		if ((d->raise_fd[i] = new_efd()) < 0 || (d->ack_fd[i] = new_efd()) < 0)
			return NULL;
	if (nx_msivec_init(vm, &d->msi, -1) < 0)
		return NULL;

	/* The backend: a socket we are given, or nexit-devd we start. */
	if (c->backend[0]) {
		snprintf(d->backend, sizeof(d->backend), "%s", c->backend);
		d->sock = connect_backend(d, c->backend);
	} else {
		d->sock = spawn_backend(d);
	}
	if (d->sock < 0 || handshake(d, c->opts) < 0)
		return NULL;

	/* The PCI function: class 00ff (unclassified), like edu. */
	d->pci = nx_pci_dev_new(vm, d->pci_name, NX_IRQDEV_VENDOR, NX_IRQDEV_DEVICE, 0x00ff00, slot);
	if (!d->pci)
		return NULL;
	d->pci->ops = &irqdev_ops;
	d->pci->priv = d;
	if (nx_pci_add_bar(d->pci, 0, NX_IRQDEV_BAR_SIZE, 0, irqdev_mmio, d) < 0 ||
	    (d->has_msi && nx_pci_add_msi(d->pci, 1, true) < 0) ||
	    (d->has_intx && nx_pci_set_intx(d->pci, 0) < 0) ||
	    nx_pci_dev_register(d->pci) < 0)
		return NULL;

	if (d->has_intx) {
		d->intx_gsi = nx_pci_intx_line(d->pci);
		d->src = (struct nx_irq_source){ .name = d->pci_name, .opaque = d,
			.trigger_fd = d->trigger_fd, .resample_fd = -1, .mask = src_mask,
			.unmask = src_unmask, .is_asserted = src_is_asserted };
		if (vm->irq.attach_source) {
			if (vm->irq.attach_source(vm->irq.opaque, d->intx_gsi, &d->src) < 0)
				return NULL;
			d->intx_attached = true;
		} else {
			nx_warn("irqdev %s: no interrupt controller for INTx (gsi %u): MSI only",
				c->name, d->intx_gsi);
		}
	}
	nx_pci_lock(vm);
	set_mode(d);
	nx_pci_unlock(vm);
	if (nx_pt_watch(&pt->loop, d->sock, EPOLLIN | EPOLLRDHUP, on_backend_hup, d) < 0)
		return NULL;
	for (int i = 0; d->intx_attached && i < NX_IRQDEV_DOORBELLS; i++)
		if (nx_pt_watch(&pt->loop, d->raise_fd[i], EPOLLIN, on_intx_doorbell, d) < 0)
			return NULL;
	nx_info("irqdev %s: PCI 00:%02x.0, BAR0 0x%llx, MSI gsi %d, INTx gsi %u, backend %s",
		c->name, d->pci->slot, (unsigned long long)d->pci->bar[0].addr, d->msi.gsi,
		d->intx_gsi, d->backend);
	return d;
}

void nx_irqdev_lines_json(struct nx_irqdev *d, struct json_object *arr)
{
	char id[64];
	struct json_object *o;

	nx_pci_lock(d->vm);
	if (d->has_msi) {
		snprintf(id, sizeof(id), "%s.msi0", d->name);
		o = nx_pt_line_json(id, &d->msi, atomic_load(&d->msi_doorbell_exits),
				    (int64_t)d->page->msi_raised);
		json_object_object_add(o, "delivered_by", json_object_new_string("backend"));
		json_object_object_add(o, "device", json_object_new_string(d->name));
		json_object_array_add(arr, o);
	}
	nx_pci_unlock(d->vm);
}

/* Device-level counters under root."passthrough"."devices". */
void nx_irqdev_device_json(struct nx_irqdev *d, struct json_object *arr)
{
	struct json_object *o = json_object_new_object();
	static const char *const modes[] = { "none", "msi", "intx" };
	bool gone = atomic_load(&d->gone);

	json_object_object_add(o, "name", json_object_new_string(d->name));
	json_object_object_add(o, "type", json_object_new_string("irqdev"));
	json_object_object_add(o, "slot", json_object_new_int(d->pci->slot));
	json_object_object_add(o, "backend", json_object_new_string(d->backend));
	json_object_object_add(o, "state", json_object_new_string(gone ? "source-gone" : "running"));
	json_object_object_add(o, "mode", json_object_new_string(modes[d->page->mode % 3]));
	json_object_object_add(o, "mmio_exits", json_object_new_int64((int64_t)atomic_load(&d->mmio_exits)));
	json_object_object_add(o, "ioeventfds", json_object_new_int(d->reg.n));
	json_object_object_add(o, "intx_gsi", d->has_intx ? json_object_new_int((int)d->intx_gsi) : NULL);
	json_object_object_add(o, "intx_state", json_object_new_string(
		!d->has_intx ? "none" : gone ? "source-gone" : d->intx_attached ? "attached" : "no-controller"));
	json_object_object_add(o, "intx_raised", json_object_new_int64((int64_t)d->page->intx_raised));
	json_object_object_add(o, "intx_doorbell_exits",
			       json_object_new_int64((int64_t)atomic_load(&d->intx_doorbell_exits)));
	json_object_object_add(o, "factorials", json_object_new_int64((int64_t)d->page->facts));
	json_object_object_add(o, "backend_wakeups", json_object_new_int64((int64_t)d->page->wakeups));
	json_object_array_add(arr, o);
}

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
 *  - INTx mode (MSI disabled), split irqchip: the raise register is an MMIO
 *    exit, and the vCPU thread that took it asserts the level line into
 *    the fallback controller, which masks, delivers (KVM_SIGNAL_MSI to the
 *    vCPU that is about to re-enter) and EOI-gates it: QEMU's edu path,
 *    with no thread wake-up (a doorbell served by another thread cost one
 *    cross-CPU wake-up, 2-2.5x QEMU's latency in the nested machine,
 *    docs/fallback.md). irqchip=kernel: the raise register is per-value
 *    doorbells (datamatch 1 << i, i < 8) that nexit's passthrough event
 *    thread waits on and asserts from, so the line takes no VMM exit
 *    there. A factorial's "raise when done" is asserted by the thread
 *    that takes the DONE. Whatever rose the level, nx_irq_set_line is the
 *    line's one way in (unlock_assert).
 *  - Acknowledge (0x64) is ioeventfd doorbells (datamatch 1 << i), applied
 *    under the device lock before the line's level is read, so an EOI never
 *    sees a stale level; for INTx under split KVM queues its writes instead
 *    (queue_acks), so the raise exit needs no poll().
 *  - Raise/ack values without a doorbell, identity, liveness, factorial and
 *    status are MMIO exits served here from the registers, which live in
 *    nexit's private memory. Because an ioeventfd does not see the value, a
 *    raise through the MSI doorbell does not set bits in 0x24 (documented
 *    deviation from edu).
 *  - The factorial is the backend's work: a WORK message with the operand,
 *    answered by DONE (then the backend raises the MSI itself). Nothing here
 *    ever waits for the backend: messages are non-blocking, DONE is taken
 *    off the socket by whoever looks next (the event thread, or a vCPU
 *    reading the device), and a backend that does not answer within
 *    NX_DEVD_REPLY_MS, answers out of turn or hangs up is cut off.
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
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include "passthrough/passthrough.h"
#include "core/control.h"
#include "core/sandbox.h"

#define CMD_INTX_DIS	(1u << 10)

struct nx_irqdev {
	struct nx_pt *pt;
	struct nx_vm *vm;
	char name[32];			/* the [device "name"] */
	char pci_name[40];
	struct nx_pci_dev *pci;
	pthread_mutex_t lock;		/* r, the socket's sends and receives */
	struct nx_irqdev_regs r;
	bool rise;			/* INTx level rose: assert once unlocked */
	int raise_fd[NX_IRQDEV_DOORBELLS], ack_fd[NX_IRQDEV_DOORBELLS];
	uint64_t ack_zone;		/* the ack register KVM queues (gpa), or 0 */
	struct nx_msi_vec msi;
	int counters_fd;		/* the backend's counter page (SETUP) */
	struct nx_devd_counters *counters;
	struct nx_guard_cfg guard;	/* msi_budget, msi_window_ms, msi_backoff_ms */
	bool has_msi, has_intx;
	struct nx_irq_source src;
	unsigned intx_gsi;
	bool intx_attached;
	struct nx_ioev_set reg;
	uint64_t bar_gpa;
	bool bar_mapped;
	enum nx_irqdev_mode bound;	/* what the doorbells are bound for */
	int sock;			/* -1 once the backend is cut off */
	int timer_fd;			/* deadline of the WORK in flight */
	uint32_t seq;			/* of the last WORK */
	bool work_out, asked_msi;	/* a WORK in flight, and it raises the MSI */
	char cut_reason[96];		/* why nexit cut the backend off ("" = it hung up) */
	pid_t pid;			/* backend we started, 0 if connected */
	int pidfd;			/* its pidfd until reaped, -1 */
	char exit_how[64];		/* how it ended, once reaped */
	char backend[4400];
	const char *sandbox;		/* nexit-devd --sandbox MODE */
	atomic_bool gone;
	atomic_bool stopped;		/* the VM is over: its end is not news */
	_Atomic uint64_t mmio_exits, msi_doorbell_exits, intx_doorbell_exits, work_sent;
};

/* ---- the backend conversation (device lock held) ------------------------- */
/* Cut the backend off: the event thread sees the socket's hang-up and
 * masks the device's lines (backend_gone). Safe from any thread. */
static void cut_off(struct nx_irqdev *d, const char *why)
{
	if (!d->cut_reason[0])
		snprintf(d->cut_reason, sizeof(d->cut_reason), "%s", why);
	if (d->sock >= 0)
		shutdown(d->sock, SHUT_RDWR);
}

static void arm_deadline(struct nx_irqdev *d, bool on)
{
	struct itimerspec its = { 0 };

	if (on) {
		its.it_value.tv_sec = NX_DEVD_REPLY_MS / 1000;
		its.it_value.tv_nsec = (NX_DEVD_REPLY_MS % 1000) * 1000000L;
	}
	if (d->timer_fd >= 0)
		timerfd_settime(d->timer_fd, 0, &its, NULL);
}

/* The INTx level rose (device lock held). */
static void rise_locked(struct nx_irqdev *d)
{
	d->rise = true;
	d->r.intx_raised++;
}

/*
 * Drops the device lock, then asserts an INTx level that rose under it.
 * nx_irq_set_line from the thread that saw the rise (the vCPU of a raise
 * exit, the event thread of a doorbell or a DONE) is the line's one way
 * in: the controller masks the source first (src_mask, device lock), so
 * it is called without that lock, and never from a source op.
 */
static void unlock_assert(struct nx_irqdev *d)
{
	bool rise = d->rise && d->intx_attached && !atomic_load(&d->gone);

	d->rise = false;
	pthread_mutex_unlock(&d->lock);
	if (rise)
		nx_irq_set_line(d->vm, d->intx_gsi, true);
}

/* The factorial operand goes to the backend; nothing waits for it. */
static void send_work(struct nx_irqdev *d)
{
	struct nx_devd_work w = { .seq = ++d->seq, .n = d->r.fact };

	/* Raised by the backend itself (exitless) when the guest wants an
	 * interrupt and the device is in MSI mode now; else by nexit on DONE. */
	w.raise_msi = (d->r.status & NX_IRQDEV_ST_IRQFACT) && d->r.mode == NX_IRQDEV_MODE_MSI;
	if (d->sock < 0 || nx_devd_send(d->sock, NX_DEVD_MSG_WORK, &w, sizeof(w), NULL, 0,
					 MSG_DONTWAIT) < 0) {
		cut_off(d, "cannot send WORK");
		return;
	}
	d->work_out = true;
	d->asked_msi = w.raise_msi;
	atomic_fetch_add(&d->work_sent, 1);
	arm_deadline(d, true);
}

/* A DONE for the WORK in flight: the result, then edu's "raise when done". */
static void apply_done(struct nx_irqdev *d, const struct nx_devd_done *done)
{
	d->work_out = false;
	arm_deadline(d, false);
	d->r.fact = done->value;
	d->r.status &= ~NX_IRQDEV_ST_COMPUTING;
	d->r.facts++;
	if (!(d->r.status & NX_IRQDEV_ST_IRQFACT))
		return;
	if (done->raised && d->asked_msi) {
		d->r.irq_status |= NX_IRQDEV_IRQ_FACT;	/* the backend signalled the irqfd */
		d->r.msi_raised++;
	} else if (nx_irqdev_raise(&d->r, NX_IRQDEV_IRQ_FACT, d->msi.efd)) {
		rise_locked(d);
	}
}

/* Takes what the backend sent, without waiting. At most one WORK is in
 * flight (edu ignores operands while computing), so anything beyond its
 * one DONE is a protocol violation. */
static void take_replies(struct nx_irqdev *d)
{
	for (int i = 0; i < 2 && d->sock >= 0; i++) {
		struct nx_devd_hdr h;
		struct nx_devd_done done;
		int n = nx_devd_recv(d->sock, &h, &done, sizeof(done), NULL, 0, MSG_DONTWAIT);

		if (n == -2 || (n < 0 && errno == EAGAIN))
			return;		/* hang-up: the event thread's */
		if (n < 0) {
			cut_off(d, "malformed message");
			return;
		}
		if (h.type != NX_DEVD_MSG_DONE || h.size != sizeof(done) || !d->work_out ||
		    done.seq != d->seq) {
			cut_off(d, "message out of turn");
			return;
		}
		apply_done(d, &done);
	}
}

/* The INTx raise doorbells exist only under the kernel irqchip (under split
 * the raise exits, bind_doorbells()): the drains poll just the acks there. */
static const int *raise_fds(const struct nx_irqdev *d)
{
	return d->vm->cfg->irqchip == NX_IRQCHIP_KERNEL ? d->raise_fd : NULL;
}
static const int *ack_fds(const struct nx_irqdev *d)
{
	return d->ack_zone ? NULL : d->ack_fd;
}

/* ---- INTx: the level line as a host-side source for the fallback ------- */
static void src_set_masked(struct nx_irqdev *d, bool masked)
{
	pthread_mutex_lock(&d->lock);
	d->r.intx_masked = masked;
	pthread_mutex_unlock(&d->lock);
}
static void src_mask(void *op) { src_set_masked(op, true); }
static void src_unmask(void *op) { src_set_masked(op, false); }

static bool src_is_asserted(void *op)
{
	struct nx_irqdev *d = op;
	bool lvl;

	/* What the guest wrote before its EOI is queued or rung by now. */
	nx_bus_flush(&d->vm->mmio);
	pthread_mutex_lock(&d->lock);
	nx_irqdev_drain(&d->r, raise_fds(d), ack_fds(d));
	lvl = !atomic_load(&d->gone) && d->r.mode == NX_IRQDEV_MODE_INTX && d->r.irq_status;
	pthread_mutex_unlock(&d->lock);
	nx_pci_set_intx_status(d->pci, lvl);
	return lvl;
}

/* Device lock held: doorbells in; a rising level is asserted at unlock. */
static void sync_locked(struct nx_irqdev *d)
{
	if (nx_irqdev_drain(&d->r, raise_fds(d), ack_fds(d)) && !d->r.intx_masked)
		rise_locked(d);
}

/* pt event thread: the guest rang an INTx raise doorbell. */
static void on_intx_doorbell(void *op, int fd, uint32_t events, unsigned tag)
{
	struct nx_irqdev *d = op;

	pthread_mutex_lock(&d->lock);
	sync_locked(d);
	unlock_assert(d);
}

/* ---- doorbells: which eventfd KVM signals for 0x60 / 0x64 -------------- */
/*
 * INTx under split: KVM queues the ack register's writes in its coalesced
 * MMIO ring (no exit, any value) and every exit hands the queue over first
 * (nx_bus_flush, the raise and EOI exits among them), so the acks before a
 * raise are in before it without a poll(). Not in MSI mode: no exit there
 * would ever empty the ring. gpa 0 (or no ring): the doorbells.
 */
static void queue_acks(struct nx_irqdev *d, uint64_t gpa)
{
	if (d->ack_zone)
		nx_bus_coalesce(&d->vm->mmio, d->vm->vm_fd, d->ack_zone, 4, false);
	pthread_mutex_lock(&d->lock);
	nx_irqdev_drain(&d->r, NULL, ack_fds(d));	/* acks already rung go first */
	d->ack_zone = gpa && !nx_bus_coalesce(&d->vm->mmio, d->vm->vm_fd, gpa, 4, true) ? gpa : 0;
	pthread_mutex_unlock(&d->lock);
}

static void bind_doorbells(struct nx_irqdev *d, enum nx_irqdev_mode mode)
{
	uint64_t raise = d->bar_gpa + NX_IRQDEV_REG_RAISE, ack = d->bar_gpa + NX_IRQDEV_REG_ACK;
	bool up = d->bar_mapped && !atomic_load(&d->gone);

	nx_reg_ioeventfd_drop(&d->reg, 0, 0);
	d->bound = NX_IRQDEV_MODE_NONE;
	queue_acks(d, up && mode == NX_IRQDEV_MODE_INTX && !raise_fds(d) ? ack : 0);
	if (!up)
		return;
	for (int i = 0; i < NX_IRQDEV_DOORBELLS && !d->ack_zone; i++)
		if (nx_reg_ioeventfd(&d->reg, d->ack_fd[i], ack, 4, true, 1u << i) < 0)
			goto fail;
	if (mode == NX_IRQDEV_MODE_MSI) {
		/* The MSI doorbell: ioeventfd eventfd == irqfd eventfd. */
		if (nx_reg_ioeventfd(&d->reg, d->msi.efd, raise, 4, false, 0) < 0)
			goto fail;
	} else if (mode == NX_IRQDEV_MODE_INTX && d->vm->cfg->irqchip == NX_IRQCHIP_KERNEL) {
		/* Split irqchip: no raise doorbells, the write exits and the
		 * vCPU thread delivers (irqdev_mmio); see the top of the file. */
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
	queue_acks(d, 0);
}

/* MSI enabled -> MSI; else INTx unless the command register disables it.
 * Bus lock held. */
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
	pthread_mutex_lock(&d->lock);
	sync_locked(d);
	rise = d->r.mode != NX_IRQDEV_MODE_INTX && m == NX_IRQDEV_MODE_INTX && d->r.irq_status;
	d->r.mode = m;
	if (rise && !d->r.intx_masked)
		rise_locked(d);
	unlock_assert(d);	/* bus lock held: the bus lock comes before the controller's */
	if (d->bound != m || (!d->reg.n && !d->ack_zone))
		bind_doorbells(d, m);
}

/* ---- PCI callbacks (bus lock held) -------------------------------------- */
static void op_bar_map(struct nx_pci_dev *p, int bar, uint64_t gpa, bool on)
{
	struct nx_irqdev *d = p->priv;
	enum nx_irqdev_mode m;

	d->bar_mapped = on;
	d->bar_gpa = gpa;
	pthread_mutex_lock(&d->lock);
	m = d->r.mode;
	pthread_mutex_unlock(&d->lock);
	bind_doorbells(d, m);
}

static void op_msi(struct nx_pci_dev *p)
{
	struct nx_irqdev *d = p->priv;
	struct nx_msi_msg m;

	nx_pci_msi_msg(p, 0, &m);
	nx_msi_vec_update(&d->msi, nx_pci_msi_enabled(p), &m);
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
	struct nx_irqdev_regs *p = &d->r;
	uint32_t v = 0, r = 0;

	memcpy(&v, data, len < 4 ? len : 4);
	if (!vcpu) {
		/* A write KVM queued (queue_acks), handed over by nx_bus_flush,
		 * maybe under the controller's lock: it lowers the level only. */
		pthread_mutex_lock(&d->lock);
		if (off == NX_IRQDEV_REG_ACK && w)
			p->irq_status &= ~v;
		pthread_mutex_unlock(&d->lock);
		return;
	}
	atomic_fetch_add(&d->mmio_exits, 1);
	if (atomic_load(&d->gone)) {
		/* Surprise removal: reads float high, writes go nowhere. */
		if (!w)
			memset(data, 0xff, len);
		return;
	}
	pthread_mutex_lock(&d->lock);
	/* A DONE the backend sent before raising the MSI this guest may be
	 * handling now: the registers must show it. Only a WORK in flight has
	 * a reply; anything else the event thread takes and judges (one
	 * syscall less on every register exit, the INTx raise among them). */
	if (d->work_out)
		take_replies(d);
	sync_locked(d);
	switch (off) {
	case NX_IRQDEV_REG_ID:
		r = NX_IRQDEV_ID;
		break;
	case NX_IRQDEV_REG_LIVE:
		if (w)
			p->live = v;
		r = ~p->live;
		break;
	case NX_IRQDEV_REG_FACT:
		/* edu ignores a new operand while computing. */
		if (w && !(p->status & NX_IRQDEV_ST_COMPUTING)) {
			p->fact = v;
			p->status |= NX_IRQDEV_ST_COMPUTING;
			send_work(d);
		}
		r = p->fact;
		break;
	case NX_IRQDEV_REG_STATUS:
		if (w)
			p->status = (p->status & NX_IRQDEV_ST_COMPUTING) | (v & NX_IRQDEV_ST_IRQFACT);
		r = p->status;
		break;
	case NX_IRQDEV_REG_IRQ_STATUS:
		r = p->irq_status;
		break;
	case NX_IRQDEV_REG_RAISE:
		if (w) {
			/* A value without a doorbell (or doorbells unbound). */
			atomic_fetch_add(p->mode == NX_IRQDEV_MODE_MSI ? &d->msi_doorbell_exits :
					 &d->intx_doorbell_exits, 1);
			/* INTx: this vCPU thread asserts the line (unlock_assert),
			 * before it re-enters the guest. */
			if (nx_irqdev_raise(p, v, d->msi.efd))
				rise_locked(d);
		}
		break;
	case NX_IRQDEV_REG_ACK:
		if (w) {
			atomic_fetch_add(p->mode == NX_IRQDEV_MODE_MSI ? &d->msi_doorbell_exits :
					 &d->intx_doorbell_exits, 1);
			p->irq_status &= ~v;	/* the level falls with the last bit */
		}
		break;
	default:
		break;		/* DMA engine (0x80-0x98) not modelled: reads 0 */
	}
	unlock_assert(d);
	if (!w) {
		uint64_t q = r;
		memcpy(data, &q, len > 8 ? 8 : len);
	}
}

/* ---- the backend goes (hang-up, or cut off) ------------------------------ */
/* Reaps the backend we started if it has exited, and says how it ended
 * (device lock held). */
static bool reap(struct nx_irqdev *d)
{
	int st;

	if (d->pidfd < 0 || waitpid(d->pid, &st, WNOHANG) != d->pid)
		return false;
	nx_loop_del(&d->vm->loop, d->pidfd);
	close(d->pidfd);
	d->pidfd = -1;
	if (WIFSIGNALED(st))
		snprintf(d->exit_how, sizeof(d->exit_how), "pid %d killed by signal %d", d->pid,
			 WTERMSIG(st));
	else
		snprintf(d->exit_how, sizeof(d->exit_how), "pid %d exited with %d", d->pid,
			 WEXITSTATUS(st));
	return true;
}

/* pt event thread: the backend we started has exited: reap it. */
static void on_backend_exit(void *op, int fd, uint32_t events, unsigned tag)
{
	struct nx_irqdev *d = op;
	bool reaped;

	pthread_mutex_lock(&d->lock);
	reaped = reap(d);
	pthread_mutex_unlock(&d->lock);
	if (reaped && atomic_load(&d->gone) && !atomic_load(&d->stopped))
		nx_info("irqdev %s: backend nexit-devd %s", d->name, d->exit_how);
}

/* The VM stopped: hang up on the backend; one nexit started ends (killed
 * after NX_DEVD_REPLY_MS if it does not) and is reaped. */
static void irqdev_stop(void *dev)
{
	struct nx_irqdev *d = dev;
	struct pollfd p;

	atomic_store(&d->stopped, true);
	pthread_mutex_lock(&d->lock);
	if (d->sock >= 0)
		shutdown(d->sock, SHUT_RDWR);	/* the backend's end of work */
	p = (struct pollfd){ .fd = d->pidfd, .events = POLLIN };
	pthread_mutex_unlock(&d->lock);
	/* Waited for without the device lock: stats may still be asked for. */
	if (p.fd >= 0 && poll(&p, 1, NX_DEVD_REPLY_MS) != 1) {
		pidfd_send_signal(p.fd, SIGKILL, NULL, 0);
		poll(&p, 1, NX_DEVD_REPLY_MS);
	}
	pthread_mutex_lock(&d->lock);
	reap(d);
	pthread_mutex_unlock(&d->lock);
}

static void backend_gone(struct nx_irqdev *d)
{
	struct nx_vm *vm = d->vm;
	char how[160], lines[64] = "";
	int sock;

	nx_pci_lock(vm);
	if (atomic_exchange(&d->gone, true)) {
		nx_pci_unlock(vm);
		return;
	}
	/* Mask every line: MSI route cleared + irqfd deassigned, doorbells
	 * unbound (accesses exit and read all-ones), INTx source detached. */
	nx_msi_vec_gone(&d->msi);
	nx_reg_ioeventfd_drop(&d->reg, 0, 0);
	queue_acks(d, 0);
	pthread_mutex_lock(&d->lock);
	d->r.mode = NX_IRQDEV_MODE_NONE;
	d->work_out = false;
	arm_deadline(d, false);
	sock = d->sock;
	d->sock = -1;
	pthread_mutex_unlock(&d->lock);
	nx_pci_unlock(vm);
	if (d->intx_attached && vm->irq.detach_source)
		vm->irq.detach_source(vm->irq.opaque, d->intx_gsi);
	nx_loop_del(&d->vm->loop, sock);
	nx_loop_del(&d->vm->loop, d->timer_fd);
	close(sock);
	/* A backend nexit cut off may still run (stopped, looping): it is ours
	 * to end; its pidfd watch reaps it. */
	pthread_mutex_lock(&d->lock);
	if (d->pid > 0 && d->pidfd >= 0) {
		if (d->cut_reason[0])
			pidfd_send_signal(d->pidfd, SIGKILL, NULL, 0);
		else
			reap(d);
	}
	pthread_mutex_unlock(&d->lock);
	if (d->cut_reason[0])
		snprintf(how, sizeof(how), "cut off: %s", d->cut_reason);
	else
		snprintf(how, sizeof(how), "hung up%s%s%s", d->exit_how[0] ? " (" : "", d->exit_how,
			 d->exit_how[0] ? ")" : "");
	if (atomic_load(&d->stopped))
		return;
	if (d->intx_attached)
		snprintf(lines, sizeof(lines), ", intx gsi %u", d->intx_gsi);
	nx_warn("irqdev %s: backend %s %s: lines masked (msi gsi %d%s), guest keeps running",
		d->name, d->pid ? "nexit-devd" : d->backend, how, d->msi.gsi, lines);
}

/* pt event thread: the backend's socket: DONE messages, or its end. */
static void on_backend_sock(void *op, int fd, uint32_t events, unsigned tag)
{
	struct nx_irqdev *d = op;
	bool end = events & (EPOLLHUP | EPOLLRDHUP | EPOLLERR);

	pthread_mutex_lock(&d->lock);
	if (events & EPOLLIN)
		take_replies(d);
	end = end || d->cut_reason[0];
	unlock_assert(d);
	if (end)
		backend_gone(d);
}

/* pt event thread: a WORK went unanswered for NX_DEVD_REPLY_MS. */
static void on_deadline(void *op, int fd, uint32_t events, unsigned tag)
{
	struct nx_irqdev *d = op;
	uint64_t n;
	char why[64];

	if (read(fd, &n, sizeof(n)) != sizeof(n))
		return;
	pthread_mutex_lock(&d->lock);
	take_replies(d);	/* a DONE that came just in time */
	if (d->work_out) {
		snprintf(why, sizeof(why), "no answer to WORK within %d ms", NX_DEVD_REPLY_MS);
		cut_off(d, why);
	}
	unlock_assert(d);
	if (d->cut_reason[0])
		backend_gone(d);
}

/* ---- backend connection --------------------------------------------------- */
static int connect_backend(struct nx_irqdev *d, const char *path)
{
	/* The backend may still be starting: retry for up to 2 s. */
	int s = nx_unix_connect(path, SOCK_SEQPACKET, 2000);

	if (s < 0)
		return nx_error("irqdev %s: cannot connect to backend %s: %s "
				"(start it with: nexit-devd --socket %s)", d->name, path,
				strerror(errno), path);
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
	if (d->pid < 0) {
		close(sv[0]);
		close(sv[1]);
		return nx_error("fork: %s", strerror(errno));
	}
	if (d->pid == 0) {
		sigset_t none;
		uid_t uid = 65534;	/* "nobody" unless a user is configured */
		gid_t gid = 65534;

		/* Started without privileges: it needs none (its socket and the
		 * MSI eventfd are inherited). Raw calls: a child of a threaded
		 * process. NO_NEW_PRIVS and the sandbox mode come along. */
		if (nx_sandbox_user(&uid, &gid) && geteuid() == 0 &&
		    (syscall(SYS_setgroups, 0, NULL) < 0 || syscall(SYS_setresgid, gid, gid, gid) < 0 ||
		     syscall(SYS_setresuid, uid, uid, uid) < 0))
			_exit(126);
		/* The backend goes with nexit (PR_SET_PDEATHSIG survives exec, not
		 * a change of credentials: set after it). */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		if (dup2(sv[1], 3) < 0)
			_exit(127);
		execl(exe, "nexit-devd", "--fd", "3", "--sandbox", d->sandbox, (char *)NULL);
		_exit(127);
	}
	close(sv[1]);
	d->pidfd = pidfd_open(d->pid, 0);
	if (d->pidfd < 0) {
		close(sv[0]);
		return nx_error("pidfd_open of nexit-devd (pid %d): %s", d->pid, strerror(errno));
	}
	snprintf(d->backend, sizeof(d->backend), "%s (pid %d)", exe, d->pid);
	return sv[0];
}

static int handshake(struct nx_irqdev *d, const char *opts)
{
	struct nx_devd_setup s = { 0 };
	struct nx_devd_ready r = { 0 };
	struct nx_devd_hdr h;
	int fds[NX_DEVD_SETUP_FDS] = { [NX_DEVD_FD_MSI] = d->msi.efd,
					[NX_DEVD_FD_COUNTERS] = d->counters_fd };
	struct pollfd pfd = { .fd = d->sock, .events = POLLIN };
	int got;

	snprintf(s.type, sizeof(s.type), "irqdev");
	snprintf(s.name, sizeof(s.name), "%s", d->name);
	snprintf(s.opts, sizeof(s.opts), "%s", opts);
	if (nx_devd_send(d->sock, NX_DEVD_MSG_SETUP, &s, sizeof(s), fds, NX_DEVD_SETUP_FDS,
			 MSG_DONTWAIT) < 0)
		return nx_error("irqdev %s: cannot send SETUP to backend %s: %s", d->name,
				d->backend, strerror(errno));
	if (poll(&pfd, 1, 5000) <= 0)
		return nx_error("irqdev %s: backend %s did not answer SETUP within 5 s", d->name,
				d->backend);
	got = nx_devd_recv(d->sock, &h, &r, sizeof(r), NULL, 0, MSG_DONTWAIT);
	if (got < 0 || h.type != NX_DEVD_MSG_READY || h.size != sizeof(r))
		return nx_error("irqdev %s: backend %s %s", d->name, d->backend,
				got == -2 ? "hung up during SETUP" :
				"sent no READY (protocol version 3 expected)");
	r.msg[sizeof(r.msg) - 1] = 0;
	if (r.status)
		return nx_error("irqdev %s: backend refused SETUP: %.127s", d->name, r.msg);
	if (!d->pid)
		snprintf(d->backend + strlen(d->backend), sizeof(d->backend) - strlen(d->backend),
			 " (pid %d)", r.pid);
	return 0;
}

/* The counter page the backend counts its MSI raises in: shared memory,
 * sealed so a backend cannot shrink it under nexit's mapping (a read past
 * the end of a truncated file would be SIGBUS in nexit). */
static int counters_page(struct nx_irqdev *d)
{
	int fd = memfd_create("nexit-devd-counters", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	void *p;

	if (fd < 0 || ftruncate(fd, NX_DEVD_COUNTERS_SIZE) < 0 ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0) {
		if (fd >= 0)
			close(fd);
		return nx_error("irqdev %s: counter page: %s", d->name, strerror(errno));
	}
	p = mmap(NULL, NX_DEVD_COUNTERS_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		close(fd);
		return nx_error("irqdev %s: counter page: %s", d->name, strerror(errno));
	}
	d->counters_fd = fd;
	d->counters = p;
	return 0;
}

/* The storm guard's count: what the backend says it raised. A backend that
 * under-counts escapes the guard; it cannot do more than a storm could. */
static uint64_t backend_msi_count(void *op)
{
	struct nx_irqdev *d = op;

	return atomic_load_explicit(&d->counters->msi_raised, memory_order_relaxed);
}

static void *irqdev_create(struct nx_pt *pt, const struct nx_device_cfg *c)
{
	struct nx_vm *vm = pt->vm;
	struct nx_irqdev *d = calloc(1, sizeof(*d));
	enum nx_devd_wait wait = NX_WAIT_BLOCK;
	int slot;

	if (!d)
		return nx_error_null("out of memory");
	nx_lives_until_exit(d);		/* a failed set-up stops nexit */
	d->pt = pt;
	d->vm = vm;
	d->reg.vm = vm;
	d->has_msi = d->has_intx = true;
	d->sandbox = nx_sandbox_mode_name(vm->cfg->sandbox);
	snprintf(d->name, sizeof(d->name), "%s", c->name);
	snprintf(d->pci_name, sizeof(d->pci_name), "irqdev-%s", c->name);
	if (nx_dev_opt_bool(c->opts, "msi", &d->has_msi, c->name) < 0 ||
	    nx_dev_opt_bool(c->opts, "intx", &d->has_intx, c->name) < 0 ||
	    nx_dev_opt_slot(c->opts, &slot, c->name) < 0 ||
	    nx_guard_parse(c->opts, &d->guard, c->name) < 0)
		return NULL;
	if (nx_devd_parse_wait(c->opts, &wait) < 0)
		return nx_error_null("device %s: wait must be block, poll or adaptive", c->name);

	pthread_mutex_init(&d->lock, NULL);
	d->sock = d->timer_fd = d->pidfd = -1;
	d->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (d->timer_fd < 0)
		return nx_error_null("irqdev %s: timerfd: %s", c->name, strerror(errno));
	for (int i = 0; i < NX_IRQDEV_DOORBELLS; i++)
		if ((d->raise_fd[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0 ||
		    (d->ack_fd[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0)
			return nx_error_null("irqdev %s: eventfd: %s", c->name, strerror(errno));
	if (nx_msi_vec_init(vm, &d->msi, -1) < 0 || counters_page(d) < 0)
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
	d->msi.devid = nx_pci_requester_id(d->pci);

	if (d->has_intx) {
		d->intx_gsi = nx_pci_intx_line(d->pci);
		d->src = (struct nx_irq_source){ .name = d->pci_name, .opaque = d,
			.trigger_fd = -1, .resample_fd = -1, .mask = src_mask,
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
	if (nx_loop_add(&vm->loop, d->sock, EPOLLIN | EPOLLRDHUP, on_backend_sock, d, 0) < 0 ||
	    nx_loop_add(&vm->loop, d->timer_fd, EPOLLIN, on_deadline, d, 0) < 0 ||
	    (d->pidfd >= 0 && nx_loop_add(&vm->loop, d->pidfd, EPOLLIN, on_backend_exit, d, 0) < 0))
		return NULL;
	for (int i = 0; d->intx_attached && i < NX_IRQDEV_DOORBELLS; i++)
		if (nx_loop_add(&vm->loop, d->raise_fd[i], EPOLLIN, on_intx_doorbell, d, 0) < 0)
			return NULL;
	if (d->has_msi && d->guard.budget) {
		char id[64];

		snprintf(id, sizeof(id), "%s.msi0", d->name);
		nx_pci_lock(vm);
		if (!nx_guard_create(&d->msi, &vm->loop, &d->guard, id, "backend", backend_msi_count, d)) {
			nx_pci_unlock(vm);
			return NULL;
		}
		nx_pci_unlock(vm);
	}
	nx_info("irqdev %s: PCI 00:%02x.0, BAR0 0x%llx, MSI gsi %d, INTx gsi %u, backend %s",
		c->name, d->pci->slot, (unsigned long long)d->pci->bar[0].addr, d->msi.gsi,
		d->intx_gsi, d->backend);
	return d;
}

static void irqdev_lines_json(void *dev, struct json_object *arr)
{
	struct nx_irqdev *d = dev;
	char id[64];
	struct json_object *o;
	uint64_t raised;

	pthread_mutex_lock(&d->lock);
	raised = d->r.msi_raised;
	pthread_mutex_unlock(&d->lock);
	nx_pci_lock(d->vm);
	if (d->has_msi) {
		snprintf(id, sizeof(id), "%s.msi0", d->name);
		o = nx_pt_line_json(id, &d->msi, (int64_t)atomic_load(&d->msi_doorbell_exits),
				    (int64_t)raised);
		json_object_object_add(o, "delivered_by", json_object_new_string("backend"));
		json_object_object_add(o, "device", json_object_new_string(d->name));
		json_object_array_add(arr, o);
	}
	nx_pci_unlock(d->vm);
}

/* Device-level counters under root."passthrough"."devices". */
static void irqdev_device_json(void *dev, struct json_object *arr)
{
	struct nx_irqdev *d = dev;
	struct json_object *o = json_object_new_object();
	static const char *const modes[] = { "none", "msi", "intx" };
	bool gone = atomic_load(&d->gone);
	struct nx_irqdev_regs r;

	pthread_mutex_lock(&d->lock);
	r = d->r;
	pthread_mutex_unlock(&d->lock);

	json_object_object_add(o, "name", json_object_new_string(d->name));
	json_object_object_add(o, "type", json_object_new_string("irqdev"));
	json_object_object_add(o, "slot", json_object_new_int(d->pci->slot));
	json_object_object_add(o, "backend", json_object_new_string(d->backend));
	json_object_object_add(o, "state", json_object_new_string(gone ? "source-gone" : "running"));
	json_object_object_add(o, "mode", json_object_new_string(modes[r.mode % 3]));
	nx_json_u64(o, "mmio_exits", atomic_load(&d->mmio_exits));
	json_object_object_add(o, "ioeventfds", json_object_new_int(d->reg.n));
	json_object_object_add(o, "intx_gsi", d->has_intx ? json_object_new_int((int)d->intx_gsi) : NULL);
	json_object_object_add(o, "intx_state", json_object_new_string(
		!d->has_intx ? "none" : gone ? "source-gone" : d->intx_attached ? "attached" : "no-controller"));
	nx_json_u64(o, "intx_raised", r.intx_raised);
	nx_json_u64(o, "intx_doorbell_exits", atomic_load(&d->intx_doorbell_exits));
	nx_json_u64(o, "factorials", r.facts);
	nx_json_u64(o, "work_sent", atomic_load(&d->work_sent));
	json_object_array_add(arr, o);
}

const struct nx_dev_type nx_irqdev_type = {
	.name = "irqdev", .create = irqdev_create, .stop = irqdev_stop,
	.lines_json = irqdev_lines_json, .device_json = irqdev_device_json,
};

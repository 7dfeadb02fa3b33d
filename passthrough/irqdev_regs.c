/* SPDX-License-Identifier: MIT */
/*
 * irqdev_regs.c - irqdev register semantics (the layout of QEMU's edu
 * device, docs/specs/edu.rst): the doorbell drain, raise and factorial.
 * The registers live in nexit's private memory (struct nx_irqdev_regs);
 * nexit-devd links the factorial only.
 */
#include <poll.h>
#include <string.h>
#include <unistd.h>
#include "passthrough/passthrough.h"

static uint64_t take(int fd)
{
	uint64_t n = 0;

	if (fd < 0 || read(fd, &n, sizeof(n)) != sizeof(n))
		return 0;
	return n;
}

/* INTx level of the device: edu asserts while irq_status != 0 (pci_set_irq). */
static bool level(const struct nx_irqdev_regs *p)
{
	return p->mode == NX_IRQDEV_MODE_INTX && p->irq_status;
}

/* The doorbells of fds[] that rang since the last look, one bit each. */
static uint32_t rung(const int *fds)
{
	struct pollfd pf[NX_IRQDEV_DOORBELLS];
	uint32_t bits = 0;

	for (int i = 0; i < NX_IRQDEV_DOORBELLS; i++)
		pf[i] = (struct pollfd){ .fd = fds ? fds[i] : -1, .events = POLLIN };
	if (!fds || poll(pf, NX_IRQDEV_DOORBELLS, 0) <= 0)
		return 0;
	for (int i = 0; i < NX_IRQDEV_DOORBELLS; i++)
		if ((pf[i].revents & POLLIN) && take(pf[i].fd))
			bits |= 1u << i;
	return bits;
}

/*
 * Doorbell writes the guest made through KVM ioeventfds (datamatch 1 << i)
 * reach us as eventfd counts, signalled in program order; one poll() is no
 * snapshot (it looks at the fds one by one). Raises are taken first, so
 * every ack before a raise taken is taken too, and acks are applied first:
 * "ack, then raise again" stays asserted. A line the acks lowered and the
 * raises lifted again rose anew: an edge (an edge RTE must hear of it).
 * The device lock makes drain + apply one step.
 */
bool nx_irqdev_drain(struct nx_irqdev_regs *p, const int *raises, const int *acks)
{
	bool was = level(p), between;
	uint32_t up = rung(raises), down = rung(acks);

	p->irq_status &= ~down;
	between = level(p);
	p->irq_status |= up;
	return (!was || !between) && level(p);
}

bool nx_irqdev_raise(struct nx_irqdev_regs *p, uint32_t v, int msi_fd)
{
	uint64_t one = 1;
	bool was = level(p);

	p->irq_status |= v;
	if (p->mode == NX_IRQDEV_MODE_MSI) {
		/* edu: msi_notify on every raise. The eventfd is the vector's KVM
		 * irqfd: KVM injects without the VMM. */
		if (msi_fd >= 0 && write(msi_fd, &one, sizeof(one)) == sizeof(one))
			p->msi_raised++;
		return false;
	}
	return p->mode == NX_IRQDEV_MODE_INTX && !was && level(p) && !p->intx_masked;
}

/* Modulo 2^32 every n >= 34 gives 0 (34! has 32 factors of two), so the
 * loop stops there: the guest's operand never sets the amount of work. */
uint32_t nx_irqdev_factorial(uint32_t n)
{
	uint32_t v = 1;

	for (uint32_t i = 2; i <= n && i <= 34; i++)
		v *= i;		/* wraps like edu's 32-bit register */
	return v;
}

int nx_devd_parse_wait(const char *opts, enum nx_devd_wait *w)
{
	const char *p = opts ? strstr(opts, "wait=") : NULL;

	if (!p)
		return 0;
	if (p != opts && p[-1] != ' ' && p[-1] != ',')
		return 0;
	p += 5;
	if (!strncmp(p, "block", 5) && (!p[5] || p[5] == ' ' || p[5] == ','))
		*w = NX_WAIT_BLOCK;
	else if (!strncmp(p, "poll", 4) && (!p[4] || p[4] == ' ' || p[4] == ','))
		*w = NX_WAIT_POLL;
	else if (!strncmp(p, "adaptive", 8) && (!p[8] || p[8] == ' ' || p[8] == ','))
		*w = NX_WAIT_ADAPTIVE;
	else
		return -1;
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * serial.c - a 16550A UART (National PC16550D data sheet), output to stdout
 * or a file; the arch puts its registers on a bus (x86: COM1). Transmission is instantaneous, so THR is always empty:
 * LSR reports THRE|TEMT and a THR-empty interrupt is pending after every
 * write while IER enables it.
 */
#include <stdlib.h>
#include <string.h>
#include "core/serial.h"
#include "core/vm.h"

enum { RBR_THR = 0, IER = 1, IIR_FCR = 2, LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7 };
#define IER_RDI		0x01
#define IER_THRI	0x02
#define IIR_NONE	0x01
#define IIR_THRI	0x02
#define IIR_RDI		0x04
#define IIR_FIFO	0xc0	/* "FIFOs enabled" as a 16550A reports it */
#define LCR_DLAB	0x80
#define MCR_OUT2	0x08	/* on a PC, OUT2 gates the UART's IRQ line */
#define MCR_LOOP	0x10
#define LSR_DR		0x01
#define LSR_THRE	0x20
#define LSR_TEMT	0x40

struct nx_serial {
	struct nx_vm *vm;
	unsigned irq;
	FILE *out;
	char *obuf;		/* out's buffer (stdout keeps it to the end) */
	bool own_out;
	pthread_mutex_t lock;
	uint8_t ier, fcr, lcr, mcr, scr, dll, dlm;
	uint8_t rbr;
	bool rx_ready;
	bool thri_pending;
	bool line;		/* level we last drove on the irq line */
	uint64_t tokens, tok_ns;	/* the host's output budget (may_send) */
	uint64_t dropped;
};

static uint8_t iir(struct nx_serial *s)
{
	uint8_t fifo = (s->fcr & 1) ? IIR_FIFO : 0;

	if ((s->ier & IER_RDI) && s->rx_ready)
		return fifo | IIR_RDI;
	if ((s->ier & IER_THRI) && s->thri_pending)
		return fifo | IIR_THRI;
	return fifo | IIR_NONE;
}

/* Drives the interrupt line from the current state; called with lock held. */
static void update_irq(struct nx_serial *s)
{
	bool level = !(iir(s) & IIR_NONE) && (s->mcr & MCR_OUT2);

	if (level != s->line) {
		s->line = level;
		nx_irq_set_line(s->vm, s->irq, level);
	}
}

/* Token bucket: rate bytes/s, 4 s of it as the burst (a boot log fits). */
static bool may_send(struct nx_serial *s)
{
	uint64_t rate = s->vm->cfg ? s->vm->cfg->serial_rate : 0, now;

	if (!rate)
		return true;
	now = nx_now_ns();
	if (!s->tok_ns) {
		s->tok_ns = now;
		s->tokens = 4 * rate;
	}
	s->tokens += (now - s->tok_ns) * rate / 1000000000ull;
	if (s->tokens > 4 * rate)
		s->tokens = 4 * rate;
	s->tok_ns = now;
	if (s->tokens) {
		s->tokens--;
		return true;
	}
	if (!s->dropped++ || !(s->dropped % (1u << 20)))
		nx_warn("serial: the guest writes more than %llu bytes/s ([serial] rate): "
			"%llu bytes dropped so far", (unsigned long long)rate,
			(unsigned long long)s->dropped);
	return false;
}

static void transmit(struct nx_serial *s, uint8_t c)
{
	struct nx_stats *st = &s->vm->stats;

	if (s->mcr & MCR_LOOP) {	/* loopback: what we send, we receive */
		s->rbr = c;
		s->rx_ready = true;
		return;
	}
	if (!atomic_load(&st->first_output_ns))
		atomic_store(&st->first_output_ns, nx_now_ns());
	if (!may_send(s))
		return;
	fputc(c, s->out);
	if (c == '\n')
		fflush(s->out);
}

static uint8_t msr(struct nx_serial *s)
{
	/* Loopback maps DTR->DSR, RTS->CTS, OUT1->RI, OUT2->DCD; otherwise a
	 * present, ready peer: DCD|DSR|CTS. */
	if (s->mcr & MCR_LOOP)
		return ((s->mcr & 0x01) << 5) | ((s->mcr & 0x02) << 3) |
		       ((s->mcr & 0x04) << 4) | ((s->mcr & 0x08) << 4);
	return 0xb0;
}

void nx_serial_bus_io(void *opaque, uint64_t off, uint8_t *data, uint32_t len,
		      bool wr, struct nx_vcpu *vcpu)
{
	struct nx_serial *s = opaque;
	uint8_t v = wr ? data[0] : 0;

	if (len != 1) {		/* the UART's registers are bytes */
		if (!wr)
			memset(data, 0xff, len);
		return;
	}
	pthread_mutex_lock(&s->lock);
	switch (off) {
	case RBR_THR:
		if (s->lcr & LCR_DLAB) {
			if (wr) s->dll = v; else v = s->dll;
		} else if (wr) {
			transmit(s, v);
			s->thri_pending = true;
		} else {
			v = s->rbr;
			s->rx_ready = false;
		}
		break;
	case IER:
		if (s->lcr & LCR_DLAB) {
			if (wr) s->dlm = v; else v = s->dlm;
		} else if (wr) {
			/* Enabling THRI with THR empty raises the interrupt at once. */
			if ((v & IER_THRI) && !(s->ier & IER_THRI))
				s->thri_pending = true;
			s->ier = v & 0x0f;
		} else {
			v = s->ier;
		}
		break;
	case IIR_FCR:
		if (wr) {
			s->fcr = v & 0xc9;	/* FCR bits 1-2 (resets) self-clear */
		} else {
			v = iir(s);
			/* Reading IIR when it reports THRI clears that source. */
			if ((v & 0x0f) == IIR_THRI)
				s->thri_pending = false;
		}
		break;
	case LCR:
		if (wr) s->lcr = v; else v = s->lcr;
		break;
	case MCR:
		if (wr) s->mcr = v & 0x1f; else v = s->mcr;
		break;
	case LSR:
		v = LSR_THRE | LSR_TEMT | (s->rx_ready ? LSR_DR : 0);
		break;
	case MSR:
		v = msr(s);
		break;
	case SCR:
		if (wr) s->scr = v; else v = s->scr;
		break;
	}
	if (!wr)
		data[0] = v;
	update_irq(s);
	pthread_mutex_unlock(&s->lock);
}

struct nx_serial *nx_serial_create(struct nx_vm *vm, unsigned irq, const char *out_path)
{
	struct nx_serial *s = calloc(1, sizeof(*s));

	if (!s)
		return nx_error_null("out of memory for the serial port");
	s->vm = vm;
	s->irq = irq;
	s->out = stdout;
	pthread_mutex_init(&s->lock, NULL);
	if (out_path && out_path[0] && strcmp(out_path, "stdio")) {
		s->out = fopen(out_path, "w");
		if (!s->out) {
			nx_error("serial output %s: cannot open for writing", out_path);
			free(s);
			return NULL;
		}
		s->own_out = true;
	}
	/* The stream's buffer now: stdio would allocate it at the first byte,
	 * in a vCPU, with fstat and a terminal ioctl its sandbox does not
	 * have (it flushes at each line itself). */
	s->obuf = malloc(BUFSIZ);
	if (s->obuf)
		setvbuf(s->out, s->obuf, _IOFBF, BUFSIZ);
	return s;
}

void nx_serial_destroy(struct nx_serial *s)
{
	if (!s)
		return;
	fflush(s->out);
	if (s->own_out) {
		fclose(s->out);
		free(s->obuf);
	}
	free(s);
}

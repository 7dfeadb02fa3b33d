/* Unit tests: the 16550A registers (core/serial.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "core/vm.h"
#include "core/serial.h"
#include "core/x86/x86.h"

struct fake_pic { int raises, lowers; bool level; };

static void set_line(void *op, unsigned gsi, bool level)
{
	struct fake_pic *p = op;

	assert_int_equal(gsi, NX_COM1_IRQ);
	if (level) p->raises++; else p->lowers++;
	p->level = level;
}

static struct nx_vm vm;
static struct fake_pic pic;
static char out[64];

static struct nx_serial *mk(void)
{
	int fd;

	strcpy(out, "/tmp/nexit-serial-XXXXXX");
	fd = mkstemp(out);

	close(fd);
	memset(&vm, 0, sizeof(vm));
	memset(&pic, 0, sizeof(pic));
	nx_bus_init(&vm.pio);
	vm.irq.set_line = set_line;
	vm.irq.opaque = &pic;
	return nx_serial_create(&vm, NX_COM1_IRQ, out);
}

static uint8_t rd(struct nx_serial *s, unsigned off)
{
	uint8_t v = 0;

	nx_serial_bus_io(s, off, &v, 1, false, NULL);
	return v;
}

static void wr(struct nx_serial *s, unsigned off, uint8_t v)
{
	nx_serial_bus_io(s, off, &v, 1, true, NULL);
}

static void test_output_and_lsr(void **st)
{
	struct nx_serial *s = mk();
	char buf[16] = { 0 };
	FILE *f;

	assert_int_equal(rd(s, 5) & 0x60, 0x60);	/* THRE|TEMT: always ready */
	wr(s, 0, 'h'); wr(s, 0, 'i'); wr(s, 0, '\n');
	nx_serial_destroy(s);
	f = fopen(out, "r");
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	unlink(out);
	assert_string_equal(buf, "hi\n");
	assert_true(vm.stats.first_output_ns != 0);
}

static void test_dlab_and_scratch(void **st)
{
	struct nx_serial *s = mk();

	wr(s, 3, 0x80);			/* DLAB */
	wr(s, 0, 0x01); wr(s, 1, 0x00);	/* 115200 baud */
	assert_int_equal(rd(s, 0), 0x01);
	assert_int_equal(rd(s, 1), 0x00);
	wr(s, 3, 0x03);			/* 8N1, DLAB off */
	assert_int_equal(rd(s, 3), 0x03);
	wr(s, 7, 0x5a);
	assert_int_equal(rd(s, 7), 0x5a);
	wr(s, 2, 0x07);			/* FIFO enable: a 16550A says so in IIR */
	assert_int_equal(rd(s, 2) & 0xc0, 0xc0);
	nx_serial_destroy(s);
	unlink(out);
}

static void test_thre_interrupt(void **st)
{
	struct nx_serial *s = mk();

	wr(s, 4, 0x08);			/* OUT2 gates the IRQ on a PC */
	assert_int_equal(rd(s, 2) & 0x0f, 0x01);	/* nothing pending */
	wr(s, 1, 0x02);			/* enable THRI: fires at once */
	assert_true(pic.level);
	assert_int_equal(rd(s, 2) & 0x0f, 0x02);	/* reading IIR clears THRI */
	assert_false(pic.level);
	assert_int_equal(rd(s, 2) & 0x0f, 0x01);
	wr(s, 0, 'x');			/* transmit: THR empty again -> pending */
	assert_true(pic.level);
	wr(s, 1, 0x00);			/* disable: line drops */
	assert_false(pic.level);
	nx_serial_destroy(s);
	unlink(out);
}

static void test_no_irq_without_out2(void **st)
{
	struct nx_serial *s = mk();

	wr(s, 1, 0x02);
	assert_int_equal(pic.raises, 0);
	nx_serial_destroy(s);
	unlink(out);
}

static void test_loopback(void **st)
{
	struct nx_serial *s = mk();

	wr(s, 4, 0x10 | 0x0f);		/* LOOP + DTR RTS OUT1 OUT2 */
	assert_int_equal(rd(s, 6) & 0xf0, 0xf0);
	wr(s, 0, 0xa5);
	assert_int_equal(rd(s, 5) & 0x01, 0x01);	/* data ready */
	assert_int_equal(rd(s, 0), 0xa5);
	assert_int_equal(rd(s, 5) & 0x01, 0x00);
	nx_serial_destroy(s);
	unlink(out);
}

/* A guest that writes its UART without end: the host file takes the
 * burst (4 s of [serial] rate) and then the rate; the rest is dropped. It
 * used to take everything (a guest could fill the host's disk). */
static void test_output_rate_limited(void **st)
{
	struct nx_config cfg = { .serial_rate = 1000 };
	struct nx_serial *s = mk();
	FILE *f;
	long size;

	vm.cfg = &cfg;
	for (int i = 0; i < 100000; i++)
		wr(s, 0, 'x');
	nx_serial_destroy(s);
	f = fopen(out, "r");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	fclose(f);
	unlink(out);
	assert_true(size >= 4000 && size < 4000 + 1000);	/* burst + < 1 s of rate */
	/* rate 0: no limit. */
	cfg.serial_rate = 0;
	s = mk();
	vm.cfg = &cfg;
	for (int i = 0; i < 100000; i++)
		wr(s, 0, 'y');
	nx_serial_destroy(s);
	f = fopen(out, "r");
	fseek(f, 0, SEEK_END);
	assert_int_equal(ftell(f), 100000);
	fclose(f);
	unlink(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_output_rate_limited),
		cmocka_unit_test(test_output_and_lsr),
		cmocka_unit_test(test_dlab_and_scratch),
		cmocka_unit_test(test_thre_interrupt),
		cmocka_unit_test(test_no_irq_without_out2),
		cmocka_unit_test(test_loopback),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: MIT */
/*
 * aml.c - the AML writer of aml.h. Section numbers are ACPI 6.4's.
 */
#include <string.h>
#include "core/x86/aml.h"

#define NAME_OP			0x08
#define BYTE_PREFIX		0x0a
#define WORD_PREFIX		0x0b
#define DWORD_PREFIX		0x0c
#define QWORD_PREFIX		0x0e
#define SCOPE_OP		0x10
#define BUFFER_OP		0x11
#define PACKAGE_OP		0x12
#define METHOD_OP		0x14
#define DUAL_NAME_PREFIX	0x2e
#define MULTI_NAME_PREFIX	0x2f
#define EXT_OP_PREFIX		0x5b
#define DEVICE_OP		0x82	/* after EXT_OP_PREFIX */
#define ROOT_CHAR		'\\'
#define IF_OP			0xa0
#define ELSE_OP			0xa1

/* Large resource items (6.4.3): tag byte, then a 16-bit length. */
#define RT_IO			0x47	/* small item 0x08, length 7 */
#define RT_END			0x79	/* small item 0x0f, length 1 */
#define RT_DWORD_ADDR		0x87
#define RT_WORD_ADDR		0x88
#define RT_QWORD_ADDR		0x8a

void nx_aml_init(struct nx_aml *a, uint8_t *buf, size_t cap)
{
	memset(a, 0, sizeof(*a));
	a->buf = buf;
	a->cap = cap;
}

int nx_aml_finish(const struct nx_aml *a)
{
	return a->bad || a->depth ? -1 : 0;
}

void nx_aml_bytes(struct nx_aml *a, const void *p, size_t n)
{
	if (a->bad || n > a->cap - a->len) {
		a->bad = true;
		return;
	}
	memcpy(a->buf + a->len, p, n);
	a->len += n;
}

void nx_aml_byte(struct nx_aml *a, uint8_t b)
{
	nx_aml_bytes(a, &b, 1);
}

static void le(struct nx_aml *a, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		nx_aml_byte(a, (uint8_t)(v >> (8 * i)));
}

/* 20.2.3: ZeroOp, OneOp, or the smallest prefixed constant. */
void nx_aml_int(struct nx_aml *a, uint64_t v)
{
	if (v <= 1) {
		nx_aml_byte(a, v ? AML_ONE : AML_ZERO);
	} else if (v <= 0xff) {
		nx_aml_byte(a, BYTE_PREFIX);
		le(a, v, 1);
	} else if (v <= 0xffff) {
		nx_aml_byte(a, WORD_PREFIX);
		le(a, v, 2);
	} else if (v <= 0xffffffffu) {
		nx_aml_byte(a, DWORD_PREFIX);
		le(a, v, 4);
	} else {
		nx_aml_byte(a, QWORD_PREFIX);
		le(a, v, 8);
	}
}

/*
 * EISAID (19.6.35): three upper-case letters of 5 bits each ('A' = 1) and
 * four hex digits, stored as the big-endian bytes of that 32-bit value:
 * "PNP0A03" -> 41 d0 0a 03.
 */
void nx_aml_eisaid(struct nx_aml *a, const char *id)
{
	uint32_t v = 0;
	uint8_t be[4];

	if (strlen(id) != 7) {
		a->bad = true;
		return;
	}
	for (int i = 0; i < 3; i++)
		v |= (uint32_t)((id[i] - 0x40) & 0x1f) << (26 - 5 * i);
	for (int i = 3; i < 7; i++) {
		char c = id[i];
		unsigned d = c >= 'A' ? (unsigned)(c - 'A' + 10) : (unsigned)(c - '0');

		v |= (d & 0xf) << (4 * (6 - i));
	}
	for (int i = 0; i < 4; i++)
		be[i] = (uint8_t)(v >> (24 - 8 * i));
	nx_aml_byte(a, DWORD_PREFIX);
	nx_aml_bytes(a, be, 4);
}

static int hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * ToUUID (19.6.142): "aabbccdd-eeff-gghh-iijj-kkllmmnnoopp" becomes
 * dd cc bb aa ff ee hh gg ii jj kk ll mm nn oo pp: the first three fields
 * little-endian, the last two byte by byte.
 */
void nx_aml_uuid(struct nx_aml *a, const char *s)
{
	static const uint8_t order[16] = { 3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15 };
	uint8_t in[16], out[16];
	unsigned n = 0;

	for (const char *p = s; *p && n < 16; p++) {
		if (*p == '-')
			continue;
		if (hex(p[0]) < 0 || hex(p[1]) < 0) {
			a->bad = true;
			return;
		}
		in[n++] = (uint8_t)(hex(p[0]) << 4 | hex(p[1]));
		p++;
	}
	if (n != 16) {
		a->bad = true;
		return;
	}
	for (int i = 0; i < 16; i++)
		out[i] = in[order[i]];
	nx_aml_buffer(a, out, 16);
}

/* Opens an object: its PkgLength is written when nx_aml_end closes it. */
static void open_pkg(struct nx_aml *a)
{
	if (a->depth == NX_AML_MAX_DEPTH) {
		a->bad = true;
		return;
	}
	a->open[a->depth++] = a->len;
}

/*
 * PkgLength (20.2.4) counts itself and what follows. One byte holds up to
 * 63; otherwise bits 7:6 of the lead byte say how many bytes follow, its
 * bits 3:0 are the low nibble and each following byte the next 8 bits.
 */
void nx_aml_end(struct nx_aml *a)
{
	size_t start, body;
	uint8_t enc[4];
	unsigned n;

	if (a->bad)
		return;
	if (!a->depth) {
		a->bad = true;
		return;
	}
	start = a->open[--a->depth];
	body = a->len - start;
	if (body + 1 <= 0x3f)
		n = 1;
	else if (body + 2 <= 0xfff)
		n = 2;
	else if (body + 3 <= 0xfffff)
		n = 3;
	else if (body + 4 <= 0xfffffff)
		n = 4;
	else {
		a->bad = true;
		return;
	}
	if (n > a->cap - a->len) {
		a->bad = true;
		return;
	}
	body += n;
	if (n == 1) {
		enc[0] = (uint8_t)body;
	} else {
		enc[0] = (uint8_t)((n - 1) << 6 | (body & 0xf));
		for (unsigned i = 1; i < n; i++)
			enc[i] = (uint8_t)(body >> (4 + 8 * (i - 1)));
	}
	memmove(a->buf + start + n, a->buf + start, a->len - start);
	memcpy(a->buf + start, enc, n);
	a->len += n;
}

void nx_aml_buffer(struct nx_aml *a, const uint8_t *p, size_t n)
{
	nx_aml_byte(a, BUFFER_OP);
	open_pkg(a);
	nx_aml_int(a, n);		/* BufferSize */
	nx_aml_bytes(a, p, n);
	nx_aml_end(a);
}

static void name_seg(struct nx_aml *a, const char *s, size_t len)
{
	char seg[4] = { '_', '_', '_', '_' };

	if (len == 0 || len > 4) {
		a->bad = true;
		return;
	}
	memcpy(seg, s, len);
	nx_aml_bytes(a, seg, 4);
}

void nx_aml_namestring(struct nx_aml *a, const char *path)
{
	const char *p = path;
	unsigned nseg = 1;

	if (*p == ROOT_CHAR) {
		nx_aml_byte(a, ROOT_CHAR);
		p++;
	}
	for (const char *q = p; *q; q++)
		nseg += *q == '.';
	if (nseg == 2)
		nx_aml_byte(a, DUAL_NAME_PREFIX);
	else if (nseg > 2) {
		nx_aml_byte(a, MULTI_NAME_PREFIX);
		nx_aml_byte(a, (uint8_t)nseg);
	}
	while (*p) {
		size_t len = strcspn(p, ".");

		name_seg(a, p, len);
		p += len;
		if (*p == '.')
			p++;
	}
}

void nx_aml_name(struct nx_aml *a, const char *name)
{
	nx_aml_byte(a, NAME_OP);
	nx_aml_namestring(a, name);
}

void nx_aml_scope(struct nx_aml *a, const char *path)
{
	nx_aml_byte(a, SCOPE_OP);
	open_pkg(a);
	nx_aml_namestring(a, path);
}

void nx_aml_device(struct nx_aml *a, const char *name)
{
	nx_aml_byte(a, EXT_OP_PREFIX);
	nx_aml_byte(a, DEVICE_OP);
	open_pkg(a);
	nx_aml_namestring(a, name);
}

/* MethodFlags (20.2.5.2): bits 2:0 ArgCount, bit 3 SerializeFlag. */
void nx_aml_method(struct nx_aml *a, const char *name, unsigned nargs, bool serialized)
{
	nx_aml_byte(a, METHOD_OP);
	open_pkg(a);
	nx_aml_namestring(a, name);
	nx_aml_byte(a, (uint8_t)((nargs & 7) | (serialized ? 8 : 0)));
}

void nx_aml_if(struct nx_aml *a)
{
	nx_aml_byte(a, IF_OP);
	open_pkg(a);
}

void nx_aml_else(struct nx_aml *a)
{
	nx_aml_byte(a, ELSE_OP);
	open_pkg(a);
}

void nx_aml_package(struct nx_aml *a, unsigned nelem)
{
	if (nelem > 255) {
		a->bad = true;
		return;
	}
	nx_aml_byte(a, PACKAGE_OP);
	open_pkg(a);
	nx_aml_byte(a, (uint8_t)nelem);		/* NumElements */
}

/* ---- resource templates ------------------------------------------------ */

/* 6.4.2.5 I/O Port Descriptor, 16-bit decode. */
void nx_aml_rt_io(struct nx_aml *a, uint16_t base, uint8_t len)
{
	nx_aml_byte(a, RT_IO);
	nx_aml_byte(a, 1);		/* Decode16 */
	le(a, base, 2);			/* _MIN */
	le(a, base, 2);			/* _MAX */
	nx_aml_byte(a, 1);		/* _ALN */
	nx_aml_byte(a, len);		/* _LEN */
}

/*
 * 6.4.3.5.1-3 QWord/DWord/Word Address Space Descriptors: tag, length,
 * resource type, general flags, type-specific flags, then granularity,
 * _MIN, _MAX, translation offset and _LEN, each width/8 bytes. General
 * flags: bit 3 _MAF, bit 2 _MIF (fixed window), bit 1 _DEC = 0
 * (positive decode), bit 0 = 0 (producer: a bridge window). With
 * _MIF = _MAF = 1 the granularity is 0 and _LEN = _MAX - _MIN + 1.
 */
void nx_aml_rt_window(struct nx_aml *a, unsigned width, enum nx_aml_space space,
		      bool cacheable, uint64_t min, uint64_t max)
{
	unsigned n = width / 8;
	uint8_t tag, tflags = 0;

	switch (width) {
	case 16: tag = RT_WORD_ADDR; break;
	case 32: tag = RT_DWORD_ADDR; break;
	case 64: tag = RT_QWORD_ADDR; break;
	default: a->bad = true; return;
	}
	if (max < min || (n < 8 && max >> (8 * n))) {
		a->bad = true;
		return;
	}
	if (space == NX_AML_SPACE_MEM)
		tflags = 1 | (cacheable ? 1 << 1 : 0);	/* _RW read-write, _MEM */
	else if (space == NX_AML_SPACE_IO)
		tflags = 3;				/* _RNG: EntireRange */
	nx_aml_byte(a, tag);
	le(a, 3 + 5 * n, 2);		/* bytes after the length field */
	nx_aml_byte(a, (uint8_t)space);
	nx_aml_byte(a, 0x0c);		/* _MAF | _MIF, PosDecode, producer */
	nx_aml_byte(a, tflags);
	le(a, 0, n);			/* _GRA */
	le(a, min, n);
	le(a, max, n);
	le(a, 0, n);			/* _TRA */
	le(a, max - min + 1, n);	/* _LEN */
}

/* 6.4.2.9 End Tag: its checksum makes the template's bytes sum to zero. */
void nx_aml_resource_template(struct nx_aml *a, struct nx_aml *rt)
{
	uint8_t sum = RT_END;

	for (size_t i = 0; i < rt->len; i++)
		sum += rt->buf[i];
	nx_aml_byte(rt, RT_END);
	nx_aml_byte(rt, (uint8_t)-sum);
	if (rt->bad || rt->depth) {
		a->bad = true;
		return;
	}
	nx_aml_buffer(a, rt->buf, rt->len);
}

/* SPDX-License-Identifier: MIT */
/*
 * fdt.c - /chosen/bootargs out of the DTB nexit passes in x0 (devicetree
 * spec 5.4: big-endian header, structure block of tokens BEGIN_NODE=1,
 * END_NODE=2, PROP=3 {len, nameoff}, NOP=4, END=9).
 */
#include "probe.h"

static u32 be32(const void *p)
{
	const u8 *b = p;
	return (u32)b[0] << 24 | (u32)b[1] << 16 | (u32)b[2] << 8 | b[3];
}

const char *fdt_bootargs(const void *fdt)
{
	const u8 *f = fdt;
	const u8 *s, *strs;
	int depth = 0;
	bool in_chosen = false;

	if (!f || be32(f) != 0xd00dfeed)
		return "";
	s = f + be32(f + 8);
	strs = f + be32(f + 12);
	for (;;) {
		u32 tok = be32(s);
		s += 4;
		if (tok == 1) {
			const char *name = (const char *)s;
			depth++;
			in_chosen = depth == 2 && !strncmp(name, "chosen", 7);
			s += (strlen(name) + 4) & ~3u;
		} else if (tok == 2) {
			depth--;
			in_chosen = false;
		} else if (tok == 3) {
			u32 len = be32(s), off = be32(s + 4);
			const char *val = (const char *)s + 8;
			if (in_chosen && !strncmp((const char *)strs + off, "bootargs", 9))
				return val;
			s += 8 + ((len + 3) & ~3u);
		} else if (tok != 4) {
			return "";
		}
	}
}

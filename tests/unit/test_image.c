/* SPDX-License-Identifier: MIT */
/*
 * test_image.c - `nexit image` pieces without the tools: the newc cpio
 * writer (read back field by field), the .modinfo "depends=" reader on
 * hand-built ELF64 modules (and on damaged ones), module resolution with
 * dependencies first ('-' and '_' the same, loops bounded), the [image]
 * keys and their errors.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <elf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>
#include "image/image.h"

/* ---- cpio ----------------------------------------------------------------- */
static unsigned hex8(const char *p)
{
	char b[9];

	memcpy(b, p, 8);
	b[8] = 0;
	return (unsigned)strtoul(b, NULL, 16);
}

static void test_cpio(void **state)
{
	char *buf = NULL;
	size_t len = 0, off = 0;
	FILE *f = open_memstream(&buf, &len);
	struct nxi_cpio c;
	const char *names[] = { "bin", "dev/console", "init", "bin/sh", "TRAILER!!!" };
	int i = 0;

	nxi_cpio_open(&c, f);
	assert_int_equal(nxi_cpio_dir(&c, "bin", 0755), 0);
	assert_int_equal(nxi_cpio_chardev(&c, "dev/console", 0600, 5, 1), 0);
	assert_int_equal(nxi_cpio_file(&c, "init", 0755, "#!/bin/sh\n", 10), 0);
	assert_int_equal(nxi_cpio_symlink(&c, "bin/sh", "busybox"), 0);
	assert_int_equal(nxi_cpio_close(&c), 0);
	fclose(f);
	assert_int_equal(len % 4, 0);
	assert_int_equal(c.bytes, len);
	/* Walk it as the kernel does (buffer-format.rst). */
	while (off < len) {
		const char *h = buf + off;
		unsigned mode = hex8(h + 14), size = hex8(h + 54), nsz = hex8(h + 94);

		assert_memory_equal(h, "070701", 6);
		assert_int_equal(hex8(h + 22), 0);		/* uid 0 */
		assert_int_equal(hex8(h + 30), 0);		/* gid 0 */
		assert_string_equal(h + 110, names[i]);
		assert_int_equal(nsz, strlen(names[i]) + 1);
		if (i == 1) {
			assert_true(S_ISCHR(mode));
			assert_int_equal(hex8(h + 78), 5);	/* rdevmajor */
			assert_int_equal(hex8(h + 86), 1);
		}
		if (i == 2) {
			assert_true(S_ISREG(mode));
			assert_int_equal(mode & 0777, 0755);
			assert_int_equal(size, 10);
		}
		if (i == 3)
			assert_true(S_ISLNK(mode));
		off += (110 + nsz + 3) & ~3u;
		if (size)
			assert_memory_equal(buf + off, i == 2 ? "#!/bin/sh\n" : "busybox", size);
		off += (size + 3) & ~3u;
		i++;
	}
	assert_int_equal(i, 5);
	free(buf);
}

/* ---- .modinfo ------------------------------------------------------------- */
/* An ELF64 file with sections: null, .modinfo, .shstrtab. */
static size_t make_ko(uint8_t *out, const char *modinfo, size_t mlen)
{
	Elf64_Ehdr *e = (void *)out;
	const char shstr[] = "\0.modinfo\0.shstrtab";
	size_t mi = 64, ss = mi + mlen, sh = (ss + sizeof(shstr) + 7) & ~7ul;
	Elf64_Shdr *s = (void *)(out + sh);

	memset(out, 0, sh + 3 * sizeof(*s));
	memcpy(e->e_ident, ELFMAG, SELFMAG);
	e->e_ident[EI_CLASS] = ELFCLASS64;
	e->e_type = ET_REL;
	e->e_machine = EM_X86_64;
	e->e_shoff = sh;
	e->e_shentsize = sizeof(*s);
	e->e_shnum = 3;
	e->e_shstrndx = 2;
	memcpy(out + mi, modinfo, mlen);
	memcpy(out + ss, shstr, sizeof(shstr));
	s[1] = (Elf64_Shdr){ .sh_name = 1, .sh_type = SHT_PROGBITS, .sh_offset = mi, .sh_size = mlen };
	s[2] = (Elf64_Shdr){ .sh_name = 10, .sh_type = SHT_STRTAB, .sh_offset = ss,
			     .sh_size = sizeof(shstr) };
	return sh + 3 * sizeof(*s);
}

static void test_modinfo(void **state)
{
	static const char mi[] = "license=GPL\0depends=virtio,virtio_ring\0name=virtio_blk\0";
	uint8_t ko[1024];
	char deps[64];
	size_t n = make_ko(ko, mi, sizeof(mi));

	assert_int_equal(nxi_modinfo_depends(ko, n, deps, sizeof(deps)), 0);
	assert_string_equal(deps, "virtio,virtio_ring");
	/* No depends= at all: none. */
	n = make_ko(ko, "license=GPL\0", 12);
	assert_int_equal(nxi_modinfo_depends(ko, n, deps, sizeof(deps)), 0);
	assert_string_equal(deps, "");
	/* Damaged files: truncated, not ELF, section table past the end. */
	n = make_ko(ko, mi, sizeof(mi));
	assert_int_equal(nxi_modinfo_depends(ko, 40, deps, sizeof(deps)), -1);
	assert_int_equal(nxi_modinfo_depends("not an elf file at all, really not", 34, deps,
					     sizeof(deps)), -1);
	((Elf64_Ehdr *)ko)->e_shoff = 100000;
	assert_int_equal(nxi_modinfo_depends(ko, n, deps, sizeof(deps)), -1);
	/* A depends= longer than the caller's buffer is refused, not cut. */
	n = make_ko(ko, mi, sizeof(mi));
	assert_int_equal(nxi_modinfo_depends(ko, n, deps, 8), -1);
}

/* ---- module resolution over a fake modules tree ---------------------------- */
static void put_ko(const char *dir, const char *sub, const char *name, const char *deps)
{
	char path[512], mi[256];
	uint8_t ko[1024];
	size_t n, ml = (size_t)snprintf(mi, sizeof(mi), "depends=%s", deps) + 1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, sub);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%s/%s.ko", dir, sub, name);
	n = make_ko(ko, mi, ml);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(ko, 1, n, f), n);
	fclose(f);
}

static void test_resolve(void **state)
{
	char dir[] = "/tmp/nexit-mods-XXXXXX", names[3][64] = { "virtio-blk", "button" };
	char (*paths)[NXI_PATH] = calloc(NXI_MAX_MODULES, NXI_PATH);
	char cmd[128];
	int n = 0;

	assert_non_null(mkdtemp(dir));
	put_ko(dir, "a", "virtio_blk", "virtio,virtio_ring");
	put_ko(dir, "b", "virtio_ring", "virtio");
	put_ko(dir, "b", "virtio", "");
	put_ko(dir, "c", "button", "");
	assert_int_equal(nxi_modules_resolve(dir, names, 2, paths, NXI_MAX_MODULES, &n), 0);
	assert_int_equal(n, 4);
	/* Dependencies first, each once; '-' and '_' are the same name. */
	assert_non_null(strstr(paths[0], "/virtio.ko"));
	assert_non_null(strstr(paths[1], "/virtio_ring.ko"));
	assert_non_null(strstr(paths[2], "/virtio_blk.ko"));
	assert_non_null(strstr(paths[3], "/button.ko"));
	/* A missing module, and a dependency loop, are errors, not hangs. */
	strcpy(names[2], "nosuch");
	assert_int_equal(nxi_modules_resolve(dir, &names[2], 1, paths, NXI_MAX_MODULES, &n), -1);
	put_ko(dir, "d", "loop_a", "loop_b");
	put_ko(dir, "d", "loop_b", "loop_a");
	strcpy(names[2], "loop_a");
	assert_int_equal(nxi_modules_resolve(dir, &names[2], 1, paths, NXI_MAX_MODULES, &n), 0);
	assert_int_equal(n, 2);		/* each visited once: the loop ends */
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
	free(paths);
}

/* ---- the [image] section ------------------------------------------------------ */
static int spec_of(const char *text, struct nxi_spec *s)
{
	char path[] = "/tmp/nexit-image-ini-XXXXXX";
	int fd = mkstemp(path), r;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	r = nxi_spec_load(s, path);
	unlink(path);
	return r;
}

static void test_spec(void **state)
{
	struct nxi_spec *s = malloc(sizeof(*s));

	assert_int_equal(spec_of("[vm]\nmemory = 1G\n[image]\nroot = r.img\nroot_size = 32M\n"
				 "modules = a b,c\nfiles = x:/etc/x, y:/y\n", s), 0);
	assert_string_equal(s->root, "r.img");
	assert_int_equal(s->root_size, 32u << 20);
	assert_int_equal(s->nmodules, 3);
	assert_string_equal(s->modules[2], "c");
	assert_int_equal(s->nfiles, 2);
	assert_string_equal(s->files[1].src, "y");
	assert_string_equal(s->files[1].dst, "y");
	assert_string_equal(s->busybox, "/bin/busybox");	/* default */
	/* Errors: unknown key, nothing to build, bad sizes, bad files entries. */
	assert_int_equal(spec_of("[image]\nroot = r\nfoo = 1\n", s), -1);
	assert_int_equal(spec_of("[image]\nlabel = x\n", s), -1);
	assert_int_equal(spec_of("[image]\nroot = r\nroot_size = 1M\n", s), -1);
	assert_int_equal(spec_of("[image]\nroot = r\nroot_size = lots\n", s), -1);
	assert_int_equal(spec_of("[image]\nroot = r\nfiles = x\n", s), -1);
	assert_int_equal(spec_of("[image]\nroot = r\nfiles = x:relative\n", s), -1);
	assert_int_equal(spec_of("[image]\nroot = r\nfiles = x:/\n", s), -1);
	assert_int_equal(spec_of("[image]\nroot = r\nfiles = x:/a/../../etc/passwd\n", s), -1);
	assert_int_equal(spec_of("[image]\nroot = r\nfiles = x:/..\n", s), -1);
	assert_int_equal(spec_of("[image]\nroot = r\nfiles = x:/etc//x\n", s), -1);
	assert_int_equal(spec_of("[image]\nroot = r\nfiles = x:/etc/./x\n", s), -1);
	assert_int_equal(spec_of("[image]\nroot = r\nfiles = x:/etc/x.d/..y\n", s), 0);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cpio),
		cmocka_unit_test(test_modinfo),
		cmocka_unit_test(test_resolve),
		cmocka_unit_test(test_spec),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

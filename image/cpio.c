/* SPDX-License-Identifier: MIT */
/*
 * cpio.c - the "new ASCII" (newc, magic 070701) cpio format the kernel
 * unpacks as an initramfs (Documentation/driver-api/early-userspace/
 * buffer-format.rst): per entry a 110-byte header of 13 eight-digit hex
 * fields (ino, mode, uid, gid, nlink, mtime, filesize, devmajor, devminor,
 * rdevmajor, rdevminor, namesize with its NUL, check = 0), the name, the
 * data, each padded to 4 bytes; the archive ends with "TRAILER!!!".
 * Written directly, an archive can hold device nodes and root-owned files
 * that the builder itself could not create. Everything is owned by 0:0
 * with mtime 0, so the same inputs give the same bytes.
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include "image/image.h"

static int pad(struct nxi_cpio *c)
{
	static const char zero[4];
	size_t n = (4 - (c->bytes & 3)) & 3;

	if (n && fwrite(zero, 1, n, c->f) != n)
		return -1;
	c->bytes += n;
	return 0;
}

static int entry(struct nxi_cpio *c, const char *name, unsigned mode, const void *data,
		 size_t len, unsigned rmaj, unsigned rmin)
{
	char h[111];
	size_t nl = strlen(name) + 1;

	snprintf(h, sizeof(h), "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		 c->ino++, mode, 0u, 0u, S_ISDIR(mode) ? 2u : 1u, 0u, (unsigned)len, 0u, 0u, rmaj,
		 rmin, (unsigned)nl, 0u);
	if (fwrite(h, 1, 110, c->f) != 110 || fwrite(name, 1, nl, c->f) != nl)
		return -1;
	c->bytes += 110 + nl;
	if (pad(c) < 0)
		return -1;
	if (len && fwrite(data, 1, len, c->f) != len)
		return -1;
	c->bytes += len;
	return pad(c);
}

int nxi_cpio_open(struct nxi_cpio *c, FILE *f)
{
	memset(c, 0, sizeof(*c));
	c->f = f;
	c->ino = 1;
	return 0;
}

int nxi_cpio_dir(struct nxi_cpio *c, const char *name, unsigned mode)
{
	return entry(c, name, S_IFDIR | (mode & 07777), NULL, 0, 0, 0);
}

int nxi_cpio_file(struct nxi_cpio *c, const char *name, unsigned mode, const void *data,
		  size_t len)
{
	if (len > 0xffffffffu)
		return -1;
	return entry(c, name, S_IFREG | (mode & 07777), data, len, 0, 0);
}

int nxi_cpio_symlink(struct nxi_cpio *c, const char *name, const char *target)
{
	return entry(c, name, S_IFLNK | 0777, target, strlen(target), 0, 0);
}

int nxi_cpio_chardev(struct nxi_cpio *c, const char *name, unsigned mode, unsigned major,
		     unsigned minor)
{
	return entry(c, name, S_IFCHR | (mode & 07777), NULL, 0, major, minor);
}

int nxi_cpio_close(struct nxi_cpio *c)
{
	if (entry(c, "TRAILER!!!", 0, NULL, 0, 0, 0) < 0)
		return -1;
	return fflush(c->f) == 0 ? 0 : -1;
}

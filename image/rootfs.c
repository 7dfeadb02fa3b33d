/* SPDX-License-Identifier: MIT */
/*
 * rootfs.c - the two images of an appliance:
 *
 * initramfs (stage 1): /init (the init script), /bin/busybox, the kernel
 *   modules in load order under /lib/modules with their order in
 *   /etc/nexit/modules, /dev/console (the kernel opens it for init's stdio
 *   before devtmpfs exists), mount points. Uncompressed: the kernel copies
 *   it instead of inflating it, the cheapest unpack there is.
 * root (stage 2): an ext4 image from a staging directory with `mke2fs -d`
 *   (e2fsprogs >= 1.43): /sbin/init, /bin/busybox, the files listed,
 *   mount points. mke2fs copies the tree into the new file system itself,
 *   so no root privileges and no loop mount are needed.
 *
 * Each is written to NAME.tmp and renamed over NAME when complete: a failed
 * build never leaves half an image where the old one was.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "core/vm.h"
#include "image/image.h"

#define FILE_MAX (256u << 20)

int nxi_read_file(const char *path, uint8_t **buf, size_t *len)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t done = 0;

	if (fd < 0)
		return nx_error("image: %s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > FILE_MAX) {
		close(fd);
		return nx_error("image: %s: not a regular file of at most 256 MiB", path);
	}
	*len = (size_t)st.st_size;
	*buf = malloc(*len ? *len : 1);
	if (!*buf) {
		close(fd);
		return nx_error("out of memory");
	}
	while (done < *len) {
		ssize_t r = read(fd, *buf + done, *len - done);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			free(*buf);
			close(fd);
			return nx_error("image: %s: read failed", path);
		}
		done += (size_t)r;
	}
	close(fd);
	return 0;
}

/* busybox runs as the first process of an image with no libc: an x86-64
 * ELF executable without a PT_INTERP (a dynamic loader) program header. */
static int check_busybox(const char *path, const uint8_t *b, size_t len)
{
	const Elf64_Ehdr *eh = (const void *)b;

	if (len < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_machine != EM_X86_64 ||
	    eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phoff > len ||
	    eh->e_phnum > (len - eh->e_phoff) / sizeof(Elf64_Phdr))
		return nx_error("image: busybox %s is not an x86-64 ELF executable", path);
	for (unsigned i = 0; i < eh->e_phnum; i++)
		if (((const Elf64_Phdr *)(b + eh->e_phoff))[i].p_type == PT_INTERP)
			return nx_error("image: busybox %s is dynamically linked: the image has no "
					"libc (apt-get install busybox-static)", path);
	return 0;
}

static int load(const char *what, const char *path, uint8_t **buf, size_t *len)
{
	if (!path[0])
		return nx_error("image: [image] %s = FILE is missing", what);
	return nxi_read_file(path, buf, len);
}

/* ---- initramfs ----------------------------------------------------------- */
static int write_initramfs(const struct nxi_spec *s, FILE *f)
{
	static const char *const dirs[] = { "bin", "dev", "etc", "etc/nexit", "lib", "lib/modules",
					    "proc", "sys", "tmp", "root", "run", NULL };
	char (*paths)[NXI_PATH] = calloc(NXI_MAX_MODULES, NXI_PATH);
	char *order = calloc(1, NXI_MAX_MODULES * 80 + 1);
	struct nxi_cpio c;
	uint8_t *bb = NULL, *init = NULL;
	size_t bbl, initl;
	int n = 0, rc = -1;

	if (!paths || !order) {
		nx_error("out of memory");
		goto out;
	}
	if (load("busybox", s->busybox, &bb, &bbl) < 0 || check_busybox(s->busybox, bb, bbl) < 0 ||
	    load("init", s->init, &init, &initl) < 0)
		goto out;
	if (s->nmodules && !s->modules_dir[0]) {
		nx_error("image: [image] modules needs modules_dir = .../lib/modules/<release>");
		goto out;
	}
	if (s->nmodules &&
	    nxi_modules_resolve(s->modules_dir, (char (*)[64])s->modules, s->nmodules, paths,
				NXI_MAX_MODULES, &n) < 0)
		goto out;
	nxi_cpio_open(&c, f);
	for (int i = 0; dirs[i]; i++)
		if (nxi_cpio_dir(&c, dirs[i], 0755) < 0)
			goto io;
	if (nxi_cpio_chardev(&c, "dev/console", 0600, 5, 1) < 0 ||
	    nxi_cpio_file(&c, "bin/busybox", 0755, bb, bbl) < 0 ||
	    nxi_cpio_file(&c, "init", 0755, init, initl) < 0)
		goto io;
	for (int i = 0; i < n; i++) {
		char name[NXI_PATH + 16], *base = strrchr(paths[i], '/') + 1;
		uint8_t *ko;
		size_t kol;

		if (nxi_read_file(paths[i], &ko, &kol) < 0)
			goto out;
		snprintf(name, sizeof(name), "lib/modules/%s", base);
		rc = nxi_cpio_file(&c, name, 0644, ko, kol);
		free(ko);
		if (rc < 0)
			goto io;
		rc = -1;
		strncat(order, base, 79);
		strcat(order, "\n");
	}
	if (nxi_cpio_file(&c, "etc/nexit/modules", 0644, order, strlen(order)) < 0 ||
	    nxi_cpio_close(&c) < 0)
		goto io;
	nx_info("image: initramfs: busybox, init, %d modules, %llu bytes", n,
		(unsigned long long)c.bytes);
	rc = 0;
	goto out;
io:
	nx_error("image: writing the initramfs: %s", strerror(errno));
out:
	free(bb);
	free(init);
	free(paths);
	free(order);
	return rc;
}

/* Writes NAME.tmp with fn, then renames it over NAME. */
static int atomic_write(const char *path, int (*fn)(const struct nxi_spec *, FILE *),
			const struct nxi_spec *s)
{
	char tmp[NXI_PATH + 8];
	FILE *f;
	int rc;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "wbe");
	if (!f)
		return nx_error("image: cannot write %s: %s", tmp, strerror(errno));
	rc = fn(s, f);
	if (fclose(f) != 0 && rc == 0)
		rc = nx_error("image: writing %s: %s", tmp, strerror(errno));
	if (rc == 0 && rename(tmp, path) < 0)
		rc = nx_error("image: rename %s: %s", tmp, strerror(errno));
	if (rc < 0)
		unlink(tmp);
	return rc;
}

int nxi_build_initramfs(const struct nxi_spec *s)
{
	return atomic_write(s->initramfs, write_initramfs, s);
}

/* ---- root file system ------------------------------------------------------ */
static int mkdirs(const char *path)
{
	char p[NXI_PATH];

	snprintf(p, sizeof(p), "%s", path);
	for (char *q = p + 1; *q; q++) {
		if (*q != '/')
			continue;
		*q = 0;
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			return -1;
		*q = '/';
	}
	return mkdir(p, 0755) < 0 && errno != EEXIST ? -1 : 0;
}

static int put_file(const char *stage, const char *dst, const char *src, unsigned mode)
{
	char path[2 * NXI_PATH], dir[2 * NXI_PATH];
	uint8_t *b;
	size_t len;
	int fd, rc = 0;

	if (nxi_read_file(src, &b, &len) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/%s", stage, dst);
	snprintf(dir, sizeof(dir), "%s", path);
	if (mkdirs(dirname(dir)) < 0) {
		free(b);
		return nx_error("image: cannot create the directory of %s: %s", dst, strerror(errno));
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0 || write(fd, b, len) != (ssize_t)len)
		rc = nx_error("image: cannot stage %s: %s", dst, strerror(errno));
	if (fd >= 0)
		close(fd);
	free(b);
	return rc;
}

static int rm_entry(const char *p, const struct stat *st, int type, struct FTW *f)
{
	return remove(p);
}

/* mke2fs -q -F -t ext4 -b 4096 -L label -d stage -E root_owner=0:0 img size:
 * the files keep their modes; owners are the builder's (root when built as
 * root). 4 KiB blocks: the page size, fewer requests per file. */
static int mke2fs(const struct nxi_spec *s, const char *stage, const char *img)
{
	char size[32], owner[] = "root_owner=0:0";
	char *argv[] = { "mke2fs", "-q", "-F", "-t", "ext4", "-b", "4096", "-L", (char *)s->label,
			 "-d", (char *)stage, "-E", owner, (char *)img, size, NULL };
	int st;
	pid_t pid;

	snprintf(size, sizeof(size), "%lluk", (unsigned long long)(s->root_size >> 10));
	pid = fork();
	if (pid < 0)
		return nx_error("image: fork: %s", strerror(errno));
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		if (null >= 0)
			dup2(null, 1);		/* "Creating regular file ..." */
		execvp("mke2fs", argv);
		execv("/sbin/mke2fs", argv);
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return nx_error("image: waitpid: %s", strerror(errno));
	if (WIFEXITED(st) && WEXITSTATUS(st) == 127)
		return nx_error("image: no mke2fs (apt-get install e2fsprogs)");
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		return nx_error("image: mke2fs -d failed for %s (status %d): is root_size = %lluM "
				"large enough?", img, WIFEXITED(st) ? WEXITSTATUS(st) : -1,
				(unsigned long long)(s->root_size >> 20));
	return 0;
}

int nxi_build_root(const struct nxi_spec *s)
{
	static const char *const dirs[] = { "bin", "sbin", "dev", "etc", "proc", "sys", "tmp",
					    "run", "var", "root", "mnt", NULL };
	char stage[NXI_PATH + 16], tmp[NXI_PATH + 8], d[2 * NXI_PATH];
	uint8_t *bb;
	size_t bbl;
	int rc = -1;

	if (load("busybox", s->busybox, &bb, &bbl) < 0)
		return -1;
	rc = check_busybox(s->busybox, bb, bbl);
	free(bb);
	if (rc < 0)
		return -1;
	rc = -1;
	snprintf(stage, sizeof(stage), "%s.stage.XXXXXX", s->root);
	if (!mkdtemp(stage))
		return nx_error("image: cannot create a staging directory %s: %s", stage,
				strerror(errno));
	chmod(stage, 0755);			/* becomes the root directory */
	for (int i = 0; dirs[i]; i++) {
		snprintf(d, sizeof(d), "%s/%s", stage, dirs[i]);
		if (mkdir(d, dirs[i][0] == 't' ? 01777 : 0755) < 0) {
			nx_error("image: %s: %s", d, strerror(errno));
			goto out;
		}
		if (dirs[i][0] == 't')
			chmod(d, 01777);
	}
	if (put_file(stage, "bin/busybox", s->busybox, 0755) < 0 ||
	    load("init", s->init, &bb, &bbl) < 0)
		goto out;
	free(bb);
	if (put_file(stage, "sbin/init", s->init, 0755) < 0)
		goto out;
	for (int i = 0; i < s->nfiles; i++) {
		struct stat st;
		unsigned mode = stat(s->files[i].src, &st) == 0 ? st.st_mode & 0777 : 0644;

		if (put_file(stage, s->files[i].dst, s->files[i].src, mode) < 0)
			goto out;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp", s->root);
	unlink(tmp);
	if (mke2fs(s, stage, tmp) < 0) {
		unlink(tmp);
		goto out;
	}
	if (rename(tmp, s->root) < 0) {
		nx_error("image: rename %s: %s", tmp, strerror(errno));
		unlink(tmp);
		goto out;
	}
	nx_info("image: root: ext4 \"%s\", %lluM, busybox, /sbin/init, %d files", s->label,
		(unsigned long long)(s->root_size >> 20), s->nfiles);
	rc = 0;
out:
	nftw(stage, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return rc;
}

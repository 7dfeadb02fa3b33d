/* SPDX-License-Identifier: MIT */
/*
 * image.h - `nexit image --config FILE`: an appliance's boot files from the
 * [image] section of the same INI file nexit runs it from, with no root
 * privileges and no loop mounts (docs/appliance.md):
 *
 *   initramfs  an uncompressed newc cpio (cpio.c) written directly, so it
 *              can hold /dev/console without mknod: busybox, the init
 *              script, and the kernel modules listed, with their
 *              dependencies from each module's .modinfo (modules.c);
 *   root       an ext4 image made by `mke2fs -d` from a staging directory
 *              (rootfs.c): busybox, the init as /sbin/init, the files listed.
 *
 * Files: cli.c (the command, [image] keys), cpio.c, modules.c, rootfs.c.
 */
#ifndef NEXIT_IMAGE_H
#define NEXIT_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

int nx_cmd_image(int argc, char **argv);	/* `nexit image ...`, returns exit status */

#define NXI_PATH	4096
#define NXI_MAX_FILES	32
#define NXI_MAX_MODULES	64

/* The [image] section. Paths are relative to the current directory. */
struct nxi_spec {
	char root[NXI_PATH];		/* root = ext4 image to write ("" = none)   */
	uint64_t root_size;		/* root_size = 64M                          */
	char initramfs[NXI_PATH];	/* initramfs = cpio to write ("" = none)    */
	char busybox[NXI_PATH];		/* busybox = a static busybox               */
	char init[NXI_PATH];		/* init = the init script                   */
	char modules_dir[NXI_PATH];	/* modules_dir = .../lib/modules/<release>   */
	char modules[NXI_MAX_MODULES][64];	/* modules = names, load order */
	int nmodules;
	struct { char src[NXI_PATH], dst[256]; } files[NXI_MAX_FILES];	/* files = SRC:DST,... */
	int nfiles;
	char label[17];			/* label = ext4 volume label                */
};
/* Parses the [image] section of path; other sections are nexit run's. */
int nxi_spec_load(struct nxi_spec *s, const char *path);

/* ---- cpio.c: newc ("070701") archives ------------------------------------- */
struct nxi_cpio {
	FILE *f;
	uint32_t ino;
	uint64_t bytes;
};
int nxi_cpio_open(struct nxi_cpio *c, FILE *f);
int nxi_cpio_dir(struct nxi_cpio *c, const char *name, unsigned mode);
int nxi_cpio_file(struct nxi_cpio *c, const char *name, unsigned mode, const void *data,
		  size_t len);
int nxi_cpio_symlink(struct nxi_cpio *c, const char *name, const char *target);
int nxi_cpio_chardev(struct nxi_cpio *c, const char *name, unsigned mode, unsigned major,
		     unsigned minor);
int nxi_cpio_close(struct nxi_cpio *c);		/* TRAILER!!! */

/* ---- modules.c: kernel modules and their dependencies --------------------- */
/* The "depends=" list of a module's .modinfo section (ELF64), comma-separated. */
int nxi_modinfo_depends(const void *elf, size_t len, char *out, size_t olen);
/* Resolves names (and their dependencies, each before its users) to paths
 * under dir; paths[] in load order, *n set. */
int nxi_modules_resolve(const char *dir, char names[][64], int nnames, char (*paths)[NXI_PATH],
			int max, int *n);

/* ---- rootfs.c --------------------------------------------------------------- */
int nxi_build_initramfs(const struct nxi_spec *s);
int nxi_build_root(const struct nxi_spec *s);
/* Reads a whole file (at most 256 MiB). */
int nxi_read_file(const char *path, uint8_t **buf, size_t *len);

#endif

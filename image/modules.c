/* SPDX-License-Identifier: MIT */
/*
 * modules.c - the kernel modules an appliance's initramfs loads, each after
 * the modules it needs. A module's dependencies are the "depends=" entry of
 * its .modinfo section (what depmod writes to modules.dep; a kernel
 * package as unpacked by apt-get download has no modules.dep). Modules are
 * looked up by name under modules_dir (its kernel/ tree), with '-' and '_'
 * the same, as the kernel treats them. Only plain .ko files: busybox insmod
 * hands the bytes to init_module, which takes no compressed module.
 */
#include <dirent.h>
#include <elf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "core/vm.h"
#include "image/image.h"

int nxi_modinfo_depends(const void *elf, size_t len, char *out, size_t olen)
{
	const Elf64_Ehdr *eh = elf;
	const Elf64_Shdr *sh, *strs;

	out[0] = 0;
	if (len < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_shentsize != sizeof(Elf64_Shdr) ||
	    eh->e_shoff > len || eh->e_shnum > (len - eh->e_shoff) / sizeof(Elf64_Shdr) ||
	    eh->e_shstrndx >= eh->e_shnum)
		return -1;
	sh = (const Elf64_Shdr *)((const char *)elf + eh->e_shoff);
	strs = &sh[eh->e_shstrndx];
	if (strs->sh_offset > len || strs->sh_size > len - strs->sh_offset)
		return -1;
	for (unsigned i = 0; i < eh->e_shnum; i++) {
		const char *p, *end, *nm = (const char *)elf + strs->sh_offset + sh[i].sh_name;

		if (sh[i].sh_name >= strs->sh_size || sh[i].sh_offset > len ||
		    sh[i].sh_size > len - sh[i].sh_offset ||
		    strnlen(nm, strs->sh_size - sh[i].sh_name) == strs->sh_size - sh[i].sh_name ||
		    strcmp(nm, ".modinfo"))
			continue;
		/* NUL-separated key=value strings. */
		p = (const char *)elf + sh[i].sh_offset;
		end = p + sh[i].sh_size;
		for (; p < end; p += strnlen(p, (size_t)(end - p)) + 1) {
			size_t n = strnlen(p, (size_t)(end - p));

			if (n >= 8 && !strncmp(p, "depends=", 8)) {
				if (n - 8 >= olen)
					return -1;
				memcpy(out, p + 8, n - 8);
				out[n - 8] = 0;
				return 0;
			}
		}
		return 0;
	}
	return -1;
}

static bool same_name(const char *file, const char *name)
{
	size_t n = strlen(name);

	if (strlen(file) != n + 3 || strcmp(file + n, ".ko"))
		return false;
	for (size_t i = 0; i < n; i++) {
		char a = file[i] == '-' ? '_' : file[i], b = name[i] == '-' ? '_' : name[i];
		if (a != b)
			return false;
	}
	return true;
}

/* Depth-first search of dir for NAME.ko; 0 and path if found. */
static int find(const char *dir, const char *name, char *path, int depth)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int r = -1;

	if (!d || depth > 8) {
		if (d)
			closedir(d);
		return -1;
	}
	while (r < 0 && (e = readdir(d))) {
		char sub[NXI_PATH];
		struct stat st;

		if (e->d_name[0] == '.')
			continue;
		if (snprintf(sub, sizeof(sub), "%s/%s", dir, e->d_name) >= (int)sizeof(sub) ||
		    lstat(sub, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode))
			r = find(sub, name, path, depth + 1);
		else if (S_ISREG(st.st_mode) && same_name(e->d_name, name)) {
			snprintf(path, NXI_PATH, "%s", sub);
			r = 0;
		}
	}
	closedir(d);
	return r;
}

struct resolve {
	const char *dir;
	char (*paths)[NXI_PATH];
	char names[NXI_MAX_MODULES][64];	/* visited, normalised */
	int nvisited, n, max;
};

static int visit(struct resolve *r, const char *name, int depth)
{
	char norm[64], path[NXI_PATH], deps[512], *save = NULL;
	uint8_t *buf;
	size_t len;

	if (strlen(name) >= sizeof(norm) || !name[0])
		return nx_error("image: module name '%s' is not a module name", name);
	for (size_t i = 0; i <= strlen(name); i++)
		norm[i] = name[i] == '-' ? '_' : name[i];
	for (int i = 0; i < r->nvisited; i++)
		if (!strcmp(r->names[i], norm))
			return 0;
	if (r->nvisited == NXI_MAX_MODULES || depth > 16)
		return nx_error("image: more than %d modules (or a dependency loop) from %s",
				NXI_MAX_MODULES, name);
	strcpy(r->names[r->nvisited++], norm);
	if (find(r->dir, name, path, 0) < 0)
		return nx_error("image: module %s: no %s.ko under %s (plain .ko files only)", name,
				name, r->dir);
	if (nxi_read_file(path, &buf, &len) < 0)
		return -1;
	if (nxi_modinfo_depends(buf, len, deps, sizeof(deps)) < 0) {
		free(buf);
		return nx_error("image: module %s: %s is not a kernel module (no ELF64 .modinfo)",
				name, path);
	}
	free(buf);
	for (char *t = strtok_r(deps, ",", &save); t; t = strtok_r(NULL, ",", &save))
		if (visit(r, t, depth + 1) < 0)
			return -1;
	if (r->n == r->max)
		return nx_error("image: too many modules (at most %d)", r->max);
	snprintf(r->paths[r->n++], NXI_PATH, "%s", path);
	return 0;
}

int nxi_modules_resolve(const char *dir, char names[][64], int nnames, char (*paths)[NXI_PATH],
			int max, int *n)
{
	struct resolve *r = calloc(1, sizeof(*r));
	int rc = 0;

	if (!r)
		return nx_error("out of memory");
	r->dir = dir;
	r->paths = paths;
	r->max = max;
	for (int i = 0; i < nnames && rc == 0; i++)
		rc = visit(r, names[i], 0);
	*n = r->n;
	free(r);
	return rc;
}

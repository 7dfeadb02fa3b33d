/* SPDX-License-Identifier: MIT */
/*
 * cli.c - `nexit image --config FILE [--force]`: builds what the [image]
 * section of FILE asks for (image.h). The other sections are nexit run's
 * and are not read here. An image is rebuilt when it is missing, when one
 * of its inputs is newer, or with --force; otherwise it is kept (a root
 * image holds what the appliance wrote).
 *
 *   [image]
 *   root        = build/appliance/root.img     ; ext4 image to build
 *   root_size   = 64M
 *   label       = nexit-root                   ; ext4 volume label
 *   initramfs   = build/appliance/initramfs.cpio
 *   busybox     = /bin/busybox                 ; static
 *   init        = guest/appliance/init         ; /init and /sbin/init
 *   modules_dir = build/appliance/modules      ; .../lib/modules/<release>
 *   modules     = virtio_pci virtio_blk virtio_net button evdev
 *   files       = guest/appliance/hosts:/etc/hosts, README:/README
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <ini.h>
#include "core/vm.h"
#include "image/image.h"

struct load_ctx {
	struct nxi_spec *s;
	const char *path;
	bool failed;
};

static int copy(char *dst, size_t n, const char *v, const char *where, const char *key)
{
	if (strlen(v) >= n)
		return nx_error("%s: [image] %s is too long (at most %zu characters)", where, key, n - 1);
	strcpy(dst, v);
	return 0;
}

/* An absolute path with no "." or ".." component: it stays in the image. */
static bool inside(const char *dst)
{
	if (dst[0] != '/' || !dst[1])
		return false;
	for (const char *p = dst; (p = strchr(p, '/')); p++) {
		size_t n = strcspn(p + 1, "/");

		if (!n || (n == 1 && p[1] == '.') || (n == 2 && !strncmp(p + 1, "..", 2)))
			return false;
	}
	return true;
}

static int set_files(struct nxi_spec *s, const char *v, const char *where)
{
	char buf[4096], *save = NULL;

	if (strlen(v) >= sizeof(buf))
		return nx_error("%s: [image] files is too long", where);
	strcpy(buf, v);
	s->nfiles = 0;
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		char *colon;

		while (*t == ' ')
			t++;
		colon = strrchr(t, ':');
		if (!colon || colon == t || !inside(colon + 1) || strlen(colon) > sizeof(s->files[0].dst))
			return nx_error("%s: [image] files: '%s' is not SOURCE:/absolute/destination",
					where, t);
		if (s->nfiles == NXI_MAX_FILES)
			return nx_error("%s: [image] files: at most %d", where, NXI_MAX_FILES);
		*colon = 0;
		snprintf(s->files[s->nfiles].dst, sizeof(s->files[0].dst), "%s", colon + 2);
		if (copy(s->files[s->nfiles].src, NXI_PATH, t, where, "files") < 0)
			return -1;
		s->nfiles++;
	}
	return 0;
}

static int set_modules(struct nxi_spec *s, const char *v, const char *where)
{
	char buf[4096], *save = NULL;

	if (strlen(v) >= sizeof(buf))
		return nx_error("%s: [image] modules is too long", where);
	strcpy(buf, v);
	s->nmodules = 0;
	for (char *t = strtok_r(buf, ", ", &save); t; t = strtok_r(NULL, ", ", &save)) {
		if (s->nmodules == NXI_MAX_MODULES || strlen(t) >= sizeof(s->modules[0]))
			return nx_error("%s: [image] modules: at most %d names of 63 characters",
					where, NXI_MAX_MODULES);
		strcpy(s->modules[s->nmodules++], t);
	}
	return 0;
}

static int set_key(struct nxi_spec *s, const char *key, const char *v, const char *where)
{
	if (!strcmp(key, "root"))
		return copy(s->root, sizeof(s->root), v, where, key);
	if (!strcmp(key, "initramfs"))
		return copy(s->initramfs, sizeof(s->initramfs), v, where, key);
	if (!strcmp(key, "busybox"))
		return copy(s->busybox, sizeof(s->busybox), v, where, key);
	if (!strcmp(key, "init"))
		return copy(s->init, sizeof(s->init), v, where, key);
	if (!strcmp(key, "modules_dir"))
		return copy(s->modules_dir, sizeof(s->modules_dir), v, where, key);
	if (!strcmp(key, "label"))
		return copy(s->label, sizeof(s->label), v, where, key);
	if (!strcmp(key, "modules"))
		return set_modules(s, v, where);
	if (!strcmp(key, "files"))
		return set_files(s, v, where);
	if (!strcmp(key, "root_size")) {
		if (nx_parse_size(v, &s->root_size) < 0 || s->root_size < (4ull << 20) ||
		    s->root_size > (1ull << 40))
			return nx_error("%s: bad value '%s' for image.root_size: expected a size from "
					"4M to 1T such as 64M", where, v);
		return 0;
	}
	return nx_error("%s: unknown key '%s' in [image]: accepted keys are root, root_size, label, "
			"initramfs, busybox, init, modules_dir, modules, files", where, key);
}

static int on_key(void *user, const char *section, const char *key, const char *value)
{
	struct load_ctx *x = user;
	char where[NXI_PATH + 16];

	if (x->failed || strcmp(section, "image"))
		return 1;
	snprintf(where, sizeof(where), "%s:%d", x->path, nx_config_find_line(x->path, section, key));
	if (set_key(x->s, key, value, where) < 0) {
		x->failed = true;
		return 0;
	}
	return 1;
}

int nxi_spec_load(struct nxi_spec *s, const char *path)
{
	struct load_ctx x = { .s = s, .path = path };
	int r;

	memset(s, 0, sizeof(*s));
	s->root_size = 64ull << 20;
	strcpy(s->busybox, "/bin/busybox");
	strcpy(s->label, "nexit-root");
	r = ini_parse(path, on_key, &x);
	if (x.failed)
		return -1;
	if (r < 0)
		return nx_error("config %s: cannot read it", path);
	if (r > 0)
		return nx_error("%s:%d: malformed line", path, r);
	if (!s->root[0] && !s->initramfs[0])
		return nx_error("%s: no [image] root = or initramfs = to build", path);
	return 0;
}

static bool newer(const struct stat *a, const struct stat *b)
{
	return a->st_mtim.tv_sec > b->st_mtim.tv_sec ||
	       (a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec > b->st_mtim.tv_nsec);
}

/* True if out is missing or older than any input (make's rule). */
static bool stale(const char *out, const struct nxi_spec *s, bool with_files, const char *cfg)
{
	struct stat o, i;
	const char *in[] = { s->busybox, s->init, cfg, with_files ? "" : s->modules_dir };

	if (stat(out, &o) < 0)
		return true;
	for (size_t k = 0; k < sizeof(in) / sizeof(in[0]); k++)
		if (stat(in[k], &i) == 0 && newer(&i, &o))
			return true;
	for (int k = 0; with_files && k < s->nfiles; k++)
		if (stat(s->files[k].src, &i) == 0 && newer(&i, &o))
			return true;
	return false;
}

static void usage(FILE *o)
{
	fprintf(o,
"usage: nexit image --config FILE [--force]\n"
"\n"
"Builds an appliance's boot files from the [image] section of FILE (the same file\n"
"`nexit run --config FILE` boots): an uncompressed initramfs (busybox, init, the\n"
"kernel modules listed with their dependencies) and an ext4 root image (mke2fs -d:\n"
"busybox, /sbin/init, the files listed). No root privileges, no loop mounts.\n"
"An image is rebuilt only when missing or older than its inputs, or with --force\n"
"(rebuilding the root image discards what the appliance wrote to it).\n");
}

int nx_cmd_image(int argc, char **argv)
{
	static const struct option opts[] = { { "config", required_argument, 0, 'c' },
		{ "force", no_argument, 0, 'f' }, { "help", no_argument, 0, 'h' }, { 0 } };
	const char *cfg = NULL;
	struct nxi_spec *s;
	bool force = false;
	int opt, rc = 0;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt == 'c')
			cfg = optarg;
		else if (opt == 'f')
			force = true;
		else if (opt == 'h')
			return usage(stdout), 0;
		else
			return nx_error("unknown option %s (see nexit image --help)", argv[optind - 1]), 2;
	}
	if (!cfg || optind < argc)
		return nx_error("usage: nexit image --config FILE [--force]"), 2;
	s = malloc(sizeof(*s));
	if (!s)
		return nx_error("out of memory"), 1;
	if (nxi_spec_load(s, cfg) < 0) {
		free(s);
		return 1;
	}
	if (s->initramfs[0] && (force || stale(s->initramfs, s, false, cfg)))
		rc = nxi_build_initramfs(s);
	if (rc == 0 && s->root[0] && (force || stale(s->root, s, true, cfg)))
		rc = nxi_build_root(s);
	if (rc == 0)
		nx_info("image: %s%s%s up to date", s->initramfs, s->initramfs[0] && s->root[0] ?
			" and " : "", s->root);
	free(s);
	return rc < 0 ? 1 : 0;
}

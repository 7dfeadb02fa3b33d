/* SPDX-License-Identifier: MIT */
/*
 * runner.c - runs one VMM process: fork/exec with its serial console on a
 * pipe (stdout), stderr on a second pipe, a wall-clock timeout, the time of
 * the first serial byte and line, and optionally RSS samples of the VMM
 * while it runs (the largest resident size outside guest RAM is kept).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "core/vm.h"
#include "bench/bench.h"

void nxb_argv_init(struct nxb_argv *a)
{
	memset(a, 0, sizeof(*a));
}

int nxb_argv_add(struct nxb_argv *a, const char *fmt, ...)
{
	va_list ap;
	size_t room = sizeof(a->store) - a->used;
	int len;

	if (a->n >= NXB_MAX_ARGS)
		return nx_error("bench: too many arguments for one VMM command");
	va_start(ap, fmt);
	len = vsnprintf(a->store + a->used, room, fmt, ap);
	va_end(ap);
	if (len < 0 || (size_t)len >= room)
		return nx_error("bench: VMM command line too long");
	a->v[a->n++] = a->store + a->used;
	a->v[a->n] = NULL;
	a->used += len + 1;
	return 0;
}

static void child_exec(struct nxb_argv *a, int outfd, int errfd, int execfd)
{
	int e;

	int devnull = open("/dev/null", O_RDONLY);

	/* Own process group: a timeout kills the VMM and anything it started
	 * (perf's child, nexit-devd). The harness ignores SIGPIPE; the VMM
	 * gets the default back (an ignored signal stays ignored across exec). */
	setpgid(0, 0);
	signal(SIGPIPE, SIG_DFL);
	if (devnull >= 0)
		dup2(devnull, 0);
	dup2(outfd, 1);
	dup2(errfd, 2);
	execvp(a->v[0], a->v);
	e = errno;
	fprintf(stderr, "nexit: error: bench: cannot run %s: %s\n", a->v[0], strerror(e));
	/* execfd is close-on-exec: the parent reads EOF on success, errno here. */
	if (write(execfd, &e, sizeof(e)) < 0)
		_exit(127);
	_exit(127);
}

static int append(char **buf, size_t *len, size_t *cap, const char *d, size_t n)
{
	if (*len + n + 1 > *cap) {
		size_t nc = (*cap ? *cap * 2 : 65536);
		char *nb;

		while (nc < *len + n + 1)
			nc *= 2;
		nb = realloc(*buf, nc);
		if (!nb)
			return -1;
		*buf = nb;
		*cap = nc;
	}
	memcpy(*buf + *len, d, n);
	*len += n;
	(*buf)[*len] = 0;
	return 0;
}

static void keep_tail(char *dst, size_t sz, const char *d, size_t n)
{
	size_t cur = strlen(dst);

	if (n >= sz - 1) {
		memcpy(dst, d + n - (sz - 1), sz - 1);
		dst[sz - 1] = 0;
		return;
	}
	if (cur + n >= sz) {
		size_t drop = cur + n - (sz - 1);
		memmove(dst, dst + drop, cur - drop + 1);
		cur -= drop;
	}
	memcpy(dst + cur, d, n);
	dst[cur + n] = 0;
}

static void sample_rss(struct nxb_proc *p, pid_t pid)
{
	uint64_t total, guest, ttotal, tguest;
	int nproc;

	/* A process that already exited (zombie) has no mappings: no sample. */
	if (nxb_smaps_rss(pid, p->guest_ram, p->ram_name, &total, &guest) < 0 ||
	    nxb_tree_rss(pid, p->guest_ram, p->ram_name, &ttotal, &tguest, &nproc) < 0)
		return;
	if (!p->rss_samples || total - guest > p->rss_vmm_kb) {
		p->rss_vmm_kb = total - guest;
		p->rss_total_kb = total;
		p->rss_guest_kb = guest;
	}
	if (!p->rss_samples || ttotal - tguest > p->rss_tree_kb) {
		p->rss_tree_kb = ttotal - tguest;
		p->rss_nproc = nproc;
	}
	p->rss_samples++;
}

int nxb_run(struct nxb_argv *a, struct nxb_proc *p)
{
	int outp[2], errp[2], execp[2], st = 0, eerr = 0;
	size_t cap = 0;
	bool out_open = true, err_open = true, probe_seen = false;
	pid_t pid;

	p->status = -1;
	p->timed_out = false;
	p->first_byte_ns = p->first_line_ns = p->marker_ns = 0;
	p->rss_samples = 0;
	p->rss_vmm_kb = p->rss_total_kb = p->rss_guest_kb = p->rss_tree_kb = 0;
	p->rss_nproc = 0;
	p->out = NULL;
	p->out_len = 0;
	p->err[0] = 0;
	if (pipe2(outp, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0 || pipe2(execp, O_CLOEXEC) < 0)
		return nx_error("bench: pipe: %s", strerror(errno));
	fflush(NULL);
	p->start_ns = nx_now_ns();
	pid = fork();
	if (pid < 0)
		return nx_error("bench: fork: %s", strerror(errno));
	if (pid == 0)
		child_exec(a, outp[1], errp[1], execp[1]);
	setpgid(pid, pid);	/* also here: no race with an early kill */
	close(outp[1]);
	close(errp[1]);
	close(execp[1]);
	/* Wait for the exec: before it the child is a copy of us, whose memory
	 * must not be sampled as the VMM's. */
	while (read(execp[0], &eerr, sizeof(eerr)) < 0 && errno == EINTR)
		;
	close(execp[0]);

	uint64_t deadline = p->start_ns + (uint64_t)p->timeout_ms * 1000000ull;
	uint64_t next_rss = p->start_ns;
	while (out_open || err_open) {
		struct pollfd pf[2] = { { out_open ? outp[0] : -1, POLLIN, 0 },
					{ err_open ? errp[0] : -1, POLLIN, 0 } };
		uint64_t now = nx_now_ns();
		char buf[4096];
		ssize_t n;

		uint64_t wake = deadline;
		if (now >= deadline) {
			p->timed_out = true;
			kill(-pid, SIGKILL);
			break;
		}
		if (p->rss_every_ms > 0) {
			if (now >= next_rss) {
				sample_rss(p, pid);
				next_rss = now + (uint64_t)p->rss_every_ms * 1000000ull;
			}
			if (next_rss < wake)
				wake = next_rss;
		}
		if (poll(pf, 2, (int)((wake - now) / 1000000ull) + 1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pf[0].revents) {
			n = read(outp[0], buf, sizeof(buf));
			if (n > 0) {
				uint64_t t = nx_now_ns();

				if (!p->first_byte_ns)
					p->first_byte_ns = t;
				if (!p->first_line_ns && memchr(buf, '\n', n))
					p->first_line_ns = t;
				append(&p->out, &p->out_len, &cap, buf, n);
				if (p->marker && !p->marker_ns && strstr(p->out, p->marker))
					p->marker_ns = t;
				if (p->on_probe && !probe_seen) {
					char *pl = strstr(p->out, "PROBE ");
					if (pl && strchr(pl, '\n')) {
						probe_seen = true;
						p->on_probe(p->on_probe_opaque);
					}
				}
			} else if (n == 0 || errno != EINTR) {
				out_open = false;
			}
		}
		if (pf[1].revents) {
			n = read(errp[0], buf, sizeof(buf));
			if (n > 0)
				keep_tail(p->err, sizeof(p->err), buf, n);
			else if (n == 0 || errno != EINTR)
				err_open = false;
		}
	}
	close(outp[0]);
	close(errp[0]);
	/* Both pipes closed (or timeout): reap; a VMM that closed its output but
	 * lingers gets until the deadline, then SIGKILL. */
	for (;;) {
		pid_t r = waitpid(pid, &st, WNOHANG);

		if (r == pid)
			break;
		if (r < 0 && errno != EINTR)
			break;
		if (nx_now_ns() >= deadline && !p->timed_out) {
			p->timed_out = true;
			kill(-pid, SIGKILL);
		}
		usleep(2000);
	}
	p->end_ns = nx_now_ns();
	if (!p->out)
		append(&p->out, &p->out_len, &cap, "", 0);
	if (WIFEXITED(st) && !p->timed_out)
		p->status = WEXITSTATUS(st);
	return 0;
}

void nxb_proc_free(struct nxb_proc *p)
{
	free(p->out);
	p->out = NULL;
}

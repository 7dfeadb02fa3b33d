/* SPDX-License-Identifier: MIT */
/*
 * qmp.c - reads QEMU's KVM statistics over QMP: the kernel-side counters
 * (KVM_GET_STATS_FD) that QEMU 7.1+ serves as `query-stats`.
 *
 * QEMU runs with -no-shutdown and without isa-debug-exit, so when the probe
 * leaves through ACPI S5 the VM stops but QEMU stays up; then we wait for
 * status "shutdown", read the per-vCPU stats and send "quit". QMP is one
 * JSON object per line; asynchronous events (SHUTDOWN, STOP) are skipped.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <json-c/json.h>
#include "core/vm.h"
#include "bench/bench.h"

struct qmp {
	int fd;
	char buf[65536];
	size_t len;
};

/* One line, as JSON; NULL on timeout, EOF or bad JSON. */
static struct json_object *qmp_line(struct qmp *q, int timeout_ms)
{
	uint64_t end = nx_now_ns() + (uint64_t)timeout_ms * 1000000ull;

	for (;;) {
		char *nl = memchr(q->buf, '\n', q->len);
		struct pollfd pf = { q->fd, POLLIN, 0 };
		uint64_t now = nx_now_ns();
		ssize_t n;

		if (nl) {
			struct json_object *o;

			*nl = 0;
			o = json_tokener_parse(q->buf);
			q->len -= nl + 1 - q->buf;
			memmove(q->buf, nl + 1, q->len);
			return o;
		}
		if (now >= end || q->len >= sizeof(q->buf) - 1)
			return NULL;
		if (poll(&pf, 1, (int)((end - now) / 1000000ull) + 1) <= 0)
			return NULL;
		n = read(q->fd, q->buf + q->len, sizeof(q->buf) - 1 - q->len);
		if (n <= 0)
			return NULL;
		q->len += n;
	}
}

/* Sends cmd and returns its "return" member's parent object (caller puts). */
static struct json_object *qmp_cmd(struct qmp *q, const char *cmd)
{
	struct json_object *o, *x;

	/* MSG_NOSIGNAL: a QEMU that already went away must not SIGPIPE us. */
	if (send(q->fd, cmd, strlen(cmd), MSG_NOSIGNAL) != (ssize_t)strlen(cmd) ||
	    send(q->fd, "\n", 1, MSG_NOSIGNAL) != 1)
		return NULL;
	while ((o = qmp_line(q, 3000))) {
		if (json_object_object_get_ex(o, "return", &x) || json_object_object_get_ex(o, "error", &x))
			return o;
		json_object_put(o);	/* an event */
	}
	return NULL;
}

static bool is_shutdown(struct json_object *o)
{
	struct json_object *r, *s;

	return json_object_object_get_ex(o, "return", &r) && json_object_object_get_ex(r, "status", &s) &&
	       !strcmp(json_object_get_string(s), "shutdown");
}

/* Sums the named KVM stat over every vCPU in a query-stats reply. */
static bool sum_stat(struct json_object *o, const char *name, double *sum)
{
	struct json_object *ret;
	bool found = false;

	*sum = 0;
	if (!json_object_object_get_ex(o, "return", &ret) || !json_object_is_type(ret, json_type_array))
		return false;
	for (size_t i = 0; i < json_object_array_length(ret); i++) {
		struct json_object *vcpu = json_object_array_get_idx(ret, i), *stats;

		if (!json_object_object_get_ex(vcpu, "stats", &stats))
			continue;
		for (size_t k = 0; k < json_object_array_length(stats); k++) {
			struct json_object *s = json_object_array_get_idx(stats, k), *n, *v;

			if (json_object_object_get_ex(s, "name", &n) &&
			    !strcmp(json_object_get_string(n), name) &&
			    json_object_object_get_ex(s, "value", &v)) {
				*sum += json_object_get_double(v);
				found = true;
			}
		}
	}
	return found;
}

int nxb_qmp_kvm_exits(const char *sock, double *exits, char *why, size_t wsz)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct qmp *q = calloc(1, sizeof(*q));
	struct json_object *o = NULL;
	int ret = -1;

	if (!q)
		return -1;
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", sock);
	q->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (q->fd < 0 || connect(q->fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		snprintf(why, wsz, "cannot connect to QEMU's QMP socket: %s", strerror(errno));
		goto out;
	}
	o = qmp_line(q, 3000);			/* greeting */
	if (!o) {
		snprintf(why, wsz, "no QMP greeting from QEMU");
		goto out;
	}
	json_object_put(o);
	o = qmp_cmd(q, "{\"execute\":\"qmp_capabilities\"}");
	json_object_put(o);
	/* The guest is on its way out (ACPI S5): wait until the VM stopped, so
	 * the window ends at the same point in both runs. */
	for (int i = 0; i < 300; i++) {
		o = qmp_cmd(q, "{\"execute\":\"query-status\"}");
		if (!o || is_shutdown(o))
			break;
		json_object_put(o);
		o = NULL;
		usleep(10000);
	}
	json_object_put(o);
	o = qmp_cmd(q, "{\"execute\":\"query-stats\",\"arguments\":{\"target\":\"vcpu\","
		       "\"providers\":[{\"provider\":\"kvm\",\"names\":[\"exits\"]}]}}");
	if (o && sum_stat(o, "exits", exits))
		ret = 0;
	else
		snprintf(why, wsz, "QEMU's query-stats returned no KVM \"exits\" stat");
	json_object_put(o);
	o = qmp_cmd(q, "{\"execute\":\"quit\"}");
	json_object_put(o);
out:
	if (q->fd >= 0)
		close(q->fd);
	free(q);
	return ret;
}

/* Unit tests: the control socket, `nexit stat`, `nexit stop` (core/control.c)
 * and systemd's notify protocol (core/notify.c). */
#include <setjmp.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <json-c/json.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include "core/vm.h"
#include "core/control.h"
#include "cli/cli.h"

struct fx {
	struct nx_vm vm;
	struct nx_config cfg;
	char dir[64], sock[128];
	bool serving;		/* a serving thread uses vm: keep it */
};

/* A subsystem's stats hook: the live JSON carries it like --stats-json. */
static void hook(void *opaque, void *json)
{
	json_object_object_add(json, "probe_hook", json_object_new_int(42));
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	nx_config_defaults(&f->cfg);
	f->vm.cfg = &f->cfg;
	f->vm.stats_fd_vm = -1;
	f->vm.stats.start_ns = nx_now_ns();
	atomic_store(&f->vm.stats.exits_total, 7);
	nx_stats_add_hook(&f->vm, hook, NULL);
	strcpy(f->dir, "/tmp/nexit-control-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->sock, sizeof(f->sock), "%s/ctl.sock", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	unlink(f->sock);
	rmdir(f->dir);
	if (!f->serving)
		free(f);
	return 0;
}

static int connect_to(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	strcpy(a.sun_path, path);
	assert_true(s >= 0);
	if (connect(s, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(s);
		return -1;
	}
	return s;
}

static void test_serves_live_json(void **state)
{
	struct fx *f = *state;
	char buf[16384];
	size_t n = 0;
	ssize_t r;
	json_object *root, *exits, *total, *h;
	int s;

	assert_int_equal(nx_control_start(&f->vm, f->sock), 0);
	f->serving = true;
	for (int round = 0; round < 2; round++) {	/* one answer per connection */
		n = 0;
		s = connect_to(f->sock);
		assert_true(s >= 0);
		while ((r = read(s, buf + n, sizeof(buf) - 1 - n)) > 0)
			n += (size_t)r;
		close(s);
		buf[n] = 0;
		root = json_tokener_parse(buf);
		assert_non_null(root);
		assert_true(json_object_object_get_ex(root, "exits", &exits));
		assert_true(json_object_object_get_ex(exits, "total", &total));
		assert_int_equal(json_object_get_int64(total), 7);
		assert_true(json_object_object_get_ex(root, "probe_hook", &h));
		assert_int_equal(json_object_get_int(h), 42);
		json_object_put(root);
	}
	/* A second VM on the same path is refused while this one answers. */
	assert_int_equal(nx_control_start(&f->vm, f->sock), -1);
}

static void test_not_a_socket(void **state)
{
	struct fx *f = *state;
	FILE *fp = fopen(f->sock, "w");

	assert_non_null(fp);
	fclose(fp);
	assert_int_equal(nx_control_start(&f->vm, f->sock), -1);
}

static void test_stale_socket_replaced(void **state)
{
	struct fx *f = *state;
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	struct stat st;

	strcpy(a.sun_path, f->sock);
	assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	close(s);	/* the socket file stays, nobody listens: stale */
	assert_int_equal(stat(f->sock, &st), 0);
	assert_int_equal(nx_control_start(&f->vm, f->sock), 0);
	f->serving = true;
	s = connect_to(f->sock);
	assert_true(s >= 0);
	close(s);
}

static void test_path_too_long(void **state)
{
	struct fx *f = *state;
	char path[200];

	memset(path, 'a', sizeof(path) - 1);
	path[sizeof(path) - 1] = 0;
	assert_int_equal(nx_control_start(&f->vm, path), -1);
}

static void test_cmd_stat_errors(void **state)
{
	struct fx *f = *state;
	char *none[] = { "stat", NULL };
	char *missing[] = { "stat", f->sock, NULL };

	assert_int_equal(nx_cli_stat(1, none), NX_EXIT_ERROR);
	assert_int_equal(nx_cli_stat(2, missing), NX_EXIT_ERROR);	/* nothing listens there */
}

/* "stop": the VM's main thread gets SIGTERM (nx_vm_run's orderly stop). */
static void test_stop_request(void **state)
{
	struct fx *f = *state;
	struct timespec ts = { 5, 0 };
	char *argv[] = { "stop", f->sock, NULL };
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	assert_int_equal(nx_control_start(&f->vm, f->sock), 0);
	f->serving = true;
	/* Before nx_vm_run there is nothing to stop: an error, no signal. */
	assert_int_equal(nx_cli_stop(2, argv), 1);
	f->vm.main_thread = pthread_self();
	assert_int_equal(nx_cli_stop(2, argv), 0);
	assert_int_equal(sigtimedwait(&set, NULL, &ts), SIGTERM);
	/* A plain reader that sends nothing still gets the stats. */
	{
		char buf[4096];
		int s = connect_to(f->sock);
		ssize_t r = read(s, buf, sizeof(buf) - 1);
		assert_true(r > 0);
		buf[r] = 0;
		assert_non_null(strstr(buf, "\"exits\""));
		close(s);
	}
	char *bad[] = { "stop", f->sock, "--wait", "x", NULL };
	assert_int_equal(nx_cli_stop(4, bad), 2);
}

static void test_sd_notify(void **state)
{
	struct fx *f = *state;
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	char buf[128];
	ssize_t n;
	int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	snprintf(a.sun_path, sizeof(a.sun_path), "%s/notify", f->dir);
	assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	setenv("NOTIFY_SOCKET", a.sun_path, 1);
	nx_sd_notify("READY=1\nSTATUS=vCPUs running");
	n = recv(s, buf, sizeof(buf) - 1, MSG_DONTWAIT);
	assert_true(n > 0);
	buf[n] = 0;
	assert_string_equal(buf, "READY=1\nSTATUS=vCPUs running");
	/* Abstract names start with '@'. */
	close(s);
	unlink(a.sun_path);
	s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	memset(a.sun_path, 0, sizeof(a.sun_path));
	snprintf(a.sun_path + 1, sizeof(a.sun_path) - 1, "nexit-test-%d", getpid());
	assert_int_equal(bind(s, (struct sockaddr *)&a,
			      (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
					  strlen(a.sun_path + 1))), 0);
	snprintf(buf, sizeof(buf), "@nexit-test-%d", getpid());
	setenv("NOTIFY_SOCKET", buf, 1);
	nx_sd_notify("STOPPING=1");
	n = recv(s, buf, sizeof(buf) - 1, MSG_DONTWAIT);
	assert_int_equal(n, 10);
	close(s);
	/* Unset: nothing to do, no error. */
	unsetenv("NOTIFY_SOCKET");
	nx_sd_notify("READY=1");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_serves_live_json, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_a_socket, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_socket_replaced, setup, teardown),
		cmocka_unit_test_setup_teardown(test_path_too_long, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cmd_stat_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_request, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sd_notify, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: MIT */
/* fdcount.h - open file descriptors of this process, for the tests that
 * check nothing leaks (unit tests and fuzz harnesses). */
#ifndef NEXIT_TESTS_FDCOUNT_H
#define NEXIT_TESTS_FDCOUNT_H
#include <dirent.h>

static inline int nx_test_open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	while (d && readdir(d))
		n++;
	if (d)
		closedir(d);
	return n;
}
#endif

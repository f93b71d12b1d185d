/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Victims of selftests/rt-suite.sh: each sets up some state, prints
 * "READY <pid>", waits until it runs in another process (its pid changed:
 * it was checkpointed and restarted), checks its state and prints
 * "RESTARTED <n> pid=<pid>", and after the number of restarts given by
 * -r N (default 1) prints "PASS" and exits 0.  "FAIL: why" and exit 1
 * otherwise.
 */
#ifndef VICTIM_H
#define VICTIM_H

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>

static long victim_pid;
static int victim_restarts = 1;

static inline void victim_fail(const char *fmt, ...)
{
	va_list ap;

	printf("FAIL: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	exit(1);
}

#define CHECK(cond, ...) do { if (!(cond)) victim_fail(__VA_ARGS__); } while (0)

static inline void victim_args(int argc, char **argv)
{
	int i;

	for (i = 1; i + 1 < argc; i++)
		if (!strcmp(argv[i], "-r"))
			victim_restarts = atoi(argv[i + 1]);
}

static inline void victim_ready(void)
{
	victim_pid = syscall(SYS_getpid);
	printf("READY %ld\n", victim_pid);
	fflush(stdout);
}

static inline void victim_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, ms % 1000 * 1000000 };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* Has the process been restarted since the last call? */
static inline int victim_moved(void)
{
	long pid = syscall(SYS_getpid);

	if (pid == victim_pid)
		return 0;
	victim_pid = pid;
	return 1;
}

/* Wait (at most 300 s) until the program runs in a new process. */
static inline void victim_wait(void)
{
	int i;

	for (i = 0; i < 60000; i++) {
		if (victim_moved())
			return;
		victim_sleep_ms(5);
	}
	victim_fail("timeout waiting for a restart");
}

static inline void victim_restarted(int n, const char *extra)
{
	printf("RESTARTED %d pid=%ld%s%s\n", n, victim_pid, extra ? " " : "",
	       extra ? extra : "");
	fflush(stdout);
}

static inline void victim_pass(void)
{
	printf("PASS\n");
	fflush(stdout);
	exit(0);
}

static inline uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

#endif

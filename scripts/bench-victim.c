// SPDX-License-Identifier: GPL-2.0
/*
 * The program make bench checkpoints: N MiB (argv[1]) of pseudo-random
 * data, "READY", then it waits for a restart and exits at once.  Each
 * SIGUSR1 rewrites P % (argv[2], default 5) of its pages, chosen at
 * random, and prints "DIRTIED pages ns" (how long the writes took).
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

static volatile sig_atomic_t asked;

static void on_usr1(int sig)
{
	(void)sig;
	asked++;
}

static uint64_t xorshift(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	size_t len = (argc > 1 ? strtoul(argv[1], NULL, 10) : 1024) << 20, i;
	unsigned int pct = argc > 2 ? strtoul(argv[2], NULL, 10) : 5;
	uint64_t x = 88172645463325252ULL, *p, last;
	long pid = syscall(SYS_getpid);
	size_t pages = len / 4096;
	unsigned char *seen;
	int done = 0;

	signal(SIGUSR1, on_usr1);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	seen = calloc(pages, 1);
	if (p == MAP_FAILED || !seen)
		return 1;
	for (i = 0; i < len / 8; i++)
		p[i] = xorshift(&x);
	last = p[len / 8 - 1];
	printf("READY %ld\n", pid);
	fflush(stdout);
	while (syscall(SYS_getpid) == pid) {
		size_t n = 0, k;
		uint64_t t0;

		if (asked == done) {
			usleep(1000);
			continue;
		}
		done++;
		/* Distinct pages, so the count is what changed. */
		for (k = 0; k < pages; k++)
			seen[k] = 0;
		t0 = now_ns();
		while (n < pages * pct / 100) {
			k = xorshift(&x) % pages;
			if (seen[k])
				continue;
			seen[k] = 1;
			for (i = 0; i < 512; i++)
				p[k * 512 + i] = xorshift(&x);
			n++;
		}
		printf("DIRTIED %zu %llu\n", n, (unsigned long long)(now_ns() - t0));
		fflush(stdout);
		last = p[len / 8 - 1];
	}
	return p[len / 8 - 1] == last ? 0 : 3;
}

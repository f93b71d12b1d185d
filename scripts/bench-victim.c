// SPDX-License-Identifier: GPL-2.0
/*
 * The program make bench checkpoints: N MiB (argv[1]) of pseudo-random
 * data, "READY", then it waits for a restart and exits at once.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	size_t len = (argc > 1 ? strtoul(argv[1], NULL, 10) : 1024) << 20, i;
	uint64_t x = 88172645463325252ULL, *p;
	long pid = syscall(SYS_getpid);

	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return 1;
	for (i = 0; i < len / 8; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[i] = x;
	}
	printf("READY %ld\n", pid);
	fflush(stdout);
	while (syscall(SYS_getpid) == pid)
		usleep(1000);
	return p[len / 8 - 1] == x ? 0 : 3;
}

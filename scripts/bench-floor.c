// SPDX-License-Identifier: GPL-2.0
/*
 * make bench's plain eager restore: read FILE (O_DIRECT, 1 MiB at a
 * time) into freshly mapped memory and touch every page once - what any
 * restart that puts the memory back must also do.  Prints the seconds.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>

int main(int argc, char **argv)
{
	struct timespec t0, t1;
	volatile uint64_t sink = 0;
	struct stat st;
	size_t off, len;
	char *m;
	int fd;

	if (argc != 2)
		return 2;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	fd = open(argv[1], O_RDONLY | O_DIRECT);
	if (fd < 0 || fstat(fd, &st))
		return 1;
	len = st.st_size & ~((1UL << 20) - 1);
	m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return 1;
	for (off = 0; off < len; off += 1 << 20)
		if (pread(fd, m + off, 1 << 20, off) != 1 << 20)
			return 1;
	for (off = 0; off < len; off += 4096)
		sink += *(uint64_t *)(m + off);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("%.6f\n", t1.tv_sec - t0.tv_sec + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	return 0;
}

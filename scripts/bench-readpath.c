// SPDX-License-Identifier: GPL-2.0
/*
 * make bench, read path: how fast can a page of a process get into an
 * image file, depending on who reads it?
 *
 *   in-process   the program's own lower half: memcpy from its memory into
 *                one of 4 registered 1 MiB buffers, io_uring write_fixed
 *                (what lib/image.c's writer does today)
 *   in-proc-zc   the same without the copy: io_uring write straight from
 *                the memory
 *   proc-mem     another process: pread() of /proc/PID/mem into a
 *                registered buffer, io_uring write_fixed
 *   vm-readv     another process: process_vm_readv() into a registered
 *                buffer, io_uring write_fixed
 *
 * The memory is MIB MiB of pseudo-random data (no zero pages), resident:
 * the program's own for in-process, a child's for the other two.  Each
 * write pass goes to a new file (O_DIRECT when the file system has it),
 * 1 MiB writes, fsync() at the end, as the writer does.  With the writes
 * left out ("copy only") each line is the cost of getting the bytes alone.
 * Methods alternate within each run; the best run of each is printed, as
 * MiB/s, CPU seconds of this process per GiB, and the ratio to in-process.
 *
 * Usage: bench-readpath [-m MIB] [-r RUNS] [-d DIR] [-b] (-b: no O_DIRECT)
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <liburing.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <sys/wait.h>

#define CHUNK	(1 << 20)
#define NBUF	4
#define QD	32

enum { M_SELF, M_SELF_ZC, M_PROCMEM, M_READV, M_NR };
static const char *const mname[M_NR] = {
	"in-process", "in-proc-zc", "proc-mem", "vm-readv",
};

static struct io_uring ring;
static void *buf[NBUF];
static int busy[NBUF], inflight, registered;
static size_t len;
static char *self_mem;		/* the in-process copy */
static uint64_t child_mem;	/* the child's copy, at this address there */
static pid_t child;
static int memfd = -1;
static const char *dir = ".";
static int use_direct = 1, used_direct = -1;

static void die(const char *what, int err)
{
	fprintf(stderr, "bench-readpath: %s: %s\n", what, strerror(err));
	if (child > 0)
		kill(child, SIGKILL);
	exit(1);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double cpu(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static void fill(char *p, size_t n, uint64_t x)
{
	uint64_t *q = (uint64_t *)p;
	size_t i;

	for (i = 0; i < n / 8; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		q[i] = x;
	}
}

/* Reap one completion (waiting if asked); -1 when there was none. */
static int reap(int wait)
{
	struct io_uring_cqe *cqe;
	int r, idx;

	r = wait ? io_uring_wait_cqe(&ring, &cqe) : io_uring_peek_cqe(&ring, &cqe);
	if (r)
		return -1;
	if (cqe->res < 0)
		die("write", -cqe->res);
	if ((uint64_t)cqe->res != CHUNK)
		die("short write", EIO);
	idx = (int)cqe->user_data;
	io_uring_cqe_seen(&ring, cqe);
	if (idx >= 0)
		busy[idx] = 0;
	inflight--;
	return idx;
}

static int free_buf(void)
{
	int i;

	for (;;) {
		for (i = 0; i < NBUF; i++)
			if (!busy[i])
				return i;
		reap(1);
	}
}

static void submit(int fd, int idx, const void *src, uint64_t off)
{
	struct io_uring_sqe *sqe;

	while (!(sqe = io_uring_get_sqe(&ring)))
		reap(1);
	if (idx >= 0 && registered)
		io_uring_prep_write_fixed(sqe, fd, buf[idx], CHUNK, off, idx);
	else
		io_uring_prep_write(sqe, fd, idx >= 0 ? buf[idx] : src, CHUNK, off);
	sqe->user_data = (uint64_t)idx;
	if (idx >= 0)
		busy[idx] = 1;
	inflight++;
	if (io_uring_submit(&ring) < 0)
		die("io_uring_submit", EIO);
}

static int open_out(void)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/readpath.%d.img", dir, (int)getpid());
	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		die(path, errno);
	unlink(path);	/* gone when closed */
	if (use_direct && fcntl(fd, F_SETFL, O_DIRECT) == 0)
		used_direct = used_direct < 0 ? 1 : used_direct;
	else
		used_direct = 0;
	return fd;
}

/* One pass of method @m over the whole memory; returns seconds. */
static double pass(int m, int write, double *cpu_s)
{
	int fd = write ? open_out() : -1, idx = 0;
	double t0, c0;
	size_t off;

	c0 = cpu();
	t0 = now();
	for (off = 0; off < len; off += CHUNK) {
		if (m == M_SELF_ZC) {
			if (write)
				submit(fd, -1, self_mem + off, off);
			else	/* nothing to get: the bytes are already there */
				continue;
			if (inflight >= QD)
				reap(1);
			continue;
		}
		idx = write ? free_buf() : (idx + 1) % NBUF;
		switch (m) {
		case M_SELF:
			memcpy(buf[idx], self_mem + off, CHUNK);
			break;
		case M_PROCMEM:
			if (pread(memfd, buf[idx], CHUNK, child_mem + off) != CHUNK)
				die("pread /proc/PID/mem", errno ? errno : EIO);
			break;
		case M_READV: {
			struct iovec l = { buf[idx], CHUNK };
			struct iovec r = { (void *)(uintptr_t)(child_mem + off), CHUNK };

			if (process_vm_readv(child, &l, 1, &r, 1, 0) != CHUNK)
				die("process_vm_readv", errno ? errno : EIO);
			break;
		}
		}
		if (write)
			submit(fd, idx, NULL, off);
	}
	while (inflight)
		reap(1);
	if (write) {
		if (fsync(fd))
			die("fsync", errno);
		close(fd);
	}
	*cpu_s = cpu() - c0;
	return now() - t0;
}

int main(int argc, char **argv)
{
	double best[2][M_NR], bcpu[2][M_NR], mib, t, c;
	struct iovec iov[NBUF];
	int runs = 3, opt, pfd[2], w, m, run, r;
	char path[64];

	while ((opt = getopt(argc, argv, "m:r:d:b")) != -1) {
		switch (opt) {
		case 'm': len = strtoull(optarg, NULL, 10) << 20; break;
		case 'r': runs = atoi(optarg); break;
		case 'd': dir = optarg; break;
		case 'b': use_direct = 0; break;
		default:
			fprintf(stderr, "usage: %s [-m MIB] [-r RUNS] [-d DIR] [-b]\n", argv[0]);
			return 2;
		}
	}
	if (!len)
		len = 1024UL << 20;
	len &= ~(size_t)(CHUNK - 1);
	if (!len || runs < 1)
		return 2;
	mib = len / 1048576.0;

	/* The child: its own copy of the data, resident, then it waits. */
	if (pipe(pfd))
		die("pipe", errno);
	child = fork();
	if (child < 0)
		die("fork", errno);
	if (!child) {
		char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		uint64_t a = (uintptr_t)p;

		if (p == MAP_FAILED)
			_exit(1);
		fill(p, len, 88172645463325252ULL);
		if (write(pfd[1], &a, sizeof(a)) != sizeof(a))
			_exit(1);
		for (;;)
			pause();
	}
	close(pfd[1]);
	self_mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (self_mem == MAP_FAILED)
		die("mmap", errno);
	fill(self_mem, len, 88172645463325252ULL);
	if (read(pfd[0], &child_mem, sizeof(child_mem)) != sizeof(child_mem))
		die("the child did not start", EIO);
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)child);
	memfd = open(path, O_RDONLY | O_CLOEXEC);
	if (memfd < 0)
		die(path, errno);

	r = io_uring_queue_init(QD, &ring, 0);
	if (r)
		die("io_uring_queue_init", -r);
	for (w = 0; w < NBUF; w++) {
		if (posix_memalign(&buf[w], 4096, CHUNK))
			die("posix_memalign", ENOMEM);
		memset(buf[w], 1, CHUNK);	/* resident before timing */
		iov[w].iov_base = buf[w];
		iov[w].iov_len = CHUNK;
	}
	registered = io_uring_register_buffers(&ring, iov, NBUF) == 0;

	for (w = 0; w < 2; w++)
		for (m = 0; m < M_NR; m++)
			best[w][m] = 1e99, bcpu[w][m] = 0;
	for (run = 0; run < runs; run++) {
		for (w = 1; w >= 0; w--) {
			for (m = 0; m < M_NR; m++) {
				if (!w && m == M_SELF_ZC)
					continue;
				t = pass(m, w, &c);
				if (t < best[w][m])
					best[w][m] = t, bcpu[w][m] = c;
			}
		}
	}
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);

	printf("== read path: %.0f MiB of another process (or its own) into an image file,"
	       " 1 MiB chunks, best of %d\n", mib, runs);
	printf("writes: io_uring, %s buffers, %s, new file each pass, fsync\n",
	       registered ? "4 registered 1 MiB" : "4 (unregistered) 1 MiB",
	       used_direct == 1 ? "O_DIRECT" : "buffered (no O_DIRECT here)");
	for (w = 1; w >= 0; w--) {
		for (m = 0; m < M_NR; m++) {
			if (!w && m == M_SELF_ZC)
				continue;
			printf("%-6s %-11s %8.0f MiB/s  %6.3f s  cpu %5.2f s/GiB  ratio to in-process %.2f\n",
			       w ? "write" : "copy", mname[m], mib / best[w][m], best[w][m],
			       bcpu[w][m] * 1024 / mib, best[w][M_SELF] / best[w][m]);
		}
	}
	return 0;
}

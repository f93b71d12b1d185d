// SPDX-License-Identifier: GPL-2.0
/*
 * Description: ioctl fuzzer.  Several threads issue random commands with
 * random sizes, flags, fields and pointers (valid scratch memory, NULL,
 * unmapped, read-only, kernel addresses, the end of a mapping), open and
 * close files, attach to short-lived child processes that fork, map, write
 * and exit, while one thread serves as the agent.  The test passes when
 * every call returned (no hang, no crash); vm-suite.sh then checks that
 * the kernel log has no splat and that rmmod succeeds.
 *
 *   fuzz [ITERATIONS]   (default 100000, spread over the threads)
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <sched.h>
#include <linux/splitckpt.h>

#include "kselftest.h"

#define SPLITCKPT_DEV	"/dev/" SPLITCKPT_DEVICE_NAME

#define THREADS		4
#define ARENA_SIZE	(256 * 1024)
#define NR_CHILDREN	8

static char *arena;		/* scratch memory the kernel may write */
static char *ro_page;		/* readable, not writable */
static char *edge;		/* last 16 bytes before an unmapped page */
static _Atomic pid_t children[NR_CHILDREN];
static long iterations = 100000;
static atomic_int stop;
static atomic_long calls;

static __u64 rnd64(unsigned int *seed)
{
	return ((__u64)rand_r(seed) << 62) ^ ((__u64)rand_r(seed) << 31) ^
	       (__u64)rand_r(seed);
}

/* A value worth putting in a field: pointers, sizes, flags, pids. */
static __u64 interesting(unsigned int *seed)
{
	long pg = 4096;

	switch (rand_r(seed) % 14) {
	case 0: return 0;
	case 1: return ~0ULL;
	case 2: return (uintptr_t)arena + (rand_r(seed) % ARENA_SIZE);
	case 3: return (uintptr_t)arena & ~(pg - 1);
	case 4: return (uintptr_t)ro_page;
	case 5: return (uintptr_t)edge;
	case 6: return 0xffff888000000000ULL;
	case 7: return 8;
	case 8: return 1ULL << (rand_r(seed) % 64);
	case 9: return (__u64)(rand_r(seed) % 4) << 12;
	case 10: return children[rand_r(seed) % NR_CHILDREN];
	case 11: return rand_r(seed) % 70000;
	case 12: return ((__u64)rand_r(seed) % (1ULL << 35)) << 12;
	default: return rnd64(seed);
	}
}

/* Fills @buf with a random argument of @size bytes starting with @size. */
static void random_arg(unsigned int *seed, __u64 *buf, unsigned int words,
		       __u32 size)
{
	for (unsigned int i = 0; i < words; i++)
		buf[i] = rand_r(seed) % 3 ? interesting(seed) : 0;
	((__u32 *)buf)[0] = size;
	if (rand_r(seed) % 2)
		((__u32 *)buf)[1] = 0;	/* valid flags more often */
	if (rand_r(seed) % 4 == 0)
		((__u32 *)buf)[1] = 1u << (rand_r(seed) % 3);
}

static void *fuzz_thread(void *arg)
{
	unsigned int seed = (unsigned int)(uintptr_t)arg * 7919 + 1;
	int fd = open(SPLITCKPT_DEV, O_RDWR | O_CLOEXEC);
	__u64 buf[4200 / 8 + 1];

	while (atomic_load(&calls) < iterations) {
		unsigned int nr = rand_r(&seed) % 12, size;
		unsigned int dir = rand_r(&seed) % 16 ? _IOC_READ | _IOC_WRITE :
				   (unsigned int)rand_r(&seed) % 4;
		void *p;

		switch (rand_r(&seed) % 8) {
		case 0: size = rand_r(&seed) % 16; break;
		case 1: size = 4096 + rand_r(&seed) % 100; break;
		default: size = 24 + 8 * (rand_r(&seed) % 12); break;
		}
		if (size > sizeof(buf))
			size = sizeof(buf);
		random_arg(&seed, buf, (size + 7) / 8 ? (size + 7) / 8 : 1, size);
		switch (rand_r(&seed) % 10) {
		case 0: p = NULL; break;
		case 1: p = edge; break;
		case 2: p = ro_page; break;
		case 3: p = (void *)0xffff888000000000ULL; break;
		default: p = buf; break;
		}
		/* A request must not wait for ever: bound it. */
		if (nr == SPLITCKPT_NR_REQUEST && p == buf && size >= 16)
			((__u32 *)buf)[3] = 1 + rand_r(&seed) % 20;
		ioctl(fd, _IOC(dir, SPLITCKPT_IOC_TYPE, nr, size & 0x3fff), p);
		if (atomic_fetch_add(&calls, 1) % 997 == 0 || fd < 0) {
			close(fd);
			fd = open(SPLITCKPT_DEV, O_RDWR | O_CLOEXEC |
				  (rand_r(&seed) % 2 ? O_NONBLOCK : 0));
		}
	}
	close(fd);
	return NULL;
}

/* Serves requests so that requesters return; fuzzes the agent side. */
static void *agent_thread(void *arg)
{
	int fd = open(SPLITCKPT_DEV, O_RDWR | O_CLOEXEC | O_NONBLOCK);
	struct splitckpt_agent_register r = { .size = sizeof(r) };
	unsigned int seed = 99;
	char dir[SPLITCKPT_DIR_MAX];

	(void)arg;
	ioctl(fd, SPLITCKPT_IOC_AGENT_REGISTER, &r);
	while (!atomic_load(&stop)) {
		struct splitckpt_agent_next n = {
			.size = sizeof(n), .dir = (uintptr_t)dir,
			.dir_len = rand_r(&seed) % 2 ? sizeof(dir) :
				   (unsigned int)rand_r(&seed) % 8,
		};
		struct splitckpt_agent_complete c = { .size = sizeof(c) };

		if (ioctl(fd, SPLITCKPT_IOC_AGENT_NEXT, &n) == 0) {
			c.id = rand_r(&seed) % 8 ? n.id : rnd64(&seed);
			c.status = -(rand_r(&seed) % 200);
			c.generation = rnd64(&seed);
			ioctl(fd, SPLITCKPT_IOC_AGENT_COMPLETE, &c);
		}
		if (rand_r(&seed) % 5000 == 0) {
			/* Go away now and then: requesters get -ESHUTDOWN. */
			close(fd);
			fd = open(SPLITCKPT_DEV, O_RDWR | O_CLOEXEC | O_NONBLOCK);
			ioctl(fd, SPLITCKPT_IOC_AGENT_REGISTER, &r);
		}
		sched_yield();
	}
	close(fd);
	return NULL;
}

/* Short-lived targets: fork, map, write, unmap, exit. */
static void *spawner_thread(void *arg)
{
	unsigned int seed = 4242;
	int slot = 0;

	(void)arg;
	while (!atomic_load(&stop)) {
		pid_t old = children[slot], pid = fork();

		if (pid == 0) {
			char *m = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

			for (int i = 0; m != MAP_FAILED && i < 50; i++) {
				m[(rand_r(&seed) % 256) * 4096] = i;
				if (i % 10 == 0)
					madvise(m, 1 << 16, MADV_DONTNEED);
				if (i == 25 && fork() == 0)
					_exit(0);
			}
			_exit(0);
		}
		if (pid > 0)
			children[slot] = pid;
		if (old > 0)
			waitpid(old, NULL, 0);
		slot = (slot + 1) % NR_CHILDREN;
	}
	for (slot = 0; slot < NR_CHILDREN; slot++)
		if (children[slot] > 0)
			waitpid(children[slot], NULL, 0);
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	return NULL;
}

static void nothing(int sig)
{
	(void)sig;
}

/*
 * A fuzzing thread may have made itself the agent (while the agent thread
 * was away) and wait in a blocking AGENT_NEXT for a request nobody sends
 * any more: once enough calls were made, signals interrupt such waits.
 */
static void join_fuzzers(pthread_t *fuzz)
{
	struct sigaction sa = { .sa_handler = nothing };	/* no SA_RESTART */
	int i;

	sigaction(SIGUSR1, &sa, NULL);
	for (i = 0; i < THREADS; i++) {
		for (;;) {
			struct timespec ts;

			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += 100000000;
			if (ts.tv_nsec >= 1000000000) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000;
			}
			if (!pthread_timedjoin_np(fuzz[i], NULL, &ts))
				break;
			if (atomic_load(&calls) >= iterations)
				pthread_kill(fuzz[i], SIGUSR1);
		}
	}
}

int main(int argc, char **argv)
{
	pthread_t fuzz[THREADS], agent, spawner;
	long pg = sysconf(_SC_PAGESIZE);
	char *m;
	int fd;

	ksft_print_header();
	ksft_set_plan(1);
	if (argc > 1)
		iterations = atol(argv[1]);
	fd = open(SPLITCKPT_DEV, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		ksft_exit_skip("%s: %s\n", SPLITCKPT_DEV, strerror(errno));
	close(fd);
	arena = mmap(NULL, ARENA_SIZE, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	m = mmap(NULL, 3 * pg, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (arena == MAP_FAILED || m == MAP_FAILED)
		ksft_exit_fail_msg("mmap: %s\n", strerror(errno));
	ro_page = m;
	mprotect(ro_page, pg, PROT_READ);
	munmap(m + 2 * pg, pg);
	edge = m + 2 * pg - 16;
	signal(SIGPIPE, SIG_IGN);

	pthread_create(&agent, NULL, agent_thread, NULL);
	pthread_create(&spawner, NULL, spawner_thread, NULL);
	for (long i = 0; i < THREADS; i++)
		pthread_create(&fuzz[i], NULL, fuzz_thread, (void *)i);
	join_fuzzers(fuzz);
	atomic_store(&stop, 1);
	pthread_join(agent, NULL);
	pthread_join(spawner, NULL);
	ksft_print_msg("%ld ioctls from %d threads\n", atomic_load(&calls), THREADS);
	ksft_test_result(atomic_load(&calls) >= iterations,
			 "%ld random ioctls returned\n", iterations);
	ksft_finished();
}

// SPDX-License-Identifier: GPL-2.0
/*
 * Description: hardware dirty-bit tracking through ATTACH and DIRTY_SCAN:
 * exact dirty sets for plain writes (THP off), get-and-clear, report-only,
 * resuming a scan that ran out of room, mapping changes reported through the
 * mmu notifier, one tracker per mm, permissions, and no lost write with a
 * writer running on another CPU.
 */
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/uio.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/io_uring.h>

#include "splitckpt_test.h"

#define NPAGES	1024

static int attach(int fd, pid_t pid)
{
	struct splitckpt_attach a = { .size = sizeof(a), .pid = pid };

	return sc_ioctl(fd, SPLITCKPT_IOC_ATTACH, &a);
}

struct scan_result {
	int ret;
	struct splitckpt_dirty_scan arg;
	struct splitckpt_range vec[NPAGES];
};

static void scan(int fd, void *start, size_t len, __u32 flags, __u64 vec_len,
		 struct scan_result *r)
{
	memset(r, POISON_BYTE, sizeof(*r));
	memset(&r->arg, 0, sizeof(r->arg));
	r->arg.size = sizeof(r->arg);
	r->arg.flags = flags;
	r->arg.start = (uintptr_t)start;
	r->arg.end = (uintptr_t)start + len;
	r->arg.vec = (uintptr_t)r->vec;
	r->arg.vec_len = vec_len;
	r->ret = sc_ioctl(fd, SPLITCKPT_IOC_DIRTY_SCAN, &r->arg);
}

/* Flags, one per page of [base, +n pages), from the ranges of @r. */
static int mark_pages(const struct scan_result *r, char *base, long pg, long n,
		      unsigned char *dirty)
{
	memset(dirty, 0, n);
	for (__u64 i = 0; i < r->arg.nr_ranges; i++)
		for (__u64 a = r->vec[i].start; a < r->vec[i].end; a += pg) {
			long idx = ((char *)(uintptr_t)a - base) / pg;

			if (idx < 0 || idx >= n)
				return -1;
			dirty[idx] = 1;
		}
	return 0;
}

/* Expands the reported ranges into one flag per page of [base, +NPAGES). */
static int to_pages(const struct scan_result *r, char *base, long pg,
		    unsigned char *dirty)
{
	return mark_pages(r, base, pg, NPAGES, dirty);
}

/*
 * A page faulted in moments ago sits in a per-CPU LRU batch that holds a
 * reference to it; while it does, the module cannot re-arm the page's folio
 * dirty flag and reports the page again (conservatively).  Exact tests first
 * push those batches out: madvise() drains the batch of the CPU it runs on.
 */
static void drain_lru_batches(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	cpu_set_t all, one;
	char *p = mmap(NULL, pg, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED || sched_getaffinity(0, sizeof(all), &all))
		return;
	for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
		if (!CPU_ISSET(cpu, &all))
			continue;
		CPU_ZERO(&one);
		CPU_SET(cpu, &one);
		if (sched_setaffinity(0, sizeof(one), &one) == 0)
			madvise(p, pg, MADV_COLD);
	}
	sched_setaffinity(0, sizeof(all), &all);
	munmap(p, pg);
}

FIXTURE(track)
{
	int fd;
	long pg;
	char *buf;
	struct scan_result r;
	unsigned char dirty[NPAGES];
};

FIXTURE_SETUP(track)
{
	self->pg = sysconf(_SC_PAGESIZE);
	self->fd = open(SPLITCKPT_DEV, O_RDWR | O_CLOEXEC);
	if (self->fd < 0)
		SKIP(return, "%s: %s", SPLITCKPT_DEV, strerror(errno));
	/* Exact sets need 4 KiB pages: no transparent huge pages here. */
	ASSERT_EQ(0, prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0));
	self->buf = mmap(NULL, NPAGES * self->pg, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	ASSERT_NE(MAP_FAILED, self->buf);
	ASSERT_EQ(0, attach(self->fd, 0));
	/* Start from a clean epoch. */
	memset(self->buf, 1, NPAGES * self->pg);
	drain_lru_batches();
	do {
		scan(self->fd, self->buf, NPAGES * self->pg, 0, NPAGES, &self->r);
		ASSERT_EQ(0, self->r.ret);
	} while (self->r.arg.walk_end != self->r.arg.end);
}

FIXTURE_TEARDOWN(track)
{
	if (self->fd >= 0)
		close(self->fd);
}

#define SCAN_ALL(flags) \
	scan(self->fd, self->buf, NPAGES * self->pg, (flags), NPAGES, &self->r)

TEST_F(track, clean_after_clear)
{
	SCAN_ALL(0);
	ASSERT_EQ(0, self->r.ret);
	EXPECT_EQ(0, self->r.arg.nr_ranges);
	EXPECT_EQ(0, self->r.arg.nr_pages);
	EXPECT_EQ(self->r.arg.end, self->r.arg.walk_end);
}

TEST_F(track, exact_pages_then_clean)
{
	char *b = self->buf;
	long pg = self->pg;
	volatile char sink;

	b[3 * pg] = 2;
	b[77 * pg + 100] = 2;
	b[200 * pg + pg - 1] = 2;
	b[201 * pg] = 2;
	sink = b[10 * pg];	/* a read does not count */
	(void)sink;

	SCAN_ALL(0);
	ASSERT_EQ(0, self->r.ret);
	ASSERT_EQ(3, self->r.arg.nr_ranges);
	EXPECT_EQ(4, self->r.arg.nr_pages);
	EXPECT_EQ((uintptr_t)(b + 3 * pg), self->r.vec[0].start);
	EXPECT_EQ((uintptr_t)(b + 4 * pg), self->r.vec[0].end);
	EXPECT_EQ((uintptr_t)(b + 77 * pg), self->r.vec[1].start);
	EXPECT_EQ((uintptr_t)(b + 78 * pg), self->r.vec[1].end);
	EXPECT_EQ((uintptr_t)(b + 200 * pg), self->r.vec[2].start);
	EXPECT_EQ((uintptr_t)(b + 202 * pg), self->r.vec[2].end);

	SCAN_ALL(0);
	ASSERT_EQ(0, self->r.ret);
	EXPECT_EQ(0, self->r.arg.nr_ranges);
}

TEST_F(track, random_sets_are_exact)
{
	unsigned char want[NPAGES];

	srand(12345);
	for (int round = 0; round < 200; round++) {
		int k = rand() % 64;

		memset(want, 0, sizeof(want));
		for (int i = 0; i < k; i++) {
			int p = rand() % NPAGES;

			want[p] = 1;
			self->buf[p * self->pg + rand() % self->pg] = round;
		}
		SCAN_ALL(0);
		ASSERT_EQ(0, self->r.ret);
		ASSERT_EQ(0, to_pages(&self->r, self->buf, self->pg, self->dirty));
		ASSERT_EQ(0, memcmp(want, self->dirty, NPAGES))
			TH_LOG("round %d", round);
	}
}

TEST_F(track, report_only_keeps_bits)
{
	self->buf[5 * self->pg] = 9;
	for (int i = 0; i < 2; i++) {
		SCAN_ALL(SPLITCKPT_SCAN_REPORT_ONLY);
		ASSERT_EQ(0, self->r.ret);
		ASSERT_EQ(1, self->r.arg.nr_ranges);
		EXPECT_EQ((uintptr_t)(self->buf + 5 * self->pg), self->r.vec[0].start);
	}
	SCAN_ALL(0);
	ASSERT_EQ(1, self->r.arg.nr_ranges);
	SCAN_ALL(0);
	EXPECT_EQ(0, self->r.arg.nr_ranges);
}

/* A full vector stops the walk; nothing past walk_end is lost. */
TEST_F(track, resume_from_walk_end)
{
	static const int pages[] = { 1, 9, 100, 500, 900 };
	char *b = self->buf;
	long pg = self->pg;
	__u64 start = (uintptr_t)b, end = start + NPAGES * pg;
	int seen = 0;

	for (unsigned int i = 0; i < 5; i++)
		b[pages[i] * pg] = 3;
	while (start < end) {
		scan(self->fd, (void *)(uintptr_t)start, end - start, 0, 2, &self->r);
		ASSERT_EQ(0, self->r.ret);
		ASSERT_LE(self->r.arg.nr_ranges, 2);
		for (__u64 i = 0; i < self->r.arg.nr_ranges; i++) {
			ASSERT_LT(seen, 5);
			EXPECT_EQ((uintptr_t)(b + pages[seen] * pg), self->r.vec[i].start);
			seen++;
		}
		ASSERT_GT(self->r.arg.walk_end, start);
		start = self->r.arg.walk_end;
	}
	EXPECT_EQ(5, seen);
}

TEST_F(track, zero_length_vector_clears_nothing)
{
	self->buf[7 * self->pg] = 4;
	scan(self->fd, self->buf, NPAGES * self->pg, 0, 0, &self->r);
	ASSERT_EQ(0, self->r.ret);
	EXPECT_EQ(0, self->r.arg.nr_ranges);
	EXPECT_EQ((uintptr_t)(self->buf + 7 * self->pg), self->r.arg.walk_end);
	SCAN_ALL(0);
	ASSERT_EQ(1, self->r.arg.nr_ranges);
	EXPECT_EQ((uintptr_t)(self->buf + 7 * self->pg), self->r.vec[0].start);
}

TEST_F(track, madv_dontneed_is_reported)
{
	ASSERT_EQ(0, madvise(self->buf + 40 * self->pg, 2 * self->pg,
			     MADV_DONTNEED));
	SCAN_ALL(0);
	ASSERT_EQ(0, self->r.ret);
	ASSERT_EQ(1, self->r.arg.nr_ranges);
	EXPECT_EQ((uintptr_t)(self->buf + 40 * self->pg), self->r.vec[0].start);
	EXPECT_EQ((uintptr_t)(self->buf + 42 * self->pg), self->r.vec[0].end);
	SCAN_ALL(0);
	EXPECT_EQ(0, self->r.arg.nr_ranges);
}

TEST_F(track, munmap_and_mmap_again_is_reported)
{
	char *p = self->buf + 300 * self->pg;

	ASSERT_EQ(0, munmap(p, self->pg));
	ASSERT_EQ(p, mmap(p, self->pg, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0));
	SCAN_ALL(0);
	ASSERT_EQ(0, self->r.ret);
	/* Reported, at worst as the 2 MiB-aligned block around it. */
	ASSERT_EQ(1, self->r.arg.nr_ranges);
	EXPECT_LE(self->r.vec[0].start, (uintptr_t)p);
	EXPECT_GE(self->r.vec[0].end, (uintptr_t)(p + self->pg));
	EXPECT_GE(self->r.vec[0].start, ((uintptr_t)p & ~(2UL * 1024 * 1024 - 1)));
	EXPECT_LE(self->r.vec[0].end,
		  ((uintptr_t)p & ~(2UL * 1024 * 1024 - 1)) + 2UL * 1024 * 1024);
	SCAN_ALL(0);
	EXPECT_EQ(0, self->r.arg.nr_ranges);
}

TEST_F(track, bad_vector_loses_nothing)
{
	self->buf[11 * self->pg] = 5;
	memset(&self->r.arg, 0, sizeof(self->r.arg));
	self->r.arg.size = sizeof(self->r.arg);
	self->r.arg.start = (uintptr_t)self->buf;
	self->r.arg.end = (uintptr_t)self->buf + NPAGES * self->pg;
	self->r.arg.vec = 8;	/* unmapped */
	self->r.arg.vec_len = 16;
	EXPECT_EQ(-EFAULT, sc_ioctl(self->fd, SPLITCKPT_IOC_DIRTY_SCAN, &self->r.arg));
	SCAN_ALL(0);
	ASSERT_EQ(1, self->r.arg.nr_ranges);
	EXPECT_EQ((uintptr_t)(self->buf + 11 * self->pg), self->r.vec[0].start);
}

TEST_F(track, bad_arguments)
{
	struct splitckpt_dirty_scan a;

#define BAD(field, value, err) do {					\
		memset(&a, 0, sizeof(a));				\
		a.size = sizeof(a);					\
		a.start = (uintptr_t)self->buf;				\
		a.end = a.start + self->pg;				\
		a.vec = (uintptr_t)self->r.vec;				\
		a.vec_len = 1;						\
		a.field = value;					\
		EXPECT_EQ(err, sc_ioctl(self->fd, SPLITCKPT_IOC_DIRTY_SCAN, &a)) \
			TH_LOG(#field " = " #value);			\
	} while (0)
	BAD(flags, 1u << 2, -EINVAL);
	BAD(flags, 1u << 31, -EINVAL);
	BAD(reserved[0], 1, -EINVAL);
	BAD(reserved[2], 1, -EINVAL);
	BAD(tag_mask, 1ULL << 3, -EINVAL);
	BAD(start, a.start + 1, -EINVAL);
	BAD(end, a.end - 1, -EINVAL);
	BAD(end, a.start, -EINVAL);
	BAD(end, ~0ULL & ~4095ULL, -EINVAL);
	BAD(size, 8, -EINVAL);
#undef BAD
}

TEST_F(track, second_tracker_is_ebusy)
{
	int fd2 = open(SPLITCKPT_DEV, O_RDWR | O_CLOEXEC);

	ASSERT_LE(0, fd2);
	EXPECT_EQ(-EBUSY, attach(fd2, 0));
	EXPECT_EQ(-EISCONN, attach(self->fd, 0));
	close(self->fd);
	self->fd = -1;
	EXPECT_EQ(0, attach(fd2, 0));
	close(fd2);
}

TEST(scan_before_attach_is_enotconn)
{
	struct splitckpt_dirty_scan a = { .size = sizeof(a), .start = 4096,
					  .end = 8192 };
	int fd = open(SPLITCKPT_DEV, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		SKIP(return, "%s: %s", SPLITCKPT_DEV, strerror(errno));
	EXPECT_EQ(-ENOTCONN, sc_ioctl(fd, SPLITCKPT_IOC_DIRTY_SCAN, &a));
	close(fd);
}

TEST(attach_permissions)
{
	int fd = open(SPLITCKPT_DEV, O_RDWR | O_CLOEXEC);
	struct splitckpt_attach a = { .size = sizeof(a) };
	pid_t child;
	int status;

	if (fd < 0)
		SKIP(return, "%s: %s", SPLITCKPT_DEV, strerror(errno));
	EXPECT_EQ(-ESRCH, attach(fd, 0x3fffffff));
	EXPECT_EQ(-EINVAL, attach(fd, -1));
	a.flags = 1;
	EXPECT_EQ(-EINVAL, sc_ioctl(fd, SPLITCKPT_IOC_ATTACH, &a));
	a.flags = 0;
	a.reserved0 = 1;
	EXPECT_EQ(-EINVAL, sc_ioctl(fd, SPLITCKPT_IOC_ATTACH, &a));

	child = fork();
	ASSERT_LE(0, child);
	if (child == 0) {
		pause();
		_exit(0);
	}
	/* Root (CAP_SYS_PTRACE) may track its child; nobody may not track init. */
	if (geteuid() == 0) {
		EXPECT_EQ(0, attach(fd, child));
	} else {
		EXPECT_EQ(-EPERM, attach(fd, 1));
	}
	kill(child, SIGKILL);
	waitpid(child, &status, 0);
	if (geteuid() == 0) {
		struct scan_result *r = malloc(sizeof(*r));

		ASSERT_NE(NULL, r);
		scan(fd, (void *)4096, 1UL << 40, 0, 16, r);
		EXPECT_EQ(-ESRCH, r->ret);
		free(r);
	}
	close(fd);
}

/*
 * No change is lost while the target keeps writing (and, with @zap, also
 * dropping pages with MADV_DONTNEED) on another CPU: copy every reported
 * page after each scan into a shadow; once the writer has stopped and a
 * last scan was copied, the shadow equals the memory.
 */
struct writer {
	char *buf;
	long pg;
	int zap;
	atomic_int stop;
};

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	unsigned int seed = 42;
	unsigned long v = 0;

	while (!atomic_load_explicit(&w->stop, memory_order_relaxed)) {
		int p = rand_r(&seed) % 64;

		if (w->zap && rand_r(&seed) % 8 == 0)
			madvise(w->buf + p * w->pg, w->pg, MADV_DONTNEED);
		else
			((volatile unsigned long *)(w->buf + p * w->pg))[rand_r(&seed) % 16] = ++v;
	}
	return NULL;
}

static int all_zero(const void *p, size_t len)
{
	const unsigned char *c = p;

	return len == 0 || (c[0] == 0 && memcmp(c, c + 1, len - 1) == 0);
}

static void check_concurrent(struct __test_metadata *_metadata,
			     FIXTURE_DATA(track) *self, int zap)
{
	char *shadow = malloc(64 * self->pg);
	struct writer w = { .buf = self->buf, .pg = self->pg, .zap = zap };
	pthread_t thread;
	int rounds = 10000;

	ASSERT_NE(NULL, shadow);
	memcpy(shadow, self->buf, 64 * self->pg);
	ASSERT_EQ(0, pthread_create(&thread, NULL, writer_main, &w));
	for (int i = 0; i <= rounds; i++) {
		if (i == rounds) {
			atomic_store(&w.stop, 1);
			pthread_join(thread, NULL);
		}
		scan(self->fd, self->buf, 64 * self->pg, 0, 64, &self->r);
		ASSERT_EQ(0, self->r.ret);
		for (__u64 j = 0; j < self->r.arg.nr_ranges; j++) {
			size_t off = (char *)(uintptr_t)self->r.vec[j].start - self->buf;

			memcpy(shadow + off, self->buf + off,
			       self->r.vec[j].end - self->r.vec[j].start);
		}
	}
	EXPECT_EQ(0, memcmp(shadow, self->buf, 64 * self->pg));
	/* On a miss, say which pages and what they hold. */
	for (int p = 0; p < 64; p++) {
		const unsigned long *s = (void *)(shadow + p * self->pg);
		const unsigned long *b = (void *)(self->buf + p * self->pg);
		size_t n = self->pg / sizeof(long), k;

		for (k = 0; k < n && s[k] == b[k]; k++)
			;
		if (k < n)
			TH_LOG("page %d word %zu: shadow %#lx, memory %#lx (memory is %s)",
			       p, k, s[k], b[k],
			       all_zero(b, self->pg) ? "all zero" : "not all zero");
	}
	free(shadow);
}

TEST_F_TIMEOUT(track, concurrent_writer_loses_nothing, 120)
{
	check_concurrent(_metadata, self, 0);
}

TEST_F_TIMEOUT(track, concurrent_writer_and_dontneed_lose_nothing, 120)
{
	check_concurrent(_metadata, self, 1);
}

TEST_F(track, fork_loses_no_write)
{
	char *b = self->buf;
	long pg = self->pg;
	pid_t child;
	int status;

	b[5 * pg] = 3;
	b[6 * pg] = 3;
	b[500 * pg] = 3;
	child = fork();
	ASSERT_LE(0, child);
	if (child == 0) {
		/* The child's copy-on-write copies are not the parent's. */
		memset(b, 9, 64 * pg);
		_exit(0);
	}
	ASSERT_EQ(child, waitpid(child, &status, 0));
	b[700 * pg] = 3;	/* a copy-on-write fault in the parent */
	SCAN_ALL(0);
	ASSERT_EQ(0, self->r.ret);
	ASSERT_EQ(0, to_pages(&self->r, b, pg, self->dirty));
	/* Every write is there; fork may make the report a superset. */
	EXPECT_TRUE(self->dirty[5] && self->dirty[6] && self->dirty[500] &&
		    self->dirty[700]);
	EXPECT_EQ(3, b[5 * pg]);	/* the child wrote its own copy */
	/* Once settled, exact again. */
	b[800 * pg] = 3;
	SCAN_ALL(0);
	ASSERT_EQ(0, self->r.ret);
	ASSERT_EQ(1, self->r.arg.nr_ranges);
	EXPECT_EQ((uintptr_t)(b + 800 * pg), self->r.vec[0].start);
	EXPECT_EQ((uintptr_t)(b + 801 * pg), self->r.vec[0].end);
}

TEST_F(track, mremap_keeps_dirty_pages)
{
	long pg = self->pg;
	unsigned char d[16];
	char *r, *r2, *hole;

	/* A 16-page region moved to where a 16-page hole was. */
	r = mmap(NULL, 16 * pg, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	hole = mmap(NULL, 16 * pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, r);
	ASSERT_NE(MAP_FAILED, hole);
	memset(r, 1, 16 * pg);
	scan(self->fd, r, 16 * pg, 0, NPAGES, &self->r);
	ASSERT_EQ(0, self->r.ret);
	r[3 * pg] = 2;
	r[4 * pg + 7] = 2;
	r2 = mremap(r, 16 * pg, 16 * pg, MREMAP_MAYMOVE | MREMAP_FIXED, hole);
	ASSERT_EQ(hole, r2);
	scan(self->fd, r2, 16 * pg, 0, NPAGES, &self->r);
	ASSERT_EQ(0, self->r.ret);
	ASSERT_EQ(0, mark_pages(&self->r, r2, pg, 16, d));
	EXPECT_TRUE(d[3] && d[4]);
	r2[9 * pg] = 2;
	scan(self->fd, r2, 16 * pg, 0, NPAGES, &self->r);
	ASSERT_EQ(0, self->r.ret);
	ASSERT_EQ(1, self->r.arg.nr_ranges);
	EXPECT_EQ((uintptr_t)(r2 + 9 * pg), self->r.vec[0].start);
	EXPECT_EQ((uintptr_t)(r2 + 10 * pg), self->r.vec[0].end);
	munmap(r2, 16 * pg);
}

/*
 * Writes the kernel makes through its own mapping of a user page never set
 * the PTE's dirty bit.  A second process writes k pages with
 * process_vm_writev(); exactly those k are reported, with their content.
 */
TEST_F(track, process_vm_writev_is_reported)
{
	static const int pages[] = { 2, 3, 64, 511, 1000 };
	const int k = sizeof(pages) / sizeof(pages[0]);
	char *b = self->buf;
	long pg = self->pg;
	pid_t parent = getpid(), child;
	int go[2], done[2], status;
	char round;

	/* Yama: let the writer, which is not our ancestor, at our memory. */
	prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY, 0, 0, 0);
	ASSERT_EQ(0, pipe(go));
	ASSERT_EQ(0, pipe(done));
	child = fork();
	ASSERT_LE(0, child);
	if (child == 0) {
		char *src = malloc(pg);
		struct iovec local = { .iov_base = src, .iov_len = pg };
		struct iovec remote = { .iov_len = pg };

		close(go[1]);
		close(done[0]);
		while (read(go[0], &round, 1) == 1) {
			for (int i = 0; i < k; i++) {
				memset(src, 'A' + round * k + i, pg);
				remote.iov_base = b + pages[i] * pg;
				if (process_vm_writev(parent, &local, 1, &remote, 1, 0) != pg)
					_exit(errno);
			}
			if (write(done[1], &round, 1) != 1)
				_exit(1);
		}
		_exit(0);
	}
	close(go[0]);
	close(done[1]);
	/*
	 * fork() write-protected our pages; write them all again so that the
	 * writer meets writable, exclusive PTEs, then start a clean epoch.
	 */
	memset(b, 1, NPAGES * pg);
	drain_lru_batches();
	SCAN_ALL(0);
	ASSERT_EQ(0, self->r.ret);
	SCAN_ALL(0);
	ASSERT_EQ(0, self->r.ret);
	ASSERT_EQ(0, self->r.arg.nr_ranges);
	for (round = 0; round < 3; round++) {
		ASSERT_EQ(1, write(go[1], &round, 1));
		if (read(done[0], &status, 1) != 1) {
			waitpid(child, &status, 0);
			ASSERT_TRUE(0) TH_LOG("the writer failed: %s",
					      strerror(WEXITSTATUS(status)));
		}
		/*
		 * GUP put the pages in per-CPU LRU batches (mark_page_accessed());
		 * while a batch holds a page, its report cannot be re-armed.
		 */
		drain_lru_batches();
		SCAN_ALL(0);
		ASSERT_EQ(0, self->r.ret);
		ASSERT_EQ(0, to_pages(&self->r, b, pg, self->dirty));
		for (int p = 0, i = 0; p < NPAGES; p++) {
			int want = i < k && pages[i] == p;

			EXPECT_EQ(want, self->dirty[p]) TH_LOG("round %d page %d", round, p);
			if (want) {
				EXPECT_EQ('A' + round * k + i, b[p * pg]);
				EXPECT_EQ('A' + round * k + i, b[p * pg + pg - 1]);
				i++;
			}
		}
		SCAN_ALL(0);
		ASSERT_EQ(0, self->r.ret);
		EXPECT_EQ(0, self->r.arg.nr_ranges);
	}
	close(go[1]);
	ASSERT_EQ(child, waitpid(child, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/*
 * An O_DIRECT read lands in user memory by DMA or a kernel copy, never by a
 * CPU store through the process's page tables.  SPLITCKPT_ODIRECT_DEV names
 * a readable block device (vm-suite.sh sets up a RAM disk).
 */
TEST_F(track, odirect_read_is_reported)
{
	const char *dev = getenv("SPLITCKPT_ODIRECT_DEV");
	char *b = self->buf, *want;
	long pg = self->pg;
	int fd;

	if (!dev)
		SKIP(return, "SPLITCKPT_ODIRECT_DEV is not set");
	fd = open(dev, O_RDONLY | O_DIRECT | O_CLOEXEC);
	ASSERT_LE(0, fd) TH_LOG("%s: %s", dev, strerror(errno));
	want = malloc(4 * pg);
	ASSERT_NE(NULL, want);
	/* Pages 20-21 from block 0, page 600 from block 7. */
	ASSERT_EQ(2 * pg, pread(fd, b + 20 * pg, 2 * pg, 0));
	ASSERT_EQ(pg, pread(fd, b + 600 * pg, pg, 7 * pg));
	SCAN_ALL(0);
	ASSERT_EQ(0, self->r.ret);
	ASSERT_EQ(2, self->r.arg.nr_ranges);
	EXPECT_EQ(3, self->r.arg.nr_pages);
	EXPECT_EQ((uintptr_t)(b + 20 * pg), self->r.vec[0].start);
	EXPECT_EQ((uintptr_t)(b + 22 * pg), self->r.vec[0].end);
	EXPECT_EQ((uintptr_t)(b + 600 * pg), self->r.vec[1].start);
	EXPECT_EQ((uintptr_t)(b + 601 * pg), self->r.vec[1].end);
	/* The content is the device's (the device holds no byte 0x01 page). */
	close(fd);
	fd = open(dev, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(2 * pg, pread(fd, want, 2 * pg, 0));
	ASSERT_EQ(pg, pread(fd, want + 2 * pg, pg, 7 * pg));
	EXPECT_EQ(0, memcmp(want, b + 20 * pg, 2 * pg));
	EXPECT_EQ(0, memcmp(want + 2 * pg, b + 600 * pg, pg));
	close(fd);
	free(want);
	SCAN_ALL(0);
	ASSERT_EQ(0, self->r.ret);
	EXPECT_EQ(0, self->r.arg.nr_ranges);
}

/* Checks that exactly the pages of @want (sorted, @k of them) are set. */
static void expect_pages(struct __test_metadata *_metadata,
			 const unsigned char *dirty, long n, const int *want,
			 int k, const char *what)
{
	for (long p = 0, i = 0; p < n; p++) {
		int w = i < k && want[i] == p;

		EXPECT_EQ(w, dirty[p]) TH_LOG("%s: page %ld", what, p);
		i += w;
	}
}

/* /proc/self/mem open for writing, and a page-sized source buffer in *@src. */
static int open_proc_mem(struct __test_metadata *_metadata, long pg, char **src)
{
	int fd = open("/proc/self/mem", O_RDWR | O_CLOEXEC);

	ASSERT_LE(0, fd) TH_LOG("/proc/self/mem: %s", strerror(errno));
	*src = malloc(pg);
	ASSERT_NE(NULL, *src);
	return fd;
}

/*
 * /proc/PID/mem (as ptrace's PEEK/POKE) writes through get_user_pages()
 * without a pin and with the PTE left clean: only the folio's dirty flag
 * tells.  Exactly the pages written are reported, with their content.
 */
TEST_F(track, proc_mem_write_is_reported)
{
	static const int pages[] = { 5, 77, 700 };
	const int k = sizeof(pages) / sizeof(pages[0]);
	char *b = self->buf, *src;
	long pg = self->pg;
	int fd = open_proc_mem(_metadata, pg, &src);

	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < k; i++) {
			memset(src, 'a' + round * k + i, pg);
			ASSERT_EQ(pg, pwrite(fd, src, pg, (uintptr_t)(b + pages[i] * pg)));
		}
		drain_lru_batches();
		SCAN_ALL(0);
		ASSERT_EQ(0, self->r.ret);
		ASSERT_EQ(0, to_pages(&self->r, b, pg, self->dirty));
		expect_pages(_metadata, self->dirty, NPAGES, pages, k, "/proc/self/mem");
		for (int i = 0; i < k; i++) {
			EXPECT_EQ('a' + round * k + i, b[pages[i] * pg]);
			EXPECT_EQ('a' + round * k + i, b[pages[i] * pg + pg - 1]);
		}
		SCAN_ALL(0);
		ASSERT_EQ(0, self->r.ret);
		EXPECT_EQ(0, self->r.arg.nr_ranges);
	}
	free(src);
	close(fd);
}

/*
 * A page written both through /proc/self/mem (its folio marked dirty) and
 * by a store (its PTE dirty) is reported once: the scan that clears the
 * PTE also re-arms the folio.
 */
TEST_F(track, proc_mem_and_store_are_reported_once)
{
	static const int pages[] = { 9, 300 };
	const int k = sizeof(pages) / sizeof(pages[0]);
	char *b = self->buf, *src;
	long pg = self->pg;
	int fd = open_proc_mem(_metadata, pg, &src);

	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < k; i++) {
			memset(src, 'k' + round, pg);
			ASSERT_EQ(pg, pwrite(fd, src, pg, (uintptr_t)(b + pages[i] * pg)));
			b[pages[i] * pg + 1] = 'x';
		}
		drain_lru_batches();
		SCAN_ALL(0);
		ASSERT_EQ(0, self->r.ret);
		ASSERT_EQ(0, to_pages(&self->r, b, pg, self->dirty));
		expect_pages(_metadata, self->dirty, NPAGES, pages, k, "both ways");
		SCAN_ALL(0);
		ASSERT_EQ(0, self->r.ret);
		EXPECT_EQ(0, self->r.arg.nr_ranges);
	}
	free(src);
	close(fd);
}

/* An io_uring instance with @len bytes at @addr registered (pinned). */
static int pin_with_io_uring(void *addr, size_t len)
{
	struct iovec iov = { .iov_base = addr, .iov_len = len };
	struct io_uring_params p;
	int ring;

	memset(&p, 0, sizeof(p));
	ring = syscall(__NR_io_uring_setup, 1, &p);
	if (ring < 0)
		return -errno;
	if (syscall(__NR_io_uring_register, ring, IORING_REGISTER_BUFFERS, &iov, 1)) {
		int err = -errno;

		close(ring);
		return err;
	}
	return ring;
}

/*
 * Pages pinned for I/O (here: io_uring registered buffers, a long-term
 * pin) may be written by a device at any time: reported by every scan
 * while pinned, and no longer once unpinned.
 */
TEST_F(track, pinned_pages_are_always_dirty)
{
	static const int pinned[] = { 100, 101, 102, 103 };
	static const int plus5[] = { 5, 100, 101, 102, 103 };
	char *b = self->buf;
	long pg = self->pg;
	int ring;

	ring = pin_with_io_uring(b + 100 * pg, 4 * pg);
	if (ring == -ENOSYS || ring == -EPERM)
		SKIP(return, "io_uring: %s", strerror(-ring));
	ASSERT_LE(0, ring) TH_LOG("io_uring: %s", strerror(-ring));
	drain_lru_batches();
	for (int round = 0; round < 3; round++) {
		SCAN_ALL(0);
		ASSERT_EQ(0, self->r.ret);
		ASSERT_EQ(0, to_pages(&self->r, b, pg, self->dirty));
		expect_pages(_metadata, self->dirty, NPAGES, pinned, 4, "pinned");
	}
	b[5 * pg] = 7;
	SCAN_ALL(0);
	ASSERT_EQ(0, self->r.ret);
	ASSERT_EQ(0, to_pages(&self->r, b, pg, self->dirty));
	expect_pages(_metadata, self->dirty, NPAGES, plus5, 5, "pinned + written");
	close(ring);	/* unpins, at once or from a worker soon after */
	for (int tries = 0; tries < 100; tries++) {
		drain_lru_batches();
		SCAN_ALL(0);
		ASSERT_EQ(0, self->r.ret);
		ASSERT_EQ(0, to_pages(&self->r, b, pg, self->dirty));
		for (int p = 0; p < NPAGES; p++) {
			if (p < 100 || p > 103)
				ASSERT_EQ(0, self->dirty[p]) TH_LOG("unpinned: page %d", p);
		}
		if (!self->r.arg.nr_ranges)
			break;
		usleep(10000);
	}
	EXPECT_EQ(0, self->r.arg.nr_ranges) TH_LOG("still reported after the unpin");
}

/*
 * A shared mapping's pages can be pinned through another process's
 * mapping of them: a child pins two pages of a MAP_SHARED region; the
 * parent's scans report them while the pin lasts, though nothing was ever
 * pinned through the parent's own mm.
 */
TEST_F(track, pin_through_another_mm_is_reported)
{
	static const int pinned[] = { 2, 3 };
	const long n = 16;
	long pg = self->pg;
	unsigned char dirty[16];
	int ready[2], done[2], status;
	char *sh, c = 0;
	pid_t child;

	sh = mmap(NULL, n * pg, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, sh);
	memset(sh, 1, n * pg);
	ASSERT_EQ(0, pipe(ready));
	ASSERT_EQ(0, pipe(done));
	child = fork();
	ASSERT_LE(0, child);
	if (child == 0) {
		int ring = pin_with_io_uring(sh + 2 * pg, 2 * pg);

		c = ring >= 0 ? 'p' : ring == -ENOSYS || ring == -EPERM ? 's' : 'f';
		if (write(ready[1], &c, 1) != 1 || read(done[0], &c, 1) < 0)
			_exit(1);
		_exit(0);
	}
	ASSERT_EQ(1, read(ready[0], &c, 1));
	if (c == 's') {
		ASSERT_EQ(1, write(done[1], &c, 1));
		waitpid(child, &status, 0);
		SKIP(return, "io_uring is not available");
	}
	ASSERT_EQ('p', c);
	drain_lru_batches();
	for (int round = 0; round < 3; round++) {
		scan(self->fd, sh, n * pg, 0, NPAGES, &self->r);
		ASSERT_EQ(0, self->r.ret);
		ASSERT_EQ(0, mark_pages(&self->r, sh, pg, n, dirty));
		if (round == 0) {
			/* The first scan also reports the parent's memset. */
			for (int p = 0; p < 2; p++)
				EXPECT_EQ(1, dirty[pinned[p]]);
			continue;
		}
		expect_pages(_metadata, dirty, n, pinned, 2, "pinned by the child");
	}
	ASSERT_EQ(1, write(done[1], &c, 1));
	ASSERT_EQ(child, waitpid(child, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* The child's exit drops the pin, at once or soon after. */
	for (int tries = 0; tries < 100; tries++) {
		drain_lru_batches();
		scan(self->fd, sh, n * pg, 0, NPAGES, &self->r);
		ASSERT_EQ(0, self->r.ret);
		if (!self->r.arg.nr_ranges)
			break;
		usleep(10000);
	}
	EXPECT_EQ(0, self->r.arg.nr_ranges) TH_LOG("still reported after the unpin");
	munmap(sh, n * pg);
}

/* A scan that fills struct splitckpt_region entries, poisoned first. */
struct region_result {
	int ret;
	struct splitckpt_dirty_scan arg;
	struct splitckpt_region vec[NPAGES];
};

static void scan_regions(int fd, void *start, size_t len, __u32 flags,
			 __u64 vec_len, struct region_result *r)
{
	memset(r, POISON_BYTE, sizeof(*r));
	memset(&r->arg, 0, sizeof(r->arg));
	r->arg.size = sizeof(r->arg);
	r->arg.flags = flags | SPLITCKPT_SCAN_REGIONS;
	r->arg.start = (uintptr_t)start;
	r->arg.end = (uintptr_t)start + len;
	r->arg.vec = (uintptr_t)r->vec;
	r->arg.vec_len = vec_len;
	r->ret = sc_ioctl(fd, SPLITCKPT_IOC_DIRTY_SCAN, &r->arg);
}

/*
 * Pages 10-11 written; 40-41 discarded; 50 discarded and read back (the
 * zero page); 51 written; 60 discarded and written again.
 */
static void mix_kinds(char *buf, long pg)
{
	volatile char *v = buf;

	buf[10 * pg] = 2;
	buf[11 * pg] = 2;
	madvise(buf + 40 * pg, 2 * pg, MADV_DONTNEED);
	madvise(buf + 50 * pg, pg, MADV_DONTNEED);
	(void)v[50 * pg];
	buf[51 * pg] = 2;
	madvise(buf + 60 * pg, pg, MADV_DONTNEED);
	buf[60 * pg] = 2;
	drain_lru_batches();	/* for the pages faulted in afresh */
}

static const struct {
	int first, last;	/* pages [first, last) */
	__u64 flags;
} mixed[] = {
	{ 10, 12, 0 },
	{ 40, 42, SPLITCKPT_REGION_EMPTY },
	{ 50, 51, SPLITCKPT_REGION_EMPTY },
	{ 51, 52, 0 },
	{ 60, 61, 0 },
};

TEST_F(track, regions_say_what_is_mapped)
{
	struct region_result *r = malloc(sizeof(*r));
	size_t i;

	ASSERT_NE(NULL, r);
	mix_kinds(self->buf, self->pg);
	scan_regions(self->fd, self->buf, NPAGES * self->pg, 0, NPAGES, r);
	ASSERT_EQ(0, r->ret);
	ASSERT_EQ(ARRAY_SIZE(mixed), r->arg.nr_ranges);
	EXPECT_EQ(7, r->arg.nr_pages);
	EXPECT_EQ(r->arg.end, r->arg.walk_end);
	for (i = 0; i < ARRAY_SIZE(mixed); i++) {
		EXPECT_EQ((uintptr_t)(self->buf + mixed[i].first * self->pg),
			  r->vec[i].start) TH_LOG("region %zu", i);
		EXPECT_EQ((uintptr_t)(self->buf + mixed[i].last * self->pg),
			  r->vec[i].end) TH_LOG("region %zu", i);
		EXPECT_EQ(mixed[i].flags, r->vec[i].flags) TH_LOG("region %zu", i);
	}
	/* Nothing written past the last entry. */
	EXPECT_EQ(0xccccccccccccccccULL, r->vec[ARRAY_SIZE(mixed)].start);
	EXPECT_EQ(0xccccccccccccccccULL, r->vec[ARRAY_SIZE(mixed)].flags);
	/* Cleared as a plain scan clears. */
	scan_regions(self->fd, self->buf, NPAGES * self->pg, 0, NPAGES, r);
	ASSERT_EQ(0, r->ret);
	EXPECT_EQ(0, r->arg.nr_ranges);
	free(r);
}

TEST_F(track, plain_ranges_merge_across_kinds)
{
	static const int want[][2] = { { 10, 12 }, { 40, 42 }, { 50, 52 }, { 60, 61 } };
	size_t i;

	mix_kinds(self->buf, self->pg);
	SCAN_ALL(0);
	ASSERT_EQ(0, self->r.ret);
	ASSERT_EQ(ARRAY_SIZE(want), self->r.arg.nr_ranges);
	EXPECT_EQ(7, self->r.arg.nr_pages);
	for (i = 0; i < ARRAY_SIZE(want); i++) {
		EXPECT_EQ((uintptr_t)(self->buf + want[i][0] * self->pg),
			  self->r.vec[i].start) TH_LOG("range %zu", i);
		EXPECT_EQ((uintptr_t)(self->buf + want[i][1] * self->pg),
			  self->r.vec[i].end) TH_LOG("range %zu", i);
	}
	EXPECT_EQ(0xccccccccccccccccULL, self->r.vec[ARRAY_SIZE(want)].start);
}

TEST_F(track, regions_resume_from_walk_end)
{
	struct region_result *r = malloc(sizeof(*r));
	__u64 at = (uintptr_t)self->buf, end = at + NPAGES * self->pg;
	size_t got = 0;

	ASSERT_NE(NULL, r);
	mix_kinds(self->buf, self->pg);
	/* Two entries a call: the walk stops where the third would start. */
	while (at < end) {
		scan_regions(self->fd, (void *)(uintptr_t)at, end - at, 0, 2, r);
		ASSERT_EQ(0, r->ret);
		ASSERT_LE(r->arg.nr_ranges, 2);
		for (__u64 i = 0; i < r->arg.nr_ranges; i++, got++) {
			ASSERT_LT(got, ARRAY_SIZE(mixed));
			EXPECT_EQ((uintptr_t)(self->buf + mixed[got].first * self->pg),
				  r->vec[i].start);
			EXPECT_EQ((uintptr_t)(self->buf + mixed[got].last * self->pg),
				  r->vec[i].end);
			EXPECT_EQ(mixed[got].flags, r->vec[i].flags);
		}
		if (r->arg.walk_end != end)
			EXPECT_EQ((uintptr_t)(self->buf + mixed[got].first * self->pg),
				  r->arg.walk_end);
		ASSERT_GT(r->arg.walk_end, at);
		at = r->arg.walk_end;
	}
	EXPECT_EQ(ARRAY_SIZE(mixed), got);
	free(r);
}

/* hugetlb: reported whole, at every scan, and said to be unwalked. */
TEST(hugetlb_is_always_dirty_and_unwalked)
{
	const size_t huge = 2UL << 20;
	struct region_result *r = malloc(sizeof(*r));
	char *h;
	int fd;

	ASSERT_NE(NULL, r);
	fd = open(SPLITCKPT_DEV, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		SKIP(return, "%s: %s", SPLITCKPT_DEV, strerror(errno));
	h = mmap(NULL, 2 * huge, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	if (h == MAP_FAILED)
		SKIP(return, "no 2 MiB hugetlb pages (vm.nr_hugepages): %s",
		     strerror(errno));
	h[0] = 1;
	ASSERT_EQ(0, attach(fd, 0));
	for (int round = 0; round < 2; round++) {
		scan_regions(fd, h, 2 * huge, 0, NPAGES, r);
		ASSERT_EQ(0, r->ret);
		ASSERT_EQ(1, r->arg.nr_ranges);
		EXPECT_EQ((uintptr_t)h, r->vec[0].start);
		EXPECT_EQ((uintptr_t)h + 2 * huge, r->vec[0].end);
		EXPECT_EQ(SPLITCKPT_REGION_UNWALKED, r->vec[0].flags);
	}
	munmap(h, 2 * huge);
	close(fd);
	free(r);
}

static long anon_huge_kb(void)
{
	char line[256];
	long kb = 0, v;
	FILE *f = fopen("/proc/self/smaps_rollup", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "AnonHugePages: %ld", &v) == 1)
			kb = v;
	if (f)
		fclose(f);
	return kb;
}

/*
 * A 2 MiB-aligned 2 MiB stretch with MADV_HUGEPAGE, in a fresh mapping
 * *@raw of twice that; NULL when the mapping failed (*@raw is MAP_FAILED)
 * or the kernel has no transparent huge pages.
 */
static char *thp_area(char **raw)
{
	const size_t huge = 2UL << 20;
	char *h;

	*raw = mmap(NULL, 2 * huge, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (*raw == MAP_FAILED)
		return NULL;
	h = (char *)(((uintptr_t)*raw + huge - 1) & ~(huge - 1));
	return madvise(h, huge, MADV_HUGEPAGE) ? NULL : h;
}

TEST(thp_is_reported_per_2mib)
{
	const size_t huge = 2UL << 20;
	struct scan_result *r = malloc(sizeof(*r));
	struct region_result *rr = malloc(sizeof(*rr));
	char *raw, *h;
	int fd;

	ASSERT_NE(NULL, r);
	ASSERT_NE(NULL, rr);
	fd = open(SPLITCKPT_DEV, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		SKIP(return, "%s: %s", SPLITCKPT_DEV, strerror(errno));
	h = thp_area(&raw);
	ASSERT_NE(MAP_FAILED, raw);
	if (!h)
		SKIP(return, "no transparent huge pages");
	memset(h, 1, huge);
	if (anon_huge_kb() < 2048)
		SKIP(return, "the kernel gave no huge page");
	ASSERT_EQ(0, attach(fd, 0));
	scan(fd, h, huge, 0, NPAGES, r);
	ASSERT_EQ(0, r->ret);
	/* One byte dirties the whole huge page, reported as one range. */
	h[12345] = 2;
	scan(fd, h, huge, 0, NPAGES, r);
	ASSERT_EQ(0, r->ret);
	ASSERT_EQ(1, r->arg.nr_ranges);
	EXPECT_EQ(512, r->arg.nr_pages);
	EXPECT_EQ((uintptr_t)h, r->vec[0].start);
	EXPECT_EQ((uintptr_t)h + huge, r->vec[0].end);
	scan(fd, h, huge, 0, NPAGES, r);
	ASSERT_EQ(0, r->ret);
	EXPECT_EQ(0, r->arg.nr_ranges);
	/* As a region: flagged as a huge page reported whole. */
	h[777] = 3;
	scan_regions(fd, h, huge, 0, NPAGES, rr);
	ASSERT_EQ(0, rr->ret);
	ASSERT_EQ(1, rr->arg.nr_ranges);
	EXPECT_EQ((uintptr_t)h, rr->vec[0].start);
	EXPECT_EQ((uintptr_t)h + huge, rr->vec[0].end);
	EXPECT_EQ(SPLITCKPT_REGION_HUGE, rr->vec[0].flags);
	close(fd);
	free(r);
	free(rr);
}

/*
 * A huge page mapped by PTEs (mprotect() split its PMD, not the page) is
 * reported whole after the split and is clean after a clear; a write to one
 * of its pages reports that page alone.  Once one page of it is pinned,
 * every page is reported by every scan (a huge page's pin counts for all of
 * it), and none once it is unpinned.
 */
TEST(pte_mapped_huge_page)
{
	const size_t huge = 2UL << 20;
	long pg = sysconf(_SC_PAGESIZE);
	struct scan_result *r = malloc(sizeof(*r));
	char *raw, *h;
	int fd, ring, tries;
	long huge_kb;

	ASSERT_NE(NULL, r);
	fd = open(SPLITCKPT_DEV, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		SKIP(return, "%s: %s", SPLITCKPT_DEV, strerror(errno));
	h = thp_area(&raw);
	ASSERT_NE(MAP_FAILED, raw);
	if (!h)
		SKIP(return, "no transparent huge pages");
	ASSERT_EQ(0, attach(fd, 0));
	memset(h, 1, huge);
	huge_kb = anon_huge_kb();
	if (huge_kb < 2048)
		SKIP(return, "the kernel gave no huge page");
	ASSERT_EQ(0, mprotect(h + pg, pg, PROT_READ));
	ASSERT_EQ(0, mprotect(h + pg, pg, PROT_READ | PROT_WRITE));
	ASSERT_EQ(huge_kb - 2048, anon_huge_kb()) TH_LOG("the PMD was not split");
	/* Written whole: by its PTEs (6.12) or through the split (6.1). */
	scan(fd, h, huge, 0, NPAGES, r);
	ASSERT_EQ(0, r->ret);
	EXPECT_EQ(512, r->arg.nr_pages);
	scan(fd, h, huge, 0, NPAGES, r);
	ASSERT_EQ(0, r->ret);
	EXPECT_EQ(0, r->arg.nr_ranges);

	h[300 * pg] = 2;
	scan(fd, h, huge, 0, NPAGES, r);
	ASSERT_EQ(0, r->ret);
	ASSERT_EQ(1, r->arg.nr_ranges);
	EXPECT_EQ((uintptr_t)h + 300 * pg, r->vec[0].start);
	EXPECT_EQ((uintptr_t)h + 301 * pg, r->vec[0].end);

	ring = pin_with_io_uring(h + 10 * pg, pg);
	if (ring == -ENOSYS || ring == -EPERM)
		SKIP(return, "io_uring: %s", strerror(-ring));
	ASSERT_LE(0, ring) TH_LOG("io_uring: %s", strerror(-ring));
	for (int round = 0; round < 2; round++) {
		scan(fd, h, huge, 0, NPAGES, r);
		ASSERT_EQ(0, r->ret);
		ASSERT_EQ(1, r->arg.nr_ranges);
		EXPECT_EQ((uintptr_t)h, r->vec[0].start);
		EXPECT_EQ((uintptr_t)h + huge, r->vec[0].end);
	}
	close(ring);	/* unpins, at once or from a worker soon after */
	for (tries = 0; tries < 100; tries++) {
		scan(fd, h, huge, 0, NPAGES, r);
		ASSERT_EQ(0, r->ret);
		if (!r->arg.nr_ranges)
			break;
		usleep(10000);
	}
	EXPECT_EQ(0, r->arg.nr_ranges) TH_LOG("still reported after the unpin");
	close(fd);
	munmap(raw, 2 * huge);
	free(r);
}

TEST_HARNESS_MAIN

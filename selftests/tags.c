// SPDX-License-Identifier: GPL-2.0
/*
 * Description: range tags (TAG_SET, TAG_QUERY): exact ranges after set and
 * clear, holes left untagged, tags kept through mprotect splits and merges,
 * MADV_DONTNEED and fork, dropped and counted on munmap, mmap over a
 * mapping and mremap; DIRTY_SCAN limited to the ranges a tag mask selects;
 * the argument contract.
 */
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "splitckpt_test.h"

#define NP	64
#define UP	SPLITCKPT_TAG_UPPER
#define LO	SPLITCKPT_TAG_LOWER
#define SK	SPLITCKPT_TAG_SKIP

FIXTURE(tags)
{
	int fd;
	long pg;
	char *r;
	struct splitckpt_tag_range vec[NP];
	struct splitckpt_tag_query q;
};

static int tag_set(int fd, void *start, long len, __u64 set, __u64 clear,
		   __u64 *nr_pages)
{
	struct splitckpt_tag_set a;
	int ret;

	memset(&a, POISON_BYTE, sizeof(a));
	a.size = sizeof(a);
	a.flags = 0;
	a.start = (uintptr_t)start;
	a.end = (uintptr_t)start + len;
	a.set = set;
	a.clear = clear;
	memset(a.reserved, 0, sizeof(a.reserved));
	ret = sc_ioctl(fd, SPLITCKPT_IOC_TAG_SET, &a);
	if (nr_pages)
		*nr_pages = a.nr_pages;
	return ret;
}

static int query(FIXTURE_DATA(tags) *self, void *start, long len, __u64 vec_len)
{
	memset(self->vec, POISON_BYTE, sizeof(self->vec));
	memset(&self->q, POISON_BYTE, sizeof(self->q));
	self->q.size = sizeof(self->q);
	self->q.flags = 0;
	self->q.start = (uintptr_t)start;
	self->q.end = (uintptr_t)start + len;
	self->q.vec = (uintptr_t)self->vec;
	self->q.vec_len = vec_len;
	memset(self->q.reserved, 0, sizeof(self->q.reserved));
	return sc_ioctl(self->fd, SPLITCKPT_IOC_TAG_QUERY, &self->q);
}

/* Checks range @i of the last query: pages [a, b) of the region, @tags. */
#define RANGE(i, a, b, t) do {						\
		EXPECT_EQ((uintptr_t)(self->r + (a) * self->pg), self->vec[i].start); \
		EXPECT_EQ((uintptr_t)(self->r + (b) * self->pg), self->vec[i].end); \
		EXPECT_EQ((__u64)(t), self->vec[i].tags);		\
	} while (0)

#define QUERY_ALL() query(self, self->r, NP * self->pg, NP)

FIXTURE_SETUP(tags)
{
	struct splitckpt_attach a = { .size = sizeof(a) };

	self->pg = sysconf(_SC_PAGESIZE);
	self->fd = open(SPLITCKPT_DEV, O_RDWR | O_CLOEXEC);
	if (self->fd < 0)
		SKIP(return, "%s: %s", SPLITCKPT_DEV, strerror(errno));
	ASSERT_EQ(0, prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0));
	self->r = mmap(NULL, NP * self->pg, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	ASSERT_NE(MAP_FAILED, self->r);
	ASSERT_EQ(0, sc_ioctl(self->fd, SPLITCKPT_IOC_ATTACH, &a));
}

FIXTURE_TEARDOWN(tags)
{
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F(tags, untagged_at_first)
{
	ASSERT_EQ(0, QUERY_ALL());
	EXPECT_EQ(0, self->q.nr_ranges);
	EXPECT_EQ(self->q.end, self->q.walk_end);
	EXPECT_EQ(0, self->q.nr_dropped);
	EXPECT_EQ(sizeof(self->q), self->q.size);
}

TEST_F(tags, set_clear_and_query_are_exact)
{
	long pg = self->pg;
	__u64 n;

	ASSERT_EQ(0, tag_set(self->fd, self->r + 4 * pg, 16 * pg, UP, 0, &n));
	EXPECT_EQ(16, n);
	ASSERT_EQ(0, tag_set(self->fd, self->r + 20 * pg, 4 * pg, LO, 0, &n));
	ASSERT_EQ(0, QUERY_ALL());
	ASSERT_EQ(2, self->q.nr_ranges);
	RANGE(0, 4, 20, UP);
	RANGE(1, 20, 24, LO);
	EXPECT_EQ(POISON_BYTE, ((unsigned char *)&self->vec[2])[0]);

	/* A hole in the middle, then a second tag over part of both. */
	ASSERT_EQ(0, tag_set(self->fd, self->r + 8 * pg, 4 * pg, 0, UP, NULL));
	ASSERT_EQ(0, tag_set(self->fd, self->r + 18 * pg, 4 * pg, SK, 0, NULL));
	ASSERT_EQ(0, QUERY_ALL());
	ASSERT_EQ(5, self->q.nr_ranges);
	RANGE(0, 4, 8, UP);
	RANGE(1, 12, 18, UP);
	RANGE(2, 18, 20, UP | SK);
	RANGE(3, 20, 22, LO | SK);
	RANGE(4, 22, 24, LO);

	/* Clearing every tag leaves nothing. */
	ASSERT_EQ(0, tag_set(self->fd, self->r, NP * pg, 0, UP | LO | SK, NULL));
	ASSERT_EQ(0, QUERY_ALL());
	EXPECT_EQ(0, self->q.nr_ranges);

	/* Equal neighbours merge. */
	ASSERT_EQ(0, tag_set(self->fd, self->r, 10 * pg, UP, 0, NULL));
	ASSERT_EQ(0, tag_set(self->fd, self->r + 10 * pg, 10 * pg, UP, 0, NULL));
	ASSERT_EQ(0, QUERY_ALL());
	ASSERT_EQ(1, self->q.nr_ranges);
	RANGE(0, 0, 20, UP);
}

TEST_F(tags, query_is_clipped_and_resumable)
{
	long pg = self->pg;

	for (int i = 0; i < 8; i++)
		ASSERT_EQ(0, tag_set(self->fd, self->r + i * 8 * pg, 4 * pg,
				     i % 2 ? LO : UP, 0, NULL));
	ASSERT_EQ(0, query(self, self->r + 2 * pg, 20 * pg, NP));
	ASSERT_EQ(3, self->q.nr_ranges);
	RANGE(0, 2, 4, UP);
	RANGE(1, 8, 12, LO);
	RANGE(2, 16, 20, UP);
	ASSERT_EQ(0, query(self, self->r, NP * self->pg, 3));
	ASSERT_EQ(3, self->q.nr_ranges);
	EXPECT_EQ((uintptr_t)(self->r + 24 * pg), self->q.walk_end);
	ASSERT_EQ(0, query(self, self->r + 24 * pg, 40 * pg, NP));
	EXPECT_EQ(5, self->q.nr_ranges);
	RANGE(0, 24, 28, LO);
}

TEST_F(tags, holes_are_not_tagged)
{
	long pg = self->pg;
	__u64 n;

	ASSERT_EQ(0, munmap(self->r + 30 * pg, 2 * pg));
	ASSERT_EQ(0, tag_set(self->fd, self->r, NP * pg, UP, 0, &n));
	EXPECT_EQ(NP - 2, n);
	ASSERT_EQ(0, QUERY_ALL());
	ASSERT_EQ(2, self->q.nr_ranges);
	RANGE(0, 0, 30, UP);
	RANGE(1, 32, NP, UP);
	/* Mapping the hole again leaves it untagged. */
	ASSERT_EQ(self->r + 30 * pg, mmap(self->r + 30 * pg, 2 * pg,
		  PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
		  -1, 0));
	ASSERT_EQ(0, QUERY_ALL());
	ASSERT_EQ(2, self->q.nr_ranges);
}

TEST_F(tags, mprotect_dontneed_and_fork_keep_tags)
{
	long pg = self->pg;
	pid_t child;
	int status;

	ASSERT_EQ(0, tag_set(self->fd, self->r, NP * pg, UP, 0, NULL));
	ASSERT_EQ(0, mprotect(self->r + 10 * pg, 10 * pg, PROT_READ));
	ASSERT_EQ(0, QUERY_ALL());
	ASSERT_EQ(1, self->q.nr_ranges);
	RANGE(0, 0, NP, UP);
	ASSERT_EQ(0, mprotect(self->r + 10 * pg, 10 * pg, PROT_READ | PROT_WRITE));
	ASSERT_EQ(0, madvise(self->r + 5 * pg, 3 * pg, MADV_DONTNEED));
	child = fork();
	ASSERT_LE(0, child);
	if (child == 0) {
		/* The child's mm is its own: its unmaps drop nothing of ours. */
		munmap(self->r, NP * pg);
		_exit(0);
	}
	ASSERT_EQ(child, waitpid(child, &status, 0));
	ASSERT_EQ(0, QUERY_ALL());
	ASSERT_EQ(1, self->q.nr_ranges);
	RANGE(0, 0, NP, UP);
	EXPECT_EQ(0, self->q.nr_dropped);
}

TEST_F(tags, munmap_drops_and_counts)
{
	long pg = self->pg;

	ASSERT_EQ(0, tag_set(self->fd, self->r, NP * pg, UP, 0, NULL));
	ASSERT_EQ(0, munmap(self->r + 10 * pg, 2 * pg));
	ASSERT_EQ(0, QUERY_ALL());
	ASSERT_EQ(2, self->q.nr_ranges);
	RANGE(0, 0, 10, UP);
	RANGE(1, 12, NP, UP);
	EXPECT_EQ(1, self->q.nr_dropped);
	ASSERT_EQ(0, QUERY_ALL());
	EXPECT_EQ(0, self->q.nr_dropped);

	/* mmap(MAP_FIXED) over tagged memory unmaps it first. */
	ASSERT_EQ(self->r + 40 * pg, mmap(self->r + 40 * pg, 4 * pg,
		  PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
		  -1, 0));
	ASSERT_EQ(0, QUERY_ALL());
	ASSERT_EQ(3, self->q.nr_ranges);
	RANGE(1, 12, 40, UP);
	RANGE(2, 44, NP, UP);
	EXPECT_EQ(1, self->q.nr_dropped);
}

TEST_F(tags, mremap_drops_the_old_range)
{
	long pg = self->pg;
	char *dst = mmap(NULL, 16 * pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
			 -1, 0), *moved;

	ASSERT_NE(MAP_FAILED, dst);
	ASSERT_EQ(0, tag_set(self->fd, self->r, 32 * pg, LO, 0, NULL));
	moved = mremap(self->r + 16 * pg, 16 * pg, 16 * pg,
		       MREMAP_MAYMOVE | MREMAP_FIXED, dst);
	ASSERT_EQ(dst, moved);
	ASSERT_EQ(0, QUERY_ALL());
	ASSERT_EQ(1, self->q.nr_ranges);
	RANGE(0, 0, 16, LO);
	EXPECT_LE(1, self->q.nr_dropped);
	ASSERT_EQ(0, query(self, moved, 16 * pg, NP));
	EXPECT_EQ(0, self->q.nr_ranges);
	munmap(moved, 16 * pg);
}

/* DIRTY_SCAN with a tag mask sees only the selected ranges. */
TEST_F(tags, dirty_scan_honours_the_tag_mask)
{
	struct splitckpt_range dv[NP];
	struct splitckpt_dirty_scan a;
	long pg = self->pg;

#define SCAN(mask) do {							\
		memset(dv, POISON_BYTE, sizeof(dv));			\
		memset(&a, 0, sizeof(a));				\
		a.size = sizeof(a);					\
		a.start = (uintptr_t)self->r;				\
		a.end = a.start + NP * pg;				\
		a.vec = (uintptr_t)dv;					\
		a.vec_len = NP;						\
		a.tag_mask = (mask);					\
		ASSERT_EQ(0, sc_ioctl(self->fd, SPLITCKPT_IOC_DIRTY_SCAN, &a)); \
	} while (0)

	SCAN(0);	/* a clean start */
	ASSERT_EQ(0, tag_set(self->fd, self->r + 8 * pg, 8 * pg, UP, 0, NULL));
	ASSERT_EQ(0, tag_set(self->fd, self->r + 32 * pg, 16 * pg, LO, 0, NULL));
	self->r[2 * pg] = 1;
	self->r[10 * pg] = 1;
	self->r[40 * pg] = 1;
	self->r[41 * pg] = 1;

	SCAN(UP);
	ASSERT_EQ(1, a.nr_ranges);
	EXPECT_EQ((uintptr_t)(self->r + 10 * pg), dv[0].start);
	EXPECT_EQ((uintptr_t)(self->r + 11 * pg), dv[0].end);
	EXPECT_EQ(a.end, a.walk_end);
	SCAN(UP);
	EXPECT_EQ(0, a.nr_ranges);

	/* Filling the vector stops the walk inside the second part. */
	self->r[10 * pg] = 2;
	memset(dv, 0, sizeof(dv));
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.start = (uintptr_t)self->r;
	a.end = a.start + NP * pg;
	a.vec = (uintptr_t)dv;
	a.vec_len = 1;
	a.tag_mask = UP | LO;
	a.flags = SPLITCKPT_SCAN_REPORT_ONLY;
	ASSERT_EQ(0, sc_ioctl(self->fd, SPLITCKPT_IOC_DIRTY_SCAN, &a));
	ASSERT_EQ(1, a.nr_ranges);
	EXPECT_EQ((uintptr_t)(self->r + 40 * pg), a.walk_end);

	SCAN(LO | UP);
	ASSERT_EQ(2, a.nr_ranges);
	EXPECT_EQ((uintptr_t)(self->r + 10 * pg), dv[0].start);
	EXPECT_EQ((uintptr_t)(self->r + 40 * pg), dv[1].start);
	EXPECT_EQ((uintptr_t)(self->r + 42 * pg), dv[1].end);

	/* The untagged page kept its dirty bit for an unfiltered scan. */
	SCAN(0);
	ASSERT_EQ(1, a.nr_ranges);
	EXPECT_EQ((uintptr_t)(self->r + 2 * pg), dv[0].start);
	EXPECT_EQ((uintptr_t)(self->r + 3 * pg), dv[0].end);

	/* A mask nothing carries scans nothing. */
	self->r[2 * pg] = 3;
	SCAN(SK);
	EXPECT_EQ(0, a.nr_ranges);
	EXPECT_EQ(a.end, a.walk_end);
#undef SCAN
}

TEST_F(tags, bad_arguments)
{
	struct splitckpt_tag_set a;
	struct splitckpt_dirty_scan d;
	long pg = self->pg;

#define BAD(stmt) do {							\
		memset(&a, 0, sizeof(a));				\
		a.size = sizeof(a);					\
		a.start = (uintptr_t)self->r;				\
		a.end = a.start + pg;					\
		a.set = UP;						\
		stmt;							\
		EXPECT_EQ(-EINVAL, sc_ioctl(self->fd, SPLITCKPT_IOC_TAG_SET, &a)) \
			TH_LOG(#stmt);					\
	} while (0)
	BAD(a.flags = 1);
	BAD(a.set = 1ULL << 3);
	BAD(a.clear = 1ULL << 63);
	BAD(a.clear = UP);
	BAD(a.reserved[2] = 1);
	BAD(a.start += 1);
	BAD(a.end = a.start);
	BAD(a.size = 8);
#undef BAD
	memset(&d, 0, sizeof(d));
	d.size = sizeof(d);
	d.start = (uintptr_t)self->r;
	d.end = d.start + pg;
	d.tag_mask = 1ULL << 5;
	EXPECT_EQ(-EINVAL, sc_ioctl(self->fd, SPLITCKPT_IOC_DIRTY_SCAN, &d));
	ASSERT_EQ(0, tag_set(self->fd, self->r, 2 * pg, UP, 0, NULL));
	ASSERT_EQ(0, query(self, self->r, 2 * pg, 1));
	self->q.vec = 8;	/* unmapped */
	EXPECT_EQ(-EFAULT, sc_ioctl(self->fd, SPLITCKPT_IOC_TAG_QUERY, &self->q));
	/* The drop count of a failed query is not lost. */
	ASSERT_EQ(0, munmap(self->r, pg));
	EXPECT_EQ(-EFAULT, sc_ioctl(self->fd, SPLITCKPT_IOC_TAG_QUERY, &self->q));
	ASSERT_EQ(0, query(self, self->r, NP * pg, NP));
	EXPECT_EQ(1, self->q.nr_dropped);
}

TEST(tags_need_attach)
{
	struct splitckpt_tag_query q = { .size = sizeof(q), .start = 4096,
					 .end = 8192 };
	struct splitckpt_tag_set s = { .size = sizeof(s), .start = 4096,
				       .end = 8192, .set = UP };
	int fd = open(SPLITCKPT_DEV, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		SKIP(return, "%s: %s", SPLITCKPT_DEV, strerror(errno));
	EXPECT_EQ(-ENOTCONN, sc_ioctl(fd, SPLITCKPT_IOC_TAG_QUERY, &q));
	EXPECT_EQ(-ENOTCONN, sc_ioctl(fd, SPLITCKPT_IOC_TAG_SET, &s));
	close(fd);
}

TEST_HARNESS_MAIN

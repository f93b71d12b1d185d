// SPDX-License-Identifier: GPL-2.0
/*
 * Description: VMA_QUERY: one entry per mapping with exact bounds and
 * properties (protection, sharing, file, madvise() and mlock() state)
 * after mprotect() splits and madvise(); clipping, holes, resuming from
 * walk_end; agreement with /proc/self/smaps for every mapping of the
 * process; the argument contract.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "splitckpt_test.h"

#define NV	512
#define RW	(SPLITCKPT_VMF_READ | SPLITCKPT_VMF_WRITE)

FIXTURE(vmas)
{
	int fd;
	long pg;
	struct splitckpt_vma vec[NV];
	struct splitckpt_vma_query q;
};

static int query(FIXTURE_DATA(vmas) *self, uint64_t start, uint64_t end,
		 __u64 vec_len)
{
	memset(self->vec, POISON_BYTE, sizeof(self->vec));
	memset(&self->q, POISON_BYTE, sizeof(self->q));
	self->q.size = sizeof(self->q);
	self->q.flags = 0;
	self->q.start = start;
	self->q.end = end;
	self->q.vec = (uintptr_t)self->vec;
	self->q.vec_len = vec_len;
	memset(self->q.reserved, 0, sizeof(self->q.reserved));
	return sc_ioctl(self->fd, SPLITCKPT_IOC_VMA_QUERY, &self->q);
}

FIXTURE_SETUP(vmas)
{
	struct splitckpt_attach a = { .size = sizeof(a) };

	self->pg = sysconf(_SC_PAGESIZE);
	self->fd = open(SPLITCKPT_DEV, O_RDWR | O_CLOEXEC);
	if (self->fd < 0)
		SKIP(return, "%s: %s", SPLITCKPT_DEV, strerror(errno));
	ASSERT_EQ(0, sc_ioctl(self->fd, SPLITCKPT_IOC_ATTACH, &a));
}

FIXTURE_TEARDOWN(vmas)
{
	if (self->fd >= 0)
		close(self->fd);
}

static void expect_vma(struct __test_metadata *_metadata,
		       const struct splitckpt_vma *v, char *base, long pg,
		       long first, long last, __u64 flags)
{
	EXPECT_EQ((uintptr_t)(base + first * pg), v->start);
	EXPECT_EQ((uintptr_t)(base + last * pg), v->end);
	EXPECT_EQ(flags, v->flags) TH_LOG("pages %ld-%ld", first, last);
}

/* Splits by mprotect() and madvise(): one exact entry per piece. */
TEST_F(vmas, splits_and_advice_are_exact)
{
	long pg = self->pg;
	char *b = mmap(NULL, 10 * pg, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_NE(MAP_FAILED, b);
	/* A guard page on each side, so the pieces cannot merge outwards. */
	ASSERT_EQ(0, mprotect(b, pg, PROT_NONE));
	ASSERT_EQ(0, mprotect(b + 9 * pg, pg, PROT_NONE));
	ASSERT_EQ(0, madvise(b + pg, pg, MADV_DONTDUMP));
	ASSERT_EQ(0, mprotect(b + 4 * pg, 2 * pg, PROT_READ));
	ASSERT_EQ(0, madvise(b + 7 * pg, 2 * pg, MADV_DONTFORK));
	ASSERT_EQ(0, query(self, (uintptr_t)b, (uintptr_t)(b + 10 * pg), NV));
	EXPECT_EQ(sizeof(self->q), self->q.size);
	EXPECT_EQ((uintptr_t)(b + 10 * pg), self->q.walk_end);
	ASSERT_EQ(7, self->q.nr_vmas);
	expect_vma(_metadata, &self->vec[0], b, pg, 0, 1, 0);
	expect_vma(_metadata, &self->vec[1], b, pg, 1, 2, RW | SPLITCKPT_VMF_DONTDUMP);
	expect_vma(_metadata, &self->vec[2], b, pg, 2, 4, RW);
	expect_vma(_metadata, &self->vec[3], b, pg, 4, 6, SPLITCKPT_VMF_READ);
	expect_vma(_metadata, &self->vec[4], b, pg, 6, 7, RW);
	expect_vma(_metadata, &self->vec[5], b, pg, 7, 9, RW | SPLITCKPT_VMF_DONTFORK);
	expect_vma(_metadata, &self->vec[6], b, pg, 9, 10, 0);
	/* Not written past what it reported. */
	EXPECT_EQ(0xcccccccccccccccc, self->vec[7].start);

	/* Clipped to the query, resumed from walk_end, holes left out. */
	ASSERT_EQ(0, munmap(b + 6 * pg, pg));
	ASSERT_EQ(0, query(self, (uintptr_t)(b + 3 * pg), (uintptr_t)(b + 8 * pg), 1));
	ASSERT_EQ(1, self->q.nr_vmas);
	expect_vma(_metadata, &self->vec[0], b, pg, 3, 4, RW);
	EXPECT_EQ((uintptr_t)(b + 4 * pg), self->q.walk_end);
	ASSERT_EQ(0, query(self, self->q.walk_end, (uintptr_t)(b + 8 * pg), NV));
	ASSERT_EQ(2, self->q.nr_vmas);
	expect_vma(_metadata, &self->vec[0], b, pg, 4, 6, SPLITCKPT_VMF_READ);
	expect_vma(_metadata, &self->vec[1], b, pg, 7, 8, RW | SPLITCKPT_VMF_DONTFORK);
	EXPECT_EQ((uintptr_t)(b + 8 * pg), self->q.walk_end);
	/* Nothing mapped: no entry, done. */
	ASSERT_EQ(0, query(self, (uintptr_t)(b + 6 * pg), (uintptr_t)(b + 7 * pg), NV));
	EXPECT_EQ(0, self->q.nr_vmas);
	EXPECT_EQ((uintptr_t)(b + 7 * pg), self->q.walk_end);
	munmap(b, 10 * pg);
}

/* Every other property, one mapping each. */
TEST_F(vmas, properties)
{
	static const struct {
		int advice;
		__u64 flag;
	} adv[] = {
		{ MADV_HUGEPAGE, SPLITCKPT_VMF_HUGEPAGE },
		{ MADV_NOHUGEPAGE, SPLITCKPT_VMF_NOHUGEPAGE },
		{ MADV_WIPEONFORK, SPLITCKPT_VMF_WIPEONFORK },
		{ MADV_MERGEABLE, SPLITCKPT_VMF_MERGEABLE },
	};
	long pg = self->pg;
	char *m;
	int memfd;

	for (size_t i = 0; i < sizeof(adv) / sizeof(adv[0]); i++) {
		m = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE | PROT_EXEC,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		ASSERT_NE(MAP_FAILED, m);
		if (madvise(m, 2 * pg, adv[i].advice)) {
			TH_LOG("madvise %d: %s (not checked)", adv[i].advice, strerror(errno));
			munmap(m, 2 * pg);
			continue;
		}
		ASSERT_EQ(0, query(self, (uintptr_t)m, (uintptr_t)(m + 2 * pg), NV));
		ASSERT_EQ(1, self->q.nr_vmas);
		expect_vma(_metadata, &self->vec[0], m, pg, 0, 2,
			   RW | SPLITCKPT_VMF_EXEC | adv[i].flag);
		munmap(m, 2 * pg);
	}

	m = mmap(NULL, 2 * pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, m);
	ASSERT_EQ(0, mlock(m, 2 * pg));
	ASSERT_EQ(0, query(self, (uintptr_t)m, (uintptr_t)(m + 2 * pg), NV));
	ASSERT_EQ(1, self->q.nr_vmas);
	expect_vma(_metadata, &self->vec[0], m, pg, 0, 2,
		   SPLITCKPT_VMF_READ | SPLITCKPT_VMF_LOCKED);
	munmap(m, 2 * pg);

	memfd = memfd_create("vmas", MFD_CLOEXEC);
	ASSERT_LE(0, memfd);
	ASSERT_EQ(0, ftruncate(memfd, 4 * pg));
	m = mmap(NULL, 4 * pg, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	ASSERT_NE(MAP_FAILED, m);
	ASSERT_EQ(0, query(self, (uintptr_t)m, (uintptr_t)(m + 4 * pg), NV));
	ASSERT_EQ(1, self->q.nr_vmas);
	expect_vma(_metadata, &self->vec[0], m, pg, 0, 4,
		   RW | SPLITCKPT_VMF_SHARED | SPLITCKPT_VMF_FILE);
	munmap(m, 4 * pg);
	m = mmap(NULL, 4 * pg, PROT_READ, MAP_PRIVATE, memfd, 0);
	ASSERT_NE(MAP_FAILED, m);
	ASSERT_EQ(0, query(self, (uintptr_t)m, (uintptr_t)(m + 4 * pg), NV));
	ASSERT_EQ(1, self->q.nr_vmas);
	expect_vma(_metadata, &self->vec[0], m, pg, 0, 4,
		   SPLITCKPT_VMF_READ | SPLITCKPT_VMF_FILE);
	munmap(m, 4 * pg);
	close(memfd);
}

/* The VMF bits of a /proc/self/smaps mapping: perms and VmFlags. */
static __u64 smaps_flags(const char *perms, const char *vmflags, int file)
{
	static const struct {
		char name[3];
		__u64 flag;
	} map[] = {
		{ "hg", SPLITCKPT_VMF_HUGEPAGE }, { "nh", SPLITCKPT_VMF_NOHUGEPAGE },
		{ "dc", SPLITCKPT_VMF_DONTFORK }, { "wf", SPLITCKPT_VMF_WIPEONFORK },
		{ "dd", SPLITCKPT_VMF_DONTDUMP }, { "mg", SPLITCKPT_VMF_MERGEABLE },
		{ "lo", SPLITCKPT_VMF_LOCKED },
	};
	__u64 f = file ? SPLITCKPT_VMF_FILE : 0;

	f |= perms[0] == 'r' ? SPLITCKPT_VMF_READ : 0;
	f |= perms[1] == 'w' ? SPLITCKPT_VMF_WRITE : 0;
	f |= perms[2] == 'x' ? SPLITCKPT_VMF_EXEC : 0;
	f |= perms[3] == 's' ? SPLITCKPT_VMF_SHARED : 0;
	for (const char *p = vmflags + strlen("VmFlags:"); *p; p++) {
		if (*p == ' ' || *p == '\n' || !p[1])
			continue;
		for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
			if (p[0] == map[i].name[0] && p[1] == map[i].name[1] &&
			    (p[2] == ' ' || p[2] == '\n' || !p[2]))
				f |= map[i].flag;
		p++;
	}
	return f;
}

/*
 * Every mapping of the process, against /proc/self/smaps read just before
 * (nothing maps or unmaps in between: no allocation happens after it).
 */
TEST_F(vmas, agrees_with_smaps)
{
	static char line[4096 + 256];
	static struct {
		uint64_t start, end;
		__u64 flags;
	} want[NV];
	unsigned int n = 0;
	char perms[8] = "";
	uint64_t s, e, ino = 0;
	int have = 0;
	FILE *f;

	f = fopen("/proc/self/smaps", "re");
	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "VmFlags:", 8)) {
			/* A memfd or a file: an inode; anonymous memory: 0. */
			if (have && n < NV && s < (1ULL << 47))
				want[n++].flags = smaps_flags(perms, line, ino != 0);
			have = 0;
			continue;
		}
		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %7s %*x %*s %" SCNu64,
			   &s, &e, perms, &ino) == 4) {
			want[n].start = s;
			want[n].end = e;
			have = 1;
		}
	}
	fclose(f);
	ASSERT_LT(3, n);
	ASSERT_EQ(0, query(self, 0, (1ULL << 47) - self->pg, NV));
	ASSERT_EQ(n, self->q.nr_vmas);
	for (unsigned int i = 0; i < n; i++) {
		EXPECT_EQ(want[i].start, self->vec[i].start) TH_LOG("mapping %u", i);
		EXPECT_EQ(want[i].end, self->vec[i].end) TH_LOG("mapping %u", i);
		EXPECT_EQ(want[i].flags, self->vec[i].flags)
			TH_LOG("mapping %u at %#llx", i, (unsigned long long)want[i].start);
	}
}

TEST_F(vmas, bad_arguments)
{
	long pg = self->pg;
	__u64 base = 1ULL << 30;

	ASSERT_EQ(0, query(self, base, base + pg, NV));
	self->q.flags = 1;
	EXPECT_EQ(-EINVAL, sc_ioctl(self->fd, SPLITCKPT_IOC_VMA_QUERY, &self->q));
	ASSERT_EQ(0, query(self, base, base + pg, NV));
	self->q.reserved[2] = 1;
	EXPECT_EQ(-EINVAL, sc_ioctl(self->fd, SPLITCKPT_IOC_VMA_QUERY, &self->q));
	EXPECT_EQ(-EINVAL, query(self, base + 1, base + pg, NV));
	EXPECT_EQ(-EINVAL, query(self, base, base, NV));
	EXPECT_EQ(-EINVAL, query(self, base + pg, base, NV));
	EXPECT_EQ(-EINVAL, query(self, 0, 1ULL << 63, NV));
	ASSERT_EQ(0, query(self, 0, (1ULL << 47) - pg, NV));
	self->q.vec = 8;
	EXPECT_EQ(-EFAULT, sc_ioctl(self->fd, SPLITCKPT_IOC_VMA_QUERY, &self->q));
	self->q.size = SPLITCKPT_VMA_QUERY_SIZE_VER0 - 1;
	EXPECT_EQ(-EINVAL, sc_ioctl(self->fd, SPLITCKPT_IOC_VMA_QUERY, &self->q));
}

TEST(query_before_attach_is_enotconn)
{
	struct splitckpt_vma v;
	struct splitckpt_vma_query q = {
		.size = sizeof(q), .start = 1ULL << 30, .end = (1ULL << 30) + 4096,
		.vec = (uintptr_t)&v, .vec_len = 1,
	};
	int fd = open(SPLITCKPT_DEV, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		SKIP(return, "%s: %s", SPLITCKPT_DEV, strerror(errno));
	EXPECT_EQ(-ENOTCONN, sc_ioctl(fd, SPLITCKPT_IOC_VMA_QUERY, &q));
	close(fd);
}

TEST_HARNESS_MAIN

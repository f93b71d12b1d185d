// SPDX-License-Identifier: GPL-2.0
/*
 * The image library (lib/image.c) on the host: what is written reads back
 * exactly, generations are numbered and only ever appear complete, and
 * every kind of damage is refused with the documented error.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <xxhash.h>

#include "kselftest_harness.h"
#include "chain.h"
#include "image.h"
#include "ranges.h"

#define PG 4096UL

struct my_rec {
	struct splitckpt_img_rec rec;
	__u64 value;
};

static void add_process(struct __test_metadata *_metadata, struct sp_imgw *w)
{
	struct {
		struct splitckpt_img_process p;
		char strs[16];
	} r;

	memset(&r, 0, sizeof(r));
	r.p.rec.type = SPLITCKPT_REC_PROCESS;
	r.p.pid = 42;
	r.p.cwd_len = 1;
	r.p.exe_len = 2;
	r.p.dir_len = 3;
	memcpy(r.strs, "/\0/x\0/ck", 9);
	ASSERT_EQ(0, sp_imgw_record(w, &r, sizeof(r.p) + 9));
}

/* Write one generation of @n bytes at @mem plus a record holding @tag. */
static uint64_t write_gen(struct __test_metadata *_metadata, int dfd,
			  void *mem, size_t n, __u64 tag)
{
	struct my_rec mr = { .rec.type = 1000, .value = tag };
	struct sp_imgw *w;
	uint64_t gen = 0;

	ASSERT_EQ(0, sp_imgw_open(dfd, &w));
	add_process(_metadata, w);
	ASSERT_EQ(0, sp_imgw_record(w, &mr, sizeof(mr)));
	if (n)
		ASSERT_EQ(0, sp_imgw_memory(w, (uint64_t)mem, n, 0));
	ASSERT_EQ(0, sp_imgw_commit(w, &gen));
	return gen;
}

static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	while (d && (de = readdir(d)))
		n += de->d_name[0] != '.' || strstr(de->d_name, ".tmp") != NULL;
	if (d)
		closedir(d);
	return n;
}

FIXTURE(img) {
	char dir[64];
	int dfd;
	unsigned char *mem;
	size_t len;
};

FIXTURE_SETUP(img)
{
	size_t i;
	uint64_t x = 7;

	strcpy(self->dir, "/tmp/splitckpt-image.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	self->dfd = open(self->dir, O_RDONLY | O_DIRECTORY);
	ASSERT_LE(0, self->dfd);
	/* 1 MiB + 3 pages: more than one PAGES record, not a round size. */
	self->len = (1 << 20) + 3 * PG;
	self->mem = mmap(NULL, self->len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->mem);
	for (i = 0; i < self->len; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		self->mem[i] = (unsigned char)x;
	}
}

FIXTURE_TEARDOWN(img)
{
	char cmd[128];

	munmap(self->mem, self->len);
	close(self->dfd);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", self->dir);
	if (system(cmd))
		TH_LOG("could not remove %s", self->dir);
}

TEST_F(img, write_read_back)
{
	const struct splitckpt_img_header *h;
	const struct splitckpt_img_rec *r;
	unsigned char *copy = malloc(self->len);
	uint64_t covered = 0, tag = 0;
	struct sp_img *img;
	int pages = 0;

	ASSERT_NE(NULL, copy);
	memcpy(copy, self->mem, self->len);
	ASSERT_EQ(1, write_gen(_metadata, self->dfd, self->mem, self->len, 0xfeed));
	ASSERT_EQ(0, sp_img_open(self->dfd, 1, &img));
	h = sp_img_header(img);
	EXPECT_EQ(0, memcmp(h->magic, SPLITCKPT_IMG_MAGIC, 8));
	/* Nothing compressed: exactly the version 2 format. */
	EXPECT_EQ(2, h->version);
	EXPECT_EQ(0, h->flags);
	EXPECT_EQ(1, h->generation);
	EXPECT_EQ(0, h->parent);
	EXPECT_EQ(PG, h->page_size);
	EXPECT_EQ(self->len, h->data_size);
	for (r = sp_img_next(img, NULL); r; r = sp_img_next(img, r)) {
		if (r->type == 1000)
			tag = ((const struct my_rec *)r)->value;
		if (r->type == SPLITCKPT_REC_PAGES) {
			const struct splitckpt_img_pages *p = (const void *)r;

			EXPECT_EQ((uint64_t)self->mem + covered, p->addr);
			EXPECT_GE(1UL << 20, p->len);
			covered += p->len;
			pages++;
		}
	}
	EXPECT_EQ(0xfeed, tag);
	EXPECT_EQ(self->len, covered);
	EXPECT_LE(2, pages);
	/* Lose the memory, then bring it back from the image. */
	memset(self->mem, 0, self->len);
	ASSERT_EQ((int64_t)self->len, sp_img_load(img, NULL));
	EXPECT_EQ(0, memcmp(copy, self->mem, self->len));
	EXPECT_EQ((int64_t)self->len, sp_img_verify_data(img));
	sp_img_close(img);
	free(copy);
}

TEST_F(img, generations_are_numbered_and_listed)
{
	struct sp_img *img;
	uint64_t *gens;
	int n;

	ASSERT_EQ(-ENOENT, sp_img_open(self->dfd, 0, &img));
	ASSERT_EQ(1, write_gen(_metadata, self->dfd, self->mem, PG, 1));
	ASSERT_EQ(2, write_gen(_metadata, self->dfd, self->mem, 2 * PG, 2));
	ASSERT_EQ(3, write_gen(_metadata, self->dfd, NULL, 0, 3));
	n = sp_img_list(self->dfd, &gens);
	ASSERT_EQ(3, n);
	EXPECT_EQ(1, gens[0]);
	EXPECT_EQ(2, gens[1]);
	EXPECT_EQ(3, gens[2]);
	free(gens);
	ASSERT_EQ(0, sp_img_open(self->dfd, 0, &img));
	EXPECT_EQ(3, sp_img_header(img)->generation);
	sp_img_close(img);
	ASSERT_EQ(0, sp_img_open(self->dfd, 2, &img));
	EXPECT_EQ(2 * PG, sp_img_header(img)->data_size);
	sp_img_close(img);
	EXPECT_EQ(-ENOENT, sp_img_open(self->dfd, 4, &img));
}

TEST_F(img, abort_and_leftovers_leave_no_generation)
{
	struct sp_imgw *w;
	struct sp_img *img;
	uint64_t *gens;
	int fd;

	ASSERT_EQ(0, sp_imgw_open(self->dfd, &w));
	ASSERT_EQ(1, sp_imgw_generation(w));
	ASSERT_EQ(0, sp_imgw_memory(w, (uint64_t)self->mem, self->len, 0));
	sp_imgw_abort(w);
	EXPECT_EQ(0, count_entries(self->dir));
	/* A crash leaves a .tmp file behind: ignored. */
	fd = openat(self->dfd, ".gen-00000001.img.tmp", O_CREAT | O_WRONLY, 0600);
	ASSERT_LE(0, fd);
	ASSERT_EQ(5, write(fd, "junk!", 5));
	close(fd);
	EXPECT_EQ(0, sp_img_list(self->dfd, &gens));
	free(gens);
	EXPECT_EQ(-ENOENT, sp_img_open(self->dfd, 0, &img));
	/* Unaligned memory is refused, nothing is written. */
	ASSERT_EQ(0, sp_imgw_open(self->dfd, &w));
	EXPECT_EQ(-EINVAL, sp_imgw_memory(w, (uint64_t)self->mem + 1, PG, 0));
	sp_imgw_abort(w);
	ASSERT_EQ(1, write_gen(_metadata, self->dfd, self->mem, PG, 1));
	EXPECT_EQ(1, count_entries(self->dir));
}

/* Change @len bytes at @off of generation 1. */
static void poke(int dfd, off_t off, const void *buf, size_t len)
{
	int fd = openat(dfd, "gen-00000001.img", O_WRONLY);

	if (fd < 0 || pwrite(fd, buf, len, off) != (ssize_t)len)
		abort();
	close(fd);
}

TEST_F(img, corrupt_data_is_caught)
{
	struct sp_img *img;
	unsigned char b;

	ASSERT_EQ(1, write_gen(_metadata, self->dfd, self->mem, self->len, 0));
	b = ~self->mem[5000];
	poke(self->dfd, 4096 + 5000, &b, 1);
	ASSERT_EQ(0, sp_img_open(self->dfd, 1, &img));
	EXPECT_EQ(-EBADMSG, sp_img_verify_data(img));
	EXPECT_EQ(-EBADMSG, sp_img_load(img, NULL));
	sp_img_close(img);
}

TEST_F(img, corrupt_records_and_header_are_caught)
{
	struct splitckpt_img_header h;
	struct sp_img *img;
	unsigned char b;
	int fd;

	ASSERT_EQ(1, write_gen(_metadata, self->dfd, self->mem, PG, 0));
	fd = openat(self->dfd, "gen-00000001.img", O_RDONLY);
	ASSERT_EQ(sizeof(h), pread(fd, &h, sizeof(h), 0));
	/* A record byte. */
	ASSERT_EQ(1, pread(fd, &b, 1, h.meta_offset + 12));
	close(fd);
	b ^= 1;
	poke(self->dfd, h.meta_offset + 12, &b, 1);
	EXPECT_EQ(-EBADMSG, sp_img_open(self->dfd, 1, &img));
	b ^= 1;
	poke(self->dfd, h.meta_offset + 12, &b, 1);
	ASSERT_EQ(0, sp_img_open(self->dfd, 1, &img));
	sp_img_close(img);
	/* A header field. */
	h.data_size++;
	poke(self->dfd, 0, &h, sizeof(h));
	EXPECT_EQ(-EBADMSG, sp_img_open(self->dfd, 1, &img));
	h.data_size--;
	/* Not an image at all. */
	poke(self->dfd, 0, "NOTANIMG", 8);
	EXPECT_EQ(-EBADMSG, sp_img_open(self->dfd, 1, &img));
	/* A version from the future, with a valid checksum. */
	h.version = 99;
	h.header_xxh3 = 0;
	h.header_xxh3 = XXH3_64bits(&h, sizeof(h));
	poke(self->dfd, 0, &h, sizeof(h));
	EXPECT_EQ(-EPROTONOSUPPORT, sp_img_open(self->dfd, 1, &img));
}

TEST_F(img, truncated_file_is_caught)
{
	struct sp_img *img;
	struct stat st;
	int fd;

	ASSERT_EQ(1, write_gen(_metadata, self->dfd, self->mem, self->len, 0));
	fd = openat(self->dfd, "gen-00000001.img", O_WRONLY);
	ASSERT_EQ(0, fstat(fd, &st));
	ASSERT_EQ(0, ftruncate(fd, st.st_size - 1));
	close(fd);
	EXPECT_EQ(-EBADMSG, sp_img_open(self->dfd, 1, &img));
}


/* Incremental generations (lib/chain.c). */

static void put_vma(struct __test_metadata *_metadata, struct sp_imgw *w,
		    void *start, size_t len, __u32 flags)
{
	struct {
		struct splitckpt_img_vma v;
		char nul[8];
	} r;

	memset(&r, 0, sizeof(r));
	r.v.rec.type = SPLITCKPT_REC_VMA;
	r.v.start = (uintptr_t)start;
	r.v.end = (uintptr_t)start + len;
	r.v.prot = PROT_READ | PROT_WRITE;
	r.v.flags = SPLITCKPT_VMA_PRIVATE | flags;
	ASSERT_EQ(0, sp_imgw_record(w, &r, sizeof(r.v) + 1));
}

static void scribble(unsigned char *p, size_t len, uint64_t seed)
{
	size_t i;

	for (i = 0; i < len; i++) {
		seed ^= seed << 13;
		seed ^= seed >> 7;
		seed ^= seed << 17;
		p[i] = (unsigned char)seed | 1;
	}
}

/* Map the region fresh (all zero), load generation @gen, compare. */
static void load_and_compare(struct __test_metadata *_metadata, int dfd,
			     uint64_t gen, unsigned char *mem, size_t len,
			     const unsigned char *want, int chain_len)
{
	struct sp_chain *c;
	uint64_t bad = 99;
	size_t i;

	ASSERT_EQ(mem, mmap(mem, len, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0));
	ASSERT_EQ(0, sp_chain_open(dfd, gen, &c, &bad));
	EXPECT_EQ(chain_len, c->n);
	ASSERT_LT(0, sp_chain_load(c, &bad));
	EXPECT_EQ(0, bad);
	for (i = 0; i < len; i += PG)
		if (memcmp(mem + i, want + i, PG))
			break;
	EXPECT_EQ(len, i) TH_LOG("generation %llu: page %zu differs",
				 (unsigned long long)gen, i / PG);
	sp_chain_close(c);
}

/*
 * Three generations over two mappings A (pages 0-199, changes tracked)
 * and B (200-258, new in generation 2: saved whole).
 */
TEST_F(img, incremental_chain_loads_compacts_and_prunes)
{
	unsigned char *m = self->mem, *g1, *g2, *g3, *a = m, *b = m + 200 * PG;
	size_t la = 200 * PG, lb = self->len - la;
	struct sp_imgw *w;
	struct sp_chain *c;
	uint64_t gen, bad, bytes, *gens;
	const __u64 t1 = 1000000001, t2 = 1000000002, t3 = 1000000003;

	g1 = malloc(self->len);
	g2 = malloc(self->len);
	g3 = malloc(self->len);
	ASSERT_TRUE(g1 && g2 && g3);

	/* Generation 1: everything. */
	ASSERT_EQ(0, sp_imgw_open(self->dfd, &w));
	add_process(_metadata, w);
	sp_imgw_set_created(w, t1);
	put_vma(_metadata, w, a, la, SPLITCKPT_VMA_WHOLE);
	put_vma(_metadata, w, b, lb, SPLITCKPT_VMA_WHOLE);
	ASSERT_EQ(0, sp_imgw_memory(w, (uintptr_t)m, self->len, 0));
	ASSERT_EQ(0, sp_imgw_commit(w, &gen));
	ASSERT_EQ(1, gen);
	memcpy(g1, m, self->len);

	/* Generation 2: pages 5, 6, 100 change, 150 becomes zero; B is new. */
	scribble(m + 5 * PG, 2 * PG, 11);
	scribble(m + 100 * PG, PG, 12);
	memset(m + 150 * PG, 0, PG);
	scribble(b, lb, 13);
	memset(b + 10 * PG, 0, PG);		/* zero in a whole mapping */
	ASSERT_EQ(0, sp_imgw_open(self->dfd, &w));
	add_process(_metadata, w);
	sp_imgw_set_created(w, t2);
	sp_imgw_set_parent(w, 1, t1);
	put_vma(_metadata, w, a, la, 0);
	put_vma(_metadata, w, b, lb, SPLITCKPT_VMA_WHOLE);
	ASSERT_EQ(0, sp_imgw_memory(w, (uintptr_t)m + 5 * PG, 2 * PG, SP_IMGW_MARK_ZERO));
	ASSERT_EQ(0, sp_imgw_memory(w, (uintptr_t)m + 100 * PG, PG, SP_IMGW_MARK_ZERO));
	ASSERT_EQ(0, sp_imgw_memory(w, (uintptr_t)m + 150 * PG, PG, SP_IMGW_MARK_ZERO));
	ASSERT_EQ(0, sp_imgw_memory(w, (uintptr_t)b, lb, 0));
	ASSERT_EQ(0, sp_imgw_commit(w, &gen));
	ASSERT_EQ(2, gen);
	memcpy(g2, m, self->len);

	/* Generation 3: page 6 again, 150 gets data back, 7 is discarded. */
	scribble(m + 6 * PG, PG, 21);
	scribble(m + 150 * PG, PG, 22);
	memset(m + 7 * PG, 0, PG);
	ASSERT_EQ(0, sp_imgw_open(self->dfd, &w));
	add_process(_metadata, w);
	sp_imgw_set_created(w, t3);
	sp_imgw_set_parent(w, 2, t2);
	put_vma(_metadata, w, a, la, 0);
	put_vma(_metadata, w, b, lb, 0);
	ASSERT_EQ(0, sp_imgw_memory(w, (uintptr_t)m + 6 * PG, PG, SP_IMGW_MARK_ZERO));
	ASSERT_EQ(0, sp_imgw_memory(w, (uintptr_t)m + 150 * PG, PG, SP_IMGW_MARK_ZERO));
	ASSERT_EQ(0, sp_imgw_zero(w, (uintptr_t)m + 7 * PG, PG));
	ASSERT_EQ(0, sp_imgw_commit(w, &gen));
	ASSERT_EQ(3, gen);
	memcpy(g3, m, self->len);

	/* Each generation comes back as it was, from its own chain. */
	load_and_compare(_metadata, self->dfd, 1, m, self->len, g1, 1);
	load_and_compare(_metadata, self->dfd, 2, m, self->len, g2, 2);
	load_and_compare(_metadata, self->dfd, 3, m, self->len, g3, 3);
	ASSERT_EQ(0, sp_chain_open(self->dfd, 3, &c, &bad));
	EXPECT_LT(0, sp_chain_verify(c, &bad));
	sp_chain_close(c);

	/* Compacted: generation 3 is full, same contents; 1 and 2 can go. */
	ASSERT_EQ(0, sp_chain_open(self->dfd, 3, &c, &bad));
	ASSERT_EQ(0, sp_chain_compact(self->dfd, c, &bytes, &bad));
	sp_chain_close(c);
	EXPECT_EQ(self->len - 2 * PG, bytes);	/* pages 7 and 210 are zero */
	load_and_compare(_metadata, self->dfd, 3, m, self->len, g3, 1);
	load_and_compare(_metadata, self->dfd, 2, m, self->len, g2, 2);
	EXPECT_EQ(2, sp_chain_prune(self->dfd, 3));
	ASSERT_EQ(1, sp_img_list(self->dfd, &gens));
	EXPECT_EQ(3, gens[0]);
	free(gens);
	load_and_compare(_metadata, self->dfd, 0, m, self->len, g3, 1);
	free(g1);
	free(g2);
	free(g3);
}

TEST_F(img, broken_chains_name_the_generation)
{
	struct sp_imgw *w;
	struct sp_chain *c;
	uint64_t gen, bad;

	ASSERT_EQ(0, sp_imgw_open(self->dfd, &w));
	add_process(_metadata, w);
	sp_imgw_set_created(w, 5);
	ASSERT_EQ(0, sp_imgw_memory(w, (uintptr_t)self->mem, PG, 0));
	ASSERT_EQ(0, sp_imgw_commit(w, &gen));
	ASSERT_EQ(0, sp_imgw_open(self->dfd, &w));
	add_process(_metadata, w);
	sp_imgw_set_parent(w, 1, 5);
	ASSERT_EQ(0, sp_imgw_commit(w, &gen));
	ASSERT_EQ(2, gen);
	ASSERT_EQ(0, sp_chain_open(self->dfd, 2, &c, &bad));
	EXPECT_EQ(2, c->n);
	sp_chain_close(c);
	/* Generation 1 replaced by other contents: not what 2 was built on. */
	ASSERT_EQ(0, sp_imgw_open_gen(self->dfd, 1, &w));
	add_process(_metadata, w);
	sp_imgw_set_created(w, 6);
	ASSERT_EQ(0, sp_imgw_commit(w, &gen));
	EXPECT_EQ(-ESTALE, sp_chain_open(self->dfd, 2, &c, &bad));
	EXPECT_EQ(1, bad);
	/* Generation 1 gone. */
	ASSERT_EQ(0, sp_img_remove(self->dfd, 1));
	EXPECT_EQ(-ENOENT, sp_chain_open(self->dfd, 2, &c, &bad));
	EXPECT_EQ(1, bad);
	EXPECT_EQ(-ENOENT, sp_chain_open(self->dfd, 7, &c, &bad));
	EXPECT_EQ(7, bad);
	/* Nothing newer needs 1... and 2 is still needed by nothing: kept. */
	EXPECT_EQ(0, sp_chain_prune(self->dfd, 2));
}

/*
 * Pre-copy saves pages again within one generation: the later record wins,
 * and the file holds no overlapping records (old readers load records in
 * any order).  A forgotten range is covered by nothing.
 */
TEST_F(img, later_records_win_and_never_overlap)
{
	unsigned char *want = malloc(self->len), *m = self->mem;
	const struct splitckpt_img_rec *r;
	uint64_t base = (uint64_t)m, last_end = 0, zero = 0, gen;
	struct sp_imgw *w;
	struct sp_img *img;
	size_t i;

	ASSERT_NE(NULL, want);
	ASSERT_EQ(0, sp_imgw_open(self->dfd, &w));
	add_process(_metadata, w);
	/* Pass 1: everything; 2: what changed since; then a forget; 3: again. */
	ASSERT_EQ(0, sp_imgw_memory(w, base, self->len, 0));
	memset(m + 5 * PG, 0x11, 2 * PG);
	memset(m + 200 * PG, 0x22, PG);
	memset(m + 10 * PG, 0, PG);
	ASSERT_EQ(0, sp_imgw_memory(w, base + 5 * PG, 2 * PG, SP_IMGW_MARK_ZERO));
	ASSERT_EQ(0, sp_imgw_memory(w, base + 10 * PG, PG, SP_IMGW_MARK_ZERO));
	ASSERT_EQ(0, sp_imgw_memory(w, base + 200 * PG, PG, SP_IMGW_MARK_ZERO));
	ASSERT_EQ(-EINVAL, sp_imgw_forget(w, base + 20 * PG + 1, PG));
	ASSERT_EQ(0, sp_imgw_forget(w, base + 20 * PG, 2 * PG));
	memset(m + 6 * PG, 0x33, PG);
	ASSERT_EQ(0, sp_imgw_memory(w, base + 6 * PG, PG, 0));
	ASSERT_EQ(0, sp_imgw_commit(w, &gen));

	ASSERT_EQ(0, sp_img_open(self->dfd, gen, &img));
	for (r = sp_img_next(img, NULL); r; r = sp_img_next(img, r)) {
		const struct splitckpt_img_pages *p = (const void *)r;

		if (r->type != SPLITCKPT_REC_PAGES && r->type != SPLITCKPT_REC_ZERO)
			continue;
		/* Written in address order here, so any overlap shows. */
		if (r->type == SPLITCKPT_REC_ZERO) {
			EXPECT_EQ(base + 10 * PG, p->addr);
			EXPECT_EQ(PG, p->len);
			zero++;
		}
		EXPECT_FALSE(p->addr + p->len > base + 20 * PG && p->addr < base + 22 * PG);
	}
	EXPECT_EQ(1, zero);
	/* The records, sorted: none overlaps another. */
	{
		struct sp_ranges rs = { 0 };
		uint64_t sum = 0;

		for (r = sp_img_next(img, NULL); r; r = sp_img_next(img, r)) {
			const struct splitckpt_img_pages *p = (const void *)r;

			if (r->type == SPLITCKPT_REC_PAGES || r->type == SPLITCKPT_REC_ZERO) {
				ASSERT_EQ(0, sp_ranges_add(&rs, p->addr, p->addr + p->len));
				sum += p->len;
			}
		}
		sp_ranges_norm(&rs);
		EXPECT_EQ(sum, sp_ranges_bytes(&rs));
		EXPECT_EQ(self->len - 2 * PG, sum);
		for (i = 0; i < rs.n; i++) {
			EXPECT_LE(last_end, rs.v[i].start);
			last_end = rs.v[i].end;
		}
		sp_ranges_free(&rs);
	}
	/* Loaded over a poison: the newest bytes, the rest left alone. */
	memcpy(want, m, self->len);
	memset(want + 10 * PG, 0xee, PG);
	memset(want + 20 * PG, 0xee, 2 * PG);
	memset(m, 0xee, self->len);
	ASSERT_EQ((int64_t)(self->len - 3 * PG), sp_img_load(img, NULL));
	for (i = 0; i < self->len / PG; i++)
		EXPECT_EQ(0, memcmp(want + i * PG, m + i * PG, PG)) TH_LOG("page %zu", i);
	EXPECT_EQ((int64_t)(self->len - 3 * PG), sp_img_verify_data(img));
	sp_img_close(img);
	free(want);
}


/* Compressed page data (sp_imgw_set_compress). */

/*
 * Pages 0-99 random (stored raw), 100 zero, 101-199 repetitive text, 200
 * zero, 201-258 half random, half text: records of all three kinds.
 */
static void fill_mixed(unsigned char *m, size_t len, uint64_t seed)
{
	static const char text[] = "the quick brown fox checkpoints the lazy dog; ";
	size_t i, pg;

	scribble(m, len, seed);
	for (pg = 0; pg < len / PG; pg++) {
		size_t from = pg < 101 ? PG : pg < 201 ? 0 : PG / 2;

		if (pg == 100 || pg == 200)
			memset(m + pg * PG, 0, PG);
		else
			for (i = from; i < PG; i++)
				m[pg * PG + i] = text[(i + pg) % (sizeof(text) - 1)];
	}
}

static uint64_t write_compressed(struct __test_metadata *_metadata, int dfd,
				 void *mem, size_t n, unsigned int level)
{
	struct sp_imgw *w;
	uint64_t gen = 0;

	ASSERT_EQ(0, sp_imgw_open(dfd, &w));
	EXPECT_EQ(-EINVAL, sp_imgw_set_compress(w, 20));
	ASSERT_EQ(0, sp_imgw_set_compress(w, level));
	add_process(_metadata, w);
	ASSERT_EQ(0, sp_imgw_memory(w, (uint64_t)mem, n, 0));
	ASSERT_EQ(0, sp_imgw_commit(w, &gen));
	return gen;
}

/* Counts of PAGES records by encoding, and their bytes of memory. */
static void count_pages(struct sp_img *img, int *raw, int *zstd, uint64_t *len,
			const struct splitckpt_img_pages **first_zstd)
{
	const struct splitckpt_img_rec *r;
	uint64_t stored;

	*raw = *zstd = 0;
	*len = 0;
	*first_zstd = NULL;
	for (r = sp_img_next(img, NULL); r; r = sp_img_next(img, r)) {
		const struct splitckpt_img_pages *p = (const void *)r;

		if (r->type != SPLITCKPT_REC_PAGES)
			continue;
		*len += p->len;
		if (sp_img_pages_stored(p, &stored) == SPLITCKPT_PAGES_ZSTD) {
			if (!*zstd)
				*first_zstd = p;
			(*zstd)++;
		} else {
			(*raw)++;
		}
	}
}

TEST_F(img, compressed_records_read_back)
{
	const struct splitckpt_img_pages *zp;
	const struct splitckpt_img_header *h;
	const struct splitckpt_img_rec *r;
	unsigned char *copy = malloc(self->len);
	struct sp_img *img;
	int raw, zstd;
	uint64_t len, stored;

	ASSERT_NE(NULL, copy);
	fill_mixed(self->mem, self->len, 3);
	memcpy(copy, self->mem, self->len);
	ASSERT_EQ(1, write_compressed(_metadata, self->dfd, self->mem, self->len, 3));
	ASSERT_EQ(0, sp_img_open(self->dfd, 1, &img));
	h = sp_img_header(img);
	EXPECT_EQ(3, h->version);
	EXPECT_EQ(SPLITCKPT_IMG_F_ZSTD, h->flags);
	count_pages(img, &raw, &zstd, &len, &zp);
	EXPECT_LE(1, raw);
	EXPECT_LE(2, zstd);
	EXPECT_EQ(self->len - 2 * PG, len);
	/* Stored smaller than memory, every record's data aligned. */
	EXPECT_GT(len * 3 / 4, h->data_size);
	for (r = sp_img_next(img, NULL); r; r = sp_img_next(img, r)) {
		const struct splitckpt_img_pages *p = (const void *)r;

		if (r->type != SPLITCKPT_REC_PAGES)
			continue;
		EXPECT_EQ(0, p->offset % SPLITCKPT_IMG_ALIGN);
		if (sp_img_pages_stored(p, &stored) == SPLITCKPT_PAGES_ZSTD)
			EXPECT_GE(p->len - PG, stored);
	}
	memset(self->mem, 0xee, self->len);
	ASSERT_EQ((int64_t)len, sp_img_load(img, NULL));
	memset(copy + 100 * PG, 0xee, PG);	/* zero pages: not in the image */
	memset(copy + 200 * PG, 0xee, PG);
	EXPECT_EQ(0, memcmp(copy, self->mem, self->len));
	EXPECT_EQ((int64_t)len, sp_img_verify_data(img));
	sp_img_close(img);
	free(copy);
}

TEST_F(img, compressed_corruption_is_caught)
{
	const struct splitckpt_img_pages *zp;
	struct splitckpt_img_header h;
	struct sp_img *img;
	struct sp_ranges want = { 0 };
	unsigned char b;
	uint64_t len, off;
	int raw, zstd, fd;

	fill_mixed(self->mem, self->len, 4);
	ASSERT_EQ(1, write_compressed(_metadata, self->dfd, self->mem, self->len, 1));
	ASSERT_EQ(0, sp_img_open(self->dfd, 1, &img));
	count_pages(img, &raw, &zstd, &len, &zp);
	ASSERT_NE(NULL, zp);
	off = zp->offset + 20;
	ASSERT_EQ(0, sp_ranges_add(&want, zp->addr + PG, zp->addr + 2 * PG));
	sp_img_close(img);
	/* One byte inside a frame. */
	fd = openat(self->dfd, "gen-00000001.img", O_RDONLY);
	ASSERT_EQ(1, pread(fd, &b, 1, off));
	close(fd);
	b ^= 0x40;
	poke(self->dfd, off, &b, 1);
	ASSERT_EQ(0, sp_img_open(self->dfd, 1, &img));
	EXPECT_EQ(-EBADMSG, sp_img_verify_data(img));
	EXPECT_EQ(-EBADMSG, sp_img_load(img, NULL));
	EXPECT_EQ(-EBADMSG, sp_img_load(img, &want));	/* the partial path */
	sp_img_close(img);
	b ^= 0x40;
	poke(self->dfd, off, &b, 1);
	ASSERT_EQ(0, sp_img_open(self->dfd, 1, &img));
	EXPECT_EQ((int64_t)len, sp_img_verify_data(img));
	sp_img_close(img);
	sp_ranges_free(&want);

	/* An incompatible feature this reader does not know. */
	fd = openat(self->dfd, "gen-00000001.img", O_RDONLY);
	ASSERT_EQ(sizeof(h), pread(fd, &h, sizeof(h), 0));
	close(fd);
	h.flags |= 1U << 7;
	h.header_xxh3 = 0;
	h.header_xxh3 = XXH3_64bits(&h, sizeof(h));
	poke(self->dfd, 0, &h, sizeof(h));
	EXPECT_EQ(-EPROTONOSUPPORT, sp_img_open(self->dfd, 1, &img));
	/* Version 2 has no flags. */
	h.flags = SPLITCKPT_IMG_F_ZSTD;
	h.version = 2;
	h.header_xxh3 = 0;
	h.header_xxh3 = XXH3_64bits(&h, sizeof(h));
	poke(self->dfd, 0, &h, sizeof(h));
	EXPECT_EQ(-EBADMSG, sp_img_open(self->dfd, 1, &img));
	/* Version 3 without the flag, but compressed records. */
	h.flags = 0;
	h.version = 3;
	h.header_xxh3 = 0;
	h.header_xxh3 = XXH3_64bits(&h, sizeof(h));
	poke(self->dfd, 0, &h, sizeof(h));
	EXPECT_EQ(-EBADMSG, sp_img_open(self->dfd, 1, &img));
}

TEST_F(img, compressed_records_load_in_part)
{
	unsigned char *copy = malloc(self->len), *m = self->mem;
	struct sp_ranges want = { 0 };
	struct sp_img *img;
	uint64_t base = (uint64_t)m;
	size_t i;

	ASSERT_NE(NULL, copy);
	fill_mixed(m, self->len, 5);
	memcpy(copy, m, self->len);
	ASSERT_EQ(1, write_compressed(_metadata, self->dfd, m, self->len, 3));
	/* Inside a raw record, inside a frame, across a zero page, the end. */
	ASSERT_EQ(0, sp_ranges_add(&want, base + 50 * PG, base + 60 * PG));
	ASSERT_EQ(0, sp_ranges_add(&want, base + 150 * PG, base + 151 * PG));
	ASSERT_EQ(0, sp_ranges_add(&want, base + 190 * PG, base + 230 * PG));
	ASSERT_EQ(0, sp_ranges_add(&want, base + 257 * PG, base + 259 * PG));
	sp_ranges_norm(&want);
	memset(m, 0xee, self->len);
	ASSERT_EQ(0, sp_img_open(self->dfd, 1, &img));
	EXPECT_LT(0, sp_img_load(img, &want));
	sp_img_close(img);
	for (i = 0; i < self->len / PG; i++) {
		int wanted = sp_ranges_covered(&want, base + i * PG, base + (i + 1) * PG) &&
			     i != 200;
		unsigned char *exp = copy + i * PG, poison[PG];

		memset(poison, 0xee, PG);
		EXPECT_EQ(0, memcmp(wanted ? exp : poison, m + i * PG, PG))
			TH_LOG("page %zu (%s)", i, wanted ? "wanted" : "not wanted");
	}
	sp_ranges_free(&want);
	free(copy);
}

/* Generation 1 compressed, 2 incremental, half compressed; compacted. */
TEST_F(img, compressed_chain_compacts)
{
	unsigned char *m = self->mem, *g2 = malloc(self->len);
	const struct splitckpt_img_pages *zp;
	struct sp_imgw *w;
	struct sp_chain *c;
	struct sp_img *img;
	uint64_t gen, bad, bytes, len;
	int raw, zstd;

	ASSERT_NE(NULL, g2);
	fill_mixed(m, self->len, 6);
	ASSERT_EQ(0, sp_imgw_open(self->dfd, &w));
	ASSERT_EQ(0, sp_imgw_set_compress(w, 1));
	add_process(_metadata, w);
	sp_imgw_set_created(w, 11);
	put_vma(_metadata, w, m, self->len, SPLITCKPT_VMA_WHOLE);
	ASSERT_EQ(0, sp_imgw_memory(w, (uintptr_t)m, self->len, 0));
	ASSERT_EQ(0, sp_imgw_commit(w, &gen));
	ASSERT_EQ(1, gen);

	/* Random pages 10-11 raw, then text pages 120-140 compressed. */
	scribble(m + 10 * PG, 2 * PG, 61);
	memset(m + 120 * PG, 'x', 21 * PG);
	memset(m + 130 * PG, 0, PG);
	ASSERT_EQ(0, sp_imgw_open(self->dfd, &w));
	add_process(_metadata, w);
	sp_imgw_set_created(w, 12);
	sp_imgw_set_parent(w, 1, 11);
	put_vma(_metadata, w, m, self->len, 0);
	ASSERT_EQ(0, sp_imgw_memory(w, (uintptr_t)m + 10 * PG, 2 * PG, SP_IMGW_MARK_ZERO));
	ASSERT_EQ(0, sp_imgw_set_compress(w, 3));
	ASSERT_EQ(0, sp_imgw_memory(w, (uintptr_t)m + 120 * PG, 21 * PG, SP_IMGW_MARK_ZERO));
	ASSERT_EQ(0, sp_imgw_commit(w, &gen));
	ASSERT_EQ(2, gen);
	memcpy(g2, m, self->len);
	ASSERT_EQ(0, sp_img_open(self->dfd, 2, &img));
	count_pages(img, &raw, &zstd, &len, &zp);
	EXPECT_EQ(1, raw);
	EXPECT_EQ(2, zstd);	/* 120-129 and 131-140 */
	sp_img_close(img);
	load_and_compare(_metadata, self->dfd, 2, m, self->len, g2, 2);

	ASSERT_EQ(0, sp_chain_open(self->dfd, 2, &c, &bad));
	ASSERT_EQ(0, sp_chain_compact(self->dfd, c, &bytes, &bad));
	sp_chain_close(c);
	EXPECT_EQ(self->len - 3 * PG, bytes);	/* pages 100, 130, 200 are zero */
	load_and_compare(_metadata, self->dfd, 2, m, self->len, g2, 1);
	ASSERT_EQ(0, sp_img_open(self->dfd, 2, &img));
	/* Frames wanted whole are kept: still compressed. */
	EXPECT_EQ(SPLITCKPT_IMG_F_ZSTD, sp_img_header(img)->flags);
	count_pages(img, &raw, &zstd, &len, &zp);
	EXPECT_LE(3, zstd);
	EXPECT_EQ(self->len - 3 * PG, len);
	EXPECT_EQ((int64_t)len, sp_img_verify_data(img));
	sp_img_close(img);
	free(g2);
}

TEST_HARNESS_MAIN

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
#include "image.h"

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
		ASSERT_EQ(0, sp_imgw_memory(w, (uint64_t)mem, n));
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
	EXPECT_EQ(SPLITCKPT_IMG_VERSION, h->version);
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
	ASSERT_EQ(0, sp_img_load(img, 0, UINT64_MAX));
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
	ASSERT_EQ(0, sp_imgw_memory(w, (uint64_t)self->mem, self->len));
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
	EXPECT_EQ(-EINVAL, sp_imgw_memory(w, (uint64_t)self->mem + 1, PG));
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
	EXPECT_EQ(-EBADMSG, sp_img_load(img, 0, UINT64_MAX));
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

TEST_HARNESS_MAIN

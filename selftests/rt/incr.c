// SPDX-License-Identifier: GPL-2.0
/*
 * Incremental checkpoints: 64 MiB of pages, each holding a pattern of its
 * number and a version.  Every SIGUSR1 is one step: 5 % of the pages get a
 * new version, and some steps also discard pages (MADV_DONTNEED), map a
 * fresh range over old pages, write zeroes, or discard written pages of a
 * private file mapping (they show the file again).  Prints "STEP n data=D"
 * where D counts the pages that now hold new, non-zero contents (including
 * those of the version table).  After a restart every page must hold
 * exactly what the step it was saved at left there; prints
 * "RESTARTED 1 ... step=n".  With -H the pages are transparent huge pages
 * where the kernel gives them; "HUGE kB" says how much it gave.
 */
#include <signal.h>
#include <sys/mman.h>

#include "victim.h"

#define PAGES	16384
#define PG	4096
#define ZEROED	0xffffffffu

#define FPAGES	16

static char *buf, *fmap;
static int fmap_discarded;	/* pages 0-7 of fmap show the file again */
static uint32_t version[PAGES] __attribute__((aligned(PG)));
static char touched[PAGES * 4 / PG];	/* version table pages written */
static volatile sig_atomic_t asked;
static int step;

static uint64_t word(uint32_t page, uint32_t ver, size_t i)
{
	return (((uint64_t)page << 32 | ver) + 1) * 0x9e3779b97f4a7c15ULL + i;
}

static void set_version(uint32_t page, uint32_t ver)
{
	version[page] = ver;
	touched[page * 4 / PG] = 1;
}

static void fill(uint32_t page, uint32_t ver)
{
	uint64_t *w = (uint64_t *)(buf + (size_t)page * PG);
	size_t i;

	for (i = 0; i < PG / 8; i++)
		w[i] = word(page, ver, i);
	set_version(page, ver);
}

/* Byte @i of the file's page @p, and what the program wrote over it. */
static char file_byte(size_t p, size_t i)
{
	return (char)(p * 31 + i % 251 + 1);
}

static char wrote_byte(size_t p, size_t i)
{
	return (char)(p * 17 + i % 241 + 2);
}

static void check_all(void)
{
	uint32_t p;
	size_t i;

	for (p = 0; p < FPAGES; p++)
		for (i = 0; i < PG; i++) {
			char want = fmap_discarded && p < 8 ? file_byte(p, i) : wrote_byte(p, i);

			CHECK(fmap[p * PG + i] == want, "step %d: file mapping page %u "
			      "byte %zu is %d, not %d", step, p, i, fmap[p * PG + i], want);
		}

	for (p = 0; p < PAGES; p++) {
		const uint64_t *w = (const uint64_t *)(buf + (size_t)p * PG);

		for (i = 0; i < PG / 8; i++) {
			uint64_t want = version[p] == ZEROED ? 0 : word(p, version[p], i);

			CHECK(w[i] == want, "step %d: page %u word %zu is %#llx, not %#llx "
			      "(version %u)", step, p, i, (unsigned long long)w[i],
			      (unsigned long long)want, version[p]);
		}
	}
}

static int do_step(void)
{
	uint64_t seed = 0x1234567ULL * (step + 1);
	int dirtied = 0, i;
	uint32_t p;

	step++;
	memset(touched, 0, sizeof(touched));
	for (i = 0; i < PAGES / 20; i++) {
		p = xorshift(&seed) % PAGES;
		if (version[p] != (uint32_t)step)
			dirtied++;
		fill(p, step);
	}
	if (step == 2) {
		/* Discard 1 MiB: reads back as zero. */
		CHECK(!madvise(buf + 1024 * PG, 256 * PG, MADV_DONTNEED), "madvise");
		for (p = 1024; p < 1280; p++) {
			dirtied -= version[p] == (uint32_t)step;
			set_version(p, ZEROED);
		}
	}
	if (step == 3) {
		/* A fresh mapping over 1 MiB of old pages, then new contents. */
		CHECK(mmap(buf + 2048 * PG, 256 * PG, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == buf + 2048 * PG,
		      "mmap");
		for (p = 2048; p < 2304; p++) {
			dirtied += version[p] != (uint32_t)step;
			fill(p, step);
		}
	}
	if (step == 4) {
		/* Zeroes written by the program. */
		for (p = 4096; p < 4160; p++) {
			dirtied -= version[p] == (uint32_t)step;
			memset(buf + (size_t)p * PG, 0, PG);
			set_version(p, ZEROED);
		}
	}
	if (step == 5) {
		/* Written pages of a private file mapping: the file's again. */
		CHECK(!madvise(fmap, 8 * PG, MADV_DONTNEED), "madvise file");
		fmap_discarded = 1;
		dirtied += 8 + 1;	/* and the page holding the flag */
	}
	for (p = 0; p < sizeof(touched); p++)
		dirtied += touched[p];
	return dirtied;
}

static void map_file(void)
{
	char path[] = "/tmp/splitckpt-incr.XXXXXX", page[PG];
	size_t p, i;
	int fd = mkstemp(path);

	CHECK(fd >= 0, "mkstemp");
	unlink(path);
	for (p = 0; p < FPAGES; p++) {
		for (i = 0; i < PG; i++)
			page[i] = file_byte(p, i);
		CHECK(write(fd, page, PG) == PG, "write");
	}
	fmap = mmap(NULL, FPAGES * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	CHECK(fmap != MAP_FAILED, "mmap file");
	close(fd);
	for (p = 0; p < FPAGES; p++)
		for (i = 0; i < PG; i++)
			fmap[p * PG + i] = wrote_byte(p, i);
}

static void on_usr1(int sig)
{
	(void)sig;
	asked++;
}

/* AnonHugePages of the process, in kB. */
static long huge_kb(void)
{
	char line[256];
	long kb = 0;
	FILE *f = fopen("/proc/self/smaps_rollup", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "AnonHugePages: %ld", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}

int main(int argc, char **argv)
{
	const size_t huge = 2UL << 20;
	uint32_t p;
	int done = 0, thp = 0, i;
	char *raw;

	victim_args(argc, argv);
	for (i = 1; i < argc; i++)
		thp |= !strcmp(argv[i], "-H");
	signal(SIGUSR1, on_usr1);
	raw = mmap(NULL, (size_t)PAGES * PG + huge, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(raw != MAP_FAILED, "mmap");
	buf = (char *)(((uintptr_t)raw + huge - 1) & ~(huge - 1));
	madvise(buf, (size_t)PAGES * PG, thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
	for (p = 0; p < PAGES; p++)
		fill(p, 0);
	map_file();
	if (thp)
		printf("HUGE %ld\n", huge_kb());
	victim_ready();
	for (;;) {
		if (victim_moved()) {
			char extra[32];

			check_all();
			snprintf(extra, sizeof(extra), "step=%d", step);
			victim_restarted(1, extra);
			victim_pass();
		}
		if (asked != done) {
			int n = do_step();

			done++;
			printf("STEP %d data=%d\n", step, n);
			fflush(stdout);
		}
		victim_sleep_ms(2);
	}
}

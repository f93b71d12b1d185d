// SPDX-License-Identifier: GPL-2.0
/*
 * Pre-copy: memory that keeps changing while it is copied.  A writer
 * thread rewrites random pages of 32 MiB (each holds a pattern of its
 * number and a version kept in a table; some become zero), one page a
 * millisecond; a churn thread keeps replacing a 256 KiB mapping at a
 * fixed address with a fresh one, and discarding it, each time with a new
 * pattern.  A checkpoint stops all threads at one instant; after a
 * restart both threads finish what they were doing and stop, and then
 * every page must match the tables exactly: a page written after it was
 * copied and not saved again shows an old version.
 */
#include <pthread.h>
#include <signal.h>
#include <sched.h>
#include <sys/mman.h>

#include "victim.h"

#define PAGES	8192
#define PG	4096
#define ZEROED	0xffffffffu
#define RPAGES	64

static char *buf, *region;
static uint32_t version[PAGES];
static uint32_t rgen;		/* pattern of the region; ZEROED: discarded */
static volatile int stop, stopped;
static volatile uint64_t writes, churns;

static uint64_t word(uint32_t page, uint32_t ver, size_t i)
{
	return (((uint64_t)page << 32 | ver) + 1) * 0x9e3779b97f4a7c15ULL + i;
}

static void fill(char *base, uint32_t page, uint32_t ver)
{
	uint64_t *w = (uint64_t *)(base + (size_t)page * PG);
	size_t i;

	for (i = 0; i < PG / 8; i++)
		w[i] = ver == ZEROED ? 0 : word(page, ver, i);
}

static void check_page(const char *what, const char *base, uint32_t page, uint32_t ver)
{
	const uint64_t *w = (const uint64_t *)(base + (size_t)page * PG);
	size_t i;

	for (i = 0; i < PG / 8; i++) {
		uint64_t want = ver == ZEROED ? 0 : word(page, ver, i);

		CHECK(w[i] == want, "%s page %u word %zu is %#llx, not %#llx (version %u)",
		      what, page, i, (unsigned long long)w[i], (unsigned long long)want, ver);
	}
}

/* Contents first, then the table: an interrupted write is finished later. */
static void *writer(void *arg)
{
	uint64_t seed = 0x5eed;

	(void)arg;
	while (!stop) {
		uint32_t p = xorshift(&seed) % PAGES;
		uint32_t v = xorshift(&seed) % 64 ? version[p] + 1 : ZEROED;

		if (v == ZEROED + 1)
			v = 1;
		fill(buf, p, v);
		version[p] = v;
		writes++;
		victim_sleep_ms(1);
	}
	__atomic_add_fetch(&stopped, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

static void *churn(void *arg)
{
	uint32_t g = 0, p;

	(void)arg;
	while (!stop) {
		g++;
		if (g % 3) {
			CHECK(mmap(region, RPAGES * PG, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == region,
			      "mmap over the region");
			for (p = 0; p < RPAGES; p++)
				fill(region, p, g);
			rgen = g;
		} else {
			CHECK(!madvise(region, RPAGES * PG, MADV_DONTNEED), "madvise");
			rgen = ZEROED;
		}
		churns++;
		victim_sleep_ms(5);
	}
	__atomic_add_fetch(&stopped, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t w, c;
	char extra[64];
	uint32_t p;

	victim_args(argc, argv);
	buf = mmap(NULL, (size_t)PAGES * PG, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	region = mmap(NULL, RPAGES * PG, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(buf != MAP_FAILED && region != MAP_FAILED, "mmap");
	madvise(buf, (size_t)PAGES * PG, MADV_NOHUGEPAGE);
	for (p = 0; p < PAGES; p++)
		fill(buf, p, 0);
	rgen = ZEROED;
	CHECK(!pthread_create(&w, NULL, writer, NULL), "pthread_create");
	CHECK(!pthread_create(&c, NULL, churn, NULL), "pthread_create");
	victim_ready();
	while (!victim_moved())
		victim_sleep_ms(2);
	stop = 1;
	while (__atomic_load_n(&stopped, __ATOMIC_SEQ_CST) != 2)
		sched_yield();
	for (p = 0; p < PAGES; p++)
		check_page("buffer", buf, p, version[p]);
	for (p = 0; p < RPAGES; p++)
		check_page("region", region, p, rgen);
	snprintf(extra, sizeof(extra), "writes=%llu churns=%llu",
		 (unsigned long long)writes, (unsigned long long)churns);
	victim_restarted(1, extra);
	victim_pass();
}

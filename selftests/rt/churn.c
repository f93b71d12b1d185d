// SPDX-License-Identifier: GPL-2.0
/*
 * malloc/free/realloc of every size class and explicit mmap/munmap/mremap,
 * before and after the restart; every live block is checked.
 */
#include <sys/mman.h>
#include "victim.h"

#define SLOTS 512

struct blk {
	uint64_t *p;
	size_t words;
	uint64_t seed;
	int mapped;
};

static struct blk b[SLOTS];
static uint64_t rng = 12345;

static void fill(struct blk *x)
{
	uint64_t s = x->seed;
	size_t i;

	for (i = 0; i < x->words; i++)
		x->p[i] = xorshift(&s);
}

static void verify(const struct blk *x, int slot)
{
	uint64_t s = x->seed;
	size_t i;

	for (i = 0; i < x->words; i++)
		CHECK(x->p[i] == xorshift(&s), "block %d word %zu", slot, i);
}

static void release(struct blk *x)
{
	if (x->mapped)
		CHECK(!munmap(x->p, x->words * 8), "munmap");
	else
		free(x->p);
	x->p = NULL;
}

static void step(void)
{
	int slot = xorshift(&rng) % SLOTS, op = xorshift(&rng) % 6;
	struct blk *x = &b[slot];
	size_t bytes;

	if (x->p) {
		verify(x, slot);
		if (op == 0 && !x->mapped) {
			/* grow through realloc: large blocks move by mremap */
			size_t nw = x->words * 2 + 1;

			x->p = realloc(x->p, nw * 8);
			CHECK(x->p, "realloc");
			x->words = nw;
			fill(x);
		} else if (op == 1 && x->mapped) {
			size_t nw = x->words * 2;
			void *p = mremap(x->p, x->words * 8, nw * 8, MREMAP_MAYMOVE);

			CHECK(p != MAP_FAILED, "mremap");
			x->p = p;
			x->words = nw;
			fill(x);
		} else {
			release(x);
		}
		return;
	}
	x->seed = xorshift(&rng);
	if (op < 2) {
		bytes = 4096 * (1 + xorshift(&rng) % 256);
		x->p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		CHECK(x->p != MAP_FAILED, "mmap");
		x->mapped = 1;
	} else {
		bytes = op == 2 ? 16 + xorshift(&rng) % 4096 :
			op == 3 ? 16 + xorshift(&rng) % 200000 :
			16 + xorshift(&rng) % (4 << 20);
		x->p = malloc(bytes);
		CHECK(x->p, "malloc %zu", bytes);
		x->mapped = 0;
	}
	x->words = bytes / 8;
	fill(x);
}

int main(int argc, char **argv)
{
	int i, n;

	victim_args(argc, argv);
	for (i = 0; i < 20000; i++)
		step();
	victim_ready();
	for (n = 1; n <= victim_restarts; n++) {
		victim_wait();
		for (i = 0; i < SLOTS; i++)
			if (b[i].p)
				verify(&b[i], i);
		for (i = 0; i < 20000; i++)
			step();
		victim_restarted(n, NULL);
	}
	victim_pass();
}

// SPDX-License-Identifier: LGPL-2.1-or-later
/* Hashes of the pages of 2 MiB blocks (see subpage.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "subpage.h"
#include "xxh.h"

#define PAGE	4096

struct entry {
	uint64_t addr;
	uint64_t *hash;		/* SP_BLOCK_PAGES of them */
};

/* Sorted by address; a checkpoint mostly appends. */
static struct {
	struct entry *v;
	size_t n, cap;
} store;

/* Index of the first entry at or above @addr. */
static size_t lower(uint64_t addr)
{
	size_t lo = 0, hi = store.n;

	if (store.n && store.v[store.n - 1].addr < addr)
		return store.n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (store.v[mid].addr < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static uint64_t hash_page(uint64_t addr)
{
	return XXH3_64bits((const void *)(uintptr_t)addr, PAGE);
}

static struct entry *find(uint64_t addr)
{
	size_t i = lower(addr & ~(SP_BLOCK - 1));

	return i < store.n && store.v[i].addr == (addr & ~(SP_BLOCK - 1)) ?
	       &store.v[i] : NULL;
}

int sp_subpage_diff(uint64_t start, uint64_t end, uint64_t *changed)
{
	struct entry *e = find(start);
	uint64_t a, h;
	unsigned int k;

	if (!e)
		return 0;
	memset(changed, 0, SP_BLOCK_PAGES / 8);
	for (a = start; a < end; a += PAGE) {
		k = (a - e->addr) / PAGE;
		h = hash_page(a);
		if (h != e->hash[k]) {
			changed[k / 64] |= 1ULL << (k % 64);
			e->hash[k] = h;
		}
	}
	return 1;
}

void sp_subpage_zero(uint64_t start, uint64_t end)
{
	static uint64_t zero_hash;
	static const char zero[PAGE];
	struct entry *e;
	uint64_t a;

	if (!zero_hash)
		zero_hash = XXH3_64bits(zero, PAGE);
	for (a = start; a < end; a += PAGE) {
		e = find(a);
		if (e)
			e->hash[(a - e->addr) / PAGE] = zero_hash;
		else
			a = (a & ~(SP_BLOCK - 1)) + SP_BLOCK - PAGE;	/* next block */
	}
}

int sp_subpage_put(uint64_t addr)
{
	size_t i = lower(addr);
	uint64_t *hash;
	int k;

	if (i < store.n && store.v[i].addr == addr) {
		hash = store.v[i].hash;
	} else {
		if (store.n == store.cap) {
			size_t cap = store.cap * 2 + 64;
			struct entry *v = realloc(store.v, cap * sizeof(*v));

			if (!v)
				return -ENOMEM;
			store.v = v;
			store.cap = cap;
		}
		hash = malloc(SP_BLOCK_PAGES * sizeof(*hash));
		if (!hash)
			return -ENOMEM;
		memmove(store.v + i + 1, store.v + i, (store.n - i) * sizeof(*store.v));
		store.v[i].addr = addr;
		store.v[i].hash = hash;
		store.n++;
	}
	for (k = 0; k < SP_BLOCK_PAGES; k++)
		hash[k] = hash_page(addr + (uint64_t)k * PAGE);
	return 0;
}

void sp_subpage_drop(uint64_t start, uint64_t end)
{
	size_t i, j;

	if (!store.n || start >= end)
		return;
	i = lower(start & ~(SP_BLOCK - 1));
	for (j = i; j < store.n && store.v[j].addr < end; j++)
		free(store.v[j].hash);
	memmove(store.v + i, store.v + j, (store.n - j) * sizeof(*store.v));
	store.n -= j - i;
}

void sp_subpage_clear(void)
{
	size_t i;

	for (i = 0; i < store.n; i++)
		free(store.v[i].hash);
	free(store.v);
	memset(&store, 0, sizeof(store));
}

uint64_t sp_subpage_count(void)
{
	return store.n;
}

// SPDX-License-Identifier: LGPL-2.1-or-later
/* Hashes of the pages of 2 MiB blocks (see subpage.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "subpage.h"
#include "xxh.h"

#define PAGE	4096

/* A page's hash counts only while its bit in @valid is set. */
struct block {
	uint64_t hash[SP_BLOCK_PAGES];
	uint64_t valid[SP_BLOCK_PAGES / 64];
};

struct entry {
	uint64_t addr;
	struct block *b;
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
	uint64_t a, h, bit;
	unsigned int k;

	if (!e)
		return 0;
	memset(changed, 0, SP_BLOCK_PAGES / 8);
	for (a = start; a < end; a += PAGE) {
		k = (a - e->addr) / PAGE;
		bit = 1ULL << (k % 64);
		h = hash_page(a);
		if (h != e->b->hash[k] || !(e->b->valid[k / 64] & bit)) {
			changed[k / 64] |= bit;
			e->b->hash[k] = h;
			e->b->valid[k / 64] |= bit;
		}
	}
	return 1;
}

void sp_subpage_zero(uint64_t start, uint64_t end)
{
	static uint64_t zero_hash;
	static const char zero[PAGE];
	struct entry *e;
	unsigned int k;
	uint64_t a;

	if (!zero_hash)
		zero_hash = XXH3_64bits(zero, PAGE);
	for (a = start; a < end; a += PAGE) {
		e = find(a);
		if (!e) {
			a = (a & ~(SP_BLOCK - 1)) + SP_BLOCK - PAGE;	/* next block */
			continue;
		}
		k = (a - e->addr) / PAGE;
		e->b->hash[k] = zero_hash;
		e->b->valid[k / 64] |= 1ULL << (k % 64);
	}
}

int sp_subpage_put(uint64_t addr)
{
	size_t i = lower(addr);
	struct block *b;
	int k;

	if (i < store.n && store.v[i].addr == addr) {
		b = store.v[i].b;
	} else {
		if (store.n == store.cap) {
			size_t cap = store.cap * 2 + 64;
			struct entry *v = realloc(store.v, cap * sizeof(*v));

			if (!v)
				return -ENOMEM;
			store.v = v;
			store.cap = cap;
		}
		b = malloc(sizeof(*b));
		if (!b)
			return -ENOMEM;
		memmove(store.v + i + 1, store.v + i, (store.n - i) * sizeof(*store.v));
		store.v[i].addr = addr;
		store.v[i].b = b;
		store.n++;
	}
	for (k = 0; k < SP_BLOCK_PAGES; k++)
		b->hash[k] = hash_page(addr + (uint64_t)k * PAGE);
	memset(b->valid, 0xff, sizeof(b->valid));
	return 0;
}

void sp_subpage_drop(uint64_t start, uint64_t end)
{
	size_t i, j, k = 0;
	uint64_t a, s, e, p;

	if (!store.n || start >= end)
		return;
	i = lower(start & ~(SP_BLOCK - 1));
	for (j = i; j < store.n && store.v[j].addr < end; j++) {
		a = store.v[j].addr;
		s = start > a ? start : a;
		e = end < a + SP_BLOCK ? end : a + SP_BLOCK;
		if (s == a && e == a + SP_BLOCK) {
			free(store.v[j].b);
			continue;
		}
		/* Part of the block: those pages are unknown now. */
		for (p = (s - a) / PAGE; p < (e - a) / PAGE; p++)
			store.v[j].b->valid[p / 64] &= ~(1ULL << (p % 64));
		store.v[i + k++] = store.v[j];
	}
	memmove(store.v + i + k, store.v + j, (store.n - j) * sizeof(*store.v));
	store.n -= j - i - k;
}

void sp_subpage_clear(void)
{
	size_t i;

	for (i = 0; i < store.n; i++)
		free(store.v[i].b);
	free(store.v);
	memset(&store, 0, sizeof(store));
}

uint64_t sp_subpage_count(void)
{
	return store.n;
}

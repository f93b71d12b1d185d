// SPDX-License-Identifier: LGPL-2.1-or-later
/* The table of upper-half memory; see band.h. */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "band.h"
#include "raw.h"

struct sp_band sp_band = {
	.brk_start = SP_HEAP_START,
	.brk_cur = SP_HEAP_START,
};

static int band_grow(size_t need)
{
	size_t cap = sp_band.cap ? sp_band.cap * 2 : 1024;
	long p;

	if (need <= sp_band.cap)
		return 0;
	while (cap < need)
		cap *= 2;
	if (sp_band.v)
		p = sp_sys5(SYS_mremap, sp_band.v,
			    sp_band.cap * sizeof(*sp_band.v),
			    cap * sizeof(*sp_band.v), MREMAP_MAYMOVE, 0);
	else
		p = sp_raw_mmap(0, cap * sizeof(*sp_band.v),
				PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (sp_raw_failed(p))
		return -ENOMEM;
	sp_band.v = (struct sp_extent *)p;
	sp_band.cap = cap;
	return 0;
}

/* Index of the first extent whose end is above @addr. */
static size_t band_first_after(uint64_t addr)
{
	size_t lo = 0, hi = sp_band.n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (sp_band.v[mid].end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

#define NR_TOUCHED	(sizeof(sp_band.touched) / sizeof(sp_band.touched[0]))

void sp_band_touch(uint64_t start, uint64_t end)
{
	uint32_t i, n = sp_band.nr_touched;

	if (!sp_band.watch || start >= end || n > NR_TOUCHED)
		return;
	/* The same ranges change again and again: widen one that meets it. */
	for (i = 0; i < n; i++) {
		struct sp_extent *t = &sp_band.touched[i];

		if (t->start <= end && t->end >= start) {
			if (start < t->start)
				t->start = start;
			if (end > t->end)
				t->end = end;
			return;
		}
	}
	if (n < NR_TOUCHED) {
		sp_band.touched[n].start = start;
		sp_band.touched[n].end = end;
	}
	sp_band.nr_touched = n + 1;
}

int sp_band_touched(uint64_t start, uint64_t end)
{
	uint32_t i, n = sp_band.nr_touched;

	if (n > NR_TOUCHED)
		return 1;
	for (i = 0; i < n; i++)
		if (sp_band.touched[i].start < end && sp_band.touched[i].end > start)
			return 1;
	return 0;
}

int sp_band_remove(uint64_t start, uint64_t end)
{
	size_t i = band_first_after(start);

	sp_band_touch(start, end);

	while (i < sp_band.n && sp_band.v[i].start < end) {
		struct sp_extent *e = &sp_band.v[i];

		if (e->start < start && e->end > end) {
			/* Split in two. */
			if (band_grow(sp_band.n + 1))
				return -ENOMEM;
			e = &sp_band.v[i];
			memmove(e + 1, e, (sp_band.n - i) * sizeof(*e));
			sp_band.n++;
			e[0].end = start;
			e[1].start = end;
			return 0;
		}
		if (e->start < start) {
			e->end = start;
			i++;
		} else if (e->end > end) {
			e->start = end;
			i++;
		} else {
			memmove(e, e + 1, (sp_band.n - i - 1) * sizeof(*e));
			sp_band.n--;
		}
	}
	return 0;
}

int sp_band_add(uint64_t start, uint64_t end)
{
	size_t i, j;

	if (start >= end)
		return 0;
	if (sp_band_remove(start, end) || band_grow(sp_band.n + 1))
		return -ENOMEM;
	i = band_first_after(start);
	memmove(&sp_band.v[i + 1], &sp_band.v[i],
		(sp_band.n - i) * sizeof(sp_band.v[0]));
	sp_band.v[i].start = start;
	sp_band.v[i].end = end;
	sp_band.n++;
	/* Merge with the neighbours it touches. */
	j = i;
	if (i > 0 && sp_band.v[i - 1].end == start) {
		sp_band.v[i - 1].end = end;
		memmove(&sp_band.v[i], &sp_band.v[i + 1],
			(sp_band.n - i - 1) * sizeof(sp_band.v[0]));
		sp_band.n--;
		j = i - 1;
	}
	if (j + 1 < sp_band.n && sp_band.v[j + 1].start == sp_band.v[j].end) {
		sp_band.v[j].end = sp_band.v[j + 1].end;
		memmove(&sp_band.v[j + 1], &sp_band.v[j + 2],
			(sp_band.n - j - 2) * sizeof(sp_band.v[0]));
		sp_band.n--;
	}
	return 0;
}

long sp_band_each(uint64_t start, uint64_t end,
		  long (*fn)(void *arg, uint64_t s, uint64_t e), void *arg)
{
	size_t i;
	long r;

	for (i = 0; i < sp_band.n; i++) {
		uint64_t s = sp_band.v[i].start, e = sp_band.v[i].end;

		if (e <= start)
			continue;
		if (s >= end)
			break;
		r = fn(arg, s > start ? s : start, e < end ? e : end);
		if (r)
			return r;
	}
	return 0;
}

int sp_band_owns(uint64_t start, uint64_t end)
{
	size_t i = band_first_after(start);

	if (start >= end)
		return 1;
	return i < sp_band.n && sp_band.v[i].start <= start &&
	       sp_band.v[i].end >= end;
}

int sp_band_overlaps(uint64_t start, uint64_t end)
{
	size_t i = band_first_after(start);

	return i < sp_band.n && sp_band.v[i].start < end;
}

int sp_band_free(uint64_t start, uint64_t end)
{
	if (!sp_in_band(start, end) || start == end)
		return 0;
	if (start < SP_HEAP_END && end > SP_HEAP_START)
		return 0;
	return !sp_band_overlaps(start, end);
}

uint64_t sp_band_find(uint64_t len, uint64_t align)
{
	uint64_t cand = SP_ALLOC_START;
	size_t i = band_first_after(cand);

	if (!len || len > SP_BAND_END - SP_ALLOC_START)
		return 0;
	for (;; i++) {
		cand = (cand + align - 1) & ~(align - 1);
		if (i >= sp_band.n || cand + len <= sp_band.v[i].start)
			break;
		if (sp_band.v[i].end > cand)
			cand = sp_band.v[i].end;
	}
	if (cand + len > SP_BAND_END || cand + len < cand)
		return 0;
	return cand;
}

void sp_band_reset(void)
{
	sp_band.n = 0;
	sp_band.nr_shm = 0;
	sp_band.brk_start = SP_HEAP_START;
	sp_band.brk_cur = SP_HEAP_START;
}

// SPDX-License-Identifier: LGPL-2.1-or-later
/* Sets of address ranges (see ranges.h). */
#include <errno.h>
#include <stdlib.h>

#include "ranges.h"

int sp_ranges_add(struct sp_ranges *r, uint64_t start, uint64_t end)
{
	if (start >= end)
		return 0;
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 64;
		struct sp_range *v = realloc(r->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		r->v = v;
		r->cap = cap;
	}
	r->v[r->n].start = start;
	r->v[r->n++].end = end;
	return 0;
}

static int cmp_range(const void *a, const void *b)
{
	const struct sp_range *x = a, *y = b;

	return (x->start > y->start) - (x->start < y->start);
}

void sp_ranges_norm(struct sp_ranges *r)
{
	size_t i, o = 0;

	if (!r->n)
		return;
	qsort(r->v, r->n, sizeof(*r->v), cmp_range);
	for (i = 1; i < r->n; i++) {
		if (r->v[i].start <= r->v[o].end) {
			if (r->v[i].end > r->v[o].end)
				r->v[o].end = r->v[i].end;
		} else {
			r->v[++o] = r->v[i];
		}
	}
	r->n = o + 1;
}

int sp_ranges_sub(struct sp_ranges *a, const struct sp_ranges *b)
{
	struct sp_ranges out = { 0 };
	size_t i, j = 0;
	int r;

	for (i = 0; i < a->n; i++) {
		uint64_t s = a->v[i].start, e = a->v[i].end;

		while (j < b->n && b->v[j].end <= s)
			j++;
		for (size_t k = j; k < b->n && b->v[k].start < e; k++) {
			if (b->v[k].start > s) {
				r = sp_ranges_add(&out, s, b->v[k].start);
				if (r)
					goto fail;
			}
			if (b->v[k].end > s)
				s = b->v[k].end;
			if (s >= e)
				break;
		}
		r = sp_ranges_add(&out, s, e);
		if (r)
			goto fail;
	}
	free(a->v);
	*a = out;
	return 0;
fail:
	free(out.v);
	return r;
}

size_t sp_ranges_find(const struct sp_ranges *r, uint64_t addr)
{
	size_t lo = 0, hi = r->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (r->v[mid].end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

uint64_t sp_ranges_covered(const struct sp_ranges *r, uint64_t start, uint64_t end)
{
	uint64_t n = 0;
	size_t i;

	for (i = sp_ranges_find(r, start); i < r->n && r->v[i].start < end; i++) {
		uint64_t s = r->v[i].start > start ? r->v[i].start : start;
		uint64_t e = r->v[i].end < end ? r->v[i].end : end;

		n += e - s;
	}
	return n;
}

uint64_t sp_ranges_bytes(const struct sp_ranges *r)
{
	uint64_t n = 0;
	size_t i;

	for (i = 0; i < r->n; i++)
		n += r->v[i].end - r->v[i].start;
	return n;
}

void sp_ranges_free(struct sp_ranges *r)
{
	free(r->v);
	r->v = NULL;
	r->n = r->cap = 0;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Sets of address ranges [start, end): built by appending, then normalised
 * (sorted, overlaps and neighbours merged) before any query.
 */
#ifndef SP_RANGES_H
#define SP_RANGES_H

#include <stddef.h>
#include <stdint.h>

struct sp_range {
	uint64_t start, end;
};

struct sp_ranges {
	struct sp_range *v;
	size_t n, cap;
};

/* Append [start, end); empty ranges are ignored.  0 or -ENOMEM. */
int sp_ranges_add(struct sp_ranges *r, uint64_t start, uint64_t end);
void sp_ranges_norm(struct sp_ranges *r);
/* @a minus @b, both normalised; @a stays normalised.  0 or -ENOMEM. */
int sp_ranges_sub(struct sp_ranges *a, const struct sp_ranges *b);
/* Index of the first range that ends after @addr (n if none). */
size_t sp_ranges_find(const struct sp_ranges *r, uint64_t addr);
/* Bytes of [start, end) that @r covers. */
uint64_t sp_ranges_covered(const struct sp_ranges *r, uint64_t start, uint64_t end);
uint64_t sp_ranges_bytes(const struct sp_ranges *r);
void sp_ranges_free(struct sp_ranges *r);

#endif /* SP_RANGES_H */

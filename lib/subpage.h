/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Hashes of the 4 KiB pages of 2 MiB blocks, as the image chain holds them.
 *
 * A tracker that sees a transparent huge page through one dirty bit (the
 * module) reports all 2 MiB when one byte changed.  For such a block the
 * runtime keeps the hash of each of its pages as the newest generation
 * recorded it, and saves only the pages whose hash differs.
 *
 * The store is only right while every generation that changes what a
 * restart would read for a block also updates or drops the block's entry:
 * whoever records a page (data, zero, or a mapping saved whole) calls
 * sp_subpage_put() or sp_subpage_drop(), and a generation that fails
 * clears the store.  Returns 0 or -errno; nothing prints.
 */
#ifndef SP_SUBPAGE_H
#define SP_SUBPAGE_H

#include <stdint.h>

#define SP_BLOCK	(2ULL << 20)
#define SP_BLOCK_PAGES	512

/*
 * Compares pages [start, end), inside one 2 MiB block, with the block's
 * entry: bit i of @changed (SP_BLOCK_PAGES bits) is set for page i of the
 * block when its content (read at its address) differs or was forgotten,
 * and the entry takes the new hash.  Returns 1 with an entry, 0 without one (nothing
 * compared), or -errno.
 */
int sp_subpage_diff(uint64_t start, uint64_t end, uint64_t *changed);

/* Pages [start, end) are now zero, in the blocks that have an entry. */
void sp_subpage_zero(uint64_t start, uint64_t end);

/* Make the hashes of the 2 MiB at @addr (aligned) the block's entry. */
int sp_subpage_put(uint64_t addr);

/*
 * Forget pages [start, end): the entries of blocks wholly inside go, the
 * pages of others no longer match anything.
 */
void sp_subpage_drop(uint64_t start, uint64_t end);

/* Forget everything. */
void sp_subpage_clear(void);

/* Blocks with an entry. */
uint64_t sp_subpage_count(void);

#endif /* SP_SUBPAGE_H */

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Which upper-half pages were written since the last checkpoint: the
 * "uffd-wp" backend (Linux 6.7+).  The runtime registers the upper half's
 * private mappings with an asynchronous write-protecting userfaultfd of its
 * own; the first write to a protected page costs one fault, resolved in the
 * kernel, and clears the protection.  PAGEMAP_SCAN then reports the written
 * pages and protects them again in one atomic step.
 *
 * Returns 0 or -errno; nothing prints.
 */
#ifndef SP_TRACK_H
#define SP_TRACK_H

#include <stdint.h>

#include "pagemap_scan.h"

/* Set the backend up; -EOPNOTSUPP (or another -errno) when unavailable. */
int sp_track_init(void);
/* Is the backend set up? */
int sp_track_enabled(void);
/* Track [start, end) from now on (it must lie inside mappings). */
int sp_track_register(uint64_t start, uint64_t end);

/*
 * Report every page of [start, end) (which must be registered) as runs of
 * equal PAGE_IS_* categories (WRITTEN, PRESENT, SWAPPED, PFNZERO) to @fn,
 * in address order, and protect them all again.  Stops at @fn's first
 * non-zero return, which it returns.  @fn NULL: only protect them.
 */
typedef int (*sp_track_fn)(void *arg, uint64_t start, uint64_t end,
			   uint64_t categories);
int sp_track_scan(uint64_t start, uint64_t end, sp_track_fn fn, void *arg);

#endif /* SP_TRACK_H */

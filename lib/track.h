/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Which upper-half pages were written since the last generation.  Three
 * backends, the best one that works is chosen (or $SPLITCKPT_TRACKER):
 *
 * module (splitckpt.ko loaded): the runtime attaches /dev/splitckpt to its
 *	own address space; the module reads and clears the hardware dirty bits
 *	of the page tables, so writes cost no fault at all.  Followed mappings
 *	carry the module's "upper" tag, which the kernel drops where memory is
 *	unmapped: an untagged mapping is new.
 * uffd-wp (Linux 6.7+): the runtime registers the upper half's private
 *	mappings with an asynchronous write-protecting userfaultfd of its
 *	own; the first write to a protected page costs one fault, resolved
 *	in the kernel.  PAGEMAP_SCAN reports the written pages and protects
 *	them again in one step.  A mapping not registered yet ("uw" missing
 *	from its VmFlags) is new.
 * soft-dirty (CONFIG_MEM_SOFT_DIRTY, most distribution kernels, also
 *	older ones): the kernel marks written pages in /proc/self/pagemap;
 *	writing "4" to /proc/self/clear_refs starts a new epoch for the whole
 *	process.  A mapping created since ("sd" in its VmFlags) is new.
 *
 * Returns 0 or -errno; nothing prints.
 */
#ifndef SP_TRACK_H
#define SP_TRACK_H

#include <stdint.h>

#include "pagemap_scan.h"

struct splitckpt_vma;

enum sp_tracker {
	SP_TRACK_NONE,
	SP_TRACK_UFFD_WP,
	SP_TRACK_SOFT_DIRTY,
	SP_TRACK_MODULE,
};

/* The backends, best first, and how many there are. */
extern const enum sp_tracker sp_track_order[];
#define SP_TRACK_NR	3

/* "none", "module", "uffd-wp", "soft-dirty". */
const char *sp_track_name(enum sp_tracker t);
/*
 * Does backend @t work for this process?  0, or why not
 * (-EOPNOTSUPP: the kernel lacks it).
 */
int sp_track_probe(enum sp_tracker t);

/*
 * Set the best backend up (the one $SPLITCKPT_TRACKER names, if set);
 * @place (or NULL) moves each descriptor the tracker opens out of the
 * way and returns its new number.  Returns the backend in use.
 */
enum sp_tracker sp_track_init(int (*place)(int fd));
enum sp_tracker sp_track_backend(void);
/* The descriptors the tracker holds (-1: none), for excluding them. */
void sp_track_fds(int fds[2]);

/*
 * The mappings of [start, end) as the module sees them (no page-table
 * walk), like sp_kmod_vma_query(); -EOPNOTSUPP under another tracker.
 */
int sp_track_vmas(uint64_t start, uint64_t end, struct splitckpt_vma *vec,
		  unsigned int len, uint64_t *walk_end);
/*
 * Has the tracker followed the mapping [start, end) since the last epoch?
 * @vmflags is its "VmFlags:" line from /proc/self/smaps (the module's
 * tracker does not need it: "" will do).
 */
int sp_track_follows(uint64_t start, uint64_t end, const char *vmflags);
/*
 * Does the tracker report and clear each page atomically, so that pages
 * can be copied while the program runs (pre-copy)?  Soft-dirty cannot:
 * its epoch starts for the whole process at once.
 */
int sp_track_atomic(void);
/* Follow [start, end) from now on (inside mappings; uffd-wp registers). */
int sp_track_register(uint64_t start, uint64_t end);

/*
 * Report every page of [start, end) (followed since the last epoch) as
 * runs of equal PAGE_IS_* categories (WRITTEN, PRESENT, SWAPPED, PFNZERO)
 * to @fn, in address order (the module reports only the written runs).
 * uffd-wp protects the pages again here and the module clears their dirty
 * bits (@fn NULL: only that).  Stops at @fn's first non-zero return, which
 * it returns.
 */
typedef int (*sp_track_fn)(void *arg, uint64_t start, uint64_t end,
			   uint64_t categories);
int sp_track_scan(uint64_t start, uint64_t end, sp_track_fn fn, void *arg);

/* A generation is complete: start the next epoch (soft-dirty: clear_refs). */
int sp_track_epoch(void);

#endif /* SP_TRACK_H */

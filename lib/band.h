/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The upper half's memory, known exactly.
 *
 * Every mapping the upper half creates goes through the trap handler
 * (memtrap.c), which places it and records it here.  Addresses the upper
 * half lets the kernel choose are taken from a fixed band of the address
 * space that the kernel itself never hands out (it allocates top-down from
 * below the stack, far above the band), so a fresh lower half started at
 * restart cannot be in the way.  The upper half's brk heap is emulated with
 * ordinary mappings in a reserved part of the band.
 *
 * Nothing here uses libc: the functions run inside signal handlers on the
 * upper half's threads.  Callers hold sp_band.lock.
 */
#ifndef SP_BAND_H
#define SP_BAND_H

#include <stddef.h>
#include <stdint.h>

#define SP_PAGE_SIZE	4096UL
#define SP_BAND_START	0x100000000000UL	/* 16 TiB */
#define SP_BAND_END	0x200000000000UL	/* 32 TiB */
#define SP_HEAP_START	(SP_BAND_START + (4UL << 30))
#define SP_HEAP_END	(SP_HEAP_START + (1UL << 40))
#define SP_ALLOC_START	SP_HEAP_END

struct sp_extent {
	uint64_t start;
	uint64_t end;
};

struct sp_band {
	uint32_t lock;
	uint32_t nr_shm;
	struct sp_extent *v;	/* sorted, disjoint, merged */
	size_t n;
	size_t cap;
	uint64_t brk_start;
	uint64_t brk_cur;
	struct sp_extent shm[64];	/* System V attachments */
	/*
	 * Ranges the upper half discarded with MADV_DONTNEED since the last
	 * checkpoint (all of them when nr_discard exceeds the array): in a
	 * private file mapping that brings back the file's contents, which
	 * the write tracker does not see.
	 */
	uint32_t nr_discard;
	struct sp_extent discard[16];
	/*
	 * While @watch is set (pre-copy), every range the upper half maps,
	 * unmaps, moves or discards (all of them when nr_touched exceeds the
	 * array): what was copied there may not be what is there now.
	 */
	uint32_t watch;
	uint32_t nr_touched;
	struct sp_extent touched[32];
};

extern struct sp_band sp_band;

static inline uint64_t sp_page_up(uint64_t x)
{
	return (x + SP_PAGE_SIZE - 1) & ~(SP_PAGE_SIZE - 1);
}

static inline int sp_in_band(uint64_t start, uint64_t end)
{
	return start >= SP_BAND_START && end <= SP_BAND_END && start <= end;
}

/* Record [start, end) as upper-half memory.  Returns 0 or -ENOMEM. */
int sp_band_add(uint64_t start, uint64_t end);
/* Forget [start, end). */
int sp_band_remove(uint64_t start, uint64_t end);
/*
 * Call @fn for each part of [start, end) that belongs to the upper half,
 * in address order; stops at its first non-zero return, which it returns.
 */
long sp_band_each(uint64_t start, uint64_t end,
		  long (*fn)(void *arg, uint64_t s, uint64_t e), void *arg);
/* Is all of [start, end) upper-half memory? */
int sp_band_owns(uint64_t start, uint64_t end);
/* Does any of [start, end) belong to the upper half? */
int sp_band_overlaps(uint64_t start, uint64_t end);
/*
 * Is [start, end) inside the band, free, and outside the heap reserve?
 */
int sp_band_free(uint64_t start, uint64_t end);
/* A free range of @len bytes aligned to @align in the band, or 0. */
uint64_t sp_band_find(uint64_t len, uint64_t align);
/* Note [start, end) in sp_band.touched if watched. */
void sp_band_touch(uint64_t start, uint64_t end);
/* Does [start, end) meet a touched range? */
int sp_band_touched(uint64_t start, uint64_t end);
/* Forget everything (a new process image). */
void sp_band_reset(void);

#endif /* SP_BAND_H */

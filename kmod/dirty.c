// SPDX-License-Identifier: GPL-2.0
/*
 * splitckpt: report-and-clear of hardware dirty bits.
 *
 * walk_page_range() is not exported, so the walk goes down the page tables
 * with the header inlines.  PTE tables are mapped the way 6.12's
 * __pte_offset_map_lock() does it (RCU, a lockless pmd read, the split PTE
 * lock and a pmd_same() recheck), which is correct on 6.1 as well.  Each
 * page is reported and cleared under its PTE lock; the dirty state moves to
 * the folio so that writeback and swap lose nothing, and all CPUs' TLBs are
 * flushed before the ioctl returns, so a write through a stale TLB entry can
 * only land on a page that this scan reported.
 *
 * Writes the kernel makes on the process's behalf through its own mapping of
 * a user page (process_vm_writev(), /proc/PID/mem, ptrace, O_DIRECT reads:
 * GUP followed by a kernel copy or DMA) never set the PTE's dirty bit.  Every
 * one of those paths marks the folio dirty instead, after the write (the
 * unpin_user_pages_dirty_lock(), set_page_dirty_lock() or bio re-dirtying at
 * completion) and, for pins, holds a pin for the duration of the write.  So
 * for private anonymous memory the folio's dirty flag is made our signal too:
 * see folio_written() for when it can be re-armed and why that is safe.
 */
#include <linux/atomic.h>
#include <linux/bits.h>
#include <linux/log2.h>
#include <linux/minmax.h>
#include <linux/page-flags.h>
#include <linux/pagemap.h>
#include <linux/mm.h>
#include <linux/mmap_lock.h>
#include <linux/pgtable.h>
#include <linux/sched.h>
#include <linux/sched/coredump.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/swap.h>
#include <linux/swapops.h>
#include <linux/uaccess.h>
#include <asm/tlbflush.h>

#include "internal.h"

/* PMDs walked between checks for a contended mmap_lock. */
#define SCAN_PMD_BATCH	64

struct scan_ctx {
	struct mm_struct *mm;
	unsigned long start, end, walk_end;
	bool clear, full, flush;
	/* Whether to tell ranges apart by SPLITCKPT_REGION_* flags. */
	bool regions;
	/* Whether the VMA being walked may hold pinned folios. */
	bool pins;
	struct splitckpt_region *vec;
	u64 vec_len, nr, nr_pages;
	/* Snapshot of the tracker's pending ranges and a cursor into it. */
	struct splitckpt_range pending[SPLITCKPT_PENDING_MAX];
	unsigned int nr_pending, cursor;
};

/*
 * Appends [addr, end) with SPLITCKPT_REGION_* @flags (kept only when the
 * caller asked for regions); false when @vec is full (the walk stops at
 * addr).
 */
static bool emit(struct scan_ctx *c, unsigned long addr, unsigned long end,
		 u64 flags)
{
	struct splitckpt_region *last = c->nr ? &c->vec[c->nr - 1] : NULL;

	if (!c->regions)
		flags = 0;
	if (last && last->end == addr && last->flags == flags) {
		last->end = end;
	} else {
		if (c->nr == c->vec_len) {
			c->full = true;
			c->walk_end = addr;
			return false;
		}
		c->vec[c->nr].start = addr;
		c->vec[c->nr].end = end;
		c->vec[c->nr].flags = flags;
		c->nr++;
	}
	c->nr_pages += (end - addr) >> PAGE_SHIFT;
	return true;
}

/* emit() of one page, with the common case (it extends the last range) inline. */
static __always_inline bool emit_page(struct scan_ctx *c, unsigned long addr,
				      u64 flags)
{
	struct splitckpt_region *last;

	if (!c->regions)
		flags = 0;
	if (c->nr) {
		last = &c->vec[c->nr - 1];
		if (last->end == addr && last->flags == flags) {
			last->end = addr + PAGE_SIZE;
			c->nr_pages++;
			return true;
		}
	}
	return emit(c, addr, addr + PAGE_SIZE, flags);
}

/* Pending ranges only move forward with the walk. */
static const struct splitckpt_range *pending_from(struct scan_ctx *c,
						  unsigned long addr)
{
	while (c->cursor < c->nr_pending && c->pending[c->cursor].end <= addr)
		c->cursor++;
	return c->cursor < c->nr_pending ? &c->pending[c->cursor] : NULL;
}

/*
 * A page reported because its mapping changed needs the TLB flush as much as
 * one whose dirty bit was cleared.  The kernel records the change before it
 * flushes: zap_page_range_single() (MADV_DONTNEED), munmap(), reclaim's
 * batched unmap call invalidate_range_start() and _end() and only then flush
 * the TLBs.  Until they do, another CPU may still read (and write) the old
 * page through a stale TLB entry, so the caller's copy of the page after the
 * ioctl would see the content from before the change, while nothing is left
 * pending to report what the page became.  Flushing before the ioctl returns
 * makes every later access see the current page table.
 */
static void pending_hit(struct scan_ctx *c)
{
	c->flush = true;
}

static bool pending_at(struct scan_ctx *c, unsigned long addr)
{
	const struct splitckpt_range *r = pending_from(c, addr);

	if (!r || r->start > addr)
		return false;
	pending_hit(c);
	return true;
}

/*
 * Reports the pending parts of [addr, end), where no page table says more
 * (what is mapped there, if anything, is in @flags).
 */
static bool emit_pending(struct scan_ctx *c, unsigned long addr,
			 unsigned long end, u64 flags)
{
	const struct splitckpt_range *r;

	while ((r = pending_from(c, addr)) && r->start < end) {
		unsigned long s = max_t(unsigned long, r->start, addr);
		unsigned long e = min_t(unsigned long, r->end, end);

		pending_hit(c);
		if (!emit(c, s, e, flags))
			return false;
		addr = e;
		if (addr >= end)
			break;
	}
	return true;
}

/* The bits of a PTE or PMD that say "written" (6.6+ has two). */
#ifdef _PAGE_BIT_SAVED_DIRTY
#define SCAN_DIRTY_BITS	(_PAGE_DIRTY | _PAGE_SAVED_DIRTY)
#else
#define SCAN_DIRTY_BITS	_PAGE_DIRTY
#endif

/* One locked instruction: the hardware may set the bit at any moment. */
static void clear_dirty_bits(unsigned long *word)
{
	atomic_long_andnot(SCAN_DIRTY_BITS, (atomic_long_t *)word);
}

/*
 * Mappings of a small folio.  The helper for it is out of line and not
 * exported on 6.1 (folio_mapcount()) and inline on 6.12; for a small folio
 * both read the one counter, which starts at -1.
 */
static int small_folio_mapcount(struct folio *folio)
{
	return atomic_read(&folio->_mapcount) + 1;
}

/*
 * Whether the dirty flag of @folio belongs to nobody but us.  That holds for
 * a private anonymous folio (small, or huge and mapped by PMDs only) that is
 * neither in the swap cache nor KSM's, and that nothing but its page tables
 * references:
 *
 * - outside the swap cache, reclaim always marks an anonymous folio dirty
 *   itself before writing it out (add_to_swap()), so the flag carries no
 *   data-loss meaning there;
 * - the swap cache's flag does (a clean swap-cache folio is dropped), and so
 *   does a lazily freed (MADV_FREE, !swapbacked) folio's: a clean one is
 *   discarded.  A folio on its way to becoming lazily free sits in a per-CPU
 *   batch that holds a reference, and so do folios isolated by reclaim or
 *   migration or pinned for I/O: any reference beyond the mappings makes the
 *   folio not ours.  The reference count is read before the flags; the
 *   lazy-free batch clears swapbacked before it drops its reference.
 */
static bool folio_flag_is_ours(struct folio *folio)
{
	int refs;

	if (!folio_test_anon(folio) || folio_test_ksm(folio))
		return false;
	refs = folio_ref_count(folio);
	smp_rmb();	/* pairs with the put after folio_clear_swapbacked() */
	if (!folio_test_swapbacked(folio) || folio_test_swapcache(folio))
		return false;
	/* A huge page counts only while mapped by PMDs alone. */
	if (folio_test_large(folio))
		return refs == folio_entire_mapcount(folio);
	return refs == small_folio_mapcount(folio);
}

/*
 * The common case of a dirty PTE, decided inline: its folio is small, its
 * dirty flag is ours (folio_flag_is_ours()) and clear, so there is nothing
 * to move to it and nothing to re-arm.  The mapping and the flags are read
 * once each.
 */
static __always_inline bool folio_plain(struct folio *folio)
{
	unsigned long mapping = (unsigned long)READ_ONCE(folio->mapping);
	unsigned long flags;
	int refs;

	/* Anonymous and not KSM. */
	if ((mapping & PAGE_MAPPING_FLAGS) != PAGE_MAPPING_ANON)
		return false;
	refs = folio_ref_count(folio);
	smp_rmb();	/* as in folio_flag_is_ours() */
	flags = READ_ONCE(folio->flags);
	/* Swap-backed; not in the swap cache, not huge, not dirty. */
	if ((flags & (BIT(PG_swapbacked) | BIT(PG_swapcache) | BIT(PG_head) |
		      BIT(PG_dirty))) != BIT(PG_swapbacked))
		return false;
	return refs == small_folio_mapcount(folio);
}

/*
 * Moves the dirty bit of a PTE or PMD that was just cleared to its folio,
 * unless the folio's flag is ours (folio_flag_is_ours()): then the flag
 * stays free to signal kernel-side writes.
 */
static void transfer_dirty(struct folio *folio)
{
	if (!folio_flag_is_ours(folio))
		folio_mark_dirty(folio);
}

/*
 * Whether @folio was written by the kernel through GUP since the last
 * clear: its dirty flag is set.  Only anonymous non-KSM folios count;
 * a file or shmem folio's flag means "not yet written back", which is no
 * news of a write.  Callers skip large folios mapped by PTEs: their flag is
 * not ours to re-arm, and counting it would report them forever.
 */
static bool folio_written(struct folio *folio)
{
	return folio_test_dirty(folio) && folio_test_anon(folio) &&
	       !folio_test_ksm(folio);
}

/*
 * Re-arms the signal of folio_written() after a report: clears the flag if
 * it is ours, under the folio lock so that add_to_swap() (which needs the
 * lock) cannot make the folio a swap-cache folio in between.  Otherwise the
 * flag stays set and the page is reported again by the next scan.
 */
static void folio_rearm(struct folio *folio)
{
	if (!folio_written(folio) || !folio_trylock(folio))
		return;
	if (folio_flag_is_ours(folio))
		folio_clear_dirty(folio);
	folio_unlock(folio);
}

/* A non-present, non-empty PTE: swap (clean unless pending) or not. */
static bool swap_pte_dirty(struct scan_ctx *c, pte_t pte, unsigned long addr)
{
	swp_entry_t entry = pte_to_swp_entry(pte);

	/* Migration, device and marker entries: conservatively dirty. */
	if (non_swap_entry(entry))
		return true;
	return pending_at(c, addr);
}

/*
 * The folio of a present PTE that is neither special nor devmap.  Where the
 * architecture has special PTEs, such a PTE always maps a page with a
 * struct page, as vm_normal_page() relies on; elsewhere the pfn is checked.
 */
static __always_inline struct folio *normal_folio(pte_t pte)
{
	if (!IS_ENABLED(CONFIG_ARCH_HAS_PTE_SPECIAL) && !pfn_valid(pte_pfn(pte)))
		return NULL;
	return page_folio(pte_page(pte));
}

/*
 * A PTE is quiet when it is present (not PROT_NONE), clean, neither special
 * nor devmap (QUIET_PTE_BITS), and the flags of its own struct page say
 * neither "head of a large folio" nor "dirty" (QUIET_PAGE_BUSY).  In a VMA
 * that may hold pinned folios (vma_may_pin()) the page must also be small
 * (not a tail) and not pinned.  Elsewhere a tail page of a large folio
 * mapped by PTEs passes without a look at its head, and rightly, since
 * scan_pte() reports such a page only when it is pinned.
 */
#define QUIET_PTE_BITS	(_PAGE_PRESENT | _PAGE_PROTNONE | SCAN_DIRTY_BITS | \
			 _PAGE_SPECIAL | _PAGE_DEVMAP)
#define QUIET_PAGE_BUSY	(BIT(PG_head) | BIT(PG_dirty))

/*
 * What skip_quiet() needs, read once per PTE table.  @raw: skip_quiet() may
 * find struct pages from the PTE values as the tables hold them, without
 * pte_val().  That is a paravirt call, which a Xen PV guest needs (its
 * tables hold machine frames) and which clobbers memory everywhere else;
 * and the offset of a struct page must be a shift of its frame bits.
 */
struct quiet_ctx {
	const void *map;
	unsigned long page_mask;
	bool pins, raw;
};

/*
 * Where quiet_ctx.raw holds, the offset of a page's struct page in the page
 * array is its PTE's frame bits shifted right by this much.
 */
#define QUIET_PAGE_SHIFT	(PAGE_SHIFT - ilog2(sizeof(struct page)))

/*
 * The value of the PTE at @ptep as the table holds it: the flag bits are
 * those of pte_val(), the frame is physical only where quiet_ctx.raw holds.
 */
static __always_inline pteval_t raw_pte(const pte_t *ptep)
{
	return READ_ONCE(ptep->pte);
}

static __always_inline bool pte_bits_quiet(pteval_t v)
{
	return (v & QUIET_PTE_BITS) == _PAGE_PRESENT;
}

/* Where quiet_ctx.raw holds, the page that a present PTE of value @v maps. */
static __always_inline const struct page *raw_page(const struct quiet_ctx *q,
						   pteval_t v)
{
	return q->map + ((v >> QUIET_PAGE_SHIFT) & q->page_mask);
}

/*
 * Whether @page, mapped by a quiet PTE, is quiet.  With @pins, its reference
 * count must be below the pin bias but not zero: a tail page's own count is
 * always zero (references go to the head), which spares a read of the
 * compound head.
 */
static __always_inline bool page_quiet(const struct page *page, bool pins)
{
	if (READ_ONCE(page->flags) & QUIET_PAGE_BUSY)
		return false;
	return !pins ||
	       (unsigned int)page_ref_count(page) - 1 < GUP_PIN_COUNTING_BIAS - 1;
}

/*
 * Whether the four PTEs from @ptep on are all quiet.  Four at a time with
 * few branches, because a branch ends a translation block under TCG, where
 * this loop costs the most; the pages are looked at only once all four
 * PTEs are known to map normal pages.
 */
static __always_inline bool quiet4(const struct quiet_ctx *q, pte_t *ptep,
				   bool pins)
{
	pteval_t a = raw_pte(ptep), b = raw_pte(ptep + 1);
	pteval_t c = raw_pte(ptep + 2), d = raw_pte(ptep + 3);
	pteval_t all = a & b & c & d, any = a | b | c | d;

	/* All present, none PROT_NONE, dirty, special or devmap. */
	if ((~all & _PAGE_PRESENT) |
	    (any & (QUIET_PTE_BITS & ~_PAGE_PRESENT)))
		return false;
	return page_quiet(raw_page(q, a), pins) & page_quiet(raw_page(q, b), pins) &
	       page_quiet(raw_page(q, c), pins) & page_quiet(raw_page(q, d), pins);
}

/* skip_quiet() where quiet_ctx.raw holds, for @pins known at build time. */
static __always_inline unsigned long skip_quiet_raw(const struct quiet_ctx *q,
						    pte_t *ptep,
						    unsigned long n, bool pins)
{
	unsigned long i = 0;
	pteval_t v;

	while (i + 4 <= n && quiet4(q, ptep + i, pins))
		i += 4;
	for (; i < n; i++) {
		v = raw_pte(ptep + i);
		if (!pte_bits_quiet(v) || !page_quiet(raw_page(q, v), pins))
			break;
	}
	return i;
}

/*
 * How many of the @n PTEs from @ptep on are quiet.  Out of line, so that
 * the loops have the registers to themselves.
 *
 * Each per-PTE loop (this one, scan_ptes()) has a section of its own,
 * starting on a boundary of at least its size (scripts/lint.sh checks), so
 * that it never crosses a page: it stays in one iTLB entry, and under TCG,
 * which chains jumps only within a guest page, a loop across two pages took
 * twice as long.  (An aligned function inside .text would leave padding
 * that objtool reports.)
 */
static noinline __section(".text.splitckpt_skip_quiet") __aligned(1024)
unsigned long skip_quiet(const struct quiet_ctx *ctx, pte_t *ptep,
			 unsigned long n)
{
	const struct quiet_ctx copy = *ctx, *q = &copy;	/* in registers */
	unsigned long i = 0;
	pte_t pte;

	/* A normal PTE maps a page with a struct page (vm_normal_page()). */
	BUILD_BUG_ON(!IS_ENABLED(CONFIG_ARCH_HAS_PTE_SPECIAL));
	if (!q->raw) {
		for (; i < n; i++) {
			pte = ptep_get(ptep + i);
			if (!pte_bits_quiet(pte_val(pte)) ||
			    !page_quiet(pte_page(pte), q->pins))
				break;
		}
		return i;
	}
	if (q->pins)
		return skip_quiet_raw(q, ptep, n, true);
	return skip_quiet_raw(q, ptep, n, false);
}

/* Whether a pending range meets [addr, end). */
static bool pending_in(struct scan_ctx *c, unsigned long addr,
		       unsigned long end)
{
	const struct splitckpt_range *r = pending_from(c, addr);

	return r && r->start < end;
}

/*
 * Reports the PTE at @ptep if it is dirty and clears it; false when @vec
 * filled up.  @fast: no pending range meets this PTE table.
 */
static __always_inline bool scan_pte(struct scan_ctx *c, pte_t *ptep,
				     unsigned long addr, bool fast)
{
	pte_t pte = ptep_get(ptep);
	struct folio *folio = NULL;
	bool hw = false, dirty;
	u64 flags = 0;

	if (pte_none(pte)) {
		dirty = pending_at(c, addr);
		flags = SPLITCKPT_REGION_EMPTY;
	} else if (!pte_present(pte)) {
		dirty = swap_pte_dirty(c, pte, addr);
	} else if (pte_special(pte)) {
		dirty = pending_at(c, addr);
		if (is_zero_pfn(pte_pfn(pte)))
			flags = SPLITCKPT_REGION_EMPTY;
	} else if (pte_devmap(pte)) {
		dirty = true;	/* DAX writeback needs the PTE bit */
	} else {
		hw = pte_dirty(pte);
		folio = normal_folio(pte);
		dirty = hw || (!fast && pending_at(c, addr));
		if (folio)
			dirty = dirty || folio_maybe_dma_pinned(folio) ||
				(!folio_test_large(folio) &&
				 folio_written(folio));
	}
	if (!dirty)
		return true;
	if (!emit_page(c, addr, flags))
		return false;
	if (!c->clear)
		return true;
	if (hw) {
		clear_dirty_bits((unsigned long *)&ptep->pte);
		c->flush = true;
		if (folio && folio_plain(folio))
			return true;
		if (folio)
			transfer_dirty(folio);
	}
	if (folio && !folio_test_large(folio))
		folio_rearm(folio);
	return true;
}

/* Returns false when @vec filled up.  Its section: see skip_quiet(). */
static noinline __section(".text.splitckpt_scan_ptes") __aligned(2048)
bool scan_ptes(struct scan_ctx *c, pte_t *ptep, unsigned long addr,
	       unsigned long end)
{
	bool fast = !pending_in(c, addr, end);
	const struct quiet_ctx q = {
		.map = vmemmap,
		.page_mask = PTE_PFN_MASK >> QUIET_PAGE_SHIFT,
		.pins = c->pins,
		.raw = is_power_of_2(sizeof(struct page)) &&
		       !cpu_feature_enabled(X86_FEATURE_XENPV),
	};
	unsigned long n;

	while (addr < end) {
		/* A dirty PTE is often followed by another: no call then. */
		if (fast && pte_bits_quiet(raw_pte(ptep))) {
			n = skip_quiet(&q, ptep, (end - addr) >> PAGE_SHIFT);
			addr += n << PAGE_SHIFT;
			ptep += n;
			if (addr >= end)
				break;
		}
		if (!scan_pte(c, ptep, addr, fast))
			return false;
		addr += PAGE_SIZE;
		ptep++;
	}
	return true;
}

enum pmd_result { PMD_DONE, PMD_FULL, PMD_RETRY };

static enum pmd_result scan_huge_pmd(struct scan_ctx *c, pmd_t *pmdp,
				     unsigned long addr, unsigned long end)
{
	unsigned long huge = addr & PMD_MASK;
	enum pmd_result res = PMD_DONE;
	struct folio *folio;
	spinlock_t *ptl;	/* the huge PMD's lock */
	pmd_t pmd;
	bool hw;

	ptl = pmd_lock(c->mm, pmdp);
	pmd = READ_ONCE(*pmdp);
	if (pmd_none(pmd) || (pmd_present(pmd) && !pmd_trans_huge(pmd) &&
			      !pmd_devmap(pmd))) {
		res = PMD_RETRY;	/* split or zapped meanwhile */
	} else if (!pmd_present(pmd) || pmd_devmap(pmd)) {
		/* Migrating or swapped huge page, or DAX: always dirty. */
		if (!emit(c, addr, end, 0))
			res = PMD_FULL;
	} else {
		/* The huge zero page counts as a page: it is not exported. */
		folio = page_folio(pmd_page(pmd));
		hw = pmd_dirty(pmd);
		if (hw || folio_maybe_dma_pinned(folio) ||
		    folio_written(folio)) {
			if (!emit(c, addr, end, SPLITCKPT_REGION_HUGE)) {
				res = PMD_FULL;
			} else if (c->clear && huge >= c->start &&
				   huge + PMD_SIZE <= c->end) {
				if (hw) {
					clear_dirty_bits((unsigned long *)&pmdp->pmd);
					transfer_dirty(folio);
					c->flush = true;
				}
				folio_rearm(folio);
			}
		} else if (!emit_pending(c, addr, end, 0)) {
			res = PMD_FULL;
		}
	}
	spin_unlock(ptl);
	return res;
}

static bool scan_pmd(struct scan_ctx *c, pmd_t *pmdp, unsigned long addr,
		     unsigned long end)
{
	enum pmd_result res;
	spinlock_t *ptl;	/* the PTE table's split lock */
	pte_t *ptep;
	pmd_t pmd;
	bool ok;

again:
	rcu_read_lock();
	pmd = READ_ONCE(*pmdp);
	if (pmd_none(pmd)) {
		rcu_read_unlock();
		return emit_pending(c, addr, end, SPLITCKPT_REGION_EMPTY);
	}
	if (!pmd_present(pmd) || pmd_trans_huge(pmd) || pmd_devmap(pmd)) {
		rcu_read_unlock();
		res = scan_huge_pmd(c, pmdp, addr, end);
		if (res == PMD_RETRY)
			goto again;
		return res == PMD_DONE;
	}
	if (pmd_bad(pmd)) {
		/* Never pmd_clear_bad(): not ours to repair. */
		rcu_read_unlock();
		return emit_pending(c, addr, end, SPLITCKPT_REGION_EMPTY);
	}
	ptep = pte_offset_kernel(&pmd, addr);
	ptl = pte_lockptr(c->mm, &pmd);
	spin_lock(ptl);
	if (!pmd_same(pmd, READ_ONCE(*pmdp))) {
		spin_unlock(ptl);
		rcu_read_unlock();
		goto again;
	}
	ok = scan_ptes(c, ptep, addr, end);
	spin_unlock(ptl);
	rcu_read_unlock();
	return ok;
}

/*
 * Walks at most SCAN_PMD_BATCH PMDs of [addr, end) inside one VMA and
 * returns where it got to; c->full tells whether it stopped for lack of room.
 */
static unsigned long scan_range(struct scan_ctx *c, unsigned long addr,
				unsigned long end)
{
	unsigned int batch = 0;
	unsigned long next;
	pgd_t *pgd;
	p4d_t *p4d;
	pud_t *pud;

	for (; addr < end && batch < SCAN_PMD_BATCH; addr = next, batch++) {
		next = pmd_addr_end(addr, end);
		pgd = pgd_offset(c->mm, addr);
		if (pgd_none(*pgd) || pgd_bad(*pgd))
			goto no_table;
		p4d = p4d_offset(pgd, addr);
		if (p4d_none(*p4d) || p4d_bad(*p4d))
			goto no_table;
		pud = pud_offset(p4d, addr);
		if (pud_none(*pud))
			goto no_table;
		if (pud_leaf(*pud)) {
			if (!emit(c, addr, next, 0))
				return addr;
			continue;
		}
		if (pud_bad(*pud))
			goto no_table;
		if (!scan_pmd(c, pmd_offset(pud, addr), addr, next))
			return c->walk_end;
		continue;
no_table:
		if (!emit_pending(c, addr, next, SPLITCKPT_REGION_EMPTY))
			return c->walk_end;
	}
	return addr;
}

/* Mappings whose dirty bits cannot be walked or must not be cleared. */
static bool vma_always_dirty(struct vm_area_struct *vma)
{
	if (is_vm_hugetlb_page(vma) || (vma->vm_flags & (VM_PFNMAP | VM_IO)))
		return true;
#ifdef VM_SHADOW_STACK
	if (vma->vm_flags & VM_SHADOW_STACK)
		return true;
#endif
	return false;
}

/*
 * Whether a folio of @vma may be pinned.  A pin of an anonymous page in a
 * private anonymous mapping can only come through its own mm: GUP unshares
 * an anonymous page that is not exclusive before pinning it, and a KSM page
 * is never exclusive.  Every FOLL_PIN sets MMF_HAS_PINNED on the mm it goes
 * through, for good, before it takes the pin; a pin taken after the walk
 * read the flag writes nothing the next scan misses (it sees the flag, and
 * an unpin after a write marks the folio dirty).  File and shmem folios can
 * be pinned through any mm.
 */
static bool vma_may_pin(struct mm_struct *mm, struct vm_area_struct *vma)
{
	return !vma_is_anonymous(vma) || test_bit(MMF_HAS_PINNED, &mm->flags);
}

/* Returns 0, or -EINTR when the walk stopped early for a fatal signal. */
static int scan_walk(struct scan_ctx *c)
{
	unsigned long addr = c->start, vend;
	struct vm_area_struct *vma;

	while (addr < c->end) {
		vma = find_vma(c->mm, addr);
		if (!vma || vma->vm_start >= c->end)
			break;
		addr = max(addr, vma->vm_start);
		vend = min(vma->vm_end, c->end);
		c->pins = vma_may_pin(c->mm, vma);
		if (vma_always_dirty(vma)) {
			if (!emit(c, addr, vend, SPLITCKPT_REGION_UNWALKED))
				return 0;
			addr = vend;
			continue;
		}
		addr = scan_range(c, addr, vend);
		if (c->full)
			return 0;
		if (addr < c->end && (need_resched() || mmap_lock_is_contended(c->mm))) {
			mmap_read_unlock(c->mm);
			cond_resched();
			if (mmap_read_lock_killable(c->mm)) {
				c->walk_end = addr;
				return -EINTR;
			}
		}
	}
	c->walk_end = c->end;
	return 0;
}

static void flush_local_tlb(void *unused)
{
	__flush_tlb_all();
}

/*
 * Gives back the pending ranges the scan took but did not reach.  A scan
 * takes them out of the tracker (within the parts it scans) when it starts,
 * so that whatever the notifier records while the walk runs stays for the
 * next scan.
 */
static void pending_restore(struct scan_ctx *c, struct splitckpt_tracker *t,
			    const struct splitckpt_range *sub, unsigned int nr_sub,
			    u64 stop)
{
	unsigned int i, j;

	spin_lock(&t->lock);
	for (j = 0; j < nr_sub; j++) {
		u64 s = max_t(u64, sub[j].start, stop), e = sub[j].end;

		if (s >= e)
			continue;
		for (i = 0; i < c->nr_pending; i++)
			splitckpt_pending_add(t, max_t(u64, c->pending[i].start, s),
					      min_t(u64, c->pending[i].end, e));
	}
	spin_unlock(&t->lock);
}

/* Marks what was reported dirty again, when the caller never saw it. */
static void scan_undo(struct scan_ctx *c, struct splitckpt_tracker *t)
{
	u64 i;

	spin_lock(&t->lock);
	for (i = 0; i < c->nr; i++)
		splitckpt_pending_add(t, c->vec[i].start, c->vec[i].end);
	spin_unlock(&t->lock);
}

/*
 * Walks the parts @sub of the scan in order; returns 0 or -EINTR (then the
 * mmap_lock is no longer held) and leaves in c->walk_end where it stopped.
 */
static int scan_parts(struct scan_ctx *c, const struct splitckpt_range *sub,
		      unsigned int nr_sub, u64 end)
{
	unsigned int j;
	int ret;

	for (j = 0; j < nr_sub; j++) {
		c->start = sub[j].start;
		c->end = sub[j].end;
		c->walk_end = c->start;
		ret = scan_walk(c);
		if (ret || c->full)
			return ret;
	}
	c->walk_end = end;
	return 0;
}

/* The results to @uvec, as regions or as plain ranges. */
static int scan_copy_vec(struct scan_ctx *c, void __user *uvec)
{
	struct splitckpt_range buf[32];
	u64 i, k, n;

	if (c->regions)
		return copy_to_user(uvec, c->vec, c->nr * sizeof(*c->vec)) ?
		       -EFAULT : 0;
	for (i = 0; i < c->nr; i += n) {
		n = min_t(u64, c->nr - i, ARRAY_SIZE(buf));
		for (k = 0; k < n; k++) {
			buf[k].start = c->vec[i + k].start;
			buf[k].end = c->vec[i + k].end;
		}
		if (copy_to_user(uvec + i * sizeof(*buf), buf, n * sizeof(*buf)))
			return -EFAULT;
	}
	return 0;
}

/* Makes the session's result buffer hold @len entries (at least one). */
static int scan_vec_reserve(struct splitckpt_session *s, u64 len)
{
	struct splitckpt_region *vec;

	len = max_t(u64, len, 1);
	if (s->scan_vec_len >= len)
		return 0;
	vec = kvmalloc_array(len, sizeof(*vec), GFP_KERNEL);
	if (!vec)
		return -ENOMEM;
	kvfree(s->scan_vec);
	s->scan_vec = vec;
	s->scan_vec_len = len;
	return 0;
}

long splitckpt_dirty_scan(struct splitckpt_session *s, void __user *uarg)
{
	struct splitckpt_range whole, *sub = &whole;
	struct splitckpt_dirty_scan arg;
	struct splitckpt_tracker *t;
	unsigned int nr_sub = 1, j;
	struct scan_ctx *c;
	bool dead;
	u32 usize;
	int ret;

	ret = splitckpt_copy_in(&arg, sizeof(arg),
				SPLITCKPT_DIRTY_SCAN_SIZE_VER0, uarg, &usize);
	if (ret)
		return ret;
	if ((arg.flags & ~SPLITCKPT_SCAN_FLAGS) ||
	    (arg.tag_mask & ~SPLITCKPT_TAGS) ||
	    memchr_inv(arg.reserved, 0, sizeof(arg.reserved)))
		return -EINVAL;
	if (!PAGE_ALIGNED(arg.start) || !PAGE_ALIGNED(arg.end) ||
	    arg.start >= arg.end || arg.end > TASK_SIZE_MAX)
		return -EINVAL;

	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (!c)
		return -ENOMEM;
	c->clear = !(arg.flags & SPLITCKPT_SCAN_REPORT_ONLY);
	c->regions = arg.flags & SPLITCKPT_SCAN_REGIONS;
	c->vec_len = min_t(u64, arg.vec_len, SPLITCKPT_SCAN_MAX_VEC);
	whole.start = arg.start;
	whole.end = arg.end;

	mutex_lock(&s->lock);
	if (!s->mm) {
		ret = -ENOTCONN;
		goto out_unlock;
	}
	ret = scan_vec_reserve(s, c->vec_len);
	if (ret)
		goto out_unlock;
	c->vec = s->scan_vec;
	t = s->tracker;
	c->mm = s->mm;
	if (arg.tag_mask) {
		ret = splitckpt_tags_match(t, arg.start, arg.end, arg.tag_mask,
					   &sub, &nr_sub);
		if (ret)
			goto out_unlock;
	}
	spin_lock(&t->lock);
	dead = t->dead;
	c->nr_pending = t->nr_pending;
	memcpy(c->pending, t->pending, t->nr_pending * sizeof(*t->pending));
	for (j = 0; c->clear && !dead && j < nr_sub; j++)
		splitckpt_pending_remove(t, sub[j].start, sub[j].end);
	spin_unlock(&t->lock);
	if (dead || !mmget_not_zero(c->mm)) {
		ret = -ESRCH;
		goto out_free_sub;
	}
	ret = mmap_read_lock_killable(c->mm);
	if (!ret && scan_parts(c, sub, nr_sub, arg.end) != -EINTR)
		mmap_read_unlock(c->mm);
	if (c->flush)
		on_each_cpu(flush_local_tlb, NULL, 1);
	if (c->clear)
		pending_restore(c, t, sub, nr_sub, ret ? arg.start : c->walk_end);
	if (ret)
		goto out_mmput;

	arg.walk_end = c->walk_end;
	arg.nr_ranges = c->nr;
	arg.nr_pages = c->nr_pages;
	ret = scan_copy_vec(c, u64_to_user_ptr(arg.vec));
	if (!ret)
		ret = splitckpt_copy_out(uarg, usize, &arg, sizeof(arg));
	if (ret && c->clear)
		scan_undo(c, t);
out_mmput:
	mmput(c->mm);
out_free_sub:
	if (sub != &whole)
		kvfree(sub);
out_unlock:
	mutex_unlock(&s->lock);
	kfree(c);
	return ret;
}

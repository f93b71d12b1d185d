/* SPDX-License-Identifier: GPL-2.0 */
/*
 * splitckpt: private declarations of the module.
 *
 * Lock order: session->lock, then mmap_lock of the target, then PTE/PMD
 * locks, then tracker->lock.  The request channel's lock (request.c) is
 * never held with any of those.
 */
#ifndef _SPLITCKPT_INTERNAL_H
#define _SPLITCKPT_INTERNAL_H

#include <linux/compiler.h>
#include <linux/mmu_notifier.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/splitckpt.h>

/* Address ranges the notifier saw change; more are merged into one. */
#define SPLITCKPT_PENDING_MAX	64

/*
 * One per tracked mm (the mmu_notifier_get() singleton): records ranges
 * whose mappings changed since the owner last cleared them, so that a scan
 * reports them although their dirty bits are gone.
 */
struct splitckpt_tracker {
	struct mmu_notifier mn;
	spinlock_t lock;	/* protects the fields below; never sleeps */
	bool owned;
	bool dead;
	unsigned int nr_pending;
	struct splitckpt_range pending[SPLITCKPT_PENDING_MAX];
	/* Tags (tags.c): sorted, disjoint, never 0; kvmalloc()ed. */
	struct splitckpt_tag_range *tags;
	unsigned int nr_tags, cap_tags;
	u64 nr_dropped;		/* tagged ranges hit by unmaps */
};

/* One per open file of /dev/splitckpt. */
struct splitckpt_session {
	struct mutex lock;	/* serialises ioctls; protects the fields below */
	struct mm_struct *mm;			/* mmgrab()ed once attached */
	struct splitckpt_tracker *tracker;
	/*
	 * DIRTY_SCAN's result buffer, kept from one scan to the next: a
	 * scan of clean memory would otherwise cost more in allocating and
	 * freeing it than in walking.
	 */
	struct splitckpt_region *scan_vec;
	u64 scan_vec_len;
};

int splitckpt_copy_in(void *karg, size_t ksize, size_t ver0_size,
		      const void __user *uarg, u32 *usize);
int splitckpt_copy_out(void __user *uarg, u32 usize, void *karg, size_t ksize);
int splitckpt_range_args_valid(u32 flags, u64 start, u64 end);
void *splitckpt_vec_alloc(u64 vec_len, size_t size, u64 *len);

void splitckpt_session_init(struct splitckpt_session *s);
void splitckpt_session_release(struct splitckpt_session *s);
long splitckpt_session_attach(struct splitckpt_session *s, void __user *uarg);
int splitckpt_session_mm(struct splitckpt_session *s);

void splitckpt_pending_add(struct splitckpt_tracker *t, u64 start, u64 end);
void splitckpt_pending_remove(struct splitckpt_tracker *t, u64 start, u64 end);

long splitckpt_dirty_scan(struct splitckpt_session *s, void __user *uarg);

void splitckpt_tags_unmap(struct splitckpt_tracker *t, u64 start, u64 end);
int splitckpt_tags_match(struct splitckpt_tracker *t, u64 start, u64 end,
			 u64 mask, struct splitckpt_range **out,
			 unsigned int *nr);
long splitckpt_tag_set(struct splitckpt_session *s, void __user *uarg);
long splitckpt_tag_query(struct splitckpt_session *s, void __user *uarg);

long splitckpt_vma_query(struct splitckpt_session *s, void __user *uarg);

struct file;
struct poll_table_struct;
long splitckpt_request(struct splitckpt_session *s, void __user *uarg);
long splitckpt_agent_register(struct splitckpt_session *s, void __user *uarg);
long splitckpt_agent_next(struct splitckpt_session *s, void __user *uarg,
			  bool nonblock);
long splitckpt_agent_complete(struct splitckpt_session *s, void __user *uarg);
__poll_t splitckpt_agent_poll(struct splitckpt_session *s, struct file *file,
			      struct poll_table_struct *wait);
void splitckpt_agent_release(struct splitckpt_session *s);

#endif /* _SPLITCKPT_INTERNAL_H */

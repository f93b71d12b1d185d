// SPDX-License-Identifier: GPL-2.0
/*
 * splitckpt: sessions bind a file to the address space it tracks; the
 * per-mm tracker is an mmu_notifier that remembers ranges whose mappings
 * changed, because those changes can take the hardware dirty bits with them.
 */
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/pid.h>
#include <linux/ptrace.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/user_namespace.h>

#include "internal.h"

static void pending_put(struct splitckpt_tracker *t, unsigned int i,
			u64 start, u64 end)
{
	t->pending[i].start = start;
	t->pending[i].end = end;
}

/* Adds [start, end) to the sorted, disjoint pending list.  Caller: lock. */
void splitckpt_pending_add(struct splitckpt_tracker *t, u64 start, u64 end)
{
	struct splitckpt_range *p = t->pending;
	unsigned int n = t->nr_pending, i, j;

	lockdep_assert_held(&t->lock);
	start = round_down(start, PAGE_SIZE);
	end = round_up(end, PAGE_SIZE);
	if (start >= end)
		return;

	for (i = 0; i < n && p[i].end < start; i++)
		;
	for (j = i; j < n && p[j].start <= end; j++) {
		start = min(start, p[j].start);
		end = max(end, p[j].end);
	}
	if (j > i) {
		pending_put(t, i, start, end);
		memmove(&p[i + 1], &p[j], (n - j) * sizeof(*p));
		t->nr_pending = n - (j - i) + 1;
		return;
	}
	if (n == SPLITCKPT_PENDING_MAX) {
		/* No room: one range covering everything, conservatively. */
		pending_put(t, 0, min(start, p[0].start), max(end, p[n - 1].end));
		t->nr_pending = 1;
		return;
	}
	memmove(&p[i + 1], &p[i], (n - i) * sizeof(*p));
	pending_put(t, i, start, end);
	t->nr_pending = n + 1;
}

/* Removes [start, end) from the pending list.  Caller: lock. */
void splitckpt_pending_remove(struct splitckpt_tracker *t, u64 start, u64 end)
{
	struct splitckpt_range *p = t->pending;
	unsigned int i = 0;

	lockdep_assert_held(&t->lock);
	while (i < t->nr_pending) {
		struct splitckpt_range *r = &p[i];

		if (r->end <= start || r->start >= end) {
			i++;
		} else if (r->start < start && r->end > end) {
			/* A hole in the middle; without room, keep it all. */
			if (t->nr_pending == SPLITCKPT_PENDING_MAX) {
				i++;
				continue;
			}
			memmove(&p[i + 2], &p[i + 1],
				(t->nr_pending - i - 1) * sizeof(*p));
			pending_put(t, i + 1, end, r->end);
			r->end = start;
			t->nr_pending++;
			i += 2;
		} else if (r->start < start) {
			r->end = start;
			i++;
		} else if (r->end > end) {
			r->start = end;
			i++;
		} else {
			memmove(&p[i], &p[i + 1],
				(t->nr_pending - i - 1) * sizeof(*p));
			t->nr_pending--;
		}
	}
}

static struct splitckpt_tracker *to_tracker(struct mmu_notifier *mn)
{
	return container_of(mn, struct splitckpt_tracker, mn);
}

static int tracker_invalidate_start(struct mmu_notifier *mn,
				    const struct mmu_notifier_range *range)
{
	struct splitckpt_tracker *t = to_tracker(mn);

	/*
	 * mprotect() and NUMA hinting keep the dirty bits (PROTECTION_VMA),
	 * clear_refs only touches soft-dirty.  Everything else may move,
	 * zap or clean pages behind our back: fork's write protection and
	 * page_mkclean() (PROTECTION_PAGE), KSM, swap, migration, MADV_FREE,
	 * munmap, mremap.
	 */
	if (range->event == MMU_NOTIFY_PROTECTION_VMA ||
	    range->event == MMU_NOTIFY_SOFT_DIRTY)
		return 0;

	spin_lock(&t->lock);
	splitckpt_pending_add(t, range->start, range->end);
	/* munmap(), mmap() over a mapping, mremap()'s old range. */
	if (range->event == MMU_NOTIFY_UNMAP)
		splitckpt_tags_unmap(t, range->start, range->end);
	spin_unlock(&t->lock);
	return 0;
}

/*
 * A scan that ran between the start and the end of an invalidation may have
 * taken its range out of the pending list (and seen the pages before the
 * zap): record it again once the change is complete, so the next scan
 * reports what the pages became.
 */
static void tracker_invalidate_end(struct mmu_notifier *mn,
				   const struct mmu_notifier_range *range)
{
	tracker_invalidate_start(mn, range);
}

static void tracker_release(struct mmu_notifier *mn, struct mm_struct *mm)
{
	struct splitckpt_tracker *t = to_tracker(mn);

	spin_lock(&t->lock);
	t->dead = true;
	spin_unlock(&t->lock);
}

static struct mmu_notifier *tracker_alloc(struct mm_struct *mm)
{
	struct splitckpt_tracker *t = kzalloc(sizeof(*t), GFP_KERNEL);

	if (!t)
		return ERR_PTR(-ENOMEM);
	spin_lock_init(&t->lock);
	return &t->mn;
}

static void tracker_free(struct mmu_notifier *mn)
{
	struct splitckpt_tracker *t = to_tracker(mn);

	kvfree(t->tags);
	kfree(t);
}

static const struct mmu_notifier_ops tracker_ops = {
	.invalidate_range_start	= tracker_invalidate_start,
	.invalidate_range_end	= tracker_invalidate_end,
	.release		= tracker_release,
	.alloc_notifier		= tracker_alloc,
	.free_notifier		= tracker_free,
};

/*
 * ptrace_may_access() is not exported: allow the target itself, its
 * ptracer (whose attach passed the LSM and Yama checks), and CAP_SYS_PTRACE
 * over the target's user namespace.
 */
static bool may_track(struct task_struct *task)
{
	struct user_namespace *ns;
	bool tracer, ok;

	if (same_thread_group(task, current))
		return true;
	rcu_read_lock();
	tracer = ptrace_parent(task) == current;
	ns = get_user_ns(__task_cred(task)->user_ns);
	rcu_read_unlock();
	ok = tracer || ns_capable(ns, CAP_SYS_PTRACE);
	put_user_ns(ns);
	return ok;
}

static int target_mm(pid_t nr, struct mm_struct **mmp)
{
	struct task_struct *task;
	struct mm_struct *mm;
	struct pid *pid;

	if (nr < 0)
		return -EINVAL;
	if (nr == 0) {
		task = current;
		get_task_struct(task);
	} else {
		pid = find_get_pid(nr);
		if (!pid)
			return -ESRCH;
		task = get_pid_task(pid, PIDTYPE_TGID);
		put_pid(pid);
		if (!task)
			return -ESRCH;
	}
	if (!may_track(task)) {
		put_task_struct(task);
		return -EPERM;
	}
	mm = get_task_mm(task);
	put_task_struct(task);
	if (!mm)
		return -ESRCH;
	*mmp = mm;
	return 0;
}

void splitckpt_session_init(struct splitckpt_session *s)
{
	mutex_init(&s->lock);
	s->mm = NULL;
	s->tracker = NULL;
	s->scan_vec = NULL;
	s->scan_vec_len = 0;
}

long splitckpt_session_attach(struct splitckpt_session *s, void __user *uarg)
{
	struct splitckpt_attach arg;
	struct splitckpt_tracker *t;
	struct mmu_notifier *mn;
	struct mm_struct *mm;
	bool busy;
	u32 usize;
	int ret;

	ret = splitckpt_copy_in(&arg, sizeof(arg), SPLITCKPT_ATTACH_SIZE_VER0,
				uarg, &usize);
	if (ret)
		return ret;
	if (arg.flags || arg.reserved0 ||
	    memchr_inv(arg.reserved, 0, sizeof(arg.reserved)))
		return -EINVAL;

	mutex_lock(&s->lock);
	if (s->mm) {
		ret = -EISCONN;
		goto out_unlock;
	}
	ret = target_mm(arg.pid, &mm);
	if (ret)
		goto out_unlock;

	mn = mmu_notifier_get(&tracker_ops, mm);
	if (IS_ERR(mn)) {
		ret = PTR_ERR(mn);
		goto out_mmput;
	}
	t = to_tracker(mn);
	spin_lock(&t->lock);
	busy = t->owned;
	if (!busy) {
		t->owned = true;
		t->nr_pending = 0;
		t->nr_tags = 0;
		t->nr_dropped = 0;
	}
	spin_unlock(&t->lock);
	if (busy) {
		mmu_notifier_put(mn);
		ret = -EBUSY;
		goto out_mmput;
	}

	mmgrab(mm);
	s->mm = mm;
	s->tracker = t;
	ret = 0;
out_mmput:
	mmput(mm);
out_unlock:
	mutex_unlock(&s->lock);
	return ret;
}

/* Takes a reference to the session's mm.  Caller: s->lock. */
int splitckpt_session_mm(struct splitckpt_session *s)
{
	bool dead;

	if (!s->mm)
		return -ENOTCONN;
	spin_lock(&s->tracker->lock);
	dead = s->tracker->dead;
	spin_unlock(&s->tracker->lock);
	if (dead || !mmget_not_zero(s->mm))
		return -ESRCH;
	return 0;
}

void splitckpt_session_release(struct splitckpt_session *s)
{
	kvfree(s->scan_vec);
	s->scan_vec = NULL;
	s->scan_vec_len = 0;
	if (!s->mm)
		return;
	spin_lock(&s->tracker->lock);
	s->tracker->owned = false;
	spin_unlock(&s->tracker->lock);
	mmu_notifier_put(&s->tracker->mn);
	mmdrop(s->mm);
	s->mm = NULL;
	s->tracker = NULL;
}

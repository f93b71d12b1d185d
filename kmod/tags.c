// SPDX-License-Identifier: GPL-2.0
/*
 * splitckpt: tags on address ranges of the tracked address space.
 *
 * A module cannot hang data on VMAs, so tags are kept by address in the
 * tracker, as a sorted array of disjoint ranges with non-zero tags.  That
 * makes them follow mprotect() and VMA splits and merges for free (the
 * addresses do not change); unmapping is seen through the mmu notifier
 * (MMU_NOTIFY_UNMAP: munmap, mmap over a mapping, mremap's old range), which
 * drops the tags there.  The notifier may not sleep or allocate, and
 * punching a hole in a range takes one more slot, so the array always keeps
 * spare slots; if a burst of unmaps uses them all, a range that would need
 * a hole loses its tags whole (counted like every drop).
 */
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/mmap_lock.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "internal.h"

/* Most tagged ranges per address space, and spare slots for unmaps. */
#define SPLITCKPT_TAGS_MAX	65536
#define SPLITCKPT_TAGS_SPARE	64

/* Drops the tags of [start, end), being unmapped.  Caller: t->lock. */
void splitckpt_tags_unmap(struct splitckpt_tracker *t, u64 start, u64 end)
{
	struct splitckpt_tag_range *r = t->tags;
	unsigned int i = 0;

	lockdep_assert_held(&t->lock);
	while (i < t->nr_tags) {
		struct splitckpt_tag_range *p = &r[i];

		if (p->end <= start || p->start >= end) {
			i++;
			continue;
		}
		t->nr_dropped++;
		if (p->start < start && p->end > end &&
		    t->nr_tags < t->cap_tags) {
			memmove(&r[i + 2], &r[i + 1],
				(t->nr_tags - i - 1) * sizeof(*r));
			r[i + 1].start = end;
			r[i + 1].end = p->end;
			r[i + 1].tags = p->tags;
			p->end = start;
			t->nr_tags++;
			i += 2;
		} else if (p->start < start && p->end <= end) {
			p->end = start;
			i++;
		} else if (p->start >= start && p->end > end) {
			p->start = end;
			i++;
		} else {
			/* Inside the unmap, or a hole with no room: all of it. */
			memmove(&r[i], &r[i + 1],
				(t->nr_tags - i - 1) * sizeof(*r));
			t->nr_tags--;
		}
	}
}

/* Appends a range to @out, merging it with an equal neighbour. */
static void tags_put(struct splitckpt_tag_range *out, unsigned int *k,
		     u64 start, u64 end, u64 tags)
{
	struct splitckpt_tag_range *last = *k ? &out[*k - 1] : NULL;

	if (!tags || start >= end)
		return;
	if (last && last->end == start && last->tags == tags) {
		last->end = end;
		return;
	}
	out[*k].start = start;
	out[*k].end = end;
	out[*k].tags = tags;
	(*k)++;
}

/*
 * Writes to @out the ranges of @in with [s, e) updated: tags & ~@clear |
 * @set.  @out needs room for 2 * @n + 3 ranges.
 */
static unsigned int tags_build(struct splitckpt_tag_range *out,
			       const struct splitckpt_tag_range *in,
			       unsigned int n, u64 s, u64 e, u64 set, u64 clear)
{
	unsigned int i, k = 0;
	u64 pos = s;	/* [s, pos) of the update is written */

	for (i = 0; i < n; i++) {
		const struct splitckpt_tag_range *r = &in[i];

		if (r->end <= s || r->start >= e) {
			if (r->start >= e && pos < e) {
				tags_put(out, &k, pos, e, set);
				pos = e;
			}
			tags_put(out, &k, r->start, r->end, r->tags);
			continue;
		}
		if (r->start < s)
			tags_put(out, &k, r->start, s, r->tags);
		if (r->start > pos)
			tags_put(out, &k, pos, r->start, set);
		tags_put(out, &k, max(r->start, s), min(r->end, e),
			 (r->tags & ~clear) | set);
		pos = min(r->end, e);
		if (r->end > e)
			tags_put(out, &k, e, r->end, r->tags);
	}
	if (pos < e)
		tags_put(out, &k, pos, e, set);
	return k;
}

/* Applies an update to the mapped range [s, e).  Caller: mmap_lock. */
static int tags_apply(struct splitckpt_tracker *t, u64 s, u64 e, u64 set,
		      u64 clear)
{
	struct splitckpt_tag_range *new, *old;
	unsigned int n, cap, k;

again:
	spin_lock(&t->lock);
	n = t->nr_tags;
	spin_unlock(&t->lock);
	cap = 2 * n + 3 + SPLITCKPT_TAGS_SPARE;
	new = kvmalloc_array(cap, sizeof(*new), GFP_KERNEL);
	if (!new)
		return -ENOMEM;

	spin_lock(&t->lock);
	if (t->nr_tags > n) {
		/* An unmap punched a hole meanwhile; size again. */
		spin_unlock(&t->lock);
		kvfree(new);
		goto again;
	}
	k = tags_build(new, t->tags, t->nr_tags, s, e, set, clear);
	if (k > SPLITCKPT_TAGS_MAX) {
		spin_unlock(&t->lock);
		kvfree(new);
		return -ENOSPC;
	}
	old = t->tags;
	t->tags = new;
	t->nr_tags = k;
	t->cap_tags = cap;
	spin_unlock(&t->lock);
	kvfree(old);
	return 0;
}

long splitckpt_tag_set(struct splitckpt_session *s, void __user *uarg)
{
	struct splitckpt_tag_set arg;
	struct vm_area_struct *vma;
	u64 addr, run_start = 0, run_end = 0;
	u32 usize;
	int ret;

	ret = splitckpt_copy_in(&arg, sizeof(arg), SPLITCKPT_TAG_SET_SIZE_VER0,
				uarg, &usize);
	if (ret)
		return ret;
	ret = splitckpt_range_args_valid(arg.flags, arg.start, arg.end);
	if (ret)
		return ret;
	if (((arg.set | arg.clear) & ~SPLITCKPT_TAGS) || (arg.set & arg.clear) ||
	    memchr_inv(arg.reserved, 0, sizeof(arg.reserved)))
		return -EINVAL;

	mutex_lock(&s->lock);
	ret = splitckpt_session_mm(s);
	if (ret)
		goto out_unlock;
	ret = mmap_read_lock_killable(s->mm);
	if (ret)
		goto out_mmput;
	/* Contiguous mapped runs of [start, end), one update each. */
	arg.nr_pages = 0;
	for (addr = arg.start; addr < arg.end; addr = vma->vm_end) {
		vma = find_vma(s->mm, addr);
		if (!vma || vma->vm_start >= arg.end)
			break;
		if (run_end && vma->vm_start != run_end) {
			ret = tags_apply(s->tracker, run_start, run_end,
					 arg.set, arg.clear);
			if (ret)
				goto out_mmap_unlock;
			run_end = 0;
		}
		if (!run_end)
			run_start = max_t(u64, vma->vm_start, arg.start);
		run_end = min_t(u64, vma->vm_end, arg.end);
		arg.nr_pages += (run_end - max_t(u64, vma->vm_start, arg.start))
				>> PAGE_SHIFT;
	}
	if (run_end)
		ret = tags_apply(s->tracker, run_start, run_end, arg.set,
				 arg.clear);
out_mmap_unlock:
	mmap_read_unlock(s->mm);
out_mmput:
	mmput(s->mm);
out_unlock:
	mutex_unlock(&s->lock);
	if (ret)
		return ret;
	return splitckpt_copy_out(uarg, usize, &arg, sizeof(arg));
}

long splitckpt_tag_query(struct splitckpt_session *s, void __user *uarg)
{
	struct splitckpt_tag_range *vec;
	struct splitckpt_tracker *t;
	struct splitckpt_tag_query arg;
	unsigned int i;
	u64 len, nr = 0;
	u32 usize;
	int ret;

	ret = splitckpt_copy_in(&arg, sizeof(arg),
				SPLITCKPT_TAG_QUERY_SIZE_VER0, uarg, &usize);
	if (ret)
		return ret;
	ret = splitckpt_range_args_valid(arg.flags, arg.start, arg.end);
	if (ret)
		return ret;
	if (memchr_inv(arg.reserved, 0, sizeof(arg.reserved)))
		return -EINVAL;
	vec = splitckpt_vec_alloc(arg.vec_len, sizeof(*vec), &len);
	if (!vec)
		return -ENOMEM;

	mutex_lock(&s->lock);
	ret = splitckpt_session_mm(s);
	if (ret)
		goto out_unlock;
	mmput(s->mm);
	t = s->tracker;
	arg.walk_end = arg.end;
	spin_lock(&t->lock);
	for (i = 0; i < t->nr_tags; i++) {
		const struct splitckpt_tag_range *r = &t->tags[i];

		if (r->end <= arg.start)
			continue;
		if (r->start >= arg.end)
			break;
		if (nr == len) {
			arg.walk_end = max(r->start, arg.start);
			break;
		}
		vec[nr].start = max(r->start, arg.start);
		vec[nr].end = min(r->end, arg.end);
		vec[nr].tags = r->tags;
		nr++;
	}
	arg.nr_dropped = t->nr_dropped;
	t->nr_dropped = 0;
	spin_unlock(&t->lock);

	arg.nr_ranges = nr;
	if (copy_to_user(u64_to_user_ptr(arg.vec), vec, nr * sizeof(*vec)))
		ret = -EFAULT;
	else
		ret = splitckpt_copy_out(uarg, usize, &arg, sizeof(arg));
	if (ret) {
		/* The caller never saw the count. */
		spin_lock(&t->lock);
		t->nr_dropped += arg.nr_dropped;
		spin_unlock(&t->lock);
	}
out_unlock:
	mutex_unlock(&s->lock);
	kvfree(vec);
	return ret;
}

/*
 * The parts of [start, end) whose tags meet @mask, merged where adjacent,
 * in a new array the caller frees with kvfree().
 */
int splitckpt_tags_match(struct splitckpt_tracker *t, u64 start, u64 end,
			 u64 mask, struct splitckpt_range **out,
			 unsigned int *nr)
{
	struct splitckpt_range *v;
	unsigned int i, n, k = 0;

again:
	spin_lock(&t->lock);
	n = t->nr_tags;
	spin_unlock(&t->lock);
	v = kvmalloc_array(max(n, 1U), sizeof(*v), GFP_KERNEL);
	if (!v)
		return -ENOMEM;
	spin_lock(&t->lock);
	if (t->nr_tags > n) {
		spin_unlock(&t->lock);
		kvfree(v);
		goto again;
	}
	for (i = 0; i < t->nr_tags; i++) {
		const struct splitckpt_tag_range *r = &t->tags[i];
		u64 s = max(r->start, start), e = min(r->end, end);

		if (!(r->tags & mask) || s >= e)
			continue;
		if (k && v[k - 1].end == s) {
			v[k - 1].end = e;
			continue;
		}
		v[k].start = s;
		v[k].end = e;
		k++;
	}
	spin_unlock(&t->lock);
	*out = v;
	*nr = k;
	return 0;
}

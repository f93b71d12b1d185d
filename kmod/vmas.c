// SPDX-License-Identifier: GPL-2.0
/*
 * splitckpt: VMA_QUERY, the mappings of the attached address space with
 * the properties a checkpoint keeps (protection, sharing, madvise() and
 * mlock() state), read from the VMAs alone: unlike /proc/PID/smaps, which
 * walks every page table to count resident pages, the cost is per mapping.
 */
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/mmap_lock.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/splitckpt.h>

#include "internal.h"

static u64 vma_props(const struct vm_area_struct *vma)
{
	static const struct {
		unsigned long vm;
		u64 vmf;
	} map[] = {
		{ VM_READ, SPLITCKPT_VMF_READ },
		{ VM_WRITE, SPLITCKPT_VMF_WRITE },
		{ VM_EXEC, SPLITCKPT_VMF_EXEC },
		{ VM_MAYSHARE, SPLITCKPT_VMF_SHARED },	/* as maps' 's' */
		{ VM_HUGEPAGE, SPLITCKPT_VMF_HUGEPAGE },
		{ VM_NOHUGEPAGE, SPLITCKPT_VMF_NOHUGEPAGE },
		{ VM_DONTCOPY, SPLITCKPT_VMF_DONTFORK },
		{ VM_WIPEONFORK, SPLITCKPT_VMF_WIPEONFORK },
		{ VM_DONTDUMP, SPLITCKPT_VMF_DONTDUMP },
		{ VM_MERGEABLE, SPLITCKPT_VMF_MERGEABLE },
		{ VM_LOCKED, SPLITCKPT_VMF_LOCKED },
	};
	u64 props = vma->vm_file ? SPLITCKPT_VMF_FILE : 0;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(map); i++)
		if (vma->vm_flags & map[i].vm)
			props |= map[i].vmf;
	return props;
}

long splitckpt_vma_query(struct splitckpt_session *s, void __user *uarg)
{
	struct splitckpt_vma_query arg;
	struct vm_area_struct *vma;
	struct splitckpt_vma *vec;
	u64 addr, len, nr = 0;
	u32 usize;
	int ret;

	ret = splitckpt_copy_in(&arg, sizeof(arg),
				SPLITCKPT_VMA_QUERY_SIZE_VER0, uarg, &usize);
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
	ret = mmap_read_lock_killable(s->mm);
	if (ret)
		goto out_mmput;
	arg.walk_end = arg.end;
	for (addr = arg.start; addr < arg.end; addr = vma->vm_end) {
		vma = find_vma(s->mm, addr);
		if (!vma || vma->vm_start >= arg.end)
			break;
		if (nr == len) {
			arg.walk_end = max_t(u64, vma->vm_start, arg.start);
			break;
		}
		vec[nr].start = max_t(u64, vma->vm_start, arg.start);
		vec[nr].end = min_t(u64, vma->vm_end, arg.end);
		vec[nr].flags = vma_props(vma);
		nr++;
	}
	mmap_read_unlock(s->mm);

	arg.nr_vmas = nr;
	if (copy_to_user(u64_to_user_ptr(arg.vec), vec, nr * sizeof(*vec)))
		ret = -EFAULT;
	else
		ret = splitckpt_copy_out(uarg, usize, &arg, sizeof(arg));
out_mmput:
	mmput(s->mm);
out_unlock:
	mutex_unlock(&s->lock);
	kvfree(vec);
	return ret;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * splitckpt: copying size-versioned ioctl arguments in and out.
 *
 * Every argument struct starts with a __u32 size.  Callers built against an
 * older header pass a smaller struct, newer ones a larger one; the rules are
 * written down in uapi/linux/splitckpt.h and enforced only here.
 */
#include <linux/errno.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/splitckpt.h>

#include "internal.h"

/**
 * splitckpt_copy_in() - fetch a size-versioned argument from userspace
 * @karg:	kernel copy, @ksize bytes; bytes the caller did not send are zeroed
 * @ksize:	size of the kernel's struct
 * @ver0_size:	size of the first published version of the struct
 * @uarg:	user pointer to the struct
 * @usize:	returns the size the caller claimed
 *
 * Return: 0, -EFAULT for a bad pointer, -EINVAL for a size below @ver0_size,
 * -E2BIG for a size above SPLITCKPT_MAX_ARG_SIZE or for non-zero bytes past
 * @ksize.
 */
int splitckpt_copy_in(void *karg, size_t ksize, size_t ver0_size,
		      const void __user *uarg, u32 *usize)
{
	u32 size;
	int ret;

	if (get_user(size, (const u32 __user *)uarg))
		return -EFAULT;
	if (size < ver0_size)
		return -EINVAL;
	if (size > SPLITCKPT_MAX_ARG_SIZE)
		return -E2BIG;
	ret = copy_struct_from_user(karg, ksize, uarg, size);
	if (ret)
		return ret;
	*usize = size;
	return 0;
}

/**
 * splitckpt_copy_out() - return a size-versioned argument to userspace
 * @uarg:	user pointer to the struct
 * @usize:	size the caller claimed on the way in
 * @karg:	kernel copy; its leading size field is set to the bytes written
 * @ksize:	size of the kernel's struct
 *
 * Return: 0 or -EFAULT.
 */
int splitckpt_copy_out(void __user *uarg, u32 usize, void *karg, size_t ksize)
{
	u32 n = min_t(size_t, usize, ksize);

	*(u32 *)karg = n;
	if (copy_to_user(uarg, karg, n))
		return -EFAULT;
	return 0;
}

/**
 * splitckpt_range_args_valid() - check the flags and range of a range query
 * @flags:	the argument's flags; none are defined for these commands
 * @start:	first address, page aligned
 * @end:	end, page aligned, above @start, at most TASK_SIZE_MAX
 *
 * Return: 0 or -EINVAL.
 */
int splitckpt_range_args_valid(u32 flags, u64 start, u64 end)
{
	if (flags || !PAGE_ALIGNED(start) || !PAGE_ALIGNED(end) ||
	    start >= end || end > TASK_SIZE_MAX)
		return -EINVAL;
	return 0;
}

/**
 * splitckpt_vec_alloc() - the kernel buffer for a listing's results
 * @vec_len:	entries the caller offers; at most SPLITCKPT_SCAN_MAX_VEC are used
 * @size:	bytes per entry
 * @len:	returns how many entries the listing may fill
 *
 * Return: a buffer of at least one entry (kvfree() it), or NULL.
 */
void *splitckpt_vec_alloc(u64 vec_len, size_t size, u64 *len)
{
	*len = min_t(u64, vec_len, SPLITCKPT_SCAN_MAX_VEC);
	return kvmalloc_array(max_t(u64, *len, 1), size, GFP_KERNEL);
}

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * splitckpt: private declarations of the module.
 */
#ifndef _SPLITCKPT_INTERNAL_H
#define _SPLITCKPT_INTERNAL_H

#include <linux/types.h>
#include <linux/compiler.h>

int splitckpt_copy_in(void *karg, size_t ksize, size_t ver0_size,
		      const void __user *uarg, u32 *usize);
int splitckpt_copy_out(void __user *uarg, u32 usize, void *karg, size_t ksize);

#endif /* _SPLITCKPT_INTERNAL_H */

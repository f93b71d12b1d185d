/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * splitckpt: kernel ABI of /dev/splitckpt.
 *
 * Conventions that hold for every command:
 *
 * - The argument of every ioctl is a pointer to a struct whose first field is
 *   its size in bytes (@size), set by the caller to the size of the struct it
 *   was compiled with, followed by @flags.  Structs only ever grow at the end.
 *   A caller with an older, smaller struct is served the fields it knows; a
 *   caller with a newer, larger struct is accepted when every byte the kernel
 *   does not know is zero (otherwise -E2BIG).  A size smaller than the first
 *   published version of the struct is -EINVAL.
 * - Unknown bits in @flags and non-zero reserved fields are -EINVAL.
 * - Pointers travel as __u64.  A bad pointer is -EFAULT.
 * - Commands are dispatched on their type byte and number; the size bits of
 *   the command word are not used (@size is authoritative), and the direction
 *   bits must be _IOC_READ | _IOC_WRITE.  An unknown command is -ENOTTY.
 * - SPLITCKPT_IOC_GET_INFO has a fixed number forever; the commands and
 *   features that a running module supports are discovered through it, never
 *   by guessing from version numbers.
 */
#ifndef _UAPI_LINUX_SPLITCKPT_H
#define _UAPI_LINUX_SPLITCKPT_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define SPLITCKPT_DEVICE_NAME	"splitckpt"

/* The API level this header describes. */
#define SPLITCKPT_API_LEVEL	1

/* Type byte of every splitckpt ioctl. */
#define SPLITCKPT_IOC_TYPE	0xC7

/* Largest struct size the kernel will look at; larger is -E2BIG. */
#define SPLITCKPT_MAX_ARG_SIZE	4096

/**
 * struct splitckpt_info - what the running module supports
 * @size:	in: sizeof(struct splitckpt_info) as known to the caller;
 *		out: number of bytes the kernel wrote (min of both sizes).
 * @flags:	in: must be zero.
 * @api_level:	out: SPLITCKPT_API_LEVEL of the module.
 * @page_size:	out: PAGE_SIZE of the running kernel, the granularity of
 *		every address range in this ABI.
 * @features:	out: SPLITCKPT_FEAT_* bits the module implements.
 * @ioctls:	out: bit N is set when the command with number N is supported.
 * @reserved:	in: must be zero; out: zero.
 *
 * The kernel writes every output field, so outputs need no clearing by the
 * caller; input fields other than @size and @flags are ignored.
 */
struct splitckpt_info {
	__u32 size;
	__u32 flags;
	__u32 api_level;
	__u32 page_size;
	__u64 features;
	__u64 ioctls;
	__u64 reserved[4];
};

#define SPLITCKPT_INFO_SIZE_VER0	48

/* Command numbers; bit N of splitckpt_info.ioctls refers to number N. */
#define SPLITCKPT_NR_GET_INFO	0x00

#define SPLITCKPT_IOC_GET_INFO \
	_IOWR(SPLITCKPT_IOC_TYPE, SPLITCKPT_NR_GET_INFO, struct splitckpt_info)

#endif /* _UAPI_LINUX_SPLITCKPT_H */

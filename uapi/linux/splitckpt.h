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

#include <linux/const.h>
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

/* Feature bits of splitckpt_info.features. */
/* Hardware dirty-bit tracking: ATTACH and DIRTY_SCAN. */
#define SPLITCKPT_FEAT_DIRTY		_BITULL(0)

/**
 * struct splitckpt_attach - bind this file to a process's address space
 * @size:	sizeof(struct splitckpt_attach)
 * @flags:	must be zero.
 * @pid:	the target, in the caller's pid namespace; 0 for the caller.
 * @reserved0:	must be zero.
 * @reserved:	must be zero.
 *
 * The caller must be the target itself, the target's ptracer, or hold
 * CAP_SYS_PTRACE over the target's user namespace (-EPERM otherwise).
 * Errors: -ESRCH when there is no such process or it has no address space;
 * -EBUSY when another file already tracks that address space; -EISCONN
 * when this file is already attached.  The binding ends when the file is
 * closed; dirty tracking of the address space starts with the attach.
 */
struct splitckpt_attach {
	__u32 size;
	__u32 flags;
	__s32 pid;
	__u32 reserved0;
	__u64 reserved[2];
};

#define SPLITCKPT_ATTACH_SIZE_VER0	32

/**
 * struct splitckpt_range - a range of pages [@start, @end)
 * @start:	first byte, page aligned
 * @end:	one past the last byte, page aligned
 */
struct splitckpt_range {
	__u64 start;
	__u64 end;
};

/* Report dirty pages without clearing them. */
#define SPLITCKPT_SCAN_REPORT_ONLY	_BITUL(0)
#define SPLITCKPT_SCAN_FLAGS		SPLITCKPT_SCAN_REPORT_ONLY

/* A scan fills at most this many ranges; walk_end says where it stopped. */
#define SPLITCKPT_SCAN_MAX_VEC		65536

/**
 * struct splitckpt_dirty_scan - report, and clear, dirty pages
 * @size:	sizeof(struct splitckpt_dirty_scan)
 * @flags:	SPLITCKPT_SCAN_* bits.
 * @start:	first address to scan, page aligned.
 * @end:	end of the scan, page aligned, above @start.
 * @vec:	user pointer to an array of struct splitckpt_range.
 * @vec_len:	entries in @vec (at most SPLITCKPT_SCAN_MAX_VEC are used).
 * @walk_end:	out: the scan covered [@start, @walk_end); it equals @end
 *		unless @vec filled up, in which case nothing at or above
 *		@walk_end was reported or cleared: scan again from there.
 * @nr_ranges:	out: ranges written to @vec, in ascending address order,
 *		adjacent dirty pages merged.
 * @nr_pages:	out: pages in those ranges.
 * @reserved:	must be zero.
 *
 * Reports every page of the attached address space in the scanned range
 * that was written since it was last cleared, and (unless REPORT_ONLY)
 * clears it, atomically per page: a page written after its report is
 * reported by the next scan.  Copy reported pages after the call returns.
 * Unmapped holes are never reported.
 *
 * Conservative reports (never a false negative):
 * - pages whose mapping changed (MADV_DONTNEED, munmap and mmap again,
 *   mremap, swap-out, migration, KSM, MADV_FREE, fork) since the last
 *   clear, as wide as the kernel announced the change (at worst the
 *   2 MiB-aligned block around it for munmap);
 * - pages pinned for DMA (io_uring fixed buffers, RDMA), at every scan;
 * - hugetlb, VM_PFNMAP and VM_IO mappings, swapped or migrating huge pages
 *   and DAX mappings: always, whole;
 * - transparent huge pages at 2 MiB granularity; a huge page only partly
 *   inside [@start, @end) is reported but not cleared.
 * Writes made by the kernel on the target's behalf through a pin that was
 * both taken and released between two scans (process_vm_writev, O_DIRECT
 * reads) are not seen.
 *
 * Errors: -ENOTCONN before ATTACH; -ESRCH once the target's address space
 * is gone; -EINVAL for unaligned or empty ranges.
 */
struct splitckpt_dirty_scan {
	__u32 size;
	__u32 flags;
	__u64 start;
	__u64 end;
	__u64 vec;
	__u64 vec_len;
	__u64 walk_end;
	__u64 nr_ranges;
	__u64 nr_pages;
	__u64 reserved[4];
};

#define SPLITCKPT_DIRTY_SCAN_SIZE_VER0	96

/* Command numbers; bit N of splitckpt_info.ioctls refers to number N. */
#define SPLITCKPT_NR_GET_INFO		0x00
#define SPLITCKPT_NR_ATTACH		0x01
#define SPLITCKPT_NR_DIRTY_SCAN		0x02

#define SPLITCKPT_IOC_GET_INFO \
	_IOWR(SPLITCKPT_IOC_TYPE, SPLITCKPT_NR_GET_INFO, struct splitckpt_info)
#define SPLITCKPT_IOC_ATTACH \
	_IOWR(SPLITCKPT_IOC_TYPE, SPLITCKPT_NR_ATTACH, struct splitckpt_attach)
#define SPLITCKPT_IOC_DIRTY_SCAN \
	_IOWR(SPLITCKPT_IOC_TYPE, SPLITCKPT_NR_DIRTY_SCAN, \
	      struct splitckpt_dirty_scan)

#endif /* _UAPI_LINUX_SPLITCKPT_H */

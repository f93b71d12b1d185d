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
/* Checkpoint requests: REQUEST, AGENT_REGISTER, AGENT_NEXT, AGENT_COMPLETE. */
#define SPLITCKPT_FEAT_REQUESTS		_BITULL(1)
/* Range tags: TAG_SET, TAG_QUERY, and splitckpt_dirty_scan.tag_mask. */
#define SPLITCKPT_FEAT_TAGS		_BITULL(2)
/* SPLITCKPT_SCAN_REGIONS: dirty ranges that say what is mapped there. */
#define SPLITCKPT_FEAT_REGIONS		_BITULL(3)

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

/**
 * struct splitckpt_region - a range of pages [@start, @end) of one kind
 * @start:	first byte, page aligned
 * @end:	one past the last byte, page aligned
 * @flags:	SPLITCKPT_REGION_* bits, the same for every page of the range
 */
struct splitckpt_region {
	__u64 start;
	__u64 end;
	__u64 flags;
};

/*
 * No page of its own is mapped there: the entry is empty (the page was
 * discarded, or unmapped and mapped again), or it maps the shared zero page.
 * Reading gives zeros in anonymous memory and the file's page in a file
 * mapping.  Without this bit a page is mapped or swapped out.
 */
#define SPLITCKPT_REGION_EMPTY		_BITULL(0)
/*
 * Reported whole without a look at its pages: hugetlb, VM_PFNMAP and VM_IO
 * mappings and shadow stacks.  SPLITCKPT_REGION_EMPTY is never set with it.
 */
#define SPLITCKPT_REGION_UNWALKED	_BITULL(1)
/*
 * Written pages of a transparent huge page mapped whole: its one dirty bit
 * covers all of it, so some of its 4 KiB pages may well be unchanged.
 */
#define SPLITCKPT_REGION_HUGE		_BITULL(2)

/* Report dirty pages without clearing them. */
#define SPLITCKPT_SCAN_REPORT_ONLY	_BITUL(0)
/* Fill @vec with struct splitckpt_region (SPLITCKPT_FEAT_REGIONS). */
#define SPLITCKPT_SCAN_REGIONS		_BITUL(1)
#define SPLITCKPT_SCAN_FLAGS		(SPLITCKPT_SCAN_REPORT_ONLY | \
					 SPLITCKPT_SCAN_REGIONS)

/* A scan fills at most this many ranges; walk_end says where it stopped. */
#define SPLITCKPT_SCAN_MAX_VEC		65536

/**
 * struct splitckpt_dirty_scan - report, and clear, dirty pages
 * @size:	sizeof(struct splitckpt_dirty_scan)
 * @flags:	SPLITCKPT_SCAN_* bits.
 * @start:	first address to scan, page aligned.
 * @end:	end of the scan, page aligned, above @start.
 * @vec:	user pointer to an array of struct splitckpt_range, or of
 *		struct splitckpt_region with SPLITCKPT_SCAN_REGIONS.
 * @vec_len:	entries in @vec (at most SPLITCKPT_SCAN_MAX_VEC are used).
 * @walk_end:	out: the scan covered [@start, @walk_end); it equals @end
 *		unless @vec filled up, in which case nothing at or above
 *		@walk_end was reported or cleared: scan again from there.
 * @nr_ranges:	out: ranges written to @vec, in ascending address order,
 *		adjacent dirty pages merged (with SPLITCKPT_SCAN_REGIONS, only
 *		those with the same SPLITCKPT_REGION_* flags).
 * @nr_pages:	out: pages in those ranges.
 * @tag_mask:	0 scans all of [@start, @end); otherwise only the parts whose
 *		tags (SPLITCKPT_IOC_TAG_SET) include one of these bits are
 *		scanned, and nothing elsewhere is reported or cleared.
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
 *   2 MiB-aligned block around it: munmap, and any split of a mapping at
 *   an address that is not 2 MiB aligned, as mmap over part of a mapping
 *   or mprotect of part of it do, report the present pages of that block);
 * - pages pinned for DMA (io_uring fixed buffers, RDMA), at every scan;
 * - hugetlb, VM_PFNMAP and VM_IO mappings, swapped or migrating huge pages
 *   and DAX mappings: always, whole;
 * - transparent huge pages at 2 MiB granularity; a huge page only partly
 *   inside [@start, @end) is reported but not cleared.
 * Writes made by the kernel on the target's behalf through a pin that was
 * both taken and released between two scans (process_vm_writev, O_DIRECT
 * reads) are seen in private anonymous memory, whose folio the kernel
 * marks dirty when it lets go of the pin; elsewhere they are not.
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
	__u64 tag_mask;
	__u64 reserved[3];
};

#define SPLITCKPT_DIRTY_SCAN_SIZE_VER0	96

/* Tags of address ranges. */
#define SPLITCKPT_TAG_UPPER		_BITULL(0)	/* upper half: saved */
#define SPLITCKPT_TAG_LOWER		_BITULL(1)	/* lower half: never saved */
#define SPLITCKPT_TAG_SKIP		_BITULL(2)	/* not saved, not the runtime's */
#define SPLITCKPT_TAGS			(SPLITCKPT_TAG_UPPER | \
					 SPLITCKPT_TAG_LOWER | \
					 SPLITCKPT_TAG_SKIP)

/**
 * struct splitckpt_tag_set - set and clear tags on the mapped pages of a range
 * @size:	sizeof(struct splitckpt_tag_set)
 * @flags:	must be zero.
 * @start:	first address, page aligned.
 * @end:	end, page aligned, above @start.
 * @set:	SPLITCKPT_TAG_* bits to set.
 * @clear:	SPLITCKPT_TAG_* bits to clear; disjoint from @set.
 * @nr_pages:	out: mapped pages in [@start, @end) that were updated.
 * @reserved:	must be zero.
 *
 * Tags belong to the memory of the attached address space, by address:
 * only the parts of the range that are mapped now are tagged (holes are
 * skipped, and a later mmap() there is untagged).  Tags stay with their
 * pages through mprotect(), madvise(), VMA splits and merges, and fork of
 * the target (the child is not tracked); they are dropped where the memory
 * is unmapped: munmap(), mmap(MAP_FIXED) over it, and the old range of
 * mremap() (the new range is untagged).  Each drop is counted and reported
 * by SPLITCKPT_IOC_TAG_QUERY.  Tags end with the attach (close of the file).
 *
 * Errors: -ENOTCONN before ATTACH; -ESRCH once the target's address space
 * is gone; -EINVAL for unknown flags or tag bits, overlapping @set and
 * @clear, reserved fields, or unaligned or empty ranges; -ENOSPC when more
 * than 65536 distinct tagged ranges would result.
 */
struct splitckpt_tag_set {
	__u32 size;
	__u32 flags;
	__u64 start;
	__u64 end;
	__u64 set;
	__u64 clear;
	__u64 nr_pages;
	__u64 reserved[3];
};

#define SPLITCKPT_TAG_SET_SIZE_VER0	72

/**
 * struct splitckpt_tag_range - tags of the pages [@start, @end)
 * @start:	first byte, page aligned
 * @end:	one past the last byte, page aligned
 * @tags:	SPLITCKPT_TAG_* bits, never 0
 */
struct splitckpt_tag_range {
	__u64 start;
	__u64 end;
	__u64 tags;
};

/**
 * struct splitckpt_tag_query - list the tagged ranges
 * @size:	sizeof(struct splitckpt_tag_query)
 * @flags:	must be zero.
 * @start:	first address, page aligned.
 * @end:	end, page aligned, above @start.
 * @vec:	user pointer to an array of struct splitckpt_tag_range.
 * @vec_len:	entries in @vec (at most SPLITCKPT_SCAN_MAX_VEC are used).
 * @walk_end:	out: the ranges cover [@start, @walk_end); @end unless @vec
 *		filled up.
 * @nr_ranges:	out: ranges written, ascending, clipped to the query and
 *		merged when adjacent with equal tags; untagged pages are
 *		left out.
 * @nr_dropped:	out: how many tagged ranges lost tags to an unmap since
 *		the previous query (the count then restarts from 0).
 * @reserved:	must be zero.
 *
 * Errors: as for SPLITCKPT_IOC_TAG_SET, and -EFAULT for a bad @vec.
 */
struct splitckpt_tag_query {
	__u32 size;
	__u32 flags;
	__u64 start;
	__u64 end;
	__u64 vec;
	__u64 vec_len;
	__u64 walk_end;
	__u64 nr_ranges;
	__u64 nr_dropped;
	__u64 reserved[3];
};

#define SPLITCKPT_TAG_QUERY_SIZE_VER0	88

/* Properties of a mapping in struct splitckpt_vma.flags. */
#define SPLITCKPT_VMF_READ		_BITULL(0)	/* PROT_READ */
#define SPLITCKPT_VMF_WRITE		_BITULL(1)	/* PROT_WRITE */
#define SPLITCKPT_VMF_EXEC		_BITULL(2)	/* PROT_EXEC */
#define SPLITCKPT_VMF_SHARED		_BITULL(3)	/* MAP_SHARED */
#define SPLITCKPT_VMF_FILE		_BITULL(4)	/* maps a file or shmem */
#define SPLITCKPT_VMF_HUGEPAGE		_BITULL(5)	/* MADV_HUGEPAGE */
#define SPLITCKPT_VMF_NOHUGEPAGE	_BITULL(6)	/* MADV_NOHUGEPAGE */
#define SPLITCKPT_VMF_DONTFORK		_BITULL(7)	/* MADV_DONTFORK */
#define SPLITCKPT_VMF_WIPEONFORK	_BITULL(8)	/* MADV_WIPEONFORK */
#define SPLITCKPT_VMF_DONTDUMP		_BITULL(9)	/* MADV_DONTDUMP */
#define SPLITCKPT_VMF_MERGEABLE		_BITULL(10)	/* MADV_MERGEABLE */
#define SPLITCKPT_VMF_LOCKED		_BITULL(11)	/* mlock() */

/**
 * struct splitckpt_vma - one mapping, clipped to the query
 * @start:	first byte, page aligned
 * @end:	one past the last byte, page aligned
 * @flags:	SPLITCKPT_VMF_* bits
 */
struct splitckpt_vma {
	__u64 start;
	__u64 end;
	__u64 flags;
};

/**
 * struct splitckpt_vma_query - list the mappings of the attached address space
 * @size:	sizeof(struct splitckpt_vma_query)
 * @flags:	must be zero.
 * @start:	first address, page aligned.
 * @end:	end, page aligned, above @start.
 * @vec:	user pointer to an array of struct splitckpt_vma.
 * @vec_len:	entries in @vec (at most SPLITCKPT_SCAN_MAX_VEC are used).
 * @walk_end:	out: the mappings listed cover what is mapped in
 *		[@start, @walk_end); @end unless @vec filled up.
 * @nr_vmas:	out: entries written, one per kernel mapping (VMA), in
 *		ascending order; holes are left out.
 * @reserved:	must be zero.
 *
 * What /proc/PID/smaps says in its first line and "VmFlags:", without
 * walking the page tables (so its cost does not grow with the memory
 * mapped); a snapshot taken under the mmap lock.
 *
 * Errors: -ENOTCONN before ATTACH; -ESRCH once the target's address space
 * is gone; -EINVAL for unknown flags, reserved fields, or unaligned or
 * empty ranges; -EFAULT for a bad @vec; -EINTR for a fatal signal.
 */
struct splitckpt_vma_query {
	__u32 size;
	__u32 flags;
	__u64 start;
	__u64 end;
	__u64 vec;
	__u64 vec_len;
	__u64 walk_end;
	__u64 nr_vmas;
	__u64 reserved[3];
};

#define SPLITCKPT_VMA_QUERY_SIZE_VER0	80

/* Longest directory string a checkpoint request carries, in bytes. */
#define SPLITCKPT_DIR_MAX		4095

/* A full checkpoint rather than an incremental one. */
#define SPLITCKPT_REQ_FULL		_BITUL(0)
#define SPLITCKPT_REQ_FLAGS		SPLITCKPT_REQ_FULL

/**
 * struct splitckpt_request - ask the agent for a checkpoint and wait for it
 * @size:	sizeof(struct splitckpt_request)
 * @flags:	SPLITCKPT_REQ_* bits, passed to the agent as they are.
 * @pid:	the process to checkpoint, in the caller's pid namespace;
 *		0 for the caller itself.
 * @timeout_ms:	how long to wait for the completion; 0 waits for ever.
 * @dir:	user pointer to the image directory, @dir_len bytes, not
 *		NUL-terminated and without NUL bytes; ignored when @dir_len
 *		is 0 (the agent's default directory).
 * @dir_len:	length of @dir, at most SPLITCKPT_DIR_MAX.
 * @status:	out: the agent's status, 0 or a negative errno value.
 * @id:		out: the request's identifier, as the agent saw it.
 * @generation:	out: the generation the agent wrote (agent-defined).
 * @reserved:	must be zero.
 *
 * Queues a request for the registered agent and blocks until the agent
 * completes it.  The ioctl returns 0 when the agent reported back (whatever
 * @status says); the output fields are written only then.
 *
 * Permission: the caller may checkpoint the target if it is the target, if
 * it has the same real, effective and saved user and group ids as the
 * target and the target is dumpable, or if it holds CAP_SYS_PTRACE or
 * CAP_CHECKPOINT_RESTORE in the target's user namespace.
 *
 * Output fields are ignored on input.
 *
 * Errors: -EPERM (no permission), -ESRCH (no such process), -EINVAL (bad
 * flags, reserved fields, @dir_len, or a NUL in @dir), -EFAULT, -ESHUTDOWN
 * (no agent is registered, or the agent went away before completing the
 * request), -EAGAIN (too many requests queued, see the max_requests
 * module parameter), -EINTR (a signal arrived; a request the agent had not
 * taken yet is withdrawn, one it had taken is still carried out but its
 * result is dropped), -ETIMEDOUT (@timeout_ms passed; same as -EINTR).
 */
struct splitckpt_request {
	__u32 size;
	__u32 flags;
	__s32 pid;
	__u32 timeout_ms;
	__u64 dir;
	__u32 dir_len;
	__s32 status;
	__u64 id;
	__u64 generation;
	__u64 reserved[4];
};

#define SPLITCKPT_REQUEST_SIZE_VER0	80

/**
 * struct splitckpt_agent_register - make this file the checkpoint agent
 * @size:	sizeof(struct splitckpt_agent_register)
 * @flags:	must be zero.
 * @reserved:	must be zero.
 *
 * At most one file is the agent at a time.  The agent receives requests
 * with SPLITCKPT_IOC_AGENT_NEXT; poll() on it reports EPOLLIN while a
 * request is waiting.  When the file is closed, every request it has not
 * completed, and every queued one, fails with -ESHUTDOWN.
 *
 * Errors: -EPERM without CAP_SYS_ADMIN or CAP_CHECKPOINT_RESTORE;
 * -EBUSY when another file is the agent; -EISCONN when this file already is.
 */
struct splitckpt_agent_register {
	__u32 size;
	__u32 flags;
	__u64 reserved[3];
};

#define SPLITCKPT_AGENT_REGISTER_SIZE_VER0	32

/* Fail with -EAGAIN instead of waiting when no request is queued. */
#define SPLITCKPT_NEXT_NONBLOCK		_BITUL(0)
#define SPLITCKPT_NEXT_FLAGS		SPLITCKPT_NEXT_NONBLOCK

/**
 * struct splitckpt_agent_next - take the oldest queued checkpoint request
 * @size:	sizeof(struct splitckpt_agent_next)
 * @flags:	SPLITCKPT_NEXT_* bits.  A file opened with O_NONBLOCK never
 *		waits either.
 * @id:		out: the request's identifier, for AGENT_COMPLETE.
 * @pid:	out: the target in the agent's pid namespace; 0 when the
 *		target has exited or is not visible there.
 * @uid:	out: the requester's user id in the agent's user namespace.
 * @req_flags:	out: the request's SPLITCKPT_REQ_* flags.
 * @dir_len:	in: the room at @dir; out: the length of the directory
 *		string (0: the agent's default).
 * @dir:	user pointer to a buffer for the directory string; no NUL is
 *		appended.
 * @reserved:	must be zero.
 *
 * Output fields other than @dir_len are ignored on input.
 *
 * Errors: -ENOTCONN when this file is not the agent; -EAGAIN (nothing
 * queued, non-blocking); -EINTR; -EMSGSIZE when @dir_len is too small: the
 * request stays queued and @dir_len says how much room it needs (the other
 * output fields are not written).
 */
struct splitckpt_agent_next {
	__u32 size;
	__u32 flags;
	__u64 id;
	__s32 pid;
	__u32 uid;
	__u32 req_flags;
	__u32 dir_len;
	__u64 dir;
	__u64 reserved[4];
};

#define SPLITCKPT_AGENT_NEXT_SIZE_VER0	72

/**
 * struct splitckpt_agent_complete - report the outcome of a request
 * @size:	sizeof(struct splitckpt_agent_complete)
 * @flags:	must be zero.
 * @id:		the request, as AGENT_NEXT returned it.
 * @status:	0, or a negative errno value in [-4095, -1].
 * @reserved0:	must be zero.
 * @generation:	the generation written, handed to the requester.
 * @reserved:	must be zero.
 *
 * Errors: -ENOTCONN when this file is not the agent; -ENOENT when the
 * agent holds no request with that @id (never taken, or completed already);
 * -EINVAL for a @status out of range.  Completing a request whose requester
 * has gone away succeeds.
 */
struct splitckpt_agent_complete {
	__u32 size;
	__u32 flags;
	__u64 id;
	__s32 status;
	__u32 reserved0;
	__u64 generation;
	__u64 reserved[3];
};

#define SPLITCKPT_AGENT_COMPLETE_SIZE_VER0	56

/* Command numbers; bit N of splitckpt_info.ioctls refers to number N. */
#define SPLITCKPT_NR_GET_INFO		0x00
#define SPLITCKPT_NR_ATTACH		0x01
#define SPLITCKPT_NR_DIRTY_SCAN		0x02
#define SPLITCKPT_NR_REQUEST		0x03
#define SPLITCKPT_NR_AGENT_REGISTER	0x04
#define SPLITCKPT_NR_AGENT_NEXT		0x05
#define SPLITCKPT_NR_AGENT_COMPLETE	0x06
#define SPLITCKPT_NR_TAG_SET		0x07
#define SPLITCKPT_NR_TAG_QUERY		0x08
#define SPLITCKPT_NR_VMA_QUERY		0x09

#define SPLITCKPT_IOC_GET_INFO \
	_IOWR(SPLITCKPT_IOC_TYPE, SPLITCKPT_NR_GET_INFO, struct splitckpt_info)
#define SPLITCKPT_IOC_ATTACH \
	_IOWR(SPLITCKPT_IOC_TYPE, SPLITCKPT_NR_ATTACH, struct splitckpt_attach)
#define SPLITCKPT_IOC_DIRTY_SCAN \
	_IOWR(SPLITCKPT_IOC_TYPE, SPLITCKPT_NR_DIRTY_SCAN, \
	      struct splitckpt_dirty_scan)
#define SPLITCKPT_IOC_REQUEST \
	_IOWR(SPLITCKPT_IOC_TYPE, SPLITCKPT_NR_REQUEST, struct splitckpt_request)
#define SPLITCKPT_IOC_AGENT_REGISTER \
	_IOWR(SPLITCKPT_IOC_TYPE, SPLITCKPT_NR_AGENT_REGISTER, \
	      struct splitckpt_agent_register)
#define SPLITCKPT_IOC_AGENT_NEXT \
	_IOWR(SPLITCKPT_IOC_TYPE, SPLITCKPT_NR_AGENT_NEXT, \
	      struct splitckpt_agent_next)
#define SPLITCKPT_IOC_AGENT_COMPLETE \
	_IOWR(SPLITCKPT_IOC_TYPE, SPLITCKPT_NR_AGENT_COMPLETE, \
	      struct splitckpt_agent_complete)
#define SPLITCKPT_IOC_TAG_SET \
	_IOWR(SPLITCKPT_IOC_TYPE, SPLITCKPT_NR_TAG_SET, struct splitckpt_tag_set)
#define SPLITCKPT_IOC_TAG_QUERY \
	_IOWR(SPLITCKPT_IOC_TYPE, SPLITCKPT_NR_TAG_QUERY, \
	      struct splitckpt_tag_query)
#define SPLITCKPT_IOC_VMA_QUERY \
	_IOWR(SPLITCKPT_IOC_TYPE, SPLITCKPT_NR_VMA_QUERY, \
	      struct splitckpt_vma_query)

#endif /* _UAPI_LINUX_SPLITCKPT_H */

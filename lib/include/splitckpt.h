/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libsplitckpt: the split-process runtime and the client of /dev/splitckpt.
 *
 * Every function returns 0 or a non-negative result on success and -errno on
 * failure; none sets errno or prints.
 */
#ifndef SPLITCKPT_H
#define SPLITCKPT_H

#include <stdint.h>
#include <sys/types.h>
#include <linux/splitckpt.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Open /dev/splitckpt read-write, close-on-exec.  Returns an fd. */
int sp_kmod_open(void);

/*
 * Ask the module what it supports.  On success @info holds every field the
 * module and this library both know; fields only this library knows are 0.
 */
int sp_kmod_get_info(int fd, struct splitckpt_info *info);

/*
 * Track the address space of @pid (0: the caller) with the file @fd; the
 * tracking ends when @fd is closed.  Errors: -EPERM, -ESRCH, -EBUSY
 * (somebody else tracks it), -EISCONN.
 */
int sp_kmod_attach(int fd, pid_t pid);

/*
 * Report, and unless @flags has SPLITCKPT_SCAN_REPORT_ONLY clear, the dirty
 * pages of [@start, @end) into @vec (@len entries, at most
 * SPLITCKPT_SCAN_MAX_VEC used).  Returns the number of ranges written and
 * stores in *@walk_end where the scan stopped (@end unless @vec filled up).
 * Errors: -ENOTCONN, -ESRCH, -EINVAL.
 */
int sp_kmod_dirty_scan(int fd, uint64_t start, uint64_t end, unsigned int flags,
		       struct splitckpt_range *vec, unsigned int len,
		       uint64_t *walk_end);

/*
 * The same, into struct splitckpt_region entries that also say what is
 * mapped there (SPLITCKPT_REGION_*; the module has SPLITCKPT_FEAT_REGIONS).
 * -EINVAL from a module without it.
 */
int sp_kmod_dirty_regions(int fd, uint64_t start, uint64_t end, unsigned int flags,
			  struct splitckpt_region *vec, unsigned int len,
			  uint64_t *walk_end);

/* Set and clear SPLITCKPT_TAG_* bits on the mapped pages of [@start, @end). */
int sp_kmod_tag_set(int fd, uint64_t start, uint64_t end, uint64_t set,
		    uint64_t clear);

/*
 * The tagged ranges of [@start, @end) into @vec (@len entries); returns how
 * many were written and stores in *@walk_end where the listing stopped.
 */
int sp_kmod_tag_query(int fd, uint64_t start, uint64_t end,
		      struct splitckpt_tag_range *vec, unsigned int len,
		      uint64_t *walk_end);

/*
 * The mappings of [@start, @end) with their SPLITCKPT_VMF_* properties into
 * @vec (@len entries); returns how many were written and stores in
 * *@walk_end where the listing stopped.  -ENOTTY from a module without it.
 */
int sp_kmod_vma_query(int fd, uint64_t start, uint64_t end,
		      struct splitckpt_vma *vec, unsigned int len,
		      uint64_t *walk_end);

/*
 * Ask the registered agent for a checkpoint of @pid (0: the caller) and wait
 * until it completes.  @flags are SPLITCKPT_REQ_* bits; @dir is the image
 * directory, or NULL for the agent's default.  On success returns 0 and
 * stores the agent's status (0 or -errno) in *@status and the generation it
 * wrote in *@gen (either pointer may be NULL).  Errors: -EPERM, -ESRCH,
 * -ESHUTDOWN (no agent, or it went away), -EAGAIN (queue full), -EINTR,
 * -ENAMETOOLONG (@dir longer than SPLITCKPT_DIR_MAX).
 */
int sp_kmod_request(int fd, pid_t pid, unsigned int flags, const char *dir,
		    int *status, uint64_t *gen);

/* Make @fd the checkpoint agent (needs CAP_SYS_ADMIN or CAP_CHECKPOINT_RESTORE). */
int sp_kmod_agent_register(int fd);

/* One checkpoint request, as the agent receives it. */
struct sp_kmod_req {
	uint64_t id;		/* for sp_kmod_agent_complete() */
	pid_t pid;		/* 0 when the target is gone */
	uid_t uid;		/* the requester's */
	unsigned int flags;	/* SPLITCKPT_REQ_* */
	char dir[SPLITCKPT_DIR_MAX + 1];	/* "" for the default */
};

/*
 * Take the oldest queued request.  Blocks unless @fd is O_NONBLOCK (then
 * -EAGAIN when nothing is queued); poll() reports POLLIN while a request
 * waits.  Errors: -ENOTCONN (not the agent), -EAGAIN, -EINTR.
 */
int sp_kmod_agent_next(int fd, struct sp_kmod_req *req);

/*
 * Report the outcome of request @id: @status is 0 or -errno, @gen the
 * generation written.  Errors: -ENOTCONN, -ENOENT (unknown @id), -EINVAL.
 */
int sp_kmod_agent_complete(int fd, uint64_t id, int status, uint64_t gen);

#ifdef __cplusplus
}
#endif

#endif /* SPLITCKPT_H */

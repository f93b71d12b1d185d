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

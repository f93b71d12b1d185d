/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The agent protocol: a client asks splitckptd, over a unix SOCK_SEQPACKET
 * socket, to checkpoint a process; the agent checks the client's peer
 * credentials against the process's owner, forwards the embedded runtime
 * request unchanged to the process's control socket (ctl.c) and relays the
 * runtime's reply.  One request and one reply per connection.
 *
 * Both structs start with their size, which is their version: a peer only
 * accepts the size it was built with, and answers -EINVAL otherwise.
 */
#ifndef SP_AGENT_H
#define SP_AGENT_H

#include <stdint.h>

#include "runtime.h"

#define SP_AGENT_SOCKET	"/run/splitckpt/agent.sock"
/* Overrides SP_AGENT_SOCKET for the splitckpt command (tests, non-root). */
#define SP_AGENT_SOCKET_ENV	"SPLITCKPT_AGENT_SOCKET"

struct sp_agent_request {
	uint32_t size;		/* sizeof(struct sp_agent_request) */
	uint32_t flags;		/* none defined yet: must be 0 */
	int32_t pid;		/* the process to checkpoint */
	uint32_t reserved;	/* must be 0 */
	/*
	 * Passed to the process's runtime as it is; an empty ctl.dir means
	 * the runtime's own default directory.
	 */
	struct sp_ctl_request ctl;
};

struct sp_agent_reply {
	uint32_t size;		/* sizeof(struct sp_agent_reply) */
	uint32_t flags;		/* none defined yet: 0 */
	struct sp_ctl_reply ctl;	/* status 0 or -errno, and what happened */
};

/* How the splitckpt command reaches a process. */
enum sp_via {
	SP_VIA_AUTO,		/* the first of these that answers */
	SP_VIA_AGENT,		/* the agent's socket */
	SP_VIA_DIRECT,		/* the program's control socket */
	SP_VIA_DEVICE,		/* /dev/splitckpt, served by the agent */
};

/* agentclient.c */
/* "auto", "agent", "direct" or "device" as an SP_VIA_*, or -EINVAL. */
int sp_via_parse(const char *s);
/* $SPLITCKPT_AGENT_SOCKET, else SP_AGENT_SOCKET. */
const char *sp_agent_socket(void);
/*
 * One request to the agent listening at @path.  -ENOENT, -ECONNREFUSED or
 * -EACCES: no agent there; other errors: the agent failed after the
 * request was sent (the runtime may still have written the generation).
 */
int sp_agent_request(const char *path, int pid, const struct sp_ctl_request *req,
		     struct sp_ctl_reply *reply);
/*
 * A checkpoint request routed as @via says; auto tries /dev/splitckpt
 * (when the module is loaded and an agent serves it), then the agent's
 * socket, then the program itself.  Through the device only the status
 * and the generation come back (reply->brief is set).  Returns 0 when @reply holds
 * the outcome (reply->status and reply->msg say what failed, including an
 * agent that cannot be reached with SP_VIA_AGENT), or the -errno of the
 * direct path (sp_ctl_request()).  Progress (SP_CTL_PROGRESS) reaches @fn
 * only on the direct path.
 */
int sp_checkpoint_request(int via, int pid, const struct sp_ctl_request *req,
			  struct sp_ctl_reply *reply, sp_progress_fn fn, void *arg);

#endif /* SP_AGENT_H */

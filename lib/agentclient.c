// SPDX-License-Identifier: LGPL-2.1-or-later
/* The client side of the agent protocol (agent.h), and the CLI's routing. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "agent.h"
#include "splitckpt.h"

int sp_via_parse(const char *s)
{
	if (!strcmp(s, "auto"))
		return SP_VIA_AUTO;
	if (!strcmp(s, "agent"))
		return SP_VIA_AGENT;
	if (!strcmp(s, "direct"))
		return SP_VIA_DIRECT;
	if (!strcmp(s, "device"))
		return SP_VIA_DEVICE;
	return -EINVAL;
}

const char *sp_agent_socket(void)
{
	const char *p = secure_getenv(SP_AGENT_SOCKET_ENV);

	return p && *p ? p : SP_AGENT_SOCKET;
}

static int agent_connect(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	size_t n = strlen(path);
	int fd, r;

	if (n == 0 || n >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	memcpy(sun.sun_path, path, n);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun))) {
		r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

static int agent_exchange(int fd, int pid, const struct sp_ctl_request *req,
			  struct sp_ctl_reply *reply)
{
	struct sp_agent_request areq;
	struct sp_agent_reply *arep;
	ssize_t n;
	int r = 0;

	memset(&areq, 0, sizeof(areq));
	areq.size = sizeof(areq);
	areq.pid = pid;
	areq.ctl = *req;
	if (send(fd, &areq, sizeof(areq), MSG_NOSIGNAL) != sizeof(areq))
		return -errno;
	arep = malloc(sizeof(*arep));
	if (!arep)
		return -ENOMEM;
	n = recv(fd, arep, sizeof(*arep), MSG_TRUNC);
	if (n < 0)
		r = -errno;
	else if (n == 0)
		r = -ECONNRESET;	/* the agent went away */
	else if (n != sizeof(*arep) || arep->size != sizeof(*arep))
		r = -EPROTO;
	else
		*reply = arep->ctl;
	free(arep);
	return r;
}

int sp_agent_request(const char *path, int pid, const struct sp_ctl_request *req,
		     struct sp_ctl_reply *reply)
{
	int fd = agent_connect(path), r;

	if (fd < 0)
		return fd;
	r = agent_exchange(fd, pid, req, reply);
	close(fd);
	return r;
}

static int no_agent(int r)
{
	return r == -ENOENT || r == -ECONNREFUSED || r == -EACCES;
}

static void fail(struct sp_ctl_reply *reply, int r, const char *fmt, ...)
{
	va_list ap;

	memset(reply, 0, sizeof(*reply));
	va_start(ap, fmt);
	reply->status = sp_explain(reply->msg, sizeof(reply->msg), r, fmt, ap);
	va_end(ap);
}

/* Through the module; -ENOENT/-ESHUTDOWN: no module, or no agent serving it. */
static int device_request(int pid, const struct sp_ctl_request *req,
			  struct sp_ctl_reply *reply)
{
	int fd = sp_kmod_open(), status, r;
	uint64_t gen;

	if (fd < 0)
		return fd;
	r = sp_kmod_request(fd, pid, req->flags & SP_CTL_FULL ? SPLITCKPT_REQ_FULL : 0,
			    req->dir[0] ? req->dir : NULL, &status, &gen);
	close(fd);
	if (r)
		return r;
	memset(reply, 0, sizeof(*reply));
	reply->status = status;
	reply->generation = gen;
	reply->brief = 1;
	if (status)
		snprintf(reply->msg, sizeof(reply->msg), "%s (through /dev/%s)",
			 strerror(-status), SPLITCKPT_DEVICE_NAME);
	else
		snprintf(reply->msg, sizeof(reply->msg), "%s",
			 req->dir[0] ? req->dir : "its image directory");
	return 0;
}

int sp_checkpoint_request(int via, int pid, const struct sp_ctl_request *req,
			  struct sp_ctl_reply *reply, sp_progress_fn fn, void *arg)
{
	const char *path = sp_agent_socket();
	int fd, r, local;

	if (via == SP_VIA_DIRECT)
		return sp_ctl_request_progress(pid, req, reply, fn, arg);
	/*
	 * --kill needs the program itself, and the device carries neither
	 * the number of pre-copy passes nor the compression level.
	 */
	local = (req->flags & SP_CTL_KILL) || req->precopy || req->compress;
	if (via == SP_VIA_DEVICE && local) {
		fail(reply, -EOPNOTSUPP, "--kill, --precopy and --compress do not go through /dev/%s",
		     SPLITCKPT_DEVICE_NAME);
		return 0;
	}
	if (via == SP_VIA_DEVICE || (via == SP_VIA_AUTO && !local)) {
		r = device_request(pid, req, reply);
		if (!r)
			return 0;
		if (via == SP_VIA_DEVICE || (r != -ENOENT && r != -ESHUTDOWN &&
					     r != -ENODEV && r != -ENXIO)) {
			if (r == -ESHUTDOWN)
				fail(reply, r, "/dev/%s: no agent serves it (is splitckptd running?)",
				     SPLITCKPT_DEVICE_NAME);
			else
				fail(reply, r, "/dev/%s", SPLITCKPT_DEVICE_NAME);
			return 0;
		}
	}
	fd = agent_connect(path);
	if (fd < 0 && via == SP_VIA_AUTO && no_agent(fd))
		return sp_ctl_request_progress(pid, req, reply, fn, arg);
	if (fd < 0) {
		fail(reply, fd, "no agent at %s", path);
		return 0;
	}
	r = agent_exchange(fd, pid, req, reply);
	close(fd);
	if (r)
		fail(reply, r, "the agent at %s failed", path);
	return 0;
}

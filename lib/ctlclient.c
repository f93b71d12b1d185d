// SPDX-License-Identifier: LGPL-2.1-or-later
/* The client side of the control channel (see ctl.c). */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "runtime.h"

unsigned int sp_ctl_addr(int pid, struct sockaddr_un *sun)
{
	int n;

	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	n = snprintf(sun->sun_path + 1, sizeof(sun->sun_path) - 1, SP_CTL_NAME, pid);
	return offsetof(struct sockaddr_un, sun_path) + 1 + n;
}

int sp_ctl_request_progress(int pid, const struct sp_ctl_request *req,
			    struct sp_ctl_reply *reply, sp_progress_fn fn, void *arg)
{
	struct sockaddr_un sun;
	socklen_t len = sp_ctl_addr(pid, &sun);
	ssize_t n;
	int fd, r = 0;

	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sun, len) ||
	    send(fd, req, sizeof(*req), MSG_NOSIGNAL) != sizeof(*req)) {
		r = -errno;
		goto out;
	}
	/* Progress messages are shorter than the reply; they come first. */
	while ((n = recv(fd, reply, sizeof(*reply), 0)) == sizeof(struct sp_ctl_progress)) {
		if (fn)
			fn(arg, (const struct sp_ctl_progress *)reply);
	}
	if (n != sizeof(*reply))
		r = n < 0 ? -errno : -EPROTO;
out:
	close(fd);
	return r;
}

int sp_ctl_request(int pid, const struct sp_ctl_request *req,
		   struct sp_ctl_reply *reply)
{
	return sp_ctl_request_progress(pid, req, reply, NULL, NULL);
}

// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Client of /dev/splitckpt.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "splitckpt.h"

int sp_kmod_open(void)
{
	int fd = open("/dev/" SPLITCKPT_DEVICE_NAME, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int sp_kmod_get_info(int fd, struct splitckpt_info *info)
{
	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	if (ioctl(fd, SPLITCKPT_IOC_GET_INFO, info))
		return -errno;
	return 0;
}

int sp_kmod_request(int fd, pid_t pid, unsigned int flags, const char *dir,
		    int *status, uint64_t *gen)
{
	struct splitckpt_request r;
	size_t len = dir ? strlen(dir) : 0;

	if (len > SPLITCKPT_DIR_MAX)
		return -ENAMETOOLONG;
	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.flags = flags;
	r.pid = pid;
	r.dir = (uintptr_t)dir;
	r.dir_len = len;
	if (ioctl(fd, SPLITCKPT_IOC_REQUEST, &r))
		return -errno;
	if (status)
		*status = r.status;
	if (gen)
		*gen = r.generation;
	return 0;
}

int sp_kmod_agent_register(int fd)
{
	struct splitckpt_agent_register r;

	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	return ioctl(fd, SPLITCKPT_IOC_AGENT_REGISTER, &r) ? -errno : 0;
}

int sp_kmod_agent_next(int fd, struct sp_kmod_req *req)
{
	struct splitckpt_agent_next n;

	memset(&n, 0, sizeof(n));
	n.size = sizeof(n);
	n.dir = (uintptr_t)req->dir;
	n.dir_len = SPLITCKPT_DIR_MAX;
	if (ioctl(fd, SPLITCKPT_IOC_AGENT_NEXT, &n))
		return -errno;
	req->id = n.id;
	req->pid = n.pid;
	req->uid = n.uid;
	req->flags = n.req_flags;
	req->dir[n.dir_len] = '\0';
	return 0;
}

int sp_kmod_agent_complete(int fd, uint64_t id, int status, uint64_t gen)
{
	struct splitckpt_agent_complete c;

	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	c.id = id;
	c.status = status;
	c.generation = gen;
	return ioctl(fd, SPLITCKPT_IOC_AGENT_COMPLETE, &c) ? -errno : 0;
}

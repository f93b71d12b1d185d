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

int sp_kmod_attach(int fd, pid_t pid)
{
	struct splitckpt_attach a;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.pid = pid;
	return ioctl(fd, SPLITCKPT_IOC_ATTACH, &a) ? -errno : 0;
}

static int dirty_scan(int fd, uint64_t start, uint64_t end, unsigned int flags,
		      void *vec, unsigned int len, uint64_t *walk_end)
{
	struct splitckpt_dirty_scan d;

	memset(&d, 0, sizeof(d));
	d.size = sizeof(d);
	d.flags = flags;
	d.start = start;
	d.end = end;
	d.vec = (uintptr_t)vec;
	d.vec_len = len;
	if (ioctl(fd, SPLITCKPT_IOC_DIRTY_SCAN, &d))
		return -errno;
	*walk_end = d.walk_end;
	return (int)d.nr_ranges;
}

int sp_kmod_dirty_scan(int fd, uint64_t start, uint64_t end, unsigned int flags,
		       struct splitckpt_range *vec, unsigned int len,
		       uint64_t *walk_end)
{
	if (flags & SPLITCKPT_SCAN_REGIONS)
		return -EINVAL;
	return dirty_scan(fd, start, end, flags, vec, len, walk_end);
}

int sp_kmod_dirty_regions(int fd, uint64_t start, uint64_t end, unsigned int flags,
			  struct splitckpt_region *vec, unsigned int len,
			  uint64_t *walk_end)
{
	return dirty_scan(fd, start, end, flags | SPLITCKPT_SCAN_REGIONS, vec, len,
			  walk_end);
}

int sp_kmod_tag_set(int fd, uint64_t start, uint64_t end, uint64_t set,
		    uint64_t clear)
{
	struct splitckpt_tag_set t;

	memset(&t, 0, sizeof(t));
	t.size = sizeof(t);
	t.start = start;
	t.end = end;
	t.set = set;
	t.clear = clear;
	return ioctl(fd, SPLITCKPT_IOC_TAG_SET, &t) ? -errno : 0;
}

int sp_kmod_tag_query(int fd, uint64_t start, uint64_t end,
		      struct splitckpt_tag_range *vec, unsigned int len,
		      uint64_t *walk_end)
{
	struct splitckpt_tag_query q;

	memset(&q, 0, sizeof(q));
	q.size = sizeof(q);
	q.start = start;
	q.end = end;
	q.vec = (uintptr_t)vec;
	q.vec_len = len;
	if (ioctl(fd, SPLITCKPT_IOC_TAG_QUERY, &q))
		return -errno;
	*walk_end = q.walk_end;
	return (int)q.nr_ranges;
}

int sp_kmod_vma_query(int fd, uint64_t start, uint64_t end,
		      struct splitckpt_vma *vec, unsigned int len,
		      uint64_t *walk_end)
{
	struct splitckpt_vma_query q;

	memset(&q, 0, sizeof(q));
	q.size = sizeof(q);
	q.start = start;
	q.end = end;
	q.vec = (uintptr_t)vec;
	q.vec_len = len;
	if (ioctl(fd, SPLITCKPT_IOC_VMA_QUERY, &q))
		return -errno;
	*walk_end = q.walk_end;
	return (int)q.nr_vmas;
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

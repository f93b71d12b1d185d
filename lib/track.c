// SPDX-License-Identifier: LGPL-2.1-or-later
/* The uffd-wp dirty-page tracker (see track.h). */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>

#include "runtime.h"
#include "track.h"

#define NVEC	512

static int uffd = -1, pagemap = -1;

int sp_track_enabled(void)
{
	return uffd >= 0;
}

int sp_track_init(void)
{
	struct uffdio_api api = {
		.api = UFFD_API,
		.features = UFFD_FEATURE_WP_ASYNC,
	};
	struct pm_scan_arg probe = { .size = sizeof(probe) };
	int fd, pm, r;

	if (uffd >= 0)
		return 0;
	/* User faults only: needs no privilege; async faults never wait. */
	fd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY);
	if (fd < 0)
		return errno == ENOSYS ? -EOPNOTSUPP : -errno;
	if (ioctl(fd, UFFDIO_API, &api)) {
		r = errno == EINVAL ? -EOPNOTSUPP : -errno;
		goto fail_uffd;
	}
	if (!(api.features & UFFD_FEATURE_WP_ASYNC) ||
	    !(api.ioctls & (1ULL << _UFFDIO_REGISTER))) {
		r = -EOPNOTSUPP;
		goto fail_uffd;
	}
	pm = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (pm < 0) {
		r = -errno;
		goto fail_uffd;
	}
	/* An empty range: ENOTTY before Linux 6.7. */
	if (ioctl(pm, PAGEMAP_SCAN, &probe) < 0) {
		r = errno == ENOTTY || errno == EINVAL ? -EOPNOTSUPP : -errno;
		close(pm);
		goto fail_uffd;
	}
	/* Lower-half descriptors: high, and never saved as the program's. */
	uffd = sp_fd_high(fd);
	pagemap = sp_fd_high(pm);
	sp_ckpt_ctx.lh_fds[2] = uffd;
	sp_ckpt_ctx.lh_fds[3] = pagemap;
	return 0;
fail_uffd:
	close(fd);
	return r;
}

int sp_track_register(uint64_t start, uint64_t end)
{
	struct uffdio_register reg = {
		.range = { .start = start, .len = end - start },
		.mode = UFFDIO_REGISTER_MODE_WP,
	};

	if (uffd < 0)
		return -EOPNOTSUPP;
	return ioctl(uffd, UFFDIO_REGISTER, &reg) ? -errno : 0;
}

int sp_track_scan(uint64_t start, uint64_t end, sp_track_fn fn, void *arg)
{
	struct page_region vec[NVEC];
	struct pm_scan_arg a = {
		.size = sizeof(a),
		.flags = PM_SCAN_WP_MATCHING | PM_SCAN_CHECK_WPASYNC,
		.vec = (uintptr_t)vec,
		.vec_len = NVEC,
		.return_mask = PAGE_IS_WRITTEN | PAGE_IS_PRESENT |
			       PAGE_IS_SWAPPED | PAGE_IS_PFNZERO,
	};
	int n, i, r;

	if (uffd < 0)
		return -EOPNOTSUPP;
	while (start < end) {
		a.start = start;
		a.end = end;
		n = ioctl(pagemap, PAGEMAP_SCAN, &a);
		if (n < 0)
			return -errno;
		for (i = 0; fn && i < n; i++) {
			r = fn(arg, vec[i].start, vec[i].end, vec[i].categories);
			if (r)
				return r;
		}
		if (a.walk_end <= start)
			return -EIO;	/* no progress: should not happen */
		start = a.walk_end;
	}
	return 0;
}

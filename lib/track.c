// SPDX-License-Identifier: LGPL-2.1-or-later
/* Dirty-page trackers: uffd-wp and soft-dirty (see track.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "track.h"

#define NVEC		512
#define PM_PRESENT	(1ULL << 63)
#define PM_SWAPPED	(1ULL << 62)
#define PM_SOFT_DIRTY	(1ULL << 55)

static enum sp_tracker backend = SP_TRACK_NONE;
static int uffd = -1, pagemap = -1, clear_refs = -1;

const char *sp_track_name(enum sp_tracker t)
{
	switch (t) {
	case SP_TRACK_UFFD_WP:
		return "uffd-wp";
	case SP_TRACK_SOFT_DIRTY:
		return "soft-dirty";
	default:
		return "none";
	}
}

static int open_uffd(int *fd)
{
	struct uffdio_api api = {
		.api = UFFD_API,
		.features = UFFD_FEATURE_WP_ASYNC,
	};
	int r;

	/* User faults only: needs no privilege; async faults never wait. */
	*fd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY);
	if (*fd < 0)
		return errno == ENOSYS ? -EOPNOTSUPP : -errno;
	if (ioctl(*fd, UFFDIO_API, &api)) {
		r = errno == EINVAL ? -EOPNOTSUPP : -errno;
		goto fail;
	}
	if (!(api.features & UFFD_FEATURE_WP_ASYNC) ||
	    !(api.ioctls & (1ULL << _UFFDIO_REGISTER))) {
		r = -EOPNOTSUPP;
		goto fail;
	}
	return 0;
fail:
	close(*fd);
	return r;
}

/* PAGEMAP_SCAN on an empty range: ENOTTY before Linux 6.7. */
static int check_scan(int pm)
{
	struct pm_scan_arg probe = { .size = sizeof(probe) };

	if (ioctl(pm, PAGEMAP_SCAN, &probe) < 0)
		return errno == ENOTTY || errno == EINVAL ? -EOPNOTSUPP : -errno;
	return 0;
}

static int read_pm(int pm, uint64_t addr, uint64_t *ent)
{
	return pread(pm, ent, 8, addr / 4096 * 8) == 8 ? 0 : -EIO;
}

/*
 * Soft-dirty must really work: without CONFIG_MEM_SOFT_DIRTY the kernel
 * accepts clear_refs "4" and never sets the bit.
 */
static int check_soft_dirty(int pm, int cr)
{
	volatile char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t before, after;
	int r;

	if (p == MAP_FAILED)
		return -errno;
	p[0] = 1;
	r = write(cr, "4", 1) == 1 ? 0 : -errno;
	if (!r)
		r = read_pm(pm, (uintptr_t)p, &before);
	p[0] = 2;
	if (!r)
		r = read_pm(pm, (uintptr_t)p, &after);
	munmap((void *)p, 4096);
	if (!r && ((before & PM_SOFT_DIRTY) || !(after & PM_SOFT_DIRTY)))
		r = -EOPNOTSUPP;
	return r;
}

/* Open what backend @t needs into @fds (uffd/clear_refs, pagemap). */
static int open_backend(enum sp_tracker t, int fds[2])
{
	int r;

	fds[0] = fds[1] = -1;
	if (t == SP_TRACK_NONE)
		return 0;
	fds[1] = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fds[1] < 0)
		return -errno;
	if (t == SP_TRACK_UFFD_WP) {
		r = check_scan(fds[1]);
		if (!r)
			r = open_uffd(&fds[0]);
	} else {
		fds[0] = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);
		r = fds[0] < 0 ? -errno : check_soft_dirty(fds[1], fds[0]);
	}
	if (r) {
		if (fds[0] >= 0)
			close(fds[0]);
		close(fds[1]);
		fds[0] = fds[1] = -1;
	}
	return r;
}

int sp_track_probe(enum sp_tracker t)
{
	int fds[2], r = open_backend(t, fds);

	if (!r && fds[0] >= 0)
		close(fds[0]);
	if (!r && fds[1] >= 0)
		close(fds[1]);
	return r;
}

enum sp_tracker sp_track_init(int (*place)(int fd))
{
	static const enum sp_tracker order[] = { SP_TRACK_UFFD_WP, SP_TRACK_SOFT_DIRTY };
	const char *want = getenv("SPLITCKPT_TRACKER");
	int fds[2];
	size_t i;

	if (backend != SP_TRACK_NONE)
		return backend;
	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		if (want && strcmp(want, sp_track_name(order[i])))
			continue;
		if (!open_backend(order[i], fds))
			break;
	}
	if (i == sizeof(order) / sizeof(order[0]))
		return SP_TRACK_NONE;
	backend = order[i];
	pagemap = place ? place(fds[1]) : fds[1];
	if (backend == SP_TRACK_UFFD_WP)
		uffd = place ? place(fds[0]) : fds[0];
	else
		clear_refs = place ? place(fds[0]) : fds[0];
	return backend;
}

enum sp_tracker sp_track_backend(void)
{
	return backend;
}

void sp_track_fds(int fds[2])
{
	fds[0] = backend == SP_TRACK_UFFD_WP ? uffd : clear_refs;
	fds[1] = pagemap;
}

/* Is the two-letter flag @f in a "VmFlags:" line? */
static int has_vmflag(const char *line, const char *f)
{
	const char *p = strchr(line, ':');

	for (p = p ? p + 1 : line; *p; p++) {
		if (p[0] == f[0] && p[1] == f[1] && p[-1] == ' ' &&
		    (p[2] == ' ' || p[2] == '\n' || !p[2]))
			return 1;
	}
	return 0;
}

int sp_track_follows(const char *vmflags)
{
	switch (backend) {
	case SP_TRACK_UFFD_WP:
		return has_vmflag(vmflags, "uw");	/* registered */
	case SP_TRACK_SOFT_DIRTY:
		return !has_vmflag(vmflags, "sd");	/* not new since clear_refs */
	default:
		return 0;
	}
}

int sp_track_register(uint64_t start, uint64_t end)
{
	struct uffdio_register reg = {
		.range = { .start = start, .len = end - start },
		.mode = UFFDIO_REGISTER_MODE_WP,
	};

	switch (backend) {
	case SP_TRACK_UFFD_WP:
		return ioctl(uffd, UFFDIO_REGISTER, &reg) ? -errno : 0;
	case SP_TRACK_SOFT_DIRTY:
		return 0;
	default:
		return -EOPNOTSUPP;
	}
}

static int scan_uffd(uint64_t start, uint64_t end, sp_track_fn fn, void *arg)
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

/* Soft-dirty: the page map, in runs of equal categories. */
static int scan_soft_dirty(uint64_t start, uint64_t end, sp_track_fn fn, void *arg)
{
	uint64_t ent[4096], run = start, cat = 0, c;
	int r;

	if (!fn)
		return 0;
	while (start < end) {
		uint64_t n = (end - start) / 4096, i;

		if (n > 4096)
			n = 4096;
		if (pread(pagemap, ent, n * 8, start / 4096 * 8) != (ssize_t)(n * 8))
			return -EIO;
		for (i = 0; i < n; i++, start += 4096) {
			c = (ent[i] & PM_PRESENT ? PAGE_IS_PRESENT : 0) |
			    (ent[i] & PM_SWAPPED ? PAGE_IS_SWAPPED : 0);
			/*
			 * Written, or gone (MADV_DONTNEED leaves no trace but
			 * an empty entry: report it as written, not present).
			 */
			if ((ent[i] & PM_SOFT_DIRTY) || !c)
				c |= PAGE_IS_WRITTEN;
			if (start != run && c != cat) {
				r = fn(arg, run, start, cat);
				if (r)
					return r;
				run = start;
			}
			cat = c;
		}
	}
	return run < end ? fn(arg, run, end, cat) : 0;
}

int sp_track_scan(uint64_t start, uint64_t end, sp_track_fn fn, void *arg)
{
	switch (backend) {
	case SP_TRACK_UFFD_WP:
		return scan_uffd(start, end, fn, arg);
	case SP_TRACK_SOFT_DIRTY:
		return scan_soft_dirty(start, end, fn, arg);
	default:
		return -EOPNOTSUPP;
	}
}

int sp_track_epoch(void)
{
	if (backend != SP_TRACK_SOFT_DIRTY)
		return 0;
	return pwrite(clear_refs, "4", 1, 0) == 1 ? 0 : -errno;
}

// SPDX-License-Identifier: LGPL-2.1-or-later
/* Dirty-page trackers: the module, uffd-wp and soft-dirty (see track.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "splitckpt.h"
#include "track.h"

#define NVEC		512
#define MODULE_NVEC	8192
#define PM_PRESENT	(1ULL << 63)
#define PM_SWAPPED	(1ULL << 62)
#define PM_SOFT_DIRTY	(1ULL << 55)

const enum sp_tracker sp_track_order[SP_TRACK_NR] = {
	SP_TRACK_MODULE, SP_TRACK_UFFD_WP, SP_TRACK_SOFT_DIRTY,
};

static enum sp_tracker backend = SP_TRACK_NONE;
/* uffd, clear_refs or /dev/splitckpt, as the backend needs */
static int track_fd = -1, pagemap = -1;
/* The process whose address space the descriptors are bound to. */
static pid_t owner;
/* The module says what is mapped in its dirty ranges (SPLITCKPT_FEAT_REGIONS). */
static int module_regions;

const char *sp_track_name(enum sp_tracker t)
{
	switch (t) {
	case SP_TRACK_UFFD_WP:
		return "uffd-wp";
	case SP_TRACK_SOFT_DIRTY:
		return "soft-dirty";
	case SP_TRACK_MODULE:
		return "module";
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

/*
 * The module, attached to this process: it must offer dirty tracking and
 * tags.  No device (module not loaded) is "not supported".
 */
static int open_module(int *fd)
{
	struct splitckpt_info info;
	uint64_t want = SPLITCKPT_FEAT_DIRTY | SPLITCKPT_FEAT_TAGS;
	int r;

	*fd = sp_kmod_open();
	if (*fd < 0)
		return *fd == -ENOENT || *fd == -ENODEV || *fd == -ENXIO ?
		       -EOPNOTSUPP : *fd;
	r = sp_kmod_get_info(*fd, &info);
	if (!r && (info.features & want) != want)
		r = -EOPNOTSUPP;
	if (!r && info.page_size != 4096)
		r = -EOPNOTSUPP;
	if (!r)
		r = sp_kmod_attach(*fd, 0);
	module_regions = !r && (info.features & SPLITCKPT_FEAT_REGIONS);
	if (r) {
		close(*fd);
		*fd = -1;
	}
	return r;
}

/* Open what backend @t needs into @fds (uffd/clear_refs/device, pagemap). */
static int open_backend(enum sp_tracker t, int fds[2])
{
	int r;

	fds[0] = fds[1] = -1;
	if (t == SP_TRACK_NONE)
		return 0;
	fds[1] = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fds[1] < 0)
		return -errno;
	if (t == SP_TRACK_MODULE) {
		r = open_module(&fds[0]);
	} else if (t == SP_TRACK_UFFD_WP) {
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
	const char *want = getenv("SPLITCKPT_TRACKER");
	int fds[2];
	size_t i;

	if (sp_track_backend() != SP_TRACK_NONE)
		return backend;
	for (i = 0; i < SP_TRACK_NR; i++) {
		if (want && strcmp(want, sp_track_name(sp_track_order[i])))
			continue;
		if (!open_backend(sp_track_order[i], fds))
			break;
	}
	if (i == SP_TRACK_NR)
		return SP_TRACK_NONE;
	backend = sp_track_order[i];
	owner = getpid();
	pagemap = place ? place(fds[1]) : fds[1];
	track_fd = place ? place(fds[0]) : fds[0];
	return backend;
}

/*
 * A child forked by the program inherits descriptors bound to its
 * parent's address space: it has no tracker.
 */
enum sp_tracker sp_track_backend(void)
{
	return backend != SP_TRACK_NONE && owner == getpid() ? backend : SP_TRACK_NONE;
}

void sp_track_fds(int fds[2])
{
	fds[0] = track_fd;
	fds[1] = pagemap;
}

int sp_track_atomic(void)
{
	enum sp_tracker t = sp_track_backend();

	return t == SP_TRACK_MODULE || t == SP_TRACK_UFFD_WP;
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

/* Is all of [start, end) tagged as upper half? */
static int module_tagged(uint64_t start, uint64_t end)
{
	struct splitckpt_tag_range t[2];
	uint64_t walk_end;
	int n = sp_kmod_tag_query(track_fd, start, end, t, 2, &walk_end);

	return n == 1 && t[0].start == start && t[0].end == end &&
	       (t[0].tags & SPLITCKPT_TAG_UPPER);
}

int sp_track_vmas(uint64_t start, uint64_t end, struct splitckpt_vma *vec,
		  unsigned int len, uint64_t *walk_end)
{
	if (sp_track_backend() != SP_TRACK_MODULE)
		return -EOPNOTSUPP;
	return sp_kmod_vma_query(track_fd, start, end, vec, len, walk_end);
}

int sp_track_follows(uint64_t start, uint64_t end, const char *vmflags)
{
	switch (sp_track_backend()) {
	case SP_TRACK_MODULE:
		return module_tagged(start, end);
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

	switch (sp_track_backend()) {
	case SP_TRACK_MODULE:
		return sp_kmod_tag_set(track_fd, start, end, SPLITCKPT_TAG_UPPER, 0);
	case SP_TRACK_UFFD_WP:
		return ioctl(track_fd, UFFDIO_REGISTER, &reg) ? -errno : 0;
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

/*
 * Page-map entries read ahead for several ranges at once (the module's
 * dirty runs are many and short): entries of pages [first, first + n).
 * Only valid while scan_module() fills and uses it.
 */
#define PM_WINDOW	4096	/* entries: 16 MiB of memory, 32 KiB */
#define PM_GAP		64	/* pages between ranges still read with them */
static struct {
	uint64_t first, n;
	uint64_t ent[PM_WINDOW];
} pmw;

/* Read the entries of pages [page, page + n) to @buf. */
static int pm_read(uint64_t *buf, uint64_t page, uint64_t n)
{
	return pread(pagemap, buf, n * 8, page * 8) == (ssize_t)(n * 8) ? 0 : -EIO;
}

/* The entries of pages [page, page + n): from the window, or read to @buf. */
static const uint64_t *pm_entries(uint64_t page, uint64_t n, uint64_t *buf)
{
	if (page >= pmw.first && page + n <= pmw.first + pmw.n)
		return pmw.ent + (page - pmw.first);
	return pm_read(buf, page, n) ? NULL : buf;
}

/* Fill the window with the entries of [start, end), PM_WINDOW pages at most. */
static int pm_window_fill(uint64_t start, uint64_t end)
{
	pmw.n = 0;
	if (pm_read(pmw.ent, start / 4096, (end - start) / 4096))
		return -EIO;
	pmw.first = start / 4096;
	pmw.n = (end - start) / 4096;
	return 0;
}

/*
 * The page map of [start, end) in runs of equal PAGE_IS_* categories, as
 * @written_only says: every page is WRITTEN (a run the module reported),
 * or only soft-dirty ones and those gone (MADV_DONTNEED leaves no trace
 * but an empty entry: reported as written, not present).
 */
static int pagemap_runs(uint64_t start, uint64_t end, int written_only,
			sp_track_fn fn, void *arg)
{
	uint64_t buf[512], run = start, cat = 0, c;
	const uint64_t *ent;
	int r;

	while (start < end) {
		uint64_t n = (end - start) / 4096, i;

		if (n > 512)
			n = 512;
		ent = pm_entries(start / 4096, n, buf);
		if (!ent)
			return -EIO;
		for (i = 0; i < n; i++, start += 4096) {
			c = (ent[i] & PM_PRESENT ? PAGE_IS_PRESENT : 0) |
			    (ent[i] & PM_SWAPPED ? PAGE_IS_SWAPPED : 0);
			if (written_only || (ent[i] & PM_SOFT_DIRTY) || !c)
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

/* Soft-dirty: the page map, in runs of equal categories. */
static int scan_soft_dirty(uint64_t start, uint64_t end, sp_track_fn fn, void *arg)
{
	return fn ? pagemap_runs(start, end, 0, fn, arg) : 0;
}

/*
 * A batch of the module's dirty ranges, split by the page map into pages
 * present (or swapped) and pages gone, which the module reports because
 * their mapping changed (discarded, unmapped and mapped again).  Ranges
 * close together share one read of the page map.
 */
static int ranges_each(const struct splitckpt_range *vec, int n, sp_track_fn fn,
		       void *arg)
{
	int i, j, k, r;

	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && vec[j].start - vec[j - 1].end <= PM_GAP * 4096 &&
		     vec[j].end - vec[i].start <= PM_WINDOW * 4096; j++)
			;
		r = j - i > 1 ? pm_window_fill(vec[i].start, vec[j - 1].end) : 0;
		for (k = i; !r && k < j; k++)
			r = pagemap_runs(vec[k].start, vec[k].end, 1, fn, arg);
		pmw.n = 0;
		if (r)
			return r;
	}
	return 0;
}

/*
 * The same from a module that says itself what is mapped in each region:
 * no page map to read, except for mappings it reports without a look.
 */
static int regions_each(const struct splitckpt_region *vec, int n, sp_track_fn fn,
			void *arg)
{
	uint64_t cat;
	int i, r = 0;

	for (i = 0; !r && i < n; i++) {
		if (vec[i].flags & SPLITCKPT_REGION_UNWALKED) {
			r = pagemap_runs(vec[i].start, vec[i].end, 1, fn, arg);
			continue;
		}
		cat = PAGE_IS_WRITTEN;
		if (!(vec[i].flags & SPLITCKPT_REGION_EMPTY))
			cat |= PAGE_IS_PRESENT;
		if (vec[i].flags & SPLITCKPT_REGION_HUGE)
			cat |= PAGE_IS_HUGE;
		r = fn(arg, vec[i].start, vec[i].end, cat);
	}
	return r;
}

static int scan_module(uint64_t start, uint64_t end, sp_track_fn fn, void *arg)
{
	/*
	 * Many ranges a call: the module flushes every CPU's TLB once per
	 * call.  Static: one checkpoint at a time scans.
	 */
	static union {
		struct splitckpt_range range[MODULE_NVEC];
		struct splitckpt_region region[MODULE_NVEC];
	} vec;
	uint64_t walk_end;
	int n, r = 0;

	while (start < end) {
		if (module_regions)
			n = sp_kmod_dirty_regions(track_fd, start, end, 0, vec.region,
						  MODULE_NVEC, &walk_end);
		else
			n = sp_kmod_dirty_scan(track_fd, start, end, 0, vec.range,
					       MODULE_NVEC, &walk_end);
		if (n < 0)
			return n;
		if (fn)
			r = module_regions ? regions_each(vec.region, n, fn, arg) :
					     ranges_each(vec.range, n, fn, arg);
		if (r)
			return r;
		if (walk_end <= start)
			return -EIO;	/* no progress: should not happen */
		start = walk_end;
	}
	return 0;
}

int sp_track_scan(uint64_t start, uint64_t end, sp_track_fn fn, void *arg)
{
	switch (sp_track_backend()) {
	case SP_TRACK_MODULE:
		return scan_module(start, end, fn, arg);
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
	if (sp_track_backend() != SP_TRACK_SOFT_DIRTY)
		return 0;
	return pwrite(track_fd, "4", 1, 0) == 1 ? 0 : -errno;
}

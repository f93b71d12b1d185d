// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Writing a generation: with every upper-half thread stopped, describe the
 * process (threads, mappings, signal state, timers, files) and stream the
 * upper half's memory - and nothing else - into the image.  Runs on the
 * lower half's control thread.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/time.h>
#include <time.h>

#include <linux/splitckpt.h>

#include "band.h"
#include "image.h"
#include "track.h"
#include "ranges.h"
#include "raw.h"
#include "runtime.h"
#include "subpage.h"

struct sp_ckpt_ctx sp_ckpt_ctx = { .lh_fds = { -1, -1, -1, -1, -1, -1, -1, -1 } };

#define SIG_BIT(s)	(1ULL << ((s) - 1))
#define LH_SIGNALS	(SIG_BIT(SP_CKPT_SIGNAL) | SIG_BIT(SIGSYS))

struct sp_lineage sp_lineage;

struct ckpt {
	struct sp_imgw *w;
	int incremental;	/* over sp_lineage.gen */
	int vma_file;		/* the mapping being saved is a file's */
	/*
	 * Sub-page hashes (subpage.h) are kept: the tracker reports huge
	 * pages whole (the module, soft-dirty).  @vma_thp: the mapping being
	 * saved has huge pages.
	 */
	int subpage, vma_thp;
	siginfo_t *queued;	/* process-wide real-time signals taken out */
	int nr_queued;
	char *msg;
	size_t msglen;
	int pagemap;
	struct sp_thread threads[SP_MAX_THREADS];
	int nr_threads;
	int *fds;
	int nr_fds;
	int own_fds[4];		/* ours, opened before the program stopped */
	/*
	 * Pre-copy (precopy()): the program runs while @running is set, and
	 * memory is read with process_vm_readv() into @bounce.  What was
	 * copied is in @pre_inc (the changes since the parent) or @pre_whole
	 * (everything); @redo could not be read and is saved whole later.
	 */
	int running;
	char *bounce;
	struct sp_ranges pre_inc, pre_whole, redo;
	uint64_t pre_bytes;
	uint64_t stopped_bytes;	/* copied in the final pass */
	unsigned int passes;
	/* Progress reports (o->progress): resident memory if full, or 0. */
	const struct sp_ckpt_opts *o;
	uint64_t total;
	uint64_t next_report;
};

#define PRE_INC		1
#define PRE_WHOLE	2
#define PRE_VOID	(-1)

static int fail(struct ckpt *c, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sp_explain(c->msg, c->msglen, r, fmt, ap);
	va_end(ap);
	return r;
}

/* A record with a trailing set of NUL-terminated strings. */
static int put_record(struct ckpt *c, void *fixed, size_t flen,
		      const char *const strs[], int nstr)
{
	size_t len = flen, off;
	char *buf;
	int i, r;

	for (i = 0; i < nstr; i++)
		len += strlen(strs[i]) + 1;
	buf = calloc(1, len + 8);
	if (!buf)
		return -ENOMEM;
	memcpy(buf, fixed, flen);
	off = flen;
	for (i = 0; i < nstr; i++) {
		size_t n = strlen(strs[i]) + 1;

		memcpy(buf + off, strs[i], n);
		off += n;
	}
	r = sp_imgw_record(c->w, buf, len);
	free(buf);
	return r;
}

/* The number after "@key" in a /proc status file, in @base. */
static uint64_t read_field(const char *path, const char *key, int base)
{
	char line[256];
	uint64_t v = 0;
	size_t klen = strlen(key);
	FILE *f = fopen(path, "re");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, klen)) {
			v = strtoull(line + klen, NULL, base);
			break;
		}
	fclose(f);
	return v;
}

/* Umask and the process-wide pending signals, from one read. */
static int read_status(uint32_t *umask, uint64_t *pending)
{
	char line[256];
	int have = 0;
	FILE *f = fopen("/proc/self/status", "re");

	if (!f)
		return -errno;
	while (have != 3 && fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "Umask:", 6)) {
			*umask = strtoul(line + 6, NULL, 8);
			have |= 1;
		} else if (!strncmp(line, "ShdPnd:", 7)) {
			*pending = strtoull(line + 7, NULL, 16);
			have |= 2;
		}
	}
	fclose(f);
	return have == 3 ? 0 : -EPROTO;
}

static int save_threads(struct ckpt *c, uint64_t *tid_offset)
{
	int i, r;
	uint64_t off;

	/*
	 * Where libc caches each thread's tid in its thread descriptor:
	 * glibc's offset (720 on x86-64) first, else the first offset that
	 * holds every thread's own tid.
	 */
	*tid_offset = 0;
	for (off = 720; off < 4096; off = off == 720 ? 16 : off + 4) {
		for (i = 0; i < c->nr_threads; i++) {
			int v;

			if (!sp_band_owns(c->threads[i].fs_base + off,
					  c->threads[i].fs_base + off + 4))
				break;
			memcpy(&v, (void *)(c->threads[i].fs_base + off), 4);
			if (v != c->threads[i].tid)
				break;
		}
		if (i == c->nr_threads) {
			*tid_offset = off;
			break;
		}
	}
	for (i = 0; i < c->nr_threads; i++) {
		struct sp_thread *t = &c->threads[i];
		struct splitckpt_img_thread rec = {
			.rec.type = SPLITCKPT_REC_THREAD,
			.tid = t->tid,
			.flags = t->flags,
			.fs_base = t->fs_base,
			.frame = t->frame,
			.robust_head = t->robust_head,
			.robust_len = t->robust_len,
			.rseq_area = t->rseq_area,
			.rseq_len = t->rseq_len,
			.rseq_sig = t->rseq_sig,
		};
		char path[64];

		snprintf(path, sizeof(path), "/proc/self/task/%d/status", t->tid);
		rec.pending = read_field(path, "SigPnd:", 16) & ~LH_SIGNALS;
		r = sp_imgw_record(c->w, &rec, sizeof(rec));
		if (r)
			return fail(c, r, "recording thread %d", t->tid);
	}
	return 0;
}

static uint64_t mono_ns(void);

/* Tell the caller how far it got, at most every 200 ms unless @now. */
static void report(struct ckpt *c, uint32_t phase, int now)
{
	struct sp_ctl_progress p = { .size = sizeof(p), .phase = phase };
	uint64_t t;

	if (!c->o->progress)
		return;
	t = mono_ns();
	if (!now && t < c->next_report)
		return;
	c->next_report = t + 200000000ULL;
	p.pass = c->passes + (phase == SP_PHASE_PRECOPY);
	p.done = c->pre_bytes + c->stopped_bytes;
	p.total = c->total;
	c->o->progress(c->o->progress_arg, &p);
}

/* Saves the pages of the block at @a whose bits are set in @changed. */
static int save_changed_pages(struct ckpt *c, uint64_t a, const uint64_t *changed,
			      unsigned int flags)
{
	int k = 0, j, r = 0;

	while (!r && k < SP_BLOCK_PAGES) {
		if (!(changed[k / 64] >> (k % 64) & 1)) {
			k++;
			continue;
		}
		for (j = k + 1; j < SP_BLOCK_PAGES && (changed[j / 64] >> (j % 64) & 1); j++)
			;
		r = sp_imgw_memory(c->w, a + (uint64_t)k * SP_PAGE_SIZE,
				   (uint64_t)(j - k) * SP_PAGE_SIZE, flags);
		k = j;
	}
	return r;
}

/*
 * Saves [s, e) of the stopped program, block by block, keeping the
 * sub-page hashes right.  The part of a 2 MiB block with an entry is
 * compared with it and only its changed pages are saved (a mapping saved
 * whole has no entries: they were dropped).  A whole block without one
 * becomes an entry when the tracker reported it as a huge page (@huge) or
 * the mapping has huge pages.
 */
static int save_stopped(struct ckpt *c, uint64_t s, uint64_t e, unsigned int flags,
			int huge)
{
	uint64_t a, b, changed[SP_BLOCK_PAGES / 64];
	int r = 0, have;

	if (!c->subpage)
		return sp_imgw_memory(c->w, s, e - s, flags);
	for (a = s; !r && a < e; a = b) {
		b = (a & ~(SP_BLOCK - 1)) + SP_BLOCK;
		if (b > e)
			b = e;
		have = sp_subpage_diff(a, b, changed);
		if (have > 0) {
			r = save_changed_pages(c, a & ~(SP_BLOCK - 1), changed, flags);
			continue;
		}
		r = have < 0 ? have : sp_imgw_memory(c->w, a, b - a, flags);
		if (!r && b - a == SP_BLOCK && (huge || c->vma_thp))
			r = sp_subpage_put(a);
	}
	return r;
}

/*
 * Copy [s, e) into the image (@huge: see save_stopped()).  While the
 * program runs, a page it unmaps or protects meanwhile must fail the read,
 * not the process: the range goes to @redo instead.
 */
static int copy_run(struct ckpt *c, uint64_t s, uint64_t e, unsigned int flags, int huge)
{
	int r = 0;

	if (!c->running) {
		c->stopped_bytes += e - s;
		r = save_stopped(c, s, e, flags, huge);
		report(c, SP_PHASE_SAVE, 0);
		return r ? fail(c, r, "saving memory at %#" PRIx64, s) : 0;
	}
	/* Copied while the program runs: what the chain will hold is unknown. */
	sp_subpage_drop(s, e);
	while (!r && s < e) {
		uint64_t n = e - s < SPLITCKPT_IMG_MAX_RUN ? e - s : SPLITCKPT_IMG_MAX_RUN;
		struct iovec local = { c->bounce, n }, remote = { (void *)s, n };

		if (process_vm_readv(getpid(), &local, 1, &remote, 1, 0) != (ssize_t)n) {
			r = sp_ranges_add(&c->redo, s, s + n);
		} else {
			r = sp_imgw_bytes(c->w, s, c->bounce, n, flags);
			c->pre_bytes += n;
		}
		if (r)
			return fail(c, r, "saving memory at %#" PRIx64, s);
		report(c, SP_PHASE_PRECOPY, 0);
		s += n;
	}
	return 0;
}

/* Save the pages of [s, e) that hold data. */
static int save_pages(struct ckpt *c, uint64_t s, uint64_t e, int all)
{
	uint64_t ent[4096], run = 0, a = s;
	int r;

	while (a < e) {
		uint64_t n = (e - a) / SP_PAGE_SIZE, i;
		ssize_t got;

		if (n > 4096)
			n = 4096;
		if (all) {
			for (i = 0; i < n; i++)
				ent[i] = 1ULL << 63;
		} else {
			got = pread(c->pagemap, ent, n * 8, a / SP_PAGE_SIZE * 8);
			if (got != (ssize_t)(n * 8))
				return fail(c, got < 0 ? -errno : -EIO,
					    "reading the page map");
		}
		for (i = 0; i < n; i++, a += SP_PAGE_SIZE) {
			/* present or swapped */
			if (ent[i] & (3ULL << 62)) {
				if (!run)
					run = a;
				continue;
			}
			if (run) {
				r = copy_run(c, run, a, 0, 0);
				if (r)
					return r;
				run = 0;
			}
		}
	}
	return run ? copy_run(c, run, a, 0, 0) : 0;
}

static int shm_attached(uint64_t s, uint64_t e)
{
	uint32_t i;

	for (i = 0; i < sp_band.nr_shm; i++)
		if (s < sp_band.shm[i].end && e > sp_band.shm[i].start)
			return 1;
	return 0;
}

#define NR_DISCARD	(sizeof(sp_band.discard) / sizeof(sp_band.discard[0]))

static int discarded(uint64_t s, uint64_t e)
{
	uint32_t i, n = sp_band.nr_discard;

	if (n > NR_DISCARD)
		return 1;
	for (i = 0; i < n; i++)
		if (sp_band.discard[i].start < e && sp_band.discard[i].end > s)
			return 1;
	return 0;
}

/*
 * Soft-dirty cannot tell a page discarded and read again (the zero page)
 * from an unchanged one: in discarded ranges of anonymous memory, every
 * page that was not written since is zero.
 */
static int zero_discarded(struct ckpt *c, uint64_t s, uint64_t e)
{
	uint32_t i;
	int r;

	for (i = 0; i < sp_band.nr_discard && i < NR_DISCARD; i++) {
		uint64_t a = sp_band.discard[i].start > s ? sp_band.discard[i].start : s;
		uint64_t b = sp_band.discard[i].end < e ? sp_band.discard[i].end : e;

		if (a < b) {
			sp_subpage_zero(a, b);
			r = sp_imgw_zero(c->w, a, b - a);
			if (r)
				return r;
		}
	}
	return 0;
}

/* What changed in a tracked mapping since the last generation. */
static int save_changed(void *arg, uint64_t s, uint64_t e, uint64_t cat)
{
	struct ckpt *c = arg;
	int r;

	if (!(cat & PAGE_IS_WRITTEN)) {
		if (c->vma_file || sp_track_backend() != SP_TRACK_SOFT_DIRTY)
			return 0;
		r = zero_discarded(c, s, e);
	} else if ((cat & PAGE_IS_PFNZERO) ||
		   !(cat & (PAGE_IS_PRESENT | PAGE_IS_SWAPPED))) {
		/*
		 * Discarded since (MADV_DONTNEED), or the zero page read in:
		 * zero.  In a file mapping an empty entry is the file's page,
		 * unchanged (discarding one makes the mapping saved whole; while
		 * the program runs, it is saved whole when stopped).
		 */
		if (c->vma_file) {
			sp_subpage_drop(s, e);
			return c->running ? sp_ranges_add(&c->redo, s, e) : 0;
		}
		sp_subpage_zero(s, e);
		r = sp_imgw_zero(c->w, s, e - s);
	} else {
		return copy_run(c, s, e, SP_IMGW_MARK_ZERO, (cat & PAGE_IS_HUGE) != 0);
	}
	return r ? fail(c, r, "saving memory at %#" PRIx64, s) : 0;
}

/*
 * Is [s, e) of a private mapping tracked, and did it change since the
 * last generation?  Starts tracking it if it can.  Returns 1 if only the
 * changes are to be saved, 0 for everything.
 */
static int track_vma(struct ckpt *c, uint64_t s, uint64_t e, int tracked)
{
	if (sp_track_backend() == SP_TRACK_NONE)
		return 0;
	if (!tracked) {
		/* New since the last generation (or the first): all of it. */
		if (!sp_track_register(s, e))
			sp_track_scan(s, e, NULL, NULL);
		return 0;
	}
	if (c->incremental)
		return 1;
	/* A full generation: protect again, save everything. */
	sp_track_scan(s, e, NULL, NULL);
	return 0;
}

/*
 * Must [s, e) be saved whole although it is tracked?  Discards the tracker
 * cannot see: in a file mapping they bring the file's pages back, and
 * soft-dirty needs to know where anonymous memory was discarded.
 */
static int untrackable(uint32_t vma_flags, uint64_t s, uint64_t e)
{
	return discarded(s, e) &&
	       ((vma_flags & SPLITCKPT_VMA_FILE) || (sp_band.nr_discard > NR_DISCARD &&
		sp_track_backend() == SP_TRACK_SOFT_DIRTY));
}

/*
 * What pre-copy left of [s, e) for the final pass: 0 (nothing), PRE_INC or
 * PRE_WHOLE (copied, and the tracker has the changes since), or PRE_VOID
 * (something was copied, but it cannot be built on: saved whole again).
 */
static int pre_state(struct ckpt *c, uint64_t s, uint64_t e, int tracked)
{
	uint64_t inc = sp_ranges_covered(&c->pre_inc, s, e);
	uint64_t whole = sp_ranges_covered(&c->pre_whole, s, e);

	if (sp_band_touched(s, e) || sp_ranges_covered(&c->redo, s, e))
		return PRE_VOID;
	if (!inc && !whole)
		return 0;
	if (!tracked)
		return PRE_VOID;
	return inc == e - s ? PRE_INC : whole == e - s ? PRE_WHOLE : PRE_VOID;
}

static int save_vma(struct ckpt *c, uint64_t s, uint64_t e, const char *perms,
		    uint64_t pgoff, const char *path, uint32_t madv, int tracked)
{
	struct splitckpt_img_vma v = {
		.rec.type = SPLITCKPT_REC_VMA,
		.start = s,
		.end = e,
		.pgoff = pgoff,
	};
	const char *strs[1] = { path };
	int deleted = strstr(path, " (deleted)") != NULL;
	int r, unreadable, changes = 0, pre, untracked;

	v.prot = (perms[0] == 'r' ? PROT_READ : 0) |
		 (perms[1] == 'w' ? PROT_WRITE : 0) |
		 (perms[2] == 'x' ? PROT_EXEC : 0);
	if (perms[3] == 'p')
		v.flags |= SPLITCKPT_VMA_PRIVATE;
	if (path[0] == '/')
		v.flags |= SPLITCKPT_VMA_FILE;
	if (s >= SP_HEAP_START && e <= SP_HEAP_END)
		v.flags |= SPLITCKPT_VMA_HEAP;
	if (e >= SP_BAND_END - SP_PAGE_SIZE * 2 && s < SP_BAND_END)
		v.flags |= SPLITCKPT_VMA_STACK;
	if (shm_attached(s, e))
		v.flags |= SPLITCKPT_VMA_SYSV;
	v.flags |= madv;
	if (!(v.flags & (SPLITCKPT_VMA_PRIVATE | SPLITCKPT_VMA_SYSV)) &&
	    (v.flags & SPLITCKPT_VMA_FILE) && !deleted &&
	    strncmp(path, "/memfd:", 7))
		v.flags |= SPLITCKPT_VMA_REMAP;
	untracked = untrackable(v.flags, s, e);
	pre = pre_state(c, s, e, tracked);
	if (pre > 0 && untracked)
		pre = PRE_VOID;
	if (pre == PRE_VOID) {
		/* Drop what pre-copy wrote; the tracker's epoch is not the parent's. */
		sp_subpage_drop(s, e);
		r = sp_imgw_forget(c->w, s, e - s);
		if (r)
			return fail(c, r, "saving memory at %#" PRIx64, s);
		tracked = 0;
	}
	/*
	 * Shared memory may be written by other processes, which no tracker
	 * here sees: always saved whole.  After pre-copy, the changes since
	 * it are saved.
	 */
	if (pre > 0)
		changes = 1;
	else if ((v.flags & SPLITCKPT_VMA_PRIVATE) && !(v.flags & SPLITCKPT_VMA_SYSV))
		changes = track_vma(c, s, e, tracked);
	if (untracked)
		changes = 0;
	if (!changes || pre == PRE_WHOLE)
		v.flags |= SPLITCKPT_VMA_WHOLE;
	v.path_len = strlen(path);
	r = put_record(c, &v, sizeof(v), strs, 1);
	if (r)
		return fail(c, r, "recording mapping %#" PRIx64, s);
	if (v.flags & SPLITCKPT_VMA_REMAP)
		return 0;
	unreadable = !(v.prot & PROT_READ);
	if (unreadable) {
		r = sp_sys3(SYS_mprotect, s, e - s, v.prot | PROT_READ);
		if (r)
			return fail(c, r, "making %#" PRIx64 " readable", s);
	}
	if (changes) {
		c->vma_file = (v.flags & SPLITCKPT_VMA_FILE) != 0;
		r = sp_track_scan(s, e, save_changed, c);
		if (r && !*c->msg)
			fail(c, r, "finding the changed pages at %#" PRIx64, s);
	} else {
		/* Saved whole: pages it does not record read as zero (or the file's). */
		sp_subpage_drop(s, e);
		/* A file's pages that were never touched are the file's, not zero. */
		r = save_pages(c, s, e, (v.flags & SPLITCKPT_VMA_FILE) ||
				      !(v.flags & SPLITCKPT_VMA_PRIVATE));
	}
	if (unreadable)
		sp_sys3(SYS_mprotect, s, e - s, v.prot);
	return r;
}

/* SPLITCKPT_VMA_* bits for the madvise/mlock state in a VmFlags line. */
static uint32_t vm_flags(const char *line)
{
	static const struct {
		char name[3];
		uint32_t bit;
	} map[] = {
		{ "hg", SPLITCKPT_VMA_HUGEPAGE }, { "nh", SPLITCKPT_VMA_NOHUGEPAGE },
		{ "dc", SPLITCKPT_VMA_DONTFORK }, { "wf", SPLITCKPT_VMA_WIPEONFORK },
		{ "dd", SPLITCKPT_VMA_DONTDUMP }, { "mg", SPLITCKPT_VMA_MERGEABLE },
		{ "lo", SPLITCKPT_VMA_LOCKED },
	};
	uint32_t bits = 0;
	size_t i;

	for (line += 8; *line; line++) {
		if (line[0] == ' ' || line[0] == '\n' || !line[1])
			continue;
		for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
			if (line[0] == map[i].name[0] && line[1] == map[i].name[1] &&
			    (line[2] == ' ' || line[2] == '\n' || !line[2]))
				bits |= map[i].bit;
		line++;
	}
	return bits;
}

/* A mapping as /proc/self/smaps describes it. */
struct mapping {
	uint64_t start, end, pgoff;
	uint64_t rss;		/* bytes resident */
	uint64_t thp;		/* bytes in transparent huge pages (smaps) */
	char perms[8];
	uint32_t madv;
	int tracked;
	char *path;
};

struct mapping_part {
	struct ckpt *c;
	const struct mapping *m;
};

static long save_part(void *arg, uint64_t s, uint64_t e)
{
	const struct mapping_part *mp = arg;
	const struct mapping *m = mp->m;

	mp->c->vma_thp = m->thp != 0;
	return save_vma(mp->c, s, e, m->perms, m->pgoff + (s - m->start), m->path,
			m->madv, m->tracked);
}

/*
 * A mapping's first line in /proc/self/maps and smaps: "start-end perms
 * offset dev inode path" into @m and @path; 0 for any other line.  Into
 * temporaries: sscanf() assigns what it matched before failing, and
 * "AnonHugePages:" starts with a hex digit.
 */
static int parse_head(const char *line, struct mapping *m, char *path, size_t len)
{
	uint64_t ns, ne, noff;
	char np[8] = "";
	int k = 0;

	if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %7s %" SCNx64 " %*s %*u %n",
		   &ns, &ne, np, &noff, &k) < 4 || !k)
		return 0;
	m->start = ns;
	m->end = ne;
	m->pgoff = noff;
	m->rss = 0;
	m->thp = 0;
	memcpy(m->perms, np, sizeof(m->perms));
	snprintf(path, len, "%s", line + k);
	path[strcspn(path, "\n")] = '\0';
	return 1;
}

/* Appends @m, with a copy of @path, to the list @v of @n (room for @cap). */
static int add_mapping(struct mapping **v, size_t *n, size_t *cap,
		       struct mapping *m, const char *path)
{
	m->path = strdup(path);
	if (!m->path)
		return -ENOMEM;
	if (*n == *cap) {
		struct mapping *nv = realloc(*v, (*cap * 2 + 64) * sizeof(**v));

		if (!nv) {
			free(m->path);
			return -ENOMEM;
		}
		*v = nv;
		*cap = *cap * 2 + 64;
	}
	(*v)[(*n)++] = *m;
	return 0;
}

static void free_mappings(struct mapping *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i].path);
	free(v);
}

/* With /proc/self/smaps: its "Rss:" and "VmFlags:" lines too. */
static int read_smaps(struct ckpt *c, struct mapping **out, size_t *n)
{
	char line[4096 + 128], path[4096] = "";
	struct mapping cur = { 0 }, *v = NULL;
	size_t cap = 0;
	FILE *f = fopen("/proc/self/smaps", "re");
	int have = 0, r = 0;

	*n = 0;
	if (!f)
		return fail(c, -errno, "opening /proc/self/smaps");
	while (!r && fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "Rss:", 4)) {
			cur.rss = strtoull(line + 4, NULL, 10) * 1024;
			continue;
		}
		if (!strncmp(line, "AnonHugePages:", 14)) {
			cur.thp = strtoull(line + 14, NULL, 10) * 1024;
			continue;
		}
		if (!strncmp(line, "VmFlags:", 8)) {
			if (!have)
				continue;
			have = 0;
			cur.madv = vm_flags(line);
			cur.tracked = sp_track_follows(cur.start, cur.end, line);
			r = add_mapping(&v, n, &cap, &cur, path);
			if (r)
				fail(c, r, "listing mappings");
			continue;
		}
		if (parse_head(line, &cur, path, sizeof(path)))
			have = 1;
	}
	fclose(f);
	*out = v;
	return r;
}

/*
 * The module's list of the mappings in the upper half's band, with
 * SPLITCKPT_VMF_* properties.
 */
static int module_vmas(struct splitckpt_vma **out, size_t *n)
{
	struct splitckpt_vma *v = NULL, *nv;
	uint64_t at = SP_BAND_START, walk_end;
	size_t cap = 0;
	int k;

	*n = 0;
	for (;;) {
		if (cap - *n < 256) {
			nv = realloc(v, (cap + 1024) * sizeof(*v));
			if (!nv) {
				free(v);
				return -ENOMEM;
			}
			v = nv;
			cap += 1024;
		}
		k = sp_track_vmas(at, SP_BAND_END, v + *n, cap - *n, &walk_end);
		if (k < 0 || (walk_end < SP_BAND_END && walk_end <= at)) {
			free(v);
			return k < 0 ? k : -EIO;
		}
		*n += k;
		if (walk_end >= SP_BAND_END)
			break;
		at = walk_end;
	}
	*out = v;
	return 0;
}

/* SPLITCKPT_VMA_* bits for the module's SPLITCKPT_VMF_* bits. */
static uint32_t vmf_madv(uint64_t vmf)
{
	static const struct {
		uint64_t vmf;
		uint32_t bit;
	} map[] = {
		{ SPLITCKPT_VMF_HUGEPAGE, SPLITCKPT_VMA_HUGEPAGE },
		{ SPLITCKPT_VMF_NOHUGEPAGE, SPLITCKPT_VMA_NOHUGEPAGE },
		{ SPLITCKPT_VMF_DONTFORK, SPLITCKPT_VMA_DONTFORK },
		{ SPLITCKPT_VMF_WIPEONFORK, SPLITCKPT_VMA_WIPEONFORK },
		{ SPLITCKPT_VMF_DONTDUMP, SPLITCKPT_VMA_DONTDUMP },
		{ SPLITCKPT_VMF_MERGEABLE, SPLITCKPT_VMA_MERGEABLE },
		{ SPLITCKPT_VMF_LOCKED, SPLITCKPT_VMA_LOCKED },
	};
	uint32_t bits = 0;
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (vmf & map[i].vmf)
			bits |= map[i].bit;
	return bits;
}

/* Do a maps line's permissions say what the module says? */
static int perms_agree(const char *perms, uint64_t vmf)
{
	return (perms[0] == 'r') == !!(vmf & SPLITCKPT_VMF_READ) &&
	       (perms[1] == 'w') == !!(vmf & SPLITCKPT_VMF_WRITE) &&
	       (perms[2] == 'x') == !!(vmf & SPLITCKPT_VMF_EXEC) &&
	       (perms[3] == 's') == !!(vmf & SPLITCKPT_VMF_SHARED);
}

/*
 * With /proc/self/maps and the module's VMA_QUERY instead: no walk of every
 * page table (smaps' cost grows with the memory mapped), no resident sizes.
 * Only the band's mappings are listed: nothing else is saved, and outside
 * it this very code changes mappings as it allocates (malloc growing an
 * arena between the two reads).  -EAGAIN, with no message, when the module
 * cannot list the mappings or the two listings disagree (something
 * changed in between).
 */
static int read_maps_module(struct ckpt *c, struct mapping **out, size_t *n)
{
	char line[4096 + 128], path[4096] = "";
	struct mapping cur = { 0 }, *v = NULL;
	struct splitckpt_vma *vm;
	size_t cap = 0, nvm, j = 0;
	FILE *f;
	int r;

	*n = 0;
	if (module_vmas(&vm, &nvm))
		return -EAGAIN;
	f = fopen("/proc/self/maps", "re");
	if (!f) {
		free(vm);
		return fail(c, -errno, "opening /proc/self/maps");
	}
	r = 0;
	while (!r && fgets(line, sizeof(line), f)) {
		if (!parse_head(line, &cur, path, sizeof(path)))
			continue;
		if (cur.end <= SP_BAND_START || cur.start >= SP_BAND_END)
			continue;
		while (j < nvm && vm[j].end <= cur.start)
			j++;
		if (j == nvm || vm[j].start != cur.start || vm[j].end != cur.end ||
		    !perms_agree(cur.perms, vm[j].flags)) {
			r = -EAGAIN;
			break;
		}
		cur.madv = vmf_madv(vm[j].flags);
		cur.tracked = sp_track_follows(cur.start, cur.end, "");
		r = add_mapping(&v, n, &cap, &cur, path);
		if (r)
			fail(c, r, "listing mappings");
	}
	fclose(f);
	free(vm);
	if (r == -EAGAIN) {
		free_mappings(v, *n);
		v = NULL;
		*n = 0;
	}
	*out = v;
	return r;
}

/*
 * All mappings, read before any is saved: saving changes them (tracking
 * registration merges and splits, unreadable ones are made readable for
 * a moment), which must not show up in the list being read.  Resident
 * sizes (@rss) need smaps; without them the module's listing will do.
 */
static int read_mappings(struct ckpt *c, int rss, struct mapping **out, size_t *n)
{
	int r = -EAGAIN;

	if (!rss && sp_track_backend() == SP_TRACK_MODULE)
		r = read_maps_module(c, out, n);
	return r == -EAGAIN ? read_smaps(c, out, n) : r;
}

static long count_part(void *arg, uint64_t s, uint64_t e)
{
	*(uint64_t *)arg += e - s;
	return 0;
}

/* Resident upper-half memory, the size of a full generation (about). */
static uint64_t resident(const struct mapping *v, size_t n)
{
	uint64_t total = 0, part;
	size_t i;

	for (i = 0; i < n; i++) {
		part = 0;
		sp_band_each(v[i].start, v[i].end, count_part, &part);
		total += (unsigned __int128)v[i].rss * part / (v[i].end - v[i].start);
	}
	return total;
}

/* Every part of every mapping that belongs to the upper half. */
static int save_memory(struct ckpt *c)
{
	struct mapping *v;
	size_t n, i;
	long r;

	r = read_mappings(c, !c->incremental && !c->passes, &v, &n);
	if (!r && !c->incremental && !c->passes)
		c->total = resident(v, n);
	for (i = 0; !r && i < n; i++) {
		struct mapping_part mp = { c, &v[i] };

		r = sp_band_each(v[i].start, v[i].end, save_part, &mp);
	}
	free_mappings(v, n);
	return r;
}

/* The tracker's changes of [s, e) while the program runs. */
static int scan_running(struct ckpt *c, uint64_t s, uint64_t e)
{
	int r = sp_track_scan(s, e, save_changed, c);

	/* Writing failed, or the range changed under the scan: redo it. */
	if (r && !*c->msg)
		r = sp_ranges_add(&c->redo, s, e);
	return r;
}

/*
 * Pre-copy [s, e) of mapping @m.  The first pass copies what a generation
 * would save (the changes since the parent where the tracker has them,
 * else everything) after clearing the tracker there; each later pass
 * copies what the tracker saw written since.
 */
static int precopy_part(struct ckpt *c, const struct mapping *m, uint64_t s,
			uint64_t e, int first)
{
	int file = m->path[0] == '/', r;

	c->vma_file = file;
	if (!first)
		return sp_ranges_covered(&c->pre_inc, s, e) == e - s ||
		       sp_ranges_covered(&c->pre_whole, s, e) == e - s ?
		       scan_running(c, s, e) : 0;
	if (untrackable(file ? SPLITCKPT_VMA_FILE : 0, s, e))
		return 0;
	if (c->incremental && m->tracked) {
		r = sp_ranges_add(&c->pre_inc, s, e);
		return r ? r : scan_running(c, s, e);
	}
	/* Claimed first: once registered, it looks tracked since the parent. */
	r = sp_ranges_add(&c->pre_whole, s, e);
	if (r)
		return r;
	sp_subpage_drop(s, e);	/* saved whole */
	if ((!m->tracked && sp_track_register(s, e)) || sp_track_scan(s, e, NULL, NULL))
		return sp_ranges_add(&c->redo, s, e);
	return save_pages(c, s, e, file);
}

struct pre_list {
	const struct mapping *m;
	struct pre_part {
		uint64_t s, e;
		const struct mapping *m;
	} *v;
	size_t n, cap;
};

static long list_part(void *arg, uint64_t s, uint64_t e)
{
	struct pre_list *l = arg;

	if (shm_attached(s, e) || sp_band_touched(s, e))
		return 0;
	if (l->n == l->cap) {
		struct pre_part *nv = realloc(l->v, (l->cap = l->cap * 2 + 64) * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		l->v = nv;
	}
	l->v[l->n++] = (struct pre_part){ s, e, l->m };
	return 0;
}

/* One pass over the upper half's private, readable memory. */
static int precopy_pass(struct ckpt *c, int first)
{
	struct pre_list l = { 0 };
	struct mapping *v;
	size_t n, i;
	long r;

	/* The list of mappings holds still while it is read. */
	sp_raw_lock(&sp_band.lock);
	r = read_mappings(c, first && !c->incremental, &v, &n);
	if (!r && first && !c->incremental)
		c->total = resident(v, n);
	for (i = 0; !r && i < n; i++) {
		if (v[i].perms[0] != 'r' || v[i].perms[3] != 'p')
			continue;
		l.m = &v[i];
		r = sp_band_each(v[i].start, v[i].end, list_part, &l);
	}
	sp_raw_unlock(&sp_band.lock);
	if (r && !*c->msg)
		fail(c, r, "listing the memory to pre-copy");
	for (i = 0; !r && i < l.n; i++)
		r = precopy_part(c, l.v[i].m, l.v[i].s, l.v[i].e, first);
	if (r && !*c->msg)
		fail(c, r, "pre-copying memory");
	free_mappings(v, n);
	free(l.v);
	return r;
}

/*
 * Pre-copy (--precopy N): up to @passes passes while the program runs,
 * stopping early once a pass copies less than a sixteenth of the one
 * before.  The trap handler notes what the program maps, unmaps or
 * discards meanwhile (sp_band.touched); the final pass saves those ranges
 * whole again, and the image keeps only the newest copy of each page
 * (sp_imgw_forget(), later records win).  Needs a tracker that reports
 * and clears each page at once: not soft-dirty.
 */
static int precopy(struct ckpt *c, unsigned int passes)
{
	uint64_t before = 0;
	int r = 0;

	if (!passes || !sp_track_atomic())
		return 0;
	c->bounce = malloc(SPLITCKPT_IMG_MAX_RUN);
	if (!c->bounce)
		return fail(c, -ENOMEM, "pre-copy");
	sp_raw_lock(&sp_band.lock);
	sp_band.watch = 1;
	sp_band.nr_touched = 0;
	sp_raw_unlock(&sp_band.lock);
	c->running = 1;
	while (!r && c->passes < passes) {
		uint64_t bytes = c->pre_bytes;

		r = precopy_pass(c, !c->passes);
		if (!c->passes++) {
			sp_ranges_norm(&c->pre_inc);
			sp_ranges_norm(&c->pre_whole);
		} else if ((c->pre_bytes - bytes) * 16 < before) {
			break;
		}
		before = c->pre_bytes - bytes;
	}
	c->running = 0;
	sp_ranges_norm(&c->redo);
	return r;
}

static int save_signals(struct ckpt *c)
{
	struct itimerval it;
	int sig, r, which;

	for (sig = 1; sig <= SIGRTMAX; sig++) {
		struct splitckpt_img_sigaction rec = {
			.rec.type = SPLITCKPT_REC_SIGACTION,
			.signo = sig,
		};
		uint64_t ka[4];

		if (sig == SIGKILL || sig == SIGSTOP || (SIG_BIT(sig) & LH_SIGNALS))
			continue;
		if (sp_sys4(SYS_rt_sigaction, sig, 0, ka, 8))
			continue;
		if (!ka[0] && !ka[1] && !ka[3])
			continue;
		/* A handler in lower-half code is the lower half's own. */
		if (ka[0] > 1 && !sp_band_owns(ka[0], ka[0] + 1))
			continue;
		rec.handler = ka[0];
		rec.flags = ka[1];
		rec.restorer = ka[2];
		rec.mask = ka[3];
		r = sp_imgw_record(c->w, &rec, sizeof(rec));
		if (r)
			return fail(c, r, "recording signal %d", sig);
	}
	for (which = ITIMER_REAL; which <= ITIMER_PROF; which++) {
		struct splitckpt_img_itimer rec = {
			.rec.type = SPLITCKPT_REC_ITIMER,
			.which = which,
		};

		if (getitimer(which, &it))
			return fail(c, -errno, "reading interval timer %d", which);
		rec.interval_ns = it.it_interval.tv_sec * 1000000000ULL +
				  it.it_interval.tv_usec * 1000ULL;
		rec.value_ns = it.it_value.tv_sec * 1000000000ULL +
			       it.it_value.tv_usec * 1000ULL;
		if (!rec.value_ns && !rec.interval_ns)
			continue;
		r = sp_imgw_record(c->w, &rec, sizeof(rec));
		if (r)
			return fail(c, r, "recording interval timer %d", which);
	}
	return 0;
}

static int save_timers(struct ckpt *c)
{
	struct splitckpt_img_timer rec;
	char line[256], how[32], who[8];
	FILE *f = fopen("/proc/self/timers", "re");
	int have = 0, r = 0, id;

	if (!f)
		return errno == ENOENT ? 0 : fail(c, -errno, "opening /proc/self/timers");
	memset(&rec, 0, sizeof(rec));
	for (;;) {
		char *got = fgets(line, sizeof(line), f);

		if (!got || sscanf(line, "ID: %d", &id) == 1) {
			if (have) {
				struct timespec its[2];

				/* interval, value */
				if (sp_sys2(SYS_timer_gettime, rec.id, its) == 0) {
					rec.interval_ns = its[0].tv_sec * 1000000000ULL + its[0].tv_nsec;
					rec.value_ns = its[1].tv_sec * 1000000000ULL + its[1].tv_nsec;
					r = sp_imgw_record(c->w, &rec, sizeof(rec));
					if (r)
						break;
				}
			}
			if (!got)
				break;
			memset(&rec, 0, sizeof(rec));
			rec.rec.type = SPLITCKPT_REC_TIMER;
			rec.id = id;
			have = 1;
			continue;
		}
		{
			unsigned long long v;

			if (sscanf(line, "signal: %u/%llx", &rec.signo, &v) == 2) {
				rec.value = v;
				continue;
			}
		}
		if (sscanf(line, "notify: %31[a-z]/%7[a-z].%d", how, who, &rec.tid) == 3) {
			if (!strcmp(how, "none"))
				rec.notify = SIGEV_NONE;
			else if (!strcmp(who, "tid"))
				rec.notify = SIGEV_THREAD_ID;
			else
				rec.notify = SIGEV_SIGNAL;
			if (strcmp(who, "tid"))
				rec.tid = 0;
			continue;
		}
		sscanf(line, "ClockID: %d", &rec.clockid);
	}
	fclose(f);
	return r ? fail(c, r, "recording POSIX timers") : 0;
}

static int fd_in(const int *fds, size_t n, int fd)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (fds[i] == fd)
			return 1;
	return 0;
}

#define FD_IN(array, fd)	fd_in(array, sizeof(array) / sizeof((array)[0]), fd)

/* The upper half's descriptors: all but the lower half's and ours. */
static int list_fds(struct ckpt *c)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int cap = 0;

	if (!d)
		return fail(c, -errno, "listing /proc/self/fd");
	while ((de = readdir(d))) {
		int fd;

		if (de->d_name[0] == '.')
			continue;
		fd = atoi(de->d_name);
		if (fd == dirfd(d) || FD_IN(sp_ckpt_ctx.lh_fds, fd) || FD_IN(c->own_fds, fd))
			continue;
		if (c->nr_fds == cap) {
			int *n = realloc(c->fds, (cap = cap * 2 + 32) * sizeof(int));

			if (!n) {
				closedir(d);
				return fail(c, -ENOMEM, "listing descriptors");
			}
			c->fds = n;
		}
		c->fds[c->nr_fds++] = fd;
	}
	closedir(d);
	return 0;
}

static int save_fds(struct ckpt *c)
{
	int i, r;

	for (i = 0; i < c->nr_fds; i++) {
		struct splitckpt_img_fd rec = {
			.rec.type = SPLITCKPT_REC_FD,
			.fd = c->fds[i],
		};
		char path[PATH_MAX] = "", link[64], line[128];
		const char *strs[1] = { path };
		struct stat st;
		ssize_t n;
		FILE *f;
		int fl;

		snprintf(link, sizeof(link), "/proc/self/fd/%d", rec.fd);
		n = readlink(link, path, sizeof(path) - 1);
		if (n < 0 || fstat(rec.fd, &st))
			continue;	/* closed meanwhile: not ours to keep */
		path[n] = '\0';
		rec.kind = S_ISREG(st.st_mode) ? SPLITCKPT_FD_FILE :
			   S_ISDIR(st.st_mode) ? SPLITCKPT_FD_DIR :
			   S_ISCHR(st.st_mode) && path[0] == '/' ? SPLITCKPT_FD_DEVICE :
			   SPLITCKPT_FD_OTHER;
		fl = fcntl(rec.fd, F_GETFD);
		rec.fdflags = fl > 0 && (fl & FD_CLOEXEC) ? FD_CLOEXEC : 0;
		snprintf(link, sizeof(link), "/proc/self/fdinfo/%d", rec.fd);
		f = fopen(link, "re");
		while (f && fgets(line, sizeof(line), f)) {
			unsigned long long pos;

			if (sscanf(line, "pos: %llu", &pos) == 1)
				rec.pos = pos;
			sscanf(line, "flags: %o", &rec.oflags);
		}
		if (f)
			fclose(f);
		rec.oflags &= ~O_CLOEXEC;
		rec.path_len = strlen(path);
		r = put_record(c, &rec, sizeof(rec), strs, 1);
		if (r)
			return fail(c, r, "recording fd %d", rec.fd);
	}
	return 0;
}

/*
 * Process-wide real-time signals are queued with data (a POSIX timer's
 * value, sigqueue()'s payload) that raising them again would lose: take
 * them out, with their siginfo, to save them and queue them back.
 */
static int take_queued(struct ckpt *c, uint64_t shared)
{
	struct timespec zero = { 0, 0 };
	int sig, cap = 0;

	for (sig = 32; sig <= 64; sig++) {
		uint64_t set = SIG_BIT(sig);

		if (!(shared & set) || (set & LH_SIGNALS))
			continue;
		for (;;) {
			siginfo_t info;

			if (c->nr_queued == cap) {
				siginfo_t *n = realloc(c->queued, (cap = cap * 2 + 16) *
						       sizeof(*n));

				if (!n)
					return fail(c, -ENOMEM, "saving queued signals");
				c->queued = n;
			}
			if (sp_sys4(SYS_rt_sigtimedwait, &set, &info, &zero, 8) != sig)
				break;
			c->queued[c->nr_queued++] = info;
		}
	}
	return 0;
}

static void put_back_queued(struct ckpt *c)
{
	int i, pid = getpid();

	for (i = 0; i < c->nr_queued; i++)
		sp_sys3(SYS_rt_sigqueueinfo, pid, c->queued[i].si_signo, &c->queued[i]);
	c->nr_queued = 0;
}

static int save_queued(struct ckpt *c)
{
	int i, r;

	for (i = 0; i < c->nr_queued; i++) {
		struct splitckpt_img_siginfo rec = {
			.rec.type = SPLITCKPT_REC_SIGINFO,
			.signo = c->queued[i].si_signo,
		};

		memcpy(rec.info, &c->queued[i], sizeof(rec.info));
		r = sp_imgw_record(c->w, &rec, sizeof(rec));
		if (r)
			return fail(c, r, "recording a queued signal");
	}
	return 0;
}

static int save_process(struct ckpt *c, const char *dir, uint64_t tid_offset)
{
	struct splitckpt_img_process p = {
		.rec.type = SPLITCKPT_REC_PROCESS,
		.pid = getpid(),
		.nr_threads = c->nr_threads,
		.band_start = SP_BAND_START,
		.band_end = SP_BAND_END,
		.brk_start = sp_band.brk_start,
		.brk_cur = sp_band.brk_cur,
		.brk_max = SP_HEAP_END,
		.tid_offset = tid_offset,
		.ckpt_signal = SP_CKPT_SIGNAL,
	};
	char cwd[PATH_MAX] = "";
	const char *strs[3] = { cwd, sp_ckpt_ctx.exe, dir };
	uint64_t pending = 0;
	ssize_t n;
	int r;

	n = readlink("/proc/self/cwd", cwd, sizeof(cwd) - 1);
	if (n < 0)
		return fail(c, -errno, "reading the working directory");
	cwd[n] = '\0';
	r = read_status(&p.umask, &pending);
	if (r)
		return fail(c, r, "reading /proc/self/status");
	p.shared_pending = pending & ~LH_SIGNALS;
	r = take_queued(c, p.shared_pending);
	if (r)
		return r;
	/* Those are saved with their data, not as bits. */
	p.shared_pending &= (1ULL << 31) - 1;
	p.cwd_len = strlen(cwd);
	p.exe_len = strlen(sp_ckpt_ctx.exe);
	p.dir_len = strlen(dir);
	r = put_record(c, &p, sizeof(p), strs, 3);
	return r ? fail(c, r, "recording the process") : 0;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

enum sp_tracker sp_tracker_start(void)
{
	enum sp_tracker t = sp_track_backend();
	int fds[2];

	if (t != SP_TRACK_NONE)
		return t;
	t = sp_track_init(sp_fd_high);
	sp_track_fds(fds);
	/* Lower-half descriptors: never saved as the program's. */
	sp_ckpt_ctx.lh_fds[2] = fds[0];
	sp_ckpt_ctx.lh_fds[3] = fds[1];
	return t;
}

static uint64_t real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/*
 * Can this generation be incremental?  Only over the last one this
 * process wrote (or was restarted from), in the same directory, still
 * there as it was, and while the tracker saw every write since.
 */
static int can_increment(int dfd, const char *dir)
{
	struct sp_img *img;
	int ok;

	if (sp_track_backend() == SP_TRACK_NONE || !sp_lineage.gen || strcmp(dir, sp_lineage.dir) ||
	    sp_img_open(dfd, sp_lineage.gen, &img))
		return 0;
	ok = sp_img_header(img)->created_ns == sp_lineage.created_ns;
	sp_img_close(img);
	return ok;
}

int sp_checkpoint(const char *dir, const struct sp_ckpt_opts *o, uint64_t *gen,
		  struct sp_ckpt_stats *st, char *msg, size_t msglen)
{
	struct ckpt *c = calloc(1, sizeof(*c));
	uint64_t t0, created, tid_offset;
	int dfd = -1, r;

	if (!c)
		return -ENOMEM;
	c->msg = msg;
	c->msglen = msglen;
	c->o = o;
	c->pagemap = -1;
	memset(c->own_fds, -1, sizeof(c->own_fds));
	r = sp_mkdir_p(dir);
	if (r) {
		fail(c, r, "creating %s", dir);
		goto out;
	}
	/* Opened while the program runs, out of the way of its descriptors. */
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		r = fail(c, -errno, "opening %s", dir);
		goto out;
	}
	dfd = sp_fd_high(dfd);
	c->pagemap = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (c->pagemap < 0) {
		r = fail(c, -errno, "opening /proc/self/pagemap");
		goto out;
	}
	c->pagemap = sp_fd_high(c->pagemap);
	r = sp_imgw_open(dfd, &c->w);
	if (r) {
		fail(c, r, "starting a generation in %s", dir);
		goto out;
	}
	r = sp_imgw_set_compress(c->w, o->compress);
	if (r) {
		fail(c, r, "compression level %u", o->compress);
		goto out;
	}
	c->own_fds[0] = dfd;
	c->own_fds[1] = c->pagemap;
	sp_imgw_fds(c->w, c->own_fds + 2);
	sp_tracker_start();	/* without one every generation is full */
	c->subpage = sp_track_backend() == SP_TRACK_MODULE ||
		     sp_track_backend() == SP_TRACK_SOFT_DIRTY;
	c->incremental = !(o->flags & SP_CKPT_FULL) && can_increment(dfd, dir);
	if (c->incremental) {
		sp_imgw_set_parent(c->w, sp_lineage.gen, sp_lineage.created_ns);
		st->parent = sp_lineage.gen;
	}
	/* From here on the tracker's state is only good with this generation. */
	sp_lineage.gen = 0;
	r = precopy(c, o->precopy);
	st->precopy = c->passes;
	st->precopy_bytes = c->pre_bytes;
	if (r)
		goto out;
	t0 = mono_ns();
	r = sp_freeze(c->threads, SP_MAX_THREADS, 10000);
	st->freeze_ns = mono_ns() - t0;
	if (r < 0) {
		fail(c, r, "stopping the program's threads");
		goto out;
	}
	c->nr_threads = r;
	/* Everything from here on runs with the upper half stopped. */
	sp_raw_lock(&sp_band.lock);
	created = real_ns();
	sp_imgw_set_created(c->w, created);
	r = list_fds(c);
	if (!r)
		r = save_threads(c, &tid_offset);
	if (!r)
		r = save_process(c, dir, tid_offset);
	if (!r)
		r = save_queued(c);
	if (!r)
		r = save_signals(c);
	if (!r)
		r = save_timers(c);
	if (!r)
		r = save_fds(c);
	if (!r)
		r = save_memory(c);
	if (!r) {
		r = sp_track_epoch();
		if (r)
			fail(c, r, "starting a new epoch of the %s tracker",
			     sp_track_name(sp_track_backend()));
	}
	/*
	 * All of the program is in the writer's buffers or on its way to the
	 * file: it may go on while the generation is made durable.
	 */
	sp_band.watch = 0;
	sp_band.nr_touched = 0;
	sp_band.nr_discard = 0;	/* on failure the next generation is full */
	put_back_queued(c);
	sp_raw_unlock(&sp_band.lock);
	if (o->flags & SP_CKPT_THAW)
		sp_thaw();
	st->stopped_ns = mono_ns() - t0;
	st->stopped_bytes = c->stopped_bytes;
	if (r)
		goto out;
	report(c, SP_PHASE_COMMIT, 1);
	r = sp_imgw_commit(c->w, gen);
	c->w = NULL;
	if (r) {
		fail(c, r, "committing the generation in %s", dir);
	} else {
		char name[64];
		struct stat sb;

		snprintf(name, sizeof(name), "gen-%08llu.img", (unsigned long long)*gen);
		if (!fstatat(dfd, name, &sb, 0))
			st->bytes = sb.st_size;
		snprintf(sp_lineage.dir, sizeof(sp_lineage.dir), "%s", dir);
		sp_lineage.gen = *gen;
		sp_lineage.created_ns = created;
	}
	if (!(o->flags & SP_CKPT_THAW))
		st->stopped_ns = mono_ns() - t0;
out:
	/* The chain does not hold what the hashes now say. */
	if (r)
		sp_subpage_clear();
	/* Without SP_CKPT_THAW the caller lets the threads go (or kills them). */
	if (c->w)
		sp_imgw_abort(c->w);
	if (sp_band.watch) {
		sp_raw_lock(&sp_band.lock);
		sp_band.watch = 0;
		sp_band.nr_touched = 0;
		sp_raw_unlock(&sp_band.lock);
	}
	if (c->pagemap >= 0)
		close(c->pagemap);
	if (dfd >= 0)
		close(dfd);
	sp_ranges_free(&c->pre_inc);
	sp_ranges_free(&c->pre_whole);
	sp_ranges_free(&c->redo);
	free(c->bounce);
	free(c->fds);
	free(c->queued);
	free(c);
	return r;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * make bench, dirty tracking: what the module's DIRTY_SCAN costs against
 * the kernel's own trackers, in one run (see scripts/bench-kmod-vm.sh).
 *
 *   bench-kmod [-s MIB] [-r REPS] [-v VEC] [-H] [-R]
 *
 * -v: ranges a harvest call may return (module and PAGEMAP_SCAN; default
 * 8192 like the runtime, at most 65536); -R: harvests only.
 *
 * For each tracker a child process maps MIB (default 1024) of private
 * anonymous memory (MADV_NOHUGEPAGE, or MADV_HUGEPAGE with -H), touches
 * it, starts tracking it and measures
 *
 *   harvest:  report and clear the written pages of the whole region with
 *             0 %, 10 % (every tenth page) and 100 % of its pages written
 *             since the last harvest (one byte per page);
 *   redirty:  memset() of the whole region right after a harvest, the
 *             cost the application pays for being tracked.
 *
 * Trackers: none (untracked, redirty only), module (/dev/splitckpt
 * ATTACH + DIRTY_SCAN get-and-clear), soft-dirty (pread of
 * /proc/self/pagemap + "4" to /proc/self/clear_refs) and uffd-wp
 * (userfaultfd WP_ASYNC + PAGEMAP_SCAN WP_MATCHING, Linux 6.7+).  Each
 * runs in its own process so that no tracker pays for another's hooks.
 * Every figure is the median of REPS (default 5) repetitions; the
 * minimum is printed too.  Exit status 0 when every available tracker
 * ran, whatever the ratios.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/splitckpt.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#include "pagemap_scan.h"

#define PG		4096UL
#define MAX_REPS	32
#define NVEC		65536	/* SPLITCKPT_SCAN_MAX_VEC */
#define NVEC_DEFAULT	8192	/* what the runtime uses (lib/track.c) */
#define PM_SOFT_DIRTY	(1ULL << 55)
#define NCHUNK		16	/* pieces of a re-dirty memset, timed apart */

enum tracker { T_NONE, T_MODULE, T_SOFT_DIRTY, T_UFFD_WP, T_NR };
enum level { L_0, L_10, L_100, L_NR };

static const char *const tracker_name[T_NR] = {
	"untracked", "module", "soft-dirty", "uffd-wp",
};

static const int level_pct[L_NR] = { 0, 10, 100 };

/* What a child hands back, in memory shared with the parent. */
struct result {
	int status;			/* 0, or -errno: the tracker failed */
	int ran;
	double harvest[L_NR][MAX_REPS];	/* ns */
	double redirty[MAX_REPS];	/* ns */
	double chunk_best[NCHUNK];	/* ns, best of each piece over runs */
	uint64_t reported[L_NR];	/* pages reported by the last harvest */
	uint64_t expected[L_NR];
};

struct bench {
	size_t len;
	int reps;
	int thp;
	int no_redirty;
	unsigned long nvec;	/* entries of @vec a harvest call may fill */
	char *buf;
	enum tracker t;
	int fd;			/* device, clear_refs or userfaultfd */
	int pagemap;
	void *vec;		/* the harvest's output array */
	uint64_t *ent;		/* soft-dirty's page map entries */
};

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(const double *v, int n)
{
	double s[MAX_REPS];

	memcpy(s, v, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_double);
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

static double minimum(const double *v, int n)
{
	double m = v[0];
	int i;

	for (i = 1; i < n; i++)
		if (v[i] < m)
			m = v[i];
	return m;
}

/* ---- the module ---------------------------------------------------- */

static int module_open(struct bench *b)
{
	struct splitckpt_info info = { .size = sizeof(info) };
	struct splitckpt_attach a = { .size = sizeof(a), .pid = 0 };

	b->fd = open("/dev/" SPLITCKPT_DEVICE_NAME, O_RDWR | O_CLOEXEC);
	if (b->fd < 0)
		return -errno;
	if (ioctl(b->fd, SPLITCKPT_IOC_GET_INFO, &info))
		return -errno;
	if (!(info.features & SPLITCKPT_FEAT_DIRTY))
		return -EOPNOTSUPP;
	return ioctl(b->fd, SPLITCKPT_IOC_ATTACH, &a) ? -errno : 0;
}

static int module_harvest(struct bench *b, uint64_t *pages)
{
	struct splitckpt_dirty_scan d;
	uint64_t start = (uintptr_t)b->buf, end = start + b->len;

	*pages = 0;
	while (start < end) {
		memset(&d, 0, sizeof(d));
		d.size = sizeof(d);
		d.start = start;
		d.end = end;
		d.vec = (uintptr_t)b->vec;
		d.vec_len = b->nvec;
		if (ioctl(b->fd, SPLITCKPT_IOC_DIRTY_SCAN, &d))
			return -errno;
		*pages += d.nr_pages;
		if (d.walk_end <= start)
			return -EIO;
		start = d.walk_end;
	}
	return 0;
}

/* ---- soft-dirty ---------------------------------------------------- */

static int soft_dirty_open(struct bench *b)
{
	b->fd = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);
	if (b->fd < 0)
		return -errno;
	b->ent = malloc(b->len / PG * sizeof(*b->ent));
	return b->ent ? 0 : -ENOMEM;
}

/* Reads the page map of the region, counts soft-dirty pages, clears. */
static int soft_dirty_harvest(struct bench *b, uint64_t *pages)
{
	size_t n = b->len / PG, i;
	off_t off = (uintptr_t)b->buf / PG * sizeof(*b->ent);
	ssize_t want = n * sizeof(*b->ent);
	uint64_t cnt = 0;

	if (pread(b->pagemap, b->ent, want, off) != want)
		return -EIO;
	for (i = 0; i < n; i++)
		cnt += !!(b->ent[i] & PM_SOFT_DIRTY);
	*pages = cnt;
	return pwrite(b->fd, "4", 1, 0) == 1 ? 0 : -errno;
}

/* ---- uffd-wp async + PAGEMAP_SCAN ------------------------------------ */

static int uffd_wp_open(struct bench *b)
{
	struct uffdio_api api = {
		.api = UFFD_API,
		.features = UFFD_FEATURE_WP_ASYNC,
	};
	struct uffdio_register reg = {
		.range = { .start = (uintptr_t)b->buf, .len = b->len },
		.mode = UFFDIO_REGISTER_MODE_WP,
	};

	b->fd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK |
			UFFD_USER_MODE_ONLY);
	if (b->fd < 0)
		return -errno;
	if (ioctl(b->fd, UFFDIO_API, &api))
		return errno == EINVAL ? -EOPNOTSUPP : -errno;
	if (!(api.features & UFFD_FEATURE_WP_ASYNC))
		return -EOPNOTSUPP;
	return ioctl(b->fd, UFFDIO_REGISTER, &reg) ? -errno : 0;
}

static int uffd_wp_harvest(struct bench *b, uint64_t *pages)
{
	struct page_region *vec = b->vec;
	struct pm_scan_arg a;
	uint64_t start = (uintptr_t)b->buf, end = start + b->len;
	int n, i;

	*pages = 0;
	while (start < end) {
		memset(&a, 0, sizeof(a));
		a.size = sizeof(a);
		a.flags = PM_SCAN_WP_MATCHING | PM_SCAN_CHECK_WPASYNC;
		a.start = start;
		a.end = end;
		a.vec = (uintptr_t)vec;
		a.vec_len = b->nvec;
		a.category_mask = PAGE_IS_WRITTEN;
		a.return_mask = PAGE_IS_WRITTEN;
		n = ioctl(b->pagemap, PAGEMAP_SCAN, &a);
		if (n < 0)
			return errno == ENOTTY ? -EOPNOTSUPP : -errno;
		for (i = 0; i < n; i++)
			*pages += (vec[i].end - vec[i].start) / PG;
		if (a.walk_end <= start)
			return -EIO;
		start = a.walk_end;
	}
	return 0;
}

/* ---- common -------------------------------------------------------- */

static int tracker_open(struct bench *b)
{
	switch (b->t) {
	case T_MODULE:
		return module_open(b);
	case T_SOFT_DIRTY:
		return soft_dirty_open(b);
	case T_UFFD_WP:
		return uffd_wp_open(b);
	default:
		return 0;
	}
}

static int harvest(struct bench *b, uint64_t *pages)
{
	switch (b->t) {
	case T_MODULE:
		return module_harvest(b, pages);
	case T_SOFT_DIRTY:
		return soft_dirty_harvest(b, pages);
	case T_UFFD_WP:
		return uffd_wp_harvest(b, pages);
	default:
		*pages = 0;
		return 0;
	}
}

/*
 * A page faulted in moments ago sits in a per-CPU LRU batch that holds a
 * reference on it, and the module then reports it once more.  madvise()
 * drains the batch of the CPU it runs on.
 */
static void drain_lru_batches(void)
{
	cpu_set_t all, one;
	char *p;
	int cpu;

	p = mmap(NULL, PG, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return;
	if (!sched_getaffinity(0, sizeof(all), &all)) {
		for (cpu = 0; cpu < CPU_SETSIZE; cpu++) {
			if (!CPU_ISSET(cpu, &all))
				continue;
			CPU_ZERO(&one);
			CPU_SET(cpu, &one);
			if (!sched_setaffinity(0, sizeof(one), &one))
				madvise(p, PG, MADV_COLD);
		}
		sched_setaffinity(0, sizeof(all), &all);
	}
	munmap(p, PG);
}

/* Keeps the measuring thread on one CPU (cross-CPU hops are costly in TCG). */
static void pin_cpu0(void)
{
	cpu_set_t one;

	CPU_ZERO(&one);
	CPU_SET(0, &one);
	sched_setaffinity(0, sizeof(one), &one);
}

static int map_region(struct bench *b)
{
	b->buf = mmap(NULL, b->len, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (b->buf == MAP_FAILED)
		return -errno;
	if (madvise(b->buf, b->len, b->thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE))
		return -errno;
	memset(b->buf, 1, b->len);
	b->pagemap = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (b->pagemap < 0)
		return -errno;
	b->vec = calloc(NVEC, sizeof(struct page_region));
	return b->vec ? 0 : -ENOMEM;
}

/* Writes one byte in pct % of the pages (every tenth page for 10 %). */
static uint64_t dirty_pages(struct bench *b, int pct, int round)
{
	size_t n = b->len / PG, i, step;
	uint64_t cnt = 0;

	if (!pct)
		return 0;
	step = 100 / pct;
	for (i = 0; i < n; i += step, cnt++)
		b->buf[i * PG + (round * 64) % PG] = round;
	return cnt;
}

/* A clean epoch: harvest until nothing is reported (3 tries at most). */
static int settle(struct bench *b)
{
	uint64_t pages;
	int i, r;

	drain_lru_batches();
	for (i = 0; i < 3; i++) {
		r = harvest(b, &pages);
		if (r || !pages)
			return r;
	}
	return 0;
}

/*
 * From a clean epoch (one harvest not timed), writes @pct % of the pages,
 * then times one harvest.
 */
static int do_harvest(struct bench *b, struct result *res, int l, int i)
{
	uint64_t pages;
	double t0;
	int r;

	r = harvest(b, &pages);
	if (r)
		return r;
	res->expected[l] = dirty_pages(b, level_pct[l], i + 2);
	t0 = now_ns();
	r = harvest(b, &pages);
	res->harvest[l][i] = now_ns() - t0;
	res->reported[l] = pages;
	return r;
}

/*
 * Harvests (not timed), then times a memset() of the whole region, in
 * NCHUNK pieces so that the best of each piece over the runs can be kept:
 * a guest vCPU the host preempts for a while spoils one piece, not a run.
 */
static int do_redirty(struct bench *b, struct result *res, int i)
{
	size_t piece = b->len / NCHUNK / PG * PG, off, n;
	double t0, dt, total = 0;
	uint64_t pages;
	int c, r;

	r = harvest(b, &pages);
	if (r)
		return r;
	for (c = 0, off = 0; c < NCHUNK; c++, off += n) {
		n = c == NCHUNK - 1 ? b->len - off : piece;
		t0 = now_ns();
		memset(b->buf + off, i + 7, n);
		dt = now_ns() - t0;
		total += dt;
		if (!i || dt < res->chunk_best[c])
			res->chunk_best[c] = dt;
	}
	res->redirty[i] = total;
	return 0;
}

static int child_setup(struct bench *b)
{
	int r;

	pin_cpu0();
	r = map_region(b);
	if (!r)
		r = tracker_open(b);
	if (!r)
		r = settle(b);
	return r;
}

/*
 * The trackers' processes live side by side and the parent asks each in
 * turn for one measurement, so that a slow patch of the host (other
 * guests, TCG) hits every tracker alike.
 */
enum op { OP_HARVEST, OP_REDIRTY, OP_QUIT };

struct cmd {
	int op, level, rep;
};

struct child {
	pid_t pid;
	int cmd, ack;	/* pipes to and from the child */
};

static void child_loop(struct bench *b, struct result *res, int in, int out)
{
	struct cmd c;
	char ok = 1;

	res->status = child_setup(b);
	res->ran = 1;
	while (write(out, &ok, 1) == 1 && read(in, &c, sizeof(c)) == sizeof(c)) {
		if (c.op == OP_QUIT)
			break;
		if (res->status)
			continue;
		if (c.op == OP_HARVEST)
			res->status = do_harvest(b, res, c.level, c.rep);
		else
			res->status = do_redirty(b, res, c.rep);
	}
	_exit(0);
}

static int child_wait_ack(struct child *ch)
{
	char ok;

	return read(ch->ack, &ok, 1) == 1 ? 0 : -ECHILD;
}

static int child_start(struct bench *b, enum tracker t, struct result *res,
		       struct child *ch)
{
	int to[2], from[2];

	if (pipe(to) || pipe(from))
		return -errno;
	fflush(stdout);
	ch->pid = fork();
	if (ch->pid < 0)
		return -errno;
	if (!ch->pid) {
		close(to[1]);
		close(from[0]);
		b->t = t;
		child_loop(b, res, to[0], from[1]);
	}
	close(to[0]);
	close(from[1]);
	ch->cmd = to[1];
	ch->ack = from[0];
	if (child_wait_ack(ch) || !res->ran)
		return -ECHILD;
	return res->status;
}

static int child_call(struct child *ch, const struct result *res, int op,
		      int level, int rep)
{
	struct cmd c = { .op = op, .level = level, .rep = rep };

	if (write(ch->cmd, &c, sizeof(c)) != sizeof(c) || child_wait_ack(ch))
		return -ECHILD;
	return res->status;
}

static void child_stop(struct child *ch)
{
	struct cmd c = { .op = OP_QUIT };

	if (ch->pid <= 0)
		return;
	if (write(ch->cmd, &c, sizeof(c)) != sizeof(c))
		kill(ch->pid, SIGKILL);
	waitpid(ch->pid, NULL, 0);
	close(ch->cmd);
	close(ch->ack);
}

/* One round of every measurement, trackers in an order rotated by @rep. */
static void run_round(struct child *ch, struct result *res, int rep,
		      int redirty)
{
	int k, l, t;

	for (l = 0; l < L_NR; l++)
		for (k = 0; k < T_NR; k++) {
			t = (k + rep) % T_NR;
			if (t != T_NONE && !res[t].status)
				child_call(&ch[t], &res[t], OP_HARVEST, l, rep);
		}
	for (k = 0; redirty && k < T_NR; k++) {
		t = (k + rep) % T_NR;
		if (!res[t].status)
			child_call(&ch[t], &res[t], OP_REDIRTY, 0, rep);
	}
}

static void run_all(struct bench *b, struct child *ch, struct result *res)
{
	int t, i;

	for (t = 0; t < T_NR; t++)
		res[t].status = child_start(b, t, &res[t], &ch[t]);
	for (i = 0; i < b->reps; i++)
		run_round(ch, res, i, !b->no_redirty);
	for (t = 0; t < T_NR; t++)
		child_stop(&ch[t]);
	/* Without CONFIG_MEM_SOFT_DIRTY clear_refs "4" works, nothing is set. */
	if (!res[T_SOFT_DIRTY].status && !res[T_SOFT_DIRTY].reported[L_100])
		res[T_SOFT_DIRTY].status = -EOPNOTSUPP;
}

/* ---- report -------------------------------------------------------- */

static double ms_per_gib(const struct bench *b, double ns)
{
	return ns / 1e6 * (double)(1UL << 30) / b->len;
}

/*
 * Ratios of medians, of bests and the median of the ratios of the runs
 * taken side by side (paired), checked against @goal.
 */
static void print_ratio(const char *what, const double *num,
			const double *den, double goal)
{
	int i;

	if (num[0] <= 0 || den[0] <= 0) {
		printf("%-38s %7s %7s %7s\n", what, "n/a", "n/a", "n/a");
		return;
	}
	printf("%-38s", what);
	for (i = 0; i < 3; i++)
		printf(" %7.2f", num[i] / den[i]);
	if (goal > 0) {
		printf("   target <= %.2f:", goal);
		for (i = 0; i < 3; i++)
			printf(" %s", num[i] / den[i] <= goal ? "met" : "NOT");
	}
	printf("\n");
}

static int usable(const struct result *r)
{
	return !r->status && r->ran;
}

/*
 * Median, best and paired ratio of the series @x against @y, as the
 * numerators and denominators print_ratio() takes.  @xbest and @ybest
 * replace the minima when non-zero.
 */
static void ratio_of(const struct bench *b, const double *x, const double *y,
		     double xbest, double ybest, double num[3], double den[3])
{
	double q[MAX_REPS];
	int i;

	for (i = 0; i < b->reps; i++)
		q[i] = x[i] / y[i];
	num[0] = median(x, b->reps);
	den[0] = median(y, b->reps);
	num[1] = xbest ? xbest : minimum(x, b->reps);
	den[1] = ybest ? ybest : minimum(y, b->reps);
	num[2] = median(q, b->reps);
	den[2] = 1;
}

static void print_harvest_ratios(const struct bench *b,
				 const struct result *res)
{
	const struct result *m = &res[T_MODULE];
	double num[3], den[3];
	char what[64];
	int l, t;

	for (t = T_SOFT_DIRTY; t < T_NR; t++)
		for (l = 0; l < L_NR; l++) {
			snprintf(what, sizeof(what), "harvest %3d%%: module / %s",
				 level_pct[l], t == T_UFFD_WP ? "PAGEMAP_SCAN" :
				 tracker_name[t]);
			num[0] = -1;
			if (usable(m) && usable(&res[t]))
				ratio_of(b, m->harvest[l], res[t].harvest[l], 0, 0,
					 num, den);
			print_ratio(what, num, den, t != T_UFFD_WP ? 0 :
				    l == L_0 ? 1.0 : 0.7);
		}
}

static double chunk_sum(const struct result *r)
{
	double sum = 0;
	int c;

	for (c = 0; c < NCHUNK; c++)
		sum += r->chunk_best[c];
	return sum;
}

static void print_redirty_ratio(const struct bench *b, const char *what,
				const struct result *x, const struct result *y,
				double goal)
{
	double num[3] = { -1 }, den[3];

	if (usable(x) && usable(y))
		ratio_of(b, x->redirty, y->redirty, chunk_sum(x), chunk_sum(y),
			 num, den);
	print_ratio(what, num, den, goal);
}

static void print_redirty_ratios(const struct bench *b,
				 const struct result *res)
{
	char what[64];
	int t;

	for (t = T_MODULE; t < T_NR; t++) {
		snprintf(what, sizeof(what), "re-dirty: %s / untracked",
			 tracker_name[t]);
		print_redirty_ratio(b, what, &res[t], &res[T_NONE],
				    t == T_MODULE ? 1.05 : 0);
	}
	print_redirty_ratio(b, "re-dirty: module / uffd-wp", &res[T_MODULE],
			    &res[T_UFFD_WP], 0);
}

static void print_harvest_table(const struct bench *b,
				const struct result *res)
{
	int t, l;

	printf("harvest (scan+clear), ms per GiB, median [min] of %d:\n",
	       b->reps);
	printf("%-12s %22s %22s %22s\n", "tracker", "0% dirty", "10% dirty",
	       "100% dirty");
	for (t = T_MODULE; t < T_NR; t++) {
		printf("%-12s", tracker_name[t]);
		for (l = 0; l < L_NR; l++) {
			if (res[t].status || !res[t].ran) {
				printf(" %22s", "n/a");
				continue;
			}
			printf("    %8.2f [%8.2f]",
			       ms_per_gib(b, median(res[t].harvest[l], b->reps)),
			       ms_per_gib(b, minimum(res[t].harvest[l], b->reps)));
		}
		if (res[t].status)
			printf("   (%s)", strerror(-res[t].status));
		printf("\n");
	}
}

static void print_counts(const struct result *res)
{
	int t, l;

	printf("pages reported by the last harvest (written):");
	for (t = T_MODULE; t < T_NR; t++) {
		if (res[t].status || !res[t].ran)
			continue;
		printf(" %s", tracker_name[t]);
		for (l = 0; l < L_NR; l++)
			printf(" %llu(%llu)",
			       (unsigned long long)res[t].reported[l],
			       (unsigned long long)res[t].expected[l]);
	}
	printf("\n");
}

static void print_redirty_table(const struct bench *b,
				const struct result *res)
{
	int t;

	printf("application re-dirty: memset of the region after a harvest, ms per GiB,\n"
	       "median [min] [sum of the best of each 1/%d] of %d:\n",
	       NCHUNK, b->reps);
	for (t = T_NONE; t < T_NR; t++) {
		if (!usable(&res[t]))
			printf("%-12s %22s\n", tracker_name[t], "n/a");
		else
			printf("%-12s    %8.1f [%8.1f] [%8.1f]\n", tracker_name[t],
			       ms_per_gib(b, median(res[t].redirty, b->reps)),
			       ms_per_gib(b, minimum(res[t].redirty, b->reps)),
			       ms_per_gib(b, chunk_sum(&res[t])));
	}
}

static void print_tables(const struct bench *b, const struct result *res)
{
	print_harvest_table(b, res);
	print_counts(res);
	if (b->thp)
		printf("THP: the module and soft-dirty report whole 2 MiB pages, uffd-wp splits them:\n"
		       "below 100 %% the trackers do not report the same pages.\n");
	if (!b->no_redirty)
		print_redirty_table(b, res);
	printf("%-38s %7s %7s %7s   (target: median best paired)\n",
	       "ratios", "median", "best", "paired");
	print_harvest_ratios(b, res);
	if (!b->no_redirty)
		print_redirty_ratios(b, res);
}

static int parse_args(struct bench *b, int argc, char **argv)
{
	int c;

	b->len = 1024UL << 20;
	b->reps = 5;
	b->nvec = NVEC_DEFAULT;
	while ((c = getopt(argc, argv, "s:r:v:HR")) != -1) {
		switch (c) {
		case 's':
			b->len = strtoul(optarg, NULL, 0) << 20;
			break;
		case 'r':
			b->reps = atoi(optarg);
			break;
		case 'v':
			b->nvec = strtoul(optarg, NULL, 0);
			break;
		case 'H':
			b->thp = 1;
			break;
		case 'R':
			b->no_redirty = 1;
			break;
		default:
			return -EINVAL;
		}
	}
	if (!b->len || b->reps < 1 || b->reps > MAX_REPS || !b->nvec ||
	    b->nvec > NVEC)
		return -EINVAL;
	return 0;
}

int main(int argc, char **argv)
{
	struct bench b = { .fd = -1, .pagemap = -1 };
	struct child ch[T_NR] = { 0 };
	struct result *res;
	struct utsname u;
	int t, r, failed = 0;

	if (parse_args(&b, argc, argv)) {
		fprintf(stderr, "usage: %s [-s MIB] [-r REPS] [-v VEC] [-H] [-R]\n", argv[0]);
		return 2;
	}
	res = mmap(NULL, T_NR * sizeof(*res), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (res == MAP_FAILED)
		return 1;
	uname(&u);
	printf("== dirty tracking, kernel %s, %zu MiB region, THP %s, %d runs, %lu ranges per harvest call\n",
	       u.release, b.len >> 20, b.thp ? "on (MADV_HUGEPAGE)" :
	       "off (MADV_NOHUGEPAGE)", b.reps, b.nvec);
	run_all(&b, ch, res);
	for (t = 0; t < T_NR; t++) {
		r = res[t].status;
		if (!r)
			continue;
		printf("%s: %s\n", tracker_name[t], strerror(-r));
		/* uffd-wp async needs 6.7+, soft-dirty its config */
		if (r != -EOPNOTSUPP)
			failed = 1;
	}
	print_tables(&b, res);
	return failed;
}

// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Restart: this process is a fresh lower half.  Put the upper half's
 * memory back at its addresses, its files, signal dispositions and timers,
 * recreate its threads, and let each one rt_sigreturn() from the frame it
 * was stopped in.  The lower half's main thread becomes the upper half's
 * main thread, as at launch.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <asm/prctl.h>
#include <sys/mman.h>
#include <sys/rseq.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/ucontext.h>

#include "band.h"
#include "chain.h"
#include "image.h"
#include "raw.h"
#include "runtime.h"
#include "track.h"

/* clone a thread running fn(arg) on @stack; no libc involved. */
long sp_clone_thread(unsigned long flags, void *stack, void (*fn)(void *),
		     void *arg);
__asm__(".text\n"
	".globl sp_clone_thread\n"
	".type sp_clone_thread,@function\n"
	"sp_clone_thread:\n"
	"	sub $16, %rsi\n"
	"	mov %rdx, 0(%rsi)\n"
	"	mov %rcx, 8(%rsi)\n"
	"	mov $56, %eax\n"		/* SYS_clone */
	"	xor %edx, %edx\n"
	"	xor %r10d, %r10d\n"
	"	xor %r8d, %r8d\n"
	"	syscall\n"
	"	test %rax, %rax\n"
	"	jnz 1f\n"
	"	pop %rax\n"
	"	pop %rdi\n"
	"	xor %ebp, %ebp\n"
	"	call *%rax\n"
	"	ud2\n"
	"1:	ret\n"
	".size sp_clone_thread, .-sp_clone_thread\n");

/*
 * The frame's XSAVE area may name state components this CPU does not
 * have (restart on another CPU): keep only what XCR0 enables, or the
 * kernel refuses the whole frame.  The lost components' registers start
 * from their initial state.
 */
static void fit_xsave(uint64_t frame)
{
	ucontext_t *uc = (ucontext_t *)frame;
	unsigned char *fx = (unsigned char *)uc->uc_mcontext.fpregs;
	struct _fpx_sw_bytes *sw;	/* glibc's <bits/sigcontext.h> */
	uint32_t lo, hi;
	uint64_t xcr0;

	if (!fx)
		return;
	sw = (struct _fpx_sw_bytes *)(fx + 464);
	if (sw->magic1 != FP_XSTATE_MAGIC1)
		return;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	xcr0 = (uint64_t)hi << 32 | lo;
	*(uint64_t *)(fx + 512) &= xcr0;	/* XSAVE header: XSTATE_BV */
	sw->xstate_bv &= xcr0;			
}

__attribute__((noreturn)) static void sigreturn_to(uint64_t frame)
{
	__asm__ volatile("mov %0, %%rsp\n\t"
			 "mov $15, %%eax\n\t"	/* SYS_rt_sigreturn */
			 "syscall\n\t"
			 "ud2\n\t"
			 : : "r"(frame) : "memory");
	__builtin_unreachable();
}

struct rthread {
	struct splitckpt_img_thread rec;
	int new_tid;
};

static struct {
	uint32_t ready;
	uint32_t go;
	uint64_t tid_offset;
} rs;

/* Become the saved thread: runs with no usable TLS, raw calls only. */
__attribute__((noreturn)) static void become(struct rthread *t)
{
	const struct splitckpt_img_thread *r = &t->rec;
	int tid = sp_raw_gettid();

	t->new_tid = tid;
	if (r->robust_head)
		sp_sys2(SYS_set_robust_list, r->robust_head, r->robust_len);
	sp_sys2(SYS_arch_prctl, ARCH_SET_FS, r->fs_base);
	if (rs.tid_offset) {
		/* libc's tid cache, which the kernel clears when we exit. */
		*(volatile int *)(r->fs_base + rs.tid_offset) = tid;
		sp_sys1(SYS_set_tid_address, r->fs_base + rs.tid_offset);
	}
	if (r->rseq_area)
		sp_sys4(SYS_rseq, r->rseq_area, r->rseq_len, 0, r->rseq_sig);
	__atomic_fetch_add(&rs.ready, 1, __ATOMIC_RELEASE);
	sp_raw_futex_wake(&rs.ready);
	while (!__atomic_load_n(&rs.go, __ATOMIC_ACQUIRE))
		sp_raw_futex_wait(&rs.go, 0);
	fit_xsave(r->frame);
	sigreturn_to(r->frame);
}

static void thread_entry(void *arg)
{
	become(arg);
}

struct restore {
	char *msg;
	size_t msglen;
	sp_warn_fn warn;
	struct splitckpt_img_process *proc;
	char *cwd, *exe, *dir;
	struct rthread *threads;
	int nr_threads;
	void **recs;		/* copies of the records still needed */
	int nr_recs;
};

static int fail(struct restore *s, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sp_explain(s->msg, s->msglen, r, fmt, ap);
	va_end(ap);
	return r;
}

static int keep(struct restore *s, const struct splitckpt_img_rec *rec)
{
	void **n = realloc(s->recs, (s->nr_recs + 1) * sizeof(*n));

	if (!n)
		return -ENOMEM;
	s->recs = n;
	n[s->nr_recs] = malloc(rec->size);
	if (!n[s->nr_recs])
		return -ENOMEM;
	memcpy(n[s->nr_recs++], rec, rec->size);
	return 0;
}

static int advise(struct restore *s, const struct splitckpt_img_vma *v)
{
	static const struct {
		uint32_t bit;
		int advice;
	} map[] = {
		{ SPLITCKPT_VMA_HUGEPAGE, MADV_HUGEPAGE },
		{ SPLITCKPT_VMA_NOHUGEPAGE, MADV_NOHUGEPAGE },
		{ SPLITCKPT_VMA_DONTFORK, MADV_DONTFORK },
		{ SPLITCKPT_VMA_WIPEONFORK, MADV_WIPEONFORK },
		{ SPLITCKPT_VMA_DONTDUMP, MADV_DONTDUMP },
		{ SPLITCKPT_VMA_MERGEABLE, MADV_MERGEABLE },
	};
	uint64_t len = v->end - v->start;
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if ((v->flags & map[i].bit) &&
		    madvise((void *)v->start, len, map[i].advice))
			s->warn("madvise(%#" PRIx64 ", %d) failed: %s", v->start,
				map[i].advice, strerror(errno));
	if ((v->flags & SPLITCKPT_VMA_LOCKED) && mlock((void *)v->start, len))
		s->warn("cannot lock %#" PRIx64 "-%#" PRIx64 " in memory again: %s",
			v->start, v->end, strerror(errno));
	return 0;
}

/* Start tracking writes, so the next generation can be incremental. */
static void track(struct sp_img *img)
{
	const struct splitckpt_img_rec *rec;

	if (sp_tracker_start() == SP_TRACK_NONE)
		return;
	for (rec = sp_img_next(img, NULL); rec; rec = sp_img_next(img, rec)) {
		const struct splitckpt_img_vma *v = (const void *)rec;

		if (rec->type != SPLITCKPT_REC_VMA ||
		    !(v->flags & SPLITCKPT_VMA_PRIVATE) ||
		    (v->flags & (SPLITCKPT_VMA_REMAP | SPLITCKPT_VMA_SYSV)))
			continue;
		if (sp_track_register(v->start, v->end) ||
		    sp_track_scan(v->start, v->end, NULL, NULL))
			return;	/* then the next generation is full */
	}
	if (sp_track_epoch())
		return;
	sp_lineage.gen = sp_img_header(img)->generation;
	sp_lineage.created_ns = sp_img_header(img)->created_ns;
}

static int map_vmas(struct restore *s, struct sp_chain *chain, const char *dir)
{
	struct sp_img *img = chain->img[0];
	const struct splitckpt_img_rec *rec;
	uint64_t bad;
	int64_t n;
	long m;
	int r;

	/* First claim every range, so nothing of ours lands in between. */
	for (rec = sp_img_next(img, NULL); rec; rec = sp_img_next(img, rec)) {
		const struct splitckpt_img_vma *v = (const void *)rec;

		if (rec->type != SPLITCKPT_REC_VMA)
			continue;
		m = sp_raw_mmap(v->start, v->end - v->start, PROT_NONE,
				MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE |
				MAP_FIXED_NOREPLACE, -1, 0);
		if (sp_raw_failed(m))
			return fail(s, m, "the program's memory %#" PRIx64 "-%#" PRIx64
				    " is taken in the new process", v->start, v->end);
		r = sp_band_add(v->start, v->end);
		if (r)
			return fail(s, r, "recording memory");
	}
	for (rec = sp_img_next(img, NULL); rec; rec = sp_img_next(img, rec)) {
		const struct splitckpt_img_vma *v = (const void *)rec;
		const char *path = (const char *)(v + 1);
		uint64_t len;

		if (rec->type != SPLITCKPT_REC_VMA)
			continue;
		len = v->end - v->start;
		if (v->flags & SPLITCKPT_VMA_REMAP) {
			int fd = open(path, (v->prot & PROT_WRITE ? O_RDWR : O_RDONLY) |
				      O_CLOEXEC);

			if (fd < 0)
				return fail(s, -errno, "reopening the shared mapping of %s", path);
			m = sp_raw_mmap(v->start, len, v->prot, MAP_SHARED | MAP_FIXED,
					fd, v->pgoff);
			close(fd);
		} else {
			m = sp_raw_mmap(v->start, len, PROT_READ | PROT_WRITE,
					(v->flags & SPLITCKPT_VMA_PRIVATE ?
					 MAP_PRIVATE : MAP_SHARED) |
					MAP_ANONYMOUS | MAP_FIXED, -1, 0);
		}
		if (sp_raw_failed(m))
			return fail(s, m, "mapping %#" PRIx64 "-%#" PRIx64, v->start, v->end);
	}
	/* madvise state first: huge pages are allocated while loading. */
	for (rec = sp_img_next(img, NULL); rec; rec = sp_img_next(img, rec)) {
		const struct splitckpt_img_vma *v = (const void *)rec;

		if (rec->type != SPLITCKPT_REC_VMA)
			continue;
		r = advise(s, v);
		if (r)
			return r;
	}
	n = sp_chain_load(chain, &bad);
	if (n < 0)
		return fail(s, n, "reading the program's memory from %s/gen-%08" PRIu64 ".img",
			    dir, bad);
	for (rec = sp_img_next(img, NULL); rec; rec = sp_img_next(img, rec)) {
		const struct splitckpt_img_vma *v = (const void *)rec;

		if (rec->type != SPLITCKPT_REC_VMA || (v->flags & SPLITCKPT_VMA_REMAP))
			continue;
		m = sp_sys3(SYS_mprotect, v->start, v->end - v->start, v->prot);
		if (m)
			return fail(s, m, "protecting %#" PRIx64, v->start);
	}
	snprintf(sp_lineage.dir, sizeof(sp_lineage.dir), "%s", dir);
	track(img);
	return 0;
}

static int read_image(struct restore *s, const char *dir, uint64_t gen)
{
	const struct splitckpt_img_rec *rec;
	struct sp_chain *chain;
	struct sp_img *img;
	uint64_t bad;
	int dfd, r, nt = 0;

	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return fail(s, -errno, "%s", dir);
	r = sp_chain_open(dfd, gen, &chain, &bad);
	close(dfd);
	if (r == -ENOENT && bad == gen)
		return fail(s, r, "%s: %s", dir,
			    gen ? "no such generation" : "no checkpoint here");
	if (r == -ESTALE)
		return fail(s, r, "%s/gen-%08" PRIu64 ".img is not the generation "
			    "the newer ones were written against", dir, bad);
	if (r == -ENOENT)
		return fail(s, r, "%s/gen-%08" PRIu64 ".img, which the generation "
			    "builds on, is missing", dir, bad);
	if (r)
		return fail(s, r, "%s/gen-%08" PRIu64 ".img", dir, bad);
	img = chain->img[0];
	for (rec = sp_img_next(img, NULL); rec; rec = sp_img_next(img, rec)) {
		switch (rec->type) {
		case SPLITCKPT_REC_PROCESS:
			s->proc = malloc(rec->size);
			if (!s->proc) {
				r = -ENOMEM;
				goto out;
			}
			memcpy(s->proc, rec, rec->size);
			break;
		case SPLITCKPT_REC_THREAD:
			nt++;
			break;
		case SPLITCKPT_REC_FD:
		case SPLITCKPT_REC_SIGINFO:
		case SPLITCKPT_REC_SIGACTION:
		case SPLITCKPT_REC_ITIMER:
		case SPLITCKPT_REC_TIMER:
			r = keep(s, rec);
			if (r)
				goto out;
			break;
		}
	}
	r = -EBADMSG;
	if (!s->proc) {
		fail(s, r, "%s: no process record", dir);
		goto out;
	}
	if (s->proc->band_start != SP_BAND_START || s->proc->band_end != SP_BAND_END ||
	    s->proc->ckpt_signal != SP_CKPT_SIGNAL) {
		fail(s, -EPROTONOSUPPORT, "%s: written by a runtime with another layout", dir);
		goto out;
	}
	s->cwd = (char *)(s->proc + 1);
	s->exe = s->cwd + s->proc->cwd_len + 1;
	s->dir = s->exe + s->proc->exe_len + 1;
	s->threads = calloc(nt ? nt : 1, sizeof(*s->threads));
	if (!s->threads) {
		r = -ENOMEM;
		goto out;
	}
	for (rec = sp_img_next(img, NULL); rec; rec = sp_img_next(img, rec))
		if (rec->type == SPLITCKPT_REC_THREAD)
			memcpy(&s->threads[s->nr_threads++].rec, rec,
			       sizeof(s->threads[0].rec));
	sp_band_reset();
	r = map_vmas(s, chain, dir);
	if (r)
		goto out;
	sp_band.brk_start = s->proc->brk_start;
	sp_band.brk_cur = s->proc->brk_cur;
	rs.tid_offset = s->proc->tid_offset;
out:
	sp_chain_close(chain);
	return r;
}

static int restore_fds(struct restore *s)
{
	int i;

	for (i = 0; i < s->nr_recs; i++) {
		const struct splitckpt_img_fd *f = s->recs[i];
		const char *path = (const char *)(f + 1);
		int fd, oflags;

		if (f->rec.type != SPLITCKPT_REC_FD || f->fd <= 2)
			continue;
		oflags = f->oflags & ~(O_CREAT | O_TRUNC | O_EXCL | O_NOCTTY);
		if (f->kind == SPLITCKPT_FD_OTHER) {
			s->warn("fd %d (%s) cannot be restored; it is /dev/null now",
				f->fd, path);
			fd = open("/dev/null", O_RDWR);
		} else {
			fd = open(path, oflags);
		}
		if (fd < 0)
			return fail(s, -errno, "reopening %s (fd %d)", path, f->fd);
		if (f->kind == SPLITCKPT_FD_FILE &&
		    lseek(fd, f->pos, SEEK_SET) != (off_t)f->pos) {
			close(fd);
			return fail(s, -errno, "seeking %s (fd %d)", path, f->fd);
		}
		if (fd != f->fd) {
			if (dup3(fd, f->fd, f->fdflags & FD_CLOEXEC ? O_CLOEXEC : 0) < 0) {
				int r = -errno;

				close(fd);
				return fail(s, r, "placing %s at fd %d", path, f->fd);
			}
			close(fd);
		} else {
			fcntl(fd, F_SETFD, f->fdflags & FD_CLOEXEC);
		}
	}
	return 0;
}

static int restore_signals(struct restore *s)
{
	int i;

	for (i = 0; i < s->nr_recs; i++) {
		const struct splitckpt_img_sigaction *a = s->recs[i];
		const struct splitckpt_img_itimer *it = s->recs[i];
		uint64_t ka[4];
		long r;

		if (a->rec.type == SPLITCKPT_REC_SIGACTION) {
			ka[0] = a->handler;
			ka[1] = a->flags;
			ka[2] = a->restorer;
			ka[3] = a->mask;
			r = sp_sys4(SYS_rt_sigaction, a->signo, ka, 0, 8);
			if (r)
				return fail(s, r, "restoring the action of signal %u", a->signo);
		} else if (it->rec.type == SPLITCKPT_REC_ITIMER) {
			struct itimerval v = {
				.it_interval.tv_sec = it->interval_ns / 1000000000,
				.it_interval.tv_usec = it->interval_ns % 1000000000 / 1000,
				.it_value.tv_sec = it->value_ns / 1000000000,
				.it_value.tv_usec = it->value_ns % 1000000000 / 1000,
			};

			if (!v.it_value.tv_sec && !v.it_value.tv_usec)
				v.it_value.tv_usec = 1;
			if (setitimer(it->which, &v, NULL))
				return fail(s, -errno, "restoring interval timer %u", it->which);
		}
	}
	return 0;
}

static int new_tid(struct restore *s, int old)
{
	int i;

	for (i = 0; i < s->nr_threads; i++)
		if (s->threads[i].rec.tid == old)
			return s->threads[i].new_tid;
	return 0;
}

static int timer_cmp(const void *a, const void *b)
{
	const struct splitckpt_img_timer *x = *(void *const *)a, *y = *(void *const *)b;

	return (x->id > y->id) - (x->id < y->id);
}

struct ksigevent {
	uint64_t value;
	int32_t signo;
	int32_t notify;
	int32_t tid;
	int32_t pad[11];
};

static int restore_timers(struct restore *s)
{
	const struct splitckpt_img_timer **t;
	int i, n = 0, r = 0, fillers[256], nf = 0;

	t = calloc(s->nr_recs + 1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	for (i = 0; i < s->nr_recs; i++)
		if (((struct splitckpt_img_rec *)s->recs[i])->type == SPLITCKPT_REC_TIMER)
			t[n++] = s->recs[i];
	qsort(t, n, sizeof(*t), timer_cmp);
	for (i = 0; i < n && !r; i++) {
		struct ksigevent ev = {
			.value = t[i]->value,
			.signo = t[i]->signo,
			.notify = t[i]->notify,
		};
		struct timespec its[2];
		int id = -1;
		long e;

		if (t[i]->notify == SIGEV_THREAD_ID) {
			ev.tid = new_tid(s, t[i]->tid);
			if (!ev.tid) {
				r = fail(s, -ESRCH, "timer %d targets thread %d, which is gone",
					 t[i]->id, t[i]->tid);
				break;
			}
		}
		/* Timer ids are handed out in order: create until ours comes. */
		for (;;) {
			e = sp_sys3(SYS_timer_create, t[i]->clockid, &ev, &id);
			if (e) {
				r = fail(s, e, "recreating POSIX timer %d", t[i]->id);
				break;
			}
			if (id == t[i]->id)
				break;
			if (id > t[i]->id || nf == 256) {
				r = fail(s, -EEXIST, "POSIX timer id %d is not available",
					 t[i]->id);
				break;
			}
			fillers[nf++] = id;
		}
		if (r)
			break;
		its[0].tv_sec = t[i]->interval_ns / 1000000000;
		its[0].tv_nsec = t[i]->interval_ns % 1000000000;
		its[1].tv_sec = t[i]->value_ns / 1000000000;
		its[1].tv_nsec = t[i]->value_ns % 1000000000;
		if (t[i]->value_ns) {
			e = sp_sys4(SYS_timer_settime, id, 0, its, 0);
			if (e)
				r = fail(s, e, "arming POSIX timer %d", id);
		}
	}
	for (i = 0; i < nf; i++)
		sp_sys1(SYS_timer_delete, fillers[i]);
	free(t);
	return r;
}

static void raise_pending(struct restore *s)
{
	int i, sig, pid = getpid();

	for (i = 0; i < s->nr_threads; i++)
		for (sig = 1; sig <= 64; sig++)
			if (s->threads[i].rec.pending & (1ULL << (sig - 1)))
				syscall(SYS_tgkill, pid, s->threads[i].new_tid, sig);
	for (sig = 1; sig <= 64; sig++)
		if (s->proc->shared_pending & (1ULL << (sig - 1)))
			kill(pid, sig);
	/* Queued real-time signals, with their data, in their order. */
	for (i = 0; i < s->nr_recs; i++) {
		const struct splitckpt_img_siginfo *q = s->recs[i];

		if (q->rec.type == SPLITCKPT_REC_SIGINFO)
			sp_sys3(SYS_rt_sigqueueinfo, pid, q->signo, q->info);
	}
}

int sp_restore(const char *dir, uint64_t gen, sp_warn_fn warn, char *msg,
	       size_t msglen)
{
	struct restore s = { .msg = msg, .msglen = msglen, .warn = warn };
	struct rthread *main = NULL;
	sigset_t all;
	int i, r, others = 0;

	r = read_image(&s, dir, gen);
	if (r)
		return r;
	if (chdir(s.cwd))
		return fail(&s, -errno, "the working directory %s", s.cwd);
	umask(s.proc->umask);
	snprintf(sp_default_dir, sizeof(sp_default_dir), "%s", dir);
	sp_ckpt_ctx.exe = s.exe;
	r = restore_fds(&s);
	if (r)
		return r;
	/* From here on this thread takes no signal until it is the program. */
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	r = restore_signals(&s);
	if (r)
		return r;
	r = sp_memtrap_handler();
	if (!r)
		r = sp_freeze_handler();
	if (!r)
		r = sp_ctl_start();
	if (r)
		return fail(&s, r, "starting the runtime");
	r = sp_memtrap_install();	/* the band only, as at launch */
	if (r)
		return fail(&s, r, "installing the system call filter");
	for (i = 0; i < s.nr_threads; i++) {
		struct rthread *t = &s.threads[i];
		long m;

		if (t->rec.flags & SPLITCKPT_THREAD_MAIN) {
			main = t;
			continue;
		}
		m = sp_raw_mmap(0, 64 << 10, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
		if (sp_raw_failed(m))
			return fail(&s, m, "allocating a thread stack");
		m = sp_clone_thread(CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND |
				    CLONE_THREAD | CLONE_SYSVSEM,
				    (char *)m + (64 << 10), thread_entry, t);
		if (sp_raw_failed(m))
			return fail(&s, m, "recreating thread %d", t->rec.tid);
		others++;
	}
	/*
	 * Wait with the value just compared: loading it again for the wait
	 * could see the last thread's count after its wake-up went by.
	 */
	for (;;) {
		uint32_t ready = __atomic_load_n(&rs.ready, __ATOMIC_ACQUIRE);

		if (ready == (uint32_t)others)
			break;
		sp_raw_futex_wait(&rs.ready, ready);
	}
	if (main)
		main->new_tid = getpid();
	r = restore_timers(&s);
	if (r)
		return r;	/* the new threads are left waiting; we exit */
	raise_pending(&s);
	/* The lower half's rseq registration of this thread must go. */
	if (__rseq_size) {
		uint64_t fs;

		sp_sys2(SYS_arch_prctl, ARCH_GET_FS, &fs);
		sp_sys4(SYS_rseq, fs + __rseq_offset, 32, RSEQ_FLAG_UNREGISTER, RSEQ_SIG);
	}
	__atomic_store_n(&rs.go, 1, __ATOMIC_RELEASE);
	sp_raw_futex_wake(&rs.go);
	if (main)
		become(main);
	/* The program's main thread had exited: so does this one. */
	for (;;)
		sp_sys1(SYS_exit, 0);
}

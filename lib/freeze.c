// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Stopping the upper half at a safe point.
 *
 * Every thread that is not one of the lower half's is sent SP_CKPT_SIGNAL.
 * Its handler records what the kernel does not keep in the signal frame
 * (FS base, robust list, rseq registration) together with the address of
 * the frame itself, and waits.  A thread can never be stopped inside
 * lower-half code: the trap handler runs with every signal blocked, and the
 * upper half is not allowed to block SP_CKPT_SIGNAL (memtrap.c).
 *
 * The frame lives on the thread's own stack, which is upper-half memory and
 * is saved: rt_sigreturn() from it at restart brings back every register,
 * the FPU state, the signal mask and the alternate signal stack.
 */
#include <dirent.h>
#include <sched.h>
#include <stdio.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <asm/prctl.h>
#include <sys/rseq.h>

#include "raw.h"
#include "runtime.h"

static struct {
	uint32_t seq;		/* bumped to let stopped threads go */
	uint32_t freezing;
	uint32_t parked;
	uint32_t claimed;
	struct sp_thread slot[SP_MAX_THREADS];
} fz;

static int lh_tids[16];
static int nr_lh;

void sp_lh_thread_add(int tid)
{
	if (nr_lh < (int)(sizeof(lh_tids) / sizeof(lh_tids[0])))
		lh_tids[nr_lh++] = tid;
}

int sp_lh_thread(int tid)
{
	int i;

	for (i = 0; i < nr_lh; i++)
		if (lh_tids[i] == tid)
			return 1;
	return 0;
}

static void record_rseq(struct sp_thread *t)
{
	static const uint32_t lens[] = { 32, 0 };
	uint64_t area;
	int i;

	if (!__rseq_size)
		return;
	area = t->fs_base + __rseq_offset;
	for (i = 0; i < 2; i++) {
		uint32_t len = lens[i] ? lens[i] : __rseq_size;

		/* Registering what is registered already says -EBUSY. */
		if (sp_sys4(SYS_rseq, area, len, 0, RSEQ_SIG) == -EBUSY) {
			t->rseq_area = area;
			t->rseq_len = len;
			t->rseq_sig = RSEQ_SIG;
			return;
		}
	}
}

static void ckpt_handler(int sig, siginfo_t *si, void *ucv)
{
	uint32_t my = __atomic_load_n(&fz.seq, __ATOMIC_ACQUIRE);
	struct sp_thread *t;
	uint32_t idx;
	long len;

	(void)sig;
	(void)si;
	if (!__atomic_load_n(&fz.freezing, __ATOMIC_ACQUIRE))
		return;
	idx = __atomic_fetch_add(&fz.claimed, 1, __ATOMIC_ACQ_REL);
	if (idx < SP_MAX_THREADS) {
		t = &fz.slot[idx];
		t->tid = sp_raw_gettid();
		t->flags = 0;
		t->frame = (uint64_t)ucv;
		sp_sys2(SYS_arch_prctl, ARCH_GET_FS, &t->fs_base);
		t->robust_head = 0;
		t->robust_len = 0;
		if (sp_sys3(SYS_get_robust_list, 0, &t->robust_head, &len) == 0)
			t->robust_len = len;
		t->rseq_area = 0;
		t->rseq_len = 0;
		t->rseq_sig = 0;
		record_rseq(t);
	}
	__atomic_fetch_add(&fz.parked, 1, __ATOMIC_RELEASE);
	sp_raw_futex_wake(&fz.parked);
	while (__atomic_load_n(&fz.seq, __ATOMIC_ACQUIRE) == my)
		sp_raw_futex_wait(&fz.seq, my);
}

int sp_freeze_handler(void)
{
	return sp_handle(SP_CKPT_SIGNAL, ckpt_handler);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* io_uring's workers belong to the thread group but take no signals. */
static int io_worker(int tid)
{
	char path[64], comm[32] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/comm", tid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (!fgets(comm, sizeof(comm), f))
		comm[0] = '\0';
	fclose(f);
	return !strncmp(comm, "iou-", 4);
}

static int task_alive(int tid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/task/%d", tid);
	return access(path, F_OK) == 0;
}

static int parked_tid(int tid)
{
	uint32_t i, n = __atomic_load_n(&fz.claimed, __ATOMIC_ACQUIRE);

	if (n > SP_MAX_THREADS)
		n = SP_MAX_THREADS;
	for (i = 0; i < n; i++)
		if (__atomic_load_n(&fz.slot[i].tid, __ATOMIC_ACQUIRE) == tid)
			return 1;
	return 0;
}

int sp_freeze(struct sp_thread *threads, int max, int timeout_ms)
{
	int64_t deadline = now_ms() + timeout_ms;
	int *sent = NULL, nsent = 0, cap = 0, i, r, pid = getpid();

	memset(fz.slot, 0, sizeof(fz.slot));
	__atomic_store_n(&fz.claimed, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&fz.parked, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&fz.freezing, 1, __ATOMIC_RELEASE);
	for (;;) {
		struct dirent *de;
		int fresh = 0, waiting = 0;
		DIR *d = opendir("/proc/self/task");

		if (!d) {
			r = -errno;
			goto fail;
		}
		while ((de = readdir(d))) {
			int tid = atoi(de->d_name);

			if (tid <= 0 || sp_lh_thread(tid))
				continue;
			for (i = 0; i < nsent && sent[i] != tid; i++)
				;
			if (i < nsent || io_worker(tid))
				continue;
			if (nsent == cap) {
				int *n = realloc(sent, (cap = cap * 2 + 64) * sizeof(int));

				if (!n) {
					closedir(d);
					r = -ENOMEM;
					goto fail;
				}
				sent = n;
			}
			if (syscall(SYS_tgkill, pid, tid, SP_CKPT_SIGNAL) == 0) {
				sent[nsent++] = tid;
				fresh++;
			}
		}
		closedir(d);
		for (i = 0; i < nsent; i++)
			if (!parked_tid(sent[i]) && task_alive(sent[i]))
				waiting++;
		if (!fresh && !waiting)
			break;
		if (now_ms() > deadline) {
			r = -ETIMEDOUT;
			goto fail;
		}
		if (waiting) {
			struct timespec ts = { 0, 2000000 };
			uint32_t p = __atomic_load_n(&fz.parked, __ATOMIC_ACQUIRE);

			syscall(SYS_futex, &fz.parked, 0 /* FUTEX_WAIT */, p, &ts);
		}
	}
	free(sent);
	/* A thread that took a slot is about to count itself as parked. */
	while (__atomic_load_n(&fz.parked, __ATOMIC_ACQUIRE) !=
	       __atomic_load_n(&fz.claimed, __ATOMIC_ACQUIRE))
		sched_yield();
	r = __atomic_load_n(&fz.claimed, __ATOMIC_ACQUIRE);
	if (r > max || r > SP_MAX_THREADS) {
		sp_thaw();
		return -E2BIG;
	}
	memcpy(threads, fz.slot, r * sizeof(*threads));
	for (i = 0; i < r; i++)
		if (threads[i].tid == pid)
			threads[i].flags |= 1;	/* SPLITCKPT_THREAD_MAIN */
	return r;
fail:
	free(sent);
	sp_thaw();
	return r;
}

void sp_thaw(void)
{
	__atomic_store_n(&fz.freezing, 0, __ATOMIC_RELEASE);
	__atomic_fetch_add(&fz.seq, 1, __ATOMIC_RELEASE);
	sp_raw_futex_wake(&fz.seq);
}

// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Trapping the upper half's memory and signal-mask system calls.
 *
 * A seccomp filter makes mmap, munmap, mremap, brk, shmat, shmdt,
 * rt_sigaction and rt_sigprocmask raise SIGSYS when - and only when - they
 * are issued from upper-half code: an instruction pointer inside the band,
 * where the upper half's ld.so, libc and libraries live.  (A non-PIE
 * program's own segments are left out: the filter outlives execve(), and
 * a program started later could sit at the same address.)  The syscall-matching part of the
 * filter is built by libseccomp; a short prologue in front of it compares the
 * instruction pointer, which libseccomp cannot express.  The SIGSYS handler
 * then performs the call on the upper half's behalf from lower-half code
 * (which the filter lets through) and records the result in the band table,
 * so upper-half memory is known exactly, whoever maps it: the loader, libc's
 * malloc, thread stacks, dlopen.
 *
 * The handler runs on the upper half's stack with the upper half's FS: it
 * uses raw system calls only.
 */
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/shm.h>
#include <sys/uio.h>
#include <sys/ucontext.h>

#include "band.h"
#include "raw.h"
#include "runtime.h"

#define SIG_BIT(s)	(1ULL << ((s) - 1))

struct ksigaction {
	uint64_t handler;
	uint64_t flags;
	uint64_t restorer;
	uint64_t mask;
};

/* Copy from/to the caller's memory, -EFAULT instead of a crash. */
static long user_copy(void *dst, const void *src, size_t len, int to_user)
{
	struct iovec local = { to_user ? (void *)src : dst, len };
	struct iovec remote = { to_user ? dst : (void *)src, len };
	long r = sp_sys6(to_user ? SYS_process_vm_writev : SYS_process_vm_readv,
			 sp_sys0(SYS_getpid), (long)&local, 1, (long)&remote,
			 1, 0);

	if (sp_raw_failed(r))
		return r;
	return r == (long)len ? 0 : -EFAULT;
}

/* Can the upper half map exactly [a, a + len) with MAP_FIXED? */
static int fixed_allowed(uint64_t a, uint64_t len)
{
	return sp_in_band(a, a + len) || sp_band_owns(a, a + len);
}

static uint64_t map_align(uint64_t len, long flags)
{
	if (flags & MAP_HUGETLB) {
		unsigned int shift = (flags >> MAP_HUGE_SHIFT) & MAP_HUGE_MASK;

		return shift ? 1ULL << shift : 2UL << 20;
	}
	return len >= (2UL << 20) ? 2UL << 20 : SP_PAGE_SIZE;
}

static long trap_mmap(uint64_t addr, uint64_t len, long prot, long flags,
		      long fd, uint64_t off)
{
	uint64_t align = map_align(len, flags);
	long r;

	if (!len)
		return -EINVAL;
	/* Huge pages come in whole units; else @align is only a preference. */
	if (flags & MAP_HUGETLB)
		len = (len + align - 1) & ~(align - 1);
	else
		len = sp_page_up(len);
	if (!len)
		return -ENOMEM;
	if (flags & MAP_FIXED) {
		if (addr & (SP_PAGE_SIZE - 1))
			return -EINVAL;
		if (!fixed_allowed(addr, len)) {
			if (sp_band_overlaps(addr, addr + len))
				return -ENOMEM;
			/* Never clobber lower-half memory. */
			flags = (flags & ~MAP_FIXED) | MAP_FIXED_NOREPLACE;
		}
	} else if (flags & MAP_FIXED_NOREPLACE) {
		if (sp_band_overlaps(addr, addr + len))
			return -EEXIST;
	} else if (flags & MAP_32BIT) {
		addr = 0;	/* The kernel's choice, below 2 GiB. */
	} else {
		addr &= ~(SP_PAGE_SIZE - 1);
		if (!addr || (addr & (align - 1)) ||
		    !sp_band_free(addr, addr + len))
			addr = sp_band_find(len, align);
		if (!addr)
			return -ENOMEM;
		flags |= MAP_FIXED_NOREPLACE;
	}
	r = sp_raw_mmap(addr, len, prot, flags, fd, off);
	if (sp_raw_failed(r))
		return r;
	if (sp_band_add(r, r + len)) {
		sp_raw_munmap(r, len);
		return -ENOMEM;
	}
	return r;
}

static long unmap_part(void *arg, uint64_t s, uint64_t e)
{
	long r = sp_raw_munmap(s, e - s);

	(void)arg;
	return sp_raw_failed(r) ? r : 0;
}

static long trap_munmap(uint64_t addr, uint64_t len)
{
	uint64_t end;
	long r;

	if ((addr & (SP_PAGE_SIZE - 1)) || !len)
		return -EINVAL;
	end = sp_page_up(addr + len);
	if (end < addr)
		return -EINVAL;
	/* Unmap only what belongs to the upper half. */
	r = sp_band_each(addr, end, unmap_part, NULL);
	return r ? r : sp_band_remove(addr, end);
}

static long trap_mremap(uint64_t old, uint64_t old_len, uint64_t new_len,
			long flags, uint64_t new_addr)
{
	uint64_t dest;
	long r;

	if (old & (SP_PAGE_SIZE - 1))
		return -EINVAL;
	old_len = sp_page_up(old_len);
	new_len = sp_page_up(new_len);
	if (!new_len)
		return -EINVAL;
	if (!sp_band_owns(old, old + (old_len ? old_len : SP_PAGE_SIZE)))
		return -EFAULT;
	if (flags & MREMAP_FIXED) {
		if (!fixed_allowed(new_addr, new_len))
			return -ENOMEM;
		r = sp_sys5(SYS_mremap, old, old_len, new_len, flags, new_addr);
		if (sp_raw_failed(r))
			return r;
		goto moved;
	}
	if (old_len && !(flags & MREMAP_DONTUNMAP)) {
		if (new_len <= old_len) {
			r = sp_sys4(SYS_mremap, old, old_len, new_len, 0);
			if (!sp_raw_failed(r))
				sp_band_remove(old + new_len, old + old_len);
			return r;
		}
		if (sp_band_free(old + old_len, old + new_len) ||
		    (!sp_in_band(old + old_len, old + new_len) &&
		     !sp_band_overlaps(old + old_len, old + new_len))) {
			r = sp_sys4(SYS_mremap, old, old_len, new_len, 0);
			if (!sp_raw_failed(r)) {
				if (sp_band_add(old + old_len, old + new_len))
					return -ENOMEM;
				return r;
			}
		}
	}
	if (!(flags & MREMAP_MAYMOVE))
		return -ENOMEM;
	dest = sp_band_find(new_len, map_align(new_len, 0));
	if (!dest)
		return -ENOMEM;
	r = sp_sys5(SYS_mremap, old, old_len, new_len, flags | MREMAP_FIXED,
		    dest);
	if (sp_raw_failed(r))
		return r;
moved:
	/* With MREMAP_DONTUNMAP the old range stays, emptied. */
	sp_band_touch(old, old + old_len);
	if (old_len && !(flags & MREMAP_DONTUNMAP))
		sp_band_remove(old, old + old_len);
	if (sp_band_add(r, r + new_len))
		return -ENOMEM;
	return r;
}

static long trap_brk(uint64_t want)
{
	uint64_t top = sp_page_up(sp_band.brk_cur), new_top;
	long r;

	if (want < sp_band.brk_start || want > SP_HEAP_END)
		return sp_band.brk_cur;
	new_top = sp_page_up(want);
	if (new_top > top) {
		r = sp_raw_mmap(top, new_top - top, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS |
				MAP_FIXED_NOREPLACE, -1, 0);
		if (sp_raw_failed(r))
			return sp_band.brk_cur;
		if (sp_band_add(top, new_top)) {
			sp_raw_munmap(top, new_top - top);
			return sp_band.brk_cur;
		}
	} else if (new_top < top) {
		sp_raw_munmap(new_top, top - new_top);
		sp_band_remove(new_top, top);
	}
	sp_band.brk_cur = want;
	return want;
}

static long trap_shmat(long id, uint64_t addr, long shmflg)
{
	struct shmid_ds ds;
	uint64_t len;
	long r;

	if (sp_band.nr_shm == sizeof(sp_band.shm) / sizeof(sp_band.shm[0]))
		return -EMFILE;
	r = sp_sys3(SYS_shmctl, id, IPC_STAT, &ds);
	if (sp_raw_failed(r))
		return r;
	len = sp_page_up(ds.shm_segsz);
	if (!addr) {
		addr = sp_band_find(len, SP_PAGE_SIZE);
		if (!addr)
			return -ENOMEM;
		shmflg &= ~SHM_REMAP;
	} else {
		if (shmflg & SHM_RND)
			addr &= ~(uint64_t)(SHMLBA - 1);
		if ((shmflg & SHM_REMAP) ? !fixed_allowed(addr, len) :
		    sp_band_overlaps(addr, addr + len))
			return -EINVAL;
	}
	r = sp_sys3(SYS_shmat, id, addr, shmflg);
	if (sp_raw_failed(r))
		return r;
	if (sp_band_add(r, r + len)) {
		sp_sys1(SYS_shmdt, r);
		return -ENOMEM;
	}
	sp_band.shm[sp_band.nr_shm].start = r;
	sp_band.shm[sp_band.nr_shm++].end = r + len;
	return r;
}

static long trap_shmdt(uint64_t addr)
{
	uint32_t i;
	long r;

	for (i = 0; i < sp_band.nr_shm; i++) {
		if (sp_band.shm[i].start != addr)
			continue;
		r = sp_sys1(SYS_shmdt, addr);
		if (sp_raw_failed(r))
			return r;
		sp_band_remove(addr, sp_band.shm[i].end);
		sp_band.shm[i] = sp_band.shm[--sp_band.nr_shm];
		return 0;
	}
	return -EINVAL;
}

static int reserved_signal(long sig)
{
	return sig == SIGSYS || sig == SP_CKPT_SIGNAL;
}

static long trap_sigaction(long sig, uint64_t act, uint64_t oact, long size)
{
	struct ksigaction ka;
	long r;

	if (size != 8)
		return -EINVAL;
	if (reserved_signal(sig)) {
		/* The runtime's own: invisible and untouchable. */
		if (act)
			return -EINVAL;
		memset(&ka, 0, sizeof(ka));
		return oact ? user_copy((void *)oact, &ka, sizeof(ka), 1) : 0;
	}
	if (!act)
		return sp_sys4(SYS_rt_sigaction, sig, 0, oact, size);
	r = user_copy(&ka, (void *)act, sizeof(ka), 0);
	if (r)
		return r;
	/*
	 * A handler may never hold off the checkpoint signal, nor SIGSYS:
	 * the kernel resets a blocked SIGSYS to its default action (death)
	 * when seccomp raises it.
	 */
	ka.mask &= ~(SIG_BIT(SP_CKPT_SIGNAL) | SIG_BIT(SIGSYS));
	return sp_sys4(SYS_rt_sigaction, sig, &ka, oact, size);
}

/*
 * The mask a thread will run with is the one rt_sigreturn() installs from
 * the signal frame, so the call is emulated on the frame's copy.
 */
static long trap_sigprocmask(ucontext_t *uc, long how, uint64_t set,
			     uint64_t oset, long size)
{
	uint64_t *cur = (uint64_t *)&uc->uc_sigmask;
	uint64_t old = *cur, want;
	long r;

	if (size != 8)
		return -EINVAL;
	if (set) {
		r = user_copy(&want, (void *)set, sizeof(want), 0);
		if (r)
			return r;
		switch (how) {
		case SIG_BLOCK:
			want |= old;
			break;
		case SIG_UNBLOCK:
			want = old & ~want;
			break;
		case SIG_SETMASK:
			break;
		default:
			return -EINVAL;
		}
		want &= ~(SIG_BIT(SP_CKPT_SIGNAL) | SIG_BIT(SIGSYS) |
			  SIG_BIT(SIGKILL) | SIG_BIT(SIGSTOP));
	}
	if (oset) {
		r = user_copy((void *)oset, &old, sizeof(old), 1);
		if (r)
			return r;
	}
	if (set)
		*cur = want;
	return 0;
}

static long trap_madvise(uint64_t addr, uint64_t len, long advice)
{
	long r = sp_sys3(SYS_madvise, addr, len, advice);
	uint32_t n = sp_band.nr_discard;

	if (!r && len) {
		sp_band_touch(addr, addr + len);
		if (n < sizeof(sp_band.discard) / sizeof(sp_band.discard[0])) {
			sp_band.discard[n].start = addr;
			sp_band.discard[n].end = addr + len;
		}
		sp_band.nr_discard = n + 1;
	}
	return r;
}

static long trap_dispatch(ucontext_t *uc, long nr)
{
	greg_t *g = uc->uc_mcontext.gregs;
	uint64_t a0 = g[REG_RDI], a1 = g[REG_RSI], a2 = g[REG_RDX];
	uint64_t a3 = g[REG_R10], a4 = g[REG_R8], a5 = g[REG_R9];

	switch (nr) {
	case SYS_mmap:
		return trap_mmap(a0, a1, a2, a3, a4, a5);
	case SYS_munmap:
		return trap_munmap(a0, a1);
	case SYS_mremap:
		return trap_mremap(a0, a1, a2, a3, a4);
	case SYS_brk:
		return trap_brk(a0);
	case SYS_shmat:
		return trap_shmat(a0, a1, a2);
	case SYS_shmdt:
		return trap_shmdt(a0);
	case SYS_rt_sigaction:
		return trap_sigaction(a0, a1, a2, a3);
	case SYS_rt_sigprocmask:
		return trap_sigprocmask(uc, a0, a1, a2, a3);
	case SYS_madvise:
		return trap_madvise(a0, a1, a2);
	}
	return -ENOSYS;
}

static void sigsys_handler(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	long r;

	(void)sig;
	if (si->si_code != 1 /* SYS_SECCOMP */) {
		/* Somebody sent SIGSYS: the default action would dump core. */
		return;
	}
	sp_raw_lock(&sp_band.lock);
	r = trap_dispatch(uc, si->si_syscall);
	sp_raw_unlock(&sp_band.lock);
	uc->uc_mcontext.gregs[REG_RAX] = r;
}

int sp_memtrap_handler(void)
{
	return sp_handle(SIGSYS, sigsys_handler);
}

static const int trapped[] = {
	SCMP_SYS(mmap), SCMP_SYS(munmap), SCMP_SYS(mremap), SCMP_SYS(brk),
	SCMP_SYS(shmat), SCMP_SYS(shmdt), SCMP_SYS(rt_sigaction),
	SCMP_SYS(rt_sigprocmask),
};

/* libseccomp's program for "trap these, allow the rest", as raw BPF. */
static int memtrap_seccomp_body(struct sock_filter **prog, size_t *len)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	int fd = -1, r;
	size_t i;
	off_t size;

	if (!ctx)
		return -ENOMEM;
	for (i = 0; i < sizeof(trapped) / sizeof(trapped[0]); i++) {
		r = seccomp_rule_add(ctx, SCMP_ACT_TRAP, trapped[i], 0);
		if (r)
			goto out_release;
	}
	/* Only the advice that discards memory (see sp_band.discard). */
	r = seccomp_rule_add(ctx, SCMP_ACT_TRAP, SCMP_SYS(madvise), 1,
			     SCMP_A2(SCMP_CMP_EQ, MADV_DONTNEED));
	if (!r)
		r = seccomp_rule_add(ctx, SCMP_ACT_TRAP, SCMP_SYS(madvise), 1,
				     SCMP_A2(SCMP_CMP_EQ, MADV_DONTNEED_LOCKED));
	if (r)
		goto out_release;
	fd = memfd_create("splitckpt-bpf", MFD_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		goto out_release;
	}
	r = seccomp_export_bpf(ctx, fd);
	if (r)
		goto out_close;
	size = lseek(fd, 0, SEEK_END);
	if (size <= 0 || size % sizeof(struct sock_filter)) {
		r = -EIO;
		goto out_close;
	}
	*prog = malloc(size);
	if (!*prog) {
		r = -ENOMEM;
		goto out_close;
	}
	if (pread(fd, *prog, size, 0) != size) {
		free(*prog);
		r = -EIO;
		goto out_close;
	}
	*len = size / sizeof(struct sock_filter);
	r = 0;
out_close:
	close(fd);
out_release:
	seccomp_release(ctx);
	return r;
}

#define IP_LO	offsetof(struct seccomp_data, instruction_pointer)
#define IP_HI	(IP_LO + 4)

int sp_memtrap_install(void)
{
	struct sock_filter *body = NULL, *prog;
	struct sock_fprog fprog;
	size_t n = 0, p = 0;
	int r;

	r = memtrap_seccomp_body(&body, &n);
	if (r)
		return r;
	prog = calloc(n + 8, sizeof(*prog));
	if (!prog) {
		free(body);
		return -ENOMEM;
	}
	/*
	 * Prologue: an instruction pointer outside the band is lower-half
	 * code: allow.  The band is aligned to 2^44, so the upper 32 bits of
	 * the instruction pointer decide.
	 */
	prog[p++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, IP_HI);
	prog[p++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K,
						 SP_BAND_END >> 32, 1, 0);
	prog[p++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K,
						 SP_BAND_START >> 32, 1, 0);
	/* p == 3: allow; p == 4: libseccomp's program. */
	prog[p++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	memcpy(&prog[p], body, n * sizeof(*body));
	free(body);
	fprog.len = p + n;
	fprog.filter = prog;
	r = 0;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog))
		r = -errno;
	free(prog);
	return r;
}

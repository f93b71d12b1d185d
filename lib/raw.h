/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * System calls without libc, for code that runs while the FS register holds
 * the upper half's thread pointer (signal handlers, restored threads): such
 * code must not touch the lower half's TLS, so it cannot use errno or any
 * libc function that might.  Every function returns the raw kernel result:
 * a value, or -errno.
 */
#ifndef SP_RAW_H
#define SP_RAW_H

#include <stdint.h>
#include <sys/syscall.h>

static inline long sp_sys6(long nr, long a, long b, long c, long d, long e,
			   long f)
{
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8),
			   "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

#define sp_sys0(n)			sp_sys6(n, 0, 0, 0, 0, 0, 0)
#define sp_sys1(n, a)			sp_sys6(n, (long)(a), 0, 0, 0, 0, 0)
#define sp_sys2(n, a, b)		sp_sys6(n, (long)(a), (long)(b), 0, 0, 0, 0)
#define sp_sys3(n, a, b, c)		sp_sys6(n, (long)(a), (long)(b), \
						(long)(c), 0, 0, 0)
#define sp_sys4(n, a, b, c, d)		sp_sys6(n, (long)(a), (long)(b), \
						(long)(c), (long)(d), 0, 0)
#define sp_sys5(n, a, b, c, d, e)	sp_sys6(n, (long)(a), (long)(b), \
						(long)(c), (long)(d), (long)(e), 0)

static inline int sp_raw_failed(long r)
{
	return (unsigned long)r >= (unsigned long)-4095;
}

static inline long sp_raw_mmap(uint64_t addr, uint64_t len, int prot,
			       int flags, int fd, uint64_t off)
{
	return sp_sys6(SYS_mmap, (long)addr, (long)len, prot, flags, fd,
		       (long)off);
}

static inline long sp_raw_munmap(uint64_t addr, uint64_t len)
{
	return sp_sys2(SYS_munmap, addr, len);
}

static inline int sp_raw_gettid(void)
{
	return (int)sp_sys0(SYS_gettid);
}

/* Wait while *@word == @val (no timeout); spurious wake-ups are possible. */
static inline void sp_raw_futex_wait(uint32_t *word, uint32_t val)
{
	sp_sys4(SYS_futex, word, 0 /* FUTEX_WAIT */, val, 0);
}

static inline void sp_raw_futex_wake(uint32_t *word)
{
	sp_sys3(SYS_futex, word, 1 /* FUTEX_WAKE */, 0x7fffffff);
}

/*
 * A lock usable from signal handlers that run with every signal blocked:
 * 0 free, 1 taken, 2 taken with waiters.
 */
static inline void sp_raw_lock(uint32_t *lock)
{
	uint32_t c = 0;

	if (__atomic_compare_exchange_n(lock, &c, 1, 0, __ATOMIC_ACQUIRE,
					__ATOMIC_RELAXED))
		return;
	if (c != 2)
		c = __atomic_exchange_n(lock, 2, __ATOMIC_ACQUIRE);
	while (c != 0) {
		sp_raw_futex_wait(lock, 2);
		c = __atomic_exchange_n(lock, 2, __ATOMIC_ACQUIRE);
	}
}

static inline void sp_raw_unlock(uint32_t *lock)
{
	if (__atomic_fetch_sub(lock, 1, __ATOMIC_RELEASE) != 1) {
		__atomic_store_n(lock, 0, __ATOMIC_RELEASE);
		sp_raw_futex_wake(lock);
	}
}

#endif /* SP_RAW_H */

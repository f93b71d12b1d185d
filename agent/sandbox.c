// SPDX-License-Identifier: GPL-2.0
/*
 * The agent's seccomp allowlist, loaded once the socket is listening and
 * before the first request thread exists, so it covers every thread.  What
 * is left to do after start-up is small: accept, read a /proc status file,
 * talk to unix sockets, make IMAGE_ROOT/UID, start threads, log, notify
 * systemd.  Anything else kills the process (Seccomp=kill) or is allowed
 * and logged by the kernel's audit log (Seccomp=log, for debugging).
 *
 * Argument checks: sockets are AF_UNIX only, files are opened read-only
 * and never created, clone() only makes threads (no fork, no exec), and
 * clone3() fails with ENOSYS so that glibc falls back to clone(), and
 * signal handlers can only be set for glibc's two internal signals.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>

#include <seccomp.h>

#include "daemon.h"
#include "splitckpt.h"

/* int arguments: the upper half of the register is whatever it was. */
#define INT_BITS	0xffffffffULL

static const int allowed[] = {
	/* I/O on descriptors we hold */
	SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(close), SCMP_SYS(lseek),
	SCMP_SYS(fstat), SCMP_SYS(newfstatat), SCMP_SYS(statx), SCMP_SYS(poll),
	SCMP_SYS(ppoll), SCMP_SYS(fcntl),
	/* sockets */
	SCMP_SYS(accept4), SCMP_SYS(connect), SCMP_SYS(getsockopt),
	SCMP_SYS(setsockopt), SCMP_SYS(recvfrom), SCMP_SYS(recvmsg),
	SCMP_SYS(sendto), SCMP_SYS(sendmsg),
	/* the target process */
	SCMP_SYS(pidfd_open), SCMP_SYS(pidfd_send_signal),
	/* IMAGE_ROOT/UID, and removing our socket when stopping */
	SCMP_SYS(mkdirat), SCMP_SYS(fchown), SCMP_SYS(unlink),
	/* memory, threads, time */
	SCMP_SYS(brk), SCMP_SYS(mmap), SCMP_SYS(munmap), SCMP_SYS(mprotect),
	SCMP_SYS(madvise), SCMP_SYS(mremap), SCMP_SYS(futex), SCMP_SYS(set_robust_list),
	SCMP_SYS(rseq), SCMP_SYS(sched_yield), SCMP_SYS(getrandom),
	SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigreturn), SCMP_SYS(getpid),
	SCMP_SYS(gettid), SCMP_SYS(getuid), SCMP_SYS(geteuid), SCMP_SYS(getgid),
	SCMP_SYS(getegid), SCMP_SYS(clock_gettime), SCMP_SYS(restart_syscall),
	SCMP_SYS(exit), SCMP_SYS(exit_group),
};

static int add_rules(scmp_filter_ctx ctx)
{
	unsigned int i;
	int r = 0;

	for (i = 0; i < sizeof(allowed) / sizeof(allowed[0]) && !r; i++)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, allowed[i], 0);
	if (!r)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
				     SCMP_A0(SCMP_CMP_MASKED_EQ, INT_BITS, AF_UNIX));
	if (!r)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(openat), 1,
				     SCMP_A2(SCMP_CMP_MASKED_EQ, O_ACCMODE | O_CREAT, O_RDONLY));
	/* /dev/splitckpt, opened before: take requests, report outcomes. */
	if (!r)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
				     SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffU,
					     SPLITCKPT_IOC_AGENT_NEXT));
	if (!r)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
				     SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffU,
					     SPLITCKPT_IOC_AGENT_COMPLETE));
	if (!r)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
				     SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD));
	if (!r)
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
	/* glibc's first pthread_create() sets up its internal signals. */
	if (!r)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(rt_sigaction), 1,
				     SCMP_A0(SCMP_CMP_MASKED_EQ, INT_BITS, __SIGRTMIN));
	if (!r)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(rt_sigaction), 1,
				     SCMP_A0(SCMP_CMP_MASKED_EQ, INT_BITS, __SIGRTMIN + 1));
	return r;
}

int sandbox_apply(enum seccomp_mode mode)
{
	scmp_filter_ctx ctx;
	int r;

	ctx = seccomp_init(mode == SECCOMP_KILL ? SCMP_ACT_KILL_PROCESS : SCMP_ACT_LOG);
	if (!ctx)
		return log_error_errno(-ENOMEM, "seccomp: %m");
	r = add_rules(ctx);
	if (r)
		log_error_errno(r, "seccomp: building the allowlist: %m");
	else if ((r = seccomp_load(ctx)))
		log_error_errno(r, "seccomp: loading the allowlist: %m");
	else
		log_debug("seccomp allowlist loaded (%s on violation)",
			  mode == SECCOMP_KILL ? "kill" : "log");
	seccomp_release(ctx);
	return r;
}

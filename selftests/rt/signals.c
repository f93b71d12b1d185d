// SPDX-License-Identifier: GPL-2.0
/* Handlers, blocked and pending signals, the alternate signal stack. */
#include <signal.h>
#include "victim.h"

static volatile int usr1, usr2, rt3, rt3_value;

static void on_usr1(int s, siginfo_t *si, void *uc)
{
	(void)s;
	(void)uc;
	usr1 += si->si_code == SI_TKILL || si->si_code == SI_USER;
}

static void on_usr2(int s)
{
	(void)s;
	usr2++;
}

static void on_rt3(int s, siginfo_t *si, void *uc)
{
	(void)s;
	(void)uc;
	rt3++;
	rt3_value = si->si_value.sival_int;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_sigaction = on_usr1, .sa_flags = SA_SIGINFO | SA_ONSTACK };
	static char altstack[64 << 10];
	stack_t ss = { .ss_sp = altstack, .ss_size = sizeof(altstack) }, got;
	union sigval v = { .sival_int = 99 };
	sigset_t block, cur, pend;
	struct sigaction q;

	victim_args(argc, argv);
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGHUP);
	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGUSR2, on_usr2);
	signal(SIGPIPE, SIG_IGN);
	sa.sa_sigaction = on_rt3;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGRTMIN + 3, &sa, NULL);
	CHECK(!sigaltstack(&ss, NULL), "sigaltstack");
	sigemptyset(&block);
	sigaddset(&block, SIGUSR2);
	sigaddset(&block, SIGRTMIN + 3);
	sigprocmask(SIG_BLOCK, &block, NULL);
	raise(SIGUSR2);
	sigqueue(getpid(), SIGRTMIN + 3, v);
	victim_ready();
	victim_wait();

	CHECK(!sigaction(SIGUSR1, NULL, &q) && q.sa_sigaction == on_usr1 &&
	      (q.sa_flags & (SA_SIGINFO | SA_ONSTACK)) == (SA_SIGINFO | SA_ONSTACK) &&
	      sigismember(&q.sa_mask, SIGHUP), "SIGUSR1 action");
	CHECK(!sigaction(SIGUSR2, NULL, &q) && q.sa_handler == on_usr2, "SIGUSR2 action");
	CHECK(!sigaction(SIGPIPE, NULL, &q) && q.sa_handler == SIG_IGN, "SIGPIPE ignored");
	CHECK(!sigaction(SIGTERM, NULL, &q) && q.sa_handler == SIG_DFL, "SIGTERM default");
	sigprocmask(SIG_BLOCK, NULL, &cur);
	CHECK(sigismember(&cur, SIGUSR2) && sigismember(&cur, SIGRTMIN + 3) &&
	      !sigismember(&cur, SIGUSR1), "blocked mask");
	sigpending(&pend);
	CHECK(sigismember(&pend, SIGUSR2) && sigismember(&pend, SIGRTMIN + 3),
	      "pending signals");
	CHECK(!sigaltstack(NULL, &got) && got.ss_sp == altstack &&
	      got.ss_size == sizeof(altstack), "alternate stack");
	CHECK(usr2 == 0 && rt3 == 0, "handlers ran too early");
	sigprocmask(SIG_UNBLOCK, &block, NULL);
	CHECK(usr2 == 1, "SIGUSR2 delivered %d times", usr2);
	CHECK(rt3 == 1, "SIGRTMIN+3 delivered %d times", rt3);
	CHECK(rt3_value == 99, "SIGRTMIN+3 came back with value %d, not 99", rt3_value);
	raise(SIGUSR1);
	CHECK(usr1 == 1, "SIGUSR1 handler");
	victim_restarted(1, NULL);
	victim_pass();
}

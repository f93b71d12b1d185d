// SPDX-License-Identifier: GPL-2.0
/* An interval timer and a POSIX timer keep ticking across the restart. */
#include <signal.h>
#include <sys/time.h>
#include "victim.h"

static volatile long alrm, rt, bad;

static void on_alrm(int s)
{
	(void)s;
	alrm++;
}

static void on_rt(int s, siginfo_t *si, void *uc)
{
	(void)s;
	(void)uc;
	if (si->si_value.sival_int != 4242 || si->si_code != SI_TIMER)
		bad++;
	rt++;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_alrm, .sa_flags = SA_RESTART };
	struct itimerval it = { { 0, 10000 }, { 0, 10000 } }, git;
	struct sigevent ev = {
		.sigev_notify = SIGEV_SIGNAL,
		.sigev_value.sival_int = 4242,
	};
	struct itimerspec its = { { 0, 20000000 }, { 0, 20000000 } }, gits;
	long a0, r0;
	timer_t t;

	victim_args(argc, argv);
	sigaction(SIGALRM, &sa, NULL);
	sa.sa_sigaction = on_rt;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	ev.sigev_signo = SIGRTMIN + 1;
	sigaction(SIGRTMIN + 1, &sa, NULL);
	CHECK(!setitimer(ITIMER_REAL, &it, NULL), "setitimer");
	CHECK(!timer_create(CLOCK_MONOTONIC, &ev, &t), "timer_create");
	CHECK(!timer_settime(t, 0, &its, NULL), "timer_settime");
	while (alrm < 5 || rt < 3)
		victim_sleep_ms(5);
	victim_ready();
	victim_wait();
	a0 = alrm;
	r0 = rt;
	victim_sleep_ms(300);
	CHECK(alrm > a0 + 5, "SIGALRM stopped: %ld then %ld", a0, alrm);
	CHECK(rt > r0 + 3, "POSIX timer stopped: %ld then %ld", r0, rt);
	CHECK(!bad, "POSIX timer signal carried the wrong value");
	CHECK(!getitimer(ITIMER_REAL, &git) && git.it_interval.tv_sec == 0 &&
	      git.it_interval.tv_usec == 10000, "itimer interval");
	CHECK(!timer_gettime(t, &gits) && gits.it_interval.tv_sec == 0 &&
	      gits.it_interval.tv_nsec == 20000000, "POSIX timer interval");
	victim_restarted(1, NULL);
	victim_pass();
}

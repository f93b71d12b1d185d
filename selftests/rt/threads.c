// SPDX-License-Identifier: GPL-2.0
/* Eight threads, each with TLS and stack data, parked in different ways. */
#include <pthread.h>
#include <signal.h>
#include "victim.h"

#define NT 8

static __thread uint64_t tls_word = 7;
static __thread char tls_buf[256];
static volatile int phase;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int woken;

struct arg {
	int idx;
	pthread_t self;
	int tid;
	int ok;
	char why[128];
};

static void *worker(void *p)
{
	struct arg *a = p;
	uint64_t stack[512], seed = 1000 + a->idx;
	int i;

	tls_word = 0xabc0000 + a->idx;
	memset(tls_buf, 'a' + a->idx, sizeof(tls_buf));
	for (i = 0; i < 512; i++)
		stack[i] = xorshift(&seed);
	a->self = pthread_self();
	a->tid = syscall(SYS_gettid);
	__atomic_add_fetch(&phase, 1, __ATOMIC_SEQ_CST);
	/* Park: half spin in sleeps, half block on a condition variable. */
	if (a->idx % 2) {
		while (__atomic_load_n(&phase, __ATOMIC_SEQ_CST) < 100)
			victim_sleep_ms(1);
	} else {
		pthread_mutex_lock(&mu);
		while (!woken)
			pthread_cond_wait(&cv, &mu);
		pthread_mutex_unlock(&mu);
	}
	a->ok = 0;
	seed = 1000 + a->idx;
	for (i = 0; i < 512; i++)
		if (stack[i] != xorshift(&seed)) {
			snprintf(a->why, sizeof(a->why), "thread %d stack word %d", a->idx, i);
			return NULL;
		}
	for (i = 0; i < 256; i++)
		if (tls_buf[i] != 'a' + a->idx) {
			snprintf(a->why, sizeof(a->why), "thread %d tls byte %d", a->idx, i);
			return NULL;
		}
	if (tls_word != 0xabc0000ULL + a->idx)
		snprintf(a->why, sizeof(a->why), "thread %d tls word", a->idx);
	else if (!pthread_equal(pthread_self(), a->self))
		snprintf(a->why, sizeof(a->why), "thread %d pthread_self", a->idx);
	else if (syscall(SYS_gettid) == a->tid)
		snprintf(a->why, sizeof(a->why), "thread %d kept its tid", a->idx);
	else
		a->ok = 1;
	return NULL;
}

int main(int argc, char **argv)
{
	struct arg a[NT];
	pthread_t th[NT];
	int i;

	victim_args(argc, argv);
	for (i = 0; i < NT; i++) {
		memset(&a[i], 0, sizeof(a[i]));
		a[i].idx = i;
		CHECK(!pthread_create(&th[i], NULL, worker, &a[i]), "pthread_create");
	}
	while (__atomic_load_n(&phase, __ATOMIC_SEQ_CST) < NT)
		victim_sleep_ms(1);
	victim_ready();
	victim_wait();
	for (i = 0; i < NT; i++)
		CHECK(pthread_kill(th[i], 0) == 0, "pthread_kill(thread %d, 0)", i);
	pthread_mutex_lock(&mu);
	woken = 1;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
	__atomic_store_n(&phase, 100, __ATOMIC_SEQ_CST);
	for (i = 0; i < NT; i++) {
		CHECK(!pthread_join(th[i], NULL), "join %d", i);
		CHECK(a[i].ok, "%s", a[i].why);
	}
	CHECK(tls_word == 7, "main thread tls");
	victim_restarted(1, NULL);
	victim_pass();
}

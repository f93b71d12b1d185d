// SPDX-License-Identifier: GPL-2.0
/*
 * The demo's sample program: heat diffusion on a 512x512 plate, with two
 * worker threads, printing progress.  "heat STEPS" runs STEPS steps and
 * prints a checksum of the final plate; HEAT_PACE=0 runs without pauses.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define N 512

static double a[N][N], b[N][N];
static pthread_barrier_t bar;
static int steps;

static void *work(void *arg)
{
	long half = (long)arg;
	int s, i, j;

	for (s = 0; s < steps; s++) {
		double (*src)[N] = s % 2 ? b : a, (*dst)[N] = s % 2 ? a : b;

		for (i = 1 + half * (N / 2 - 1); i < (half ? N - 1 : N / 2); i++)
			for (j = 1; j < N - 1; j++)
				dst[i][j] = src[i][j] + 0.2 * (src[i - 1][j] + src[i + 1][j] +
					src[i][j - 1] + src[i][j + 1] - 4 * src[i][j]);
		pthread_barrier_wait(&bar);
		if (half == 0 && (s + 1) % (steps / 10) == 0) {
			struct timespec pace = { 0, 300000000 };

			printf("step %5d of %d   pid %d\n", s + 1, steps, getpid());
			fflush(stdout);
			if (!getenv("HEAT_PACE") || strcmp(getenv("HEAT_PACE"), "0"))
				nanosleep(&pace, NULL);
		}
		pthread_barrier_wait(&bar);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	unsigned long long sum = 0;
	pthread_t t[2];
	long k;
	int i, j;

	steps = argc > 1 ? atoi(argv[1]) : 1000;
	if (steps < 10)
		steps = 10;
	for (i = 0; i < N; i++)
		a[i][0] = b[i][0] = 1000.0;	/* the hot edge */
	pthread_barrier_init(&bar, NULL, 2);
	for (k = 0; k < 2; k++)
		pthread_create(&t[k], NULL, work, (void *)k);
	for (k = 0; k < 2; k++)
		pthread_join(t[k], NULL);
	for (i = 0; i < N; i++)
		for (j = 0; j < N; j++) {
			double v = (steps % 2 ? b : a)[i][j];
			unsigned long long x;

			memcpy(&x, &v, sizeof(x));
			sum = sum * 1099511628211ULL ^ x;
		}
	printf("final plate checksum %016llx\n", sum);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * Never idle: rewrites 16 MiB as a function of a counter, again and again,
 * so a checkpoint can catch it anywhere.  After a restart the buffer must
 * be consistent with the counter; prints the counter.
 */
#include "victim.h"

#define WORDS ((16 << 20) / 8)

static uint64_t buf[WORDS];
static volatile uint64_t counter, copy;

int main(int argc, char **argv)
{
	char extra[64];
	int n = 0, i;
	size_t k;

	victim_args(argc, argv);
	victim_ready();
	for (;;) {
		counter++;
		for (k = 0; k < WORDS; k++)
			buf[k] = counter * 0x9e3779b97f4a7c15ULL + k;
		copy = counter;
		victim_sleep_ms(1);
		if (!victim_moved())
			continue;
		for (k = 0; k < WORDS; k++)
			CHECK(buf[k] == copy * 0x9e3779b97f4a7c15ULL + k, "word %zu", k);
		CHECK(copy == counter, "counter %llu copy %llu",
		      (unsigned long long)counter, (unsigned long long)copy);
		snprintf(extra, sizeof(extra), "counter=%llu", (unsigned long long)counter);
		victim_restarted(++n, extra);
		/* Keep going a little, and check again. */
		for (i = 0; i < 20; i++) {
			counter++;
			for (k = 0; k < WORDS; k++)
				buf[k] = counter * 0x9e3779b97f4a7c15ULL + k;
			copy = counter;
		}
		for (k = 0; k < WORDS; k++)
			CHECK(buf[k] == counter * 0x9e3779b97f4a7c15ULL + k, "word %zu later", k);
		if (n == victim_restarts)
			victim_pass();
	}
}

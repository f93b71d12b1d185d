// SPDX-License-Identifier: GPL-2.0
/*
 * -m MiB (default 1024) of random contents with PROT_NONE ranges (that
 * hold data), unmapped holes and pages never touched.
 */
#include <sys/mman.h>
#include "victim.h"

#define MIB (1UL << 20)

static int kind(size_t i)	/* of MiB number i */
{
	if (i % 64 == 17)
		return 1;	/* PROT_NONE, with data */
	if (i % 97 == 50)
		return 2;	/* unmapped hole */
	if (i % 89 == 30)
		return 3;	/* never touched: zero */
	return 0;
}

static void fill(uint64_t *p, size_t i)
{
	uint64_t s = 0x9e3779b97f4a7c15ULL * (i + 1);
	size_t k;

	for (k = 0; k < MIB / 8; k++)
		p[k] = xorshift(&s);
}

static int check(const uint64_t *p, size_t i)
{
	uint64_t s = 0x9e3779b97f4a7c15ULL * (i + 1);
	size_t k;

	for (k = 0; k < MIB / 8; k++)
		if (p[k] != xorshift(&s))
			return 0;
	return 1;
}

/* The protection /proc/self/maps shows at @a, or "" if unmapped. */
static void maps_perms(uintptr_t a, char out[5])
{
	FILE *f = fopen("/proc/self/maps", "r");
	unsigned long s, e;
	char line[512], perms[8];

	strcpy(out, "");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx-%lx %7s", &s, &e, perms) == 3 && a >= s && a < e) {
			memcpy(out, perms, 4);
			out[4] = '\0';
		}
	if (f)
		fclose(f);
}

int main(int argc, char **argv)
{
	size_t mib = 1024, i, k;
	char *m, perms[5];

	victim_args(argc, argv);
	for (i = 1; i + 1 < (size_t)argc; i++)
		if (!strcmp(argv[i], "-m"))
			mib = strtoul(argv[i + 1], NULL, 10);
	m = mmap(NULL, mib * MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(m != MAP_FAILED, "mmap %zu MiB", mib);
	for (i = 0; i < mib; i++) {
		char *c = m + i * MIB;

		switch (kind(i)) {
		case 0:
			fill((uint64_t *)c, i);
			break;
		case 1:
			fill((uint64_t *)c, i);
			CHECK(!mprotect(c, MIB, PROT_NONE), "mprotect");
			break;
		case 2:
			CHECK(!munmap(c, MIB), "munmap");
			break;
		}
	}
	victim_ready();
	victim_wait();
	for (i = 0; i < mib; i++) {
		char *c = m + i * MIB;

		maps_perms((uintptr_t)c, perms);
		switch (kind(i)) {
		case 0:
			CHECK(!strcmp(perms, "rw-p"), "MiB %zu is %s", i, perms);
			CHECK(check((uint64_t *)c, i), "MiB %zu contents", i);
			break;
		case 1:
			CHECK(!strcmp(perms, "---p"), "MiB %zu is %s, not ---p", i, perms);
			CHECK(!mprotect(c, MIB, PROT_READ), "mprotect");
			CHECK(check((uint64_t *)c, i), "MiB %zu (PROT_NONE) contents", i);
			break;
		case 2:
			CHECK(!perms[0], "hole at MiB %zu is mapped (%s)", i, perms);
			break;
		case 3:
			for (k = 0; k < MIB; k++)
				CHECK(!c[k], "untouched MiB %zu byte %zu", i, k);
			break;
		}
	}
	victim_restarted(1, NULL);
	victim_pass();
}

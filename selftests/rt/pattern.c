// SPDX-License-Identifier: GPL-2.0
/* One thread: patterned static, stack, malloc and mmap memory. */
#include <sys/mman.h>
#include "victim.h"

static uint64_t data_seg[1 << 16];		/* 512 KiB in .bss */
static char str_seg[] = "initialised data survives";

static void fill(uint64_t *p, size_t n, uint64_t seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = xorshift(&seed);
}

/* Does the VmFlags line of the mapping at @a in /proc/self/smaps have @flag? */
static int vm_flag(void *a, const char *flag)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	unsigned long s, e;
	char line[512];
	int in = 0, found = 0;

	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &s, &e) == 2 && strchr(line, '-') < strchr(line, ' '))
			in = (uintptr_t)a >= s && (uintptr_t)a < e;
		else if (in && !strncmp(line, "VmFlags:", 8))
			found = strstr(line, flag) != NULL;
	}
	if (f)
		fclose(f);
	return found;
}

static void check(const uint64_t *p, size_t n, uint64_t seed, const char *what)
{
	size_t i;

	for (i = 0; i < n; i++)
		CHECK(p[i] == xorshift(&seed), "%s word %zu", what, i);
}

int main(int argc, char **argv)
{
	uint64_t stack[4096], *heap, *big;
	char *adv;
	size_t bign = (8 << 20) / 8;
	int n;

	victim_args(argc, argv);
	heap = malloc(3 << 20);
	big = mmap(NULL, bign * 8, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(heap && big != MAP_FAILED, "allocation");
	fill(data_seg, 1 << 16, 1);
	fill(stack, 4096, 2);
	fill(heap, (3 << 20) / 8, 3);
	fill(big, bign, 4);
	/* madvise state that must come back: huge pages, not inherited by fork. */
	adv = mmap(NULL, 8 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(adv != MAP_FAILED, "mmap");
	CHECK(!madvise(adv, 4 << 20, MADV_HUGEPAGE), "MADV_HUGEPAGE");
	CHECK(!madvise(adv + (4 << 20), 4 << 20, MADV_DONTFORK), "MADV_DONTFORK");
	memset(adv, 5, 8 << 20);
	CHECK(vm_flag(adv, " hg") && vm_flag(adv + (4 << 20), " dc"), "VmFlags before");
	victim_ready();
	for (n = 1; n <= victim_restarts; n++) {
		void *more[64];
		int i;

		victim_wait();
		check(data_seg, 1 << 16, 1, "bss");
		check(stack, 4096, 2, "stack");
		check(heap, (3 << 20) / 8, 3, "heap");
		check(big, bign, 4, "mmap");
		CHECK(!strcmp(str_seg, "initialised data survives"), "data");
		CHECK(vm_flag(adv, " hg"), "MADV_HUGEPAGE lost");
		CHECK(vm_flag(adv + (4 << 20), " dc"), "MADV_DONTFORK lost");
		CHECK(adv[0] == 5 && adv[(8 << 20) - 1] == 5, "advised memory");
		/* The allocator still works, small and large. */
		for (i = 0; i < 64; i++) {
			more[i] = malloc(i % 2 ? 100 : (1 << 20));
			CHECK(more[i], "malloc after restart");
			memset(more[i], i, i % 2 ? 100 : (1 << 20));
		}
		for (i = 0; i < 64; i++)
			free(more[i]);
		victim_restarted(n, NULL);
	}
	victim_pass();
}

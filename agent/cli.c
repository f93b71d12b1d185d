// SPDX-License-Identifier: GPL-2.0
/*
 * splitckpt: the command-line tool.
 *
 *   splitckpt info                                   what the loaded module supports
 *   splitckpt status                                 module and dirty-page trackers
 *   splitckpt checkpoint PID [--dir DIR] [--kill] [--full] [--precopy N]
 *                            [--compress[=LEVEL]] [--via auto|device|agent|direct]
 *                                                    write a generation
 *   splitckpt restart DIR [--generation N] [--interval SEC [--precopy N]] [--fallback]
 *                                                    run it again
 *   splitckpt list DIR                               the generations
 *   splitckpt show DIR [--generation N]              what a generation holds
 *   splitckpt verify DIR [--generation N]            check every checksum
 *   splitckpt compact DIR [--generation N] [--keep]  make a generation full
 *
 * Every command takes --json: one JSON document on stdout instead of text.
 * Exit status: 0 success, 1 the operation failed, 2 bad usage; restart
 * exits with the program's status (125: the restart itself failed).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "splitckpt.h"
#include "cli.h"


static void usage(FILE *f)
{
	fprintf(f, "usage: splitckpt info\n"
		   "       splitckpt status\n"
		   "       splitckpt checkpoint PID [--dir DIR] [--kill] [--full] [--precopy N]\n"
		   "                            [--compress[=LEVEL]] [--via auto|device|agent|direct]\n"
		   "       splitckpt restart DIR [--generation N] [--interval SEC [--precopy N]]\n"
		   "                         [--fallback]\n"
		   "       splitckpt list DIR\n"
		   "       splitckpt show DIR [--generation N]\n"
		   "       splitckpt verify DIR [--generation N]\n"
		   "       splitckpt compact DIR [--generation N] [--keep]\n"
		   "       splitckpt --help\n"
		   "\n"
		   "Every command but restart takes --json: one JSON document on stdout.\n"
		   "Exit status: 0 done, 1 failed, 2 bad usage; restart: the program's\n"
		   "(125 when the restart itself fails).\n"
		   "Programs are started with \"splitckpt-run [--dir DIR] PROG [ARGS...]\".\n"
		   "Process ids change across a restart.\n");
}

static void print_bits(const char *label, __u64 bits)
{
	printf("%-10s", label);
	if (!bits)
		printf(" none");
	for (unsigned int i = 0; i < 64; i++) {
		if (!(bits & (1ULL << i)))
			continue;
		printf(" %u", i);
	}
	printf("\n");
}

static int cmd_info(int argc, char **argv)
{
	struct splitckpt_info info;
	int fd, ret;

	(void)argv;
	if (argc > 1) {
		usage(stderr);
		return EXIT_USAGE;
	}

	fd = sp_kmod_open();
	if (fd < 0) {
		fprintf(stderr, "splitckpt: /dev/%s: %s%s\n",
			SPLITCKPT_DEVICE_NAME, strerror(-fd),
			fd == -ENOENT ? " (is splitckpt.ko loaded?)" : "");
		return EXIT_FAIL;
	}
	ret = sp_kmod_get_info(fd, &info);
	close(fd);
	if (ret) {
		fprintf(stderr, "splitckpt: GET_INFO: %s\n", strerror(-ret));
		return EXIT_FAIL;
	}

	if (cli_json) {
		printf("{\"api_level\": %u, \"page_size\": %u, "
		       "\"features\": %llu, \"ioctls\": %llu}\n",
		       info.api_level, info.page_size,
		       (unsigned long long)info.features,
		       (unsigned long long)info.ioctls);
		return 0;
	}
	printf("api level  %u (this tool: %u)\n", info.api_level,
	       SPLITCKPT_API_LEVEL);
	printf("page size  %u\n", info.page_size);
	print_bits("features", info.features);
	print_bits("ioctls", info.ioctls);
	return 0;
}

int main(int argc, char **argv)
{
	int i, n = 0;

	/* --json is for every command: take it out here. */
	for (i = 0; i < argc; i++) {
		if (i > 1 && !strcmp(argv[i], "--json"))
			cli_json = 1;
		else
			argv[n++] = argv[i];
	}
	argv[n] = NULL;
	argc = n;
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "info"))
		return cmd_info(argc - 1, argv + 1);
	if (!strcmp(argv[1], "status"))
		return cmd_status(argc - 1, argv + 1);
	if (!strcmp(argv[1], "checkpoint"))
		return cmd_checkpoint(argc - 1, argv + 1);
	if (!strcmp(argv[1], "restart"))
		return cmd_restart(argc - 1, argv + 1);
	if (!strcmp(argv[1], "list"))
		return cmd_list(argc - 1, argv + 1);
	if (!strcmp(argv[1], "show"))
		return cmd_show(argc - 1, argv + 1);
	if (!strcmp(argv[1], "verify"))
		return cmd_verify(argc - 1, argv + 1);
	if (!strcmp(argv[1], "compact"))
		return cmd_compact(argc - 1, argv + 1);
	fprintf(stderr, "splitckpt: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}

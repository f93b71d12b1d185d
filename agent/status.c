// SPDX-License-Identifier: GPL-2.0
/*
 * splitckpt status [--json]: what this machine offers for checkpoints -
 * the module, and the dirty-page trackers a program started now would
 * use (the first one available), so incremental generations or not.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "splitckpt.h"
#include "track.h"

static const char *why_not(int r)
{
	return r == -EOPNOTSUPP ? "not supported by this kernel" : strerror(-r);
}

int cmd_status(int argc, char **argv)
{
	static const enum sp_tracker trackers[] = { SP_TRACK_UFFD_WP, SP_TRACK_SOFT_DIRTY };
	struct splitckpt_info info;
	int json = cli_json;
	int fd, mod, r[2];
	const char *chosen = "none (every generation is full)";
	size_t i;

	(void)argv;
	if (argc > 1) {
		fprintf(stderr, "usage: splitckpt status [--json]\n");
		return EXIT_USAGE;
	}
	fd = sp_kmod_open();
	mod = fd < 0 ? fd : sp_kmod_get_info(fd, &info);
	if (fd >= 0)
		close(fd);
	for (i = 0; i < 2; i++)
		r[i] = sp_track_probe(trackers[i]);
	for (i = 2; i-- > 0; )
		if (!r[i])
			chosen = sp_track_name(trackers[i]);
	if (json) {
		printf("{\"module\": %s", mod ? "null" : "{");
		if (!mod)
			printf("\"api_level\": %u, \"features\": %llu}", info.api_level,
			       (unsigned long long)info.features);
		printf(", \"trackers\": {");
		for (i = 0; i < 2; i++)
			printf("%s\"%s\": %s", i ? ", " : "", sp_track_name(trackers[i]),
			       r[i] ? "false" : "true");
		printf("}, \"tracker\": \"%s\"}\n", r[0] && r[1] ? "none" : chosen);
		return 0;
	}
	if (mod)
		printf("module      not loaded (/dev/%s: %s)\n", SPLITCKPT_DEVICE_NAME,
		       strerror(-mod));
	else
		printf("module      loaded, api level %u\n", info.api_level);
	for (i = 0; i < 2; i++)
		printf("%-11s %s\n", sp_track_name(trackers[i]),
		       r[i] ? why_not(r[i]) : "available");
	printf("tracker     %s\n", chosen);
	return 0;
}

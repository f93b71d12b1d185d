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

static const char *why_not(enum sp_tracker t, int r)
{
	if (r != -EOPNOTSUPP)
		return strerror(-r);
	return t == SP_TRACK_MODULE ? "not loaded, or too old" :
	       "not supported by this kernel";
}

/* Are transparent huge pages on for every mapping ("always")? */
static int thp_always(void)
{
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "re");
	char buf[128] = "";

	if (!f)
		return 0;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	return strstr(buf, "[always]") != NULL;
}

int cmd_status(int argc, char **argv)
{
	const enum sp_tracker *t = sp_track_order;
	struct splitckpt_info info;
	int json = cli_json;
	int fd, mod, r[SP_TRACK_NR];
	const char *chosen = "none (every generation is full)";
	enum sp_tracker pick = SP_TRACK_NONE;
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
	for (i = 0; i < SP_TRACK_NR; i++)
		r[i] = sp_track_probe(t[i]);
	for (i = SP_TRACK_NR; i-- > 0; )
		if (!r[i])
			pick = t[i];
	if (pick != SP_TRACK_NONE)
		chosen = sp_track_name(pick);
	if (json) {
		printf("{\"module\": %s", mod ? "null" : "{");
		if (!mod)
			printf("\"api_level\": %u, \"features\": %llu}", info.api_level,
			       (unsigned long long)info.features);
		printf(", \"trackers\": {");
		for (i = 0; i < SP_TRACK_NR; i++)
			printf("%s\"%s\": %s", i ? ", " : "", sp_track_name(t[i]),
			       r[i] ? "false" : "true");
		printf("}, \"tracker\": \"%s\"}\n",
		       strncmp(chosen, "none", 4) ? chosen : "none");
		return 0;
	}
	if (mod)
		printf("device      /dev/%s: %s (module not loaded)\n", SPLITCKPT_DEVICE_NAME,
		       strerror(-mod));
	else
		printf("device      /dev/%s: module loaded, api level %u\n",
		       SPLITCKPT_DEVICE_NAME, info.api_level);
	for (i = 0; i < SP_TRACK_NR; i++)
		printf("%-11s %s\n", sp_track_name(t[i]),
		       r[i] ? why_not(t[i], r[i]) : "available");
	printf("tracker     %s\n", chosen);
	/* Both see a huge page's dirty bit; checkpoints hash its pages. */
	if ((pick == SP_TRACK_MODULE || pick == SP_TRACK_SOFT_DIRTY) && thp_always())
		printf("note        transparent huge pages are always on: %s reports a write\n"
		       "            as its whole 2 MiB page; checkpoints hash its 4 KiB pages and\n"
		       "            save only those that changed\n", chosen);
	return 0;
}

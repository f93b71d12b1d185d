// SPDX-License-Identifier: GPL-2.0
/*
 * splitckptd: the agent.  Serves checkpoint requests on a unix socket for
 * processes running under splitckpt-run, checking that the requester owns
 * the process, as a systemd Type=notify service.
 *
 *   splitckptd [--config FILE] [--dump-config]
 *
 * Exit status: 0 stopped by SIGTERM/SIGINT, 1 failure, 2 bad usage,
 * 78 invalid configuration.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include <systemd/sd-daemon.h>

#include "daemon.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: splitckptd [--config FILE] [--dump-config]\n"
		   "\n"
		   "  --config FILE   read FILE and FILE.d/*.conf (default " AGENT_CONFIG ")\n"
		   "  --dump-config   print the configuration in effect and exit\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "dump-config", no_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = AGENT_CONFIG;
	struct agent_config cfg;
	struct server s;
	int c, dump = 0, explicit = 0, r;

	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			path = optarg;
			explicit = 1;
			break;
		case 'd':
			dump = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	log_open();
	config_defaults(&cfg);
	if (config_load(&cfg, path, explicit))
		return EXIT_CONFIG;
	if (dump) {
		config_dump(stdout, &cfg);
		return 0;
	}
	log_set_max_level(cfg.log_level);

	r = server_init(&s, &cfg);
	if (!r)
		r = sandbox_apply(cfg.seccomp);
	if (!r) {
		sd_notifyf(0, "READY=1\nSTATUS=Listening on %s", cfg.socket);
		r = server_run(&s);
	}
	server_done(&s);
	if (r) {
		sd_notifyf(0, "ERRNO=%d", -r);
		return 1;
	}
	log_info("stopped");
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * splitckpt checkpoint PID [--dir DIR] [--kill]
 * splitckpt restart DIR [--generation N] [--interval SEC [--precopy N]] [--fallback]
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>

#include "agent.h"
#include "cli.h"
#include "runtime.h"



struct bar {
	struct timespec start;
	double delay;	/* seconds before the first draw */
	int shown;
};

static const char *const phase_names[] = {
	[SP_PHASE_PRECOPY] = "pre-copy",
	[SP_PHASE_SAVE] = "saving",
	[SP_PHASE_COMMIT] = "committing",
};

/* One line on stderr, redrawn; only for checkpoints that take a while. */
static void show_progress(void *arg, const struct sp_ctl_progress *p)
{
	struct bar *b = arg;
	struct timespec now;
	double secs, mib = p->done / 1048576.0;
	const char *phase = p->phase < sizeof(phase_names) / sizeof(phase_names[0]) &&
			    phase_names[p->phase] ? phase_names[p->phase] : "";
	char pass[32] = "";
	int i, width = 30, fill;

	clock_gettime(CLOCK_MONOTONIC, &now);
	secs = now.tv_sec - b->start.tv_sec + (now.tv_nsec - b->start.tv_nsec) / 1e9;
	if (secs < b->delay)
		return;
	if (p->phase == SP_PHASE_PRECOPY)
		snprintf(pass, sizeof(pass), " %u", p->pass);
	fprintf(stderr, "\r\033[K%s%s ", phase, pass);
	if (p->total) {
		fill = p->done >= p->total ? width : (int)(p->done * width / p->total);
		fputc('[', stderr);
		for (i = 0; i < width; i++)
			fputc(i < fill ? '#' : '.', stderr);
		fprintf(stderr, "] %3d%% ", p->done >= p->total ? 100 :
			(int)(p->done * 100 / p->total));
	}
	fprintf(stderr, "%.0f MiB, %.0f MiB/s", mib, mib / secs);
	fflush(stderr);
	b->shown = 1;
}

int cmd_checkpoint(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "kill", no_argument, NULL, 'k' },
		{ "full", no_argument, NULL, 'f' },
		{ "compress", optional_argument, NULL, 'z' },
		{ "via", required_argument, NULL, 'v' },
		{ "precopy", required_argument, NULL, 'P' },
		{ NULL, 0, NULL, 0 },
	};
	static struct sp_ctl_request req;
	struct sp_ctl_reply rep;
	struct bar bar = { .shown = 0 };
	unsigned long n;
	char *end;
	long pid;
	int c, r, pidfd, via = SP_VIA_AUTO;

	req.size = sizeof(req);
	optind = 1;
	while ((c = getopt_long(argc, argv, "d:kfv:", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			r = sp_abspath(optarg, req.dir, sizeof(req.dir));
			if (r) {
				fprintf(stderr, "splitckpt: checkpoint: %s: %s\n",
					optarg, strerror(-r));
				return EXIT_USAGE;
			}
			break;
		case 'k':
			req.flags |= SP_CTL_KILL;
			break;
		case 'f':
			req.flags |= SP_CTL_FULL;
			break;
		case 'z': {
			unsigned long level = 3;	/* --compress alone */

			if (optarg && sp_parse_count(optarg, SP_COMPRESS_MAX, &level)) {
				fprintf(stderr, "splitckpt: checkpoint: --compress=%s: "
					"a zstd level from 1 to %d (0: off)\n", optarg,
					SP_COMPRESS_MAX);
				return EXIT_USAGE;
			}
			req.compress = level;
			break;
		}
		case 'v':
			via = sp_via_parse(optarg);
			if (via < 0)
				goto usage;
			break;
		case 'P':
			if (sp_parse_count(optarg, SP_PRECOPY_MAX, &n)) {
				fprintf(stderr, "splitckpt: checkpoint: --precopy %s: "
					"a number of passes from 0 to %d\n", optarg,
					SP_PRECOPY_MAX);
				return EXIT_USAGE;
			}
			req.precopy = n;
			break;
		default:
			goto usage;
		}
	}
	if (optind != argc - 1)
		goto usage;
	errno = 0;
	pid = strtol(argv[optind], &end, 10);
	if (errno || *end || pid <= 0 || pid > INT_MAX)
		goto usage;
	/* Opened first: it tells when this very process has ended. */
	pidfd = syscall(SYS_pidfd_open, (pid_t)pid, 0);
	/* A progress bar on a terminal (not with --json). */
	if (!cli_json && isatty(2)) {
		const char *d = getenv("SPLITCKPT_BAR_DELAY_MS");	/* for tests */

		req.flags |= SP_CTL_PROGRESS;
		bar.delay = d ? atoi(d) / 1000.0 : 0.5;
		clock_gettime(CLOCK_MONOTONIC, &bar.start);
	}
	r = sp_checkpoint_request(via, pid, &req, &rep, show_progress, &bar);
	if (bar.shown)
		fprintf(stderr, "\r\033[K");
	if (r) {
		if (r == -ECONNREFUSED || r == -ENOENT)
			fprintf(stderr, "splitckpt: checkpoint: process %ld %s\n", pid,
				kill(pid, 0) && errno == ESRCH ? "does not exist" :
				"is not running under splitckpt-run");
		else
			fprintf(stderr, "splitckpt: checkpoint: process %ld: %s\n",
				pid, strerror(-r));
		return EXIT_FAIL;
	}
	if (rep.status) {
		fprintf(stderr, "splitckpt: checkpoint: process %ld: %s\n", pid,
			rep.msg[0] ? rep.msg : strerror(-rep.status));
		return EXIT_FAIL;
	}
	if (req.precopy && !rep.precopy && !rep.brief)
		fprintf(stderr, "splitckpt: checkpoint: no pre-copy: the program's "
			"dirty-page tracker cannot do it (see splitckpt status)\n");
	if (cli_json) {
		printf("{\"generation\": %llu, \"parent\": %llu, \"dir\": ",
		       (unsigned long long)rep.generation, (unsigned long long)rep.parent);
		json_str(rep.msg);
		printf(", \"bytes\": %llu, \"total_ns\": %llu, \"freeze_ns\": %llu, "
		       "\"stopped_ns\": %llu, \"precopy_passes\": %u, \"precopy_bytes\": %llu, "
		       "\"stopped_bytes\": %llu}\n",
		       (unsigned long long)rep.bytes, (unsigned long long)rep.total_ns,
		       (unsigned long long)rep.freeze_ns, (unsigned long long)rep.stopped_ns,
		       rep.precopy, (unsigned long long)rep.precopy_bytes,
		       (unsigned long long)rep.stopped_bytes);
	} else if (rep.brief) {
		printf("generation %llu in %s (through /dev/splitckpt)\n",
		       (unsigned long long)rep.generation, rep.msg);
	} else {
		printf("generation %llu in %s: %.1f MiB in %.3f s, threads stopped in %.3f ms,"
		       " paused %.3f ms", (unsigned long long)rep.generation, rep.msg,
		       rep.bytes / 1048576.0, rep.total_ns / 1e9, rep.freeze_ns / 1e6,
		       rep.stopped_ns / 1e6);
		if (rep.precopy)
			printf(", pre-copy %u passes (%.1f MiB), %.1f MiB while paused",
			       rep.precopy, rep.precopy_bytes / 1048576.0,
			       rep.stopped_bytes / 1048576.0);
		if (rep.parent)
			printf(", incremental over generation %llu",
			       (unsigned long long)rep.parent);
		printf("\n");
	}
	if ((req.flags & SP_CTL_KILL) && pidfd >= 0) {
		/* Return once the program is really gone. */
		struct pollfd pfd = { .fd = pidfd, .events = POLLIN };

		if (poll(&pfd, 1, 10000) != 1) {
			fprintf(stderr, "splitckpt: checkpoint: process %ld is still alive\n",
				pid);
			return EXIT_FAIL;
		}
	}
	return 0;
usage:
	fprintf(stderr, "usage: splitckpt checkpoint PID [--dir DIR] [--kill] [--full]"
		" [--compress[=LEVEL]] [--precopy N] [--via auto|device|agent|direct]\n");
	return EXIT_USAGE;
}

int cmd_restart(int argc, char **argv)
{
	char self[PATH_MAX], run[PATH_MAX + 32], *slash;
	const char *gen = NULL, *interval = NULL, *precopy = NULL;
	char *args[12], picked[32];
	ssize_t n;
	int i, k = 0, fallback = 0;
	const char *dir = NULL;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--generation") && i + 1 < argc)
			gen = argv[++i];
		else if (!strncmp(argv[i], "--generation=", 13))
			gen = argv[i] + 13;
		else if (!strcmp(argv[i], "--interval") && i + 1 < argc)
			interval = argv[++i];
		else if (!strcmp(argv[i], "--precopy") && i + 1 < argc)
			precopy = argv[++i];
		else if (!strcmp(argv[i], "--fallback"))
			fallback = 1;
		else if (argv[i][0] != '-' && !dir)
			dir = argv[i];
		else
			goto usage;
	}
	if (!dir)
		goto usage;
	if (fallback) {
		uint64_t g = gen ? strtoull(gen, NULL, 10) : 0;
		int r = cli_pick_valid(dir, &g);

		if (r) {
			fprintf(stderr, "splitckpt: restart: %s: %s\n", dir,
				r == -ENOENT ? "no intact generation" : strerror(-r));
			return EXIT_FAIL;
		}
		snprintf(picked, sizeof(picked), "%llu", (unsigned long long)g);
		gen = picked;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n < 0) {
		perror("splitckpt: restart: /proc/self/exe");
		return EXIT_FAIL;
	}
	self[n] = '\0';
	slash = strrchr(self, '/');
	*slash = '\0';
	snprintf(run, sizeof(run), "%s/splitckpt-run", self);
	args[k++] = "splitckpt-run";
	args[k++] = "--restore";
	args[k++] = (char *)dir;
	if (gen) {
		args[k++] = "--generation";
		args[k++] = (char *)gen;
	}
	if (interval) {
		args[k++] = "--interval";
		args[k++] = (char *)interval;
	}
	if (precopy) {
		args[k++] = "--precopy";
		args[k++] = (char *)precopy;
	}
	args[k] = NULL;
	execv(run, args);
	fprintf(stderr, "splitckpt: restart: %s: %s\n", run, strerror(errno));
	return EXIT_FAIL;
usage:
	fprintf(stderr, "usage: splitckpt restart DIR [--generation N] [--interval SEC [--precopy N]]"
		" [--fallback]\n");
	return EXIT_USAGE;
}

// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * splitckpt-run: the lower half.  Runs PROG as the upper half of this
 * process, or (--restore) brings a checkpointed upper half back.
 */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <asm/prctl.h>
#include <sys/mman.h>
#include <sys/rseq.h>

#include "raw.h"
#include "runtime.h"

extern char **environ;

static void usage(FILE *f)
{
	fprintf(f,
		"usage: splitckpt-run [--dir DIR] [--interval SEC [--precopy N]] [--] PROG [ARGS...]\n"
		"       splitckpt-run --restore DIR [--generation N] [--interval SEC [--precopy N]]\n"
		"\n"
		"Runs the dynamically linked program PROG so that it can be checkpointed\n"
		"with \"splitckpt checkpoint PID\".  Images go to DIR, else $SPLITCKPT_DIR,\n"
		"else ./splitckpt-PROG-PID.  With --interval, a generation is written\n"
		"every SEC seconds (incremental where possible), with --precopy after up\n"
		"to N passes while the program runs.  The exit status is\n"
		"PROG's; 126/127 when PROG cannot be run, 125 when a restart fails.\n");
}

static void warn(const char *fmt, ...)
{
	va_list ap;

	fputs("splitckpt-run: warning: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}


/*
 * Test hook: a lower-half allocation that must never show up in an image
 * (SPLITCKPT_TEST_LH_BALLAST=MiB).
 */
static void *ballast;

static void make_ballast(void)
{
	const char *s = getenv("SPLITCKPT_TEST_LH_BALLAST");
	static const char pat[16] = "LH-BALLAST-PAGE!";
	size_t len, i;

	if (!s || !(len = strtoul(s, NULL, 10) << 20))
		return;
	ballast = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ballast == MAP_FAILED)
		return;
	for (i = 0; i < len; i += sizeof(pat))
		memcpy((char *)ballast + i, pat, sizeof(pat));
}

static int do_restore(const char *dir, uint64_t gen)
{
	char msg[1024] = "", abs[PATH_MAX];
	int r = sp_abspath(dir, abs, sizeof(abs));

	if (r) {
		fprintf(stderr, "splitckpt-run: restart: %s: %s\n", dir, strerror(-r));
		return 125;
	}
	make_ballast();
	r = sp_restore(abs, gen, warn, msg, sizeof(msg));
	fprintf(stderr, "splitckpt-run: restart: %s\n", msg[0] ? msg : strerror(-r));
	return 125;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "restore", required_argument, NULL, 'R' },
		{ "generation", required_argument, NULL, 'g' },
		{ "interval", required_argument, NULL, 'i' },
		{ "precopy", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dir = getenv("SPLITCKPT_DIR"), *restore = NULL;
	static struct sp_prog prog;
	char msg[8192], *end;
	uint64_t gen = 0, entry, sp;
	sigset_t set;
	unsigned long count;
	int c, r;

	while ((c = getopt_long(argc, argv, "+d:i:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			dir = optarg;
			break;
		case 'R':
			restore = optarg;
			break;
		case 'g':
			errno = 0;
			gen = strtoull(optarg, &end, 10);
			if (errno || *end || !gen) {
				fprintf(stderr, "splitckpt-run: bad generation '%s'\n", optarg);
				return 125;
			}
			break;
		case 'i':
			if (sp_parse_count(optarg, 86400L * 365, &count) || !count) {
				fprintf(stderr, "splitckpt-run: bad interval '%s' (seconds)\n",
					optarg);
				return 125;
			}
			sp_ckpt_interval = count;
			break;
		case 'P':
			if (sp_parse_count(optarg, SP_PRECOPY_MAX, &count)) {
				fprintf(stderr, "splitckpt-run: bad --precopy '%s' (0 to %d passes)\n",
					optarg, SP_PRECOPY_MAX);
				return 125;
			}
			sp_ckpt_precopy = count;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 125;
		}
	}
	if (restore) {
		if (optind != argc) {
			usage(stderr);
			return 125;
		}
		return do_restore(restore, gen);
	}
	if (optind >= argc) {
		usage(stderr);
		return 125;
	}
	r = sp_prog_inspect(argv[optind], &prog, msg, sizeof(msg));
	for (c = 0; r == -ENOEXEC && c < 4; c++) {
		/* A script: run its interpreter on it, as the kernel would. */
		static char interp[4][PATH_MAX], arg[4][PATH_MAX], path[4][PATH_MAX];
		int n = argc - optind, k = 0;
		char **nargv;

		if (sp_prog_shebang(prog.path, interp[c], PATH_MAX, arg[c], PATH_MAX))
			break;
		snprintf(path[c], PATH_MAX, "%s", prog.path);
		nargv = calloc(n + 3, sizeof(char *));
		if (!nargv)
			break;
		nargv[k++] = interp[c];
		if (arg[c][0])
			nargv[k++] = arg[c];
		nargv[k++] = path[c];
		memcpy(&nargv[k], &argv[optind + 1], (n - 1) * sizeof(char *));
		argv = nargv;
		argc = k + n - 1;
		optind = 0;
		r = sp_prog_inspect(argv[0], &prog, msg, sizeof(msg));
	}
	if (r) {
		fprintf(stderr, "splitckpt-run: %s\n", msg);
		return r == -ENOENT ? 127 : 126;
	}
	if (dir && dir[0]) {
		r = sp_abspath(dir, sp_default_dir, sizeof(sp_default_dir));
	} else {
		char name[PATH_MAX], rel[PATH_MAX + 64];

		snprintf(name, sizeof(name), "%s", prog.path);
		snprintf(rel, sizeof(rel), "splitckpt-%s-%d", basename(name), getpid());
		r = sp_abspath(rel, sp_default_dir, sizeof(sp_default_dir));
	}
	if (r) {
		fprintf(stderr, "splitckpt-run: image directory: %s\n", strerror(-r));
		return 125;
	}
	sp_ckpt_ctx.exe = prog.path;
	make_ballast();

	r = sp_prog_prepare(&prog, &argv[optind], environ, &entry, &sp);
	if (r) {
		fprintf(stderr, "splitckpt-run: loading %s for %s: %s\n",
			prog.interp, prog.path, strerror(-r));
		return 126;
	}
	r = sp_memtrap_handler();
	if (!r)
		r = sp_freeze_handler();
	if (!r)
		r = sp_ctl_start();
	if (r) {
		fprintf(stderr, "splitckpt-run: starting the runtime: %s\n", strerror(-r));
		return 126;
	}
	/*
	 * The band only: a non-PIE program's own segments stay out of the
	 * filter, which outlives execve(), so that programs it runs (a Go or
	 * static binary at the same address) are not trapped.
	 */
	r = sp_memtrap_install();
	if (r) {
		fprintf(stderr, "splitckpt-run: installing the system call filter: %s\n",
			strerror(-r));
		return 126;
	}
	fflush(NULL);
	sigemptyset(&set);
	sigaddset(&set, SP_CKPT_SIGNAL);
	sigaddset(&set, SIGSYS);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	/* The upper half's ld.so registers its own rseq area. */
	if (__rseq_size) {
		uint64_t fs;

		sp_sys2(SYS_arch_prctl, ARCH_GET_FS, &fs);
		sp_sys4(SYS_rseq, fs + __rseq_offset, 32, RSEQ_FLAG_UNREGISTER, RSEQ_SIG);
	}
	sp_jump(entry, sp);
}

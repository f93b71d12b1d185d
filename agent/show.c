// SPDX-License-Identifier: GPL-2.0
/*
 * splitckpt show DIR [--generation N]
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <signal.h>
#include <sys/mman.h>

#include "cli.h"
#include "image.h"


const char *cli_img_error(int r)
{
	switch (r) {
	case -ENOENT:
		return "no such generation (or no checkpoint in this directory)";
	case -EBADMSG:
		return "not a valid splitckpt image (bad magic, checksum or structure)";
	case -EPROTONOSUPPORT:
		return "image format version (or a feature it uses) not supported by this tool";
	case -ESTALE:
		return "not the generation the newer ones were written against";
	}
	return strerror(-r);
}

/* DIR [--generation N]; returns 0 or the exit status for bad usage. */
static int parse(int argc, char **argv, const char **dir, uint64_t *gen)
{
	char *end;
	int i;

	*dir = NULL;
	*gen = 0;
	for (i = 1; i < argc; i++) {
		const char *v = NULL;

		if (!strcmp(argv[i], "--generation") && i + 1 < argc)
			v = argv[++i];
		else if (!strncmp(argv[i], "--generation=", 13))
			v = argv[i] + 13;
		else if (argv[i][0] != '-' && !*dir)
			*dir = argv[i];
		else
			return EXIT_USAGE;
		if (v) {
			errno = 0;
			*gen = strtoull(v, &end, 10);
			if (errno || *end || !*gen)
				return EXIT_USAGE;
		}
	}
	return *dir ? 0 : EXIT_USAGE;
}

/*
 * "CMD DIR [--generation N]": the directory as an fd, or -1 with *status
 * set to the exit status.
 */
int cli_open_dir(const char *cmd, int argc, char **argv, const char **dir,
		 uint64_t *gen, int *status)
{
	int dfd;

	if (parse(argc, argv, dir, gen)) {
		fprintf(stderr, "usage: splitckpt %s DIR [--generation N]\n", cmd);
		*status = EXIT_USAGE;
		return -1;
	}
	dfd = open(*dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		fprintf(stderr, "splitckpt: %s: %s: %s\n", cmd, *dir, strerror(errno));
		*status = EXIT_FAIL;
	}
	return dfd;
}

static void sigset_str(char *out, size_t len, uint64_t set)
{
	size_t n = 0;
	int s;

	out[0] = '\0';
	for (s = 1; s <= 64 && n < len; s++)
		if (set & (1ULL << (s - 1)))
			n += snprintf(out + n, len - n, "%s%d", n ? "," : "", s);
	if (!set)
		snprintf(out, len, "none");
}

/* Bytes saved and marked zero in this generation inside mapping @v. */
static void vma_bytes(const struct sp_img *img, const struct splitckpt_img_vma *v,
		      uint64_t *saved, uint64_t *zeroed)
{
	const struct splitckpt_img_rec *r;

	*saved = *zeroed = 0;
	for (r = sp_img_next(img, NULL); r; r = sp_img_next(img, r)) {
		const struct splitckpt_img_pages *p = (const void *)r;
		const struct splitckpt_img_zero *z = (const void *)r;

		if (r->type == SPLITCKPT_REC_PAGES && p->addr >= v->start &&
		    p->addr < v->end)
			*saved += p->len;
		if (r->type == SPLITCKPT_REC_ZERO && z->addr >= v->start &&
		    z->addr < v->end)
			*zeroed += z->len;
	}
}

/* Bytes of memory in PAGES records, and the bytes they take in the file. */
static void data_bytes(const struct sp_img *img, uint64_t *raw, uint64_t *stored,
		       unsigned int *compressed)
{
	const struct splitckpt_img_rec *r;
	uint64_t s;

	*raw = *stored = 0;
	*compressed = 0;
	for (r = sp_img_next(img, NULL); r; r = sp_img_next(img, r)) {
		const struct splitckpt_img_pages *p = (const void *)r;

		if (r->type != SPLITCKPT_REC_PAGES)
			continue;
		*compressed += sp_img_pages_stored(p, &s) == SPLITCKPT_PAGES_ZSTD;
		*raw += p->len;
		*stored += s;
	}
}

static void show_vma(const struct sp_img *img, const struct splitckpt_img_vma *v)
{
	uint64_t saved, zeroed;
	int incremental = sp_img_header(img)->parent != 0;

	vma_bytes(img, v, &saved, &zeroed);
	printf("  %012" PRIx64 "-%012" PRIx64 " %c%c%c%c %8" PRIu64 " KiB saved %s%s",
	       (uint64_t)v->start, (uint64_t)v->end,
	       v->prot & PROT_READ ? 'r' : '-', v->prot & PROT_WRITE ? 'w' : '-',
	       v->prot & PROT_EXEC ? 'x' : '-',
	       v->flags & SPLITCKPT_VMA_PRIVATE ? 'p' : 's', saved >> 10,
	       incremental && (v->flags & SPLITCKPT_VMA_WHOLE) ? "[whole] " : "",
	       incremental && !(v->flags & SPLITCKPT_VMA_WHOLE) ? "[changes] " : "");
	if (zeroed)
		printf("[%" PRIu64 " KiB zeroed] ", zeroed >> 10);
	printf("%s%s%s%s%s%s\n",
	       v->flags & SPLITCKPT_VMA_HEAP ? "[heap] " : "",
	       v->flags & SPLITCKPT_VMA_STACK ? "[stack] " : "",
	       v->flags & SPLITCKPT_VMA_SYSV ? "[sysv shm] " : "",
	       v->flags & SPLITCKPT_VMA_REMAP ? "[remapped at restart] " : "",
	       v->flags & SPLITCKPT_VMA_HUGEPAGE ? "[hugepage] " : "",
	       (const char *)(v + 1));
}

static void show(const struct sp_img *img)
{
	const struct splitckpt_img_header *h = sp_img_header(img);
	const struct splitckpt_img_rec *r;
	time_t t = h->created_ns / 1000000000;
	char when[64], set[256];
	uint64_t pages = 0, raw, stored;
	unsigned int nz;

	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
	if (h->parent)
		printf("generation %" PRIu64 " (incremental over generation %" PRIu64
		       "), created %s\n", (uint64_t)h->generation, (uint64_t)h->parent, when);
	else
		printf("generation %" PRIu64 " (full image), created %s\n",
		       (uint64_t)h->generation, when);
	printf("  format version %u, page size %u, %" PRIu64 " bytes of page data, %u records\n",
	       h->version, h->page_size, (uint64_t)h->data_size, h->nr_records);
	data_bytes(img, &raw, &stored, &nz);
	if (h->flags & SPLITCKPT_IMG_F_ZSTD)
		printf("  compressed (zstd): %" PRIu64 " bytes stored for %" PRIu64
		       " bytes of memory (%.1f %%), %u records compressed\n",
		       stored, raw, raw ? 100.0 * stored / raw : 100.0, nz);
	else
		printf("  not compressed\n");
	for (r = sp_img_next(img, NULL); r; r = sp_img_next(img, r)) {
		const struct splitckpt_img_process *p = (const void *)r;
		const char *cwd = (const char *)(p + 1);

		if (r->type != SPLITCKPT_REC_PROCESS)
			continue;
		printf("process\n  program   %s\n  cwd       %s\n  images    %s\n",
		       cwd + p->cwd_len + 1, cwd, cwd + p->cwd_len + 1 + p->exe_len + 1);
		printf("  pid       %d at checkpoint (pids change across restart)\n", p->pid);
		printf("  threads   %u\n  umask     %03o\n", p->nr_threads, p->umask);
		sigset_str(set, sizeof(set), p->shared_pending);
		printf("  pending   %s (process-wide)\n", set);
		printf("  brk       %#" PRIx64 "-%#" PRIx64 "\n", (uint64_t)p->brk_start,
		       (uint64_t)p->brk_cur);
	}
	printf("threads\n");
	for (r = sp_img_next(img, NULL); r; r = sp_img_next(img, r)) {
		const struct splitckpt_img_thread *th = (const void *)r;

		if (r->type != SPLITCKPT_REC_THREAD)
			continue;
		sigset_str(set, sizeof(set), th->pending);
		printf("  tid %-7d%s fs %#" PRIx64 " frame %#" PRIx64 " pending %s\n",
		       th->tid, th->flags & SPLITCKPT_THREAD_MAIN ? " (main)" : "",
		       (uint64_t)th->fs_base, (uint64_t)th->frame, set);
	}
	printf("memory\n");
	for (r = sp_img_next(img, NULL); r; r = sp_img_next(img, r)) {
		if (r->type == SPLITCKPT_REC_VMA)
			show_vma(img, (const void *)r);
		if (r->type == SPLITCKPT_REC_PAGES)
			pages += ((const struct splitckpt_img_pages *)r)->len;
	}
	printf("signals, timers and files\n");
	for (r = sp_img_next(img, NULL); r; r = sp_img_next(img, r)) {
		const struct splitckpt_img_sigaction *a = (const void *)r;
		const struct splitckpt_img_itimer *it = (const void *)r;
		const struct splitckpt_img_timer *tm = (const void *)r;
		const struct splitckpt_img_fd *f = (const void *)r;
		static const char *const kinds[] = { "?", "file", "dir", "other", "device" };

		switch (r->type) {
		case SPLITCKPT_REC_SIGACTION:
			sigset_str(set, sizeof(set), a->mask);
			printf("  signal %-3u handler %#" PRIx64 " flags %#" PRIx64 " mask %s\n",
			       a->signo, (uint64_t)a->handler, (uint64_t)a->flags, set);
			break;
		case SPLITCKPT_REC_ITIMER:
			printf("  itimer %u   %.6f s left, interval %.6f s\n", it->which,
			       it->value_ns / 1e9, it->interval_ns / 1e9);
			break;
		case SPLITCKPT_REC_TIMER:
			printf("  timer %-4d clock %d signal %u value %#" PRIx64
			       " %.6f s left, interval %.6f s\n", tm->id, tm->clockid,
			       tm->signo, (uint64_t)tm->value, tm->value_ns / 1e9,
			       tm->interval_ns / 1e9);
			break;
		case SPLITCKPT_REC_SIGINFO: {
			const struct splitckpt_img_siginfo *q = (const void *)r;
			siginfo_t si;

			memcpy(&si, q->info, sizeof(si));
			printf("  queued signal %u code %d value %#lx\n", q->signo,
			       si.si_code, (unsigned long)si.si_value.sival_ptr);
			break;
		}
		case SPLITCKPT_REC_FD:
			printf("  fd %-4d %-6s flags %#o%s pos %" PRIu64 " %s\n", f->fd,
			       f->kind < 5 ? kinds[f->kind] : "?", f->oflags,
			       f->fdflags ? " cloexec" : "", (uint64_t)f->pos,
			       (const char *)(f + 1));
			break;
		}
	}
	printf("total: %" PRIu64 " KiB of memory saved\n", pages >> 10);
}

static void show_json(const struct sp_img *img)
{
	const struct splitckpt_img_header *h = sp_img_header(img);
	const struct splitckpt_img_rec *r;
	const char *sep = "";
	uint64_t raw, stored;
	unsigned int nz;

	printf("{\"generation\": %" PRIu64 ", \"parent\": %" PRIu64
	       ", \"created_ns\": %" PRIu64 ", \"format_version\": %u"
	       ", \"data_bytes\": %" PRIu64 ", \"records\": %u",
	       (uint64_t)h->generation, (uint64_t)h->parent, (uint64_t)h->created_ns,
	       h->version, (uint64_t)h->data_size, h->nr_records);
	data_bytes(img, &raw, &stored, &nz);
	printf(", \"compression\": \"%s\", \"memory_bytes\": %" PRIu64
	       ", \"stored_bytes\": %" PRIu64 ", \"compressed_records\": %u",
	       h->flags & SPLITCKPT_IMG_F_ZSTD ? "zstd" : "none", raw, stored, nz);
	for (r = sp_img_next(img, NULL); r; r = sp_img_next(img, r)) {
		const struct splitckpt_img_process *p = (const void *)r;
		const char *cwd = (const char *)(p + 1);

		if (r->type != SPLITCKPT_REC_PROCESS)
			continue;
		printf(", \"process\": {\"pid\": %d, \"threads\": %u, \"program\": ",
		       p->pid, p->nr_threads);
		json_str(cwd + p->cwd_len + 1);
		printf(", \"cwd\": ");
		json_str(cwd);
		printf("}");
	}
	printf(", \"mappings\": [");
	for (r = sp_img_next(img, NULL); r; r = sp_img_next(img, r)) {
		const struct splitckpt_img_vma *v = (const void *)r;
		uint64_t saved, zeroed;

		if (r->type != SPLITCKPT_REC_VMA)
			continue;
		vma_bytes(img, v, &saved, &zeroed);
		printf("%s{\"start\": %" PRIu64 ", \"end\": %" PRIu64 ", \"prot\": %u"
		       ", \"flags\": %u, \"whole\": %s, \"saved\": %" PRIu64
		       ", \"zeroed\": %" PRIu64 ", \"path\": ", sep, (uint64_t)v->start,
		       (uint64_t)v->end, v->prot, v->flags,
		       !h->parent || (v->flags & SPLITCKPT_VMA_WHOLE) ? "true" : "false",
		       saved, zeroed);
		json_str((const char *)(v + 1));
		printf("}");
		sep = ", ";
	}
	printf("], \"files\": [");
	sep = "";
	for (r = sp_img_next(img, NULL); r; r = sp_img_next(img, r)) {
		const struct splitckpt_img_fd *f = (const void *)r;

		if (r->type != SPLITCKPT_REC_FD)
			continue;
		printf("%s{\"fd\": %d, \"kind\": %u, \"pos\": %" PRIu64 ", \"path\": ",
		       sep, f->fd, f->kind, (uint64_t)f->pos);
		json_str((const char *)(f + 1));
		printf("}");
		sep = ", ";
	}
	printf("]}\n");
}

int cmd_show(int argc, char **argv)
{
	struct sp_img *img;
	const char *dir;
	uint64_t gen;
	int dfd, r;

	dfd = cli_open_dir("show", argc, argv, &dir, &gen, &r);
	if (dfd < 0)
		return r;
	r = sp_img_open(dfd, gen, &img);
	close(dfd);
	if (r) {
		fprintf(stderr, "splitckpt: show: %s: %s\n", dir, cli_img_error(r));
		return EXIT_FAIL;
	}
	if (cli_json)
		show_json(img);
	else
		show(img);
	sp_img_close(img);
	return 0;
}

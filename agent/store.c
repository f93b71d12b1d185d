// SPDX-License-Identifier: GPL-2.0
/*
 * Looking after an image directory:
 *
 * splitckpt list DIR
 *	The generations: number, what each builds on, size, time.
 * splitckpt verify DIR [--generation N]
 *	Without N: every generation's own data and its link to the one it
 *	builds on.  With N: everything generation N needs (its whole chain).
 * splitckpt restart DIR --fallback (the choice of generation, here)
 *	The newest generation (from N down, with --generation N) whose
 *	whole chain reads back with every checksum right.
 * splitckpt compact DIR [--generation N] [--keep]
 *	Rewrite generation N (default: the newest) as a full generation, so
 *	nothing newer depends on older files, then remove the older
 *	generations that no newer one needs (unless --keep).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "chain.h"
#include "cli.h"

/* Why a chain could not be opened, for a message. */
static void chain_error(char *out, size_t len, int r, uint64_t gen, uint64_t bad)
{
	if (r == -ENOENT && bad && bad != gen)
		snprintf(out, len, "generation %" PRIu64 ", which it builds on, is missing",
			 bad);
	else if (bad && bad != gen)
		snprintf(out, len, "generation %" PRIu64 ", which it builds on: %s",
			 bad, cli_img_error(r));
	else
		snprintf(out, len, "%s", cli_img_error(r));
}

static void verify_said(uint64_t gen, int64_t r, const char *why,
			const struct sp_chain *c)
{
	int i;

	if (cli_json) {
		printf("{\"generation\": %" PRIu64 ", \"ok\": %s", gen, r < 0 ? "false" : "true");
		if (r < 0) {
			printf(", \"error\": ");
			json_str(why);
		} else {
			printf(", \"bytes\": %" PRId64 ", \"builds_on\": [", r);
			for (i = 1; i < c->n; i++)
				printf("%s%" PRIu64, i > 1 ? ", " : "",
				       (uint64_t)sp_img_header(c->img[i])->generation);
			printf("]");
		}
		printf("}");
		return;
	}
	if (r < 0) {
		printf("generation %" PRIu64 ": %s\n", gen, why);
		return;
	}
	printf("generation %" PRIu64 ": ok (%" PRId64 " bytes checked", gen, r);
	if (c->n > 1) {
		printf(", builds on");
		for (i = 1; i < c->n; i++)
			printf(" %" PRIu64, (uint64_t)sp_img_header(c->img[i])->generation);
	}
	printf(")\n");
}

static int verify_one(int dfd, uint64_t gen, int whole_chain)
{
	struct sp_chain *c;
	char why[256];
	uint64_t bad;
	int64_t r;

	r = sp_chain_open(dfd, gen, &c, &bad);
	if (r) {
		chain_error(why, sizeof(why), r, gen, bad);
		verify_said(gen, r, why, NULL);
		return 1;
	}
	if (whole_chain) {
		r = sp_chain_verify(c, &bad);
	} else {
		r = sp_img_verify_data(c->img[0]);
		bad = gen;
	}
	if (r < 0)
		chain_error(why, sizeof(why), r, gen, bad);
	verify_said(gen, r, why, c);
	sp_chain_close(c);
	return r < 0;
}

int cli_pick_valid(const char *dir, uint64_t *gen)
{
	uint64_t *gens, bad;
	struct sp_chain *c;
	char why[256];
	int dfd, n, i, r = -ENOENT;

	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	n = sp_img_list(dfd, &gens);
	for (i = n - 1; i >= 0; i--) {
		if (*gen && gens[i] > *gen)
			continue;
		r = sp_chain_open(dfd, gens[i], &c, &bad);
		if (!r) {
			int64_t v = sp_chain_verify(c, &bad);

			r = v < 0 ? (int)v : 0;
			sp_chain_close(c);
		}
		if (!r) {
			*gen = gens[i];
			break;
		}
		chain_error(why, sizeof(why), r, gens[i], bad);
		fprintf(stderr, "splitckpt: restart: generation %" PRIu64 ": %s; "
			"trying an older one\n", gens[i], why);
	}
	if (n > 0)
		free(gens);
	close(dfd);
	return n < 0 ? n : r;
}

int cmd_verify(int argc, char **argv)
{
	uint64_t gen, *gens = NULL;
	const char *dir;
	int dfd, n, i, bad = 0;

	dfd = cli_open_dir("verify", argc, argv, &dir, &gen, &n);
	if (dfd < 0)
		return n;
	if (cli_json)
		printf("[");
	if (gen) {
		bad = verify_one(dfd, gen, 1);
	} else {
		n = sp_img_list(dfd, &gens);
		if (n <= 0) {
			fprintf(stderr, "splitckpt: verify: %s: %s\n", dir,
				n ? strerror(-n) : "no checkpoint in this directory");
			close(dfd);
			return EXIT_FAIL;
		}
		for (i = 0; i < n; i++) {
			if (cli_json && i)
				printf(", ");
			bad |= verify_one(dfd, gens[i], 0);
		}
		free(gens);
	}
	if (cli_json)
		printf("]\n");
	close(dfd);
	return bad ? EXIT_FAIL : 0;
}

int cmd_compact(int argc, char **argv)
{
	char *args[8], why[256];
	struct sp_chain *c;
	uint64_t gen, bad, bytes;
	const char *dir;
	int dfd, i, n = 0, keep = 0, r, removed = 0;

	for (i = 0; i < argc && n < 7; i++) {
		if (!strcmp(argv[i], "--keep"))
			keep = 1;
		else
			args[n++] = argv[i];
	}
	if (i < argc) {
		fprintf(stderr, "usage: splitckpt compact DIR [--generation N] [--keep]\n");
		return EXIT_USAGE;
	}
	args[n] = NULL;
	dfd = cli_open_dir("compact", n, args, &dir, &gen, &r);
	if (dfd < 0)
		return r;
	r = sp_chain_open(dfd, gen, &c, &bad);
	if (r) {
		chain_error(why, sizeof(why), r, gen, bad);
		fprintf(stderr, "splitckpt: compact: %s: %s\n", dir, why);
		close(dfd);
		return EXIT_FAIL;
	}
	gen = (uint64_t)sp_img_header(c->img[0])->generation;
	n = c->n;
	bytes = 0;
	if (c->n == 1) {
		if (!cli_json)
			printf("generation %" PRIu64 " is already full\n", gen);
	} else {
		r = sp_chain_compact(dfd, c, &bytes, &bad);
		if (r) {
			chain_error(why, sizeof(why), r, gen, bad);
			fprintf(stderr, "splitckpt: compact: %s: generation %" PRIu64 ": %s\n",
				dir, gen, why);
			sp_chain_close(c);
			close(dfd);
			return EXIT_FAIL;
		}
		if (!cli_json)
			printf("generation %" PRIu64 ": rewritten as a full generation, "
			       "%.1f MiB from %d generations\n", gen, bytes / 1048576.0, c->n);
	}
	sp_chain_close(c);
	if (!keep) {
		removed = sp_chain_prune(dfd, gen);
		if (removed < 0) {
			fprintf(stderr, "splitckpt: compact: %s: removing older generations: %s\n",
				dir, cli_img_error(removed));
			close(dfd);
			return EXIT_FAIL;
		}
		if (!cli_json)
			printf("%d older generation%s removed\n", removed,
			       removed == 1 ? "" : "s");
	}
	if (cli_json)
		printf("{\"generation\": %" PRIu64 ", \"rewritten\": %s, \"bytes\": %" PRIu64
		       ", \"from_generations\": %d, \"removed\": %d}\n", gen,
		       n > 1 ? "true" : "false", bytes, n, removed);
	close(dfd);
	return 0;
}

int cmd_list(int argc, char **argv)
{
	uint64_t gen, *gens = NULL;
	const char *dir;
	int dfd, n, i, r;

	dfd = cli_open_dir("list", argc, argv, &dir, &gen, &r);
	if (dfd < 0)
		return r;
	n = sp_img_list(dfd, &gens);
	if (n < 0) {
		fprintf(stderr, "splitckpt: list: %s: %s\n", dir, strerror(-n));
		close(dfd);
		return EXIT_FAIL;
	}
	if (cli_json)
		printf("[");
	else if (n)
		printf("%-10s %-10s %12s %12s  %s\n", "generation", "builds on",
		       "data bytes", "file bytes", "created");
	for (i = 0; i < n; i++) {
		const struct splitckpt_img_header *h;
		struct sp_img *img;
		long long size;
		char when[64];
		time_t t;

		r = sp_img_open(dfd, gens[i], &img);
		if (r) {
			if (cli_json) {
				printf("%s{\"generation\": %" PRIu64 ", \"error\": ", i ? ", " : "",
				       gens[i]);
				json_str(cli_img_error(r));
				printf("}");
			} else {
				printf("%-10" PRIu64 " %s\n", gens[i], cli_img_error(r));
			}
			continue;
		}
		h = sp_img_header(img);
		/* The records end the file (sp_img_open() checked that). */
		size = h->meta_offset + h->meta_size;
		t = h->created_ns / 1000000000;
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
		if (cli_json)
			printf("%s{\"generation\": %" PRIu64 ", \"parent\": %" PRIu64
			       ", \"data_bytes\": %" PRIu64 ", \"file_bytes\": %lld"
			       ", \"created_ns\": %" PRIu64 "}", i ? ", " : "", gens[i],
			       (uint64_t)h->parent, (uint64_t)h->data_size, size,
			       (uint64_t)h->created_ns);
		else if (h->parent)
			printf("%-10" PRIu64 " %-10" PRIu64 " %12" PRIu64 " %12lld  %s\n",
			       gens[i], (uint64_t)h->parent, (uint64_t)h->data_size, size, when);
		else
			printf("%-10" PRIu64 " %-10s %12" PRIu64 " %12lld  %s\n", gens[i],
			       "(full)", (uint64_t)h->data_size, size, when);
		sp_img_close(img);
	}
	if (cli_json)
		printf("]\n");
	else if (!n)
		printf("no generations in %s\n", dir);
	free(gens);
	close(dfd);
	return 0;
}

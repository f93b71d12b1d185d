// SPDX-License-Identifier: LGPL-2.1-or-later
/* Chains of incremental generations (see chain.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chain.h"

static int chain_add(struct sp_chain *c, struct sp_img *img)
{
	struct sp_img **v = realloc(c->img, (c->n + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	c->img = v;
	c->img[c->n++] = img;
	return 0;
}

int sp_chain_open(int dirfd, uint64_t gen, struct sp_chain **out, uint64_t *bad)
{
	struct sp_chain *c = calloc(1, sizeof(*c));
	uint64_t created = 0;
	struct sp_img *img;
	int r;

	if (!c)
		return -ENOMEM;
	*bad = 0;
	for (;;) {
		const struct splitckpt_img_header *h;

		r = sp_img_open(dirfd, gen, &img);
		if (r) {
			*bad = gen;
			break;
		}
		h = sp_img_header(img);
		r = chain_add(c, img);
		if (r) {
			sp_img_close(img);
			break;
		}
		if (created && h->created_ns != created) {
			*bad = h->generation;
			r = -ESTALE;
			break;
		}
		if (!h->parent) {
			*out = c;
			return 0;
		}
		gen = h->parent;
		created = h->parent_created_ns;
	}
	sp_chain_close(c);
	return r;
}

/* Every mapping of @img that holds data, or all of them with @all_whole. */
static int add_vmas(struct sp_ranges *r, struct sp_img *img, int whole_only)
{
	const struct splitckpt_img_rec *rec;
	int full = !sp_img_header(img)->parent, e = 0;

	for (rec = sp_img_next(img, NULL); !e && rec; rec = sp_img_next(img, rec)) {
		const struct splitckpt_img_vma *v = (const void *)rec;

		if (rec->type != SPLITCKPT_REC_VMA)
			continue;
		if (whole_only ? full || (v->flags & SPLITCKPT_VMA_WHOLE) :
				 !(v->flags & SPLITCKPT_VMA_REMAP))
			e = sp_ranges_add(r, v->start, v->end);
	}
	return e;
}

int sp_chain_plan(struct sp_chain *c)
{
	struct sp_ranges left = { 0 };
	int i, r;

	if (c->want)
		return 0;
	c->want = calloc(c->n, sizeof(*c->want));
	if (!c->want)
		return -ENOMEM;
	r = add_vmas(&left, c->img[0], 0);
	sp_ranges_norm(&left);
	for (i = 0; !r && i < c->n; i++) {
		const struct splitckpt_img_rec *rec;
		struct sp_ranges own = { 0 };

		/* What is still unknown is what this generation may supply... */
		r = -ENOMEM;
		c->want[i].v = malloc((left.n ? left.n : 1) * sizeof(*left.v));
		if (!c->want[i].v)
			break;
		memcpy(c->want[i].v, left.v, left.n * sizeof(*left.v));
		c->want[i].n = c->want[i].cap = left.n;
		/* ...and what it describes is settled for older ones. */
		r = add_vmas(&own, c->img[i], 1);
		for (rec = sp_img_next(c->img[i], NULL); !r && rec;
		     rec = sp_img_next(c->img[i], rec)) {
			const struct splitckpt_img_pages *p = (const void *)rec;
			const struct splitckpt_img_zero *z = (const void *)rec;

			if (rec->type == SPLITCKPT_REC_PAGES)
				r = sp_ranges_add(&own, p->addr, p->addr + p->len);
			else if (rec->type == SPLITCKPT_REC_ZERO)
				r = sp_ranges_add(&own, z->addr, z->addr + z->len);
		}
		sp_ranges_norm(&own);
		if (!r)
			r = sp_ranges_sub(&left, &own);
		sp_ranges_free(&own);
	}
	sp_ranges_free(&left);
	return r;
}

int64_t sp_chain_load(struct sp_chain *c, uint64_t *bad)
{
	int64_t total = 0, r;
	int i;

	*bad = 0;
	r = sp_chain_plan(c);
	for (i = c->n - 1; !r && i >= 0; i--) {
		r = sp_img_load(c->img[i], &c->want[i]);
		if (r < 0)
			*bad = sp_img_header(c->img[i])->generation;
		else
			total += r, r = 0;
	}
	return r < 0 ? r : total;
}

int64_t sp_chain_verify(struct sp_chain *c, uint64_t *bad)
{
	int64_t total = 0, r;
	int i;

	*bad = 0;
	for (i = 0; i < c->n; i++) {
		r = sp_img_verify_data(c->img[i]);
		if (r < 0) {
			*bad = sp_img_header(c->img[i])->generation;
			return r;
		}
		total += r;
	}
	return total;
}

int sp_chain_compact(int dirfd, struct sp_chain *c, uint64_t *bytes, uint64_t *bad)
{
	const struct splitckpt_img_header *h = sp_img_header(c->img[0]);
	const struct splitckpt_img_rec *rec;
	struct sp_imgw *w;
	uint64_t gen;
	int64_t n;
	int i, r;

	*bad = 0;
	*bytes = 0;
	r = sp_chain_plan(c);
	if (!r)
		r = sp_imgw_open_gen(dirfd, h->generation, &w);
	if (r)
		return r;
	sp_imgw_set_created(w, h->created_ns);
	for (rec = sp_img_next(c->img[0], NULL); !r && rec;
	     rec = sp_img_next(c->img[0], rec)) {
		struct splitckpt_img_vma *v;

		if (rec->type == SPLITCKPT_REC_PAGES || rec->type == SPLITCKPT_REC_ZERO)
			continue;
		if (rec->type != SPLITCKPT_REC_VMA) {
			r = sp_imgw_record(w, rec, rec->size);
			continue;
		}
		v = malloc(rec->size);
		if (!v) {
			r = -ENOMEM;
			break;
		}
		memcpy(v, rec, rec->size);
		v->flags |= SPLITCKPT_VMA_WHOLE;
		r = sp_imgw_record(w, v, rec->size);
		free(v);
	}
	for (i = c->n - 1; !r && i >= 0; i--) {
		n = sp_img_copy(c->img[i], &c->want[i], w);
		if (n < 0) {
			*bad = sp_img_header(c->img[i])->generation;
			r = n;
		} else {
			*bytes += n;
		}
	}
	if (r) {
		sp_imgw_abort(w);
		return r;
	}
	return sp_imgw_commit(w, &gen);
}

void sp_chain_close(struct sp_chain *c)
{
	int i;

	if (!c)
		return;
	for (i = 0; i < c->n; i++) {
		sp_img_close(c->img[i]);
		if (c->want)
			sp_ranges_free(&c->want[i]);
	}
	free(c->img);
	free(c->want);
	free(c);
}

static uint64_t parent_of(int dirfd, uint64_t gen, int *err)
{
	struct sp_img *img;
	uint64_t p;
	int r = sp_img_open(dirfd, gen, &img);

	if (r) {
		*err = r;
		return 0;
	}
	p = sp_img_header(img)->parent;
	sp_img_close(img);
	return p;
}

int sp_chain_prune(int dirfd, uint64_t gen)
{
	uint64_t *gens, g;
	char *needed;
	int n, i, j, err = 0, removed = 0;

	n = sp_img_list(dirfd, &gens);
	if (n < 0)
		return n;
	needed = calloc(n ? n : 1, 1);
	if (!needed) {
		free(gens);
		return -ENOMEM;
	}
	/* Mark everything the generations from @gen on build on. */
	for (i = 0; i < n && !err; i++) {
		if (gens[i] < gen || needed[i])
			continue;
		for (g = gens[i]; g && !err; ) {
			g = parent_of(dirfd, g, &err);
			for (j = 0; g && j < n && gens[j] != g; j++)
				;
			if (!g || j == n)
				break;
			if (needed[j])
				break;
			needed[j] = 1;
		}
	}
	for (i = 0; i < n && !err; i++) {
		if (gens[i] >= gen || needed[i])
			continue;
		err = sp_img_remove(dirfd, gens[i]);
		if (!err)
			removed++;
	}
	if (removed && fsync(dirfd) && !err)
		err = -errno;
	free(needed);
	free(gens);
	return err ? err : removed;
}

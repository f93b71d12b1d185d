// SPDX-License-Identifier: LGPL-2.1-or-later
/* Generation files: writer and reader (see image.h). */
#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <liburing.h>
#include <sys/stat.h>
#include <zstd.h>

#include "image.h"
#include "ranges.h"
#include "xxh.h"

#define ALIGN		SPLITCKPT_IMG_ALIGN
#define CHUNK		SPLITCKPT_IMG_MAX_RUN
#define NBUF		4
#define QD		32

struct sp_imgw {
	int dirfd, fd, direct, registered, err;
	uint64_t gen, off;
	uint64_t parent, parent_created, created;
	/* sp_imgw_set_compress(): level, its pipeline, header @flags. */
	unsigned int zlevel;
	uint32_t hflags;
	struct zpipe *z;
	char tmp[64], name[64];
	struct io_uring ring;
	void *buf[NBUF];
	int busy[NBUF];
	unsigned int inflight;
	/* The buffer being filled: file offset of its start, bytes in it. */
	int cur;
	uint64_t cur_off;
	size_t fill;
	/* The PAGES record being built (its bytes are the tail of cur). */
	uint64_t rec_addr, rec_len;
	/* The ZERO record being built. */
	uint64_t zero_addr, zero_len;
	char *meta;
	size_t meta_len, meta_cap;
	uint32_t nr;
	/* sp_imgw_forget() ranges (see settle()). */
	struct claim *forgets;
	size_t nr_forgets, cap_forgets;
};

static int gen_name(char *out, size_t len, uint64_t gen, int tmp)
{
	return snprintf(out, len, tmp ? ".gen-%08llu.img.tmp" : "gen-%08llu.img",
			(unsigned long long)gen);
}

static int parse_gen(const char *n, uint64_t *gen)
{
	int i;

	if (strlen(n) != 16 || strncmp(n, "gen-", 4) || strcmp(n + 12, ".img"))
		return 0;
	*gen = 0;
	for (i = 4; i < 12; i++) {
		if (n[i] < '0' || n[i] > '9')
			return 0;
		*gen = *gen * 10 + (n[i] - '0');
	}
	return *gen != 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

int sp_img_remove(int dirfd, uint64_t gen)
{
	char name[64];

	gen_name(name, sizeof(name), gen, 0);
	return unlinkat(dirfd, name, 0) ? -errno : 0;
}

int sp_img_list(int dirfd, uint64_t **gens)
{
	int fd = dup(dirfd), n = 0, cap = 0;
	struct dirent *de;
	uint64_t g, *v = NULL;
	DIR *d;

	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	rewinddir(d);
	while ((de = readdir(d))) {
		if (!parse_gen(de->d_name, &g))
			continue;
		if (n == cap) {
			uint64_t *nv = realloc(v, (cap = cap * 2 + 16) * sizeof(*v));

			if (!nv) {
				free(v);
				closedir(d);
				return -ENOMEM;
			}
			v = nv;
		}
		v[n++] = g;
	}
	closedir(d);
	qsort(v, n, sizeof(*v), cmp_u64);
	*gens = v;
	return n;
}

/* Reap one completion; returns the buffer index it freed or -1. */
static int reap(struct sp_imgw *w, int wait)
{
	struct io_uring_cqe *cqe;
	int r, idx;

	r = wait ? io_uring_wait_cqe(&w->ring, &cqe) : io_uring_peek_cqe(&w->ring, &cqe);
	if (r)
		return wait ? (w->err = w->err ? w->err : r, -1) : -1;
	idx = (int)(cqe->user_data & 0xff);
	if (cqe->res < 0 && !w->err)
		w->err = cqe->res;
	else if ((uint64_t)cqe->res != (cqe->user_data >> 8) && !w->err)
		w->err = -EIO;	/* short write: the image would have a hole */
	io_uring_cqe_seen(&w->ring, cqe);
	w->busy[idx] = 0;
	w->inflight--;
	return idx;
}

static int write_buf(struct sp_imgw *w, int idx, size_t len, uint64_t off)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&w->ring);

	if (!sqe)
		return -EBUSY;
	if (w->registered)
		io_uring_prep_write_fixed(sqe, w->fd, w->buf[idx], len, off, idx);
	else
		io_uring_prep_write(sqe, w->fd, w->buf[idx], len, off);
	sqe->user_data = ((uint64_t)len << 8) | idx;
	w->busy[idx] = 1;
	w->inflight++;
	return io_uring_submit(&w->ring) < 0 ? -EIO : 0;
}

/*
 * Compression.  A staging buffer that is full goes to a worker thread
 * instead of to the file; the worker compresses each PAGES record in it
 * (or copies it, when it would not shrink by a page) into the buffer's
 * output, and the caller's thread writes the outputs in the order the
 * buffers were filled, when it next needs a buffer or commits.  A record's
 * place among the records is taken when it is staged (a placeholder that
 * the write fills in), so record order is what the caller did.
 */
enum { Z_IDLE, Z_QUEUED, Z_BUSY, Z_DONE };
#define ZSAMPLE		(32 << 10)

struct zjob {
	uint64_t moff;		/* its placeholder in meta */
	uint32_t boff, len;	/* its bytes in the staging buffer */
	uint32_t rel, stored, enc;	/* its bytes in the output */
	uint64_t xxh3, sxxh3;
};

struct zstage {
	struct zjob job[CHUNK / ALIGN];
	unsigned int njob, level, state;
	uint64_t seq;
	void *out;
	size_t out_len;
};

struct zpipe {
	struct zpipe *next;	/* in zpool.pipes */
	uint64_t next_seq, fin_seq;
	struct sp_imgw *w;
	struct zstage st[NBUF];
};

static void zcompress(struct sp_imgw *w, int idx, ZSTD_CCtx *cc)
{
	struct zstage *s = &w->z->st[idx];
	char *out = s->out;
	uint32_t rel = 0;
	unsigned int j;

	if (cc)
		ZSTD_CCtx_setParameter(cc, ZSTD_c_compressionLevel, s->level);
	for (j = 0; j < s->njob; j++) {
		struct zjob *jb = &s->job[j];
		const char *src = (const char *)w->buf[idx] + jb->boff;
		size_t n = 0;	/* the frame's size; 0: none */

		jb->xxh3 = XXH3_64bits(src, jb->len);
		/*
		 * Stored compressed only if that saves at least a page.  A long
		 * run whose first ZSAMPLE bytes do not shrink by 1/32 (random
		 * or already compressed data) is not tried: that costs about
		 * as much as compressing it.
		 */
		if (cc && jb->len >= 4 * ZSAMPLE)
			n = ZSTD_compress2(cc, out + rel, ZSAMPLE - ZSAMPLE / 32, src, ZSAMPLE);
		if (cc && jb->len > ALIGN && !ZSTD_isError(n))
			n = ZSTD_compress2(cc, out + rel, jb->len - ALIGN, src, jb->len);
		jb->rel = rel;
		if (!ZSTD_isError(n) && n && n <= jb->len - ALIGN) {
			size_t pad = (n + ALIGN - 1) & ~(ALIGN - 1UL);

			memset(out + rel + n, 0, pad - n);
			jb->enc = SPLITCKPT_PAGES_ZSTD;
			jb->stored = n;
			jb->sxxh3 = XXH3_64bits(out + rel, n);
			rel += pad;
		} else {
			memcpy(out + rel, src, jb->len);
			jb->enc = SPLITCKPT_PAGES_RAW;
			jb->stored = jb->len;
			jb->sxxh3 = jb->xxh3;
			rel += jb->len;
		}
	}
	s->out_len = rel;
}

/*
 * The workers serve every writer of the process and never exit.  In the
 * runtime they are lower-half threads, which the freezer must know by tid
 * before it next runs (sp_lh_thread_add(), weak: the tools do not have
 * it); a worker that ended could leave its tid to an upper-half thread.
 */
static struct {
	pthread_mutex_t lock;
	pthread_cond_t work, done;
	int nthreads, tids[NBUF];
	struct zpipe *pipes;
} zpool = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.work = PTHREAD_COND_INITIALIZER,
	.done = PTHREAD_COND_INITIALIZER,
};

extern void sp_lh_thread_add(int tid) __attribute__((weak));

static void *zworker(void *arg)
{
	ZSTD_CCtx *cc = ZSTD_createCCtx();	/* NULL: everything stored raw */
	struct zpipe *z, *pz;
	int i, pick;

	pthread_mutex_lock(&zpool.lock);
	zpool.tids[(intptr_t)arg] = gettid();
	pthread_cond_broadcast(&zpool.done);
	for (;;) {
		pick = -1;
		pz = NULL;
		for (z = zpool.pipes; z && pick < 0; z = z->next)
			for (i = 0; i < NBUF; i++)
				if (z->st[i].state == Z_QUEUED &&
				    (pick < 0 || z->st[i].seq < z->st[pick].seq)) {
					pick = i;
					pz = z;
				}
		if (pick < 0) {
			pthread_cond_wait(&zpool.work, &zpool.lock);
			continue;
		}
		pz->st[pick].state = Z_BUSY;
		pthread_mutex_unlock(&zpool.lock);
		zcompress(pz->w, pick, cc);
		pthread_mutex_lock(&zpool.lock);
		pz->st[pick].state = Z_DONE;
		pthread_cond_broadcast(&zpool.done);
	}
	return NULL;
}

/* Start the workers once; they take no signals (they run in a program). */
static int zpool_start(void)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int i, want = cpus < 2 ? 1 : cpus > NBUF - 1 ? NBUF - 1 : cpus;
	sigset_t all, old;
	pthread_t th;

	pthread_mutex_lock(&zpool.lock);
	if (!zpool.nthreads) {
		sigfillset(&all);
		pthread_sigmask(SIG_SETMASK, &all, &old);
		for (i = 0; i < want; i++) {
			if (pthread_create(&th, NULL, zworker, (void *)(intptr_t)i))
				break;
			pthread_detach(th);
			zpool.nthreads++;
		}
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		for (i = 0; i < zpool.nthreads; i++) {
			while (!zpool.tids[i])
				pthread_cond_wait(&zpool.done, &zpool.lock);
			if (sp_lh_thread_add)
				sp_lh_thread_add(zpool.tids[i]);
		}
	}
	i = zpool.nthreads;
	pthread_mutex_unlock(&zpool.lock);
	return i ? 0 : -EAGAIN;
}

static struct zpipe *zpipe_new(struct sp_imgw *w)
{
	struct zpipe *z = calloc(1, sizeof(*z));
	int i;

	if (!z)
		return NULL;
	for (i = 0; i < NBUF; i++) {
		if (posix_memalign(&z->st[i].out, ALIGN, CHUNK)) {
			while (i--)
				free(z->st[i].out);
			free(z);
			return NULL;
		}
	}
	z->w = w;
	pthread_mutex_lock(&zpool.lock);
	z->next = zpool.pipes;
	zpool.pipes = z;
	pthread_mutex_unlock(&zpool.lock);
	return z;
}

/* Drop what is queued, wait for what is being compressed, free. */
static void zpipe_free(struct zpipe *z)
{
	struct zpipe **pp;
	int i, busy;

	if (!z)
		return;
	pthread_mutex_lock(&zpool.lock);
	do {
		busy = 0;
		for (i = 0; i < NBUF; i++) {
			if (z->st[i].state == Z_QUEUED)
				z->st[i].state = Z_IDLE;
			busy |= z->st[i].state == Z_BUSY;
		}
		if (busy)
			pthread_cond_wait(&zpool.done, &zpool.lock);
	} while (busy);
	for (pp = &zpool.pipes; *pp != z; pp = &(*pp)->next)
		;
	*pp = z->next;
	pthread_mutex_unlock(&zpool.lock);
	for (i = 0; i < NBUF; i++)
		free(z->st[i].out);
	free(z);
}

/* Hand the current staging buffer to the workers. */
static int zqueue(struct sp_imgw *w)
{
	struct zpipe *z = w->z;
	struct zstage *s = &z->st[w->cur];
	int r;

	r = zpool_start();
	if (r || !s->njob)
		return r;
	w->busy[w->cur] = 1;
	pthread_mutex_lock(&zpool.lock);
	s->level = w->zlevel;
	s->seq = z->next_seq++;
	s->state = Z_QUEUED;
	pthread_cond_signal(&zpool.work);
	pthread_mutex_unlock(&zpool.lock);
	return 0;
}

/*
 * Write the compressed buffers, oldest first, as far as they are ready;
 * @wait 1: after waiting for the oldest one, 2: all of them.  Fills in
 * their records.
 */
static int zwrite(struct sp_imgw *w, int wait)
{
	struct zpipe *z = w->z;
	struct io_uring_sqe *sqe;
	struct zstage *s;
	unsigned int j;
	int i;

	while (z) {
		pthread_mutex_lock(&zpool.lock);
		for (;;) {
			for (i = 0; i < NBUF; i++)
				if (z->st[i].state != Z_IDLE && z->st[i].seq == z->fin_seq)
					break;
			if (i == NBUF || z->st[i].state == Z_DONE || !wait)
				break;
			pthread_cond_wait(&zpool.done, &zpool.lock);
		}
		if (i == NBUF || z->st[i].state != Z_DONE) {
			pthread_mutex_unlock(&zpool.lock);
			return 0;
		}
		s = &z->st[i];
		s->state = Z_IDLE;
		z->fin_seq++;
		pthread_mutex_unlock(&zpool.lock);
		wait = wait == 2 ? 2 : 0;
		for (j = 0; j < s->njob; j++) {
			struct splitckpt_img_zpages *p = (void *)(w->meta + s->job[j].moff);

			p->pages.offset = w->off + s->job[j].rel;
			p->pages.xxh3 = s->job[j].xxh3;
			p->encoding = s->job[j].enc;
			p->stored = s->job[j].stored;
			p->stored_xxh3 = s->job[j].sxxh3;
			if (p->encoding == SPLITCKPT_PAGES_ZSTD)
				w->hflags |= SPLITCKPT_IMG_F_ZSTD;
		}
		s->njob = 0;
		sqe = io_uring_get_sqe(&w->ring);
		if (!sqe)
			return -EBUSY;
		io_uring_prep_write(sqe, w->fd, s->out, s->out_len, w->off);
		sqe->user_data = ((uint64_t)s->out_len << 8) | i;
		w->inflight++;
		w->off += s->out_len;
		if (io_uring_submit(&w->ring) < 0)
			return -EIO;
	}
	return 0;
}

static int flush_buf(struct sp_imgw *w);

int sp_imgw_set_compress(struct sp_imgw *w, unsigned int level)
{
	int r;

	if (level > 19 || (int)level > ZSTD_maxCLevel())
		return -EINVAL;
	if (level == w->zlevel)
		return 0;
	/* What is staged so far is written the old way. */
	r = flush_buf(w);
	if (!r)
		r = zwrite(w, 2);
	if (r)
		return r;
	if (level && !w->z) {
		w->z = zpipe_new(w);
		if (!w->z)
			return -ENOMEM;
	}
	w->zlevel = level;
	return 0;
}

static int free_buf(struct sp_imgw *w)
{
	int i, r;

	for (;;) {
		if (w->z) {
			r = zwrite(w, 0);
			if (r)
				return r;
			for (i = 0; i < NBUF; i++)
				if (!w->busy[i])
					return i;
			/* Wait for a write, else for the oldest compression. */
			r = w->inflight ? 0 : zwrite(w, 1);
			if (r)
				return r;
		}
		for (i = 0; i < NBUF; i++)
			if (!w->busy[i])
				return i;
		if (reap(w, 1) < 0 && w->err)
			return w->err;
	}
}

/*
 * The buffers of the last writer, kept for the next one: otherwise every
 * checkpoint faults NBUF * CHUNK fresh bytes in before it can pin them
 * (they stay allocated between checkpoints).  Not the ring: its
 * descriptor would stay open among the program's between checkpoints.
 * Owned by the process that made them: a forked child drops what it
 * inherited.
 */
static struct {
	pthread_mutex_t lock;
	pid_t pid;		/* 0: empty */
	void *buf[NBUF];
} spare = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* Takes the spare buffers into @w; false when there are none. */
static int spare_take(struct sp_imgw *w)
{
	int i, got = 0;

	pthread_mutex_lock(&spare.lock);
	if (spare.pid == getpid()) {
		for (i = 0; i < NBUF; i++)
			w->buf[i] = spare.buf[i];
		got = 1;
	} else if (spare.pid) {
		for (i = 0; i < NBUF; i++)
			free(spare.buf[i]);
	}
	spare.pid = 0;
	pthread_mutex_unlock(&spare.lock);
	return got;
}

/* Keeps @w's idle buffers as the spare ones; false when there are some. */
static int spare_keep(struct sp_imgw *w)
{
	int i, kept = 0;

	pthread_mutex_lock(&spare.lock);
	if (!spare.pid) {
		for (i = 0; i < NBUF; i++)
			spare.buf[i] = w->buf[i];
		spare.pid = getpid();
		kept = 1;
	}
	pthread_mutex_unlock(&spare.lock);
	return kept;
}

static int imgw_open(int dirfd, uint64_t gen, struct sp_imgw **out)
{
	struct sp_imgw *w = calloc(1, sizeof(*w));
	struct iovec iov[NBUF];
	int i, r;

	if (!w)
		return -ENOMEM;
	w->dirfd = dirfd;
	w->gen = gen;
	w->cur = -1;
	gen_name(w->tmp, sizeof(w->tmp), w->gen, 1);
	gen_name(w->name, sizeof(w->name), w->gen, 0);
	unlinkat(dirfd, w->tmp, 0);
	w->fd = openat(dirfd, w->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	/*
	 * O_DIRECT when the file system has it (not tmpfs before 6.6); asked
	 * for afterwards, since a refused open(O_CREAT|O_DIRECT) may still
	 * have created the file.
	 */
	w->direct = w->fd >= 0 && !fcntl(w->fd, F_SETFL, O_DIRECT);
	if (w->fd < 0) {
		r = -errno;
		free(w);
		return r;
	}
	r = -io_uring_queue_init(QD, &w->ring, 0);
	if (r) {
		r = -r;
		goto fail;
	}
	if (!spare_take(w)) {
		for (i = 0; i < NBUF; i++) {
			if (posix_memalign(&w->buf[i], ALIGN, CHUNK)) {
				r = -ENOMEM;
				goto fail_ring;
			}
		}
	}
	for (i = 0; i < NBUF; i++) {
		iov[i].iov_base = w->buf[i];
		iov[i].iov_len = CHUNK;
	}
	w->registered = io_uring_register_buffers(&w->ring, iov, NBUF) == 0;
	w->off = ALIGN;
	*out = w;
	return 0;
fail_ring:
	for (i = 0; i < NBUF; i++)
		free(w->buf[i]);
	io_uring_queue_exit(&w->ring);
fail:
	close(w->fd);
	unlinkat(dirfd, w->tmp, 0);
	free(w);
	return r;
}

int sp_imgw_open(int dirfd, struct sp_imgw **out)
{
	uint64_t *gens, gen;
	int n;

	n = sp_img_list(dirfd, &gens);
	if (n < 0)
		return n;
	gen = n ? gens[n - 1] + 1 : 1;
	free(gens);
	return imgw_open(dirfd, gen, out);
}

int sp_imgw_open_gen(int dirfd, uint64_t gen, struct sp_imgw **out)
{
	return gen ? imgw_open(dirfd, gen, out) : -EINVAL;
}

void sp_imgw_set_parent(struct sp_imgw *w, uint64_t parent, uint64_t created_ns)
{
	w->parent = parent;
	w->parent_created = parent ? created_ns : 0;
}

void sp_imgw_set_created(struct sp_imgw *w, uint64_t created_ns)
{
	w->created = created_ns;
}

uint64_t sp_imgw_generation(const struct sp_imgw *w)
{
	return w->gen;
}

int sp_imgw_record(struct sp_imgw *w, const void *rec, size_t len)
{
	size_t padded = (len + 7) & ~7UL;
	struct splitckpt_img_rec *r;

	if (len < sizeof(*r) || padded > UINT32_MAX)
		return -EINVAL;
	if (w->meta_len + padded > w->meta_cap) {
		size_t cap = w->meta_cap ? w->meta_cap * 2 : 65536;
		char *m;

		while (cap < w->meta_len + padded)
			cap *= 2;
		m = realloc(w->meta, cap);
		if (!m)
			return -ENOMEM;
		w->meta = m;
		w->meta_cap = cap;
	}
	memcpy(w->meta + w->meta_len, rec, len);
	memset(w->meta + w->meta_len + len, 0, padded - len);
	r = (struct splitckpt_img_rec *)(w->meta + w->meta_len);
	r->size = padded;
	w->meta_len += padded;
	w->nr++;
	return 0;
}

/* Compressing: a placeholder record, filled in when its buffer is written. */
static int zstage_rec(struct sp_imgw *w)
{
	struct splitckpt_img_zpages p = {
		.pages.rec.type = SPLITCKPT_REC_PAGES,
		.pages.addr = w->rec_addr,
		.pages.len = w->rec_len,
	};
	struct zstage *s = &w->z->st[w->cur];
	uint64_t moff = w->meta_len;
	int r;

	r = sp_imgw_record(w, &p, sizeof(p));
	if (r)
		return r;
	s->job[s->njob].moff = moff;
	s->job[s->njob].boff = w->fill - w->rec_len;
	s->job[s->njob++].len = w->rec_len;
	w->rec_len = 0;
	return 0;
}

/* Close the PAGES record being built. */
static int flush_rec(struct sp_imgw *w)
{
	struct splitckpt_img_pages p = {
		.rec.type = SPLITCKPT_REC_PAGES,
		.addr = w->rec_addr,
		.len = w->rec_len,
		.offset = w->off - w->rec_len,
	};

	if (!w->rec_len)
		return 0;
	if (w->zlevel)
		return zstage_rec(w);
	p.xxh3 = XXH3_64bits((char *)w->buf[w->cur] + w->fill - w->rec_len, w->rec_len);
	w->rec_len = 0;
	return sp_imgw_record(w, &p, sizeof(p));
}

/* Close the record and send the buffer to the file. */
static int flush_buf(struct sp_imgw *w)
{
	int r = flush_rec(w);

	if (r || w->cur < 0)
		return r;
	if (w->fill)
		r = w->zlevel ? zqueue(w) : write_buf(w, w->cur, w->fill, w->cur_off);
	w->cur = -1;
	while (reap(w, 0) >= 0)
		;
	if (!r && w->z)
		r = zwrite(w, 0);
	return r;
}

static int flush_zero(struct sp_imgw *w)
{
	struct splitckpt_img_zero z = {
		.rec.type = SPLITCKPT_REC_ZERO,
		.addr = w->zero_addr,
		.len = w->zero_len,
	};

	if (!w->zero_len)
		return 0;
	w->zero_len = 0;
	return sp_imgw_record(w, &z, sizeof(z));
}

int sp_imgw_zero(struct sp_imgw *w, uint64_t addr, uint64_t len)
{
	int r;

	if ((addr | len) & (ALIGN - 1))
		return -EINVAL;
	if (w->zero_len && w->zero_addr + w->zero_len == addr) {
		w->zero_len += len;
		return 0;
	}
	r = flush_zero(w);
	w->zero_addr = addr;
	w->zero_len = len;
	return r;
}

static int page_is_zero(const void *page)
{
	const uint64_t *q = page;
	uint64_t acc = 0;
	size_t i;

	if (q[0] || q[ALIGN / 16])
		return 0;
	for (i = 0; i < ALIGN / 8; i++)
		acc |= q[i];
	return !acc;
}

int sp_imgw_bytes(struct sp_imgw *w, uint64_t addr, const void *src,
		  uint64_t len, unsigned int flags)
{
	const char *p = src;
	int r;

	if ((addr | len) & (ALIGN - 1))
		return -EINVAL;
	for (; len; len -= ALIGN, addr += ALIGN, p += ALIGN) {
		if (w->err)
			return w->err;
		if (page_is_zero(p)) {
			if (flags & SP_IMGW_MARK_ZERO) {
				r = sp_imgw_zero(w, addr, ALIGN);
				if (r)
					return r;
			}
			continue;
		}
		if (w->rec_len && w->rec_addr + w->rec_len != addr) {
			r = flush_rec(w);
			if (r)
				return r;
		}
		if (w->cur < 0) {
			w->cur = free_buf(w);
			if (w->cur < 0)
				return w->cur;
			w->cur_off = w->off;
			w->fill = 0;
		}
		if (!w->rec_len)
			w->rec_addr = addr;
		memcpy((char *)w->buf[w->cur] + w->fill, p, ALIGN);
		w->fill += ALIGN;
		w->rec_len += ALIGN;
		if (!w->zlevel)	/* else placed when written (zwrite()) */
			w->off += ALIGN;
		if (w->fill == CHUNK) {
			r = flush_buf(w);
			if (r)
				return r;
		}
	}
	return 0;
}

int sp_imgw_memory(struct sp_imgw *w, uint64_t addr, uint64_t len,
		   unsigned int flags)
{
	return sp_imgw_bytes(w, addr, (const void *)addr, len, flags);
}

static void imgw_free(struct sp_imgw *w)
{
	int i;

	while (w->inflight && reap(w, 1) >= 0)
		;
	zpipe_free(w->z);	/* after its outputs' writes, before the buffers */
	io_uring_queue_exit(&w->ring);
	if (w->inflight || !spare_keep(w)) {
		for (i = 0; i < NBUF; i++)
			free(w->buf[i]);
	}
	if (w->fd >= 0)
		close(w->fd);
	free(w->meta);
	free(w->forgets);
	free(w);
}

void sp_imgw_abort(struct sp_imgw *w)
{
	unlinkat(w->dirfd, w->tmp, 0);
	imgw_free(w);
}

/*
 * Later records win (image.h): each PAGES or ZERO record, and each forgotten
 * range, claims its addresses at its place in the sequence of records.
 */
struct claim {
	uint64_t start, end;
	uint64_t seq;		/* record i: 2i + 1; forget before record i: 2i */
	uint32_t rec;		/* index of the record; NO_REC for a forget */
};

#define NO_REC	UINT32_MAX

int sp_imgw_forget(struct sp_imgw *w, uint64_t addr, uint64_t len)
{
	int r;

	if ((addr | len) & (ALIGN - 1))
		return -EINVAL;
	if (!len)
		return 0;
	/* The records being built come before the forget. */
	r = flush_rec(w);
	if (!r)
		r = flush_zero(w);
	if (r)
		return r;
	if (w->nr_forgets == w->cap_forgets) {
		size_t cap = w->cap_forgets ? w->cap_forgets * 2 : 64;
		struct claim *v = realloc(w->forgets, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		w->forgets = v;
		w->cap_forgets = cap;
	}
	w->forgets[w->nr_forgets++] = (struct claim){
		.start = addr, .end = addr + len, .seq = 2ULL * w->nr, .rec = NO_REC,
	};
	return 0;
}

void sp_imgw_fds(const struct sp_imgw *w, int fds[2])
{
	fds[0] = w->fd;
	fds[1] = w->ring.ring_fd;
}

static int cmp_claim_start(const void *a, const void *b)
{
	const struct claim *x = a, *y = b;

	return (x->start > y->start) - (x->start < y->start);
}

static int cmp_claim_newest(const void *a, const void *b)
{
	const struct claim *x = a, *y = b;

	return (x->seq < y->seq) - (x->seq > y->seq);
}

/* Kept pieces sort by record, then address. */
static int cmp_claim_rec(const void *a, const void *b)
{
	const struct claim *x = a, *y = b;

	if (x->rec != y->rec)
		return (x->rec > y->rec) - (x->rec < y->rec);
	return cmp_claim_start(a, b);
}

/* The PAGES and ZERO records and the forgets, as claims. */
static int collect_claims(const struct sp_imgw *w, struct claim **out, size_t *n)
{
	struct claim *v = malloc((w->nr + w->nr_forgets + 1) * sizeof(*v));
	size_t off = 0, k = 0;
	uint32_t i;

	if (!v)
		return -ENOMEM;
	for (i = 0; i < w->nr; i++) {
		const struct splitckpt_img_rec *r = (const void *)(w->meta + off);
		const struct splitckpt_img_pages *p = (const void *)r;
		const struct splitckpt_img_zero *z = (const void *)r;

		if (r->type == SPLITCKPT_REC_PAGES)
			v[k++] = (struct claim){ p->addr, p->addr + p->len, 2ULL * i + 1, i };
		else if (r->type == SPLITCKPT_REC_ZERO)
			v[k++] = (struct claim){ z->addr, z->addr + z->len, 2ULL * i + 1, i };
		off += r->size;
	}
	memcpy(v + k, w->forgets, w->nr_forgets * sizeof(*v));
	*out = v;
	*n = k + w->nr_forgets;
	return 0;
}

/*
 * What each record keeps: its claim minus every newer one, as pieces in
 * @keep (sorted by record).  Claims are taken newest first; those of one
 * pass are disjoint and come in decreasing address order, and they join
 * the covered set together.
 */
static int kept_pieces(struct claim *c, size_t n, struct claim **keep, size_t *nkeep)
{
	struct sp_ranges covered = { 0 }, batch = { 0 };
	uint64_t low = UINT64_MAX;
	struct claim *kv = NULL;
	size_t nk = 0, cap = 0, i, j;
	int r = 0;

	qsort(c, n, sizeof(*c), cmp_claim_newest);
	for (i = 0; !r && i < n; i++) {
		uint64_t s = c[i].start;

		if (c[i].end > low) {
			for (j = 0; !r && j < batch.n; j++)
				r = sp_ranges_add(&covered, batch.v[j].start, batch.v[j].end);
			sp_ranges_norm(&covered);
			batch.n = 0;
		}
		low = c[i].start;
		if (!r)
			r = sp_ranges_add(&batch, c[i].start, c[i].end);
		if (c[i].rec == NO_REC)
			continue;
		for (j = sp_ranges_find(&covered, s); !r && s < c[i].end; j++) {
			uint64_t e = j < covered.n && covered.v[j].start < c[i].end ?
				     covered.v[j].start : c[i].end;

			if (s < e) {
				if (nk == cap) {
					struct claim *nv = realloc(kv, (cap = cap * 2 + 64) * sizeof(*kv));

					if (!nv) {
						r = -ENOMEM;
						break;
					}
					kv = nv;
				}
				kv[nk] = c[i];
				kv[nk].start = s;
				kv[nk++].end = e;
			}
			if (j >= covered.n)
				break;
			s = covered.v[j].end;
		}
	}
	sp_ranges_free(&covered);
	sp_ranges_free(&batch);
	if (r) {
		free(kv);
		return r;
	}
	qsort(kv, nk, sizeof(*kv), cmp_claim_rec);
	*keep = kv;
	*nkeep = nk;
	return 0;
}

static int read_record(int fd, const struct splitckpt_img_pages *p, void *buf);

/* Close the records being built and wait until every write is done. */
static int drain(struct sp_imgw *w)
{
	int r = flush_buf(w);

	if (!r)
		r = zwrite(w, 2);
	if (!r)
		r = flush_zero(w);
	while (w->inflight && reap(w, 1) >= 0)
		;
	return r ? r : w->err;
}

/*
 * Cut PAGES record @p (file descriptor @fd to read it back) to the @n
 * pieces @pc, after checking what it holds.  Raw bytes stay where they
 * are and each piece gets the checksum of its own; a zstd frame cannot be
 * cut, so its pieces are written again as new data.  The bytes dropped
 * are given back to the file system.
 */
static int cut_pages(struct sp_imgw *w, int fd, void *buf,
		     const struct splitckpt_img_pages *p, const struct claim *pc, size_t n)
{
	struct splitckpt_img_zpages q = { .pages = *p };
	size_t qlen = p->rec.size < sizeof(q) ? sizeof(q.pages) : sizeof(q);
	uint64_t done = p->addr, stored;
	int raw = sp_img_pages_stored(p, &stored) == SPLITCKPT_PAGES_RAW;
	size_t i;
	int r;

	if (qlen == sizeof(q))
		memcpy(&q, p, sizeof(q));
	if (n && read_record(fd, p, buf))
		return -EIO;	/* what was written does not read back */
	if (!raw) {
		fallocate(w->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, p->offset,
			  (stored + ALIGN - 1) & ~(ALIGN - 1UL));
		for (i = 0, r = 0; !r && i < n; i++)
			r = sp_imgw_bytes(w, pc[i].start, (char *)buf + (pc[i].start - p->addr),
					  pc[i].end - pc[i].start, 0);
		return r;
	}
	for (i = 0; i <= n; i++) {
		uint64_t s = i < n ? pc[i].start : p->addr + p->len;

		if (s > done)
			fallocate(w->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				  p->offset + (done - p->addr), s - done);
		if (i == n)
			break;
		q.pages.addr = pc[i].start;
		q.pages.len = pc[i].end - pc[i].start;
		q.pages.offset = p->offset + (q.pages.addr - p->addr);
		q.pages.xxh3 = XXH3_64bits((char *)buf + (q.pages.addr - p->addr),
					   q.pages.len);
		q.stored = q.pages.len;
		q.stored_xxh3 = q.pages.xxh3;
		r = sp_imgw_record(w, &q, qlen);
		if (r)
			return r;
		done = pc[i].end;
	}
	return 0;
}

/* Rewrite the records so that none overlaps another (image.h). */
static int settle(struct sp_imgw *w)
{
	struct claim *c, *keep = NULL;
	size_t n, nkeep = 0, i, k = 0, off = 0;
	char *old = w->meta;
	uint32_t nr = w->nr;
	void *buf = NULL;
	int fd = -1, r;

	r = collect_claims(w, &c, &n);
	if (r)
		return r;
	/* Sorted by start, any overlap shows between neighbours. */
	qsort(c, n, sizeof(*c), cmp_claim_start);
	for (i = 1; i < n; i++)
		if (c[i].start < c[i - 1].end)
			break;
	if (i >= n) {
		free(c);
		return 0;
	}
	r = kept_pieces(c, n, &keep, &nkeep);
	free(c);
	if (r)
		return r;
	fd = openat(w->dirfd, w->tmp, O_RDONLY | O_CLOEXEC);
	buf = malloc(CHUNK);
	if (fd < 0 || !buf) {
		r = fd < 0 ? -errno : -ENOMEM;
		free(buf);
		free(keep);
		if (fd >= 0)
			close(fd);
		return r;
	}
	w->meta = NULL;
	w->meta_len = w->meta_cap = 0;
	w->nr = 0;
	for (i = 0; !r && i < nr; i++) {
		const struct splitckpt_img_rec *rec = (const void *)(old + off);
		const struct splitckpt_img_pages *p = (const void *)rec;
		size_t first = k;
		uint64_t len;

		off += rec->size;
		if (rec->type != SPLITCKPT_REC_PAGES && rec->type != SPLITCKPT_REC_ZERO) {
			r = sp_imgw_record(w, rec, rec->size);
			continue;
		}
		for (len = 0; k < nkeep && keep[k].rec == i; k++)
			len += keep[k].end - keep[k].start;
		/* Both kinds start with addr and len. */
		if (len == p->len) {
			r = sp_imgw_record(w, rec, rec->size);
		} else if (rec->type == SPLITCKPT_REC_PAGES) {
			r = cut_pages(w, fd, buf, p, keep + first, k - first);
		} else {
			for (; !r && first < k; first++) {
				struct splitckpt_img_zero z = {
					.rec.type = SPLITCKPT_REC_ZERO,
					.addr = keep[first].start,
					.len = keep[first].end - keep[first].start,
				};

				r = sp_imgw_record(w, &z, sizeof(z));
			}
		}
	}
	/* Pieces of frames written again: wait for them too. */
	if (!r)
		r = drain(w);
	free(old);
	free(buf);
	free(keep);
	close(fd);
	return r;
}

static int pwrite_all(int fd, const void *buf, size_t len, uint64_t off)
{
	while (len) {
		ssize_t n = pwrite(fd, buf, len, off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		buf = (const char *)buf + n;
		len -= n;
		off += n;
	}
	return 0;
}

int sp_imgw_commit(struct sp_imgw *w, uint64_t *gen)
{
	struct splitckpt_img_header *h;
	size_t mpad;
	struct timespec ts;
	void *mb = NULL, *hb = NULL;
	int r;

	r = drain(w);
	if (!r)
		r = settle(w);
	if (r)
		goto fail;
	/* Only now: flushing added the last records. */
	mpad = (w->meta_len + ALIGN - 1) & ~(ALIGN - 1UL);
	r = -ENOMEM;
	if (posix_memalign(&mb, ALIGN, mpad ? mpad : ALIGN) ||
	    posix_memalign(&hb, ALIGN, ALIGN))
		goto fail;
	memset(mb, 0, mpad ? mpad : ALIGN);
	memcpy(mb, w->meta, w->meta_len);
	r = pwrite_all(w->fd, mb, mpad, w->off);
	if (r)
		goto fail;
	memset(hb, 0, ALIGN);
	h = hb;
	memcpy(h->magic, SPLITCKPT_IMG_MAGIC, 8);
	h->version = w->hflags ? SPLITCKPT_IMG_VERSION : 2;
	h->flags = w->hflags;
	h->header_size = sizeof(*h);
	h->page_size = sysconf(_SC_PAGESIZE);
	h->generation = w->gen;
	h->parent = w->parent;
	h->parent_created_ns = w->parent_created;
	clock_gettime(CLOCK_REALTIME, &ts);
	h->created_ns = w->created ? w->created : ts.tv_sec * 1000000000ULL + ts.tv_nsec;
	h->data_offset = ALIGN;
	h->data_size = w->off - ALIGN;
	h->meta_offset = w->off;
	h->meta_size = w->meta_len;
	h->meta_xxh3 = XXH3_64bits(w->meta, w->meta_len);
	h->nr_records = w->nr;
	h->header_xxh3 = XXH3_64bits(h, sizeof(*h));
	r = pwrite_all(w->fd, hb, ALIGN, 0);
	if (r)
		goto fail;
	/* Drop the padding of the records so the size is exact. */
	if (ftruncate(w->fd, w->off + w->meta_len) || fsync(w->fd)) {
		r = -errno;
		goto fail;
	}
	if (renameat(w->dirfd, w->tmp, w->dirfd, w->name) || fsync(w->dirfd)) {
		r = -errno;
		goto fail;
	}
	*gen = w->gen;
	free(mb);
	free(hb);
	imgw_free(w);
	return 0;
fail:
	free(mb);
	free(hb);
	sp_imgw_abort(w);
	return r;
}

/* Reader. */

struct sp_img {
	int fd, dfd;
	struct splitckpt_img_header h;
	char *meta;
};

int sp_img_pages_stored(const struct splitckpt_img_pages *p, uint64_t *stored)
{
	const struct splitckpt_img_zpages *z = (const void *)p;

	if (p->rec.size < sizeof(*z) || z->encoding == SPLITCKPT_PAGES_RAW) {
		*stored = p->len;
		return SPLITCKPT_PAGES_RAW;
	}
	*stored = z->stored;
	return z->encoding;
}

static int check_records(struct sp_img *img)
{
	uint64_t off = 0, page = img->h.page_size;
	uint32_t n = 0, procs = 0;

	while (off < img->h.meta_size) {
		const struct splitckpt_img_rec *r = (const void *)(img->meta + off);
		size_t fixed = 0, strs = 0;
		const char *tail;

		if (img->h.meta_size - off < sizeof(*r) || r->size < sizeof(*r) ||
		    r->size % 8 || r->size > img->h.meta_size - off)
			return -EBADMSG;
		switch (r->type) {
		case SPLITCKPT_REC_PROCESS: {
			const struct splitckpt_img_process *p = (const void *)r;

			fixed = sizeof(*p);
			if (r->size < fixed)
				return -EBADMSG;
			strs = (size_t)p->cwd_len + p->exe_len + p->dir_len + 3;
			procs++;
			break;
		}
		case SPLITCKPT_REC_THREAD:
			fixed = sizeof(struct splitckpt_img_thread);
			break;
		case SPLITCKPT_REC_VMA:
			fixed = sizeof(struct splitckpt_img_vma);
			if (r->size >= fixed)
				strs = ((const struct splitckpt_img_vma *)r)->path_len + 1;
			break;
		case SPLITCKPT_REC_FD:
			fixed = sizeof(struct splitckpt_img_fd);
			if (r->size >= fixed)
				strs = ((const struct splitckpt_img_fd *)r)->path_len + 1;
			break;
		case SPLITCKPT_REC_PAGES: {
			const struct splitckpt_img_pages *p = (const void *)r;
			uint64_t stored;
			int enc;

			if (r->size < sizeof(*p))
				return -EBADMSG;
			enc = sp_img_pages_stored(p, &stored);
			if (enc == SPLITCKPT_PAGES_ZSTD)
				stored = (stored + ALIGN - 1) & ~(ALIGN - 1UL);
			if (!p->len || p->len % page ||
			    p->len > SPLITCKPT_IMG_MAX_RUN ||
			    p->addr % page || p->offset % ALIGN ||
			    p->offset < img->h.data_offset ||
			    p->offset + stored > img->h.data_offset + img->h.data_size)
				return -EBADMSG;
			if (enc == SPLITCKPT_PAGES_ZSTD ?
			    !(img->h.flags & SPLITCKPT_IMG_F_ZSTD) || !stored ||
			    stored >= p->len : enc != SPLITCKPT_PAGES_RAW || stored != p->len)
				return -EBADMSG;
			break;
		}
		case SPLITCKPT_REC_ZERO: {
			const struct splitckpt_img_zero *z = (const void *)r;

			if (r->size < sizeof(*z) || !z->len || z->len % page ||
			    z->addr % page || z->addr + z->len < z->addr)
				return -EBADMSG;
			break;
		}
		case SPLITCKPT_REC_SIGACTION:
			fixed = sizeof(struct splitckpt_img_sigaction);
			break;
		case SPLITCKPT_REC_ITIMER:
			fixed = sizeof(struct splitckpt_img_itimer);
			break;
		case SPLITCKPT_REC_TIMER:
			fixed = sizeof(struct splitckpt_img_timer);
			break;
		case SPLITCKPT_REC_SIGINFO:
			fixed = sizeof(struct splitckpt_img_siginfo);
			break;
		}
		if (r->size < fixed || (strs && strs > r->size - fixed))
			return -EBADMSG;
		if (strs) {
			/* Every string ends with a NUL where its length says. */
			tail = (const char *)r + fixed;
			if (tail[strs - 1] != '\0')
				return -EBADMSG;
		}
		off += r->size;
		n++;
	}
	return n == img->h.nr_records && procs == 1 ? 0 : -EBADMSG;
}

int sp_img_open(int dirfd, uint64_t gen, struct sp_img **out)
{
	struct splitckpt_img_header h;
	struct sp_img *img;
	char name[64];
	struct stat st;
	uint64_t sum, *gens;
	int fd, r, n;

	if (!gen) {
		n = sp_img_list(dirfd, &gens);
		if (n < 0)
			return n;
		gen = n ? gens[n - 1] : 0;
		free(gens);
		if (!gen)
			return -ENOENT;
	}
	gen_name(name, sizeof(name), gen, 0);
	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = -EBADMSG;
	if (fstat(fd, &st) || pread(fd, &h, sizeof(h), 0) != sizeof(h) ||
	    memcmp(h.magic, SPLITCKPT_IMG_MAGIC, 8))
		goto out_close;
	if (h.version != SPLITCKPT_IMG_VERSION && h.version != 2 &&
	    (h.version != 1 || h.parent)) {
		r = -EPROTONOSUPPORT;
		goto out_close;
	}
	sum = h.header_xxh3;
	h.header_xxh3 = 0;
	if (XXH3_64bits(&h, sizeof(h)) != sum || h.header_size < sizeof(h) ||
	    (h.version < 3 && h.flags) || h.reserved0 || h.reserved[0] || h.reserved[1] ||
	    h.reserved[2] || h.parent >= gen || !h.parent != !h.parent_created_ns ||
	    h.page_size != (uint32_t)sysconf(_SC_PAGESIZE) ||
	    h.generation != gen || h.data_offset != ALIGN ||
	    h.data_offset + h.data_size > h.meta_offset ||
	    h.meta_offset + h.meta_size != (uint64_t)st.st_size ||
	    h.meta_size > (1ULL << 32))
		goto out_close;
	if (h.flags & ~SPLITCKPT_IMG_F_KNOWN) {
		r = -EPROTONOSUPPORT;	/* a feature from the future */
		goto out_close;
	}
	h.header_xxh3 = sum;
	img = calloc(1, sizeof(*img));
	if (!img) {
		r = -ENOMEM;
		goto out_close;
	}
	img->h = h;
	img->fd = fd;
	img->meta = malloc(h.meta_size ? h.meta_size : 1);
	if (!img->meta ||
	    pread(fd, img->meta, h.meta_size, h.meta_offset) != (ssize_t)h.meta_size ||
	    XXH3_64bits(img->meta, h.meta_size) != h.meta_xxh3 ||
	    check_records(img)) {
		r = img->meta ? -EBADMSG : -ENOMEM;
		free(img->meta);
		free(img);
		goto out_close;
	}
	img->dfd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_DIRECT);
	*out = img;
	return 0;
out_close:
	close(fd);
	return r;
}

const struct splitckpt_img_header *sp_img_header(const struct sp_img *img)
{
	return &img->h;
}

const struct splitckpt_img_rec *sp_img_next(const struct sp_img *img,
					    const struct splitckpt_img_rec *prev)
{
	const char *p = prev ? (const char *)prev + prev->size : img->meta;

	if (p >= img->meta + img->h.meta_size)
		return NULL;
	return (const struct splitckpt_img_rec *)p;
}

/*
 * Checksums of restored pages are checked by a few threads while the next
 * reads are in flight: the first touch of freshly read memory is what
 * costs, and it parallelises.
 */
struct hashq {
	pthread_mutex_t lock;
	pthread_cond_t more;
	const struct splitckpt_img_pages **v;
	size_t produced, consumed, checked;
	int closed, bad;
};

static int hashq_take(struct hashq *q, int wait)
{
	const struct splitckpt_img_pages *p;
	int bad;

	pthread_mutex_lock(&q->lock);
	while (wait && q->consumed == q->produced && !q->closed)
		pthread_cond_wait(&q->more, &q->lock);
	if (q->consumed == q->produced || q->bad) {
		pthread_mutex_unlock(&q->lock);
		return 0;
	}
	p = q->v[q->consumed++];
	pthread_mutex_unlock(&q->lock);
	bad = XXH3_64bits((void *)p->addr, p->len) != p->xxh3;
	pthread_mutex_lock(&q->lock);
	q->bad |= bad;
	q->checked++;
	pthread_mutex_unlock(&q->lock);
	return 1;
}

static void *hasher(void *arg)
{
	while (hashq_take(arg, 1))
		;
	return NULL;
}

/*
 * The next PAGES record after @rec that @want covers at least in part (all
 * of them without @want); the ones it covers only in part are added to
 * @partial instead, for a second pass.
 */
static const struct splitckpt_img_pages *
next_pages(struct sp_img *img, const struct splitckpt_img_rec **rec,
	   const struct sp_ranges *want, struct sp_ranges *partial, int *err)
{
	const struct splitckpt_img_pages *p;
	uint64_t cov;

	for (;;) {
		*rec = sp_img_next(img, *rec);
		if (!*rec)
			return NULL;
		if ((*rec)->type != SPLITCKPT_REC_PAGES)
			continue;
		p = (const void *)*rec;
		if (!want)
			return p;
		cov = sp_ranges_covered(want, p->addr, p->addr + p->len);
		if (cov == p->len)
			return p;
		/* Remember the record by its place in the records. */
		if (cov && !*err)
			*err = sp_ranges_add(partial, (const char *)p - img->meta,
					     (const char *)p - img->meta + 1);
	}
}

/*
 * Check the zstd frame of record @p at @frame and decompress it to @buf
 * (@p->len bytes), checked too.  @dctx: NULL for a one-off.
 */
static int unframe(ZSTD_DCtx *dctx, const struct splitckpt_img_pages *p,
		   const void *frame, void *buf)
{
	const struct splitckpt_img_zpages *z = (const void *)p;
	size_t n;

	if (XXH3_64bits(frame, z->stored) != z->stored_xxh3)
		return -EBADMSG;
	n = dctx ? ZSTD_decompressDCtx(dctx, buf, p->len, frame, z->stored) :
		   ZSTD_decompress(buf, p->len, frame, z->stored);
	return n == p->len ? 0 : -EBADMSG;	/* errors are huge sizes */
}

/* Read the stored bytes of compressed record @p to @frame; then unframe(). */
static int read_frame(int fd, const struct splitckpt_img_pages *p, void *frame,
		      void *buf)
{
	const struct splitckpt_img_zpages *z = (const void *)p;

	if (pread(fd, frame, z->stored, p->offset) != (ssize_t)z->stored)
		return -EBADMSG;
	return unframe(NULL, p, frame, buf);
}

/*
 * Read record @p whole into @buf (SPLITCKPT_IMG_MAX_RUN bytes), uncompressed,
 * and check it.
 */
static int read_record(int fd, const struct splitckpt_img_pages *p, void *buf)
{
	uint64_t stored;
	void *frame;
	int r;

	if (sp_img_pages_stored(p, &stored) == SPLITCKPT_PAGES_ZSTD) {
		frame = malloc(stored);
		if (!frame)
			return -ENOMEM;
		r = read_frame(fd, p, frame, buf);
		free(frame);
		if (r)
			return r;
	} else if (pread(fd, buf, p->len, p->offset) != (ssize_t)p->len) {
		return -EBADMSG;
	}
	return XXH3_64bits(buf, p->len) != p->xxh3 ? -EBADMSG : 0;
}

/*
 * Hand each part of record @p that @want covers, whose bytes are in @buf,
 * to @fn; stops at its first non-zero return.
 */
static int each_wanted(const struct sp_ranges *want, const struct splitckpt_img_pages *p,
		       const void *buf, int (*fn)(void *arg, uint64_t addr,
						  const void *src, uint64_t len),
		       void *arg)
{
	uint64_t end = p->addr + p->len;
	size_t i;
	int r;

	for (i = sp_ranges_find(want, p->addr); i < want->n && want->v[i].start < end; i++) {
		uint64_t s = want->v[i].start > p->addr ? want->v[i].start : p->addr;
		uint64_t e = want->v[i].end < end ? want->v[i].end : end;

		r = fn(arg, s, (const char *)buf + (s - p->addr), e - s);
		if (r)
			return r;
	}
	return 0;
}

static int copy_to_place(void *arg, uint64_t addr, const void *src, uint64_t len)
{
	(void)arg;
	memcpy((void *)addr, src, len);
	return 0;
}

/*
 * Read each PAGES record that @want covers (all with @want NULL) to its
 * address (or, with @scratch, into that buffer), keeping QD reads in
 * flight; records @want covers only in part go through a buffer.
 */
static int64_t read_pages(struct sp_img *img, const struct sp_ranges *want,
			  void *scratch)
{
	const struct splitckpt_img_rec *rec = NULL;
	const struct splitckpt_img_pages *slot[QD];
	int fd = img->dfd >= 0 ? img->dfd : img->fd, depth = scratch ? 1 : QD;
	int r, inflight = 0, done = 0, i, nthreads = 0, err = 0;
	struct hashq q = { .lock = PTHREAD_MUTEX_INITIALIZER,
			   .more = PTHREAD_COND_INITIALIZER };
	struct sp_ranges partial = { 0 };
	pthread_t th[3];
	struct io_uring ring;
	int64_t total = 0;
	/* Compressed records are read to a slot's buffer, then unframe()d. */
	ZSTD_DCtx *dctx = NULL;
	uint64_t stored, rlen;
	void *zb[QD], *rbuf;
	int enc;

	if (img->h.flags & SPLITCKPT_IMG_F_ZSTD && depth > 8)
		depth = 8;
	if (!scratch) {
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);
		sigset_t all, old;

		q.v = malloc(img->h.nr_records * sizeof(*q.v));
		if (!q.v)
			return -ENOMEM;
		/* Helpers take no signals: they may run in a restarting program. */
		sigfillset(&all);
		pthread_sigmask(SIG_SETMASK, &all, &old);
		for (i = 0; i < 3 && i < cpus - 1; i++)
			if (!pthread_create(&th[i], NULL, hasher, &q))
				nthreads++;
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	}
	r = io_uring_queue_init(QD, &ring, 0);
	if (r)
		goto out_threads;
	for (i = 0; i < QD; i++) {
		slot[i] = NULL;
		zb[i] = NULL;
	}
	while (!done || inflight) {
		struct io_uring_cqe *cqe;
		const struct splitckpt_img_pages *p;
		void *dst;

		/* Fill every free slot. */
		for (i = 0; i < depth && !done; i++) {
			struct io_uring_sqe *sqe;

			if (slot[i])
				continue;
			p = next_pages(img, &rec, want, &partial, &err);
			if (!p) {
				done = 1;
				break;
			}
			rbuf = scratch ? scratch : (void *)p->addr;
			rlen = p->len;
			if (sp_img_pages_stored(p, &stored) == SPLITCKPT_PAGES_ZSTD) {
				if (!zb[i] && posix_memalign(&zb[i], ALIGN, CHUNK)) {
					zb[i] = NULL;
					err = -ENOMEM;
					done = 1;
					break;
				}
				rbuf = zb[i];
				rlen = (stored + ALIGN - 1) & ~(ALIGN - 1UL);
			}
			sqe = io_uring_get_sqe(&ring);
			io_uring_prep_read(sqe, fd, rbuf, rlen, p->offset);
			/*
			 * Let io_uring's workers take the page faults of the
			 * target memory while this thread checks checksums.
			 */
			sqe->flags |= IOSQE_ASYNC;
			sqe->user_data = i;
			slot[i] = p;
			inflight++;
		}
		if (!inflight)
			break;
		r = io_uring_submit_and_wait(&ring, 1);
		if (r < 0)
			goto out;
		r = io_uring_wait_cqe(&ring, &cqe);
		if (r)
			goto out;
		i = cqe->user_data;
		p = slot[i];
		r = cqe->res;
		io_uring_cqe_seen(&ring, cqe);
		slot[i] = NULL;
		inflight--;
		dst = scratch ? scratch : (void *)p->addr;
		enc = sp_img_pages_stored(p, &stored);
		rbuf = enc == SPLITCKPT_PAGES_ZSTD ? zb[i] : dst;
		rlen = enc == SPLITCKPT_PAGES_ZSTD ? (stored + ALIGN - 1) & ~(ALIGN - 1UL) :
						     p->len;
		if (r >= 0 && (uint64_t)r != rlen) {
			/* A short read: finish it the simple way. */
			ssize_t m = pread(fd, (char *)rbuf + r, rlen - r, p->offset + r);

			r = m == (ssize_t)(rlen - r) ? (int)rlen : -EBADMSG;
		}
		if (r < 0)
			goto out;
		if (enc == SPLITCKPT_PAGES_ZSTD) {
			if (!dctx)
				dctx = ZSTD_createDCtx();
			r = dctx ? unframe(dctx, p, rbuf, dst) : -ENOMEM;
			if (r)
				goto out;
		}
		total += p->len;
		if (scratch) {
			if (XXH3_64bits(dst, p->len) != p->xxh3) {
				r = -EBADMSG;
				goto out;
			}
			continue;
		}
		pthread_mutex_lock(&q.lock);
		q.v[q.produced++] = p;
		pthread_cond_signal(&q.more);
		pthread_mutex_unlock(&q.lock);
		if (!nthreads || inflight < depth / 2)
			hashq_take(&q, 0);
	}
	r = err;
	if (!r && partial.n) {
		void *buf;
		size_t k;

		/* Read whole to check them, then copy what is wanted. */
		if (posix_memalign(&buf, ALIGN, CHUNK)) {
			r = -ENOMEM;
			goto out;
		}
		for (k = 0; !r && k < partial.n; k++) {
			const struct splitckpt_img_pages *p =
				(const void *)(img->meta + partial.v[k].start);

			r = read_record(img->fd, p, buf);
			if (!r)
				r = each_wanted(want, p, buf, copy_to_place, NULL);
			total += p->len;
		}
		free(buf);
	}
out:
	/* After a failure, reads may still land in the slots' buffers. */
	while (inflight > 0) {
		struct io_uring_cqe *cqe;

		if (io_uring_wait_cqe(&ring, &cqe))
			break;
		io_uring_cqe_seen(&ring, cqe);
		inflight--;
	}
	io_uring_queue_exit(&ring);
	for (i = 0; i < QD; i++)
		free(zb[i]);
	ZSTD_freeDCtx(dctx);
out_threads:
	sp_ranges_free(&partial);
	if (!scratch) {
		/* Help with what is left, then collect the verdict. */
		while (!r && hashq_take(&q, 0))
			;
		pthread_mutex_lock(&q.lock);
		q.closed = 1;
		pthread_cond_broadcast(&q.more);
		pthread_mutex_unlock(&q.lock);
		for (i = 0; i < nthreads; i++)
			pthread_join(th[i], NULL);
		if (!r && (q.bad || q.checked != q.produced))
			r = -EBADMSG;
		free(q.v);
	}
	return r < 0 ? r : total;
}

int64_t sp_img_load(struct sp_img *img, const struct sp_ranges *want)
{
	return read_pages(img, want, NULL);
}

int64_t sp_img_verify_data(struct sp_img *img)
{
	void *buf;
	int64_t r;

	if (posix_memalign(&buf, ALIGN, CHUNK))
		return -ENOMEM;
	r = read_pages(img, NULL, buf);
	free(buf);
	return r;
}

/*
 * Append compressed record @src whose frame is at @frame (aligned,
 * SPLITCKPT_IMG_MAX_RUN bytes) to @w as it is, after what is staged.
 */
static int imgw_put_frame(struct sp_imgw *w, const struct splitckpt_img_zpages *src,
			  void *frame)
{
	struct splitckpt_img_zpages z = *src;
	size_t pad = (z.stored + ALIGN - 1) & ~(ALIGN - 1UL);
	int r;

	/* What is staged keeps its file offsets; this goes after them. */
	r = flush_buf(w);
	if (r)
		return r;
	memset((char *)frame + z.stored, 0, pad - z.stored);
	r = pwrite_all(w->fd, frame, pad, w->off);
	if (r)
		return r;
	z.pages.offset = w->off;
	w->off += pad;
	w->hflags |= SPLITCKPT_IMG_F_ZSTD;
	return sp_imgw_record(w, &z, sizeof(z));
}

struct copy_out {
	struct sp_imgw *w;
	int64_t total;
};

static int copy_to_writer(void *arg, uint64_t addr, const void *src, uint64_t len)
{
	struct copy_out *o = arg;

	o->total += len;
	return sp_imgw_bytes(o->w, addr, src, len, 0);
}

int64_t sp_img_copy(struct sp_img *img, const struct sp_ranges *want,
		    struct sp_imgw *w)
{
	const struct splitckpt_img_rec *rec = NULL;
	struct copy_out o = { .w = w };
	void *buf, *frame = NULL;
	int r = 0;

	if (posix_memalign(&buf, ALIGN, CHUNK))
		return -ENOMEM;
	while (!r && (rec = sp_img_next(img, rec))) {
		const struct splitckpt_img_pages *p = (const void *)rec;

		uint64_t cov, stored;

		if (rec->type != SPLITCKPT_REC_PAGES)
			continue;
		cov = sp_ranges_covered(want, p->addr, p->addr + p->len);
		if (!cov)
			continue;
		/* A compressed record wanted whole is kept as it is. */
		if (cov == p->len &&
		    sp_img_pages_stored(p, &stored) == SPLITCKPT_PAGES_ZSTD) {
			if (!frame && posix_memalign(&frame, ALIGN, CHUNK)) {
				frame = NULL;
				r = -ENOMEM;
				break;
			}
			r = read_frame(img->fd, p, frame, buf);
			if (!r && XXH3_64bits(buf, p->len) != p->xxh3)
				r = -EBADMSG;
			if (!r)
				r = imgw_put_frame(w, (const void *)p, frame);
			o.total += p->len;
			continue;
		}
		r = read_record(img->fd, p, buf);
		if (!r)
			r = each_wanted(want, p, buf, copy_to_writer, &o);
	}
	free(buf);
	free(frame);
	return r ? r : o.total;
}

void sp_img_close(struct sp_img *img)
{
	if (!img)
		return;
	close(img->fd);
	if (img->dfd >= 0)
		close(img->dfd);
	free(img->meta);
	free(img);
}

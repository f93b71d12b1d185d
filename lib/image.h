/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Generation files of an image directory (format: uapi/linux/splitckpt_image.h).
 *
 * Internal to libsplitckpt.  Every function returns 0 (or a count) on success
 * and -errno on failure; none prints.  Error codes:
 *   -ENOENT	no such generation / no committed generation
 *   -EBADMSG	wrong magic, bad checksum, truncated or inconsistent file
 *   -EPROTONOSUPPORT	a version this library does not know
 *   others	as returned by the system calls involved
 */
#ifndef SP_IMAGE_H
#define SP_IMAGE_H

#include <stddef.h>
#include <stdint.h>
#include <linux/splitckpt_image.h>

struct sp_imgw;
struct sp_img;
struct sp_ranges;

/*
 * Start writing generation (newest committed + 1) in the directory @dirfd,
 * as a ".tmp" file.  The file is written with O_DIRECT when the file system
 * allows it, through io_uring with registered staging buffers.
 */
int sp_imgw_open(int dirfd, struct sp_imgw **out);

/*
 * Rewrite generation @gen: on commit the new file replaces the old one
 * atomically (used to turn an incremental generation into a full one).
 */
int sp_imgw_open_gen(int dirfd, uint64_t gen, struct sp_imgw **out);

/*
 * Make the generation incremental over generation @parent, whose header
 * says @created_ns (see splitckpt_image.h); 0 makes it full.
 */
void sp_imgw_set_parent(struct sp_imgw *w, uint64_t parent, uint64_t created_ns);
/* Keep this creation time instead of the time of the commit. */
void sp_imgw_set_created(struct sp_imgw *w, uint64_t created_ns);

/*
 * Compress the page data staged from now on with zstd at @level (1..19; 0:
 * do not).  Off by default.  Each record of up to SPLITCKPT_IMG_MAX_RUN
 * bytes becomes one zstd frame, or stays as it is if that would not save a
 * page; a generation with a compressed record is written as version 3
 * (splitckpt_image.h).  Compression runs in worker threads while the caller
 * goes on staging; the caller waits only when every staging buffer is
 * busy.  Returns -EINVAL for a bad level.
 */
int sp_imgw_set_compress(struct sp_imgw *w, unsigned int level);

/* The generation number being written. */
uint64_t sp_imgw_generation(const struct sp_imgw *w);

/*
 * Append a record.  @rec points to @len bytes starting with a struct
 * splitckpt_img_rec whose @type is set; the writer sets @size to @len
 * rounded up to 8 and pads with zeroes.
 */
int sp_imgw_record(struct sp_imgw *w, const void *rec, size_t len);

/*
 * Save [addr, addr + len) of this process's memory: page aligned and
 * readable.  Emits SPLITCKPT_REC_PAGES records of at most
 * SPLITCKPT_IMG_MAX_RUN bytes.  Pages that hold only zeroes are not
 * written: they are left out, or with SP_IMGW_MARK_ZERO described by
 * SPLITCKPT_REC_ZERO records (for incremental generations).  The copy into
 * the staging buffers happens before this returns, so the memory may
 * change afterwards; the writes to the file may still be in flight.
 */
#define SP_IMGW_MARK_ZERO	(1U << 0)
int sp_imgw_memory(struct sp_imgw *w, uint64_t addr, uint64_t len,
		   unsigned int flags);
/* The same for @len bytes at @src that belong at @addr. */
int sp_imgw_bytes(struct sp_imgw *w, uint64_t addr, const void *src,
		  uint64_t len, unsigned int flags);
/* Record that [addr, addr + len) reads as zero (SPLITCKPT_REC_ZERO). */
int sp_imgw_zero(struct sp_imgw *w, uint64_t addr, uint64_t len);

/*
 * Within one generation a later PAGES or ZERO record wins over an earlier
 * one for the addresses both cover (pre-copy saves pages again that were
 * written after they were first copied).  The file never holds such
 * overlaps: on commit, earlier records are cut to what no later one
 * covers.  sp_imgw_forget() makes [addr, addr + len) covered by nothing
 * from here on: the earlier records' bytes there are dropped, and pages
 * not saved again read as they would without them.
 */
int sp_imgw_forget(struct sp_imgw *w, uint64_t addr, uint64_t len);

/* The descriptors the writer holds (-1: none), for excluding them. */
void sp_imgw_fds(const struct sp_imgw *w, int fds[2]);

/*
 * Wait for all writes, write the records and the header, fsync, rename to
 * the final name and fsync the directory.  Frees @w in every case; on
 * failure the ".tmp" file is removed.  Stores the generation in @gen.
 */
int sp_imgw_commit(struct sp_imgw *w, uint64_t *gen);

/* Give up: remove the ".tmp" file and free @w. */
void sp_imgw_abort(struct sp_imgw *w);

/*
 * Open generation @gen (0: the newest committed one) of the directory
 * @dirfd; checks the header and the records (checksums, sizes, every
 * PAGES record inside the data area, exactly one PROCESS record).
 */
int sp_img_open(int dirfd, uint64_t gen, struct sp_img **out);

const struct splitckpt_img_header *sp_img_header(const struct sp_img *img);

/*
 * How PAGES record @p stores its bytes: SPLITCKPT_PAGES_*, with the number
 * of bytes it takes in the file (without padding) in *@stored.
 */
int sp_img_pages_stored(const struct splitckpt_img_pages *p, uint64_t *stored);

/* The record after @prev (NULL: the first), or NULL at the end. */
const struct splitckpt_img_rec *sp_img_next(const struct sp_img *img,
					    const struct splitckpt_img_rec *prev);

/*
 * Read the saved bytes of @want (sorted, see ranges.h) that this
 * generation's PAGES records hold to their addresses in this process
 * (already mapped writable), with io_uring, checking every record's
 * checksum (-EBADMSG on a mismatch); NULL: all of them.  Returns the number
 * of bytes read.
 */
int64_t sp_img_load(struct sp_img *img, const struct sp_ranges *want);

/*
 * Read every PAGES record and check its checksum without touching
 * memory.  Returns the number of bytes checked.
 */
int64_t sp_img_verify_data(struct sp_img *img);

/*
 * Append the saved bytes of @want that this generation holds to @w (each
 * record's checksum checked first).  Returns the number of bytes copied.
 */
int64_t sp_img_copy(struct sp_img *img, const struct sp_ranges *want,
		    struct sp_imgw *w);

void sp_img_close(struct sp_img *img);

/*
 * The committed generations of @dirfd in increasing order, in a malloc()ed
 * array stored in *@gens.  Returns their number.
 */
int sp_img_list(int dirfd, uint64_t **gens);

/* Remove generation @gen's file (the caller fsyncs the directory). */
int sp_img_remove(int dirfd, uint64_t gen);

#endif /* SP_IMAGE_H */

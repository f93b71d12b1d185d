/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A generation with the incremental generations it builds on: which
 * generation holds each page, loading, checking and compacting.  Returns 0
 * (or a count) or -errno; nothing prints.  Where a generation of the chain
 * is at fault, its number is stored in *@bad:
 *   -ENOENT	it is missing
 *   -ESTALE	it is not the generation the next one was written against
 *   -EBADMSG	it is corrupt
 */
#ifndef SP_CHAIN_H
#define SP_CHAIN_H

#include <stdint.h>

#include "image.h"
#include "ranges.h"

struct sp_chain {
	int n;
	struct sp_img **img;	/* img[0]: the generation, img[n-1]: full */
	/* What each generation must supply (from sp_chain_plan()). */
	struct sp_ranges *want;
};

/* Open generation @gen (0: the newest) of @dirfd and its ancestors. */
int sp_chain_open(int dirfd, uint64_t gen, struct sp_chain **out, uint64_t *bad);
/* Work out which generation supplies which pages of img[0]'s mappings. */
int sp_chain_plan(struct sp_chain *c);
/* Read the memory of img[0] into place (its mappings exist, writable). */
int64_t sp_chain_load(struct sp_chain *c, uint64_t *bad);
/* Check every byte of every generation of the chain. */
int64_t sp_chain_verify(struct sp_chain *c, uint64_t *bad);
/*
 * Rewrite img[0] as a full generation of the same number and creation
 * time, replacing the file atomically.  Stores the bytes of data written.
 */
int sp_chain_compact(int dirfd, struct sp_chain *c, uint64_t *bytes, uint64_t *bad);
void sp_chain_close(struct sp_chain *c);

/*
 * Remove the generations older than @gen that no generation from @gen on
 * needs; returns how many were removed.
 */
int sp_chain_prune(int dirfd, uint64_t gen);

#endif /* SP_CHAIN_H */

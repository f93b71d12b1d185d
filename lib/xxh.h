/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * XXH3 for the image's checksums.  Plain XXH3_64bits() is built for SSE2
 * only; on x86 xxh_x86dispatch.h makes it the library's dispatcher, which
 * picks AVX2 where the CPU has it: the same hash, 1.2x faster on our hosts,
 * 2x in a TCG guest.
 */
#ifndef SP_XXH_H
#define SP_XXH_H

#include <xxhash.h>
#if defined(__x86_64__) || defined(__i386__)
#include <xxh_x86dispatch.h>
#endif

#endif /* SP_XXH_H */

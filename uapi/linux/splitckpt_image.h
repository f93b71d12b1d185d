/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * splitckpt: on-disk format of a checkpoint image.
 *
 * An image directory holds one file per committed generation,
 * "gen-NNNNNNNN.img" (8 decimal digits).  A generation is written as
 * ".gen-NNNNNNNN.img.tmp", fsync()ed, renamed and the directory fsync()ed,
 * so a file with the final name is always complete; a crash or a failed
 * checkpoint leaves at most a ".tmp" file, which readers ignore.
 *
 * Layout of a generation file (all integers little-endian, as on x86-64):
 *
 *	offset 0			struct splitckpt_img_header, padded with
 *					zeroes to SPLITCKPT_IMG_ALIGN
 *	data_offset (aligned)		page data, data_size bytes; every
 *					SPLITCKPT_REC_PAGES record names a
 *					page-aligned piece of it
 *	meta_offset (aligned)		meta_size bytes of records
 *
 * Every record starts with struct splitckpt_img_rec; @size counts the whole
 * record including variable-length trailing bytes and is a multiple of 8.
 * Readers skip record types they do not know (so adding a type is not a
 * format change) but must refuse an image whose @version they do not know.
 *
 * Integrity: @header_xxh3 is XXH3-64 (seed 0) of the header with that field
 * zero; @meta_xxh3 covers the meta_size bytes of records; each
 * SPLITCKPT_REC_PAGES record carries XXH3-64 of its data.
 *
 * Incremental generations (version 2): a generation with @parent != 0 holds
 * the complete description of the process (every record but the page data)
 * and only the memory that changed since generation @parent, which must be
 * present with the @created_ns recorded here as @parent_created_ns.  The
 * contents of a page of a mapping at generation G are found by walking the
 * chain G, parent(G), ... and taking the first of:
 *   - a SPLITCKPT_REC_PAGES record covering the page: those bytes;
 *   - a SPLITCKPT_REC_ZERO record covering the page: zeroes;
 *   - a SPLITCKPT_REC_VMA record covering the page with SPLITCKPT_VMA_WHOLE
 *     set, or a generation with @parent == 0: zeroes (never touched).
 * Pages outside G's own mappings are ignored.  A generation with @parent ==
 * 0 is self-contained ("full"); rewriting a chain into one full generation
 * keeps its @generation and @created_ns.  No two PAGES or ZERO records of
 * one generation cover the same page.
 *
 * Compressed page data (version 3): a SPLITCKPT_REC_PAGES record may hold
 * its @len bytes of memory as one zstd frame of @stored bytes; the record
 * is then the longer struct splitckpt_img_zpages with @encoding
 * SPLITCKPT_PAGES_ZSTD, and the frame is followed by zero padding to
 * SPLITCKPT_IMG_ALIGN, so every record's data still starts aligned.  Plain
 * struct splitckpt_img_pages records (all of them in versions 1 and 2) are
 * uncompressed, as are chunks that would not shrink by a page.  An
 * image with at least one compressed record is written as version 3 with
 * SPLITCKPT_IMG_F_ZSTD in the header's @flags; an image without one is
 * written exactly as version 2, so older readers keep reading it.  A
 * reader that predates compression refuses version 3 as an unknown
 * version; it never gets as far as the records, where skipping (unknown
 * types) or misreading (unknown trailing fields) would restore compressed
 * bytes as memory.  From version 3 on, @flags holds incompatible features:
 * a reader must refuse an image with a flag it does not know.  Checksums:
 * @xxh3 is always of the uncompressed bytes (what restart checks in
 * memory, end to end through the compressor); @stored_xxh3 is of the
 * stored frame, so verify and compaction catch damage before decompressing
 * and can copy a frame without compressing it again.
 */
#ifndef _UAPI_LINUX_SPLITCKPT_IMAGE_H
#define _UAPI_LINUX_SPLITCKPT_IMAGE_H

#include <linux/const.h>
#include <linux/types.h>

#define SPLITCKPT_IMG_MAGIC	"SPCKIMG\n"	/* 8 bytes, no NUL */
/* 1: no incremental generations; 2: no @flags, no compression */
#define SPLITCKPT_IMG_VERSION	3
#define SPLITCKPT_IMG_ALIGN	4096
#define SPLITCKPT_IMG_MAX_RUN	1048576	/* bytes of one PAGES record */

/**
 * struct splitckpt_img_header - first bytes of a generation file
 * @magic:	SPLITCKPT_IMG_MAGIC.
 * @version:	SPLITCKPT_IMG_VERSION, or the lowest version that describes
 *		the image (2 when nothing is compressed).
 * @header_size: sizeof(struct splitckpt_img_header) of the writer.
 * @flags:	zero in versions 1 and 2; from version 3, SPLITCKPT_IMG_F_*
 *		(incompatible features: refuse unknown ones).
 * @page_size:	page size of the checkpointed process.
 * @generation:	number of this generation (1, 2, ...).
 * @parent:	generation this one is relative to; 0 for a full image.
 * @created_ns:	CLOCK_REALTIME when the image was written; with
 *		@generation it names the contents of this generation.
 * @data_offset: start of the page data.
 * @data_size:	bytes of page data.
 * @meta_offset: start of the records.
 * @meta_size:	bytes of records.
 * @meta_xxh3:	checksum of the records.
 * @nr_records:	number of records.
 * @reserved0:	zero.
 * @parent_created_ns: @created_ns of generation @parent; 0 if none.
 * @reserved:	zero.
 * @header_xxh3: checksum of this header, computed with this field zero.
 */
struct splitckpt_img_header {
	__u8	magic[8];
	__u32	version;
	__u32	header_size;
	__u32	flags;
	__u32	page_size;
	__u64	generation;
	__u64	parent;
	__u64	created_ns;
	__u64	data_offset;
	__u64	data_size;
	__u64	meta_offset;
	__u64	meta_size;
	__u64	meta_xxh3;
	__u32	nr_records;
	__u32	reserved0;
	__u64	parent_created_ns;
	__u64	reserved[3];
	__u64	header_xxh3;
};

/* Header @flags (version 3). */
#define SPLITCKPT_IMG_F_ZSTD	_BITUL(0)	/* zstd-compressed PAGES records */
#define SPLITCKPT_IMG_F_KNOWN	SPLITCKPT_IMG_F_ZSTD

/* Record types. */
#define SPLITCKPT_REC_PROCESS	1	/* struct splitckpt_img_process */
#define SPLITCKPT_REC_THREAD	2	/* struct splitckpt_img_thread */
#define SPLITCKPT_REC_VMA	3	/* struct splitckpt_img_vma */
#define SPLITCKPT_REC_PAGES	4	/* struct splitckpt_img_pages */
#define SPLITCKPT_REC_SIGACTION	5	/* struct splitckpt_img_sigaction */
#define SPLITCKPT_REC_ITIMER	6	/* struct splitckpt_img_itimer */
#define SPLITCKPT_REC_TIMER	7	/* struct splitckpt_img_timer */
#define SPLITCKPT_REC_FD	8	/* struct splitckpt_img_fd */
#define SPLITCKPT_REC_SIGINFO	9	/* struct splitckpt_img_siginfo */
#define SPLITCKPT_REC_ZERO	10	/* struct splitckpt_img_zero */

/**
 * struct splitckpt_img_rec - header of every record
 * @type:	SPLITCKPT_REC_*.
 * @size:	bytes of the whole record, a multiple of 8.
 */
struct splitckpt_img_rec {
	__u32	type;
	__u32	size;
};

/**
 * struct splitckpt_img_process - the process as a whole (exactly one)
 * @rec:	type SPLITCKPT_REC_PROCESS.
 * @pid:	pid at checkpoint time (pids change across restart).
 * @nr_threads:	number of SPLITCKPT_REC_THREAD records.
 * @band_start:	first address of the upper-half address band.
 * @band_end:	end of the upper-half address band.
 * @brk_start:	start of the upper half's emulated brk heap.
 * @brk_cur:	current emulated break.
 * @brk_max:	end of the address range reserved for that heap.
 * @shared_pending: process-wide pending signals (bit N-1 for signal N).
 * @tid_offset:	offset from a thread's FS base of the libc's cached tid,
 *		or 0 if none was found.
 * @ckpt_signal: signal number the runtime reserves for checkpoints.
 * @umask:	file mode creation mask.
 * @cwd_len:	bytes of the working directory path, without NUL.
 * @exe_len:	bytes of the program path, without NUL.
 * @dir_len:	bytes of the image directory path, without NUL.
 * @reserved:	zero.
 *
 * Followed by the three paths in that order, each NUL-terminated, then
 * zero padding to a multiple of 8.
 */
struct splitckpt_img_process {
	struct splitckpt_img_rec rec;
	__s32	pid;
	__u32	nr_threads;
	__u64	band_start;
	__u64	band_end;
	__u64	brk_start;
	__u64	brk_cur;
	__u64	brk_max;
	__u64	shared_pending;
	__u64	tid_offset;
	__u32	ckpt_signal;
	__u32	umask;
	__u32	cwd_len;
	__u32	exe_len;
	__u32	dir_len;
	__u32	reserved;
};

#define SPLITCKPT_THREAD_MAIN	_BITUL(0)	/* the thread group leader */

/**
 * struct splitckpt_img_thread - one thread of the upper half
 * @rec:	type SPLITCKPT_REC_THREAD.
 * @tid:	thread id at checkpoint time.
 * @flags:	SPLITCKPT_THREAD_*.
 * @fs_base:	the thread's FS base (its TLS/TCB pointer).
 * @frame:	address of the ucontext the kernel built when the thread was
 *		stopped; it lives in saved memory and rt_sigreturn() from it
 *		restores the registers, FPU state, signal mask and altstack.
 * @robust_head: set_robust_list() head, 0 if none.
 * @robust_len:	its length argument.
 * @rseq_area:	registered rseq area, 0 if none.
 * @rseq_len:	its length.
 * @rseq_sig:	its signature.
 * @pending:	signals pending for this thread only (bit N-1 for signal N).
 */
struct splitckpt_img_thread {
	struct splitckpt_img_rec rec;
	__s32	tid;
	__u32	flags;
	__u64	fs_base;
	__u64	frame;
	__u64	robust_head;
	__u64	robust_len;
	__u64	rseq_area;
	__u32	rseq_len;
	__u32	rseq_sig;
	__u64	pending;
};

/* How a mapping is brought back. */
#define SPLITCKPT_VMA_PRIVATE	_BITUL(0)	/* else shared */
#define SPLITCKPT_VMA_FILE	_BITUL(1)	/* backed by the file @path */
/* Restored by mapping @path again; no data saved (shared file mappings). */
#define SPLITCKPT_VMA_REMAP	_BITUL(2)
#define SPLITCKPT_VMA_HEAP	_BITUL(3)	/* the emulated brk heap */
#define SPLITCKPT_VMA_STACK	_BITUL(4)	/* the main thread's stack */
#define SPLITCKPT_VMA_SYSV	_BITUL(5)	/* a System V shm attachment */
/* madvise()/mlock() state, applied again at restart. */
#define SPLITCKPT_VMA_HUGEPAGE	_BITUL(6)	/* MADV_HUGEPAGE */
#define SPLITCKPT_VMA_NOHUGEPAGE _BITUL(7)	/* MADV_NOHUGEPAGE */
#define SPLITCKPT_VMA_DONTFORK	_BITUL(8)	/* MADV_DONTFORK */
#define SPLITCKPT_VMA_WIPEONFORK _BITUL(9)	/* MADV_WIPEONFORK */
#define SPLITCKPT_VMA_DONTDUMP	_BITUL(10)	/* MADV_DONTDUMP */
#define SPLITCKPT_VMA_MERGEABLE	_BITUL(11)	/* MADV_MERGEABLE */
#define SPLITCKPT_VMA_LOCKED	_BITUL(12)	/* mlock() */
/* This generation holds all of the mapping's data (see the top comment). */
#define SPLITCKPT_VMA_WHOLE	_BITUL(13)

/**
 * struct splitckpt_img_vma - one mapping of the upper half
 * @rec:	type SPLITCKPT_REC_VMA.
 * @start:	first address (page aligned).
 * @end:	end address (page aligned).
 * @prot:	PROT_* bits.
 * @flags:	SPLITCKPT_VMA_*.
 * @pgoff:	offset in the file in bytes, for file mappings.
 * @path_len:	bytes of @path without the NUL, 0 for anonymous memory.
 * @reserved:	zero.
 *
 * Followed by the NUL-terminated path and zero padding to 8 bytes.  The
 * saved contents of the mapping are the SPLITCKPT_REC_PAGES records inside
 * [start, end); in a full generation pages not covered by any were never
 * touched and read as zero (incremental ones: see the top comment).
 */
struct splitckpt_img_vma {
	struct splitckpt_img_rec rec;
	__u64	start;
	__u64	end;
	__u32	prot;
	__u32	flags;
	__u64	pgoff;
	__u32	path_len;
	__u32	reserved;
};

/**
 * struct splitckpt_img_pages - a run of saved pages
 * @rec:	type SPLITCKPT_REC_PAGES.
 * @addr:	address of the first page.
 * @len:	bytes of memory, a multiple of the page size, at most
 *		SPLITCKPT_IMG_MAX_RUN.
 * @offset:	where the stored bytes are in the file (aligned).
 * @xxh3:	XXH3-64 of the @len bytes of memory (uncompressed).
 *
 * A record of exactly this size holds its bytes as they are, at @offset.
 * A longer one (version 3) is a struct splitckpt_img_zpages.
 */
struct splitckpt_img_pages {
	struct splitckpt_img_rec rec;
	__u64	addr;
	__u64	len;
	__u64	offset;
	__u64	xxh3;
};

/* How a struct splitckpt_img_zpages stores its bytes. */
#define SPLITCKPT_PAGES_RAW	0	/* @len bytes as they are */
#define SPLITCKPT_PAGES_ZSTD	1	/* one zstd frame of @stored bytes */

/**
 * struct splitckpt_img_zpages - a run of saved pages, encoded (version 3)
 * @pages:	@pages.rec.type is SPLITCKPT_REC_PAGES, @pages.rec.size at
 *		least sizeof(struct splitckpt_img_zpages); the other fields
 *		mean what they mean in a plain record.
 * @encoding:	SPLITCKPT_PAGES_*.
 * @stored:	bytes at @pages.offset: @pages.len for SPLITCKPT_PAGES_RAW,
 *		else the size of the zstd frame (less than @pages.len),
 *		followed by zeroes up to SPLITCKPT_IMG_ALIGN.
 * @stored_xxh3: XXH3-64 of the @stored bytes.
 */
struct splitckpt_img_zpages {
	struct splitckpt_img_pages pages;
	__u32	encoding;
	__u32	stored;
	__u64	stored_xxh3;
};

/**
 * struct splitckpt_img_zero - pages that became zero since the parent
 * @rec:	type SPLITCKPT_REC_ZERO.
 * @addr:	address of the first page.
 * @len:	bytes, a multiple of the page size.
 *
 * The memory was discarded (for example with MADV_DONTNEED) or written
 * with zeroes since the parent, and reads as zero.  Written in incremental
 * generations, and with pre-copy in any generation, where in a mapping
 * saved whole it only repeats what absence says.
 */
struct splitckpt_img_zero {
	struct splitckpt_img_rec rec;
	__u64	addr;
	__u64	len;
};

/**
 * struct splitckpt_img_sigaction - a signal disposition that is not default
 * @rec:	type SPLITCKPT_REC_SIGACTION.
 * @signo:	signal number.
 * @reserved:	zero.
 * @handler:	sa_handler (or SIG_IGN).
 * @flags:	sa_flags as the kernel keeps them.
 * @restorer:	sa_restorer.
 * @mask:	sa_mask (bit N-1 for signal N).
 */
struct splitckpt_img_sigaction {
	struct splitckpt_img_rec rec;
	__u32	signo;
	__u32	reserved;
	__u64	handler;
	__u64	flags;
	__u64	restorer;
	__u64	mask;
};

/**
 * struct splitckpt_img_itimer - an armed interval timer
 * @rec:	type SPLITCKPT_REC_ITIMER.
 * @which:	ITIMER_REAL, ITIMER_VIRTUAL or ITIMER_PROF.
 * @reserved:	zero.
 * @interval_ns: reload value.
 * @value_ns:	time left at checkpoint.
 */
struct splitckpt_img_itimer {
	struct splitckpt_img_rec rec;
	__u32	which;
	__u32	reserved;
	__u64	interval_ns;
	__u64	value_ns;
};

/**
 * struct splitckpt_img_timer - a POSIX timer (timer_create)
 * @rec:	type SPLITCKPT_REC_TIMER.
 * @id:		kernel timer id, recreated identically.
 * @clockid:	clock.
 * @notify:	SIGEV_SIGNAL, SIGEV_NONE or SIGEV_THREAD_ID.
 * @signo:	signal delivered.
 * @tid:	target thread (checkpoint-time tid) for SIGEV_THREAD_ID.
 * @reserved:	zero.
 * @value:	sigev_value delivered with the signal.
 * @interval_ns: reload value.
 * @value_ns:	time left at checkpoint, 0 if disarmed.
 */
struct splitckpt_img_timer {
	struct splitckpt_img_rec rec;
	__s32	id;
	__s32	clockid;
	__u32	notify;
	__u32	signo;
	__s32	tid;
	__u32	reserved;
	__u64	value;
	__u64	interval_ns;
	__u64	value_ns;
};

/**
 * struct splitckpt_img_siginfo - one queued real-time signal, with its data
 * @rec:	type SPLITCKPT_REC_SIGINFO.
 * @signo:	signal number.
 * @reserved:	zero.
 * @info:	the siginfo_t the kernel had queued (x86-64 layout), queued
 *		again to the process at restart, in record order.
 */
struct splitckpt_img_siginfo {
	struct splitckpt_img_rec rec;
	__u32	signo;
	__u32	reserved;
	__u8	info[128];
};

/* What an fd referred to. */
#define SPLITCKPT_FD_FILE	1	/* regular file, reopened at @pos */
#define SPLITCKPT_FD_DIR	2	/* directory, reopened */
#define SPLITCKPT_FD_OTHER	3	/* pipe, socket, ...: not restorable */
#define SPLITCKPT_FD_DEVICE	4	/* character device, reopened by path */

/**
 * struct splitckpt_img_fd - an open file descriptor of the upper half
 * @rec:	type SPLITCKPT_REC_FD.
 * @fd:		descriptor number.
 * @kind:	SPLITCKPT_FD_*.
 * @oflags:	file status flags and access mode (O_*).
 * @fdflags:	FD_CLOEXEC or 0.
 * @pos:	file offset.
 * @path_len:	bytes of @path without the NUL.
 * @reserved:	zero.
 *
 * Followed by the NUL-terminated path and zero padding to 8 bytes.
 */
struct splitckpt_img_fd {
	struct splitckpt_img_rec rec;
	__s32	fd;
	__u32	kind;
	__u32	oflags;
	__u32	fdflags;
	__u64	pos;
	__u32	path_len;
	__u32	reserved;
};

#endif /* _UAPI_LINUX_SPLITCKPT_IMAGE_H */

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The split-process runtime, internal interfaces.  The lower half (this
 * runtime, later MPI) is the program the kernel started; the upper half is
 * the application with its own ld.so and libc, loaded into the band.
 */
#ifndef SP_RUNTIME_H
#define SP_RUNTIME_H

#include <stddef.h>
#include <stdint.h>
#include <signal.h>

/* The signal that stops upper-half threads for a checkpoint. */
#define SP_CKPT_SIGNAL	(__SIGRTMAX - 1)

/* Control socket: abstract name "splitckpt/ctl/<pid>". */
#define SP_CTL_NAME	"splitckpt/ctl/%d"

#define SP_CTL_KILL	(1U << 0)
#define SP_CTL_FULL	(1U << 1)	/* not incremental */
#define SP_CTL_PROGRESS	(1U << 2)	/* send struct sp_ctl_progress meanwhile */
#define SP_CTL_FLAGS	(SP_CTL_KILL | SP_CTL_FULL | SP_CTL_PROGRESS)
#define SP_PRECOPY_MAX	16	/* --precopy passes */
#define SP_COMPRESS_MAX	19	/* --compress level (zstd) */

struct sp_ctl_request {
	uint32_t size;
	uint32_t flags;		/* SP_CTL_* */
	char dir[4096];		/* absolute, or empty for the default */
	uint32_t precopy;	/* passes while the program runs (--precopy) */
	uint32_t compress;	/* zstd level, 0: not compressed (--compress) */
};

/*
 * How far a checkpoint got, sent (at most every 200 ms) before the reply
 * when the request asked for it; told apart from the reply by its size.
 */
#define SP_PHASE_PRECOPY	1	/* copying while the program runs */
#define SP_PHASE_SAVE		2	/* the program is stopped */
#define SP_PHASE_COMMIT		3	/* making the generation durable */
struct sp_ctl_progress {
	uint32_t size;
	uint32_t phase;		/* SP_PHASE_* */
	uint32_t pass;		/* pre-copy pass, from 1 */
	uint32_t reserved;
	uint64_t done;		/* bytes of memory copied so far */
	uint64_t total;		/* memory the program has resident, or 0 */
};

struct sp_ctl_reply {
	int32_t status;		/* 0 or -errno */
	uint32_t brief;		/* only status and generation are known */
	uint64_t generation;
	uint64_t freeze_ns;	/* signalling until every thread stopped */
	uint64_t total_ns;	/* request until the generation was durable */
	uint64_t bytes;		/* size of the generation file */
	uint64_t parent;	/* generation it is incremental over, or 0 */
	uint64_t stopped_ns;	/* how long the program was stopped */
	uint64_t precopy_bytes;	/* copied while it ran (--precopy) */
	uint64_t stopped_bytes;	/* memory copied while it was stopped */
	uint32_t precopy;	/* pre-copy passes made */
	uint32_t reserved;
	char msg[4200];		/* the directory, or what failed */
};

/* memtrap.c */
int sp_memtrap_handler(void);
int sp_memtrap_install(void);

/* freeze.c: stopping and resuming upper-half threads. */
struct sp_thread {
	int tid;
	uint32_t flags;
	uint64_t fs_base;
	uint64_t frame;
	uint64_t robust_head;
	uint64_t robust_len;
	uint64_t rseq_area;
	uint32_t rseq_len;
	uint32_t rseq_sig;
};

#define SP_MAX_THREADS	4096

int sp_freeze_handler(void);
/* Stop every upper-half thread; fills @threads, returns their number. */
int sp_freeze(struct sp_thread *threads, int max, int timeout_ms);
void sp_thaw(void);
/* Is @tid a lower-half thread (never stopped)? */
int sp_lh_thread(int tid);
void sp_lh_thread_add(int tid);

/* ckpt.c */
struct sp_ckpt_ctx {
	const char *exe;	/* the program's path */
	int lh_fds[8];		/* descriptors of the lower half, -1 = none */
};
extern struct sp_ckpt_ctx sp_ckpt_ctx;
/*
 * Stop the upper half and write a generation into @dir; stores its number
 * in *@gen.  With @o->precopy, memory is first copied while the program
 * runs.  The upper half stays stopped unless @o->flags has SP_CKPT_THAW:
 * the caller calls sp_thaw() or ends the process.
 */
struct sp_ckpt_stats {
	uint64_t freeze_ns;	/* signalling until every thread stopped */
	uint64_t stopped_ns;	/* from then until the threads may go on */
	uint64_t bytes;
	uint64_t parent;
	uint64_t precopy_bytes;	/* copied while the program ran */
	uint64_t stopped_bytes;	/* memory copied while it was stopped */
	uint32_t precopy;	/* pre-copy passes made */
};
#define SP_CKPT_FULL	(1U << 0)	/* even when it could be incremental */
/* Let the threads go as soon as all is copied, before the commit. */
#define SP_CKPT_THAW	(1U << 1)
struct sp_ckpt_opts {
	unsigned int flags;	/* SP_CKPT_* */
	unsigned int precopy;	/* passes while the program runs */
	unsigned int compress;	/* zstd level; 0: off */
	/* Called now and then with how far it got (or NULL). */
	void (*progress)(void *arg, const struct sp_ctl_progress *p);
	void *progress_arg;
};
int sp_checkpoint(const char *dir, const struct sp_ckpt_opts *o, uint64_t *gen,
		  struct sp_ckpt_stats *st, char *msg, size_t msglen);

/*
 * The generation this process last wrote or was restarted from: the next
 * one can be incremental over it.  gen 0: none.
 */
/* Set the dirty-page tracker up if it is not (track.h). */
#include "track.h"
enum sp_tracker sp_tracker_start(void);

struct sp_lineage {
	char dir[4096];
	uint64_t gen;
	uint64_t created_ns;
};
extern struct sp_lineage sp_lineage;

/* ctl.c */
extern char sp_default_dir[4096];
/* Seconds between periodic checkpoints (--interval), 0 for none. */
extern unsigned int sp_ckpt_interval;
extern unsigned int sp_ckpt_precopy;	/* --precopy passes of those */
/* Serve requests; with sp_ckpt_interval, also checkpoint periodically. */
int sp_ctl_start(void);
struct sockaddr_un;
unsigned int sp_ctl_addr(int pid, struct sockaddr_un *sun);
int sp_ctl_request(int pid, const struct sp_ctl_request *req,
		   struct sp_ctl_reply *reply);
/* The same, handing progress messages (SP_CTL_PROGRESS) to @fn. */
typedef void (*sp_progress_fn)(void *arg, const struct sp_ctl_progress *p);
int sp_ctl_request_progress(int pid, const struct sp_ctl_request *req,
			    struct sp_ctl_reply *reply, sp_progress_fn fn, void *arg);

/* loader.c */
struct sp_prog {
	char path[4096];	/* resolved program path */
	char interp[4096];	/* its PT_INTERP */
};
int sp_prog_inspect(const char *name, struct sp_prog *prog, char *msg,
		    size_t msglen);
/* A "#!" script's interpreter and optional argument, or -ENOEXEC. */
int sp_prog_shebang(const char *path, char *interp, size_t ilen, char *arg,
		    size_t alen);
/* Load ld.so, build the stack, and return the entry and stack pointer. */
int sp_prog_prepare(const struct sp_prog *prog, char *const argv[],
		    char *const envp[], uint64_t *entry, uint64_t *sp);
__attribute__((noreturn)) void sp_jump(uint64_t entry, uint64_t sp);

/* restore.c */
typedef void (*sp_warn_fn)(const char *fmt, ...);
/*
 * Start generation @gen (0: newest) of @dir in this process; returns only
 * on failure, with a description in @msg.
 */
int sp_restore(const char *dir, uint64_t gen, sp_warn_fn warn, char *msg,
	       size_t msglen);

/* util.c */
#include <stdarg.h>
/* @path made absolute against the working directory. */
int sp_abspath(const char *path, char *out, size_t len);
/* A whole decimal number of at most @max, all of @s: 0 or -EINVAL. */
int sp_parse_count(const char *s, unsigned long max, unsigned long *out);
/* Install a runtime handler: SA_SIGINFO, every other signal blocked. */
int sp_handle(int sig, void (*fn)(int, siginfo_t *, void *));
/* Format "what: strerror(-r)" into @msg; returns @r. */
int sp_explain(char *msg, size_t len, int r, const char *fmt, va_list ap);

/* ctl.c */
int sp_mkdir_p(const char *path);
int sp_fd_high(int fd);

#endif /* SP_RUNTIME_H */

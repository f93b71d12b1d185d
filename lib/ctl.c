// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The control channel: a lower-half thread serves checkpoint requests on the
 * abstract unix socket "splitckpt/ctl/<pid>" (no file to clean up; scoped to
 * the network namespace).  Only the same user or root may ask.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stddef.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "runtime.h"

char sp_default_dir[4096];
unsigned int sp_ckpt_interval;
unsigned int sp_ckpt_precopy;
static int listen_fd = -1;
/* One checkpoint at a time: requests and the periodic ones. */
static pthread_mutex_t ckpt_lock = PTHREAD_MUTEX_INITIALIZER;

/* Lower-half descriptors live high, out of the way of the upper half's. */
int sp_fd_high(int fd)
{
	struct rlimit rl;
	long base = 1000;
	int n;

	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur != RLIM_INFINITY &&
	    (long)rl.rlim_cur - 32 < base)
		base = (long)rl.rlim_cur - 32 > 16 ? (long)rl.rlim_cur - 32 : 16;
	n = fcntl(fd, F_DUPFD_CLOEXEC, base);
	if (n < 0)
		return fd;
	close(fd);
	return n;
}

/* Progress never holds the checkpoint up: dropped when the socket is full. */
static void send_progress(void *arg, const struct sp_ctl_progress *p)
{
	send(*(int *)arg, p, sizeof(*p), MSG_NOSIGNAL | MSG_DONTWAIT);
}

static void serve(int c)
{
	struct sp_ctl_request req;
	struct sp_ctl_reply rep;
	struct sp_ckpt_stats st = { 0 };
	struct sp_ckpt_opts opts = { 0 };
	struct timespec t0, t1;
	struct ucred cred;
	socklen_t clen = sizeof(cred);
	const char *dir;
	ssize_t n;

	memset(&rep, 0, sizeof(rep));
	if (getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cred, &clen) ||
	    (cred.uid != 0 && cred.uid != getuid())) {
		rep.status = -EPERM;
		snprintf(rep.msg, sizeof(rep.msg), "only the owner or root may checkpoint");
		goto reply;
	}
	memset(&req, 0, sizeof(req));
	n = recv(c, &req, sizeof(req), 0);
	if (n != sizeof(req) || req.size != sizeof(req) ||
	    (req.flags & ~SP_CTL_FLAGS) || req.precopy > SP_PRECOPY_MAX ||
	    req.compress > SP_COMPRESS_MAX || memchr(req.dir, 0, sizeof(req.dir)) == NULL ||
	    (req.dir[0] && req.dir[0] != '/')) {
		rep.status = -EINVAL;
		snprintf(rep.msg, sizeof(rep.msg), "malformed request");
		goto reply;
	}
	dir = req.dir[0] ? req.dir : sp_default_dir;
	pthread_mutex_lock(&ckpt_lock);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	opts.flags = req.flags & SP_CTL_FULL ? SP_CKPT_FULL : 0;
	if (!(req.flags & SP_CTL_KILL))
		opts.flags |= SP_CKPT_THAW;
	opts.precopy = req.precopy;
	opts.compress = req.compress;
	if (req.flags & SP_CTL_PROGRESS) {
		opts.progress = send_progress;
		opts.progress_arg = &c;
	}
	rep.status = sp_checkpoint(dir, &opts, &rep.generation, &st, rep.msg,
				   sizeof(rep.msg));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (!rep.status) {
		snprintf(rep.msg, sizeof(rep.msg), "%s", dir);
		rep.freeze_ns = st.freeze_ns;
		rep.stopped_ns = st.stopped_ns;
		rep.precopy = st.precopy;
		rep.precopy_bytes = st.precopy_bytes;
		rep.stopped_bytes = st.stopped_bytes;
		rep.bytes = st.bytes;
		rep.parent = st.parent;
		rep.total_ns = (t1.tv_sec - t0.tv_sec) * 1000000000ULL +
			       t1.tv_nsec - t0.tv_nsec;
	}
	if (!rep.status && (req.flags & SP_CTL_KILL)) {
		/* Never run again after the image: the restart continues. */
		send(c, &rep, sizeof(rep), MSG_NOSIGNAL);
		kill(getpid(), SIGKILL);
		for (;;)
			pause();
	}
	sp_thaw();
	pthread_mutex_unlock(&ckpt_lock);
reply:
	send(c, &rep, sizeof(rep), MSG_NOSIGNAL);
}

/* --interval: a generation every sp_ckpt_interval seconds, in the default directory. */
static void *interval_main(void *arg)
{
	const struct sp_ckpt_opts opts = {
		.flags = SP_CKPT_THAW,
		.precopy = sp_ckpt_precopy,
	};
	struct sp_ckpt_stats st;
	char msg[1024];
	uint64_t gen;
	int r;

	sp_lh_thread_add(gettid());
	__atomic_store_n((int *)arg, 1, __ATOMIC_RELEASE);
	for (;;) {
		struct timespec ts = { .tv_sec = sp_ckpt_interval };

		while (clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &ts) == EINTR)
			;
		memset(&st, 0, sizeof(st));
		msg[0] = '\0';
		pthread_mutex_lock(&ckpt_lock);
		r = sp_checkpoint(sp_default_dir, &opts, &gen, &st, msg, sizeof(msg));
		sp_thaw();
		pthread_mutex_unlock(&ckpt_lock);
		/* The program's stderr is the only place to say so. */
		if (r)
			dprintf(2, "splitckpt-run: periodic checkpoint into %s failed: %s\n",
				sp_default_dir, msg[0] ? msg : strerror(-r));
	}
	return NULL;
}

static int start_thread(void *(*fn)(void *))
{
	sigset_t all, old;
	pthread_t th;
	int r, ready = 0;

	/* The thread must never take a signal meant for the program. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = -pthread_create(&th, NULL, fn, &ready);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r)
		return r;
	pthread_detach(th);
	/* Its tid must be known before the first freeze. */
	while (!__atomic_load_n(&ready, __ATOMIC_ACQUIRE))
		sched_yield();
	return 0;
}

static void *ctl_main(void *arg)
{
	(void)arg;
	for (;;) {
		int c = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);

		if (c < 0)
			continue;
		c = sp_fd_high(c);
		sp_ckpt_ctx.lh_fds[1] = c;
		serve(c);
		sp_ckpt_ctx.lh_fds[1] = -1;
		close(c);
	}
	return NULL;
}

static void *ctl_boot(void *arg)
{
	sp_lh_thread_add(gettid());
	__atomic_store_n((int *)arg, 1, __ATOMIC_RELEASE);
	return ctl_main(NULL);
}

int sp_ctl_start(void)
{
	struct sockaddr_un sun;
	socklen_t len = sp_ctl_addr(getpid(), &sun);
	int fd, r;

	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sun, len) || listen(fd, 8)) {
		r = -errno;
		close(fd);
		return r;
	}
	listen_fd = sp_fd_high(fd);
	sp_ckpt_ctx.lh_fds[0] = listen_fd;
	r = start_thread(ctl_boot);
	if (!r && sp_ckpt_interval)
		r = start_thread(interval_main);
	return r;
}

int sp_mkdir_p(const char *path)
{
	char buf[4096];
	size_t i, n = strlen(path);

	if (n == 0 || n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, path, n + 1);
	for (i = 1; i <= n; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, 0700) && errno != EEXIST)
			return -errno;
		buf[i] = path[i];
	}
	return 0;
}

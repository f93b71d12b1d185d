// SPDX-License-Identifier: GPL-2.0
/*
 * The agent's socket and its one event loop.  The main thread polls the
 * listening socket, a signalfd (SIGTERM, SIGINT, SIGHUP) and an eventfd the
 * request threads bump when they finish; it pings the systemd watchdog.
 * Each accepted connection gets its own thread, at most MaxConcurrent at
 * once: at the limit the socket is not polled, so further clients wait in
 * the listen backlog.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <systemd/sd-daemon.h>

#include "daemon.h"
#include "splitckpt.h"

static dev_t sock_dev;
static ino_t sock_ino;

/* A socket file left by an agent that was killed is replaced; a live one is not. */
static int clear_stale(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, r;

	if (lstat(path, &st))
		return errno == ENOENT ? 0 : log_error_errno(-errno, "%s: %m", path);
	if (!S_ISSOCK(st.st_mode))
		return log_error_errno(-EEXIST, "%s exists and is not a socket", path);
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return log_error_errno(-errno, "socket: %m");
	r = connect(fd, (struct sockaddr *)&sun, sizeof(sun)) ? -errno : 0;
	close(fd);
	if (!r)
		return log_error_errno(-EADDRINUSE, "another agent is listening on %s", path);
	if (r != -ECONNREFUSED)
		return log_error_errno(r, "%s: %m", path);
	log_notice("removing the stale socket %s", path);
	if (unlink(path) && errno != ENOENT)
		return log_error_errno(-errno, "removing %s: %m", path);
	return 0;
}

static int listen_on(const struct agent_config *cfg)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct stat st;
	mode_t old;
	int fd, r;

	r = clear_stale(cfg->socket);
	if (r)
		return r;
	strcpy(sun.sun_path, cfg->socket);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return log_error_errno(-errno, "socket: %m");
	/* Created with the configured mode, never wider for a moment. */
	old = umask(~cfg->socket_mode & 0777);
	r = bind(fd, (struct sockaddr *)&sun, sizeof(sun)) ? -errno : 0;
	umask(old);
	if (!r && listen(fd, 64))
		r = -errno;
	if (!r && stat(cfg->socket, &st))
		r = -errno;
	if (r) {
		close(fd);
		return log_error_errno(r, "listening on %s: %m", cfg->socket);
	}
	sock_dev = st.st_dev;
	sock_ino = st.st_ino;
	return fd;
}

/*
 * With the module loaded, also serve the requests that come through
 * /dev/splitckpt ("splitckpt checkpoint" prefers that path).  Without it,
 * or when another agent has it, the socket alone.
 */
static void device_init(struct server *s)
{
	int fd = open("/dev/" SPLITCKPT_DEVICE_NAME, O_RDWR | O_NONBLOCK | O_CLOEXEC), r;

	if (fd < 0) {
		log_info("no /dev/%s (%m): requests through the socket only",
			 SPLITCKPT_DEVICE_NAME);
		return;
	}
	r = sp_kmod_agent_register(fd);
	if (r) {
		log_warning_errno(r, "/dev/%s: cannot be its agent: %m", SPLITCKPT_DEVICE_NAME);
		close(fd);
		return;
	}
	s->dev_fd = fd;
	log_info("the agent of /dev/%s", SPLITCKPT_DEVICE_NAME);
}

int server_init(struct server *s, const struct agent_config *cfg)
{
	sigset_t mask;

	memset(s, 0, sizeof(*s));
	s->cfg = cfg;
	s->listen_fd = s->signal_fd = s->done_fd = s->dev_fd = -1;
	/* Blocked before any thread starts: only the signalfd sees them. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &mask, NULL);
	sigdelset(&mask, SIGPIPE);
	s->signal_fd = signalfd(-1, &mask, SFD_CLOEXEC);
	s->done_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->signal_fd < 0 || s->done_fd < 0)
		return log_error_errno(-errno, "signalfd/eventfd: %m");
	s->listen_fd = listen_on(cfg);
	if (s->listen_fd < 0)
		return s->listen_fd;
	log_info("listening on %s (mode %04o), at most %u requests at once",
		 cfg->socket, cfg->socket_mode, cfg->max_concurrent);
	device_init(s);
	return 0;
}

struct job {
	struct server *s;
	int fd;			/* a client, or -1 for a device request */
	struct sp_kmod_req req;
};

static void *request_thread(void *arg)
{
	struct job *j = arg;
	struct server *s = j->s;
	uint64_t one = 1;
	int r;

	if (j->fd >= 0)
		r = request_serve(s->cfg, j->fd);
	else
		r = request_serve_device(s->cfg, s->dev_fd, &j->req);
	if (r)
		__atomic_add_fetch(&s->failed, 1, __ATOMIC_RELAXED);
	else
		__atomic_add_fetch(&s->served, 1, __ATOMIC_RELAXED);
	if (j->fd >= 0)
		close(j->fd);
	free(j);
	__atomic_sub_fetch(&s->active, 1, __ATOMIC_RELEASE);
	if (write(s->done_fd, &one, sizeof(one)) != sizeof(one))
		log_error_errno(-errno, "eventfd: %m");
	return NULL;
}

static void start_request(struct server *s, int fd, const struct sp_kmod_req *req)
{
	struct job *j = malloc(sizeof(*j));
	pthread_attr_t attr;
	pthread_t th;
	int r;

	if (!j) {
		log_error_errno(-ENOMEM, "request: %m");
		close(fd);
		return;
	}
	j->s = s;
	j->fd = fd;
	if (req)
		j->req = *req;
	__atomic_add_fetch(&s->active, 1, __ATOMIC_ACQUIRE);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	r = -pthread_create(&th, &attr, request_thread, j);
	pthread_attr_destroy(&attr);
	if (r) {
		log_error_errno(r, "starting a request thread: %m");
		__atomic_sub_fetch(&s->active, 1, __ATOMIC_RELEASE);
		if (fd >= 0)
			close(fd);
		else
			sp_kmod_agent_complete(s->dev_fd, req->id, r, 0);
		free(j);
	}
}

static uint64_t now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000ULL + ts.tv_nsec / 1000;
}

static void notify_status(struct server *s, const char *state)
{
	sd_notifyf(0, "STATUS=%s: %lu requests served, %lu failed, %u in flight",
		   state, __atomic_load_n(&s->served, __ATOMIC_RELAXED),
		   __atomic_load_n(&s->failed, __ATOMIC_RELAXED),
		   __atomic_load_n(&s->active, __ATOMIC_ACQUIRE));
}

/* Returns 1 when the signal asks the agent to stop. */
static int on_signal(struct server *s)
{
	struct signalfd_siginfo si;

	if (read(s->signal_fd, &si, sizeof(si)) != sizeof(si))
		return 0;
	if (si.ssi_signo == SIGHUP) {
		log_notice("SIGHUP: the configuration is only read at start-up; restart the agent to apply changes");
		return 0;
	}
	log_info("%s: stopping", strsignal(si.ssi_signo));
	return 1;
}

static void stop_listening(struct server *s)
{
	struct stat st;

	close(s->listen_fd);
	s->listen_fd = -1;
	/* Only our own socket: another agent may have replaced it. */
	if (!stat(s->cfg->socket, &st) && st.st_dev == sock_dev && st.st_ino == sock_ino)
		unlink(s->cfg->socket);
}

int server_run(struct server *s)
{
	uint64_t wd = 0, next = 0, t, n;
	struct pollfd pfd[4];
	int stopping = 0, timeout;

	if (sd_watchdog_enabled(0, &wd) > 0) {
		log_debug("watchdog every %llu ms", (unsigned long long)wd / 2000);
		wd /= 2;
	}
	notify_status(s, "Ready");
	while (!stopping || __atomic_load_n(&s->active, __ATOMIC_ACQUIRE)) {
		t = now_usec();
		if (wd && t >= next) {
			sd_notify(0, "WATCHDOG=1");
			next = t + wd;
		}
		timeout = wd ? (int)((next - t + 999) / 1000) : -1;
		pfd[0] = (struct pollfd){ .fd = s->signal_fd, .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = s->done_fd, .events = POLLIN };
		pfd[2] = (struct pollfd){ .fd = -1 };
		pfd[3] = (struct pollfd){ .fd = -1 };
		if (!stopping && __atomic_load_n(&s->active, __ATOMIC_ACQUIRE) <
				 s->cfg->max_concurrent) {
			pfd[2] = (struct pollfd){ .fd = s->listen_fd, .events = POLLIN };
			pfd[3] = (struct pollfd){ .fd = s->dev_fd, .events = POLLIN };
		}
		if (poll(pfd, 4, timeout) < 0) {
			if (errno == EINTR)
				continue;
			return log_error_errno(-errno, "poll: %m");
		}
		if ((pfd[0].revents & POLLIN) && on_signal(s) && !stopping) {
			stopping = 1;
			stop_listening(s);
			sd_notifyf(0, "STOPPING=1\nSTATUS=Stopping: waiting for %u requests",
				   __atomic_load_n(&s->active, __ATOMIC_ACQUIRE));
			continue;
		}
		if ((pfd[1].revents & POLLIN) && read(s->done_fd, &n, sizeof(n)) == sizeof(n))
			notify_status(s, stopping ? "Stopping" : "Ready");
		if (pfd[2].revents & POLLIN) {
			int c = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC);

			if (c >= 0)
				start_request(s, c, NULL);
			else if (errno != EAGAIN && errno != ECONNABORTED && errno != EINTR)
				log_warning_errno(-errno, "accept: %m");
		}
		if (pfd[3].revents & POLLIN) {
			struct sp_kmod_req req;
			int r = sp_kmod_agent_next(s->dev_fd, &req);

			if (!r)
				start_request(s, -1, &req);
			else if (r != -EAGAIN && r != -EINTR)
				log_warning_errno(r, "/dev/%s: taking a request: %m",
						  SPLITCKPT_DEVICE_NAME);
		}
	}
	return 0;
}

void server_done(struct server *s)
{
	if (s->listen_fd >= 0)
		stop_listening(s);
	if (s->signal_fd >= 0)
		close(s->signal_fd);
	if (s->done_fd >= 0)
		close(s->done_fd);
	/* Closing it ends the agent's role: requesters get ESHUTDOWN. */
	if (s->dev_fd >= 0)
		close(s->dev_fd);
}

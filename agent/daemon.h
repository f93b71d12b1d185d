/* SPDX-License-Identifier: GPL-2.0 */
/* splitckptd, the agent: its configuration, log, server and sandbox. */
#ifndef SP_DAEMON_H
#define SP_DAEMON_H

#include <limits.h>
#include <stdio.h>
#include <syslog.h>
#include <sys/un.h>

#define AGENT_CONFIG	"/etc/splitckpt/splitckptd.conf"
#define EXIT_CONFIG	78	/* the configuration is invalid (sysexits.h) */

/* config.c: one [Agent] section; see etc/splitckptd.conf for every key. */
enum seccomp_mode {
	SECCOMP_KILL,		/* a syscall outside the allowlist kills */
	SECCOMP_LOG,		/* ... is allowed and logged by the kernel */
};

struct agent_config {
	char socket[sizeof(((struct sockaddr_un *)0)->sun_path)];
	unsigned int socket_mode;
	char image_root[PATH_MAX];
	int log_level;			/* LOG_ERR .. LOG_DEBUG */
	unsigned int max_concurrent;
	unsigned int request_timeout;	/* seconds */
	enum seccomp_mode seccomp;
};

void config_defaults(struct agent_config *cfg);
/*
 * Read @path, then every @path.d/\*.conf in lexical order, over the
 * defaults.  A missing @path is fine unless @must_exist.  Logs what is wrong
 * as "FILE:LINE: ..." and returns -EINVAL.
 */
int config_load(struct agent_config *cfg, const char *path, int must_exist);
void config_dump(FILE *f, const struct agent_config *cfg);

/* log.c: one line per message, "<N>" prefixed when stderr is the journal. */
void log_open(void);
void log_set_max_level(int level);
int log_level_parse(const char *s);
const char *log_level_name(int level);
/* Returns @err (0 or -errno); "%m" in @fmt stands for strerror(-@err). */
int log_full_errno(int level, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define log_error_errno(r, ...)		log_full_errno(LOG_ERR, r, __VA_ARGS__)
#define log_warning_errno(r, ...)	log_full_errno(LOG_WARNING, r, __VA_ARGS__)
#define log_error(...)			log_full_errno(LOG_ERR, 0, __VA_ARGS__)
#define log_warning(...)		log_full_errno(LOG_WARNING, 0, __VA_ARGS__)
#define log_notice(...)			log_full_errno(LOG_NOTICE, 0, __VA_ARGS__)
#define log_info(...)			log_full_errno(LOG_INFO, 0, __VA_ARGS__)
#define log_debug(...)			log_full_errno(LOG_DEBUG, 0, __VA_ARGS__)

/* server.c: the listening socket and the event loop. */
struct server {
	const struct agent_config *cfg;
	int listen_fd;
	int dev_fd;		/* /dev/splitckpt as the agent, or -1 */
	int signal_fd;
	int done_fd;		/* eventfd: a request finished */
	unsigned int active;	/* requests in flight (atomic) */
	unsigned long served;	/* (atomic) */
	unsigned long failed;	/* (atomic) */
};

int server_init(struct server *s, const struct agent_config *cfg);
/* Serve until SIGTERM or SIGINT; then wait for requests in flight. */
int server_run(struct server *s);
void server_done(struct server *s);

/* request.c: one connection, one request, one reply.  Returns its status. */
int request_serve(const struct agent_config *cfg, int fd);
struct sp_kmod_req;
/* A request from /dev/splitckpt: the same checks and forwarding. */
int request_serve_device(const struct agent_config *cfg, int dev_fd,
			 const struct sp_kmod_req *req);

/* sandbox.c: the seccomp allowlist, for this process and its threads. */
int sandbox_apply(enum seccomp_mode mode);

#endif /* SP_DAEMON_H */

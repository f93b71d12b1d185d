// SPDX-License-Identifier: GPL-2.0
/*
 * One agent request: who asks (SO_PEERCRED), whose process it is
 * (/proc/PID/status), then the runtime request forwarded unchanged to the
 * process's control socket and its reply relayed.
 *
 * The requester must be root or own the target: its uid equals the
 * target's real, effective and saved uid.  A pidfd, opened before the
 * owner is read and checked after the control socket is reached, makes
 * sure all of it concerns one process even if the pid is reused meanwhile;
 * the control socket must also have been bound by that process, since any
 * process may bind an abstract name.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>

#include "agent.h"
#include "daemon.h"
#include "splitckpt.h"

#define CLIENT_TIMEOUT	5	/* seconds to send the request, or read the reply */

struct target {
	int pid;
	int pidfd;
	uid_t uid[3];		/* real, effective, saved */
	gid_t gid;
};

static int explain(struct sp_ctl_reply *rep, int r, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int explain(struct sp_ctl_reply *rep, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	rep->status = sp_explain(rep->msg, sizeof(rep->msg), r, fmt, ap);
	va_end(ap);
	return r;
}

static int set_timeout(int fd, unsigned int sec)
{
	struct timeval tv = { .tv_sec = sec };

	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)))
		return -errno;
	return 0;
}

static int read_owner(struct target *t)
{
	char path[64], line[256];
	unsigned int u[3], g;
	int have = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", t->pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "Uid: %u %u %u", &u[0], &u[1], &u[2]) == 3)
			have |= 1;
		else if (sscanf(line, "Gid: %u", &g) == 1)
			have |= 2;
	}
	fclose(f);
	if (have != 3)
		return -EPROTO;
	memcpy(t->uid, u, sizeof(u));
	t->gid = g;
	return 0;
}

static int alive(const struct target *t)
{
	return syscall(SYS_pidfd_send_signal, t->pidfd, 0, NULL, 0) ? -errno : 0;
}

/* Fills @t; replies -ESRCH or -EPERM when it must go no further. */
static int check_target(const struct ucred *who, struct target *t,
			struct sp_ctl_reply *rep)
{
	int r;

	t->pidfd = syscall(SYS_pidfd_open, t->pid, 0);
	if (t->pidfd < 0)
		return explain(rep, -errno, "looking for the process");
	r = read_owner(t);
	if (!r)
		r = alive(t);
	if (r == -ENOENT)
		r = -ESRCH;
	if (r)
		return explain(rep, r, "reading its owner");
	if (who->uid != 0 &&
	    (t->uid[0] != who->uid || t->uid[1] != who->uid || t->uid[2] != who->uid))
		return explain(rep, -EPERM, "only its owner (uid %u) or root may checkpoint it, not uid %u",
			       t->uid[0], who->uid);
	return 0;
}

/*
 * IMAGE_ROOT/UID/ is made on demand, owned by UID, for the owner's
 * images; nothing else under the image root may be asked for.
 */
static int image_root_prepare(const struct agent_config *cfg, const struct target *t,
			      const char *dir, struct sp_ctl_reply *rep)
{
	size_t n = strlen(cfg->image_root), w;
	const char *rest = dir + n;
	char want[16];
	struct stat st;
	int rootfd, fd, r = 0;

	if (strncmp(dir, cfg->image_root, n) || (n > 1 && *rest && *rest != '/'))
		return 0;
	if (n > 1 && *rest)
		rest++;
	w = (size_t)snprintf(want, sizeof(want), "%u", t->uid[0]);
	if (strncmp(rest, want, w) || (rest[w] && rest[w] != '/') ||
	    strstr(rest, "/../") || (strlen(rest) >= 3 && !strcmp(rest + strlen(rest) - 3, "/..")))
		return explain(rep, -EPERM, "under %s, this process may only use %s/%s/",
			       cfg->image_root, n > 1 ? cfg->image_root : "", want);
	rootfd = open(cfg->image_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return explain(rep, -errno, "image root %s", cfg->image_root);
	if (mkdirat(rootfd, want, 0700) == 0) {
		fd = openat(rootfd, want, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 || fchown(fd, t->uid[0], t->gid))
			r = explain(rep, -errno, "giving %s/%s to uid %u", cfg->image_root,
				    want, t->uid[0]);
		else
			log_info("made %s/%s for uid %u", cfg->image_root, want, t->uid[0]);
	} else if (errno == EEXIST) {
		fd = openat(rootfd, want, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &st))
			r = explain(rep, -errno, "%s/%s", cfg->image_root, want);
		else if (st.st_uid != t->uid[0])
			r = explain(rep, -EPERM, "%s/%s is owned by uid %u, not %u",
				    cfg->image_root, want, st.st_uid, t->uid[0]);
	} else {
		fd = -1;
		r = explain(rep, -errno, "making %s/%s", cfg->image_root, want);
	}
	if (fd >= 0)
		close(fd);
	close(rootfd);
	return r;
}

/* The runtime's side: sp_ctl_request() with a timeout and an owner check. */
static int forward(const struct agent_config *cfg, const struct target *t,
		   const struct sp_ctl_request *req, struct sp_ctl_reply *rep)
{
	struct sp_ctl_request fwd;
	struct sockaddr_un sun;
	socklen_t len = sp_ctl_addr(t->pid, &sun), clen;
	struct ucred cred;
	ssize_t n;
	int fd, r;

	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return explain(rep, -errno, "socket");
	clen = sizeof(cred);
	if (connect(fd, (struct sockaddr *)&sun, len)) {
		r = -errno;
		if (r == -ECONNREFUSED)
			explain(rep, r, "not running under splitckpt-run (no control socket)");
		else
			explain(rep, r, "connecting to its control socket");
		goto out;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) || alive(t)) {
		r = explain(rep, -ESRCH, "the process ended");
		goto out;
	}
	if (cred.pid != t->pid || cred.uid != t->uid[0]) {
		r = explain(rep, -EPERM, "its control socket belongs to process %d (uid %u)",
			    cred.pid, cred.uid);
		goto out;
	}
	r = set_timeout(fd, cfg->request_timeout);
	if (r) {
		explain(rep, r, "setting the timeout");
		goto out;
	}
	/* Progress is not relayed: the program sends only the reply. */
	fwd = *req;
	fwd.flags &= ~SP_CTL_PROGRESS;
	if (send(fd, &fwd, sizeof(fwd), MSG_NOSIGNAL) != sizeof(fwd)) {
		r = explain(rep, -errno, "sending the request");
		goto out;
	}
	n = recv(fd, rep, sizeof(*rep), MSG_TRUNC);
	if (n == sizeof(*rep)) {
		r = rep->status;
		goto out;
	}
	r = n < 0 ? -errno : -EPROTO;
	memset(rep, 0, sizeof(*rep));
	if (r == -EAGAIN)
		explain(rep, -ETIMEDOUT, "no reply within %u s", cfg->request_timeout);
	else
		explain(rep, r, "reading the reply");
	r = rep->status;
out:
	close(fd);
	return r;
}

static int valid(const struct sp_agent_request *req, ssize_t n)
{
	const struct sp_ctl_request *ctl = &req->ctl;

	return n == sizeof(*req) && req->size == sizeof(*req) && !req->flags &&
	       !req->reserved && req->pid > 0 && ctl->size == sizeof(*ctl) &&
	       memchr(ctl->dir, 0, sizeof(ctl->dir)) &&
	       (!ctl->dir[0] || ctl->dir[0] == '/');
}

static void log_outcome(const struct ucred *who, const struct sp_agent_request *req,
			const struct sp_agent_reply *rep)
{
	const struct sp_ctl_reply *c = &rep->ctl;

	if (c->status)
		log_notice("uid %u, pid %d: refused or failed: %s", who->uid, req->pid,
			   c->msg);
	else
		log_info("uid %u, pid %d: generation %llu in %s, %.1f MiB in %.3f s",
			 who->uid, req->pid, (unsigned long long)c->generation, c->msg,
			 c->bytes / 1048576.0, c->total_ns / 1e9);
}

/*
 * The kernel checked that the requester may ptrace the target; the owner
 * rule above is applied again to its uid (so root, or the owner).
 */
int request_serve_device(const struct agent_config *cfg, int dev_fd,
			 const struct sp_kmod_req *kreq)
{
	struct sp_ctl_request *req = calloc(1, sizeof(*req));
	struct sp_ctl_reply *rep = calloc(1, sizeof(*rep));
	struct target t = { .pid = kreq->pid, .pidfd = -1 };
	struct ucred who = { .uid = kreq->uid };
	int r, c;

	if (!req || !rep) {
		r = -ENOMEM;
		goto out;
	}
	req->size = sizeof(*req);
	req->flags = kreq->flags & SPLITCKPT_REQ_FULL ? SP_CTL_FULL : 0;
	snprintf(req->dir, sizeof(req->dir), "%s", kreq->dir);
	r = -EINVAL;
	if (req->dir[0] && req->dir[0] != '/')
		explain(rep, r, "the image directory must be an absolute path");
	else if (!t.pid)
		r = explain(rep, -ESRCH, "the process ended");
	else
		r = check_target(&who, &t, rep);
	if (!r)
		r = image_root_prepare(cfg, &t, req->dir, rep);
	if (!r)
		r = forward(cfg, &t, req, rep);
	if (rep->status)
		log_notice("/dev/%s: uid %u, pid %d: refused or failed: %s",
			   SPLITCKPT_DEVICE_NAME, who.uid, t.pid, rep->msg);
	else
		log_info("/dev/%s: uid %u, pid %d: generation %llu in %s",
			 SPLITCKPT_DEVICE_NAME, who.uid, t.pid,
			 (unsigned long long)rep->generation, rep->msg);
out:
	if (rep)
		r = rep->status;
	c = sp_kmod_agent_complete(dev_fd, kreq->id, r, rep ? rep->generation : 0);
	if (c && c != -ENOENT)	/* ENOENT: the requester gave up */
		log_warning_errno(c, "/dev/%s: reporting request %llu: %m",
				  SPLITCKPT_DEVICE_NAME, (unsigned long long)kreq->id);
	if (t.pidfd >= 0)
		close(t.pidfd);
	free(req);
	free(rep);
	return r ? r : c;
}

int request_serve(const struct agent_config *cfg, int fd)
{
	struct sp_agent_request *req;
	struct sp_agent_reply *rep;
	struct target t = { .pidfd = -1 };
	struct ucred who;
	socklen_t len = sizeof(who);
	ssize_t n;
	int r;

	req = calloc(1, sizeof(*req));
	rep = calloc(1, sizeof(*rep));
	if (!req || !rep) {
		r = log_error_errno(-ENOMEM, "request: %m");
		goto out;
	}
	rep->size = sizeof(*rep);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &who, &len)) {
		r = log_error_errno(-errno, "request: SO_PEERCRED: %m");
		goto out;
	}
	/* Clients send at once: one that does not cannot hold a slot for long. */
	r = set_timeout(fd, cfg->request_timeout < CLIENT_TIMEOUT ?
			cfg->request_timeout : CLIENT_TIMEOUT);
	if (r) {
		log_error_errno(r, "request: setting the timeout: %m");
		goto out;
	}
	/* MSG_TRUNC: the length sent, so a longer request is not taken for ours. */
	n = recv(fd, req, sizeof(*req), MSG_TRUNC);
	if (n != sizeof(*req)) {
		r = explain(&rep->ctl, -EINVAL,
			    "an agent request of %zd bytes, this agent takes %u (versions differ?)",
			    n, (unsigned int)sizeof(*req));
		log_notice("uid %u (client pid %d): %s", who.uid, who.pid, rep->ctl.msg);
		goto reply;
	}
	if (!valid(req, n)) {
		r = explain(&rep->ctl, -EINVAL, "malformed agent request");
		log_notice("uid %u (client pid %d): %s", who.uid, who.pid, rep->ctl.msg);
		goto reply;
	}
	t.pid = req->pid;
	r = check_target(&who, &t, &rep->ctl);
	if (!r)
		r = image_root_prepare(cfg, &t, req->ctl.dir, &rep->ctl);
	if (!r)
		r = forward(cfg, &t, &req->ctl, &rep->ctl);
	log_outcome(&who, req, rep);
reply:
	if (send(fd, rep, sizeof(*rep), MSG_NOSIGNAL) != sizeof(*rep))
		log_full_errno(LOG_NOTICE, -errno, "uid %u: sending the reply: %m", who.uid);
out:
	if (t.pidfd >= 0)
		close(t.pidfd);
	free(req);
	free(rep);
	return r;
}

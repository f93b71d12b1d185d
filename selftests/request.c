// SPDX-License-Identifier: GPL-2.0
/*
 * Description: the checkpoint request channel: a requester queues a request
 * and waits, the agent takes it (poll + AGENT_NEXT) and completes it with a
 * status and a generation; permissions (agent needs a capability, requests
 * need ptrace-like rights), the agent going away, requesters giving up, and
 * the exact errno of every refusal.  Agent tests need root and are skipped
 * as nobody; the permission tests run as both.
 */
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "splitckpt.h"
#include "splitckpt_test.h"

#define DIR_A	"/var/lib/splitckpt/job-42"

static int open_dev(void)
{
	return open(SPLITCKPT_DEV, O_RDWR | O_CLOEXEC);
}

static void req_init(struct splitckpt_request *r, pid_t pid, const char *dir)
{
	memset(r, POISON_BYTE, sizeof(*r));
	r->size = sizeof(*r);
	r->flags = 0;
	r->pid = pid;
	r->timeout_ms = 0;
	r->dir = (uintptr_t)dir;
	r->dir_len = dir ? strlen(dir) : 0;
	memset(r->reserved, 0, sizeof(r->reserved));
}

static void next_init(struct splitckpt_agent_next *n, char *buf, __u32 room,
		      __u32 flags)
{
	memset(n, POISON_BYTE, sizeof(*n));
	n->size = sizeof(*n);
	n->flags = flags;
	n->dir = (uintptr_t)buf;
	n->dir_len = room;
	memset(n->reserved, 0, sizeof(n->reserved));
}

static int register_agent(int fd)
{
	struct splitckpt_agent_register r = { .size = sizeof(r) };

	return sc_ioctl(fd, SPLITCKPT_IOC_AGENT_REGISTER, &r);
}

static int complete(int fd, __u64 id, int status, __u64 gen)
{
	struct splitckpt_agent_complete c = {
		.size = sizeof(c), .id = id, .status = status, .generation = gen,
	};

	return sc_ioctl(fd, SPLITCKPT_IOC_AGENT_COMPLETE, &c);
}

/* A requester running in a thread, so that the test can play the agent. */
struct requester {
	pthread_t thread;
	int fd;
	struct splitckpt_request r;
	int ret;
};

static void *requester_main(void *arg)
{
	struct requester *q = arg;

	q->ret = sc_ioctl(q->fd, SPLITCKPT_IOC_REQUEST, &q->r);
	return NULL;
}

static void requester_start(struct requester *q, pid_t pid, const char *dir,
			    __u32 flags, __u32 timeout_ms)
{
	q->fd = open_dev();
	req_init(&q->r, pid, dir);
	q->r.flags = flags;
	q->r.timeout_ms = timeout_ms;
	pthread_create(&q->thread, NULL, requester_main, q);
}

static void requester_join(struct requester *q)
{
	pthread_join(q->thread, NULL);
	close(q->fd);
}

/* Waits until the agent's file reports a queued request. */
static int wait_readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 10000) == 1 && (p.revents & POLLIN);
}

FIXTURE(agent)
{
	int fd;
};

FIXTURE_SETUP(agent)
{
	self->fd = open_dev();
	if (self->fd < 0)
		SKIP(return, "%s: %s", SPLITCKPT_DEV, strerror(errno));
	if (geteuid() != 0)
		SKIP(return, "the agent needs CAP_SYS_ADMIN");
	ASSERT_EQ(0, register_agent(self->fd));
}

FIXTURE_TEARDOWN(agent)
{
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F(agent, round_trip)
{
	struct splitckpt_agent_next n;
	struct requester q;
	char dir[256];
	__u64 id;

	next_init(&n, dir, sizeof(dir), SPLITCKPT_NEXT_NONBLOCK);
	EXPECT_EQ(-EAGAIN, sc_ioctl(self->fd, SPLITCKPT_IOC_AGENT_NEXT, &n));

	requester_start(&q, getpid(), DIR_A, SPLITCKPT_REQ_FULL, 0);
	ASSERT_TRUE(wait_readable(self->fd));
	memset(dir, POISON_BYTE, sizeof(dir));
	next_init(&n, dir, sizeof(dir), 0);
	ASSERT_EQ(0, sc_ioctl(self->fd, SPLITCKPT_IOC_AGENT_NEXT, &n));
	EXPECT_EQ(sizeof(n), n.size);
	EXPECT_EQ(getpid(), n.pid);
	EXPECT_EQ(getuid(), n.uid);
	EXPECT_EQ(SPLITCKPT_REQ_FULL, n.req_flags);
	ASSERT_EQ(strlen(DIR_A), n.dir_len);
	EXPECT_EQ(0, memcmp(dir, DIR_A, n.dir_len));
	EXPECT_EQ(POISON_BYTE, (unsigned char)dir[n.dir_len]);	/* no NUL added */
	EXPECT_NE(0, n.id);
	for (unsigned int i = 0; i < 4; i++)
		EXPECT_EQ(0, n.reserved[i]);
	id = n.id;

	/* Taken: nothing else is queued; the requester still waits. */
	next_init(&n, dir, sizeof(dir), SPLITCKPT_NEXT_NONBLOCK);
	EXPECT_EQ(-EAGAIN, sc_ioctl(self->fd, SPLITCKPT_IOC_AGENT_NEXT, &n));
	EXPECT_EQ(0xccccccccccccccccULL, q.r.generation);
	ASSERT_EQ(0, complete(self->fd, id, 0, 3));
	requester_join(&q);
	EXPECT_EQ(0, q.ret);
	EXPECT_EQ(0, q.r.status);
	EXPECT_EQ(3, q.r.generation);
}

/* Agent and requester talk; status and generation come back exactly. */
TEST_F(agent, status_and_generation_reach_the_requester)
{
	struct splitckpt_agent_next n;
	struct requester q;
	char dir[64];

	requester_start(&q, 0, NULL, 0, 0);
	ASSERT_TRUE(wait_readable(self->fd));
	next_init(&n, dir, sizeof(dir), 0);
	ASSERT_EQ(0, sc_ioctl(self->fd, SPLITCKPT_IOC_AGENT_NEXT, &n));
	EXPECT_EQ(0, n.dir_len);
	EXPECT_EQ(0, n.req_flags);
	EXPECT_EQ(getpid(), n.pid);	/* pid 0 means the requester */
	EXPECT_EQ(-EINVAL, complete(self->fd, n.id, 1, 7));
	EXPECT_EQ(-EINVAL, complete(self->fd, n.id, -4096, 7));
	EXPECT_EQ(-ENOENT, complete(self->fd, n.id + 1000, 0, 7));
	ASSERT_EQ(0, complete(self->fd, n.id, -EIO, 0x123456789abcdefULL));
	EXPECT_EQ(-ENOENT, complete(self->fd, n.id, 0, 7));
	requester_join(&q);
	ASSERT_EQ(0, q.ret);
	EXPECT_EQ(-EIO, q.r.status);
	EXPECT_EQ(0x123456789abcdefULL, q.r.generation);
	EXPECT_EQ(n.id, q.r.id);
	EXPECT_EQ(sizeof(q.r), q.r.size);
}

TEST_F(agent, fifo_order_and_many_requesters)
{
	enum { N = 8 };
	struct requester q[N];
	struct splitckpt_agent_next n;
	char dirs[N][16], buf[16];
	int seen = 0;

	for (int i = 0; i < N; i++) {
		snprintf(dirs[i], sizeof(dirs[i]), "/d%d", i);
		requester_start(&q[i], 0, dirs[i], 0, 0);
		ASSERT_TRUE(wait_readable(self->fd));
		/* One at a time, so that the queue order is known. */
		for (;;) {
			next_init(&n, buf, sizeof(buf), SPLITCKPT_NEXT_NONBLOCK);
			if (sc_ioctl(self->fd, SPLITCKPT_IOC_AGENT_NEXT, &n) == 0)
				break;
		}
		ASSERT_EQ(strlen(dirs[i]), n.dir_len);
		EXPECT_EQ(0, memcmp(buf, dirs[i], n.dir_len));
		ASSERT_EQ(0, complete(self->fd, n.id, 0, 100 + i));
		seen++;
	}
	for (int i = 0; i < N; i++) {
		requester_join(&q[i]);
		EXPECT_EQ(0, q[i].ret);
		EXPECT_EQ(100 + i, q[i].r.generation);
	}
	EXPECT_EQ(N, seen);
}

TEST_F(agent, small_dir_buffer_is_emsgsize_and_keeps_the_request)
{
	struct splitckpt_agent_next n;
	struct requester q;
	char dir[256];

	requester_start(&q, 0, DIR_A, 0, 0);
	ASSERT_TRUE(wait_readable(self->fd));
	next_init(&n, dir, 4, 0);
	EXPECT_EQ(-EMSGSIZE, sc_ioctl(self->fd, SPLITCKPT_IOC_AGENT_NEXT, &n));
	EXPECT_EQ(strlen(DIR_A), n.dir_len);
	EXPECT_EQ(0xccccccccccccccccULL, n.id);
	next_init(&n, dir, sizeof(dir), 0);
	ASSERT_EQ(0, sc_ioctl(self->fd, SPLITCKPT_IOC_AGENT_NEXT, &n));
	EXPECT_EQ(0, memcmp(dir, DIR_A, strlen(DIR_A)));
	ASSERT_EQ(0, complete(self->fd, n.id, 0, 1));
	requester_join(&q);
	EXPECT_EQ(0, q.ret);
}

TEST_F(agent, second_agent_is_ebusy)
{
	int fd2 = open_dev();

	ASSERT_LE(0, fd2);
	EXPECT_EQ(-EISCONN, register_agent(self->fd));
	EXPECT_EQ(-EBUSY, register_agent(fd2));
	close(self->fd);
	self->fd = -1;
	EXPECT_EQ(0, register_agent(fd2));
	close(fd2);
}

/* Closing the agent fails queued and taken requests with -ESHUTDOWN. */
TEST_F(agent, agent_gone_is_eshutdown)
{
	struct splitckpt_agent_next n;
	struct requester taken, queued;
	char dir[16];

	requester_start(&taken, 0, NULL, 0, 0);
	ASSERT_TRUE(wait_readable(self->fd));
	next_init(&n, dir, sizeof(dir), 0);
	ASSERT_EQ(0, sc_ioctl(self->fd, SPLITCKPT_IOC_AGENT_NEXT, &n));
	requester_start(&queued, 0, NULL, 0, 0);
	ASSERT_TRUE(wait_readable(self->fd));
	close(self->fd);
	self->fd = -1;
	requester_join(&taken);
	requester_join(&queued);
	EXPECT_EQ(-ESHUTDOWN, taken.ret);
	EXPECT_EQ(-ESHUTDOWN, queued.ret);
	EXPECT_EQ(0xccccccccu, (__u32)taken.r.status);
}

/* A requester that gives up withdraws a queued request... */
TEST_F(agent, timeout_withdraws_a_queued_request)
{
	struct splitckpt_agent_next n;
	struct splitckpt_request r;
	int fd = open_dev();
	char dir[16];

	ASSERT_LE(0, fd);
	req_init(&r, 0, NULL);
	r.timeout_ms = 50;
	EXPECT_EQ(-ETIMEDOUT, sc_ioctl(fd, SPLITCKPT_IOC_REQUEST, &r));
	EXPECT_EQ(0xccccccccu, (__u32)r.status);
	next_init(&n, dir, sizeof(dir), SPLITCKPT_NEXT_NONBLOCK);
	EXPECT_EQ(-EAGAIN, sc_ioctl(self->fd, SPLITCKPT_IOC_AGENT_NEXT, &n));
	close(fd);
}

/* ...while one the agent took still completes, for nobody. */
TEST_F(agent, timeout_after_take_still_completes)
{
	struct splitckpt_agent_next n;
	struct requester q;
	char dir[16];

	requester_start(&q, 0, NULL, 0, 300);
	ASSERT_TRUE(wait_readable(self->fd));
	next_init(&n, dir, sizeof(dir), 0);
	ASSERT_EQ(0, sc_ioctl(self->fd, SPLITCKPT_IOC_AGENT_NEXT, &n));
	requester_join(&q);
	EXPECT_EQ(-ETIMEDOUT, q.ret);
	EXPECT_EQ(0, complete(self->fd, n.id, 0, 5));
}

static void on_alarm(int sig)
{
	(void)sig;
}

TEST_F(agent, signal_interrupts_a_requester)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	struct splitckpt_request r;
	int fd = open_dev();

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));
	req_init(&r, 0, NULL);
	alarm(1);
	EXPECT_EQ(-EINTR, sc_ioctl(fd, SPLITCKPT_IOC_REQUEST, &r));
	close(fd);
}

TEST_F(agent, agent_next_wakes_on_a_new_request)
{
	struct splitckpt_agent_next n;
	pid_t child;
	char dir[16];
	int status;

	/* A separate process requests while the agent sleeps in AGENT_NEXT. */
	child = fork();
	ASSERT_LE(0, child);
	if (child == 0) {
		struct splitckpt_request r;
		int fd = open_dev();

		usleep(100000);
		req_init(&r, 0, "/x");
		_exit(sc_ioctl(fd, SPLITCKPT_IOC_REQUEST, &r) == 0 &&
		      r.status == -ENOSPC && r.generation == 9 ? 0 : 1);
	}
	next_init(&n, dir, sizeof(dir), 0);
	ASSERT_EQ(0, sc_ioctl(self->fd, SPLITCKPT_IOC_AGENT_NEXT, &n));
	EXPECT_EQ(child, n.pid);
	ASSERT_EQ(0, complete(self->fd, n.id, -ENOSPC, 9));
	ASSERT_EQ(child, waitpid(child, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* The library's wrappers, end to end. */
TEST_F(agent, library_wrappers)
{
	struct sp_kmod_req *req = malloc(sizeof(*req));
	int fd = sp_kmod_open(), status = 1;
	pid_t child;

	ASSERT_LE(0, fd);
	ASSERT_NE(NULL, req);
	EXPECT_EQ(-EBUSY, sp_kmod_agent_register(fd));
	child = fork();
	ASSERT_LE(0, child);
	if (child == 0) {
		int cfd = sp_kmod_open(), st;
		uint64_t g;

		if (sp_kmod_request(cfd, getppid(), SPLITCKPT_REQ_FULL, "/img",
				    &st, &g))
			_exit(2);
		_exit(st == -EAGAIN && g == 77 ? 0 : 1);
	}
	ASSERT_EQ(0, sp_kmod_agent_next(self->fd, req));
	EXPECT_EQ(getpid(), req->pid);
	EXPECT_EQ(SPLITCKPT_REQ_FULL, req->flags);
	EXPECT_STREQ("/img", req->dir);
	ASSERT_EQ(0, sp_kmod_agent_complete(self->fd, req->id, -EAGAIN, 77));
	ASSERT_EQ(child, waitpid(child, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	{
		char *big = calloc(1, SPLITCKPT_DIR_MAX + 2);

		ASSERT_NE(NULL, big);
		memset(big, 'a', SPLITCKPT_DIR_MAX + 1);
		EXPECT_EQ(-ENAMETOOLONG, sp_kmod_request(fd, 0, 0, big, NULL, NULL));
		free(big);
	}
	close(fd);
	free(req);
}

/* Everything below runs as root and as nobody. */

TEST(no_agent_is_eshutdown)
{
	struct splitckpt_request r;
	int fd = open_dev();

	if (fd < 0)
		SKIP(return, "%s: %s", SPLITCKPT_DEV, strerror(errno));
	req_init(&r, 0, DIR_A);
	EXPECT_EQ(-ESHUTDOWN, sc_ioctl(fd, SPLITCKPT_IOC_REQUEST, &r));
	EXPECT_EQ(0xccccccccu, (__u32)r.status);
	close(fd);
}

TEST(agent_ioctls_need_registration)
{
	struct splitckpt_agent_next n;
	char dir[16];
	int fd = open_dev();
	struct pollfd p;

	if (fd < 0)
		SKIP(return, "%s: %s", SPLITCKPT_DEV, strerror(errno));
	next_init(&n, dir, sizeof(dir), SPLITCKPT_NEXT_NONBLOCK);
	EXPECT_EQ(-ENOTCONN, sc_ioctl(fd, SPLITCKPT_IOC_AGENT_NEXT, &n));
	EXPECT_EQ(-ENOTCONN, complete(fd, 1, 0, 0));
	p.fd = fd;
	p.events = POLLIN;
	EXPECT_EQ(0, poll(&p, 1, 0));
	if (geteuid() != 0)
		EXPECT_EQ(-EPERM, register_agent(fd));
	close(fd);
}

TEST(bad_arguments)
{
	struct splitckpt_request r;
	char long_dir[SPLITCKPT_DIR_MAX + 2];
	int fd = open_dev();

	if (fd < 0)
		SKIP(return, "%s: %s", SPLITCKPT_DEV, strerror(errno));
	memset(long_dir, 'a', sizeof(long_dir));
#define BAD(stmt, err) do {						\
		req_init(&r, 0, "/d");					\
		stmt;							\
		EXPECT_EQ(err, sc_ioctl(fd, SPLITCKPT_IOC_REQUEST, &r))	\
			TH_LOG(#stmt);					\
	} while (0)
	BAD(r.flags = 2, -EINVAL);
	BAD(r.flags = 1u << 31, -EINVAL);
	BAD(r.reserved[0] = 1, -EINVAL);
	BAD(r.reserved[3] = 1, -EINVAL);
	BAD(r.size = 16, -EINVAL);
	BAD(r.pid = -1, -EINVAL);
	BAD(r.pid = 0x3fffffff, -ESRCH);
	BAD(r.dir = (uintptr_t)"a\0b"; r.dir_len = 3, -EINVAL);
	BAD(r.dir = (uintptr_t)long_dir; r.dir_len = SPLITCKPT_DIR_MAX + 1, -EINVAL);
	BAD(r.dir = 8, -EFAULT);
#undef BAD
	{
		struct splitckpt_agent_register a = { .size = sizeof(a), .flags = 1 };
		struct splitckpt_agent_complete c = { .size = sizeof(c), .reserved0 = 1 };

		EXPECT_EQ(-EINVAL, sc_ioctl(fd, SPLITCKPT_IOC_AGENT_REGISTER, &a));
		a.flags = 0;
		a.reserved[2] = 1;
		EXPECT_EQ(-EINVAL, sc_ioctl(fd, SPLITCKPT_IOC_AGENT_REGISTER, &a));
		EXPECT_EQ(-EINVAL, sc_ioctl(fd, SPLITCKPT_IOC_AGENT_COMPLETE, &c));
	}
	close(fd);
}

/*
 * Requests need ptrace-like rights over the target.  Passing the check
 * shows as -ESHUTDOWN (no agent in these tests' view, or one that is not
 * ours): the permission check comes first.
 */
static int request_for(pid_t pid)
{
	struct splitckpt_request r;
	int fd = open_dev(), ret;

	req_init(&r, pid, NULL);
	r.timeout_ms = 1;
	ret = sc_ioctl(fd, SPLITCKPT_IOC_REQUEST, &r);
	close(fd);
	return ret;
}

TEST(request_permissions)
{
	pid_t child;
	int go[2], status, ret;
	char c;

	if (access(SPLITCKPT_DEV, R_OK))
		SKIP(return, "%s: %s", SPLITCKPT_DEV, strerror(errno));
	ret = request_for(getpid());
	EXPECT_TRUE(ret == -ESHUTDOWN || ret == -ETIMEDOUT) TH_LOG("self: %d", ret);
	if (geteuid() != 0) {
		EXPECT_EQ(-EPERM, request_for(1));
	} else {
		ret = request_for(1);
		EXPECT_TRUE(ret == -ESHUTDOWN || ret == -ETIMEDOUT) TH_LOG("init: %d", ret);
	}

	/* A non-dumpable child of the same user: only a capability helps. */
	ASSERT_EQ(0, pipe(go));
	child = fork();
	ASSERT_LE(0, child);
	if (child == 0) {
		close(go[0]);
		prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
		if (write(go[1], "x", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(go[1]);
	ASSERT_EQ(1, read(go[0], &c, 1));
	ret = request_for(child);
	if (geteuid() != 0) {
		EXPECT_EQ(-EPERM, ret);
	} else {
		EXPECT_TRUE(ret == -ESHUTDOWN || ret == -ETIMEDOUT) TH_LOG("%d", ret);
	}
	kill(child, SIGKILL);
	waitpid(child, &status, 0);
	close(go[0]);

	/* A dumpable child of the same user may be checkpointed. */
	child = fork();
	ASSERT_LE(0, child);
	if (child == 0) {
		pause();
		_exit(0);
	}
	ret = request_for(child);
	EXPECT_TRUE(ret == -ESHUTDOWN || ret == -ETIMEDOUT) TH_LOG("%d", ret);
	kill(child, SIGKILL);
	waitpid(child, &status, 0);
	/* Gone: -ESRCH. */
	EXPECT_EQ(-ESRCH, request_for(child));
}

TEST_HARNESS_MAIN

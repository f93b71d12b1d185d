// SPDX-License-Identifier: GPL-2.0
/*
 * splitckpt: the checkpoint request channel.
 *
 * A requester (the command-line tool) queues a request and sleeps until
 * the agent (the daemon, one registered file at a time) has taken it with
 * AGENT_NEXT and reported back with AGENT_COMPLETE.  Everything lives in
 * one channel under one mutex; a request is owned by the requester that
 * waits for it and, while queued or taken, also by the channel: whoever
 * drops the last of the two references frees it.
 */
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/err.h>
#include <linux/list.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/pid.h>
#include <linux/poll.h>
#include <linux/sched.h>
#include <linux/sched/coredump.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/uidgid.h>
#include <linux/user_namespace.h>
#include <linux/wait.h>

#include "internal.h"

static unsigned int max_requests = 64;
module_param(max_requests, uint, 0644);
MODULE_PARM_DESC(max_requests,
		 "Checkpoint requests queued or in progress at once (default 64)");

enum req_state { REQ_QUEUED, REQ_TAKEN, REQ_DONE };

struct splitckpt_req {
	struct list_head node;	/* on chan.queue or chan.taken */
	unsigned int refs;	/* requester + channel; chan.lock */
	enum req_state state;
	u64 id;
	struct pid *pid;
	kuid_t uid;
	u32 flags;
	u32 dir_len;
	char *dir;
	s32 status;
	u64 generation;
	bool shutdown;		/* the agent went away instead of completing */
};

/* The one channel between requesters and the agent. */
static struct {
	struct mutex lock;	/* protects every field and every request */
	struct splitckpt_session *agent;
	struct list_head queue;	/* waiting for AGENT_NEXT, oldest first */
	struct list_head taken;	/* handed to the agent, not completed */
	unsigned int nr;	/* requests on both lists */
	u64 next_id;
	wait_queue_head_t agent_wq;	/* the agent waits for requests */
	wait_queue_head_t done_wq;	/* requesters wait for completions */
} chan = {
	.lock = __MUTEX_INITIALIZER(chan.lock),
	.queue = LIST_HEAD_INIT(chan.queue),
	.taken = LIST_HEAD_INIT(chan.taken),
	.next_id = 1,
	.agent_wq = __WAIT_QUEUE_HEAD_INITIALIZER(chan.agent_wq),
	.done_wq = __WAIT_QUEUE_HEAD_INITIALIZER(chan.done_wq),
};

static void req_free(struct splitckpt_req *req)
{
	put_pid(req->pid);
	kfree(req->dir);
	kfree(req);
}

/* Drops one reference.  Caller: chan.lock. */
static void req_put(struct splitckpt_req *req)
{
	lockdep_assert_held(&chan.lock);
	if (--req->refs == 0)
		req_free(req);
}

/* Takes @req off its list and finishes it.  Caller: chan.lock. */
static void req_finish(struct splitckpt_req *req, s32 status, u64 gen)
{
	lockdep_assert_held(&chan.lock);
	list_del_init(&req->node);
	chan.nr--;
	req->status = status;
	req->generation = gen;
	WRITE_ONCE(req->state, REQ_DONE);
	req_put(req);
}

/*
 * ptrace_may_access() is not exported.  The request itself touches nothing
 * of the target (the agent does the work, with its own rights), so the
 * classic ptrace rule is applied by hand: same ids all round and a dumpable
 * target, or CAP_SYS_PTRACE / CAP_CHECKPOINT_RESTORE over its user
 * namespace.
 */
static bool may_request(struct task_struct *task)
{
	const struct cred *cred = current_cred(), *tcred;
	struct user_namespace *ns;
	bool same, ok = false;

	if (same_thread_group(task, current))
		return true;
	rcu_read_lock();
	tcred = __task_cred(task);
	same = uid_eq(cred->uid, tcred->euid) && uid_eq(cred->uid, tcred->suid) &&
	       uid_eq(cred->uid, tcred->uid) && gid_eq(cred->gid, tcred->egid) &&
	       gid_eq(cred->gid, tcred->sgid) && gid_eq(cred->gid, tcred->gid);
	ns = get_user_ns(tcred->user_ns);
	rcu_read_unlock();
	if (same) {
		task_lock(task);
		ok = task->mm && get_dumpable(task->mm) == SUID_DUMP_USER;
		task_unlock(task);
	}
	ok = ok || ns_capable(ns, CAP_SYS_PTRACE) ||
	     ns_capable(ns, CAP_CHECKPOINT_RESTORE);
	put_user_ns(ns);
	return ok;
}

static struct pid *request_target(pid_t nr)
{
	struct task_struct *task;
	struct pid *pid;
	bool ok;

	if (nr < 0)
		return ERR_PTR(-EINVAL);
	pid = nr ? find_get_pid(nr) : get_task_pid(current, PIDTYPE_TGID);
	if (!pid)
		return ERR_PTR(-ESRCH);
	task = get_pid_task(pid, PIDTYPE_TGID);
	if (!task) {
		put_pid(pid);
		return ERR_PTR(-ESRCH);
	}
	ok = may_request(task);
	put_task_struct(task);
	if (!ok) {
		put_pid(pid);
		return ERR_PTR(-EPERM);
	}
	return pid;
}

static struct splitckpt_req *request_new(const struct splitckpt_request *arg)
{
	struct splitckpt_req *req;
	struct pid *pid;
	char *dir = NULL;

	if (arg->dir_len) {
		dir = memdup_user(u64_to_user_ptr(arg->dir), arg->dir_len);
		if (IS_ERR(dir))
			return ERR_CAST(dir);
		if (memchr(dir, 0, arg->dir_len)) {
			kfree(dir);
			return ERR_PTR(-EINVAL);
		}
	}
	pid = request_target(arg->pid);
	if (IS_ERR(pid)) {
		kfree(dir);
		return ERR_CAST(pid);
	}
	req = kzalloc(sizeof(*req), GFP_KERNEL);
	if (!req) {
		put_pid(pid);
		kfree(dir);
		return ERR_PTR(-ENOMEM);
	}
	INIT_LIST_HEAD(&req->node);
	req->refs = 2;
	req->pid = pid;
	req->uid = current_uid();
	req->flags = arg->flags;
	req->dir = dir;
	req->dir_len = arg->dir_len;
	return req;
}

/* Sleeps until @req is done; 0, -EINTR or -ETIMEDOUT. */
static int request_wait(struct splitckpt_req *req, u32 timeout_ms)
{
	long ret;

	if (!timeout_ms) {
		ret = wait_event_interruptible(chan.done_wq,
					       READ_ONCE(req->state) == REQ_DONE);
		return ret ? -EINTR : 0;
	}
	ret = wait_event_interruptible_timeout(chan.done_wq,
					       READ_ONCE(req->state) == REQ_DONE,
					       msecs_to_jiffies(timeout_ms));
	if (ret > 0)
		return 0;
	return ret ? -EINTR : -ETIMEDOUT;
}

long splitckpt_request(struct splitckpt_session *s, void __user *uarg)
{
	struct splitckpt_request arg;
	struct splitckpt_req *req;
	u32 usize;
	int ret;

	ret = splitckpt_copy_in(&arg, sizeof(arg), SPLITCKPT_REQUEST_SIZE_VER0,
				uarg, &usize);
	if (ret)
		return ret;
	if ((arg.flags & ~SPLITCKPT_REQ_FLAGS) ||
	    memchr_inv(arg.reserved, 0, sizeof(arg.reserved)) ||
	    arg.dir_len > SPLITCKPT_DIR_MAX)
		return -EINVAL;

	req = request_new(&arg);
	if (IS_ERR(req))
		return PTR_ERR(req);

	mutex_lock(&chan.lock);
	if (!chan.agent) {
		ret = -ESHUTDOWN;
		goto out_free;
	}
	if (chan.nr >= max_requests) {
		ret = -EAGAIN;
		goto out_free;
	}
	req->id = chan.next_id++;
	req->state = REQ_QUEUED;
	list_add_tail(&req->node, &chan.queue);
	chan.nr++;
	mutex_unlock(&chan.lock);
	wake_up_interruptible(&chan.agent_wq);

	ret = request_wait(req, arg.timeout_ms);

	mutex_lock(&chan.lock);
	if (ret && req->state == REQ_QUEUED) {
		/* Withdrawn before the agent saw it. */
		req_finish(req, ret, 0);
	} else if (ret && req->state == REQ_TAKEN) {
		/* The agent carries on; AGENT_COMPLETE frees it. */
	} else if (req->shutdown) {
		ret = -ESHUTDOWN;
	} else {
		ret = 0;	/* it completed after all */
		arg.status = req->status;
		arg.id = req->id;
		arg.generation = req->generation;
	}
	req_put(req);
	mutex_unlock(&chan.lock);
	if (ret)
		return ret;
	return splitckpt_copy_out(uarg, usize, &arg, sizeof(arg));

out_free:
	mutex_unlock(&chan.lock);
	req_free(req);
	return ret;
}

long splitckpt_agent_register(struct splitckpt_session *s, void __user *uarg)
{
	struct splitckpt_agent_register arg;
	u32 usize;
	int ret;

	ret = splitckpt_copy_in(&arg, sizeof(arg),
				SPLITCKPT_AGENT_REGISTER_SIZE_VER0, uarg, &usize);
	if (ret)
		return ret;
	if (arg.flags || memchr_inv(arg.reserved, 0, sizeof(arg.reserved)))
		return -EINVAL;
	if (!capable(CAP_SYS_ADMIN) && !capable(CAP_CHECKPOINT_RESTORE))
		return -EPERM;

	mutex_lock(&chan.lock);
	if (chan.agent == s)
		ret = -EISCONN;
	else if (chan.agent)
		ret = -EBUSY;
	else
		WRITE_ONCE(chan.agent, s);
	mutex_unlock(&chan.lock);
	return ret;
}

/* Whether a request is waiting for the agent.  Caller: chan.lock. */
static bool agent_has_work(struct splitckpt_session *s)
{
	return chan.agent == s && !list_empty(&chan.queue);
}

/* The wake-up condition of AGENT_NEXT; rechecked under the lock. */
static bool agent_wake(struct splitckpt_session *s)
{
	return READ_ONCE(chan.agent) != s || !list_empty_careful(&chan.queue);
}

long splitckpt_agent_next(struct splitckpt_session *s, void __user *uarg,
			  bool nonblock)
{
	struct splitckpt_agent_next arg;
	struct splitckpt_req *req;
	u32 usize, room;
	int ret;

	ret = splitckpt_copy_in(&arg, sizeof(arg),
				SPLITCKPT_AGENT_NEXT_SIZE_VER0, uarg, &usize);
	if (ret)
		return ret;
	if ((arg.flags & ~SPLITCKPT_NEXT_FLAGS) ||
	    memchr_inv(arg.reserved, 0, sizeof(arg.reserved)))
		return -EINVAL;
	nonblock = nonblock || (arg.flags & SPLITCKPT_NEXT_NONBLOCK);
	room = arg.dir_len;

	mutex_lock(&chan.lock);
	while (!agent_has_work(s)) {
		if (chan.agent != s) {
			ret = -ENOTCONN;
			goto out_unlock;
		}
		mutex_unlock(&chan.lock);
		if (nonblock)
			return -EAGAIN;
		if (wait_event_interruptible(chan.agent_wq, agent_wake(s)))
			return -EINTR;
		mutex_lock(&chan.lock);
	}
	req = list_first_entry(&chan.queue, struct splitckpt_req, node);
	arg.dir_len = req->dir_len;
	if (req->dir_len > room) {
		ret = -EMSGSIZE;
		/* Only the size the caller needs. */
		if (put_user(arg.dir_len, (u32 __user *)((char __user *)uarg +
			     offsetof(struct splitckpt_agent_next, dir_len))))
			ret = -EFAULT;
		goto out_unlock;
	}
	if (req->dir_len &&
	    copy_to_user(u64_to_user_ptr(arg.dir), req->dir, req->dir_len)) {
		ret = -EFAULT;
		goto out_unlock;
	}
	arg.id = req->id;
	rcu_read_lock();
	arg.pid = pid_task(req->pid, PIDTYPE_TGID) ? pid_vnr(req->pid) : 0;
	rcu_read_unlock();
	arg.uid = from_kuid_munged(current_user_ns(), req->uid);
	arg.req_flags = req->flags;
	ret = splitckpt_copy_out(uarg, usize, &arg, sizeof(arg));
	if (ret)
		goto out_unlock;
	list_move_tail(&req->node, &chan.taken);
	req->state = REQ_TAKEN;
out_unlock:
	mutex_unlock(&chan.lock);
	return ret;
}

long splitckpt_agent_complete(struct splitckpt_session *s, void __user *uarg)
{
	struct splitckpt_agent_complete arg;
	struct splitckpt_req *req;
	u32 usize;
	int ret;

	ret = splitckpt_copy_in(&arg, sizeof(arg),
				SPLITCKPT_AGENT_COMPLETE_SIZE_VER0, uarg, &usize);
	if (ret)
		return ret;
	if (arg.flags || arg.reserved0 ||
	    memchr_inv(arg.reserved, 0, sizeof(arg.reserved)) ||
	    arg.status > 0 || arg.status < -MAX_ERRNO)
		return -EINVAL;

	mutex_lock(&chan.lock);
	if (chan.agent != s) {
		ret = -ENOTCONN;
		goto out_unlock;
	}
	ret = -ENOENT;
	list_for_each_entry(req, &chan.taken, node) {
		if (req->id == arg.id) {
			req_finish(req, arg.status, arg.generation);
			ret = 0;
			break;
		}
	}
out_unlock:
	mutex_unlock(&chan.lock);
	if (!ret)
		wake_up_interruptible_all(&chan.done_wq);
	return ret;
}

__poll_t splitckpt_agent_poll(struct splitckpt_session *s, struct file *file,
			      poll_table *wait)
{
	__poll_t mask = 0;

	poll_wait(file, &chan.agent_wq, wait);
	mutex_lock(&chan.lock);
	if (agent_has_work(s))
		mask = EPOLLIN | EPOLLRDNORM;
	mutex_unlock(&chan.lock);
	return mask;
}

/* The agent's file is closing: fail everything it left behind. */
void splitckpt_agent_release(struct splitckpt_session *s)
{
	struct splitckpt_req *req, *tmp;

	mutex_lock(&chan.lock);
	if (chan.agent != s) {
		mutex_unlock(&chan.lock);
		return;
	}
	WRITE_ONCE(chan.agent, NULL);
	list_splice_init(&chan.taken, &chan.queue);
	list_for_each_entry_safe(req, tmp, &chan.queue, node) {
		req->shutdown = true;
		req_finish(req, -ESHUTDOWN, 0);
	}
	mutex_unlock(&chan.lock);
	wake_up_interruptible_all(&chan.done_wq);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * splitckpt: the /dev/splitckpt misc device.
 *
 * Every ioctl has one static handler below; the dispatcher only decodes the
 * command word.  The argument rules live in abi.c.
 */
#include <linux/compat.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/mmu_notifier.h>
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/splitckpt.h>

#include "internal.h"

/* Feature bits this build implements. */
#define SPLITCKPT_FEATURES	(SPLITCKPT_FEAT_DIRTY | SPLITCKPT_FEAT_REQUESTS | \
				 SPLITCKPT_FEAT_TAGS | SPLITCKPT_FEAT_REGIONS)

/* Command numbers this build implements. */
#define SPLITCKPT_IOCTLS	(BIT_ULL(SPLITCKPT_NR_GET_INFO) | \
				 BIT_ULL(SPLITCKPT_NR_ATTACH) | \
				 BIT_ULL(SPLITCKPT_NR_DIRTY_SCAN) | \
				 BIT_ULL(SPLITCKPT_NR_REQUEST) | \
				 BIT_ULL(SPLITCKPT_NR_AGENT_REGISTER) | \
				 BIT_ULL(SPLITCKPT_NR_AGENT_NEXT) | \
				 BIT_ULL(SPLITCKPT_NR_AGENT_COMPLETE) | \
				 BIT_ULL(SPLITCKPT_NR_TAG_SET) | \
				 BIT_ULL(SPLITCKPT_NR_TAG_QUERY) | \
				 BIT_ULL(SPLITCKPT_NR_VMA_QUERY))

static long splitckpt_get_info(void __user *uarg)
{
	struct splitckpt_info info;
	u32 usize;
	int ret;

	ret = splitckpt_copy_in(&info, sizeof(info), SPLITCKPT_INFO_SIZE_VER0,
				uarg, &usize);
	if (ret)
		return ret;
	if (info.flags || memchr_inv(info.reserved, 0, sizeof(info.reserved)))
		return -EINVAL;

	memset(&info, 0, sizeof(info));
	info.api_level = SPLITCKPT_API_LEVEL;
	info.page_size = PAGE_SIZE;
	info.features = SPLITCKPT_FEATURES;
	info.ioctls = SPLITCKPT_IOCTLS;
	return splitckpt_copy_out(uarg, usize, &info, sizeof(info));
}

static long splitckpt_ioctl(struct file *file, unsigned int cmd,
			    unsigned long arg)
{
	struct splitckpt_session *s = file->private_data;
	void __user *uarg = (void __user *)arg;

	if (_IOC_TYPE(cmd) != SPLITCKPT_IOC_TYPE ||
	    _IOC_DIR(cmd) != (_IOC_READ | _IOC_WRITE))
		return -ENOIOCTLCMD;

	switch (_IOC_NR(cmd)) {
	case SPLITCKPT_NR_GET_INFO:
		return splitckpt_get_info(uarg);
	case SPLITCKPT_NR_ATTACH:
		return splitckpt_session_attach(s, uarg);
	case SPLITCKPT_NR_DIRTY_SCAN:
		return splitckpt_dirty_scan(s, uarg);
	case SPLITCKPT_NR_REQUEST:
		return splitckpt_request(s, uarg);
	case SPLITCKPT_NR_AGENT_REGISTER:
		return splitckpt_agent_register(s, uarg);
	case SPLITCKPT_NR_AGENT_NEXT:
		return splitckpt_agent_next(s, uarg, file->f_flags & O_NONBLOCK);
	case SPLITCKPT_NR_AGENT_COMPLETE:
		return splitckpt_agent_complete(s, uarg);
	case SPLITCKPT_NR_TAG_SET:
		return splitckpt_tag_set(s, uarg);
	case SPLITCKPT_NR_TAG_QUERY:
		return splitckpt_tag_query(s, uarg);
	case SPLITCKPT_NR_VMA_QUERY:
		return splitckpt_vma_query(s, uarg);
	default:
		return -ENOIOCTLCMD;
	}
}

static int splitckpt_open(struct inode *inode, struct file *file)
{
	struct splitckpt_session *s = kzalloc(sizeof(*s), GFP_KERNEL);

	if (!s)
		return -ENOMEM;
	splitckpt_session_init(s);
	file->private_data = s;
	return 0;
}

static __poll_t splitckpt_poll(struct file *file, poll_table *wait)
{
	return splitckpt_agent_poll(file->private_data, file, wait);
}

static int splitckpt_release(struct inode *inode, struct file *file)
{
	struct splitckpt_session *s = file->private_data;

	splitckpt_agent_release(s);
	splitckpt_session_release(s);
	mutex_destroy(&s->lock);
	kfree(s);
	return 0;
}

static const struct file_operations splitckpt_fops = {
	.owner		= THIS_MODULE,
	.open		= splitckpt_open,
	.release	= splitckpt_release,
	.poll		= splitckpt_poll,
	.unlocked_ioctl	= splitckpt_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

static struct miscdevice splitckpt_misc = {
	.minor		= MISC_DYNAMIC_MINOR,
	.name		= SPLITCKPT_DEVICE_NAME,
	.fops		= &splitckpt_fops,
	.mode		= 0666,
};

static int __init splitckpt_init(void)
{
	return misc_register(&splitckpt_misc);
}

static void __exit splitckpt_exit(void)
{
	misc_deregister(&splitckpt_misc);
	/* Trackers are freed after an SRCU grace period; wait for them. */
	mmu_notifier_synchronize();
}

module_init(splitckpt_init);
module_exit(splitckpt_exit);

MODULE_DESCRIPTION("splitckpt: dirty tracking and checkpoint requests for split-process checkpoint/restart");
MODULE_AUTHOR("The splitckpt developers");
MODULE_LICENSE("GPL");

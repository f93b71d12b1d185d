// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Client of /dev/splitckpt.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "splitckpt.h"

int sp_kmod_open(void)
{
	int fd = open("/dev/" SPLITCKPT_DEVICE_NAME, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int sp_kmod_get_info(int fd, struct splitckpt_info *info)
{
	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	if (ioctl(fd, SPLITCKPT_IOC_GET_INFO, info))
		return -errno;
	return 0;
}

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the splitckpt selftests.
 */
#ifndef SPLITCKPT_TEST_H
#define SPLITCKPT_TEST_H

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/splitckpt.h>

#include "kselftest_harness.h"

#define SPLITCKPT_DEV		"/dev/" SPLITCKPT_DEVICE_NAME
#define POISON_BYTE		0xcc

/* Feature bits this header declares; a module reporting others is newer. */
#define SPLITCKPT_FEATURES_KNOWN	(SPLITCKPT_FEAT_DIRTY | SPLITCKPT_FEAT_REQUESTS | \
					 SPLITCKPT_FEAT_TAGS | SPLITCKPT_FEAT_REGIONS)

/* Returns -errno instead of -1, so that ASSERT_EQ shows the error. */
static inline int sc_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

/* The command word for number @nr with an argument of @size bytes. */
static inline unsigned long sc_cmd(unsigned int nr, unsigned int size)
{
	return _IOC(_IOC_READ | _IOC_WRITE, SPLITCKPT_IOC_TYPE, nr, size);
}

#endif /* SPLITCKPT_TEST_H */

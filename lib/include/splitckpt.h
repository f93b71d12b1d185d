/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libsplitckpt: the split-process runtime and the client of /dev/splitckpt.
 *
 * Every function returns 0 or a non-negative result on success and -errno on
 * failure; none sets errno or prints.
 */
#ifndef SPLITCKPT_H
#define SPLITCKPT_H

#include <linux/splitckpt.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Open /dev/splitckpt read-write, close-on-exec.  Returns an fd. */
int sp_kmod_open(void);

/*
 * Ask the module what it supports.  On success @info holds every field the
 * module and this library both know; fields only this library knows are 0.
 */
int sp_kmod_get_info(int fd, struct splitckpt_info *info);

#ifdef __cplusplus
}
#endif

#endif /* SPLITCKPT_H */

# SPDX-License-Identifier: GPL-2.0
# Compiler flags shared by every userspace Makefile; WERROR=1 (used by
# make lint) turns warnings into errors.
CC	?= gcc
CFLAGS	?= -O2 -g
WERROR	?= 0
override CFLAGS += -std=gnu11 -Wall -Wextra
ifeq ($(WERROR),1)
override CFLAGS += -Werror
endif

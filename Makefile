# SPDX-License-Identifier: GPL-2.0
# splitckpt: top-level build.
#
#   make              userspace programs and selftests
#   make modules      splitckpt.ko for KDIR (default: newest Debian 6.12
#                     headers, or the running kernel's when it has headers)
#   make check        install deps, build all, lint, run all host and VM tests
#   make demo         install deps, build, run the demo in a VM
#   make bench        checkpoint/restart speed against dd, same file system
#   make vmtest       the module suite in a VM for each supported kernel
#   make lint         checkpatch, uapi checks, -Werror builds
#   make clean
#
# Everything built goes to BUILD (default ./build).

BUILD	?= $(CURDIR)/build
export BUILD

RUNNING	:= /lib/modules/$(shell uname -r)/build
ifneq ($(wildcard $(RUNNING)/Makefile),)
KDIR	?= $(RUNNING)
else
KDIR	?= /lib/modules/$(shell scripts/kernels.sh kver 6.12 2>/dev/null)/build
endif

include scripts/cflags.mk
override CFLAGS += -MMD -MP
override CPPFLAGS += -D_GNU_SOURCE -Iuapi -Ilib/include -Ilib

LIB_SRCS := lib/kmod.c lib/image.c lib/chain.c lib/ranges.c lib/track.c lib/ctlclient.c lib/util.c
LIB	:= $(BUILD)/lib/libsplitckpt.a
# The runtime (lower half).  Bound at load time (-z now): its handlers run
# with the upper half's TLS and must never enter the lazy-binding resolver.
RT_SRCS	:= lib/run.c lib/loader.c lib/band.c lib/memtrap.c lib/freeze.c \
	   lib/ckpt.c lib/restore.c lib/ctl.c lib/subpage.c
BINS	:= $(BUILD)/bin/splitckpt $(BUILD)/bin/splitckpt-run
LDLIBS	+= -luring -lxxhash -lzstd

# splitckptd, the agent, and the client side of its socket.
AGENTD_SRCS := agent/daemon.c agent/config.c agent/log.c agent/server.c \
	       agent/request.c agent/sandbox.c
LIB_SRCS += lib/agentclient.c
BINS	+= $(BUILD)/bin/splitckptd

all: $(BINS) selftests

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(LIB): $(LIB_SRCS:%.c=$(BUILD)/%.o)
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^

$(BUILD)/bin/splitckpt: $(BUILD)/agent/cli.o $(BUILD)/agent/show.o $(BUILD)/agent/store.o $(BUILD)/agent/status.o \
			$(BUILD)/agent/json.o \
			$(BUILD)/agent/checkpoint.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/bin/splitckpt-run: $(RT_SRCS:%.c=$(BUILD)/%.o) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -pthread -Wl,-z,now -Wl,-z,relro -o $@ $^ $(LDLIBS) -lseccomp

$(BUILD)/bin/splitckptd: $(AGENTD_SRCS:%.c=$(BUILD)/%.o) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -pthread -o $@ $^ $(LDLIBS) -linih -lsystemd -lseccomp

# make install [PREFIX=/usr/local] [DESTDIR=]: the tools, the agent and its
# unit, the checkpoint timer, the configuration (kept if already there), the
# udev rule, the man pages, and the module's sources for DKMS.
PREFIX	?= /usr/local
BINDIR	?= $(PREFIX)/bin
SBINDIR	?= $(PREFIX)/sbin
MANDIR	?= $(PREFIX)/share/man
UNITDIR	?= $(PREFIX)/lib/systemd/system
UDEVDIR	?= $(PREFIX)/lib/udev/rules.d
CONFDIR	?= /etc/splitckpt
DKMSDIR	?= /usr/src
DKMSVER	:= $(shell sed -n 's/^PACKAGE_VERSION="\(.*\)"$$/\1/p' dkms.conf)
INSTALL	?= install
MANS	:= man/splitckpt.1 man/splitckpt-run.1 man/splitckptd.conf.5 man/splitckptd.8
UNITS	:= splitckptd.service splitckpt-checkpoint@.service splitckpt-checkpoint@.timer
KSRC	:= Kbuild $(wildcard kmod/Kbuild kmod/*.c kmod/*.h uapi/linux/*.h)

install: $(BINS)
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR) $(DESTDIR)$(UNITDIR) \
		$(DESTDIR)$(UDEVDIR) $(DESTDIR)$(CONFDIR)/splitckptd.conf.d \
		$(addprefix $(DESTDIR)$(MANDIR)/man,1 5 8)
	$(INSTALL) -m 0755 $(BUILD)/bin/splitckpt $(BUILD)/bin/splitckpt-run $(DESTDIR)$(BINDIR)/
	$(INSTALL) -m 0755 $(BUILD)/bin/splitckptd $(DESTDIR)$(SBINDIR)/
	for u in $(UNITS); do \
		sed -e 's|/usr/local/sbin/|$(SBINDIR)/|g' -e 's|/usr/local/bin/|$(BINDIR)/|g' \
			systemd/$$u > $(DESTDIR)$(UNITDIR)/$$u && \
		chmod 0644 $(DESTDIR)$(UNITDIR)/$$u || exit 1; \
	done
	[ -e $(DESTDIR)$(CONFDIR)/splitckptd.conf ] || \
		$(INSTALL) -m 0644 etc/splitckptd.conf $(DESTDIR)$(CONFDIR)/
	$(INSTALL) -m 0644 udev/60-splitckpt.rules $(DESTDIR)$(UDEVDIR)/
	for m in $(MANS); do \
		$(INSTALL) -m 0644 $$m $(DESTDIR)$(MANDIR)/man$${m##*.}/ || exit 1; \
	done
	for f in dkms.conf $(KSRC); do \
		$(INSTALL) -D -m 0644 $$f $(DESTDIR)$(DKMSDIR)/splitckpt-$(DKMSVER)/$$f || exit 1; \
	done

# The configuration goes only if nobody changed it.
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/splitckpt $(DESTDIR)$(BINDIR)/splitckpt-run \
		$(DESTDIR)$(SBINDIR)/splitckptd $(DESTDIR)$(UDEVDIR)/60-splitckpt.rules \
		$(addprefix $(DESTDIR)$(UNITDIR)/,$(UNITS)) \
		$(foreach m,$(MANS),$(DESTDIR)$(MANDIR)/man$(subst .,,$(suffix $(m)))/$(notdir $(m)))
	! cmp -s etc/splitckptd.conf $(DESTDIR)$(CONFDIR)/splitckptd.conf || \
		rm -f $(DESTDIR)$(CONFDIR)/splitckptd.conf
	-rmdir $(DESTDIR)$(CONFDIR)/splitckptd.conf.d $(DESTDIR)$(CONFDIR) 2>/dev/null
	rm -rf $(DESTDIR)$(DKMSDIR)/splitckpt-$(DKMSVER)

.PHONY: install uninstall

-include $(shell find $(BUILD)/lib $(BUILD)/agent -name '*.d' 2>/dev/null)

selftests:
	$(MAKE) -C selftests BUILD=$(BUILD)

modules:
	scripts/kmod-build.sh $(KDIR) $(BUILD) $(if $(W),W=$(W))

check:
	scripts/check.sh

demo:
	scripts/demo.sh

bench: all
	scripts/deps.sh bench
	scripts/bench.sh

lint:
	scripts/deps.sh check
	scripts/lint.sh

vmtest: all
	scripts/deps.sh check
	@set -e; for s in $$(scripts/kernels.sh series); do \
		k=$$(scripts/kernels.sh kver $$s); \
		ko=$$(scripts/kmod-build.sh /lib/modules/$$k/build $(BUILD)); \
		scripts/vm-run -k $$k -t 900 -- selftests/vm-suite.sh $$ko $(BUILD); \
	done

clean:
	rm -rf $(BUILD)

.PHONY: all selftests modules check demo bench lint vmtest clean

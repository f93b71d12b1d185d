#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Install the Debian 12 packages a make target needs; quick and silent when
# everything is already there.
#
#   deps.sh check|demo|bench|build
#
# Needs root (or sudo) only when something is missing.
set -euo pipefail

build_pkgs="gcc g++ make libc6-dev pkg-config liburing-dev libseccomp-dev
libxxhash-dev bc libsystemd-dev libinih-dev libzstd-dev"
kernel_pkgs="linux-image-amd64 linux-headers-amd64 linux-image-6.12-amd64
linux-headers-6.12-amd64 linux-source-6.12"
vm_pkgs="qemu-system-x86 busybox-static cpio xz-utils zstd kmod util-linux
dmsetup e2fsprogs"
lint_pkgs="perl pahole"

case "${1:-check}" in
build) want="$build_pkgs" ;;
demo)  want="$build_pkgs $kernel_pkgs $vm_pkgs" ;;
check) want="$build_pkgs $kernel_pkgs $vm_pkgs $lint_pkgs" ;;
bench) want="$build_pkgs $kernel_pkgs $vm_pkgs bc criu" ;;
*) echo "usage: $0 check|demo|bench|build" >&2; exit 2 ;;
esac

missing=
for p in $want; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[ "$status" = "install ok installed" ] || missing="$missing $p"
done
[ -n "$missing" ] || exit 0

echo "deps.sh: installing$missing" >&2
sudo=
if [ "$(id -u)" != 0 ]; then
	command -v sudo >/dev/null || {
		echo "deps.sh: need root to install:$missing" >&2
		exit 1
	}
	sudo=sudo
fi
export DEBIAN_FRONTEND=noninteractive
# The guest boots its own initramfs; generating the host's for each kernel
# only costs minutes.
export INITRD=No
# shellcheck disable=SC2086
${sudo:+$sudo -E} apt-get update -q >&2
# shellcheck disable=SC2086
${sudo:+$sudo -E} apt-get install -y -q --no-install-recommends $missing >&2

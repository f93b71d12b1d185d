#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build splitckpt.ko out of tree for the kernel whose headers are KDIR, in a
# private copy of the sources under BUILD/kmod/KVER, so that modules for
# several kernels can be built from one checkout.  Prints the path of the
# module on success.
#
#   kmod-build.sh KDIR BUILD [extra kbuild arguments, e.g. W=1]
set -euo pipefail

[ $# -ge 2 ] || { echo "usage: $0 KDIR BUILD [KBUILD ARGS...]" >&2; exit 2; }
kdir=$1
build=$2
shift 2
top=$(cd "$(dirname "$0")/.." && pwd)

uts=$kdir/include/generated/utsrelease.h
if [ ! -r "$uts" ]; then
	echo "kmod-build.sh: $kdir has no kernel headers (install linux-headers-* or pass KDIR=)" >&2
	exit 1
fi
kver=$(sed -n 's/^#define UTS_RELEASE "\(.*\)"$/\1/p' "$uts")
mkdir -p "$build"
src=$(cd "$build" && pwd)/kmod/$kver

mkdir -p "$src"
rm -rf "$src/kmod" "$src/uapi"
cp -a "$top/Kbuild" "$top/kmod" "$top/uapi" "$src/"
make -s -C "$kdir" M="$src" "$@" modules >&2
echo "$src/kmod/splitckpt.ko"

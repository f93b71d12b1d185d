#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make demo: install what is missing, build, and show splitckpt at work in a
# VM booting Debian's 6.12 kernel (the module cannot load on every host).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$top/build}
export BUILD=$build
cd "$top"

scripts/deps.sh demo
make -s all
kver=$(scripts/kernels.sh kver 6.12)
ko=$(scripts/kmod-build.sh "/lib/modules/$kver/build" "$build")
exec scripts/vm-run -k "$kver" -t 600 -- scripts/demo-guest.sh "$ko" "$build"

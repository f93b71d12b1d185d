#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make demo: install what is missing, build, then
#  1. checkpoint a running multi-threaded program, kill it, restart it from
#     the image, and compare its result with an uninterrupted run (on this
#     host: the split-process runtime needs no module);
#  2. in a VM booting Debian's 6.12 kernel (the module cannot load on every
#     host): load the module, and checkpoint the program again with the
#     module as its dirty-page tracker (incremental, with pre-copy).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$top/build}
export BUILD=$build
cd "$top"

scripts/deps.sh demo
make -s all
bin=$build/bin
work=$(mktemp -d "${TMPDIR:-/tmp}/splitckpt-demo.XXXXXX")
trap 'rm -rf "$work"' EXIT
gcc -O2 -pthread -o "$work/heat" scripts/demo-heat.c

step() { printf '\n== %s\n' "$*"; }

step "reference: heat 2000, uninterrupted"
HEAT_PACE=0 "$work/heat" 2000 | tail -1 | tee "$work/reference"

step "splitckpt-run --dir $work/ck -- heat 2000   (in the background)"
"$bin/splitckpt-run" --dir "$work/ck" -- "$work/heat" 2000 > "$work/out" &
pid=$!
tail -f "$work/out" --pid=$pid &
until grep -q "step  *600 " "$work/out"; do
	kill -0 $pid 2>/dev/null || { echo "demo: the program died"; exit 1; }
	sleep 0.1
done

step "splitckpt checkpoint $pid --kill"
"$bin/splitckpt" checkpoint $pid --kill
wait $pid 2>/dev/null || echo "(the program was killed, as asked: status $?)"
sleep 0.2

step "splitckpt show $work/ck   (abridged)"
"$bin/splitckpt" show "$work/ck" | sed -n '1,12p'
echo "  ..."
"$bin/splitckpt" show "$work/ck" | tail -1

step "splitckpt restart $work/ck   (a new process continues the run)"
"$bin/splitckpt" restart "$work/ck" | tee "$work/restarted"

step "result"
if [ "$(tail -1 "$work/restarted")" = "$(cat "$work/reference")" ]; then
	echo "the restarted run's checksum equals the uninterrupted run's: $(cat "$work/reference")"
else
	echo "MISMATCH: $(tail -1 "$work/restarted") vs $(cat "$work/reference")"
	exit 1
fi

step "the kernel module, in a VM"
kver=$(scripts/kernels.sh kver 6.12)
ko=$(scripts/kmod-build.sh "/lib/modules/$kver/build" "$build")
# The guest sees this tree read-only: the program and its expected result.
mkdir -p "$build/demo"
cp "$work/heat" "$build/demo/heat"
HEAT_PACE=0 "$work/heat" 400 | tail -1 > "$build/demo/reference-400"
scripts/vm-run -k "$kver" -t 600 -- scripts/demo-guest.sh "$ko" "$build"

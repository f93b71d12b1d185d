#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Tests of the VM rig itself, as TAP: the guest's exit status and output come
# back, the host is read-only and the output directory writable in the guest,
# the guest has no network device, a kernel splat fails the run, and the
# timeout ends a hung guest.
#
#   vm-selftest.sh [SERIES]   (default 6.1)
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$top/build}
cd "$top" || exit 1
# shellcheck source=scripts/tap.sh
. scripts/tap.sh
series=${1:-6.1}
tap_prefix="vm-run $series: "
runs=$build/check/vm-selftest-$series
rm -rf "$runs"
mkdir -p "$runs"
kver=$(scripts/kernels.sh kver "$series") || exit 1

vm() {	# vm NAME [vm-run options] -- COMMAND...; sets rc
	local name=$1
	shift
	"$top/scripts/vm-run" -q -o "$runs/$name" "$@" 2> "$runs/$name.stderr"
	rc=$?
}

echo "TAP version 13"

vm basic -k "$kver" -t 300 -- sh -c '
	o=$SPLITCKPT_VM_OUT
	echo guest-says-hello
	uname -r > "$o/uname"
	ls /sys/class/net > "$o/net"
	touch /usr/.splitckpt-vm-write-test 2> /dev/null
	echo $? > "$o/host-write"
	exit 7'
tap_result $([ "$rc" = 7 ]; echo $?) "exit status of the guest command comes back (7, got $rc)"
tap_result $(grep -q guest-says-hello "$runs/basic/output.log"; echo $?) \
	"output of the guest command comes back"
tap_result $([ "$(cat "$runs/basic/uname" 2>/dev/null)" = "$kver" ]; echo $?) \
	"guest runs kernel $kver"
tap_result $([ "$(cat "$runs/basic/net" 2>/dev/null)" = lo ]; echo $?) \
	"guest has no network device but lo"
tap_result $([ "$(cat "$runs/basic/host-write" 2>/dev/null)" != 0 ] &&
	     [ -s "$runs/basic/host-write" ] &&
	     [ ! -e /usr/.splitckpt-vm-write-test ]; echo $?) \
	"host file system is read-only in the guest"
tap_result $(grep -qF -e "vm-run: $kver, tcg," -e "vm-run: $kver, kvm," \
	     "$runs/basic.stderr"; echo $?) \
	"accelerator is detected and printed"
tap_result $(grep -q 'Linux version' "$runs/basic/kernel.log"; echo $?) \
	"guest kernel log is captured"

# A working directory below /tmp stays visible although the guest has its
# own, writable /tmp.
tmpcwd=$(mktemp -d /tmp/splitckpt-vmtest.XXXXXX)
echo "marker $$" > "$tmpcwd/file"
(cd "$tmpcwd" && vm tmpcwd -k "$kver" -t 300 -- sh -c '
	cat file > "$SPLITCKPT_VM_OUT/seen"
	echo w > /tmp/guest-file && cat /tmp/guest-file > "$SPLITCKPT_VM_OUT/tmp"')
tap_result $([ "$(cat "$runs/tmpcwd/seen" 2>/dev/null)" = "marker $$" ]; echo $?) \
	"a working directory below /tmp is visible in the guest"
tap_result $([ "$(cat "$runs/tmpcwd/tmp" 2>/dev/null)" = w ] &&
	     [ ! -e /tmp/guest-file ]; echo $?) \
	"the guest has its own writable /tmp"
rm -rf "$tmpcwd"

vm splat -k "$kver" -t 300 -- sh -c 'echo "WARNING: CPU: 0 PID: 1 injected by vm-selftest" > /dev/kmsg'
tap_result $([ "$rc" = 126 ]; echo $?) "a WARNING in the guest kernel log fails the run (126, got $rc)"

start=$(date +%s)
vm hang -k "$kver" -t 30 -- sleep 3600
took=$(($(date +%s) - start))
tap_result $([ "$rc" = 124 ] && [ "$took" -lt 120 ]; echo $?) \
	"a hung guest is stopped by the timeout (124 after ${took}s, got $rc)"

tap_done

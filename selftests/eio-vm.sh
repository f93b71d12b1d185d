#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A checkpoint onto a disk that fails: a device-mapper device is switched
# to the "error" target under a mounted ext4.  The checkpoint must fail
# with a clear error, the program keep running, and the last generation
# stay good once the disk is back.  Run in a guest by scripts/vm-test.sh.
#
#   eio-vm.sh BUILD
set -uo pipefail

build=$1
bin=$build/bin
top=$(cd "$(dirname "$0")/.." && pwd)
work=/tmp/eio
loop= sectors=
# shellcheck source=scripts/tap.sh
. "$top/scripts/tap.sh"
tap_prefix="eio: "
echo "kernel $(uname -r)"

mkdir -p "$work/mnt"
cd "$work" || exit 1
table() {	# table TARGET: switch the device to linear (the loop file) or error
	dmsetup suspend --noudevsync --nolockfs --noflush ckdisk &&
	if [ "$1" = linear ]; then
		dmsetup load ckdisk --table "0 $sectors linear $loop 0"
	else
		dmsetup load ckdisk --table "0 $sectors error"
	fi && dmsetup resume --noudevsync ckdisk
}

setup() {
	modprobe loop && modprobe dm-mod && modprobe ext4 || return 1
	truncate -s 160M "$work/disk" &&
		loop=$(losetup -f --show "$work/disk") &&
		sectors=$(blockdev --getsz "$loop") &&
		dmsetup create --noudevsync ckdisk --table "0 $sectors linear $loop 0" &&
		dmsetup mknodes ckdisk &&
		mkfs.ext4 -q /dev/mapper/ckdisk &&
		mount /dev/mapper/ckdisk "$work/mnt"
}
# Not through tap_run: its variables are needed afterwards.
setup > "$work/setup.log" 2>&1
rc=$?
tap_result $rc "a device-mapper disk with ext4"
if [ $rc != 0 ]; then
	sed 's/^/# /' "$work/setup.log"
	tap_done
	exit 1
fi

img=$work/mnt/img
"$bin/splitckpt-run" --dir "$img" -- "$build/selftests/rt/counter" > "$work/v.out" 2>&1 &
pid=$!
for _ in $(seq 600); do grep -q '^READY' "$work/v.out" && break; sleep 0.1; done

failing() {
	"$bin/splitckpt" checkpoint "$pid" > "$work/c1.out" 2>&1 ||
		{ fail "first checkpoint" "$work/c1.out"; return 1; }
	table error || return 1
	if "$bin/splitckpt" checkpoint "$pid" > "$work/c2.out" 2>&1; then
		fail "a checkpoint onto a failing disk succeeded" "$work/c2.out"
		return 1
	fi
	cat "$work/c2.out"
	grep -q "Input/output error\|Read-only file system" "$work/c2.out" ||
		{ fail "unclear error" "$work/c2.out"; return 1; }
	kill -0 "$pid" || { fail "the program died"; return 1; }
}
tap_run "EIO: the checkpoint fails with the system's error, the program runs on" failing
sed 's/^/# said: /' "$work/c2.out"

back() {
	table linear || return 1
	umount "$work/mnt" 2>/dev/null || umount -l "$work/mnt"
	mount /dev/mapper/ckdisk "$work/mnt" || return 1
	[ "$(ls "$img" | grep -c '^gen-')" = 1 ] || { fail "generations: $(ls -a "$img")"; return 1; }
	"$bin/splitckpt" verify "$img" > "$work/v1.out" 2>&1 || { fail "verify" "$work/v1.out"; return 1; }
	"$bin/splitckpt" checkpoint "$pid" --kill > "$work/c3.out" 2>&1 ||
		{ fail "checkpoint once the disk is back" "$work/c3.out"; return 1; }
	wait "$pid" 2>/dev/null
	grep -q "incremental" "$work/c3.out" && { fail "not full after the failure" "$work/c3.out"; return 1; }
	"$bin/splitckpt" restart "$img" > "$work/r.out" 2>&1
	grep -q '^PASS' "$work/r.out" || { fail "restart" "$work/r.out"; return 1; }
}
tap_run "the disk back: generation 1 verifies, the next one is full and restarts" back

kill -9 "$pid" 2>/dev/null
umount -l "$work/mnt"
dmsetup remove ckdisk
losetup -d "$loop"
tap_done

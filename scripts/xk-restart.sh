#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Restart on another kernel: a program is checkpointed in a VM booting
# Debian's FROM kernel and restarted in a VM booting Debian's TO kernel,
# where it checks its state and must pass.  One TAP line.
#
#   xk-restart.sh FROM TO BUILD
set -uo pipefail

from=$1
to=$2
build=$(cd "$3" && pwd)
top=$(cd "$(dirname "$0")/.." && pwd)
work=$build/check/xk-$from-$to
desc="checkpoint on Debian $from, restart on Debian $to"

rm -rf "$work"
mkdir -p "$work"
if ! kfrom=$("$top/scripts/kernels.sh" kver "$from") ||
   ! kto=$("$top/scripts/kernels.sh" kver "$to"); then
	echo "not ok - $desc: the Debian kernels are not installed"
	exit 0
fi
# vm SIDE KVER ARGS...: one guest run.  A guest whose kernel dies while
# booting, before our command started (seen rarely under TCG: an int3 oops
# at 1.7 s), is booted once more.
vm() {
	local side=$1 kver=$2 try rc
	shift 2
	for try in 1 2; do
		rm -rf "$work/$side"
		"$top/scripts/vm-run" -k "$kver" -t 600 -o "$work/$side" -- \
			"$top/scripts/xk-guest.sh" "$@" > "$work/$side.log" 2>&1
		rc=$?
		grep -q '^kernel ' "$work/$side/output.log" 2>/dev/null && break
		echo "# $side guest did not start the command (try $try, status $rc)"
	done
	return $rc
}

# Guest 1: run the program, checkpoint and kill it; the image goes to the
# run's output directory, the only place the guest can write on the host.
vm from "$kfrom" checkpoint "$build"
rc=$?
if [ $rc != 0 ]; then
	echo "not ok - $desc: checkpoint in the $from guest: exit status $rc"
	tail -n 20 "$work/from.log" | sed 's/^/# /'
	exit 0
fi
vm to "$kto" restart "$build" "$work/from/img"
rc=$?
if [ $rc = 0 ]; then
	echo "ok - $desc"
else
	echo "not ok - $desc: restart in the $to guest: exit status $rc (see $work)"
	tail -n 20 "$work/to.log" | sed 's/^/# /'
fi

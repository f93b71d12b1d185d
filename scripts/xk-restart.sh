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
# Guest 1: run the program, checkpoint and kill it; the image goes to the
# run's output directory, the only place the guest can write on the host.
"$top/scripts/vm-run" -k "$kfrom" -t 600 -o "$work/from" -- \
	"$top/scripts/xk-guest.sh" checkpoint "$build" > "$work/from.log" 2>&1
rc=$?
if [ $rc != 0 ]; then
	echo "not ok - $desc: checkpoint in the $from guest: exit status $rc"
	tail -n 20 "$work/from.log" | sed 's/^/# /'
	exit 0
fi
"$top/scripts/vm-run" -k "$kto" -t 600 -o "$work/to" -- \
	"$top/scripts/xk-guest.sh" restart "$build" "$work/from/img" > "$work/to.log" 2>&1
rc=$?
if [ $rc = 0 ]; then
	echo "ok - $desc"
else
	echo "not ok - $desc: restart in the $to guest: exit status $rc (see $work)"
	tail -n 20 "$work/to.log" | sed 's/^/# /'
fi

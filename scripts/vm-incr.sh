#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Incremental generations inside a guest booting Debian's SERIES kernel,
# with each named tracker (see lib/track.h; "auto" is the default choice):
# the 6.1 kernel has soft-dirty only, 6.12 also uffd-wp.  TAP lines.
#
#   vm-incr.sh SERIES BUILD TRACKER...
set -uo pipefail

series=$1
build=$(cd "$2" && pwd)
shift 2
top=$(cd "$(dirname "$0")/.." && pwd)
work=$build/check/incr-$series
mkdir -p "$build/check"

if ! kver=$("$top/scripts/kernels.sh" kver "$series"); then
	echo "not ok - incremental on $series: the Debian kernel is not installed"
	exit 0
fi
for try in 1 2; do
	rm -rf "$work"
	"$top/scripts/vm-run" -k "$kver" -t 900 -o "$work" -- \
		"$top/scripts/xk-guest.sh" incremental "$build" "$@" > "$work.log" 2>&1
	rc=$?
	# A guest that died while booting (rare under TCG) gets one more go.
	grep -q '^kernel ' "$work/output.log" 2>/dev/null && break
	echo "# the $series guest did not start the command (try $try, status $rc)"
done
# The guest's own TAP lines, renumbered by the caller's counting.
sed -n 's/^\(\(not \)\?ok\) [0-9]* /\1 - /p; /^# /p' "$work/output.log" 2>/dev/null
if [ $rc != 0 ] && ! grep -q '^not ok' "$work/output.log" 2>/dev/null; then
	echo "not ok - incremental on $series: guest exit status $rc (see $work.log)"
	tail -n 20 "$work.log" | sed 's/^/# /'
fi

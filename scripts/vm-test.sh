#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Run a test script in a guest booting Debian's SERIES kernel and pass its
# TAP lines on (renumbered by make check's counting).  A guest that dies
# while booting (seen rarely under TCG) gets one more go.
#
#   vm-test.sh SERIES BUILD NAME [--module] SCRIPT ARGS...
#
# The script must print "kernel <release>" first.  With --module, the
# module is built for that kernel and its path is the script's first
# argument.  Logs: BUILD/check/NAME-SERIES.
set -uo pipefail

series=$1
build=$(cd "$2" && pwd)
name=$3
shift 3
top=$(cd "$(dirname "$0")/.." && pwd)
work=$build/check/$name-$series
mkdir -p "$build/check"

if ! kver=$("$top/scripts/kernels.sh" kver "$series"); then
	echo "not ok - $name on $series: the Debian kernel is not installed"
	exit 0
fi
if [ "$1" = --module ]; then
	script=$2
	shift 2
	ko=$("$top/scripts/kmod-build.sh" "/lib/modules/$kver/build" "$build") || {
		echo "not ok - $name on $series: the module does not build"
		exit 0
	}
	set -- "$script" "$ko" "$@"
fi
for try in 1 2; do
	rm -rf "$work"
	"$top/scripts/vm-run" -k "$kver" -t 900 -o "$work" -- "$@" > "$work.log" 2>&1
	rc=$?
	grep -q '^kernel ' "$work/output.log" 2>/dev/null && break
	echo "# the $series guest did not start the command (try $try, status $rc)"
done
sed -n 's/^\(\(not \)\?ok\) [0-9]* /\1 - /p; /^# /p' "$work/output.log" 2>/dev/null
if [ $rc != 0 ] && ! grep -q '^not ok' "$work/output.log" 2>/dev/null; then
	echo "not ok - $name on $series: guest exit status $rc (see $work.log)"
	tail -n 20 "$work.log" | sed 's/^/# /'
fi

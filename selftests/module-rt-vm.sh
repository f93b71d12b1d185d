#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The runtime with the module as its dirty-page tracker, in a guest: the
# runtime suite's checkpoint, restart and incremental tests with
# SPLITCKPT_TRACKER=module, so that no generation is taken with another
# tracker.  TAP lines; run by scripts/vm-test.sh.
#
#   module-rt-vm.sh MODULE.ko BUILD
set -uo pipefail

ko=$1
build=$2
top=$(cd "$(dirname "$0")/.." && pwd)
echo "kernel $(uname -r)"

insmod "$ko" || { echo "not ok 1 module tracker: insmod"; exit 1; }
export SPLITCKPT_TRACKER=module
"$build/bin/splitckpt" status | sed 's/^/# /'
if ! "$build/bin/splitckpt" status | grep -q '^tracker *module$'; then
	echo "not ok 1 module tracker: splitckpt status does not choose it"
	exit 1
fi
# Under THP "always" status says that huge pages are tracked per 2 MiB.
note=$("$build/bin/splitckpt" status | grep -c '^note .*huge pages are always on')
if grep -q '\[always\]' /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null; then
	want=1
else
	want=0
fi
if [ "$note" = "$want" ]; then
	echo "ok 1 module tracker: status notes whole huge pages exactly when THP is always on ($want)"
	rc=0
else
	echo "not ok 1 module tracker: status huge-page note $note, want $want"
	rc=1
fi
cd /tmp || exit 1
"$top/selftests/rt-suite.sh" "$build" once running chain incremental incremental_huge json \
	periodic fallback ballast precopy || rc=1
# Victims a failed test left behind hold the device open.
pkill -9 -f "$build/bin/splitckpt-run"
for _ in $(seq 50); do
	rmmod splitckpt 2>/dev/null && break
	sleep 0.2
done
if lsmod | grep -q '^splitckpt '; then
	echo "not ok - module tracker: rmmod"
	rc=1
fi
exit $rc

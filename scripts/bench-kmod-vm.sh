#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Guest side of make bench's dirty-tracking comparison: load the module,
# run the program of scripts/bench-kmod.c, unload the module.  Run by
# scripts/bench.sh through scripts/vm-run.
#
#   bench-kmod-vm.sh MODULE.ko PROGRAM MIB REPS [THP]
#
# Pass 1: every tracker, harvest and re-dirty, 8192 ranges per harvest call
#         (as the runtime asks for them);
# pass 2: harvests only, with up to 65536 ranges per call (one call);
# pass 3: with THP=1, harvests with transparent huge pages allowed.
# Prints "kernel <release>" first.  Exit status: 0 when every pass ran,
# whatever the ratios.
set -uo pipefail

ko=$1
prog=$2
mib=$3
reps=$4
thp=${5:-0}
echo "kernel $(uname -r)"
echo "guest: $(nproc) CPUs, $(awk '/MemTotal/ {print int($2 / 1024) " MiB"}' /proc/meminfo)," \
	"THP $(cat /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null)"
insmod "$ko" || { echo "insmod $ko failed"; exit 1; }
cd /tmp || exit 1
rc=0
start=$(date +%s)
"$prog" -s "$mib" -r "$reps" || rc=1
"$prog" -s "$mib" -r "$reps" -R -v 65536 || rc=1
if [ "$thp" = 1 ]; then
	"$prog" -s "$mib" -r "$reps" -R -H || rc=1
fi
echo "guest time: $(($(date +%s) - start)) s"
rmmod splitckpt || { echo "rmmod failed"; rc=1; }
exit $rc

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make check: install what is missing, build everything, run the static
# checks, the VM rig's own tests and the module suite in a VM for every
# supported Debian kernel, then print "N passed, N failed, N skipped".
# Logs: BUILD/check/ (check.log, and one directory per VM run).
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$top/build}
export BUILD=$build
cd "$top" || exit 1
logs=$build/check
mkdir -p "$logs"
start=$(date +%s)

if ! scripts/deps.sh check; then
	echo "check: installing dependencies failed"
	echo "0 passed, 1 failed"
	exit 1
fi

suite_vm() {	# suite_vm SERIES: the module suite in a guest running SERIES
	local series=$1 kver ko rc
	if ! kver=$(scripts/kernels.sh kver "$series"); then
		echo "not ok - vm $series: no Debian $series kernel installed"
		return
	fi
	ko=$build/kmod/$kver/kmod/splitckpt.ko
	scripts/vm-run -k "$kver" -t 900 -o "$logs/vm-$series" -- \
		selftests/vm-suite.sh "$ko" "$build"
	rc=$?
	if [ $rc = 0 ]; then
		echo "ok - vm $series: suite exit status 0, no kernel splat"
	else
		echo "not ok - vm $series: suite exit status $rc (see $logs/vm-$series)"
	fi
}

host_ksft() {	# host_ksft NAME: a kselftest-harness program run on the host
	local out rc
	out=$("$build/selftests/$1" 2>&1)
	rc=$?
	printf '%s\n' "$out" |
		sed 's/^/# /;s/^# \(\(not \)\?ok \)[0-9]* /\1- host '"$1"': /'
	[ $rc = 0 ] || echo "not ok - host $1: exit status $rc"
}

{
	scripts/lint.sh
	host_ksft image
	selftests/rt-suite.sh "$build"
	selftests/agent-suite.sh "$build"
	scripts/xk-restart.sh 6.1 6.12 "$build"
	scripts/xk-restart.sh 6.12 6.1 "$build"
	scripts/vm-test.sh 6.1 "$build" incr scripts/xk-guest.sh incremental "$build" auto
	scripts/vm-test.sh 6.12 "$build" incr scripts/xk-guest.sh incremental "$build" \
		auto soft-dirty
	scripts/vm-test.sh 6.1 "$build" sdhuge scripts/xk-guest.sh suite "$build" \
		soft-dirty incremental_huge
	scripts/vm-test.sh 6.1 "$build" device --module selftests/device-vm.sh "$build"
	scripts/vm-test.sh 6.12 "$build" device --module selftests/device-vm.sh "$build"
	scripts/vm-test.sh 6.1 "$build" modrt --module selftests/module-rt-vm.sh "$build"
	scripts/vm-test.sh 6.12 "$build" modrt --module selftests/module-rt-vm.sh "$build"
	scripts/vm-test.sh 6.12 "$build" eio selftests/eio-vm.sh "$build"
	scripts/vm-selftest.sh 6.1
	for series in $(scripts/kernels.sh series); do
		suite_vm "$series"
	done
} 2>&1 | tr -d '\r' | tee "$logs/check.log"

passed=$(grep -E '^ok ' "$logs/check.log" | grep -vc '# SKIP')
skipped=$(grep -E '^ok ' "$logs/check.log" | grep -c '# SKIP')
failed=$(grep -cE '^not ok ' "$logs/check.log")
echo "check: $(($(date +%s) - start)) s; failures:"
grep -E '^not ok ' "$logs/check.log" | sed 's/^/  /'
echo "$skipped skipped"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ] && [ "$passed" -gt 0 ]

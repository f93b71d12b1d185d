#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Guest side of scripts/xk-restart.sh.
#
#   xk-guest.sh checkpoint BUILD       run a victim, checkpoint it into
#                                      $SPLITCKPT_VM_OUT/img, kill it
#   xk-guest.sh restart BUILD IMG      restart it; exit 0 if it passes
#   xk-guest.sh incremental BUILD TRACKER...
#                                      incremental generations with each
#                                      tracker (auto: the default choice),
#                                      one TAP line per tracker
#   xk-guest.sh suite BUILD TRACKER TEST...
#                                      tests of selftests/rt-suite.sh with
#                                      that tracker
set -uo pipefail

bin=$2/bin
case $1 in
checkpoint)
	img=$SPLITCKPT_VM_OUT/img
	cd /tmp || exit 1
	"$bin/splitckpt-run" --dir "$img" -- "$2/selftests/rt/threads" > /tmp/out 2>&1 &
	pid=$!
	for _ in $(seq 600); do
		grep -q '^READY' /tmp/out && break
		sleep 0.1
	done
	echo "kernel $(uname -r): $(cat /tmp/out)"
	"$bin/splitckpt" checkpoint $pid --kill || exit 1
	wait $pid
	[ $? = 137 ]
	;;
incremental)
	cd /tmp || exit 1
	echo "kernel $(uname -r)"
	"$bin/splitckpt" status | sed 's/^/# /'
	build=$2
	shift 2
	n=0
	bad=0
	for t in "$@"; do
		n=$((n + 1))
		img=/tmp/incr-$t
		if [ "$t" = auto ]; then unset SPLITCKPT_TRACKER; else export SPLITCKPT_TRACKER=$t; fi
		"$bin/splitckpt-run" --dir "$img" -- "$build/selftests/rt/incr" > /tmp/incr.out 2>&1 &
		pid=$!
		for _ in $(seq 600); do grep -q '^READY' /tmp/incr.out && break; sleep 0.1; done
		ok=1
		"$bin/splitckpt" checkpoint $pid > /tmp/ck.out 2>&1 || ok=0
		for s in 1 2 3; do
			kill -USR1 $pid
			for _ in $(seq 600); do grep -q "^STEP $s " /tmp/incr.out && break; sleep 0.1; done
			"$bin/splitckpt" checkpoint $pid >> /tmp/ck.out 2>&1 || ok=0
		done
		kill -9 $pid
		wait $pid 2> /dev/null
		sed 's/^/# /' /tmp/ck.out
		[ "$(grep -c 'incremental over' /tmp/ck.out)" = 3 ] || ok=0
		for g in 2 4; do
			"$bin/splitckpt" restart "$img" --generation $g > /tmp/r.out 2>&1
			grep -q "step=$((g - 1))" /tmp/r.out && grep -q '^PASS' /tmp/r.out ||
				{ ok=0; sed 's/^/# /' /tmp/r.out; }
		done
		if [ $ok = 1 ]; then
			echo "ok $n incremental generations with the $t tracker on $(uname -r)"
		else
			echo "not ok $n incremental generations with the $t tracker on $(uname -r)"
			bad=1
		fi
		rm -rf "$img"
	done
	exit $bad
	;;
suite)
	cd /tmp || exit 1
	echo "kernel $(uname -r)"
	export SPLITCKPT_TRACKER=$3
	"$bin/splitckpt" status | sed 's/^/# /'
	"$(dirname "$0")/../selftests/rt-suite.sh" "$2" "${@:4}"
	;;
restart)
	cd /tmp || exit 1
	echo "kernel $(uname -r)"
	"$bin/splitckpt" restart "$3" | tee /tmp/out
	grep -q '^PASS' /tmp/out
	;;
esac

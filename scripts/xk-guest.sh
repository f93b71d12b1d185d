#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Guest side of scripts/xk-restart.sh.
#
#   xk-guest.sh checkpoint BUILD       run a victim, checkpoint it into
#                                      $SPLITCKPT_VM_OUT/img, kill it
#   xk-guest.sh restart BUILD IMG      restart it; exit 0 if it passes
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
restart)
	cd /tmp || exit 1
	echo "kernel $(uname -r)"
	"$bin/splitckpt" restart "$3" | tee /tmp/out
	grep -q '^PASS' /tmp/out
	;;
esac

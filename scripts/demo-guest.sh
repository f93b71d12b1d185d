#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The demo's guest side (run by scripts/demo.sh through scripts/vm-run).
#
#   demo-guest.sh MODULE.ko BUILD
set -euo pipefail

ko=$1
cli=$2/bin/splitckpt

step() { printf '\n== %s\n' "$*"; }

step "guest kernel: $(uname -r)"
step "splitckpt info, before the module is loaded"
"$cli" info || true
step "insmod $ko"
insmod "$ko"
ls -l /dev/splitckpt
step "splitckpt info"
"$cli" info
"$cli" info --json
step "splitckpt status: the module is the dirty-page tracker"
"$cli" status

run=$2/bin/splitckpt-run
cd /tmp
step "splitckpt-run --dir /tmp/ck -- heat 400   (in the background)"
# Started from a subshell, so that its death by --kill is not a shell job's.
pid=$(sh -c '"$1" --dir /tmp/ck -- "$2" 400 > /tmp/out 2>&1 & echo $!' sh "$run" "$2/demo/heat")
wait_step() {
	until grep -q "step  *$1 " /tmp/out; do
		kill -0 $pid 2>/dev/null || { echo "demo: the program died"; exit 1; }
		sleep 0.1
	done
}
wait_step 120
step "splitckpt checkpoint $pid   (full; the program goes on)"
"$cli" checkpoint $pid --dir /tmp/ck
wait_step 240
step "splitckpt checkpoint $pid --precopy 2 --kill   (incremental, the module's dirty bits)"
"$cli" checkpoint $pid --dir /tmp/ck --precopy 2 --kill
"$cli" list /tmp/ck
step "splitckpt restart /tmp/ck   (generation 2 on top of 1)"
"$cli" restart /tmp/ck > /tmp/restarted
tail -n 3 /tmp/restarted
if [ "$(tail -n 1 /tmp/restarted)" = "$(cat "$2/demo/reference-400")" ]; then
	echo "the restarted run's checksum equals the uninterrupted run's"
else
	echo "MISMATCH: $(tail -n 1 /tmp/restarted) vs $(cat "$2/demo/reference-400")"
	exit 1
fi

step "rmmod splitckpt"
rmmod splitckpt

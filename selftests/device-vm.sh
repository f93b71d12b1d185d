#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Checkpoint requests through /dev/splitckpt, in a guest with the module:
# splitckptd serves the device, splitckpt checkpoint goes through it, the
# kernel refuses another user's process.  TAP lines; run by
# scripts/vm-test.sh.
#
#   device-vm.sh MODULE.ko BUILD
set -uo pipefail

ko=$1
build=$2
bin=$build/bin
vic=$build/selftests/rt
top=$(cd "$(dirname "$0")/.." && pwd)
work=/tmp/devtest
# shellcheck source=scripts/tap.sh
. "$top/scripts/tap.sh"
tap_prefix="device: "
echo "kernel $(uname -r)"

mkdir -p "$work/root"
chmod 0777 "$work"
cd "$work" || exit 1
insmod "$ko" || { echo "not ok 1 device: insmod"; exit 1; }
printf '[Agent]\nSocket=%s\nImageRoot=%s\n' "$work/agent.sock" "$work/root" > "$work/agent.conf"
"$bin/splitckptd" --config "$work/agent.conf" > "$work/agent.log" 2>&1 &
agent=$!
export SPLITCKPT_AGENT_SOCKET=$work/agent.sock
for _ in $(seq 200); do grep -q "listening on" "$work/agent.log" && break; sleep 0.05; done

# run_victim OUT [USER]: the counter victim, as root or USER; sets $pid.
run_victim() {
	local out=$1
	if [ $# -gt 1 ]; then
		setpriv --reuid="$2" --regid="$2" --clear-groups \
			"$bin/splitckpt-run" --dir "$work/img-$2" -- "$vic/counter" > "$out" 2>&1 &
	else
		"$bin/splitckpt-run" --dir "$work/img" -- "$vic/counter" > "$out" 2>&1 &
	fi
	pid=$!
	for _ in $(seq 600); do grep -q '^READY' "$out" && return 0; sleep 0.1; done
	fail "the victim did not start" "$out"
}

served() {
	grep -q "the agent of /dev/splitckpt" "$work/agent.log" ||
		{ fail "the agent did not take the device" "$work/agent.log"; return 1; }
	"$bin/splitckpt" checkpoint "$pid" --via device > "$work/c1.out" 2>&1 &&
		grep -q "^generation 1 .*(through /dev/splitckpt)" "$work/c1.out" ||
		{ fail "checkpoint --via device" "$work/c1.out" "$work/agent.log"; return 1; }
	# auto takes the device when nothing asks for --kill
	"$bin/splitckpt" checkpoint "$pid" > "$work/c2.out" 2>&1 &&
		grep -q "^generation 2 .*(through /dev/splitckpt)" "$work/c2.out" ||
		{ fail "checkpoint (auto)" "$work/c2.out"; return 1; }
	[ -f "$work/img/gen-00000002.img" ] || { fail "no generation 2 file"; return 1; }
	"$bin/splitckpt" checkpoint "$pid" --via device --kill > "$work/c3.out" 2>&1
	[ $? = 1 ] && grep -q -- "--kill, --precopy and --compress do not go through" "$work/c3.out" ||
		{ fail "--kill through the device" "$work/c3.out"; return 1; }
}
run_victim "$work/v.out"
tap_run "requests through /dev/splitckpt are served by splitckptd" served

others() {
	setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$bin/splitckpt" checkpoint "$pid" --via device > "$work/c4.out" 2>&1
	[ $? = 1 ] && grep -q "Operation not permitted" "$work/c4.out" ||
		{ fail "nobody checkpointed root's process" "$work/c4.out"; return 1; }
	[ ! -e "$work/img/gen-00000003.img" ] || { fail "a generation was written"; return 1; }
}
tap_run "the kernel refuses another user's process: EPERM, nothing written" others

own() {
	local p=$pid
	run_victim "$work/vn.out" 65534 || return 1
	setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$bin/splitckpt" checkpoint "$pid" --via device > "$work/c5.out" 2>&1 &&
		grep -q "through /dev/splitckpt" "$work/c5.out" ||
		{ fail "nobody's own process" "$work/c5.out" "$work/agent.log"; kill -9 "$pid"; return 1; }
	kill -9 "$pid"
	pid=$p
}
tap_run "an unprivileged user checkpoints its own process through the device" own

gone() {
	kill "$agent"
	wait "$agent"
	"$bin/splitckpt" checkpoint "$pid" --via device > "$work/c6.out" 2>&1
	[ $? = 1 ] && grep -q "no agent serves it" "$work/c6.out" ||
		{ fail "no agent: clear error" "$work/c6.out"; return 1; }
	# auto falls back to the program itself
	"$bin/splitckpt" checkpoint "$pid" --kill > "$work/c7.out" 2>&1 &&
		grep -q "^generation 3 in $work/img: " "$work/c7.out" ||
		{ fail "fallback to the program" "$work/c7.out"; return 1; }
	wait "$pid" 2>/dev/null
	"$bin/splitckpt" restart "$work/img" --generation 2 > "$work/r.out" 2>&1
	grep -q '^PASS' "$work/r.out" || { fail "restart of generation 2" "$work/r.out"; return 1; }
}
tap_run "without the agent: a clear error, auto goes to the program; restart works" gone

rmmod splitckpt
tap_result $? "rmmod after all that"
tap_done

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# splitckptd on the host, as TAP: the agent runs in the foreground with a
# temporary configuration and socket; programs under splitckpt-run are
# checkpointed through it and restarted, and check their own state
# (selftests/rt/*.c).  Needs root (the permission tests switch to nobody).
# Usage: agent-suite.sh BUILD
set -uo pipefail

build=$(cd "${1:?usage: agent-suite.sh BUILD}" && pwd)
top=$(cd "$(dirname "$0")/.." && pwd)
bin=$build/bin
vic=$build/selftests/rt
# shellcheck source=scripts/tap.sh
. "$top/scripts/tap.sh"
tap_prefix="agent: "
work=$(mktemp -d "${TMPDIR:-/tmp}/splitckpt-agent.XXXXXX")
# The socket and images of programs run as nobody live in here.
chmod 755 "$work"
agent=

# Tests run in subshells (tap_run): every process they start is listed in
# $work/pids, for the cleanup.
track() {
	echo "$1" >> "$work/pids"
}

cleanup() {
	local p
	: > "$work/killer.stop"
	for p in $(cat "$work/pids" "$work"/*.agentpid 2>/dev/null); do
		kill -9 "$p" 2>/dev/null
	done
	if [ "$tap_failed" = 0 ]; then rm -rf "$work"; else echo "# logs kept in $work"; fi
}
trap cleanup EXIT

# config NAME [KEY=VALUE...]: write $work/NAME.conf for a socket
# $work/NAME.sock and an image root $work/NAME.root.
config() {
	local name=$1 kv
	shift
	mkdir -p "$work/$name.root"
	{
		echo "[Agent]"
		echo "Socket=$work/$name.sock"
		echo "ImageRoot=$work/$name.root"
		for kv in "$@"; do echo "$kv"; done
	} > "$work/$name.conf"
}

# start_agent NAME: run splitckptd with $work/NAME.conf; sets $agent and
# SPLITCKPT_AGENT_SOCKET; waits (10 s) for its socket.
start_agent() {
	local name=$1 i n
	n=$(grep -sc "listening on" "$work/$name.log")
	n=${n:-0}
	"$bin/splitckptd" --config "$work/$name.conf" >> "$work/$name.log" 2>&1 &
	agent=$!
	track "$agent"
	export SPLITCKPT_AGENT_SOCKET=$work/$name.sock
	for i in $(seq 200); do
		[ "$(grep -c "listening on" "$work/$name.log")" -gt "$n" ] && return 0
		kill -0 "$agent" 2>/dev/null || break
		sleep 0.05
	done
	fail "splitckptd did not start" "$work/$name.log"
}

stop_agent() {	# stop_agent: SIGTERM, expect exit status 0
	local st
	kill -TERM "$agent"
	wait "$agent"
	st=$?
	agent=
	[ $st = 0 ] || { fail "splitckptd exited $st after SIGTERM"; return 1; }
}

# start NAME OUT ARGS...: a victim under splitckpt-run; sets $pid, waits for
# READY (30 s).  The image directory is $img.
start() {
	local name=$1 out=$2 i
	shift 2
	"$bin/splitckpt-run" --dir "$img" -- "$vic/$name" "$@" > "$out" 2> "$out.err" &
	pid=$!
	track "$pid"
	for i in $(seq 300); do
		grep -q '^READY' "$out" 2>/dev/null && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	fail "$name did not get ready" "$out" "$out.err"
}

restart_check() {	# restart_check OUT: restart from $img, expect PASS
	local out=$1 rc
	timeout 120 "$bin/splitckpt" restart "$img" > "$out" 2> "$out.err"
	rc=$?
	[ $rc = 0 ] || { fail "restart exited $rc" "$out" "$out.err"; return 1; }
	grep -q '^PASS' "$out" || { fail "no PASS" "$out" "$out.err"; return 1; }
}

echo "TAP version 13"

if [ "$(id -u)" != 0 ]; then
	echo "ok 1 agent: # SKIP needs root (permission checks as nobody)"
	echo "1..1"
	exit 0
fi

# The agent most tests talk to; the others start their own.
config main
start_agent main || exit 1

through_agent() {
	img=$work/pattern.img
	start pattern "$work/pattern.out" || return 1
	# The default route (auto) takes the agent when one listens.
	"$bin/splitckpt" checkpoint "$pid" --dir "$img" --kill > "$work/ck.out" 2>&1 ||
		{ fail "checkpoint through the agent failed" "$work/ck.out" "$work/main.log"; return 1; }
	grep -q "uid 0, pid $pid: generation 1 in $img" "$work/main.log" ||
		{ fail "the agent did not serve it" "$work/main.log"; return 1; }
	wait "$pid" 2>/dev/null
	restart_check "$work/pattern.restart"
}
tap_run "checkpoint --kill through the agent (auto route), restart, state verified" through_agent

routes() {
	img=$work/routes.img
	start counter "$work/routes.out" || return 1
	"$bin/splitckpt" checkpoint "$pid" --via direct > "$work/r1.out" 2>&1 ||
		{ fail "--via direct" "$work/r1.out"; return 1; }
	grep -q "pid $pid:" "$work/main.log" && { fail "--via direct used the agent"; return 1; }
	"$bin/splitckpt" checkpoint "$pid" --via agent > "$work/r2.out" 2>&1 ||
		{ fail "--via agent" "$work/r2.out"; return 1; }
	# An empty directory means the runtime's own default, as without agent.
	grep -q "pid $pid: generation 2 in $img," "$work/main.log" ||
		{ fail "--via agent: not served, or not in the runtime's directory" "$work/main.log"; return 1; }
	SPLITCKPT_AGENT_SOCKET=$work/none.sock "$bin/splitckpt" checkpoint "$pid" \
		> "$work/r3.out" 2>&1 || { fail "auto without an agent" "$work/r3.out"; return 1; }
	grep -q '^generation 3[^0-9]' "$work/r3.out" || { fail "auto without an agent" "$work/r3.out"; return 1; }
	if SPLITCKPT_AGENT_SOCKET=$work/none.sock "$bin/splitckpt" checkpoint "$pid" \
		--via agent > "$work/r4.out" 2>&1; then
		fail "--via agent without an agent succeeded"
		return 1
	fi
	grep -q "no agent at $work/none.sock: No such file or directory" "$work/r4.out" ||
		{ fail "unclear error" "$work/r4.out"; return 1; }
	"$bin/splitckpt" checkpoint "$pid" --via nowhere > "$work/r5.out" 2>&1
	[ $? = 2 ] || { fail "--via nowhere is not a usage error" "$work/r5.out"; return 1; }
	"$bin/splitckpt" verify "$img" > "$work/r.verify" 2>&1 ||
		{ fail "verify" "$work/r.verify"; return 1; }
	kill -0 "$pid" || { fail "the program died"; return 1; }
	kill -9 "$pid"
}
tap_run "--via direct, agent and auto; auto without an agent goes direct" routes

# Copies nobody can execute: the tree may sit under a private directory.
mkdir -p "$work/bin" "$work/rt"
cp "$bin/splitckpt" "$bin/splitckpt-run" "$work/bin/"
cp "$vic/counter" "$work/rt/"
chmod -R a+rX "$work/bin" "$work/rt"
as_nobody() {
	setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"
}

not_owner() {
	local before
	img=$work/root.img
	start counter "$work/root.out" || return 1
	"$bin/splitckpt" checkpoint "$pid" > /dev/null 2>&1 || { fail "first checkpoint"; return 1; }
	before=$(ls "$img")
	as_nobody env SPLITCKPT_AGENT_SOCKET="$SPLITCKPT_AGENT_SOCKET" \
		"$work/bin/splitckpt" checkpoint "$pid" --via agent > "$work/np.out" 2>&1
	[ $? = 1 ] || { fail "nobody's checkpoint of root's process did not fail" "$work/np.out"; return 1; }
	grep -q "only its owner (uid 0) or root may checkpoint it, not uid 65534: Operation not permitted" \
		"$work/np.out" || { fail "not EPERM" "$work/np.out"; return 1; }
	grep -q "uid 65534, pid $pid: refused" "$work/main.log" ||
		{ fail "not logged" "$work/main.log"; return 1; }
	[ "$(ls "$img")" = "$before" ] || { fail "a generation was written"; return 1; }
	kill -0 "$pid" || { fail "the program died"; return 1; }
	kill -9 "$pid"
}
tap_run "a user who does not own the process gets EPERM through the agent" not_owner

owner() {
	local nroot=$work/main.root
	img=$work/unused
	# setpriv execs: $! is the program.
	setpriv --reuid=nobody --regid=nogroup --clear-groups \
		"$work/bin/splitckpt-run" -- "$work/rt/counter" > "$work/nb.out" 2>&1 &
	pid=$!
	track "$pid"
	for _ in $(seq 100); do grep -q READY "$work/nb.out" && break; sleep 0.1; done
	as_nobody env SPLITCKPT_AGENT_SOCKET="$SPLITCKPT_AGENT_SOCKET" \
		"$work/bin/splitckpt" checkpoint "$pid" --dir "$nroot/65534/job" \
		> "$work/nb.ck" 2>&1 || { fail "owner's checkpoint" "$work/nb.ck" "$work/nb.out"; return 1; }
	[ "$(stat -c '%U %a' "$nroot/65534")" = "nobody 700" ] ||
		{ fail "IMAGE_ROOT/65534: $(stat -c '%U %a' "$nroot/65534")"; return 1; }
	ls "$nroot/65534/job"/gen-*.img > /dev/null || { fail "no generation"; return 1; }
	as_nobody env SPLITCKPT_AGENT_SOCKET="$SPLITCKPT_AGENT_SOCKET" \
		"$work/bin/splitckpt" checkpoint "$pid" --dir "$nroot/0/x" > "$work/nb.ck2" 2>&1
	[ $? = 1 ] && grep -q "may only use $nroot/65534/" "$work/nb.ck2" ||
		{ fail "another uid's directory under the image root" "$work/nb.ck2"; return 1; }
	[ ! -e "$nroot/0/x" ] || { fail "$nroot/0/x made"; return 1; }
	kill -9 "$pid"
}
tap_run "the owner (nobody) checkpoints its process; IMAGE_ROOT/UID made for it" owner

# Raw requests: the wrong size, and unknown flags, get EINVAL and a reason.
protocol() {
	python3 - "$SPLITCKPT_AGENT_SOCKET" "$$" <<'PY'
import socket, struct, sys

def ask(data):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect(sys.argv[1])
    s.send(data)
    r = s.recv(65536)
    size, flags, status = struct.unpack_from("<IIi", r)
    assert size == len(r) and flags == 0, (size, len(r), flags)
    for key in (b"an agent", b"malformed"):
        i = r.find(key)
        if i >= 0:
            return status, r[i:r.index(b"\0", i)]
    return status, b""

st, msg = ask(b"\1" * 10)
assert st == -22 and msg.startswith(b"an agent request of 10 bytes"), (st, msg)
n = int(msg.split(b"takes ")[1].split(b" ")[0])
req = bytearray(n)
# size, flags (unknown), pid, reserved, then the runtime request's size
struct.pack_into("<IIiII", req, 0, n, 1, int(sys.argv[2]), 0, n - 16)
st, msg = ask(bytes(req))
assert st == -22 and msg.startswith(b"malformed agent request"), (st, msg)
print("ok")
PY
}

seccomp() {
	local st
	st=$(grep -E '^(Seccomp|NoNewPrivs):' "/proc/$agent/status" | tr -s '\t ' ' ')
	[ "$st" = "NoNewPrivs: 1
Seccomp: 2" ] || { fail "agent status: $st"; return 1; }
	kill -0 "$agent" || { fail "the agent died" "$work/main.log"; return 1; }
	grep -q "generation" "$work/main.log" || { fail "no request served"; return 1; }
	# Every request above went through the filter; one more for certain.
	img=$work/sc.img
	start counter "$work/sc.out" || return 1
	"$bin/splitckpt" checkpoint "$pid" --via agent > "$work/sc.ck" 2>&1 ||
		{ fail "checkpoint" "$work/sc.ck" "$work/main.log"; return 1; }
	kill -0 "$agent" || { fail "the agent died" "$work/main.log"; return 1; }
	kill -9 "$pid"
}
if command -v python3 > /dev/null; then
	tap_run "protocol: a request of another size, or with unknown flags, gets EINVAL" protocol
else
	tap_result 0 "protocol # SKIP python3 is not installed"
fi
tap_run "the seccomp allowlist is on (kill mode) and the agent still serves" seccomp
kill -TERM "$agent"
wait "$agent"
st=$?
[ $st = 0 ] && [ ! -e "$work/main.sock" ] && grep -q "stopped" "$work/main.log"
tap_result $? "SIGTERM stops the agent: exit status 0 ($st), socket removed"

concurrent() {
	local i p ok=0
	config conc MaxConcurrent=2
	start_agent conc || return 1
	local vp=()
	for i in 1 2 3 4; do
		img=$work/conc$i.img
		start counter "$work/conc$i.out" || return 1
		vp+=("$pid")
	done
	for i in 1 2 3 4; do
		"$bin/splitckpt" checkpoint "${vp[$((i - 1))]}" --via agent > "$work/cc$i.out" 2>&1 &
		p+=" $!"
		track $!
	done
	for i in $p; do wait "$i" && ok=$((ok + 1)); done
	[ $ok = 4 ] || { fail "$ok of 4 succeeded" "$work/cc1.out" "$work/conc.log"; return 1; }
	for i in "${vp[@]}"; do kill -9 "$i"; done
	stop_agent
}
tap_run "4 concurrent requests with MaxConcurrent=2 all succeed" concurrent

timeout_req() {
	local fake st
	config slow RequestTimeoutSec=1
	start_agent slow || return 1
	# Binds its own control socket name and never answers.
	python3 -c '
import os, socket, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.bind(b"\0splitckpt/ctl/%d" % os.getpid())
s.listen(1)
print("READY", flush=True)
c, _ = s.accept()
time.sleep(30)
' > "$work/fake.out" 2>&1 &
	fake=$!
	track "$fake"
	for _ in $(seq 100); do grep -q READY "$work/fake.out" && break; sleep 0.1; done
	SECONDS=0
	"$bin/splitckpt" checkpoint "$fake" --via agent > "$work/to.out" 2>&1
	st=$?
	[ $st = 1 ] && grep -q "no reply within 1 s: Connection timed out" "$work/to.out" ||
		{ fail "status $st" "$work/to.out"; return 1; }
	[ $SECONDS -le 5 ] || { fail "took $SECONDS s"; return 1; }
	kill -9 "$fake"
	stop_agent
}
# python3 plays a runtime that never answers, and systemd's notify socket.
if command -v python3 > /dev/null; then
	tap_run "RequestTimeoutSec: a runtime that never answers times out" timeout_req
else
	tap_result 0 "RequestTimeoutSec # SKIP python3 is not installed"
fi

bad_config() {
	local st
	printf '[Agent]\nSocket=%s\n# comment\nNoSuchKey=1\n' "$work/x.sock" > "$work/bad1.conf"
	"$bin/splitckptd" --config "$work/bad1.conf" > "$work/bad1.out" 2>&1
	st=$?
	[ $st = 78 ] || { fail "unknown key: exit $st" "$work/bad1.out"; return 1; }
	grep -qxF "splitckptd: $work/bad1.conf:4: unknown key 'NoSuchKey'" "$work/bad1.out" ||
		{ fail "unknown key: unclear" "$work/bad1.out"; return 1; }
	printf '[Agent]\n\nMaxConcurrent=lots\n' > "$work/bad2.conf"
	"$bin/splitckptd" --config "$work/bad2.conf" > "$work/bad2.out" 2>&1
	st=$?
	[ $st = 78 ] && grep -qxF "splitckptd: $work/bad2.conf:3: 'lots' is not a number from 1 to 128" \
		"$work/bad2.out" || { fail "bad value: exit $st" "$work/bad2.out"; return 1; }
	printf '[Agent]\nthis is not ini\n' > "$work/bad3.conf"
	"$bin/splitckptd" --config "$work/bad3.conf" > "$work/bad3.out" 2>&1
	st=$?
	[ $st = 78 ] && grep -q "bad3.conf:2: syntax error" "$work/bad3.out" ||
		{ fail "syntax: exit $st" "$work/bad3.out"; return 1; }
	printf '[Other]\nSocket=/x\n' > "$work/bad4.conf"
	"$bin/splitckptd" --config "$work/bad4.conf" > "$work/bad4.out" 2>&1
	st=$?
	[ $st = 78 ] && grep -q "bad4.conf:2: unknown section \[Other\]" "$work/bad4.out" ||
		{ fail "section: exit $st" "$work/bad4.out"; return 1; }
	"$bin/splitckptd" --config "$work/missing.conf" > "$work/bad5.out" 2>&1
	st=$?
	[ $st = 78 ] && grep -q "missing.conf: No such file or directory" "$work/bad5.out" ||
		{ fail "missing file: exit $st" "$work/bad5.out"; return 1; }
	[ ! -e "$work/x.sock" ] || { fail "a socket was made"; return 1; }
}
tap_run "a bad configuration is an error naming FILE:LINE, exit status 78" bad_config

dropins() {
	local st
	config drop LogLevel=debug
	mkdir -p "$work/drop.conf.d"
	printf '[Agent]\nSocket=%s\nMaxConcurrent=3\n' "$work/drop-b.sock" > "$work/drop.conf.d/20-b.conf"
	printf '[Agent]\nSocket=%s\nMaxConcurrent=9\n' "$work/drop-a.sock" > "$work/drop.conf.d/10-a.conf"
	printf '[Agent]\nSocket=/ignored\n' > "$work/drop.conf.d/30-c.conf.disabled"
	"$bin/splitckptd" --config "$work/drop.conf" --dump-config > "$work/dump.out" 2>&1 ||
		{ fail "--dump-config" "$work/dump.out"; return 1; }
	grep -qx "Socket=$work/drop-b.sock" "$work/dump.out" &&
		grep -qx "MaxConcurrent=3" "$work/dump.out" &&
		grep -qx "LogLevel=debug" "$work/dump.out" &&
		grep -qx "RequestTimeoutSec=120" "$work/dump.out" ||
		{ fail "drop-ins not applied in lexical order" "$work/dump.out"; return 1; }
	"$bin/splitckptd" --config "$work/drop.conf" > "$work/drop.log" 2>&1 &
	agent=$!
	for _ in $(seq 100); do [ -S "$work/drop-b.sock" ] && break; sleep 0.1; done
	[ -S "$work/drop-b.sock" ] && [ ! -e "$work/drop.sock" ] && [ ! -e "$work/drop-a.sock" ] ||
		{ fail "not listening on the drop-in's socket" "$work/drop.log"; return 1; }
	grep -q "at most 3 requests" "$work/drop.log" || { fail "MaxConcurrent" "$work/drop.log"; return 1; }
	stop_agent || return 1
	[ ! -e "$work/drop-b.sock" ] || { fail "socket left after SIGTERM"; return 1; }
	printf '[Agent]\nSeccomp=maybe\n' > "$work/drop.conf.d/40-bad.conf"
	"$bin/splitckptd" --config "$work/drop.conf" > "$work/drop2.out" 2>&1
	st=$?
	[ $st = 78 ] && grep -q "drop.conf.d/40-bad.conf:2: 'maybe' is not kill or log" "$work/drop2.out" ||
		{ fail "bad drop-in: exit $st" "$work/drop2.out"; return 1; }
}
tap_run "drop-ins in FILE.d/*.conf override in lexical order; a bad one is named" dropins

sockets() {
	local st
	config sock
	start_agent sock || return 1
	[ "$(stat -c %a "$work/sock.sock")" = 666 ] || { fail "socket mode"; return 1; }
	"$bin/splitckptd" --config "$work/sock.conf" > "$work/second.out" 2>&1
	st=$?
	[ $st = 1 ] && grep -q "another agent is listening on $work/sock.sock" "$work/second.out" ||
		{ fail "second agent: exit $st" "$work/second.out"; return 1; }
	kill -9 "$agent"
	wait "$agent" 2>/dev/null
	[ -S "$work/sock.sock" ] || { fail "no stale socket to test with"; return 1; }
	start_agent sock || return 1
	grep -q "removing the stale socket" "$work/sock.log" || { fail "stale" "$work/sock.log"; return 1; }
	stop_agent
}
tap_run "socket mode 0666; a live agent's socket is kept, a dead one's replaced" sockets

notify() {
	local st
	config notify
	python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(20)
print("LISTENING", flush=True)
while True:
    m = s.recv(4096).decode()
    print(m.replace("\n", "|"), flush=True)
    if "STOPPING=1" in m:
        break
' "$work/notify.ns" > "$work/notify.msgs" 2>&1 &
	local listener=$!
	track "$listener"
	for _ in $(seq 100); do grep -q LISTENING "$work/notify.msgs" && break; sleep 0.1; done
	NOTIFY_SOCKET=$work/notify.ns WATCHDOG_USEC=200000 start_agent notify || return 1
	for _ in $(seq 100); do
		[ "$(grep -c 'WATCHDOG=1' "$work/notify.msgs")" -ge 3 ] && break
		sleep 0.1
	done
	grep -q '^READY=1|STATUS=Listening on ' "$work/notify.msgs" ||
		{ fail "no READY=1" "$work/notify.msgs"; return 1; }
	[ "$(grep -c 'WATCHDOG=1' "$work/notify.msgs")" -ge 3 ] ||
		{ fail "no watchdog pings" "$work/notify.msgs"; return 1; }
	stop_agent || return 1
	wait "$listener"
	st=$?
	[ $st = 0 ] && grep -q '^STOPPING=1' "$work/notify.msgs" ||
		{ fail "no STOPPING=1 ($st)" "$work/notify.msgs"; return 1; }
}
if command -v python3 > /dev/null; then
	tap_run "sd_notify: READY=1 with STATUS=, WATCHDOG=1 pings, STOPPING=1 on SIGTERM" notify
else
	tap_result 0 "sd_notify # SKIP python3 is not installed"
fi

# Kills the agent at random moments and starts it again, until told to stop.
killer() {
	local n=0
	while [ ! -e "$work/killer.stop" ]; do
		sleep "$(printf '0.%03d' $((RANDOM % 400)))"
		kill -9 "$agent" 2>/dev/null
		wait "$agent" 2>/dev/null
		n=$((n + 1))
		start_agent kill > /dev/null || return 1
		echo "$agent" > "$work/kill.agentpid"
	done
	echo "$n" > "$work/killer.count"
}

sigkill() {
	local i ok=0 g n
	img=$work/kill.img
	config kill
	start_agent kill || return 1
	echo "$agent" > "$work/kill.agentpid"
	# Idle between checkpoints: 100 small incremental generations.
	start pattern "$work/kill.out" || return 1
	rm -f "$work/killer.stop"
	killer &
	local kp=$!
	for i in $(seq 100); do
		"$bin/splitckpt" checkpoint "$pid" --via agent >> "$work/kill.ck" 2>&1 && ok=$((ok + 1))
		sleep "$(printf '0.%03d' $((RANDOM % 100)))"
	done
	: > "$work/killer.stop"
	wait "$kp"
	# Started by the killer: not our child.
	agent=$(cat "$work/kill.agentpid")
	n=$(cat "$work/killer.count" 2>/dev/null)
	echo "# $ok of 100 checkpoints succeeded; the agent was killed ${n:-?} times"
	[ "${n:-0}" -ge 5 ] || { fail "the agent was killed only ${n:-0} times"; return 1; }
	[ $ok -ge 5 ] || { fail "only $ok checkpoints succeeded" "$work/kill.ck" "$work/kill.log"; return 1; }
	kill -0 "$pid" || { fail "the program died" "$work/kill.out.err"; return 1; }
	# Every committed generation verifies; the last one restarts.
	"$bin/splitckpt" verify "$img" > "$work/kill.verify" 2>&1 ||
		{ fail "verify" "$work/kill.verify"; return 1; }
	g=$(grep -c ': ok (' "$work/kill.verify")
	[ "$g" -ge "$ok" ] || { fail "$g generations verified, $ok reported" "$work/kill.verify"; return 1; }
	"$bin/splitckpt" checkpoint "$pid" --via direct --kill > "$work/kill.last" 2>&1 ||
		{ fail "last checkpoint" "$work/kill.last"; return 1; }
	wait "$pid" 2>/dev/null
	restart_check "$work/kill.restart" || return 1
	kill -TERM "$agent"
	for _ in $(seq 100); do kill -0 "$agent" 2>/dev/null || return 0; sleep 0.1; done
	fail "the agent did not stop" "$work/kill.log"
}
tap_run "SIGKILL of the agent during 100 checkpoints: every generation verifies" sigkill

install_check() {
	local d=$work/destdir f missing=0
	make -s -C "$top" BUILD="$build" DESTDIR="$d" PREFIX=/usr install > "$work/install.out" 2>&1 ||
		{ fail "make install" "$work/install.out"; return 1; }
	for f in /usr/bin/splitckpt /usr/bin/splitckpt-run /usr/sbin/splitckptd \
		/usr/lib/systemd/system/splitckptd.service \
		/usr/lib/systemd/system/splitckpt-checkpoint@.service \
		/usr/lib/systemd/system/splitckpt-checkpoint@.timer \
		/etc/splitckpt/splitckptd.conf /usr/lib/udev/rules.d/60-splitckpt.rules \
		/usr/share/man/man1/splitckpt.1 /usr/share/man/man1/splitckpt-run.1 \
		/usr/share/man/man8/splitckptd.8 /usr/share/man/man5/splitckptd.conf.5 \
		/usr/src/splitckpt-0.1/dkms.conf /usr/src/splitckpt-0.1/Kbuild \
		/usr/src/splitckpt-0.1/kmod/Kbuild /usr/src/splitckpt-0.1/kmod/main.c \
		/usr/src/splitckpt-0.1/uapi/linux/splitckpt.h; do
		[ -f "$d$f" ] || { echo "# missing $f"; missing=1; }
	done
	[ $missing = 0 ] || return 1
	[ -x "$d/usr/sbin/splitckptd" ] || { fail "splitckptd not executable"; return 1; }
	grep -q '^ExecStart=/usr/sbin/splitckptd$' "$d/usr/lib/systemd/system/splitckptd.service" ||
		{ fail "ExecStart path"; return 1; }
	# The shipped configuration is the defaults, commented out.
	"$d/usr/sbin/splitckptd" --config "$d/etc/splitckpt/splitckptd.conf" --dump-config \
		> "$work/inst.dump" 2>&1 || { fail "shipped config" "$work/inst.dump"; return 1; }
	"$bin/splitckptd" --config /dev/null --dump-config > "$work/defaults.dump"
	cmp -s "$work/inst.dump" "$work/defaults.dump" ||
		{ fail "shipped config differs from the defaults" "$work/inst.dump"; return 1; }
	make -s -C "$top" BUILD="$build" DESTDIR="$d" PREFIX=/usr uninstall > "$work/uninstall.out" 2>&1 ||
		{ fail "make uninstall" "$work/uninstall.out"; return 1; }
	f=$(find "$d" -type f)
	[ -z "$f" ] || { fail "left after uninstall: $f"; return 1; }
}
tap_run "make install DESTDIR= PREFIX=/usr installs every file; uninstall removes them" install_check

analyze() {
	local d=$work/destdir2 u
	make -s -C "$top" BUILD="$build" DESTDIR="$d" install > "$work/install2.out" 2>&1 ||
		{ fail "make install" "$work/install2.out"; return 1; }
	u=$d/usr/local/lib/systemd/system
	# verify resolves ExecStart= on the host: point it at the copy.
	mkdir -p "$work/units"
	sed "s|^ExecStart=/usr/local/|ExecStart=$d/usr/local/|" "$u/splitckptd.service" \
		> "$work/units/splitckptd.service"
	cp "$u/splitckpt-checkpoint@.service" "$u/splitckpt-checkpoint@.timer" "$work/units/"
	cp "$work/units/splitckpt-checkpoint@.service" "$work/units/splitckpt-checkpoint@42.service"
	cp "$work/units/splitckpt-checkpoint@.timer" "$work/units/splitckpt-checkpoint@42.timer"
	sed -i "s|/usr/local/bin/|$d/usr/local/bin/|g" "$work/units/splitckpt-checkpoint@42.service"
	(cd "$work/units" && SYSTEMD_LOG_LEVEL=warning systemd-analyze verify --man=no \
		./splitckptd.service ./splitckpt-checkpoint@42.service \
		./splitckpt-checkpoint@42.timer) > "$work/analyze.out" 2>&1 ||
		{ fail "systemd-analyze verify: exit $?" "$work/analyze.out"; return 1; }
	# Silent when every setting is understood.
	! grep -v 'bus' "$work/analyze.out" | grep -q . ||
		{ fail "systemd-analyze verify complained" "$work/analyze.out"; return 1; }
}
if command -v systemd-analyze > /dev/null; then
	tap_run "systemd-analyze verify: splitckptd.service and the checkpoint timer" analyze
else
	tap_result 0 "systemd-analyze verify # SKIP systemd-analyze is not installed"
fi

# The MAKE line of the installed dkms.conf, run the way dkms runs it, on a
# copy of the installed sources.
dkms_build() {
	local kver src cmd
	kver=$1
	src=$work/dkms/splitckpt/0.1/build
	mkdir -p "$work/dkms/splitckpt/0.1"
	cp -a "$work/destdir2/usr/src/splitckpt-0.1" "$src" || return 1
	cmd=$(sed -n 's/^MAKE\[0\]="\(.*\)"$/\1/p' "$src/dkms.conf")
	[ -n "$cmd" ] || { fail "no MAKE[0] in dkms.conf"; return 1; }
	# shellcheck disable=SC2034
	(kernel_source_dir=/lib/modules/$kver/build dkms_tree=$work/dkms \
		PACKAGE_NAME=splitckpt PACKAGE_VERSION=0.1 && cd "$src" && eval "$cmd") \
		> "$work/dkms.out" 2>&1 || { fail "$cmd" "$work/dkms.out"; return 1; }
	modinfo -F vermagic "$src/kmod/splitckpt.ko" | grep -q "^$kver " ||
		{ fail "no splitckpt.ko for $kver"; return 1; }
}
if kver=$("$top/scripts/kernels.sh" kver 6.12 2>/dev/null) && [ -d "$work/destdir2" ]; then
	tap_run "dkms.conf: the installed sources build splitckpt.ko for $kver" dkms_build "$kver"
else
	tap_result 0 "dkms.conf builds the module # SKIP no Debian 6.12 kernel headers"
fi

tap_done

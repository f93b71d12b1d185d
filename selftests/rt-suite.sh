#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The split-process runtime on the host, as TAP: programs run under
# splitckpt-run are checkpointed, killed, restarted, and check their own
# state (selftests/rt/*.c).  Usage: rt-suite.sh BUILD [TEST...], where a
# TEST is a function name below (once, running, incremental, ...): only
# those run.
set -uo pipefail

build=$(cd "${1:?usage: rt-suite.sh BUILD}" && pwd)
top=$(cd "$(dirname "$0")/.." && pwd)
bin=$build/bin
vic=$build/selftests/rt
work=$(mktemp -d "${TMPDIR:-/tmp}/splitckpt-rt.XXXXXX")
# shellcheck source=scripts/tap.sh
. "$top/scripts/tap.sh"
tap_prefix="runtime: "
shift
tap_only="$*"
pids=()

cleanup() {
	local p
	# Tests run in subshells (tap_run): their victims are listed in a file.
	for p in "${pids[@]}" $(cat "$work/pids" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
	if [ "$tap_failed" = 0 ]; then rm -rf "$work"; else echo "# logs kept in $work"; fi
}
trap cleanup EXIT

# start NAME OUT ARGS...: run a victim under splitckpt-run in the background;
# sets $pid, waits for READY (120 s: churn takes 20 s on a busy machine).
start() {
	local name=$1 out=$2 i
	shift 2
	"$bin/splitckpt-run" --dir "$img" -- "$vic/$name" "$@" > "$out" 2> "$out.err" &
	pid=$!
	pids+=("$pid")
	echo "$pid" >> "$work/pids"
	for i in $(seq 1200); do
		grep -q '^READY' "$out" && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	fail "$name did not get ready" "$out" "$out.err"
}

# wait_line FILE REGEX: wait (60 s) for a line in FILE.
wait_line() {
	local i
	for i in $(seq 600); do
		grep -qE "$2" "$1" && return 0
		sleep 0.1
	done
	return 1
}

checkpoint_kill() {	# checkpoint_kill PID
	local p=$1 st
	# A checkpoint that hangs fails here, not the whole run.
	timeout -k 10 300 "$bin/splitckpt" checkpoint "$p" --dir "$img" --kill > "$work/ck.out" 2>&1 ||
		{ fail "checkpoint of $p failed ($?)" "$work/ck.out"; return 1; }
	wait "$p" 2>/dev/null
	st=$?
	if [ -d "/proc/$p" ] && ! grep -q '^State:.*Z' "/proc/$p/status" 2>/dev/null; then
		fail "process $p still alive after checkpoint --kill"
		return 1
	fi
	[ "$st" = 137 ] || [ "$st" = 127 ] ||
		{ fail "process $p ended with status $st, not 137 (SIGKILL)"; return 1; }
}

restart_check() {	# restart_check OUT [--generation N]: restart, expect PASS
	local out=$1 rc
	shift
	timeout -k 10 120 "$bin/splitckpt" restart "$img" "$@" > "$out" 2> "$out.err"
	rc=$?
	[ $rc = 0 ] || { fail "restart exited $rc" "$out" "$out.err"; return 1; }
	grep -q '^PASS' "$out" || { fail "no PASS" "$out" "$out.err"; return 1; }
}

once() {	# once NAME ARGS...: run, checkpoint --kill, restart, PASS
	local name=$1
	shift
	img=$work/$name.img
	start "$name" "$work/$name.out" "$@" || return 1
	checkpoint_kill "$pid" || return 1
	restart_check "$work/$name.restart" || return 1
}

echo "TAP version 13"

tap_run "one thread: static, stack, heap and mmap memory" once pattern
tap_run "8 threads: TLS, stacks, pthread_self, mutex/condvar after restart" once threads
tap_run "signals: handlers, blocked and pending signals, sigaltstack" once signals
tap_run "an interval timer and a POSIX timer keep firing" once timers
mkdir -p "$work/files"
tap_run "files mid-read, mid-write, O_APPEND, FD_CLOEXEC" once files -d "$work/files"
churn() { once churn; }
tap_run "malloc/mmap/munmap/mremap churn before and after" churn

vanished() {
	img=$work/vanished.img
	mkdir -p "$work/v"
	start files "$work/vanished.out" -d "$work/v" || return 1
	checkpoint_kill "$pid" || return 1
	rm "$work/v/in"
	timeout 60 "$bin/splitckpt" restart "$img" > "$work/vanished.r" 2>&1
	[ $? = 125 ] || { fail "restart did not fail with 125" "$work/vanished.r"; return 1; }
	grep -q "reopening $work/v/in (fd [0-9]*): No such file or directory" "$work/vanished.r" ||
		{ fail "unclear error" "$work/vanished.r"; return 1; }
	grep -q PASS "$work/vanished.r" && { fail "the program ran"; return 1; }
	return 0
}
tap_run "a file that vanished stops the restart with a clear error" vanished

bigmem() {
	once bigmem -m 1024 || return 1
	"$bin/splitckpt" verify "$img" > "$work/verify.out" 2>&1 ||
		{ fail "verify failed" "$work/verify.out"; return 1; }
	local size
	size=$(stat -c %s "$img"/gen-*.img)
	# ~1 GiB less the holes and never-touched pages is saved, no more.
	[ "$size" -gt $((900 << 20)) ] && [ "$size" -lt $((1100 << 20)) ] ||
		{ fail "image of $size bytes for 1 GiB of memory"; return 1; }
}
tap_run "1 GiB with PROT_NONE ranges, holes and untouched pages; verify" bigmem

# On a terminal (script(1) makes one), a long checkpoint draws a progress
# bar on stderr; with --json, or through a pipe, it does not.
progress() {
	img=$work/progress.img
	command -v script > /dev/null || { echo "# SKIP: no script(1)"; return 0; }
	start bigmem "$work/progress.out" -m 512 || return 1
	# Drawn at once (by default after half a second: fast disks are done).
	SPLITCKPT_BAR_DELAY_MS=0 script -qec "$bin/splitckpt checkpoint $pid --dir $img" \
		/dev/null > "$work/pg.tty" 2>&1 || { fail "checkpoint on a terminal" "$work/pg.tty"; return 1; }
	grep -qE '(saving|committing) \[[#.]{30}\] +[0-9]+% [0-9]+ MiB, [0-9]+ MiB/s' "$work/pg.tty" ||
		{ fail "no progress bar" "$work/pg.tty"; return 1; }
	tr '\r' '\n' < "$work/pg.tty" | sed 's/^\x1b\[K//' > "$work/pg.lines"
	grep -q '^generation 1 in' "$work/pg.lines" ||
		{ fail "no result line after the bar" "$work/pg.tty"; return 1; }
	SPLITCKPT_BAR_DELAY_MS=0 script -qec "$bin/splitckpt checkpoint $pid --dir $img --json" \
		/dev/null > "$work/pg.json" 2>&1
	! grep -q 'saving' "$work/pg.json" || { fail "a bar with --json" "$work/pg.json"; return 1; }
	SPLITCKPT_BAR_DELAY_MS=0 "$bin/splitckpt" checkpoint "$pid" --dir "$img" --full > "$work/pg.pipe" 2>&1
	! grep -q 'saving' "$work/pg.pipe" || { fail "a bar through a pipe" "$work/pg.pipe"; return 1; }
	kill -9 "$pid"
}
tap_run "a progress bar on a terminal, none with --json or through a pipe" progress

ballast() {
	img=$work/ballast.img
	SPLITCKPT_TEST_LH_BALLAST=256 start pattern "$work/ballast.out" || return 1
	checkpoint_kill "$pid" || return 1
	local size
	size=$(stat -c %s "$img"/gen-*.img)
	[ "$size" -lt $((64 << 20)) ] ||
		{ fail "image is $size bytes: lower-half memory was saved"; return 1; }
	if grep -qa 'LH-BALLAST-PAGE!' "$img"/gen-*.img; then
		fail "the lower half's ballast is in the image"
		return 1
	fi
	SPLITCKPT_TEST_LH_BALLAST=256 restart_check "$work/ballast.restart"
}
tap_run "256 MiB of lower-half memory never reaches the image" ballast

running() {
	local g c prev=0
	img=$work/counter.img
	start counter "$work/counter.out" || return 1
	for g in 1 2 3; do
		sleep 0.3
		"$bin/splitckpt" checkpoint "$pid" --dir "$img" > "$work/ck$g.out" 2>&1 ||
			{ fail "checkpoint $g failed" "$work/ck$g.out"; return 1; }
		kill -0 "$pid" || { fail "the program died at checkpoint $g"; return 1; }
	done
	kill -9 "$pid"
	wait "$pid" 2>/dev/null
	for g in 1 2 3; do
		restart_check "$work/counter.r$g" --generation $g || return 1
		c=$(sed -n 's/.*counter=\([0-9]*\).*/\1/p' "$work/counter.r$g" | head -1)
		[ -n "$c" ] && [ "$c" -gt "$prev" ] ||
			{ fail "generation $g: counter '$c' not above $prev" "$work/counter.r$g"; return 1; }
		prev=$c
	done
}
tap_run "checkpoints of a running program, restart from each generation" running

chain() {
	local n out
	img=$work/chain.img
	start pattern "$work/chain.out" -r 3 || return 1
	checkpoint_kill "$pid" || return 1
	for n in 1 2 3; do
		out=$work/chain.r$n
		"$bin/splitckpt" restart "$img" > "$out" 2> "$out.err" &
		pid=$!
		pids+=("$pid")
		wait_line "$out" "^RESTARTED $n " || { fail "restart $n" "$out" "$out.err"; return 1; }
		[ $n = 3 ] && break
		checkpoint_kill "$pid" || return 1
	done
	wait "$pid" || { fail "last restart exited $?" "$out" "$out.err"; return 1; }
	grep -q '^PASS' "$out" || { fail "no PASS" "$out"; return 1; }
	[ "$(ls "$img"/gen-*.img | wc -l)" = 3 ] || { fail "not 3 generations"; return 1; }
	"$bin/splitckpt" show "$img" > "$work/show.out" 2>&1 &&
		grep -q '^generation 3' "$work/show.out" ||
		{ fail "show" "$work/show.out"; return 1; }
}
tap_run "chained restarts: 3 checkpoint/restart cycles" chain

failed_ckpt() {
	img=$work/fail.img
	start counter "$work/fail.out" || return 1
	: > "$work/notadir"
	if "$bin/splitckpt" checkpoint "$pid" --dir "$work/notadir/x" > "$work/f.out" 2>&1; then
		fail "checkpoint into a file's subdirectory succeeded"
		return 1
	fi
	grep -q "notadir" "$work/f.out" || { fail "unclear error" "$work/f.out"; return 1; }
	kill -0 "$pid" || { fail "the program died"; return 1; }
	if "$bin/splitckpt" checkpoint 999999 --dir "$img" > "$work/f2.out" 2>&1; then
		fail "checkpoint of pid 999999 succeeded"
		return 1
	fi
	grep -q "does not exist" "$work/f2.out" || { fail "unclear error" "$work/f2.out"; return 1; }
	[ ! -e "$img" ] || [ -z "$(ls -A "$img")" ] || { fail "files left in $img"; return 1; }
	checkpoint_kill "$pid" || return 1
	restart_check "$work/fail.restart"
}
tap_run "failed checkpoints leave nothing and the program keeps running" failed_ckpt

no_image() {
	mkdir -p "$work/empty"
	if "$bin/splitckpt" restart "$work/empty" > "$work/e.out" 2>&1; then
		fail "restart of an empty directory succeeded"
		return 1
	fi
	grep -q "no checkpoint" "$work/e.out" || fail "unclear error" "$work/e.out"
}
tap_run "restart of a directory without a checkpoint fails clearly" no_image

corrupt() {
	img=$work/corrupt.img
	start pattern "$work/corrupt.out" || return 1
	checkpoint_kill "$pid" || return 1
	# Flip one byte in the middle of the page data.
	printf '\xff' | dd of="$img/gen-00000001.img" bs=1 seek=$((4096 * 40)) conv=notrunc status=none
	if "$bin/splitckpt" verify "$img" > "$work/c.out" 2>&1; then
		fail "verify accepted a corrupt image"
		return 1
	fi
	if timeout 60 "$bin/splitckpt" restart "$img" > "$work/c2.out" 2>&1; then
		fail "restart accepted a corrupt image" "$work/c2.out"
		return 1
	fi
	grep -q "reading the program's memory from .*/gen-00000001.img: Bad message" \
		"$work/c2.out" || fail "unclear error" "$work/c2.out"
}
tap_run "a corrupt image is refused by verify and by restart" corrupt

# Page data of generation GEN of $img, in bytes.
data_bytes() {	# data_bytes GEN
	"$bin/splitckpt" show "$img" --generation "$1" |
		sed -n 's/.*, \([0-9]*\) bytes of page data.*/\1/p'
}

incr_chain() {	# incr_chain TAG VICTIM-ARGS...
	local s g d size lo hi tracker t=$1 kb
	shift
	img=$work/incr-$t.img
	tracker=$("$bin/splitckpt" status | sed -n 's/^tracker *//p')
	start incr "$work/incr-$t.out" "$@" || return 1
	kb=$(sed -n "s/^HUGE //p" "$work/incr-$t.out")
	if [ -n "$kb" ]; then
		echo "# $kb kB in transparent huge pages"
		[ "$kb" -ge 2048 ] || { echo "# SKIP: the kernel gave no huge page"; return 0; }
	fi
	"$bin/splitckpt" checkpoint "$pid" --dir "$img" > "$work/i-$t-0.out" 2>&1 ||
		{ fail "checkpoint 1" "$work/i-$t-0.out"; return 1; }
	for s in 1 2 3 4 5; do
		kill -USR1 "$pid"
		wait_line "$work/incr-$t.out" "^STEP $s " ||
			{ fail "no step $s" "$work/incr-$t.out" "$work/incr-$t.out.err"; return 1; }
		"$bin/splitckpt" checkpoint "$pid" --dir "$img" > "$work/i-$t-$s.out" 2>&1 ||
			{ fail "checkpoint $((s + 1))" "$work/i-$t-$s.out"; return 1; }
		grep -q "incremental over generation $s\$" "$work/i-$t-$s.out" ||
			{ fail "generation $((s + 1)) is not incremental over $s" "$work/i-$t-$s.out"; return 1; }
		# What the program changed, and at most 32 KiB of others' (its
		# stack, libc's data, stdio's buffer).
		d=$(sed -n "s/^STEP $s data=//p" "$work/incr-$t.out")
		size=$(data_bytes $((s + 1)))
		lo=$((d * 4096))
		hi=$((d * 4096 * 101 / 100 + 32768))
		# Step 3 maps over part of a mapping: the module reports the
		# present pages of the 2 MiB blocks around the split (uapi).
		[ "$tracker" = module ] && [ $s = 3 ] && hi=$((hi + 4 * 1048576))
		echo "# generation $((s + 1)): $size bytes of data for $d changed pages"
		[ -n "$size" ] && [ "$size" -ge "$lo" ] && [ "$size" -le "$hi" ] ||
			{ fail "generation $((s + 1)): $size bytes, not within [$lo, $hi]"; return 1; }
	done
	kill -9 "$pid"
	wait "$pid" 2>/dev/null
	for g in 1 2 3 4 5 6; do
		restart_check "$work/incr-$t.r$g" --generation $g || return 1
		grep -q "step=$((g - 1))\$" "$work/incr-$t.r$g" ||
			{ fail "generation $g: wrong step" "$work/incr-$t.r$g"; return 1; }
	done
	# Compacted: one full generation, the same program state.
	"$bin/splitckpt" compact "$img" --generation 5 > "$work/compact-$t.out" 2>&1 &&
		grep -q "^generation 5: rewritten as a full generation" "$work/compact-$t.out" &&
		grep -q "^4 older generations removed" "$work/compact-$t.out" ||
		{ fail "compact" "$work/compact-$t.out"; return 1; }
	[ "$(ls "$img")" = "gen-00000005.img
gen-00000006.img" ] || { fail "left: $(ls "$img")"; return 1; }
	"$bin/splitckpt" list "$img" | grep -q "^5 *(full)" || { fail "5 is not full"; return 1; }
	restart_check "$work/incr-$t.c5" --generation 5 || return 1
	grep -q "step=4\$" "$work/incr-$t.c5" || { fail "compacted 5: wrong step" "$work/incr-$t.c5"; return 1; }
	restart_check "$work/incr-$t.c6" || return 1
	grep -q "step=5\$" "$work/incr-$t.c6" || { fail "6 over compacted 5: wrong step"; return 1; }
}
incremental() {
	incr_chain plain
}
tap_run "6 generations, 5 of them incremental: sizes match what changed, restart from each, compact" incremental

# The same over transparent huge pages.  A tracker that sees a huge page
# through its one dirty bit (the module, soft-dirty) still has only the
# pages that changed in it saved.
incremental_huge() {
	incr_chain huge -H
}
tap_run "the same over huge pages: only the changed 4 KiB pages are saved" incremental_huge

# Uses the generations the test above left.
json() {
	local c
	img=$work/incr-plain.img
	command -v python3 > /dev/null || { echo "# SKIP: no python3 to parse JSON"; return 0; }
	for c in "list $img" "show $img" "verify $img" "status"; do
		# shellcheck disable=SC2086
		"$bin/splitckpt" $c --json > "$work/j.out" 2>&1 &&
			python3 -m json.tool "$work/j.out" > /dev/null ||
			{ fail "splitckpt $c --json" "$work/j.out"; return 1; }
	done
	# A file, not <(...): guests may have no /dev/fd.
	"$bin/splitckpt" list "$img" --json > "$work/list.json"
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert [g["generation"] for g in d] == [5, 6] and d[1]["parent"] == 5' \
		"$work/list.json" || { fail "list --json content" "$work/list.json"; return 1; }
}
tap_run "--json output parses and says what the text says" json

compress() {
	local g stored mem
	img=$work/compress.img
	start counter "$work/compress.out" || return 1
	sleep 0.3
	"$bin/splitckpt" checkpoint "$pid" --dir "$img" --compress > "$work/z1.out" 2>&1 ||
		{ fail "checkpoint --compress" "$work/z1.out"; return 1; }
	"$bin/splitckpt" checkpoint "$pid" --dir "$img" --compress=1 > "$work/z2.out" 2>&1 ||
		{ fail "checkpoint --compress=1" "$work/z2.out"; return 1; }
	"$bin/splitckpt" checkpoint "$pid" --dir "$img" --compress=20 > "$work/z3.out" 2>&1
	[ $? = 2 ] || { fail "--compress=20 accepted" "$work/z3.out"; return 1; }
	kill -9 "$pid"
	wait "$pid" 2>/dev/null
	for g in 1 2; do
		"$bin/splitckpt" show "$img" --generation $g > "$work/zs$g.out" 2>&1 ||
			{ fail "show $g" "$work/zs$g.out"; return 1; }
		grep -q "^  format version 3," "$work/zs$g.out" ||
			{ fail "generation $g: not format version 3" "$work/zs$g.out"; return 1; }
		stored=$(sed -n 's/^  compressed (zstd): \([0-9]*\) bytes stored for \([0-9]*\) .*/\1/p' "$work/zs$g.out")
		mem=$(sed -n 's/^  compressed (zstd): \([0-9]*\) bytes stored for \([0-9]*\) .*/\2/p' "$work/zs$g.out")
		# 16 MiB of counter * K + i: compresses well.
		[ -n "$stored" ] && [ "$mem" -ge $((16 << 20)) ] && [ $((stored * 2)) -lt "$mem" ] ||
			{ fail "generation $g: $stored bytes stored for $mem" "$work/zs$g.out"; return 1; }
	done
	if command -v python3 > /dev/null; then
		python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["compression"] == "zstd" and 0 < d["stored_bytes"] < d["memory_bytes"] and d["compressed_records"] > 0' \
			< <("$bin/splitckpt" show "$img" --json) || { fail "show --json"; return 1; }
	fi
	"$bin/splitckpt" verify "$img" > "$work/zv.out" 2>&1 || { fail "verify" "$work/zv.out"; return 1; }
	for g in 1 2; do
		restart_check "$work/compress.r$g" --generation $g || return 1
	done
	# Compacted, the compressed data is kept.
	"$bin/splitckpt" compact "$img" > "$work/zc.out" 2>&1 || { fail "compact" "$work/zc.out"; return 1; }
	"$bin/splitckpt" show "$img" > "$work/zs.out" 2>&1 && grep -q "^  compressed (zstd)" "$work/zs.out" ||
		{ fail "compacted: not compressed" "$work/zs.out"; return 1; }
	restart_check "$work/compress.rc" || return 1
	# Random memory: stored as it is, and comes back.
	img=$work/compress2.img
	start pattern "$work/compress2.out" || return 1
	"$bin/splitckpt" checkpoint "$pid" --dir "$img" --compress=3 --kill > "$work/z4.out" 2>&1 ||
		{ fail "checkpoint --compress --kill" "$work/z4.out"; return 1; }
	wait "$pid" 2>/dev/null
	restart_check "$work/compress2.r" || return 1
}
tap_run "--compress: zstd page data, shown, verified, restarted, compacted" compress

periodic() {
	local i n out
	img=$work/periodic.img
	"$bin/splitckpt-run" --dir "$img" --interval 1 -- "$vic/counter" -r 2 \
		> "$work/periodic.out" 2> "$work/periodic.err" &
	pid=$!
	pids+=("$pid")
	for i in $(seq 100); do
		n=$(ls "$img" 2>/dev/null | grep -c '^gen-')
		[ "$n" -ge 3 ] && break
		sleep 0.1
	done
	kill -9 "$pid"
	wait "$pid" 2>/dev/null
	[ "$n" -ge 3 ] || { fail "$n generations after 10 s" "$work/periodic.err"; return 1; }
	"$bin/splitckpt" show "$img" --generation 2 | grep -q "incremental over generation 1" ||
		{ fail "generation 2 is not incremental"; return 1; }
	"$bin/splitckpt" verify "$img" > "$work/pv.out" 2>&1 || { fail "verify" "$work/pv.out"; return 1; }
	# The restarted program goes on writing generations, with pre-copy.
	"$bin/splitckpt-run" --interval 1 --precopy 17 /bin/true 2> "$work/pc.err"
	[ $? = 125 ] && grep -q "bad --precopy '17' (0 to 16 passes)" "$work/pc.err" ||
		{ fail "--precopy 17 accepted" "$work/pc.err"; return 1; }
	out=$work/periodic.r
	"$bin/splitckpt" restart "$img" --interval 1 --precopy 2 > "$out" 2> "$out.err" &
	pid=$!
	pids+=("$pid")
	wait_line "$out" "^RESTARTED 1 " || { fail "restart" "$out" "$out.err"; return 1; }
	for i in $(seq 100); do
		[ "$(ls "$img" | grep -c '^gen-')" -gt "$n" ] && break
		sleep 0.1
	done
	kill -9 "$pid"
	wait "$pid" 2>/dev/null
	[ "$(ls "$img" | grep -c '^gen-')" -gt "$n" ] ||
		{ fail "no generation after the restart" "$out.err"; return 1; }
	restart_check "$work/periodic.r2"
}
tap_run "--interval: periodic incremental generations, also after a restart" periodic

nospace() {
	local fs=$work/smallfs
	mkdir -p "$fs"
	if ! mount -t tmpfs -o size=48m tmpfs "$fs" 2>/dev/null; then
		echo "# SKIP: cannot mount a tmpfs here"
		return 0
	fi
	img=$fs/img
	start counter "$work/nospace.out" -r 1 || { umount "$fs"; return 1; }
	"$bin/splitckpt" checkpoint "$pid" --dir "$img" > "$work/ns1.out" 2>&1 ||
		{ fail "first checkpoint" "$work/ns1.out"; umount -l "$fs"; return 1; }
	# Leave about 4 MiB: not enough for a full generation (18 MiB).
	fallocate -l $(( $(df --output=avail -B1 "$fs" | tail -1) - (4 << 20) )) "$fs/filler"
	if "$bin/splitckpt" checkpoint "$pid" --dir "$img" --full > "$work/ns2.out" 2>&1; then
		fail "a checkpoint into a full file system succeeded" "$work/ns2.out"
		umount -l "$fs"
		return 1
	fi
	local ok=1
	grep -q "No space left on device" "$work/ns2.out" || { fail "unclear error" "$work/ns2.out"; ok=0; }
	[ "$(ls -A "$img")" = "gen-00000001.img" ] || { fail "left: $(ls -A "$img")"; ok=0; }
	"$bin/splitckpt" verify "$img" > "$work/ns3.out" 2>&1 || { fail "verify" "$work/ns3.out"; ok=0; }
	kill -0 "$pid" || { fail "the program died"; ok=0; }
	rm -f "$fs/filler"
	# The tracker's state went with the failed generation: a full one now.
	"$bin/splitckpt" checkpoint "$pid" --dir "$img" --kill > "$work/ns4.out" 2>&1 ||
		{ fail "checkpoint after freeing space" "$work/ns4.out"; ok=0; }
	wait "$pid" 2>/dev/null
	grep -q "incremental" "$work/ns4.out" && { fail "not full" "$work/ns4.out"; ok=0; }
	[ $ok = 1 ] && restart_check "$work/nospace.r" || ok=0
	umount -l "$fs"
	[ $ok = 1 ]
}
tap_run "a full file system: clear error, nothing left behind, the last generation stays" nospace

fallback() {
	img=$work/fallback.img
	start counter "$work/fb.out" || return 1
	"$bin/splitckpt" checkpoint "$pid" --dir "$img" > "$work/fb1.out" 2>&1 &&
		sleep 0.3 &&
		"$bin/splitckpt" checkpoint "$pid" --dir "$img" --kill > "$work/fb2.out" 2>&1 ||
		{ fail "checkpoints" "$work/fb1.out" "$work/fb2.out"; return 1; }
	wait "$pid" 2>/dev/null
	# Damage the newest generation's data.
	printf '\xff' | dd of="$img/gen-00000002.img" bs=1 seek=$((4096 * 3 + 7)) \
		conv=notrunc status=none
	if timeout 60 "$bin/splitckpt" restart "$img" > "$work/fb3.out" 2>&1; then
		fail "restart of a damaged generation succeeded"
		return 1
	fi
	grep -q "gen-00000002.img: Bad message" "$work/fb3.out" ||
		{ fail "unclear error" "$work/fb3.out"; return 1; }
	restart_check "$work/fb4.out" --fallback || return 1
	grep -q "generation 2: .*trying an older one" "$work/fb4.out.err" ||
		{ fail "no word about generation 2" "$work/fb4.out.err"; return 1; }
	# Without the generation it builds on, nothing newer restarts.
	rm "$img/gen-00000001.img"
	if timeout 60 "$bin/splitckpt" restart "$img" --generation 2 > "$work/fb5.out" 2>&1; then
		fail "restart without its parent succeeded"
		return 1
	fi
	grep -q "gen-00000001.img, which the generation builds on, is missing" "$work/fb5.out" ||
		{ fail "unclear error" "$work/fb5.out"; return 1; }
	"$bin/splitckpt" restart "$img" --fallback > "$work/fb6.out" 2>&1
	[ $? = 1 ] && grep -q "no intact generation" "$work/fb6.out" ||
		{ fail "--fallback with nothing intact" "$work/fb6.out"; return 1; }
}
tap_run "restart names a damaged or missing generation; --fallback takes the newest intact one" fallback

status() {
	"$bin/splitckpt-run" /bin/true || { fail "true: $?"; return 1; }
	"$bin/splitckpt-run" /bin/false; [ $? = 1 ] || { fail "false"; return 1; }
	"$bin/splitckpt-run" sh -c 'exit 7'; [ $? = 7 ] || { fail "exit 7"; return 1; }
	"$bin/splitckpt-run" "$work/no-such-program" 2> "$work/n.err"
	[ $? = 127 ] && grep -q "command not found\|No such file" "$work/n.err" ||
		{ fail "missing program" "$work/n.err"; return 1; }
}
tap_run "exit status is the program's; a missing program is 127" status

args() {
	local out
	out=$(echo "a line" | FOO=bar "$bin/splitckpt-run" "$vic/args" one 'two words' '')
	[ $? = 3 ] || { fail "status"; return 1; }
	[ "$out" = "argc=4
argv[0]=$vic/args
argv[1]=one
argv[2]=two words
argv[3]=
FOO=bar
stdin=a line" ] || { fail "output: $out"; return 1; }
	out=$(cd "$vic" && "$bin/splitckpt-run" ./args x < /dev/null | sed -n 2p)
	[ "$out" = "argv[0]=./args" ] || { fail "argv[0]: $out"; return 1; }
}
tap_run "argv, environment and stdin reach the program unchanged" args

refuse() {
	if ! gcc -static -o "$work/static" -x c - <<<'int main(void){return 0;}' 2>/dev/null; then
		echo "# no static libc"
		return 0
	fi
	"$bin/splitckpt-run" "$work/static" 2> "$work/s.err"
	[ $? = 126 ] && grep -q "statically linked" "$work/s.err" ||
		{ fail "static" "$work/s.err"; return 1; }
	cp "$vic/args" "$work/suid"
	chmod u+s "$work/suid"
	"$bin/splitckpt-run" "$work/suid" 2> "$work/u.err"
	[ $? = 126 ] && grep -q "setuid" "$work/u.err" || { fail "setuid" "$work/u.err"; return 1; }
}
tap_run "static and setuid programs are refused" refuse

exec_static() {
	local out
	if ! gcc -static -O2 -o "$work/st" -x c - 2>/dev/null <<'C'
#include <stdlib.h>
#include <string.h>
int main(void)
{
	char *p = malloc(1 << 20), *q = malloc(64 << 20);

	memset(p, 1, 1 << 20);
	memset(q, 2, 64 << 20);
	return p[7] + q[9] == 3 ? 0 : 1;
}
C
	then
		echo "# no static libc"
		return 0
	fi
	# python3 is not PIE on Debian: its children may sit at its addresses.
	out=$("$bin/splitckpt-run" /usr/bin/python3 -c \
		"import subprocess; print(subprocess.run(['$work/st']).returncode)" 2>&1)
	[ "$out" = 0 ] || { fail "child: $out"; return 1; }
}
tap_run "programs it executes (static, at a non-PIE parent's address) run normally" exec_static

# Pre-copy with memory changing all the time: a full generation, then two
# incremental ones (the last compressed: frames cut by later copies are
# written again), each restarted and checked page by page.
precopy() {
	local g tracker z
	img=$work/precopy.img
	tracker=$("$bin/splitckpt" status | sed -n 's/^tracker *//p')
	start busy "$work/busy.out" || return 1
	for g in 1 2 3; do
		z=
		[ $g = 3 ] && z=--compress=1
		# shellcheck disable=SC2086
		"$bin/splitckpt" checkpoint "$pid" --dir "$img" --precopy 3 $z > "$work/p$g.out" 2>&1 ||
			{ fail "checkpoint $g" "$work/p$g.out"; return 1; }
		sed 's/^/# /' "$work/p$g.out"
		case $tracker in
		module|uffd-wp)
			grep -qE "pre-copy [1-3] passes \([0-9.]+ MiB\)" "$work/p$g.out" ||
				{ fail "no pre-copy with the $tracker tracker" "$work/p$g.out"; return 1; }
			# The first is full (32 MiB and more): pre-copy took most of it.
			[ $g != 1 ] || sed -E 's/.*: ([0-9.]+) MiB in .*, ([0-9.]+) MiB while paused.*/\1 \2/' \
				"$work/p$g.out" | awk '{ exit !($2 * 4 < $1) }' ||
				{ fail "more than a quarter was copied while paused" "$work/p$g.out"; return 1; } ;;
		*)
			grep -q "no pre-copy" "$work/p$g.out" ||
				{ fail "pre-copy with the $tracker tracker?" "$work/p$g.out"; return 1; } ;;
		esac
	done
	grep -q "incremental over generation 2$" "$work/p3.out" ||
		{ fail "generation 3 is not incremental" "$work/p3.out"; return 1; }
	"$bin/splitckpt" verify "$img" > "$work/pv.out" 2>&1 || { fail "verify" "$work/pv.out"; return 1; }
	kill -9 "$pid"
	wait "$pid" 2>/dev/null
	for g in 1 2 3; do
		restart_check "$work/busy.r$g" --generation $g || return 1
		sed 's/^/# /' "$work/busy.r$g"
	done
}
tap_run "pre-copy while 32 MiB and a mapping keep changing: restart from each generation" precopy

scripts() {
	printf '#!/bin/sh\necho "script $1"\n' > "$work/s.sh"
	chmod +x "$work/s.sh"
	[ "$("$bin/splitckpt-run" "$work/s.sh" arg)" = "script arg" ] || fail "script"
}
tap_run "a #! script runs with its interpreter" scripts

tap_done

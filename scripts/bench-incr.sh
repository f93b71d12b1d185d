#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Incremental checkpoints, for each dirty-page tracker this kernel offers
# (splitckpt status), in one run:
#
#   a BENCH_MIB program (default 1024) rewrites BENCH_PCT % (default 5) of
#   its pages, untracked; generation 1 (full); the same amount again, now
#   tracked; generation 2 (incremental).  Printed:
#   - incremental / full checkpoint time                  (the gain)
#   - incremental data bytes / bytes the program changed  (goal <= 1.01)
#   - the program's rewrite time tracked / untracked      (its cost)
#   then the same amount again and generation 3 with --precopy 3:
#   - how long the program was stopped, with / without pre-copy
#
# Usage: bench-incr.sh BUILD DIR
set -euo pipefail

build=$1
dir=$2
mib=${BENCH_MIB:-1024}
pct=${BENCH_PCT:-5}
bin=$build/bin
victim=$build/bench/victim
work=$(mktemp -d "$dir/incr.XXXXXX")
pid=
cleanup() {
	[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

json_field() {	# json_field NAME < JSON: a number
	sed -E 's/.*"'"$1"'": ([0-9]+).*/\1/'
}

# dirty OUT N: ask for the Nth rewrite, print "pages ns".
dirty() {
	local i
	kill -USR1 "$pid"
	for i in $(seq 600); do
		[ "$(grep -c '^DIRTIED' "$1")" -ge "$2" ] && break
		sleep 0.1
	done
	grep '^DIRTIED' "$1" | sed -n "${2}p" | cut -d' ' -f2-
}

trackers=$("$bin/splitckpt" status --json | grep -o '"[a-z-]*": true' | cut -d'"' -f2)
echo "== splitckpt bench: incremental checkpoints of a $mib MiB program, $pct % rewritten"
for t in $trackers; do
	out=$work/out.$t
	img=$work/img.$t
	SPLITCKPT_TRACKER=$t "$bin/splitckpt-run" --dir "$img" -- "$victim" "$mib" "$pct" > "$out" &
	pid=$!
	for _ in $(seq 600); do grep -q READY "$out" && break; sleep 0.1; done
	read -r pages u_ns <<<"$(dirty "$out" 1)"
	full=$("$bin/splitckpt" checkpoint "$pid" --json)
	read -r _ t_ns <<<"$(dirty "$out" 2)"
	incr=$("$bin/splitckpt" checkpoint "$pid" --json)
	dirty "$out" 3 > /dev/null
	pre=$("$bin/splitckpt" checkpoint "$pid" --precopy 3 --json 2> /dev/null)
	kill -9 "$pid"
	wait "$pid" 2>/dev/null || true
	pid=
	grep -q '"parent": 1' <<<"$incr" || { echo "$t: generation 2 is not incremental"; exit 1; }
	f_ns=$(json_field total_ns <<<"$full")
	i_ns=$(json_field total_ns <<<"$incr")
	i_fz=$(json_field freeze_ns <<<"$incr")
	data=$("$bin/splitckpt" show "$img" --generation 2 --json | json_field data_bytes)
	changed=$((pages * 4096))
	printf '%-10s full %7.3f s, incremental %6.3f s (freeze %.2f ms)   ratio %.3f\n' "$t" \
		"$(echo "$f_ns / 10^9" | bc -l)" "$(echo "$i_ns / 10^9" | bc -l)" \
		"$(echo "$i_fz / 10^6" | bc -l)" "$(echo "$i_ns / $f_ns" | bc -l)"
	printf '%-10s incremental data %.1f MiB for %.1f MiB changed             ratio %.4f (goal <= 1.01)\n' "$t" \
		"$(echo "$data / 1048576" | bc -l)" "$(echo "$changed / 1048576" | bc -l)" \
		"$(echo "$data / $changed" | bc -l)"
	printf '%-10s program rewrite %.3f s tracked, %.3f s untracked             ratio %.2f\n' "$t" \
		"$(echo "$t_ns / 10^9" | bc -l)" "$(echo "$u_ns / 10^9" | bc -l)" \
		"$(echo "$t_ns / $u_ns" | bc -l)"
	i_st=$(json_field stopped_ns <<<"$incr")
	p_st=$(json_field stopped_ns <<<"$pre")
	passes=$(json_field precopy_passes <<<"$pre")
	if [ "$passes" = 0 ]; then
		printf '%-10s paused %.2f ms (no pre-copy with this tracker)\n' "$t" \
			"$(echo "$i_st / 10^6" | bc -l)"
	else
		printf '%-10s paused %.2f ms with --precopy 3 (%d passes, %.1f MiB), %.2f ms without   ratio %.3f\n' \
			"$t" "$(echo "$p_st / 10^6" | bc -l)" "$passes" \
			"$(echo "$(json_field precopy_bytes <<<"$pre") / 1048576" | bc -l)" \
			"$(echo "$i_st / 10^6" | bc -l)" "$(echo "$p_st / $i_st" | bc -l)"
	fi
	rm -rf "$img"
done

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Guest side of scripts/bench-criu.sh: an incremental checkpoint of the same
# program by CRIU and by splitckpt, in one guest, one after the other.
#
#   bench-criu-guest.sh BUILD MIB PCT THP FIRST TRACKERS [REPS [KO]]
#
#   BUILD     the build directory (BUILD/bench/victim is the program:
#             scripts/bench-victim.c, MIB MiB of data, each SIGUSR1
#             rewrites PCT % of its pages, distinct pages chosen at random)
#   THP       comma-separated values for
#             /sys/kernel/mm/transparent_hugepage/enabled, one round each
#             (never, always, madvise; "keep" leaves the kernel's choice)
#   FIRST     comma-separated CRIU procedures for the first checkpoint:
#             dump      criu dump --track-mem --leave-running
#             predump   criu pre-dump --track-mem
#             dump-notrack  criu dump --leave-running (no --track-mem)
#             incr-notrack  like dump, but the second dump has no
#                       --track-mem (both to show what goes wrong)
#   TRACKERS  comma-separated splitckpt trackers (auto: its default)
#   REPS      repetitions of all rounds of one THP mode, alternating
#             CRIU and splitckpt (default 1)
#
#   KO        a splitckpt.ko to load first (for the "module" tracker);
#             unloaded at the end
#
# For CRIU, in every round:
#   FIRST into DIR/1; the program rewrites PCT %;
#   criu dump --track-mem --prev-images-dir ../1 --leave-running into DIR/2
# For splitckpt:
#   splitckpt checkpoint PID (generation 1, full); the program rewrites
#   PCT %; splitckpt checkpoint PID (generation 2, incremental)
# Timed: the wall time of the second command of each (the incremental
# one).  Bytes: CRIU's pages-*.img of DIR/2 (and the whole of DIR/2),
# splitckpt's data_bytes of generation 2 (and its file size), both against
# the bytes the program rewrote.  Images go to the guest's own /tmp (tmpfs).
#
# Machine-readable lines start with "RESULT ".
#
# Why THP matters: soft-dirty (what CRIU's --track-mem uses, and
# splitckpt's soft-dirty tracker) marks a huge page dirty as a whole, so
# with transparent huge pages (Debian's 6.12 default is "always") one
# 4 KiB write anywhere in 2 MiB dirties all of it; 5 % of the pages at
# random hit essentially every 2 MiB, and the "incremental" dump is full.
# uffd-wp splits the huge page on the first write and stays per 4 KiB.
# Both CRIU dumps need --track-mem: without it on the first, the second
# refuses the parent ("no parent inventory"); without it on the second,
# every page is written again.
set -uo pipefail

build=$1
mib=$2
pct=$3
thps=${4:-never}
firsts=${5:-dump}
trackers=${6:-auto}
reps=${7:-1}
ko=${8:-}
bin=$build/bin
victim=$build/bench/victim
work=/tmp/bench-criu
vpid=

echo "kernel $(uname -r)"
cleanup() {
	[ -n "$vpid" ] && kill -9 "$vpid" 2> /dev/null
	rm -rf "$work"
	[ -n "$ko" ] && rmmod splitckpt 2> /dev/null
}
trap cleanup EXIT

# stamp VAR: the time in ns, into VAR, without starting a process (a fork
# and exec of date(1) costs ~75 ms under TCG, which both sides would pay).
stamp() {
	local t=${EPOCHREALTIME/[.,]/}
	printf -v "$1" '%s000' "$t"
}
secs() { printf '%.3f' "$(echo "$1 / 1000000000" | bc -l)"; }
mib_of() { printf '%.1f' "$(echo "$1 / 1048576" | bc -l)"; }

# wait_for FILE REGEX COUNT: wait until FILE has COUNT lines matching REGEX.
wait_for() {
	local i
	for i in $(seq 3000); do
		[ "$(grep -c "$2" "$1" 2> /dev/null)" -ge "$3" ] && return 0
		sleep 0.1
	done
	echo "# timed out waiting for $2 in $1"
	return 1
}

# dirty OUT N: the Nth rewrite of PCT % of the pages; prints "pages ns".
dirty() {
	kill -USR1 "$vpid"
	wait_for "$1" '^DIRTIED' "$2" || return 1
	grep '^DIRTIED' "$1" | sed -n "${2}p" | cut -d' ' -f2-
}

json_field() { sed -E 's/.*"'"$1"'": ([0-9]+).*/\1/'; }

# crit_stat DIR NAME: one counter of DIR/stats-dump (0 when missing).
crit_stat() {
	local v
	v=$(crit show "$1/stats-dump" 2> /dev/null |
		sed -nE 's/.*"'"$2"'": ([0-9]+).*/\1/p' | head -n 1)
	echo "${v:-0}"
}

bytes_of() {	# the apparent size of files, in bytes
	local n=0 f
	for f in "$@"; do
		[ -f "$f" ] && n=$((n + $(stat -c %s "$f")))
	done
	echo $n
}

thp_of() {	# AnonHugePages of a process, in kB
	awk '/^AnonHugePages:/ { s += $2 } END { print s + 0 }' "/proc/$1/smaps" 2> /dev/null
}

# CRIU needs these; what is built in or missing is fine.
for m in nf_tables nft_compat ip_tables inet_diag tcp_diag udp_diag unix_diag \
	 netlink_diag packet_diag af_packet_diag; do
	modprobe -q "$m" 2> /dev/null
done
echo "# criu: $(criu --version 2>&1 | head -n 1)"
if [ -n "$ko" ] && ! insmod "$ko"; then
	echo "# insmod $ko failed: no module tracker"
	ko=
fi
for f in /proc/sys/kernel/ns_last_pid /proc/self/pagemap /proc/self/clear_refs; do
	[ -e "$f" ] || echo "# missing: $f"
done
criu_ok=1
if ! out=$(criu check --feature mem_dirty_track 2>&1); then
	echo "# criu check --feature mem_dirty_track failed:"
	sed 's/^/#   /' <<< "$out"
	criu_ok=0
else
	echo "# criu check --feature mem_dirty_track: $out"
fi
# A full "criu check" fills CRIU's kernel-feature cache (/run/criu.kdat)
# so that no timed dump pays for probing the kernel.
criu check > /dev/null 2>&1
"$bin/splitckpt" status | sed 's/^/# splitckpt status: /'

criu_round() {	# criu_round THP FIRST
	local thp=$1 first=$2 d=$work/criu-$1-$2 t0 t1 t2 t3 pages dns pbytes dbytes
	local changed written skipped frozen hp track
	rm -rf "$d"
	mkdir -p "$d/1" "$d/2"
	setsid "$victim" "$mib" "$pct" > "$d/out" 2>&1 < /dev/null &
	wait_for "$d/out" '^READY' 1 || return 1
	vpid=$(awk '/^READY/ { print $2; exit }' "$d/out")
	hp=$(thp_of "$vpid")
	stamp t0
	case $first in
	dump)
		criu dump -t "$vpid" -D "$d/1" -o dump.log --track-mem --leave-running ;;
	predump)
		criu pre-dump -t "$vpid" -D "$d/1" -o dump.log --track-mem ;;
	dump-notrack)	# mistakes to show: --track-mem left out of one dump
		criu dump -t "$vpid" -D "$d/1" -o dump.log --leave-running ;;
	incr-notrack)
		criu dump -t "$vpid" -D "$d/1" -o dump.log --track-mem --leave-running ;;
	*)
		echo "# unknown CRIU procedure $first"
		return 1 ;;
	esac
	rc=$?
	stamp t1
	if [ $rc != 0 ] || ! kill -0 "$vpid" 2> /dev/null; then
		echo "# criu $first failed ($rc); last lines of its log:"
		tail -n 15 "$d/1/dump.log" | sed 's/^/#   /'
		return 1
	fi
	read -r pages dns <<< "$(dirty "$d/out" 1)"
	stamp t2
	track=--track-mem
	[ "$first" = incr-notrack ] && track=
	criu dump -t "$vpid" -D "$d/2" -o dump.log $track --prev-images-dir ../1 \
		--leave-running
	rc=$?
	stamp t3
	if [ $rc != 0 ]; then
		echo "# criu dump --prev-images-dir failed ($rc); last lines of its log:"
		tail -n 15 "$d/2/dump.log" | sed 's/^/#   /'
		return 1
	fi
	if [ -n "${SPLITCKPT_VM_OUT:-}" ]; then
		cp "$d/1/dump.log" "$SPLITCKPT_VM_OUT/criu-$thp-$first-1.log"
		cp "$d/2/dump.log" "$SPLITCKPT_VM_OUT/criu-$thp-$first-2.log"
	fi
	kill -9 "$vpid"
	wait "$vpid" 2> /dev/null
	vpid=
	changed=$((pages * 4096))
	pbytes=$(bytes_of "$d/2"/pages-*.img)
	dbytes=$(bytes_of "$d/2"/*.img)
	fbytes=$(bytes_of "$d/1"/pages-*.img)
	written=$(crit_stat "$d/2" pages_written)
	skipped=$(crit_stat "$d/2" pages_skipped_parent)
	frozen=$(crit_stat "$d/2" frozen_time)
	echo "RESULT criu thp=$thp first=$first anonhuge_kb=$hp first_ns=$((t1 - t0))" \
	     "incr_ns=$((t3 - t2)) frozen_us=$frozen changed=$changed pages_bytes=$pbytes" \
	     "dir_bytes=$dbytes first_pages_bytes=$fbytes pages_written=$written" \
	     "pages_skipped_parent=$skipped"
	printf 'criu      THP %-7s first %-12s %7.3f s (%.1f MiB); incremental %7.3f s (frozen %.1f ms),' \
		"$thp" "$first" "$(secs $((t1 - t0)))" "$(mib_of "$fbytes")" \
		"$(secs $((t3 - t2)))" "$(echo "$frozen / 1000" | bc -l)"
	printf ' pages %.1f MiB (image dir %.1f MiB) for %.1f MiB rewritten: ratio %.3f\n' \
		"$(mib_of "$pbytes")" "$(mib_of "$dbytes")" "$(mib_of "$changed")" \
		"$(echo "$pbytes / $changed" | bc -l)"
	echo "#   pages written $written, skipped as in the parent $skipped;" \
	     "program had $hp kB in huge pages"
	rm -rf "$d"
}

splitckpt_round() {	# splitckpt_round THP TRACKER
	local thp=$1 t=$2 d=$work/sc-$1-$2 t0 t1 t2 t3 t4 t5 t6 stopped pages dns full incr data file hp
	local pre pstop passes
	rm -rf "$d"
	mkdir -p "$d"
	if [ "$t" = auto ]; then unset SPLITCKPT_TRACKER; else export SPLITCKPT_TRACKER=$t; fi
	"$bin/splitckpt-run" --dir "$d/img" -- "$victim" "$mib" "$pct" > "$d/out" 2>&1 < /dev/null &
	vpid=$!
	wait_for "$d/out" '^READY' 1 || return 1
	hp=$(thp_of "$vpid")
	stamp t0
	full=$("$bin/splitckpt" checkpoint "$vpid" --json) || return 1
	stamp t1
	read -r pages dns <<< "$(dirty "$d/out" 1)"
	stamp t2
	incr=$("$bin/splitckpt" checkpoint "$vpid" --json) || return 1
	stamp t3
	# What one walk of the program's page tables costs here: the
	# runtime reads /proc/self/smaps (for VmFlags) at every checkpoint,
	# except with the module, which lists them (VMA_QUERY) for an
	# incremental one.
	stamp t4
	cat "/proc/$vpid/smaps" > /dev/null
	stamp t5
	cat "/proc/$vpid/maps" > /dev/null	# the same without the walk
	stamp t6
	# The same again with pre-copy: how long the program stays stopped.
	dirty "$d/out" 2 > /dev/null
	pre=$("$bin/splitckpt" checkpoint "$vpid" --precopy 3 --json 2> /dev/null) || pre=
	kill -9 "$vpid"
	wait "$vpid" 2> /dev/null
	vpid=
	unset SPLITCKPT_TRACKER
	if ! grep -q '"parent": 1' <<< "$incr"; then
		echo "# splitckpt generation 2 is not incremental: $incr"
		return 1
	fi
	changed=$((pages * 4096))
	data=$("$bin/splitckpt" show "$d/img" --generation 2 --json | json_field data_bytes)
	file=$(bytes_of "$d/img/gen-00000002.img")
	fbytes=$(bytes_of "$d/img/gen-00000001.img")
	tracker=$("$bin/splitckpt" status --json | sed -nE 's/.*"tracker": "([a-z-]+)".*/\1/p')
	[ "$t" = auto ] || tracker=$t
	echo "RESULT splitckpt thp=$thp tracker=$tracker anonhuge_kb=$hp first_ns=$((t1 - t0))" \
	     "incr_ns=$((t3 - t2)) incr_total_ns=$(json_field total_ns <<< "$incr")" \
	     "freeze_ns=$(json_field freeze_ns <<< "$incr") changed=$changed" \
	     "data_bytes=$data file_bytes=$file first_file_bytes=$fbytes"
	printf 'splitckpt THP %-7s %-13s %7.3f s (%.1f MiB); incremental %7.3f s (runtime %.3f s, threads stopped in %.1f ms),' \
		"$thp" "$tracker" "$(secs $((t1 - t0)))" "$(mib_of "$fbytes")" \
		"$(secs $((t3 - t2)))" "$(secs "$(json_field total_ns <<< "$incr")")" \
		"$(echo "$(json_field freeze_ns <<< "$incr") / 1000000" | bc -l)"
	printf ' data %.1f MiB (file %.1f MiB) for %.1f MiB rewritten: ratio %.4f\n' \
		"$(mib_of "$data")" "$(mib_of "$file")" "$(mib_of "$changed")" \
		"$(echo "$data / $changed" | bc -l)"
	# Newer runtimes also say how long the program stayed stopped.
	stopped=$(sed -nE 's/.*"stopped_ns": ([0-9]+).*/\1/p' <<< "$incr")
	[ -z "$stopped" ] || echo "#   program stopped for $(secs "$stopped") s of it"
	pstop=$(sed -nE 's/.*"stopped_ns": ([0-9]+).*/\1/p' <<< "$pre")
	passes=$(sed -nE 's/.*"precopy_passes": ([0-9]+).*/\1/p' <<< "$pre")
	if [ -n "$stopped" ] && [ -n "$pstop" ] && [ "${passes:-0}" -gt 0 ]; then
		printf 'splitckpt THP %-7s %-13s paused %.3f s with --precopy 3 (%d passes), %.3f s without: ratio %.3f\n' \
			"$thp" "$tracker" "$(secs "$pstop")" "$passes" "$(secs "$stopped")" \
			"$(echo "$pstop / $stopped" | bc -l)"
	elif [ -n "$pre" ]; then
		echo "#   no pre-copy with the $tracker tracker"
	fi
	echo "#   cat /proc/PID/smaps of the program took $(secs $((t5 - t4))) s" \
	     "(cat /proc/PID/maps $(secs $((t6 - t5))) s)"
	rm -rf "$d"
}

# Room on the guest's /tmp (tmpfs, half the memory by default) for two
# full images, should the second checkpoint not be incremental.
mount -o remount,size=$((mib * 2 + 512))m /tmp 2> /dev/null ||
	echo "# cannot grow /tmp: $(df -h /tmp | tail -n 1)"

# end_round: whatever a failed round left behind.
end_round() {
	if [ -n "$vpid" ]; then
		kill -9 "$vpid" 2> /dev/null
		wait "$vpid" 2> /dev/null
		vpid=
	fi
	rm -rf "$work"
}

bad=0
thp_file=/sys/kernel/mm/transparent_hugepage/enabled
echo "# THP at boot: $(cat $thp_file 2> /dev/null)"
for thp in ${thps//,/ }; do
	if [ "$thp" != keep ]; then
		echo "$thp" > "$thp_file" || { echo "# cannot set THP to $thp"; bad=1; continue; }
	fi
	echo "== $mib MiB program, $pct % of its pages rewritten between checkpoints," \
	     "THP $(sed -E 's/.*\[(.*)\].*/\1/' "$thp_file")"
	for rep in $(seq "$reps"); do
		[ "$reps" = 1 ] || echo "# repetition $rep of $reps"
		if [ $criu_ok = 1 ]; then
			for first in ${firsts//,/ }; do
				criu_round "$thp" "$first" || bad=1
				end_round
			done
		fi
		for t in ${trackers//,/ }; do
			splitckpt_round "$thp" "$t" || bad=1
			end_round
		done
	done
done
exit $bad

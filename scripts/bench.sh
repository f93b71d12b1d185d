#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make bench: checkpoint and restart speed against dd on the same file
# system, in the same run.
#
#   full checkpoint throughput / dd oflag=direct write throughput  (goal >= 0.9)
#   restart time / dd iflag=direct read time of the image          (goal <= 1.2)
#   restart time / a plain eager restore: reading the image (1 MiB O_DIRECT
#     reads) into fresh memory and touching each page once
#     (scripts/bench-floor.c)
#   time to stop all threads (freeze)
#   incremental generations: scripts/bench-incr.sh
#
# BENCH_MIB (default 1024) sets the program's size, BENCH_DIR the file
# system (default BUILD/bench), BENCH_RUNS (default 3) the repetitions; the
# best of the runs is reported for each.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$top/build}
mib=${BENCH_MIB:-1024}
runs=${BENCH_RUNS:-3}
dir=${BENCH_DIR:-$build/bench}
bin=$build/bin
victim=$build/bench/victim

mkdir -p "$dir" "$build/bench"
gcc -O2 -o "$victim" "$top/scripts/bench-victim.c"
gcc -O2 -D_GNU_SOURCE -o "$build/bench/floor" "$top/scripts/bench-floor.c"
work=$(mktemp -d "$dir/run.XXXXXX")
pid=
cleanup() {
	[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

now() { date +%s.%N; }
drop_caches() { sync; [ -w /proc/sys/vm/drop_caches ] && echo 3 > /proc/sys/vm/drop_caches || true; }

best_ck=0 best_dd=0 best_rs=999 best_rd=999 best_fz=999 best_fl=999
for run in $(seq "$runs"); do
	img=$work/img.$run
	"$bin/splitckpt-run" --dir "$img" -- "$victim" "$mib" > "$work/out.$run" &
	pid=$!
	for _ in $(seq 600); do grep -q READY "$work/out.$run" && break; sleep 0.1; done
	grep -q READY "$work/out.$run"
	line=$("$bin/splitckpt" checkpoint "$pid" --kill)
	wait "$pid" 2>/dev/null || true
	pid=
	# "generation 1 in DIR: 1024.1 MiB in 0.800 s, threads stopped in 0.1 ms"
	ck_mib=$(sed -E 's/.*: ([0-9.]+) MiB in ([0-9.]+) s.*/\1/' <<<"$line")
	ck_s=$(sed -E 's/.*: ([0-9.]+) MiB in ([0-9.]+) s.*/\2/' <<<"$line")
	fz_ms=$(sed -E 's/.*stopped in ([0-9.]+) ms.*/\1/' <<<"$line")

	drop_caches
	t0=$(now)
	dd if=/dev/zero of="$work/dd.$run" bs=1M count="$mib" oflag=direct conv=fsync status=none
	t1=$(now)
	dd_s=$(echo "$t1 - $t0" | bc -l)

	drop_caches
	t0=$(now)
	"$bin/splitckpt" restart "$img" > "$work/rs.$run"
	t1=$(now)
	rs_s=$(echo "$t1 - $t0" | bc -l)

	drop_caches
	t0=$(now)
	dd if="$img/gen-00000001.img" of=/dev/null bs=1M iflag=direct status=none
	t1=$(now)
	rd_s=$(echo "$t1 - $t0" | bc -l)

	drop_caches
	fl_s=$("$build/bench/floor" "$img/gen-00000001.img")

	ck_rate=$(echo "$ck_mib / $ck_s" | bc -l)
	dd_rate=$(echo "$mib / $dd_s" | bc -l)
	printf 'run %d: checkpoint %.0f MiB/s (dd %.0f MiB/s), restart %.3f s (dd read %.3f s, floor %.3f s), freeze %s ms\n' \
		"$run" "$ck_rate" "$dd_rate" "$rs_s" "$rd_s" "$fl_s" "$fz_ms"
	best_ck=$(echo "if ($ck_rate > $best_ck) $ck_rate else $best_ck" | bc -l)
	best_dd=$(echo "if ($dd_rate > $best_dd) $dd_rate else $best_dd" | bc -l)
	best_rs=$(echo "if ($rs_s < $best_rs) $rs_s else $best_rs" | bc -l)
	best_rd=$(echo "if ($rd_s < $best_rd) $rd_s else $best_rd" | bc -l)
	best_fz=$(echo "if ($fz_ms < $best_fz) $fz_ms else $best_fz" | bc -l)
	best_fl=$(echo "if ($fl_s < $best_fl) $fl_s else $best_fl" | bc -l)
	rm -rf "$img" "$work/dd.$run"
done

echo "== splitckpt bench: $mib MiB program, $(df -T "$dir" | awk 'NR==2 {print $2}') file system, best of $runs"
printf 'checkpoint throughput  %8.0f MiB/s   dd oflag=direct %8.0f MiB/s   ratio %.2f (goal >= 0.9)\n' \
	"$best_ck" "$best_dd" "$(echo "$best_ck / $best_dd" | bc -l)"
printf 'restart time           %8.3f s       dd iflag=direct %8.3f s       ratio %.2f (goal <= 1.2)\n' \
	"$best_rs" "$best_rd" "$(echo "$best_rs / $best_rd" | bc -l)"
printf 'restart time           %8.3f s       plain read+touch %7.3f s       ratio %.2f\n' \
	"$best_rs" "$best_fl" "$(echo "$best_rs / $best_fl" | bc -l)"
printf 'freeze time            %8.3f ms\n' "$best_fz"

# Incremental generations, for each tracker this kernel has.
"$top/scripts/bench-incr.sh" "$build" "$dir"

# ---------------------------------------------------------------------------
# Dirty tracking, in a QEMU guest (TCG) on each Debian kernel: the module's
# DIRTY_SCAN against soft-dirty and (6.12) uffd-wp + PAGEMAP_SCAN, harvest
# cost per GiB at 0/10/100 % written and the application's re-dirty cost,
# as ratios from one run (scripts/bench-kmod.c, scripts/bench-kmod-vm.sh).
# BENCH_KMOD=0 skips it; BENCH_KMOD_MIB (default 1024) sets the region,
# BENCH_KMOD_RUNS (default 5) the repetitions, BENCH_KMOD_THP=1 adds a
# pass with transparent huge pages.  A guest that cannot run is a note, not
# a failure of the bench.
bench_kmod_series() {	# bench_kmod_series SERIES PROGRAM
	local series=$1 prog=$2 kmib=${BENCH_KMOD_MIB:-1024}
	local kver ko out=$build/bench/kmod-$1 rc

	if ! kver=$("$top/scripts/kernels.sh" kver "$series" 2>/dev/null); then
		echo "note: no Debian $series kernel installed, dirty-tracking bench skipped"
		return 0
	fi
	if ! ko=$("$top/scripts/kmod-build.sh" "/lib/modules/$kver/build" "$build" \
			2> "$build/bench/kmod-build-$series.log"); then
		echo "note: the module does not build for $kver (see $build/bench/kmod-build-$series.log)"
		return 0
	fi
	# Four trackers' regions live at once in the guest.
	(cd "$top" && SPLITCKPT_BUILD=${SPLITCKPT_BUILD:-$build} scripts/vm-run \
		-a tcg -k "$kver" -m $((4 * kmib + 2048)) -t 3600 -o "$out" -- \
		scripts/bench-kmod-vm.sh "$ko" "$prog" "$kmib" \
		"${BENCH_KMOD_RUNS:-5}" "${BENCH_KMOD_THP:-0}") 2>&1 | sed -u 's/\r//g'
	rc=${PIPESTATUS[0]}
	[ "$rc" = 0 ] ||
		echo "note: the $series guest bench ended with status $rc, numbers above may be missing (logs: $out)"
}

if [ "${BENCH_KMOD:-1}" = 0 ]; then
	echo "== dirty tracking in a VM: skipped (BENCH_KMOD=0)"
elif ! command -v qemu-system-x86_64 > /dev/null; then
	echo "note: qemu-system-x86_64 is missing, dirty-tracking bench skipped"
else
	echo "== dirty tracking in a VM (QEMU TCG: ratios only, see scripts/bench-kmod.c)"
	kstart=$(date +%s)
	if gcc -O2 -std=gnu11 -Wall -D_GNU_SOURCE -I"$top/uapi" -I"$top/lib/include" \
		-o "$build/bench/bench-kmod" "$top/scripts/bench-kmod.c"; then
		for series in 6.1 6.12; do
			bench_kmod_series "$series" "$build/bench/bench-kmod" || true
		done
	else
		echo "note: scripts/bench-kmod.c does not build, dirty-tracking bench skipped"
	fi
	echo "dirty tracking in a VM: $(($(date +%s) - kstart)) s"
fi

# ---------------------------------------------------------------------------
# CRIU side by side (scripts/bench-criu.sh, guest side
# scripts/bench-criu-guest.sh): the incremental checkpoint of a BENCH_MIB
# program after BENCH_PCT % of its pages were rewritten, by
# `criu dump --track-mem --prev-images-dir` and by splitckpt, in one QEMU
# guest (TCG) booting Debian's 6.12 kernel; time and bytes as ratios.
# BENCH_CRIU=0 skips it (5-15 minutes at 1 GiB under TCG); see
# scripts/bench-criu.sh for BENCH_CRIU_* settings.  Missing criu, qemu or
# kernel is a note, not a failure of the bench.
if [ "${BENCH_CRIU:-1}" = 0 ]; then
	echo "== CRIU side by side: skipped (BENCH_CRIU=0)"
else
	"$top/scripts/bench-criu.sh" "$build" ||
		echo "note: the CRIU comparison failed (status $?)"
fi

# ---------------------------------------------------------------------------
# Read path (scripts/bench-readpath.c): BENCH_MIB of memory into an image
# file on BENCH_DIR through io_uring writes, read in-process (memcpy into
# registered buffers, as the writer does; and zero-copy), through
# /proc/PID/mem, or with process_vm_readv; with and without the writes.
# BENCH_READPATH=0 skips it.
if [ "${BENCH_READPATH:-1}" = 0 ]; then
	echo "== read path: skipped (BENCH_READPATH=0)"
elif gcc -O2 -std=gnu11 -Wall -D_GNU_SOURCE -o "$build/bench/readpath" \
		"$top/scripts/bench-readpath.c" -luring 2> "$build/bench/readpath-build.log"; then
	"$build/bench/readpath" -m "$mib" -r "$runs" -d "$dir" ||
		echo "note: the read-path bench failed (status $?)"
else
	echo "note: scripts/bench-readpath.c does not build (liburing-dev?), see $build/bench/readpath-build.log"
fi

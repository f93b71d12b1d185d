#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Incremental checkpoints side by side with CRIU, in a QEMU guest (TCG)
# booting Debian's 6.12 kernel (scripts/vm-run; the guest side is
# scripts/bench-criu-guest.sh).  A BENCH_CRIU_MIB MiB program (default
# BENCH_MIB, else 1024) rewrites BENCH_PCT % (default 5) of its pages
# between two checkpoints; printed, for the second (incremental) one:
#
#   CRIU incremental dump time / splitckpt incremental time   (goal >= 3)
#   splitckpt incremental data bytes / bytes rewritten        (goal <= 1.01)
#   CRIU incremental pages-*.img bytes / bytes rewritten
#
# Guest timings are only meaningful as ratios within the same guest run.
#
# Usage: bench-criu.sh [BUILD]
# Environment:
#   BENCH_CRIU_THP      THP modes, comma-separated, one round each
#                       (default "never,always": the 4 KiB case, then
#                       Debian's default)
#   BENCH_CRIU_FIRST    CRIU procedures: dump,predump,dump-notrack,
#                       incr-notrack (default dump; see bench-criu-guest.sh)
#   BENCH_CRIU_TRACKERS splitckpt trackers (default module,uffd-wp,soft-dirty
#                       when the module builds for the guest's kernel, which
#                       is then loaded there; else auto,soft-dirty)
#   BENCH_CRIU_REPS     repetitions, CRIU and splitckpt alternating; the
#                       ratios use the fastest of each (default 1)
#   BENCH_CRIU_MEM      guest memory in MiB (default 3 * MIB + 1536)
#   BENCH_CRIU_TIMEOUT  whole-run limit in seconds (default 3600)
# Missing tools (criu, qemu, the 6.12 kernel) give a note and status 0.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-${BUILD:-$top/build}}
build=$(cd "$build" && pwd)
mib=${BENCH_CRIU_MIB:-${BENCH_MIB:-1024}}
pct=${BENCH_PCT:-5}
thp=${BENCH_CRIU_THP:-never,always}
first=${BENCH_CRIU_FIRST:-dump}
trackers=${BENCH_CRIU_TRACKERS:-}
reps=${BENCH_CRIU_REPS:-1}
mem=${BENCH_CRIU_MEM:-$((3 * mib + 1536))}
limit=${BENCH_CRIU_TIMEOUT:-3600}

echo "== CRIU side by side: incremental checkpoint of a $mib MiB program, $pct % rewritten (6.12 guest, TCG)"
note() { echo "CRIU comparison skipped: $*"; exit 0; }
command -v criu > /dev/null || note "criu is not installed (Debian package: criu)"
command -v crit > /dev/null || echo "# crit is missing: CRIU's page counters are not printed"
command -v qemu-system-x86_64 > /dev/null || note "qemu-system-x86_64 is not installed"
kver=$("$top/scripts/kernels.sh" kver 6.12 2> /dev/null) || note "no Debian 6.12 kernel installed"
[ -x "$build/bin/splitckpt-run" ] || note "$build/bin/splitckpt-run is not built"

mkdir -p "$build/bench"
gcc -O2 -o "$build/bench/victim" "$top/scripts/bench-victim.c" || exit 1
# The module as the preferred tracker, when it builds for this kernel.
if ko=$("$top/scripts/kmod-build.sh" "/lib/modules/$kver/build" "$build" \
		2> "$build/bench/kmod-build-criu.log"); then
	trackers=${trackers:-module,uffd-wp,soft-dirty}
else
	echo "# the module does not build for $kver (see $build/bench/kmod-build-criu.log): compared without it"
	trackers=${trackers:-auto,soft-dirty}
	ko=
fi
out=$build/bench/criu-vm
rm -rf "$out"
mkdir -p "$out"

cd "$top" || exit 1
t0=$(date +%s)
SPLITCKPT_BUILD=$build "$top/scripts/vm-run" -k "$kver" -m "$mem" -t "$limit" -q -o "$out" -- \
	scripts/bench-criu-guest.sh "$build" "$mib" "$pct" "$thp" "$first" "$trackers" "$reps" "$ko"
rc=$?
t1=$(date +%s)
grep -avE '^RESULT ' "$out/output.log" | grep -avE '^(kernel |\[)' | tr -d '\r'

# Ratios, per THP mode, from the RESULT lines: the fastest incremental
# checkpoint of each (CRIU: the "dump" procedure when it ran, else the
# first one listed).
awk '
function fields(   i, kv) {
	delete v
	for (i = 3; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
}
/^RESULT criu / {
	fields(); k = v["thp"] SUBSEP v["first"]
	if (!(k in cn) || v["incr_ns"] < cn[k]) cn[k] = v["incr_ns"]
	cb[k] = v["pages_bytes"]; cc[k] = v["changed"]; cr[k]++
	if (!(v["thp"] in cf) || v["first"] == "dump") cf[v["thp"]] = v["first"]
	thps[v["thp"]] = 1
}
/^RESULT splitckpt / {
	fields(); k = v["thp"] SUBSEP v["tracker"]
	if (!(k in sw) || v["incr_ns"] < sw[k]) sw[k] = v["incr_ns"]
	sd[k] = v["data_bytes"]; sc[k] = v["changed"]; sr[k]++
	thps[v["thp"]] = 1
}
END {
	for (t in thps) {
		c = (t in cf) ? t SUBSEP cf[t] : ""
		for (k in sw) {
			split(k, kk, SUBSEP)
			if (kk[1] != t) continue
			printf "THP %-7s %-10s splitckpt data / rewritten %.4f (goal <= 1.01)", t, kk[2], sd[k] / sc[k]
			if (c != "")
				printf ";  CRIU (%s) time / splitckpt time %.2f (goal >= 3; %.3f s / %.3f s, best of %d / %d)", \
					cf[t], cn[c] / sw[k], cn[c] / 1e9, sw[k] / 1e9, cr[c], sr[k]
			printf "\n"
		}
		if (c != "")
			printf "THP %-7s CRIU (%s) pages / rewritten %.3f\n", t, cf[t], cb[c] / cc[c]
	}
}' "$out/output.log"
echo "(guest run took $((t1 - t0)) s, status $rc; log in $out)"
[ "$rc" = 0 ] || echo "CRIU comparison: the guest run failed (status $rc), see $out/output.log and $out/kernel.log"
exit 0

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Static checks, as TAP: checkpatch --strict on the kernel code, the uapi
# header compiled standalone as C90 and as C++ and free of struct holes,
# warnings-as-errors builds of userspace and of the module (W=1) for every
# supported Debian kernel, and a few banned idioms.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$top/build}
cd "$top" || exit 1
# shellcheck source=scripts/tap.sh
. scripts/tap.sh
tap_prefix="lint: "

echo "TAP version 13"
scripts/ksrc.sh "$build" || exit 1

kfiles=$(git ls-files 'kmod/*.c' 'kmod/*.h' 'uapi/*.h' 2>/dev/null ||
	 ls kmod/*.[ch] uapi/linux/*.h)
# shellcheck disable=SC2086
tap_run "checkpatch --strict kmod/ uapi/" \
	perl "$build/ksrc/scripts/checkpatch.pl" --strict --no-tree --terse \
	--show-types --ignore FILE_PATH_CHANGES -f $kfiles

uapi_check() {	# uapi_check COMPILER FLAGS...
	local cc=$1 h
	shift
	for h in uapi/linux/*.h; do
		echo "#include <linux/$(basename "$h")>" |
		"$cc" "$@" -Iuapi -Wall -Wextra -Werror -fsyntax-only -x "$lang" - ||
			return 1
	done
}
lang=c tap_run "uapi headers compile standalone as C90" \
	uapi_check gcc -std=c90 -pedantic-errors
lang=c++ tap_run "uapi headers compile standalone as C++" \
	uapi_check g++ -std=c++11 -pedantic-errors

# Every struct of the ABI, laid out with no implicit padding.
no_holes() {
	local obj=$build/lint/uapi-layout.o
	mkdir -p "$build/lint"
	{
		for h in uapi/linux/*.h; do echo "#include <linux/$(basename "$h")>"; done
		sed -n 's/^struct \([a-z0-9_]*\) {$/struct \1 lint_\1;/p' uapi/linux/*.h
	} | gcc -Iuapi -g -c -x c - -o "$obj" || return 1
	pahole "$obj" > "$build/lint/uapi-layout.txt" || return 1
	if grep -E 'XXX|hole|padding' "$build/lint/uapi-layout.txt"; then
		cat "$build/lint/uapi-layout.txt"
		return 1
	fi
	grep -q 'struct splitckpt_' "$build/lint/uapi-layout.txt"
}
tap_run "uapi structs have no holes or padding (pahole)" no_holes

tap_run "userspace and selftests build with -Wall -Wextra -Werror" \
	make -s WERROR=1 BUILD="$build" all

# The module's per-PTE loops each have a section aligned to at least its
# size (kmod/dirty.c, SCAN_HOT), so that none crosses a page.
hot_loops_fit() {	# hot_loops_fit KO
	local name size align n=0
	while read -r name size align; do
		n=$((n + 1))
		if ((16#$size > align)); then
			echo "$name: $((16#$size)) bytes, aligned to $align"
			return 1
		fi
	done < <(readelf -SW "$1" | sed 's/^ *\[ *[0-9]*\] *//' |
		 awk '$1 ~ /^\.text\.splitckpt_/ { print $1, $5, $10 }')
	[ "$n" -gt 0 ]
}

for series in $(scripts/kernels.sh series); do
	if kver=$(scripts/kernels.sh kver "$series"); then
		tap_run "splitckpt.ko builds for $kver with W=1 -Werror" \
			scripts/kmod-build.sh "/lib/modules/$kver/build" "$build" \
			W=1 KCFLAGS=-Werror
		tap_run "splitckpt.ko for $kver: each per-PTE loop fits its alignment" \
			hot_loops_fit "$build/kmod/$kver/kmod/splitckpt.ko"
	else
		tap_result 1 "a Debian $series kernel with headers is installed"
	fi
done

bans() {
	local bad=0
	# C90 uapi: no // comments, only __u/__s fixed-width types.
	if git grep -nE '//|\<(u8|u16|u32|u64|s32|s64|uint[0-9]+_t|int[0-9]+_t)\>' -- uapi/; then
		bad=1
	fi
	# The kernel code never prints from ioctl paths with printk/pr_* noise.
	if git grep -nE '\<(printk|pr_info|pr_debug)\(' -- kmod/; then
		bad=1
	fi
	# No sleeping as synchronisation, no assert() in library code.
	if git grep -nE '\<(usleep|sleep|nanosleep)\(' -- lib/ agent/ ':!*/test-*'; then
		bad=1
	fi
	if git grep -nE '\<assert\(' -- lib/; then
		bad=1
	fi
	return $bad
}
tap_run "banned idioms (git grep)" bans

tap_done

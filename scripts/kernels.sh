#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Find the Debian kernels the project tests on.
#
#   kernels.sh list          one line per usable kernel: "SERIES KVER"
#   kernels.sh kver SERIES   newest installed KVER of SERIES (6.1 or 6.12)
#   kernels.sh series        the series the project supports
#
# A kernel is usable when its image (/boot/vmlinuz-KVER), its modules
# (/lib/modules/KVER/modules.dep) and its headers (/lib/modules/KVER/build)
# are all installed; scripts/deps.sh installs them.
set -euo pipefail

SERIES="6.1 6.12"

usable() {
	local kver=$1
	[ -r "/boot/vmlinuz-$kver" ] &&
		[ -r "/lib/modules/$kver/modules.dep" ] &&
		[ -r "/lib/modules/$kver/build/Makefile" ]
}

kvers_of() {
	local series=$1 f kver
	for f in /boot/vmlinuz-"$series".*-amd64; do
		[ -e "$f" ] || continue
		kver=${f#/boot/vmlinuz-}
		usable "$kver" && echo "$kver"
	done | sort -V
}

case "${1:-list}" in
series)
	echo "$SERIES"
	;;
list)
	for s in $SERIES; do
		for k in $(kvers_of "$s"); do
			echo "$s $k"
		done
	done
	;;
kver)
	[ $# -eq 2 ] || { echo "usage: $0 kver SERIES" >&2; exit 2; }
	k=$(kvers_of "$2" | tail -n 1)
	if [ -z "$k" ]; then
		echo "kernels.sh: no usable Debian $2 kernel installed (run scripts/deps.sh check)" >&2
		exit 1
	fi
	echo "$k"
	;;
*)
	echo "usage: $0 list | kver SERIES | series" >&2
	exit 2
	;;
esac

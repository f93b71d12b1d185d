#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Extract the few files the build needs from Debian's linux-source-6.12
# package into BUILD/ksrc (never committed): the kselftest harness headers
# and checkpatch.pl with its data files.
#
#   ksrc.sh BUILD
set -euo pipefail

[ $# -eq 1 ] || { echo "usage: $0 BUILD" >&2; exit 2; }
dest=$1/ksrc
tarball=/usr/src/linux-source-6.12.tar.xz
files="tools/testing/selftests/kselftest_harness.h
tools/testing/selftests/kselftest.h
scripts/checkpatch.pl
scripts/spelling.txt
scripts/const_structs.checkpatch"

if [ -f "$dest/.done" ] && [ ! "$tarball" -nt "$dest/.done" ]; then
	exit 0
fi
if [ ! -r "$tarball" ]; then
	echo "ksrc.sh: $tarball missing (apt-get install linux-source-6.12)" >&2
	exit 1
fi
rm -rf "$dest"
mkdir -p "$dest"
members=
for f in $files; do
	members="$members linux-source-6.12/$f"
done
# shellcheck disable=SC2086
tar -xJf "$tarball" -C "$dest" --strip-components=1 $members
touch "$dest/.done"

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The module's test suite, run as root inside the test guest (scripts/vm-run)
# from the top of the source tree.  Prints one TAP line per check, passes the
# selftests' own TAP lines through, and exits non-zero if anything failed.
#
#   vm-suite.sh MODULE.ko BUILD   (BUILD holds bin/ and selftests/)
set -u

ko=$1
tests=$2/selftests
cli=$2/bin/splitckpt
dev=/dev/splitckpt
failed=0
n=0

tap() {	# tap STATUS DESCRIPTION
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n module: $2"
	else
		echo "not ok $n module: $2"
		failed=1
	fi
}

check() {	# check DESCRIPTION COMMAND...
	desc=$1
	shift
	"$@"
	tap $? "$desc"
}

# Runs one harness program, prefixing its TAP lines with NAME.
selftest() {	# selftest NAME COMMAND...
	name=$1
	shift
	"$@" > "$TMPDIR/st.out" 2>&1
	rc=$?
	sed -e "s/^\(ok [0-9]*\) /\1 $name: /" \
	    -e "s/^\(not ok [0-9]*\) /\1 $name: /" "$TMPDIR/st.out"
	[ $rc = 0 ] || failed=1
	tap $rc "$name: exit status $rc"
}

TMPDIR=$(mktemp -d)
export TMPDIR

echo "TAP version 13"
echo "# kernel $(uname -r)"

# The command-line tool without and with the module.
check "splitckpt info fails with a hint while the module is absent" sh -c \
	'"$0" info 2>&1 >/dev/null | grep -q "is splitckpt.ko loaded?"; [ $? = 0 ] &&
	 { "$0" info >/dev/null 2>&1; [ $? = 1 ]; }' "$cli"
check "splitckpt with a bad command exits 2" sh -c \
	'"$0" frobnicate 2>/dev/null; [ $? = 2 ]' "$cli"

check "insmod $(basename "$ko")" insmod "$ko"
check "splitckpt info --json reports API level 1, dirty tracking, requests, tags, regions and 10 commands" sh -c \
	'"$0" info --json | grep -qx "{\"api_level\": 1, \"page_size\": $(getconf PAGESIZE), \"features\": 15, \"ioctls\": 1023}"' "$cli"
check "$dev is a character device" test -c "$dev"
check "$dev is mode 0666" test "$(stat -c %a "$dev")" = 666

# Huge pages for the hugetlb test (dirty.c).
echo 4 > /proc/sys/vm/nr_hugepages 2>/dev/null

# A RAM disk with random content for the O_DIRECT read test.
if modprobe brd rd_nr=1 rd_size=1024 2>/dev/null && [ -b /dev/ram0 ]; then
	dd if=/dev/urandom of=/dev/ram0 bs=4096 count=16 oflag=direct 2>/dev/null
	chmod 0644 /dev/ram0
	SPLITCKPT_ODIRECT_DEV=/dev/ram0
	export SPLITCKPT_ODIRECT_DEV
fi

for t in "$tests"/*; do
	[ -f "$t" ] && [ -x "$t" ] || continue
	selftest "$(basename "$t")" "$t"
	selftest "$(basename "$t") as nobody" \
		setpriv --reuid=65534 --regid=65534 --clear-groups "$t"
done

# An open file holds a module reference.
exec 3< "$dev"
check "rmmod refused while $dev is open" sh -c '! rmmod splitckpt 2>/dev/null'
exec 3<&-
check "rmmod after close" rmmod splitckpt
check "$dev gone after rmmod" test ! -e "$dev"
check "insmod again" insmod "$ko"
check "rmmod again" rmmod splitckpt

echo "1..$n"
rm -rf "$TMPDIR"
exit $failed

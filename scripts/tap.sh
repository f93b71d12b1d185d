# SPDX-License-Identifier: GPL-2.0
# TAP helpers for the test scripts (POSIX sh, sourced).  Set tap_prefix to
# prefix every description.
tap_n=0
tap_failed=0
tap_prefix=${tap_prefix:-}

# tap_result STATUS DESCRIPTION
tap_result() {
	tap_n=$((tap_n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $tap_n $tap_prefix$2"
	else
		echo "not ok $tap_n $tap_prefix$2"
		tap_failed=$((tap_failed + 1))
	fi
}

# fail WHY [FILES...]: explain a failure as TAP comments (the last lines
# of each file), and fail.
fail() {
	echo "# $1"
	shift
	for tap_f in "$@"; do
		[ -f "$tap_f" ] && tail -n 15 "$tap_f" | sed "s|^|# $(basename "$tap_f"): |"
	done
	return 1
}

# tap_run DESCRIPTION COMMAND...: runs COMMAND quietly; its output is shown,
# as TAP comments, only when it fails.  With $tap_only set (a list of
# command names), other commands are left out.
tap_run() {
	tap_desc=$1
	shift
	case " ${tap_only:-$1} " in
	*" $1 "*) ;;
	*) return 0 ;;
	esac
	tap_out=$("$@" 2>&1)
	tap_rc=$?
	if [ $tap_rc != 0 ]; then
		printf '%s\n' "$tap_out" | tail -n 40 | sed 's/^/# /'
	fi
	tap_result $tap_rc "$tap_desc"
}

tap_done() {
	echo "1..$tap_n"
	[ "$tap_failed" = 0 ]
}

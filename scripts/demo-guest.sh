#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The demo's guest side (run by scripts/demo.sh through scripts/vm-run).
#
#   demo-guest.sh MODULE.ko BUILD
set -euo pipefail

ko=$1
cli=$2/bin/splitckpt

step() { printf '\n== %s\n' "$*"; }

step "guest kernel: $(uname -r)"
step "splitckpt info, before the module is loaded"
"$cli" info || true
step "insmod $ko"
insmod "$ko"
ls -l /dev/splitckpt
step "splitckpt info"
"$cli" info
"$cli" info --json
step "rmmod splitckpt"
rmmod splitckpt
echo
echo "The demo grows with the project: checkpoint and restart of a sample"
echo "program join it with the split-process runtime (see README, Status)."

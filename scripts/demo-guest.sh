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
echo "Next for the module: range tags and checkpoint requests, then"
echo "incremental checkpoints through the agent (see README, Status)."

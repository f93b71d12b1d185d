# SPDX-License-Identifier: GPL-2.0
# Victim programs of selftests/rt-suite.sh (built on the host).
RT_VICTIMS := pattern threads signals timers files churn bigmem counter args incr busy

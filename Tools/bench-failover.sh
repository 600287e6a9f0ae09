#!/usr/bin/env bash
# Failover benchmark: runs the high-availability tests (real personahsmd processes on the dev
# topology of 3 primary + 2 DR SoftHSM2 nodes, nodes reached through libp11fault.so) and prints
# their BENCH lines: the measured RTO of each failure, calls lost, and signing throughput before
# the fault (the baseline of the same run), during recovery and after, with ratios; and the cost
# of shared idempotency records (keyed SignBatch/Sign throughput with and without, same run),
# which runs only with PERSONAHSM_BENCH set.
#   Tools/bench-failover.sh            # debug build (what the tests use)
# Results are recorded in docs/PERFORMANCE.md, "High availability".
set -euo pipefail
cd "$(dirname "$0")/.."
swift build --build-tests >/dev/null
swift build --product p11fault >/dev/null
PERSONAHSM_BENCH=1 swift test --skip-build --no-parallel --filter HighAvailabilityTests 2>&1 | tee .build/bench-failover.log | grep -E "^BENCH|✘|passed after|failed after" || true
grep -q "^BENCH" .build/bench-failover.log

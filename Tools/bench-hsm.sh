#!/usr/bin/env bash
# make bench-hsm: builds the HSM benchmark, the worker executable and the fault module in release
# mode and runs one benchmark pass (about 1 minute after the build). Extra arguments go to
# hsm-bench (e.g. --seconds 5, --network-mode threads, --network-sessions 2).
set -euo pipefail
cd "$(dirname "$0")/.."
SWIFT="${SWIFT:-swift}"
$SWIFT build -c release --product hsm-bench
$SWIFT build -c release --product personahsm-hsm-worker
$SWIFT build -c release --product p11fault
BIN="$($SWIFT build -c release --show-bin-path)"
exec "$BIN/hsm-bench" --worker "$BIN/personahsm-hsm-worker" --fault-module "$BIN/libp11fault.so" "$@"

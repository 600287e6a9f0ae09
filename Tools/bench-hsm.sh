#!/usr/bin/env bash
# make bench-hsm: builds the HSM benchmark, the worker executable and the fault module in release
# mode and runs one benchmark pass (about 2–3 minutes after the build: Ed25519, ECDSA P-256 and
# RSA-2048, each case interleaved over 3 rounds, then the 1 ms network-HSM model). Extra arguments
# go to hsm-bench (e.g. --seconds 5, --rounds 5, --algorithms ed25519, --no-network,
# --network-mode threads, --network-sessions 2, --client-batch 1).
set -euo pipefail
cd "$(dirname "$0")/.."
SWIFT="${SWIFT:-swift}"
$SWIFT build -c release --product hsm-bench
$SWIFT build -c release --product personahsm-hsm-worker
$SWIFT build -c release --product p11fault
BIN="$($SWIFT build -c release --show-bin-path)"
echo "BENCH-ENV uptime: $(uptime)"
exec "$BIN/hsm-bench" --worker "$BIN/personahsm-hsm-worker" --fault-module "$BIN/libp11fault.so" "$@"

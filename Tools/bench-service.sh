#!/usr/bin/env bash
# PersonaHSM end to end: personahsm-load against a release personahsmd --dev (fresh dev root,
# kernel-chosen ports, HSM worker processes), for unary (64 in flight), batch and stream signing
# with Ed25519, P-256 and RSA-2048, plus an Ed25519 sweep that reports p99 at 80 % of saturation
# and writes an HTML report, then Ed25519 SignBatch against the simulated 1 ms network HSM
# (Tools/bench-service-network.sh). Prints `BENCH name=service_<case> ops_per_s=… p99_ms=…`.
# BENCH_SECONDS sets each case's measured duration (default 5).
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_CASE=${BENCH_SECONDS:-5}
BIN=.build/release
ROOT=.build/bench-service
rm -rf "$ROOT" && mkdir -p "$ROOT"

"$BIN/personahsmd" --dev --dev-root "$ROOT" --listen 127.0.0.1:0 --ops-listen 127.0.0.1:0 \
    >"$ROOT/server.out" 2>"$ROOT/server.log" &
PID=$!
trap 'kill -TERM $PID 2>/dev/null || true; wait $PID 2>/dev/null || true' EXIT
for _ in $(seq 1 300); do grep -q "listening on" "$ROOT/server.out" && break; sleep 0.1; done
SERVER=$(sed -n 's/.*listening on \([^ ]*\).*/\1/p' "$ROOT/server.out")

run() {  # run NAME personahsm-load-args...
    local name=$1; shift
    local json
    json=$("$BIN/personahsm-load" --server "$SERVER" --dev-root "$ROOT" --duration "${SECONDS_PER_CASE}s" \
           --warmup 1s --json "$@" 2>/dev/null)
    python3 - "$name" "$json" <<'PY'
import json, sys
name, result = sys.argv[1], json.loads(sys.argv[2])
errors = sum(result["errors"].values())
print(f"BENCH name=service_{name} ops_per_s={result['operations_per_s']:.0f} "
      f"p50_ms={result['latency_ms']['p50']:.2f} p99_ms={result['latency_ms']['p99']:.2f} errors={errors}")
PY
}

run ed25519_unary_64 --mode sign --connections 4 --streams 16
run ed25519_batch_64 --mode batch --batch 64 --connections 2 --streams 2
run ed25519_stream --mode stream --connections 2 --streams 2
run p256_batch_64 --mode batch --batch 64 --connections 2 --streams 2 --algorithm ecdsa-p256
run rsa2048_batch_64 --mode batch --batch 64 --connections 2 --streams 2 --algorithm rsa2048-pkcs1

# Sweep: open-loop rates up to saturation, then latency at 80 % of it, with an HTML report.
"$BIN/personahsm-load" --server "$SERVER" --dev-root "$ROOT" --mode sign --connections 4 --streams 16 \
    --duration "${SECONDS_PER_CASE}s" --warmup 1s --sweep --json --report "$ROOT/report.html" \
    >"$ROOT/sweep.json" 2>"$ROOT/sweep.log"
python3 - "$ROOT/sweep.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print(f"BENCH name=service_ed25519_unary_at_80pct_of_saturation calls_per_s={r['calls_per_s']:.0f} "
      f"p50_ms={r['latency_ms']['p50']:.2f} p99_ms={r['latency_ms']['p99']:.2f} p99_9_ms={r['latency_ms']['p99.9']:.2f}")
PY
echo "report: $ROOT/report.html"

# Render the report headless with Chromium (installed from Debian when missing; BENCH_RENDER=0
# skips) and check the screenshot shows every plotted series (Tools/png-plot-check.py).
if [ "${BENCH_RENDER:-1}" = 1 ]; then
    command -v chromium >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=760,1400 \
        --screenshot="$ROOT/report.png" "file://$PWD/$ROOT/report.html" >/dev/null 2>&1 || true
    python3 Tools/png-plot-check.py "$ROOT/report.png" || echo "bench-service: the report's plots did not render" >&2
fi

# The simulated 1 ms network HSM (3 nodes) behind personahsmd: at the model's rate, then at half
# of it, where the model leaves the host the CPU a real network HSM would (see the script).
kill -TERM $PID 2>/dev/null; wait $PID 2>/dev/null || true
Tools/bench-service-network.sh
BENCH_NODE_RATE=500 Tools/bench-service-network.sh

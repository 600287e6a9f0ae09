#!/usr/bin/env bash
# PersonaHSM (release personahsmd) against the simulated 1 ms network HSM (issue 7): the dev
# topology's three primary nodes reached through libp11fault.so with latency_us = 1000 and a
# node rate of 1,000 operations/s each (node_ops_per_s), so the model's capacity is 3,000
# signatures/s; two sessions per node keep more than rate × latency operations in flight. personahsm-load
# drives Ed25519 SignBatch (B = 64); the server's own CPU (personahsmd, without its HSM worker
# processes, whose CPU here is SoftHSM2 doing the simulated HSM's signing) is read from /proc
# over the run. Prints `BENCH name=service_ed25519_network_1ms_3nodes ops_per_s=… ratio=…
# capacity=… server_cores=… worker_cores=…`.
# The model's signing is SoftHSM2's on this machine: at 1,000/s per node its worker processes use
# 1.3–1.6 of the two cores (~540 µs of CPU per simulated operation), so the server, the load
# generator and the model cannot all fit. BENCH_NODE_RATE=500 (case name suffixed `_node500`)
# leaves the host the CPU a real network HSM would not take from it.
# Then unary Sign in open loop at half the capacity: the latency one request sees when it shares
# a 1 ms-per-operation session with others (`service_ed25519_network_unary_half_capacity`).
# BENCH_SECONDS sets the measured duration (default 5); BENCH_BIN another build's binaries;
# BENCH_UNARY_PERCENT another unary rate, in % of capacity (the case keeps its name).
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_CASE=${BENCH_SECONDS:-5}
SWIFT="${SWIFT:-swift}"
BIN=$(realpath -m "${BENCH_BIN:-.build/release}")
ROOT=.build/bench-service-network
$SWIFT build -c release --product p11fault >/dev/null
rm -rf "$ROOT" && mkdir -p "$ROOT"

start_server() {
    "$BIN/personahsmd" --dev --dev-root "$ROOT" --listen 127.0.0.1:0 --ops-listen 127.0.0.1:0 \
        >"$ROOT/server.out" 2>>"$ROOT/server.log" &
    PID=$!
    for _ in $(seq 1 300); do grep -q "listening on" "$ROOT/server.out" && break; sleep 0.1; done
    SERVER=$(sed -n 's/.*listening on \([^ ]*\).*/\1/p' "$ROOT/server.out")
}
trap 'kill -TERM $PID 2>/dev/null || true; wait $PID 2>/dev/null || true' EXIT
# First start: creates the dev environment (token, PKI, policy, config).
start_server
kill -TERM $PID && wait $PID || true

# Route the primary nodes through the fault module; the DR nodes stay direct (no traffic).
NODE_RATE=${BENCH_NODE_RATE:-1000}
printf 'latency_us = 1000\nnode_ops_per_s = %s\n' $NODE_RATE >"$ROOT/p11fault.conf"
mkdir -p "$ROOT/fault-stats"
python3 - "$ROOT" "$BIN/libp11fault.so" <<'PY'
import json, sys
root, fault = sys.argv[1], sys.argv[2]
path = f"{root}/personahsmd.json"
config = json.load(open(path))
for backend in config["backends"]:
    if backend["cluster"] != "primary":
        continue
    env = backend.setdefault("environment", {})
    env["P11FAULT_MODULE"] = backend["module"]
    # One config file per node: the primary nodes share one token label (one SoftHSM2 store), and
    # the fault module keys a node's queue by config path and label.
    node_config = f"{root}/p11fault-{backend['name']}.conf"
    open(node_config, "w").write(open(f"{root}/p11fault.conf").read())
    env["P11FAULT_CONFIG"] = node_config
    env["P11FAULT_STATS_DIR"] = f"{root}/fault-stats"
    backend["module"] = fault
    backend["sessions"] = 2
json.dump(config, open(path, "w"), indent=2)
PY
CAPACITY=$(python3 -c "import json,sys; c=json.load(open(sys.argv[1])); print(sum(min(int(sys.argv[2]), b['sessions'] * 1000) for b in c['backends'] if b['cluster']=='primary'))" "$ROOT/personahsmd.json" $NODE_RATE)

start_server

# CPU ticks of the server process and of its worker children (ppid = server).
cpu_ticks() {
    python3 - "$PID" <<'PY'
import os, sys
server = sys.argv[1]
def ticks(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12]), fields[1]
own = ticks(server)[0]
workers = 0
for pid in filter(str.isdigit, os.listdir("/proc")):
    try:
        t, ppid = ticks(pid)
    except OSError:
        continue
    if ppid == server:
        workers += t
print(own, workers)
PY
}
read -r S0 W0 < <(cpu_ticks)
T0=$(date +%s.%N)
JSON=$("$BIN/personahsm-load" --server "$SERVER" --dev-root "$ROOT" --duration "${SECONDS_PER_CASE}s" \
       --warmup 1s --json --mode batch --batch 64 --connections 2 --streams 4 2>/dev/null)
T1=$(date +%s.%N)
read -r S1 W1 < <(cpu_ticks)
python3 - "$JSON" "$CAPACITY" "$S0" "$S1" "$W0" "$W1" "$T0" "$T1" "$(getconf CLK_TCK)" "$NODE_RATE" <<'PY'
import json, sys
result = json.loads(sys.argv[1])
capacity = float(sys.argv[2])
s0, s1, w0, w1 = map(int, sys.argv[3:7])
wall = float(sys.argv[8]) - float(sys.argv[7])
hz = float(sys.argv[9])
node_rate = int(sys.argv[10])
rate = result["operations_per_s"]
errors = sum(result["errors"].values())
server_cores = (s1 - s0) / hz / wall
worker_cores = (w1 - w0) / hz / wall
suffix = "" if node_rate == 1000 else f"_node{node_rate}"
print(f"BENCH name=service_ed25519_network_1ms_3nodes{suffix} ops_per_s={rate:.0f} ratio={rate / capacity:.3f} "
      f"vs=simulated_capacity capacity={capacity:.0f} node_ops_per_s={node_rate} server_cores={server_cores:.2f} worker_cores={worker_cores:.2f} "
      f"p99_ms={result['latency_ms']['p99']:.2f} errors={errors}")
PY

# Unary calls at half the capacity: p50 / p99 from the scheduled send (open loop).
HALF=$((CAPACITY * ${BENCH_UNARY_PERCENT:-50} / 100))
JSON=$("$BIN/personahsm-load" --server "$SERVER" --dev-root "$ROOT" --duration "${SECONDS_PER_CASE}s" \
       --warmup 1s --json --mode sign --connections 4 --streams 16 --rate $HALF 2>/dev/null)
python3 - "$JSON" "$HALF" "$NODE_RATE" <<'PY'
import json, sys
result = json.loads(sys.argv[1])
rate, node_rate = int(sys.argv[2]), int(sys.argv[3])
suffix = "" if node_rate == 1000 else f"_node{node_rate}"
latency = result["latency_ms"]
print(f"BENCH name=service_ed25519_network_unary_half_capacity{suffix} calls_per_s={result['operations_per_s']:.0f} "
      f"offered={rate} p50_ms={latency['p50']:.2f} p99_ms={latency['p99']:.2f} errors={sum(result['errors'].values())}")
PY

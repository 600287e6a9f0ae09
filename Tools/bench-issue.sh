#!/usr/bin/env bash
# `make bench-issue`: issues BENCH_DOCS (default 100,000) sample credentials through a release
# personahsmd --dev (fresh dev root, kernel-chosen ports) and compares the rate with the direct
# PKCS#11 Ed25519 ceiling (C_Sign loop, same token, same thread count as the server's sessions)
# measured in the same run after the server has stopped. One JWT or DI credential is one Ed25519
# signature; BENCH_FORMAT=both makes two per document.
# Prints: BENCH name=issue credentials_per_s=… ratio=…, and BENCH-CPU lines: CPU time (user +
# system) per credential of the client, the server process and its HSM worker processes, counted
# from /proc over the issuing run only, so the split holds up on a loaded machine.
set -euo pipefail
cd "$(dirname "$0")/.."
DOCS=${BENCH_DOCS:-100000}
FORMAT=${BENCH_FORMAT:-jwt}
# Extra `personahsm issue` options, e.g. BENCH_ISSUE_ARGS="--no-local-verify --chunk 512".
read -r -a EXTRA <<<"${BENCH_ISSUE_ARGS:-}"
BIN=.build/release
ROOT=.build/bench-issue
rm -rf "$ROOT" && mkdir -p "$ROOT"

"$BIN/personahsmd" --dev --dev-root "$ROOT" --listen 127.0.0.1:0 --ops-listen 127.0.0.1:0 \
    >"$ROOT/server.out" 2>"$ROOT/server.log" &
PID=$!
trap 'kill -TERM $PID 2>/dev/null; wait $PID 2>/dev/null || true' EXIT
for _ in $(seq 1 300); do grep -q "listening on" "$ROOT/server.out" && break; sleep 0.1; done
SERVER=$(sed -n 's/.*listening on \([^ ]*\).*/\1/p' "$ROOT/server.out")
cli() { "$BIN/personahsm" "$@" --server "$SERVER" --dev-root "$ROOT"; }
cli keys create bench-issuer --algorithm ed25519 >/dev/null
"$BIN/personahsm" sample-credentials --count "$DOCS" --malformed-every 0 --out "$ROOT/in.jsonl" >/dev/null
# CPU ticks (user system) of a process and its children (the HSM workers).
cpu_ticks() { for p in "$1" $(pgrep -P "$1"); do cut -d' ' -f14,15 "/proc/$p/stat"; done | awk '{u+=$1; s+=$2} END {print u, s}'; }
# CPU ticks of the server process alone, and of its worker processes.
SERVER_BEFORE=$(cut -d' ' -f14,15 "/proc/$PID/stat"); ALL_BEFORE=$(cpu_ticks "$PID")
SUMMARY=$(python3 -c '
import resource, subprocess, sys
out = subprocess.run(sys.argv[2:], stdout=subprocess.PIPE, check=True).stdout.decode()
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
open(sys.argv[1], "w").write("%f %f" % (usage.ru_utime, usage.ru_stime))
print(out, end="")' "$ROOT/client.cpu" "$BIN/personahsm" issue "$ROOT/in.jsonl" --key bench-issuer --format "$FORMAT" \
          --out "$ROOT/out.jsonl" --role issuer --progress none --json --server "$SERVER" --dev-root "$ROOT" ${EXTRA[@]+"${EXTRA[@]}"})
SERVER_AFTER=$(cut -d' ' -f14,15 "/proc/$PID/stat"); ALL_AFTER=$(cpu_ticks "$PID")
kill -TERM $PID; wait $PID || true
trap - EXIT
echo "issue: $SUMMARY"
SESSIONS=$(python3 -c "import json;print(json.load(open('$ROOT/personahsmd.json'))['backends'][0]['sessions'])")
CEILING=$("$BIN/pkcs11-sign-ceiling" --hsm-folder "$ROOT/hsm" --threads "$SESSIONS" --seconds 10)
echo "ceiling: $CEILING"
python3 - "$SUMMARY" "$CEILING" "$FORMAT" "$DOCS" "$(cat "$ROOT/client.cpu")" "$SERVER_BEFORE" "$SERVER_AFTER" \
    "$ALL_BEFORE" "$ALL_AFTER" "$(nproc)" "${BENCH_ISSUE_ARGS:-}" <<'PY'
import json, sys
summary, ceiling = json.loads(sys.argv[1]), float(sys.argv[2].split("signatures_per_s=")[1].split()[0])
ticks = lambda text: sum(map(float, text.split())) / 100.0  # USER_HZ is 100 on Linux
client = sum(map(float, sys.argv[5].split()))
server = ticks(sys.argv[7]) - ticks(sys.argv[6])
workers = ticks(sys.argv[9]) - ticks(sys.argv[8]) - server
signatures, elapsed = summary["signatures"], summary["elapsed_seconds"]
for name, seconds in (("client", client), ("server", server), ("hsm_workers", workers),
                      ("total", client + server + workers)):
    print("BENCH-CPU component=%s cpu_us_per_credential=%.0f cores_busy=%.2f"
          % (name, seconds / signatures * 1e6, seconds / elapsed))
print("BENCH-CPU machine_cores=%s cpu_budget_us_per_credential_at_ceiling=%.0f"
      % (sys.argv[10], int(sys.argv[10]) / ceiling * 1e6))
rate = summary["signatures_per_second"]
assert summary["issued"] == int(sys.argv[4]), summary
print("BENCH name=issue credentials_per_s=%.0f ratio=%.3f format=%s documents=%d elapsed_s=%.1f ceiling_signatures_per_s=%.0f%s"
      % (rate, rate / ceiling, sys.argv[3], summary["issued"], summary["elapsed_seconds"], ceiling,
         " issue_args=" + sys.argv[11].replace(" ", ",") if sys.argv[11] else ""))
PY

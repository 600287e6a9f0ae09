#!/usr/bin/env bash
# `make bench-issue`: issues BENCH_DOCS (default 100,000) sample credentials through a release
# personahsmd --dev (fresh dev root, kernel-chosen ports) and compares the rate with the direct
# PKCS#11 Ed25519 ceiling (C_Sign loop, same token, same thread count as the server's sessions)
# measured in the same run after the server has stopped. One JWT or DI credential is one Ed25519
# signature; BENCH_FORMAT=both makes two per document.
# Prints: BENCH name=issue credentials_per_s=… ratio=…
set -euo pipefail
cd "$(dirname "$0")/.."
DOCS=${BENCH_DOCS:-100000}
FORMAT=${BENCH_FORMAT:-jwt}
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
SUMMARY=$(cli issue "$ROOT/in.jsonl" --key bench-issuer --format "$FORMAT" --out "$ROOT/out.jsonl" \
          --role issuer --progress none --json)
kill -TERM $PID; wait $PID || true
trap - EXIT
echo "issue: $SUMMARY"
SESSIONS=$(python3 -c "import json;print(json.load(open('$ROOT/personahsmd.json'))['backends'][0]['sessions'])")
CEILING=$("$BIN/pkcs11-sign-ceiling" --hsm-folder "$ROOT/hsm" --threads "$SESSIONS" --seconds 10)
echo "ceiling: $CEILING"
python3 - "$SUMMARY" "$CEILING" "$FORMAT" "$DOCS" <<'PY'
import json, sys
summary, ceiling = json.loads(sys.argv[1]), float(sys.argv[2].split("signatures_per_s=")[1].split()[0])
rate = summary["signatures_per_second"]
assert summary["issued"] == int(sys.argv[4]), summary
print("BENCH name=issue credentials_per_s=%.0f ratio=%.3f format=%s documents=%d elapsed_s=%.1f ceiling_signatures_per_s=%.0f"
      % (rate, rate / ceiling, sys.argv[3], summary["issued"], summary["elapsed_seconds"], ceiling))
PY

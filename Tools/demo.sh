#!/usr/bin/env bash
# `make demo`: the main job end to end on the release build. Starts personahsmd --dev (default
# ports, or free ones if those are taken), creates an Ed25519 issuer key if missing, issues
# 10,000 sample credentials in both formats (≈1 in 200 deliberately malformed → rejects),
# verifies every credential offline, prints the summary and stops the server with SIGTERM.
# Exits non-zero if any step fails.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=.build/release
ROOT=${PERSONAHSM_DEV_ROOT:-.personahsm}
WORK=$ROOT/demo
COUNT=${DEMO_COUNT:-10000}
KEY=demo-issuer
mkdir -p "$WORK"

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
LISTEN=127.0.0.1:7443 OPS=127.0.0.1:9464
if port_busy 7443 || port_busy 9464; then
    echo "default ports busy: letting the kernel pick free ones"
    LISTEN=127.0.0.1:0 OPS=127.0.0.1:0
fi

"$BIN/personahsmd" --dev --dev-root "$ROOT" --listen "$LISTEN" --ops-listen "$OPS" \
    >"$WORK/server.out" 2>"$WORK/server.log" &
SERVER_PID=$!
stop_server() {
    if kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID"
        wait "$SERVER_PID" || true
    fi
}
trap stop_server EXIT

# Ready when it prints where it listens and answers a health check.
for _ in $(seq 1 300); do
    grep -q "listening on" "$WORK/server.out" 2>/dev/null && break
    kill -0 "$SERVER_PID" 2>/dev/null || { echo "personahsmd exited:"; tail -20 "$WORK/server.log"; exit 1; }
    sleep 0.1
done
SERVER=$(sed -n 's/.*listening on \([^ ]*\).*/\1/p' "$WORK/server.out")
[ -n "$SERVER" ] || { echo "personahsmd did not start"; tail -20 "$WORK/server.log"; exit 1; }
cli() { "$BIN/personahsm" "$@" --server "$SERVER" --dev-root "$ROOT"; }
for _ in $(seq 1 50); do cli health >/dev/null 2>&1 && break; sleep 0.2; done
cli health
echo "== personahsmd on $SERVER (log: $WORK/server.log)"

cli keys show "$KEY" >/dev/null 2>&1 || cli keys create "$KEY" --algorithm ed25519 >/dev/null
echo "== issuer key $KEY: $(cli keys public-key $KEY --format raw --role issuer 2>&1 >/dev/null | sed 's/^did:key //')"

"$BIN/personahsm" sample-credentials --count "$COUNT" --out "$WORK/unsigned.jsonl"
rm -f "$WORK/issued.jsonl" "$WORK/issued.jsonl.job.json" "$WORK/issued.rejects.jsonl"
echo "== issuing $COUNT credentials (--format both)"
cli issue "$WORK/unsigned.jsonl" --key "$KEY" --format both --out "$WORK/issued.jsonl" --role issuer
echo "== verifying offline (did:key, no server)"
"$BIN/personahsm" verify-credentials "$WORK/issued.jsonl"
echo "== rejects ($WORK/issued.rejects.jsonl), first 2:"
head -2 "$WORK/issued.rejects.jsonl"
stop_server
trap - EXIT
echo "== demo OK: server stopped cleanly"

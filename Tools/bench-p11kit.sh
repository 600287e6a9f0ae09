#!/usr/bin/env bash
# The peer comparison of `make bench` (issue 7): PersonaHSM against `p11-kit server`, the Debian
# way of offering PKCS#11 over a socket, on the same SoftHSM2 token and in the same run.
#   1. a release personahsmd --dev (fresh dev root, HSM worker processes) signs ECDSA P-256 and
#      RSA-2048 SignBatch calls from personahsm-load (B = 64, 4 batches in flight);
#   2. after it stops, bench-p11kit signs in a C_SignInit + C_Sign loop on the same token directly
#      through SoftHSM2 (the HSM ceiling) and through p11-kit-client.so → `p11-kit server` over a
#      unix socket (the peer), with 1 thread and with as many threads as personahsmd has sessions.
# p11-kit 0.24 rejects CKM_EDDSA, so there is no Ed25519 case. Prints BENCH lines with ratios:
#   BENCH name=direct_<alg>_<n>thread ops_per_s=… ratio=… (vs 1 thread)
#   BENCH name=p11kit_<alg>_<n>thread ops_per_s=… ratio=… (vs direct, same threads)
#   BENCH name=personahsm_<alg>_batch_<n>sessions ops_per_s=… ratio=… (vs direct, same threads) vs_p11kit=…
# BENCH_SECONDS sets each case's duration (default 3).
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_CASE=${BENCH_SECONDS:-3}
BIN=.build/release
ROOT="$PWD/.build/bench-p11kit"
CLIENT_MODULE=$(dpkg -L p11-kit-modules 2>/dev/null | grep '/p11-kit-client.so$' | head -1 || true)
CLIENT_MODULE=${CLIENT_MODULE:-/usr/lib/x86_64-linux-gnu/pkcs11/p11-kit-client.so}
SOFTHSM=/usr/lib/softhsm/libsofthsm2.so
[ -x "$BIN/bench-p11kit" ] || swift build -c release --product bench-p11kit >/dev/null
rm -rf "$ROOT" && mkdir -p "$ROOT"

# 1. PersonaHSM batched, for P-256 and RSA-2048.
"$BIN/personahsmd" --dev --dev-root "$ROOT" --listen 127.0.0.1:0 --ops-listen 127.0.0.1:0 \
    >"$ROOT/server.out" 2>"$ROOT/server.log" &
PID=$!
trap 'kill -TERM $PID 2>/dev/null; wait $PID 2>/dev/null || true' EXIT
for _ in $(seq 1 300); do grep -q "listening on" "$ROOT/server.out" && break; sleep 0.1; done
SERVER=$(sed -n 's/.*listening on \([^ ]*\).*/\1/p' "$ROOT/server.out")
# Equal threads: the dev topology signs on every primary node's sessions (3 nodes of 1 session).
SESSIONS=$(python3 -c "import json;print(sum(b['sessions'] for b in json.load(open('$ROOT/personahsmd.json'))['backends'] if b.get('cluster', 'primary') == 'primary'))")
declare -A SERVICE
for alg in ecdsa-p256 rsa2048-pkcs1; do
    SERVICE[$alg]=$("$BIN/personahsm-load" --server "$SERVER" --dev-root "$ROOT" --mode batch --batch 64 \
        --connections 2 --streams 2 --algorithm "$alg" --duration "${SECONDS_PER_CASE}s" --warmup 1s --json 2>/dev/null \
        | python3 -c "import json,sys;r=json.load(sys.stdin);assert sum(r['errors'].values())==0,r['errors'];print('%.0f'%r['operations_per_s'])")
done
kill -TERM $PID; wait $PID || true
trap - EXIT

# 2. Direct and through p11-kit, on the token personahsmd just used.
loop() {  # loop MODULE ALGORITHM THREADS -> signatures/s
    "$BIN/bench-p11kit" --hsm-folder "$ROOT/hsm" --module "$1" --algorithm "$2" --threads "$3" \
        --seconds "$SECONDS_PER_CASE" | sed -n 's/.*signatures_per_s=\([0-9]*\).*errors=0$/\1/p'
}
export SOFTHSM2_CONF="$ROOT/hsm/softhsm2.conf"
SOCKET="$ROOT/p11kit.sock"
p11-kit server --foreground --provider "$SOFTHSM" --name "$SOCKET" "pkcs11:token=personahsm-dev" \
    >"$ROOT/p11kit.out" 2>"$ROOT/p11kit.log" &
P11PID=$!
trap 'kill -TERM $P11PID 2>/dev/null; wait $P11PID 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do [ -S "$SOCKET" ] && break; sleep 0.05; done
declare -A DIRECT REMOTE
for alg in ecdsa-p256 rsa2048-pkcs1; do
    for t in 1 "$SESSIONS"; do
        DIRECT[$alg,$t]=$(loop "$SOFTHSM" "$alg" "$t")
        REMOTE[$alg,$t]=$(P11_KIT_SERVER_ADDRESS="unix:path=$SOCKET" loop "$CLIENT_MODULE" "$alg" "$t")
    done
done
kill -TERM $P11PID; wait $P11PID 2>/dev/null || true
trap - EXIT

short() { case $1 in ecdsa-p256) echo p256;; rsa2048-pkcs1) echo rsa2048;; esac; }
for alg in ecdsa-p256 rsa2048-pkcs1; do
    a=$(short "$alg"); d1=${DIRECT[$alg,1]}; dn=${DIRECT[$alg,$SESSIONS]}
    r1=${REMOTE[$alg,1]}; rn=${REMOTE[$alg,$SESSIONS]}; s=${SERVICE[$alg]}
    for v in "$d1" "$dn" "$r1" "$rn" "$s"; do [ -n "$v" ] || { echo "bench-p11kit: a $alg loop failed" >&2; exit 1; }; done
    python3 - "$a" "$SESSIONS" "$d1" "$dn" "$r1" "$rn" "$s" <<'PY'
import sys
a, n = sys.argv[1], int(sys.argv[2])
d1, dn, r1, rn, s = map(float, sys.argv[3:])
t = lambda k: f"{k}thread" + ("s" if k > 1 else "")
print(f"BENCH name=direct_{a}_1thread ops_per_s={d1:.0f} ratio=1.000 vs=itself")
print(f"BENCH name=direct_{a}_{t(n)} ops_per_s={dn:.0f} ratio={dn / d1:.3f} vs=direct_{a}_1thread")
print(f"BENCH name=p11kit_{a}_1thread ops_per_s={r1:.0f} ratio={r1 / d1:.3f} vs=direct_{a}_1thread")
print(f"BENCH name=p11kit_{a}_{t(n)} ops_per_s={rn:.0f} ratio={rn / dn:.3f} vs=direct_{a}_{t(n)}")
ceiling = max(d1, dn)
print(f"BENCH name=personahsm_{a}_batch_{n}sessions ops_per_s={s:.0f} ratio={s / ceiling:.3f} vs=best_direct_{a} "
      f"vs_p11kit={s / rn:.2f}")
PY
done
